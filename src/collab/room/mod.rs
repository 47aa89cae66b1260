//! A document room: the live `yrs` document of one document, shared by all of
//! its connections on this instance.
//!
//! Everything that touches the document happens under one short-lived lock:
//! apply an update (guarded), enqueue the encoded frame on every peer's
//! outbound queue (encoded once, shared as `Bytes`), hand the update to the
//! group-commit writer and the bus. Relay never waits on the database.
//! A peer whose queue is full is closed (it reconnects and resyncs) rather
//! than silently skipped.
//!
//! A room needs no hub: [`RoomCtx`] holds what it uses (its limits, the
//! persistence handle, the bus, the instance id). Its state is private and
//! grouped by concern: [`peers`] (sockets, roles, queues), the awareness
//! table, bus sequences, and [`upkeep`] (log bookkeeping and the decisions
//! compaction, eviction and the ticker take from it).

mod aware;
mod events;
mod fanout;
pub mod peers;
pub mod upkeep;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use quire_doc::guard::{self, ApplyOutcome, GuardError};
use quire_doc::protocol;
use tokio_util::sync::CancellationToken;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::awareness::AwarenessTable;
use super::persist::snapshot::BuiltDoc;
use super::persist::{PendingUpdate, Persist};
use crate::bus::seq::Sequences;
use crate::bus::{Bus, BusMessage, BusPayload};
use crate::store::Role;
use peers::PeerTable;
pub use peers::{Credential, Peer};
use upkeep::LogState;
pub use upkeep::{Compacted, CompactionEnd, PENDING_REPORT_AFTER, Upkeep, UpkeepRules};

pub type ConnId = u64;

/// Why a connection is being closed: a WebSocket close code and reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: String,
}

impl Close {
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

/// The room was closed (reloading, evicted, deleted): join a fresh one.
#[derive(Debug)]
pub struct RoomClosed;

/// Where an update comes from: local sources are logged and published on
/// the bus; the others were logged by whoever accepted them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Client(ConnId),
    /// REST or restore on this instance.
    Server,
    /// Another instance, through the bus: already durable there.
    Bus,
    /// Another instance's answer to a state-vector exchange. It may hold
    /// updates not yet durable anywhere, so this instance logs what it adds.
    Repair,
    /// The durable log (compaction filling a gap).
    Log,
}

/// Outcome of a client's update that does not close the connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Accepted {
    Applied,
    Duplicate,
    /// Dropped because the sender may not edit (viewer).
    ReadOnly,
}

/// The limits a room enforces on its document.
#[derive(Clone, Debug)]
pub struct RoomLimits {
    /// Largest encoded size of the document.
    pub max_doc_bytes: usize,
    /// Most CRDT items the document may hold.
    pub max_doc_items: u64,
}

/// Everything a room needs from outside.
#[derive(Clone)]
pub struct RoomCtx {
    pub limits: RoomLimits,
    pub upkeep: UpkeepRules,
    /// Where accepted updates go to become durable.
    pub persist: Persist,
    pub bus: Arc<dyn Bus>,
    pub instance_id: String,
    /// Called (outside the room lock) after the room closed itself because
    /// its document may be corrupt or was deleted, so its registry can drop it.
    pub on_poisoned: Arc<dyn Fn(&str) + Send + Sync>,
}

struct RoomInner {
    doc: Doc,
    loaded: bool,
    bus_buffer: Vec<BusMessage>,
    peers: PeerTable,
    awareness: AwarenessTable,
    seq: Sequences,
    /// Cached sync-step-2 frame for an empty state vector (joiners).
    full_state_frame: Option<Bytes>,
    log: LogState,
    closed: bool,
}

pub struct Room {
    pub id: String,
    inner: parking_lot::Mutex<RoomInner>,
    ready: tokio::sync::OnceCell<Result<(), String>>,
    ctx: RoomCtx,
    stop: CancellationToken,
}

impl Room {
    pub fn new(id: &str, ctx: RoomCtx) -> Self {
        Self {
            id: id.to_string(),
            inner: parking_lot::Mutex::new(RoomInner {
                doc: new_doc(),
                loaded: false,
                bus_buffer: Vec::new(),
                peers: PeerTable::default(),
                awareness: AwarenessTable::default(),
                seq: Sequences::default(),
                full_state_frame: None,
                log: LogState::default(),
                closed: false,
            }),
            ready: tokio::sync::OnceCell::new(),
            stop: CancellationToken::new(),
            ctx,
        }
    }

    /// Loads the room once (`load` runs for the first caller only; the
    /// others wait for its result).
    pub(crate) async fn ensure_loaded<F>(&self, load: F) -> &Result<(), String>
    where
        F: std::future::Future<Output = Result<(), String>>,
    {
        self.ready.get_or_init(|| load).await
    }

    /// Loaded successfully.
    pub fn is_ready(&self) -> bool {
        self.ready.get().is_some_and(|r| r.is_ok())
    }

    /// Cancelled when the room leaves its registry (ends its bus task).
    pub fn stop_token(&self) -> &CancellationToken {
        &self.stop
    }

    /// Closed: reloading, evicted or deleted. Callers join a fresh room.
    pub fn is_closed(&self) -> bool {
        self.inner.lock().closed
    }

    /// Installs the document built from storage, then applies what the bus
    /// delivered while it was loading.
    pub(crate) fn install(self: &Arc<Self>, built: BuiltDoc) {
        let mut inner = self.inner.lock();
        inner.doc = built.doc;
        inner.log.size = built.size;
        inner.log.since_snapshot = built.since_snapshot;
        inner.log.items = built.items;
        inner.log.pending = built.missing_updates;
        if built.missing_updates {
            // Reported at once (not after the usual wait): nothing in
            // storage will complete these structs.
            inner.log.pending_since = Some(
                Instant::now()
                    .checked_sub(PENDING_REPORT_AFTER)
                    .unwrap_or_else(Instant::now),
            );
        }
        inner.loaded = true;
        for msg in std::mem::take(&mut inner.bus_buffer) {
            self.apply_bus_locked(&mut inner, msg);
        }
    }

    /// Adds a peer and queues the opening frames: our sync step 1 and the
    /// current awareness states, each in its own frame (y-websocket reads
    /// one message per frame). Err when the room was closed meanwhile.
    pub fn join(&self, conn: ConnId, peer: Peer) -> Result<(), RoomClosed> {
        let mut inner = self.inner.lock();
        if inner.closed {
            return Err(RoomClosed);
        }
        let sv = inner.doc.transact().state_vector().encode_v1_bytes();
        let step1 = Bytes::from(protocol::encode_sync_step1(&sv));
        let _ = peer.outbox.push(step1);
        if !inner.awareness.is_empty() {
            let entries = inner.awareness.entries();
            let frame = protocol::encode_awareness(&guard::encode_awareness_update(&entries));
            let _ = peer.outbox.push(Bytes::from(frame));
        }
        inner.peers.insert(conn, peer);
        crate::metrics::ws_connections(1.0);
        Ok(())
    }

    /// Removes a peer and its awareness states (announced as removed).
    /// Returns true when the room has no peers left.
    pub fn leave(self: &Arc<Self>, conn: ConnId) -> bool {
        let mut locked = self.inner.lock();
        let inner = &mut *locked;
        if let Some(peer) = inner.peers.remove(conn) {
            crate::metrics::ws_connections(-1.0);
            let removed = inner.awareness.remove_conn(&peer.client_ids);
            if !removed.is_empty() {
                let payload = Bytes::from(guard::encode_awareness_update(&removed));
                let frame = Bytes::from(protocol::encode_awareness(&payload));
                inner.peers.broadcast(&frame);
                self.publish(inner, BusPayload::Awareness(payload));
            }
        }
        inner.peers.is_empty()
    }

    /// Answers a client's sync step 1 with sync step 2 (what it misses).
    pub fn sync_step1(&self, conn: ConnId, sv_bytes: &[u8]) -> Result<(), Close> {
        let sv = guard::decode_state_vector(sv_bytes).map_err(|e| reject("sync_step1", &e))?;
        let mut inner = self.inner.lock();
        let frame = if sv.is_empty() {
            match &inner.full_state_frame {
                Some(f) => f.clone(),
                None => {
                    let update = guard::encode_full_state(&inner.doc).map_err(|e| internal(&e))?;
                    let f = Bytes::from(protocol::encode_sync_step2(&update));
                    inner.full_state_frame = Some(f.clone());
                    f
                }
            }
        } else {
            let update = guard::encode_diff(&inner.doc, &sv).map_err(|e| internal(&e))?;
            Bytes::from(protocol::encode_sync_step2(&update))
        };
        inner.peers.send(conn, frame);
        Ok(())
    }

    /// Applies a client's update (sync step 2 or update): relays it to every
    /// peer (the sender too), the bus and the durable log.
    pub fn client_update(self: &Arc<Self>, conn: ConnId, update: &[u8]) -> Result<Accepted, Close> {
        let mut inner = self.inner.lock();
        let Some(peer) = inner.peers.get(conn) else {
            return Ok(Accepted::Duplicate);
        };
        if !peer.role.can_edit() {
            crate::metrics::rejected_message("read_only");
            return Ok(Accepted::ReadOnly);
        }
        let user = peer.user_id.clone();
        self.apply_locked(&mut inner, update, Source::Client(conn), Some(user))
    }

    /// Applies an update that did not come from a socket (REST, restore).
    pub fn server_update(
        self: &Arc<Self>,
        update: &[u8],
        user_id: Option<String>,
    ) -> Result<Accepted, Close> {
        let mut inner = self.inner.lock();
        self.apply_locked(&mut inner, update, Source::Server, user_id)
    }

    fn apply_locked(
        self: &Arc<Self>,
        inner: &mut RoomInner,
        update: &[u8],
        source: Source,
        user_id: Option<String>,
    ) -> Result<Accepted, Close> {
        let max = self.ctx.limits.max_doc_bytes;
        if inner.log.size.saturating_add(update.len()) > max {
            crate::metrics::rejected_message("doc_too_large");
            return Err(Close::new(
                protocol::CLOSE_DOC_TOO_LARGE,
                format!("document would exceed {max} bytes"),
            ));
        }
        // Resident memory grows with the number of items far faster than
        // with the encoded size: bound items too. Every struct takes at
        // least two bytes, so only an update that could cross the bound is
        // counted exactly.
        let max_items = self.ctx.limits.max_doc_items;
        if inner.log.items.saturating_add(update.len() as u64 / 2) > max_items {
            let structs = guard::walk::scan_update(update).map_or(0, |s| s.structs);
            if inner.log.items.saturating_add(structs) > max_items {
                crate::metrics::rejected_message("doc_too_many_items");
                return Err(Close::new(
                    protocol::CLOSE_DOC_TOO_LARGE,
                    format!("document would exceed {max_items} items"),
                ));
            }
        }
        // Logged here: accepted from a client or REST on this instance, or a
        // repair from another instance that may not be durable anywhere.
        let logged = matches!(source, Source::Client(_) | Source::Server | Source::Repair);
        if logged && self.ctx.persist.backlog().admit().is_err() {
            // A database outage has lasted too long: refuse new edits rather
            // than grow memory without bound. What the document already has
            // is still accepted (a reconnecting client resends it).
            if !adds_anything(&inner.doc, update) {
                return Ok(Accepted::Duplicate);
            }
            crate::metrics::rejected_message("unsaved_backlog");
            return Err(Close::new(
                protocol::CLOSE_TRY_AGAIN,
                "edits cannot be saved right now; keep them and retry shortly",
            ));
        }
        // When the update may complete structs that were waiting for their
        // dependencies (updates from other instances, or a document already
        // holding pending structs), peers get the diff of everything newly
        // integrated, not just these bytes.
        let relay_diff =
            matches!(source, Source::Bus | Source::Log | Source::Repair) || inner.log.pending;
        let sv_before = relay_diff.then(|| inner.doc.transact().state_vector());
        let outcome: ApplyOutcome = match guard::apply_update_bytes(&inner.doc, update) {
            Ok(o) => o,
            Err(e) => {
                if e.doc_may_be_corrupt() {
                    // The document may be partly modified: rebuild from storage.
                    tracing::error!(doc = %self.id, error = %e, "apply failed mid-way; reloading room");
                    self.poison(inner);
                }
                return Err(reject("update", &e));
            }
        };
        if outcome.dropped_pending {
            // Parked items would have landed nested too deep once their
            // dependency arrived: the guard dropped them (their log rows stay).
            crate::metrics::dropped_parked_items();
            tracing::warn!(doc = %self.id, "dropped parked items that would nest too deep");
        }
        if let Some(waited) = inner.log.note_pending(outcome.pending, Instant::now())
            && waited >= PENDING_REPORT_AFTER
        {
            tracing::info!(doc = %self.id, "missing updates arrived; document complete again");
        }
        if outcome.changed {
            crate::metrics::updates_in();
            crate::metrics::update_bytes_in(update.len() as u64);
            inner
                .log
                .edited(Instant::now(), update.len(), outcome.structs);
            inner.full_state_frame = None;
            let relayed = match &sv_before {
                Some(sv) => guard::encode_diff(&inner.doc, sv).unwrap_or_else(|_| update.to_vec()),
                None => update.to_vec(),
            };
            inner
                .peers
                .broadcast(&Bytes::from(protocol::encode_update(&relayed)));
        }
        let local = matches!(source, Source::Client(_) | Source::Server);
        if !(outcome.changed || (local && outcome.pending)) {
            return Ok(Accepted::Duplicate);
        }
        if logged {
            // A pending update is logged too: its dependencies may reach
            // this or another instance later. Other instances get it once
            // it is durable (see `on_durable`).
            inner.log.in_flight += 1;
            let conn = match source {
                Source::Client(c) => Some(c),
                _ => None,
            };
            if let Some(c) = conn {
                inner.peers.note_unacked(c);
            }
            self.ctx.persist.send(PendingUpdate {
                room: Arc::downgrade(self),
                doc_id: self.id.clone(),
                data: Bytes::copy_from_slice(update),
                user_id,
                conn,
                publish: source != Source::Repair,
                at: crate::util::now_ms(),
            });
        }
        Ok(if outcome.changed {
            Accepted::Applied
        } else {
            Accepted::Duplicate
        })
    }

    /// Structs have waited for their dependencies longer than the bound.
    pub fn missing_updates_overdue(&self) -> bool {
        self.inner.lock().log.pending_overdue(Instant::now())
    }

    /// Marks the room unusable: every peer is closed (they reconnect and
    /// resync into a freshly loaded room).
    fn poison(&self, inner: &mut RoomInner) {
        inner.closed = true;
        inner
            .peers
            .close_all(&Close::new(protocol::CLOSE_RESTART, "document reloading"));
        // Not here: the registry lock is taken before room locks, never after.
        let on_poisoned = self.ctx.on_poisoned.clone();
        let id = self.id.clone();
        tokio::spawn(async move { on_poisoned(&id) });
    }

    /// Called by the writer once `updates` (this room's, in acceptance
    /// order) are durable: acknowledges their senders and only now
    /// publishes them to other instances, so no other instance's client can
    /// see an update that dies with this instance. True when the room
    /// should be compacted.
    pub fn on_durable(&self, updates: &[PendingUpdate]) -> bool {
        let mut locked = self.inner.lock();
        let inner = &mut *locked;
        let compact = inner.log.durable(updates.len() as u64, &self.ctx.upkeep);
        let mut acked: HashMap<ConnId, u64> = HashMap::new();
        for c in updates.iter().filter_map(|u| u.conn) {
            *acked.entry(c).or_default() += 1;
        }
        for (conn, count) in acked {
            inner.peers.acknowledge(conn, count);
        }
        for u in updates.iter().filter(|u| u.publish) {
            self.publish(inner, BusPayload::Update(u.data.clone()));
        }
        compact
    }

    /// What the periodic upkeep should do now (nothing before loading).
    pub fn upkeep(&self, now: Instant) -> Upkeep {
        let inner = self.inner.lock();
        if !inner.loaded {
            return Upkeep::default();
        }
        inner.log.upkeep(now, inner.peers.len(), &self.ctx.upkeep)
    }

    /// Closes the room when nothing is left to do for it (no peers,
    /// nothing unsaved or uncompacted). True when it was closed.
    pub(crate) fn close_if_idle(&self) -> bool {
        let mut inner = self.inner.lock();
        if inner.log.idle(inner.peers.len(), &self.ctx.upkeep) {
            inner.closed = true;
            true
        } else {
            false
        }
    }

    /// Starts a compaction: false when the room is not loaded, closed,
    /// already compacting or backing off after a failure.
    pub(crate) fn begin_compaction(&self, now: Instant) -> bool {
        let mut inner = self.inner.lock();
        if !inner.loaded || inner.closed {
            return false;
        }
        inner.log.begin_compaction(now)
    }

    /// Applies the logged `updates` (idempotent; fills gaps and relays them
    /// when something was missed), then returns the full state, its state
    /// vector and its text; the search text counts as written.
    pub(crate) fn absorb_log(
        self: &Arc<Self>,
        updates: &[crate::store::StoredUpdate],
    ) -> Result<(Vec<u8>, StateVector, String), GuardError> {
        let mut inner = self.inner.lock();
        for u in updates {
            let _ = self.apply_locked(&mut inner, &u.data, Source::Log, None);
        }
        let state = guard::encode_full_state(&inner.doc)?;
        let sv = inner.doc.transact().state_vector();
        let text = super::content::plain_text(&inner.doc);
        inner.log.text_dirty = false;
        Ok((state, sv, text))
    }

    /// A snapshot was written: the exact size and item count of the state.
    pub(crate) fn compacted_to(&self, size: usize, items: u64) {
        let mut inner = self.inner.lock();
        inner.log.size = size;
        inner.log.items = items;
    }

    /// Ends the running compaction (`None`: it failed).
    pub(crate) fn end_compaction(&self, result: Option<Compacted>) -> CompactionEnd {
        self.inner.lock().log.end_compaction(result, Instant::now())
    }

    /// The searchable text, when it changed since last written (it then
    /// counts as written; see [`text_write_failed`](Self::text_write_failed)).
    pub(crate) fn take_dirty_text(&self) -> Option<String> {
        let mut inner = self.inner.lock();
        if !inner.log.text_dirty {
            return None;
        }
        inner.log.text_dirty = false;
        Some(super::content::plain_text(&inner.doc))
    }

    pub(crate) fn text_write_failed(&self) {
        self.inner.lock().log.text_dirty = true;
    }

    /// A version of the current state was saved (or cannot be: quota).
    pub(crate) fn version_saved(&self) {
        self.inner.lock().log.auto_version_due = false;
    }

    /// Updates of this room handed to persistence and not yet durable.
    pub fn unsaved(&self) -> u64 {
        self.inner.lock().log.in_flight
    }

    /// The distinct users and credentials connected here.
    pub(crate) fn users_and_credentials(&self) -> (Vec<String>, Vec<Credential>) {
        self.inner.lock().peers.users_and_credentials()
    }

    /// Changes a user's role on live connections: removal closes (4403),
    /// a demotion to viewer makes the sockets read-only; either way the
    /// affected sockets are told (see [`Room::on_event`]).
    pub fn set_role(self: &Arc<Self>, user_id: &str, role: Option<Role>) {
        let event = crate::collab::events::DocEvent::Role {
            user_id: user_id.to_string(),
            role,
        };
        self.on_event(&event);
    }

    /// Closes every socket opened with `credential` (a revoked API token or
    /// session): 4401, permanent.
    pub fn revoke_credential(&self, credential: &str) {
        self.inner.lock().peers.revoke_credential(credential);
    }

    /// Closes every connection (document deleted, shutdown).
    pub fn close_all(&self, close: Close) {
        let mut inner = self.inner.lock();
        inner.closed = true;
        inner.peers.close_all(&close);
    }

    /// Runs `f` on the live document.
    pub fn with_doc<T>(&self, f: impl FnOnce(&Doc) -> T) -> T {
        f(&self.inner.lock().doc)
    }

    /// Estimated resident memory of the live document: items cost far more
    /// in memory than on the wire (about [`ITEM_RESIDENT_BYTES`] each).
    pub fn resident_estimate(&self) -> u64 {
        let inner = self.inner.lock();
        (inner.log.size as u64).max(inner.log.items.saturating_mul(ITEM_RESIDENT_BYTES))
    }

    /// True when `user_id` has a socket in this room.
    pub fn has_user(&self, user_id: &str) -> bool {
        self.inner.lock().peers.has_user(user_id)
    }

    pub fn peer_count(&self) -> usize {
        self.inner.lock().peers.len()
    }

    /// (user id, username, connections) of everyone connected here.
    pub fn presence(&self) -> Vec<(String, String, usize)> {
        self.inner.lock().peers.presence()
    }

    /// This instance's presence report for the bus.
    pub fn presence_records(&self) -> Vec<crate::bus::PresenceRecord> {
        let now = crate::util::now_ms();
        self.presence()
            .into_iter()
            .map(
                |(user_id, username, connections)| crate::bus::PresenceRecord {
                    user_id,
                    username,
                    connections,
                    last_seen_ms: now,
                },
            )
            .collect()
    }
}

/// Approximate memory one CRDT item takes once integrated (measured with
/// single-character items: 2.4 MB of updates took ~150 MB).
pub const ITEM_RESIDENT_BYTES: u64 = 250;

/// True when applying `update` would add structs or deletions the document
/// does not have (used only when edits are being refused).
fn adds_anything(doc: &Doc, update: &[u8]) -> bool {
    let Ok(decoded) = guard::decode_update(update) else {
        return true;
    };
    let have = doc.transact().state_vector();
    !super::persist::snapshot::structs_within(&decoded, &have) || !decoded.delete_set().is_empty()
}

/// A fresh document with the options every room uses (UTF-16 offsets, as JS).
pub fn new_doc() -> Doc {
    guard::new_doc()
}

pub(crate) trait EncodeSv {
    fn encode_v1_bytes(&self) -> Vec<u8>;
}

impl EncodeSv for StateVector {
    fn encode_v1_bytes(&self) -> Vec<u8> {
        use yrs::updates::encoder::Encode;
        self.encode_v1()
    }
}

pub(crate) fn reject(what: &'static str, e: &GuardError) -> Close {
    crate::metrics::rejected_message(e.reason());
    tracing::info!(message = what, error = %e, "rejected client message");
    let code = match e {
        GuardError::TooLarge(_) => protocol::CLOSE_TOO_BIG,
        _ => protocol::CLOSE_POLICY,
    };
    Close::new(code, format!("invalid {what}: {}", e.reason()))
}

fn internal(e: &GuardError) -> Close {
    tracing::error!(error = %e, "encoding failed");
    Close::new(protocol::CLOSE_INTERNAL, "internal error")
}

#[cfg(test)]
pub(crate) mod tests;
