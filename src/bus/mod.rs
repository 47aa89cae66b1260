//! Cross-instance fan-out: several instances serving one document stay in
//! step through a bus. A room publishes every accepted update
//! and awareness change on its document's channel and applies what other
//! instances publish. [`local::LocalBus`] is the in-process implementation
//! (single instance, and several "instances" in one test process); [`seq`]
//! numbers what a room publishes and detects gaps in what it receives.
//!
//! Messages carry the sender instance and a per-sender sequence so a receiver
//! can detect gaps; after a gap it asks for a state-vector exchange
//! (`SyncRequest`), answered with the missing updates (`Repair` addressed to
//! everyone; Yjs updates are idempotent).
//!
//! Besides the per-document channels there is one feed channel every
//! instance subscribes to for as long as it runs ([`Bus::subscribe_feed`]):
//! account-level notices such as document-list events and revoked
//! sessions. Events ([`BusPayload::Event`] on a document's channel,
//! [`BusPayload::Feed`] on the feed) are opaque JSON to the bus and carry
//! no sequence: a lost one is not repaired (clients refetch on reconnect).
//!
//! An `Update` is published only once it is durable on its sender, so no
//! other instance relays an update that could die with the instance that
//! accepted it. A `Repair` is computed from a live document and may hold
//! updates that are not durable yet, so whoever applies one logs what it
//! adds (duplicates in the log are harmless).

pub mod local;
pub mod redis;
pub mod seq;

use bytes::Bytes;
use tokio::sync::mpsc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusPayload {
    /// A Yjs v1 update, durable on its sender.
    Update(Bytes),
    /// The answer to a `SyncRequest`: a Yjs v1 update that may not be
    /// durable anywhere yet; receivers log what it adds.
    Repair(Bytes),
    /// An awareness update (already stamped by the origin instance).
    Awareness(Bytes),
    /// "Send me what I miss": the sender's state vector (v1).
    SyncRequest(Bytes),
    /// Local signal from the bus: the connection to other instances was
    /// lost and is back; exchange state vectors now.
    Reconnected,
    /// A live document event (JSON), for the document's open sockets.
    Event(Bytes),
    /// An account-level notice (JSON) on the feed channel.
    Feed(Bytes),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusMessage {
    pub doc_id: String,
    pub sender: String,
    /// Per-sender, per-document sequence, starting at 1.
    pub seq: u64,
    pub payload: BusPayload,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus unavailable: {0}")]
    Unavailable(String),
}

/// A subscription to one document's channel; dropping it unsubscribes.
pub struct Subscription {
    pub rx: mpsc::UnboundedReceiver<BusMessage>,
    pub guard: Box<dyn Send + Sync>,
}

/// Who is connected to a document (one instance's view, or merged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresenceRecord {
    pub user_id: String,
    pub username: String,
    pub connections: usize,
    pub last_seen_ms: i64,
}

#[async_trait::async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Starts receiving other instances' messages for `doc_id`.
    async fn subscribe(&self, doc_id: &str) -> Result<Subscription, BusError>;
    /// Publishes without waiting; failures are counted and healed by anti-entropy.
    fn publish(&self, msg: BusMessage);
    /// Starts receiving other instances' feed messages ([`BusPayload::Feed`]).
    async fn subscribe_feed(&self) -> Result<Subscription, BusError>;
    /// Publishes a feed message to the other instances, without waiting.
    fn publish_feed(&self, msg: BusMessage);
    /// Replaces this instance's report of who is connected to `doc_id`.
    fn report_presence(&self, _doc_id: &str, _users: Vec<PresenceRecord>) {}
    /// Everyone connected to `doc_id` on any instance, when the bus keeps
    /// presence (None: only this instance knows).
    async fn presence(&self, _doc_id: &str) -> Option<Vec<PresenceRecord>> {
        None
    }
}
