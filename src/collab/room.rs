//! A document room: the live `yrs` document of one document, shared by all of
//! its connections on this instance.
//!
//! Everything that touches the document happens under one short-lived lock:
//! apply an update (guarded), enqueue the encoded frame on every peer's
//! outbound queue (encoded once, shared as `Bytes`), hand the update to the
//! group-commit writer and the bus. Relay never waits on the database.
//! A peer whose queue is full is closed (it reconnects and resyncs) rather
//! than silently skipped.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use quire_doc::guard::{self, ApplyOutcome, AwarenessEntry, GuardError};
use quire_doc::protocol;
use tokio_util::sync::CancellationToken;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::awareness::AwarenessState;
use super::hub::{Hub, PendingUpdate};
use super::outbox::Outbox;
use crate::bus::{BusMessage, BusPayload};
use crate::store::Role;

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

/// Close codes beyond the standard ones. 4400–4499 are permanent for
/// y-websocket clients (they do not reconnect).
pub mod codes {
    pub const UNAUTHENTICATED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const SCHEMA_OUTDATED: u16 = 4426;
    pub const DOC_TOO_LARGE: u16 = 4413;
    pub const GONE: u16 = 4404;
    pub const TOO_BIG: u16 = 1009;
    pub const TRY_AGAIN: u16 = 1013;
    pub const RESTART: u16 = 1012;
    pub const INTERNAL: u16 = 1011;
}

/// The room was closed (reloading, evicted, deleted): join a fresh one.
#[derive(Debug)]
pub struct RoomClosed;

pub struct Peer {
    /// Frames to this socket; closing the peer goes through it too.
    pub outbox: Arc<Outbox>,
    pub user_id: String,
    pub username: String,
    /// The effective role: the document role capped by [`Peer::cap`].
    pub role: Role,
    /// The highest role the credential allows (a read-only API token caps
    /// at viewer). Every later role change is capped by it too.
    pub cap: Role,
    /// Which credential opened the socket (API token id or session id),
    /// so revoking it can close the socket.
    pub credential: Option<String>,
    /// Wants `MSG_QUIRE_ACK` after its updates are durable.
    pub acks: bool,
    /// Updates from this peer handed to persistence, not yet acknowledged.
    pub unacked: u64,
    /// Updates from this peer made durable so far (the ack's payload).
    pub acked_total: u64,
    /// Awareness client ids this socket owns.
    pub client_ids: Vec<u64>,
}

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

pub(super) struct RoomInner {
    pub doc: Doc,
    pub loaded: bool,
    pub bus_buffer: Vec<BusMessage>,
    pub peers: HashMap<ConnId, Peer>,
    pub awareness: HashMap<u64, AwarenessState>,
    /// Which user first used each awareness client id, for the life of the
    /// room: nobody else may take it over, even after its owner left.
    pub aw_owner: HashMap<u64, String>,
    pub aw_dirty: Vec<u64>,
    pub aw_last_flush: Option<Instant>,
    pub aw_flush_scheduled: bool,
    /// Encoded answer to query-awareness, until awareness changes.
    pub aw_query_frame: Option<Bytes>,
    /// Cached sync-step-2 frame for an empty state vector (joiners).
    pub full_state_frame: Option<Bytes>,
    /// Approximate encoded size of the document.
    pub size: usize,
    /// Updates handed to persistence and not yet durable.
    pub in_flight: u64,
    /// Durable updates not yet covered by a snapshot.
    pub since_snapshot: u64,
    pub last_edit: Option<Instant>,
    pub compacting: bool,
    /// Edited since the searchable text was last written.
    pub text_dirty: bool,
    /// Edited since the last version (for automatic versions).
    pub auto_version_due: bool,
    /// Yrs holds updates with missing dependencies. Compaction still runs
    /// (the log rows they came in are kept until they integrate).
    pub pending: bool,
    /// When `pending` was first seen (reported after a bound).
    pub pending_since: Option<Instant>,
    /// Consecutive failed compactions, and when the next may run.
    pub compact_failures: u32,
    pub compact_retry_at: Option<Instant>,
    /// Approximate number of blocks (CRDT items) in the document.
    pub items: u64,
    /// Log rows the newest snapshot covers but that are kept for the
    /// fallback to the previous one; the next compaction deletes them.
    pub reclaimable_rows: u64,
    pub closed: bool,
    pub bus_seq: u64,
    pub bus_seen: HashMap<String, u64>,
}

pub struct Room {
    pub id: String,
    pub(super) inner: Mutex<RoomInner>,
    pub(super) ready: tokio::sync::OnceCell<Result<(), String>>,
    pub(super) shared: Arc<Hub>,
    pub(super) stop: CancellationToken,
}

impl Room {
    pub(super) fn new(id: &str, shared: Arc<Hub>) -> Self {
        Self {
            id: id.to_string(),
            inner: Mutex::new(RoomInner {
                doc: new_doc(),
                loaded: false,
                bus_buffer: Vec::new(),
                peers: HashMap::new(),
                awareness: HashMap::new(),
                aw_owner: HashMap::new(),
                aw_dirty: Vec::new(),
                aw_last_flush: None,
                aw_flush_scheduled: false,
                aw_query_frame: None,
                full_state_frame: None,
                size: 0,
                in_flight: 0,
                since_snapshot: 0,
                last_edit: None,
                compacting: false,
                text_dirty: false,
                auto_version_due: false,
                pending: false,
                pending_since: None,
                compact_failures: 0,
                compact_retry_at: None,
                items: 0,
                reclaimable_rows: 0,
                closed: false,
                bus_seq: 0,
                bus_seen: HashMap::new(),
            }),
            ready: tokio::sync::OnceCell::new(),
            stop: CancellationToken::new(),
            shared,
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
            let entries: Vec<AwarenessEntry> = inner
                .awareness
                .iter()
                .map(|(id, s)| AwarenessEntry {
                    client_id: *id,
                    clock: s.clock,
                    state: s.state.clone(),
                })
                .collect();
            let frame = protocol::encode_awareness(&guard::encode_awareness_update(&entries));
            let _ = peer.outbox.push(Bytes::from(frame));
        }
        inner.peers.insert(conn, peer);
        metrics::gauge!("quire_ws_connections").increment(1.0);
        Ok(())
    }

    /// Removes a peer and its awareness states (announced as removed).
    /// Returns true when the room has no peers left.
    pub fn leave(self: &Arc<Self>, conn: ConnId) -> bool {
        let mut inner = self.inner.lock();
        if let Some(peer) = inner.peers.remove(&conn) {
            metrics::gauge!("quire_ws_connections").decrement(1.0);
            let mut removed = Vec::new();
            for id in peer.client_ids {
                if let Some(state) = inner.awareness.remove(&id) {
                    removed.push(AwarenessEntry {
                        client_id: id,
                        clock: state.clock + 1,
                        state: "null".into(),
                    });
                }
            }
            if !removed.is_empty() {
                inner.aw_query_frame = None;
                let payload = Bytes::from(guard::encode_awareness_update(&removed));
                let frame = Bytes::from(protocol::encode_awareness(&payload));
                broadcast(&mut inner, &frame);
                self.publish(&mut inner, BusPayload::Awareness(payload));
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
        if let Some(peer) = inner.peers.get(&conn) {
            send_or_close(peer, frame);
        }
        Ok(())
    }

    /// Applies a client's update (sync step 2 or update): relays it to every
    /// peer (the sender too), the bus and the durable log.
    pub fn client_update(self: &Arc<Self>, conn: ConnId, update: &[u8]) -> Result<Accepted, Close> {
        let mut inner = self.inner.lock();
        let Some(peer) = inner.peers.get(&conn) else {
            return Ok(Accepted::Duplicate);
        };
        if !peer.role.can_edit() {
            metrics::counter!("quire_rejected_messages_total", "reason" => "read_only")
                .increment(1);
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

    pub(super) fn apply_locked(
        self: &Arc<Self>,
        inner: &mut RoomInner,
        update: &[u8],
        source: Source,
        user_id: Option<String>,
    ) -> Result<Accepted, Close> {
        let max = self.shared.config.limits.max_doc_bytes;
        if inner.size.saturating_add(update.len()) > max {
            metrics::counter!("quire_rejected_messages_total", "reason" => "doc_too_large")
                .increment(1);
            return Err(Close::new(
                codes::DOC_TOO_LARGE,
                format!("document would exceed {max} bytes"),
            ));
        }
        // Resident memory grows with the number of items far faster than
        // with the encoded size: bound items too. Every struct takes at
        // least two bytes, so only an update that could cross the bound is
        // counted exactly.
        let max_items = self.shared.config.persistence.max_doc_items;
        if inner.items.saturating_add(update.len() as u64 / 2) > max_items {
            let structs = guard::walk::scan_update(update).map_or(0, |s| s.structs);
            if inner.items.saturating_add(structs) > max_items {
                metrics::counter!("quire_rejected_messages_total", "reason" => "doc_too_many_items")
                    .increment(1);
                return Err(Close::new(
                    codes::DOC_TOO_LARGE,
                    format!("document would exceed {max_items} items"),
                ));
            }
        }
        // Logged here: accepted from a client or REST on this instance, or a
        // repair from another instance that may not be durable anywhere.
        let logged = matches!(source, Source::Client(_) | Source::Server | Source::Repair);
        if logged && self.shared.unsaved_backlog_full() {
            // A database outage has lasted too long: refuse new edits rather
            // than grow memory without bound. What the document already has
            // is still accepted (a reconnecting client resends it).
            if !adds_anything(&inner.doc, update) {
                return Ok(Accepted::Duplicate);
            }
            metrics::counter!("quire_rejected_messages_total", "reason" => "unsaved_backlog")
                .increment(1);
            return Err(Close::new(
                codes::TRY_AGAIN,
                "edits cannot be saved right now; keep them and retry shortly",
            ));
        }
        // When the update may complete structs that were waiting for their
        // dependencies (updates from other instances, or a document already
        // holding pending structs), peers get the diff of everything newly
        // integrated, not just these bytes.
        let relay_diff =
            matches!(source, Source::Bus | Source::Log | Source::Repair) || inner.pending;
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
            metrics::counter!("quire_dropped_parked_items_total").increment(1);
            tracing::warn!(doc = %self.id, "dropped parked items that would nest too deep");
        }
        self.note_pending(inner, outcome.pending);
        if outcome.changed {
            metrics::counter!("quire_updates_in_total").increment(1);
            metrics::counter!("quire_update_bytes_in_total").increment(update.len() as u64);
            inner.size += update.len();
            // An over-estimate (duplicated structs count too); compaction
            // recounts exactly.
            inner.items += outcome.structs;
            inner.full_state_frame = None;
            inner.last_edit = Some(Instant::now());
            inner.text_dirty = true;
            inner.auto_version_due = true;
            let relayed = match &sv_before {
                Some(sv) => guard::encode_diff(&inner.doc, sv).unwrap_or_else(|_| update.to_vec()),
                None => update.to_vec(),
            };
            broadcast(inner, &Bytes::from(protocol::encode_update(&relayed)));
        }
        let local = matches!(source, Source::Client(_) | Source::Server);
        if !(outcome.changed || (local && outcome.pending)) {
            return Ok(Accepted::Duplicate);
        }
        if logged {
            // A pending update is logged too: its dependencies may reach
            // this or another instance later. Other instances get it once
            // it is durable (see `on_durable`).
            inner.in_flight += 1;
            let conn = match source {
                Source::Client(c) => Some(c),
                _ => None,
            };
            if let Some(c) = conn
                && let Some(p) = inner.peers.get_mut(&c)
            {
                p.unacked += 1;
            }
            self.shared.persist(PendingUpdate {
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

    /// Tracks whether yrs holds structs with missing dependencies; they are
    /// reported (log, metric, readiness detail) once they have waited
    /// longer than [`PENDING_REPORT_AFTER`].
    fn note_pending(&self, inner: &mut RoomInner, pending: bool) {
        match (pending, inner.pending_since) {
            (true, None) => inner.pending_since = Some(Instant::now()),
            (false, Some(since)) => {
                inner.pending_since = None;
                if since.elapsed() >= PENDING_REPORT_AFTER {
                    tracing::info!(doc = %self.id, "missing updates arrived; document complete again");
                }
            }
            _ => {}
        }
        inner.pending = pending;
    }

    /// Structs have waited for their dependencies longer than the bound.
    pub fn missing_updates_overdue(&self) -> bool {
        self.inner
            .lock()
            .pending_since
            .is_some_and(|t| t.elapsed() >= PENDING_REPORT_AFTER)
    }

    /// Marks the room unusable: every peer is closed (they reconnect and
    /// resync into a freshly loaded room).
    fn poison(&self, inner: &mut RoomInner) {
        inner.closed = true;
        for peer in inner.peers.values() {
            peer.outbox
                .close(Close::new(codes::RESTART, "document reloading"));
        }
        // Not here: the registry lock is taken before room locks, never after.
        let hub = self.shared.clone();
        let id = self.id.clone();
        tokio::spawn(async move { hub.forget_closed_room(&id) });
    }

    /// Called by the writer once `updates` (this room's, in acceptance
    /// order) are durable: acknowledges their senders and only now
    /// publishes them to other instances, so no other instance's client can
    /// see an update that dies with this instance.
    pub(super) fn on_durable(&self, updates: &[PendingUpdate]) -> DurableOutcome {
        let mut inner = self.inner.lock();
        let n = updates.len() as u64;
        inner.in_flight = inner.in_flight.saturating_sub(n);
        inner.since_snapshot += n;
        let mut acked: HashMap<ConnId, u64> = HashMap::new();
        for c in updates.iter().filter_map(|u| u.conn) {
            *acked.entry(c).or_default() += 1;
        }
        for (conn, count) in acked {
            if let Some(peer) = inner.peers.get_mut(&conn) {
                peer.unacked = peer.unacked.saturating_sub(count);
                peer.acked_total += count;
                if peer.acks && peer.unacked == 0 {
                    send_or_close(peer, Bytes::from(protocol::encode_ack(peer.acked_total)));
                }
            }
        }
        for u in updates.iter().filter(|u| u.publish) {
            self.publish(&mut inner, BusPayload::Update(u.data.clone()));
        }
        let every = self.shared.config.persistence.compact_every_updates;
        DurableOutcome {
            compact: (inner.since_snapshot >= every || inner.reclaimable_rows >= every)
                && !inner.compacting,
        }
    }

    /// Changes a user's role on live connections: removal closes (4403),
    /// a demotion to viewer makes the sockets read-only.
    pub fn set_role(&self, user_id: &str, role: Option<Role>) {
        let mut inner = self.inner.lock();
        for peer in inner.peers.values_mut().filter(|p| p.user_id == user_id) {
            match role {
                None => peer
                    .outbox
                    .close(Close::new(codes::FORBIDDEN, "access revoked")),
                // The credential's cap always applies (a read-only token
                // stays read-only whatever the user's role becomes).
                Some(r) => peer.role = r.min(peer.cap),
            }
        }
    }

    /// Closes every socket opened with `credential` (a revoked API token or
    /// session): 4401, permanent.
    pub fn revoke_credential(&self, credential: &str) {
        let inner = self.inner.lock();
        for peer in inner
            .peers
            .values()
            .filter(|p| p.credential.as_deref() == Some(credential))
        {
            peer.outbox
                .close(Close::new(codes::UNAUTHENTICATED, "credential revoked"));
        }
    }

    /// Closes every connection (document deleted, shutdown).
    pub fn close_all(&self, close: Close) {
        let mut inner = self.inner.lock();
        inner.closed = true;
        for peer in inner.peers.values() {
            peer.outbox.close(close.clone());
        }
    }

    /// Runs `f` on the live document.
    pub fn with_doc<T>(&self, f: impl FnOnce(&Doc) -> T) -> T {
        f(&self.inner.lock().doc)
    }

    /// Estimated resident memory of the live document: items cost far more
    /// in memory than on the wire (about [`ITEM_RESIDENT_BYTES`] each).
    pub fn resident_estimate(&self) -> u64 {
        let inner = self.inner.lock();
        (inner.size as u64).max(inner.items.saturating_mul(ITEM_RESIDENT_BYTES))
    }

    /// True when `user_id` has a socket in this room.
    pub fn has_user(&self, user_id: &str) -> bool {
        self.inner
            .lock()
            .peers
            .values()
            .any(|p| p.user_id == user_id)
    }

    pub fn peer_count(&self) -> usize {
        self.inner.lock().peers.len()
    }

    /// (user id, username, connections) of everyone connected here.
    pub fn presence(&self) -> Vec<(String, String, usize)> {
        let inner = self.inner.lock();
        let mut by_user: HashMap<&str, (String, usize)> = HashMap::new();
        for p in inner.peers.values() {
            by_user
                .entry(&p.user_id)
                .or_insert_with(|| (p.username.clone(), 0))
                .1 += 1;
        }
        by_user
            .into_iter()
            .map(|(id, (name, n))| (id.to_string(), name, n))
            .collect()
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

/// How long structs may wait for missing dependencies before the room is
/// reported (a client or instance that never sent them).
pub const PENDING_REPORT_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// True when applying `update` would add structs or deletions the document
/// does not have (used only when edits are being refused).
fn adds_anything(doc: &Doc, update: &[u8]) -> bool {
    let Ok(decoded) = guard::decode_update(update) else {
        return true;
    };
    let have = doc.transact().state_vector();
    !super::snapshot::structs_within(&decoded, &have) || !decoded.delete_set().is_empty()
}

pub(super) struct DurableOutcome {
    /// Enough durable updates since the last snapshot: compact now.
    pub compact: bool,
}

/// A fresh document with the options every room uses (UTF-16 offsets, as JS).
pub fn new_doc() -> Doc {
    guard::new_doc()
}

pub(super) trait EncodeSv {
    fn encode_v1_bytes(&self) -> Vec<u8>;
}

impl EncodeSv for StateVector {
    fn encode_v1_bytes(&self) -> Vec<u8> {
        use yrs::updates::encoder::Encode;
        self.encode_v1()
    }
}

/// Enqueues `frame` on every peer; closes peers whose queue is full.
pub(super) fn broadcast(inner: &mut RoomInner, frame: &Bytes) {
    for peer in inner.peers.values() {
        send_or_close(peer, frame.clone());
    }
    metrics::counter!("quire_frames_out_total").increment(inner.peers.len() as u64);
}

pub(super) fn send_or_close(peer: &Peer, frame: Bytes) {
    if peer.outbox.push(frame).is_err() {
        metrics::counter!("quire_slow_consumers_total").increment(1);
        peer.outbox.close(Close::new(
            codes::TRY_AGAIN,
            "too slow; reconnect to resync",
        ));
    }
}

pub(super) fn reject(what: &'static str, e: &GuardError) -> Close {
    metrics::counter!("quire_rejected_messages_total", "reason" => e.reason()).increment(1);
    tracing::info!(message = what, error = %e, "rejected client message");
    let code = match e {
        GuardError::TooLarge(_) => codes::TOO_BIG,
        _ => 1008,
    };
    Close::new(code, format!("invalid {what}: {}", e.reason()))
}

fn internal(e: &GuardError) -> Close {
    tracing::error!(error = %e, "encoding failed");
    Close::new(codes::INTERNAL, "internal error")
}
