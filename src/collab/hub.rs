//! The hub: registry of live rooms, loading (subscribe → load → apply
//! buffer), the group-commit writer of the update log, compaction, idle
//! eviction, periodic permission re-checks and anti-entropy.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use quire_doc::guard;
use tokio::sync::mpsc;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, Transact};

use super::room::{Close, ConnId, Room, Source, codes};
use super::snapshot;
use crate::bus::Bus;
use crate::config::Config;
use crate::store::{NewSnapshot, NewVersion, Store, StoreError, Version};

/// An accepted update on its way to the durable log.
pub struct PendingUpdate {
    /// The room to acknowledge and publish from once durable (no registry
    /// lookup: a room replaced meanwhile still gets its own updates back).
    pub room: Weak<Room>,
    pub doc_id: String,
    pub data: Bytes,
    pub user_id: Option<String>,
    pub conn: Option<ConnId>,
    /// Publish to other instances once durable (false for repairs, which
    /// other instances received already).
    pub publish: bool,
    pub at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum CollabError {
    #[error("document could not be loaded: {0}")]
    Load(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("document state could not be encoded: {0}")]
    Encode(String),
    #[error("change refused: {0}")]
    Rejected(String),
}

pub struct Hub {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub bus: Arc<dyn Bus>,
    pub instance_id: String,
    pub(super) rooms: Mutex<HashMap<String, Arc<Room>>>,
    persist_tx: mpsc::UnboundedSender<PendingUpdate>,
    /// Updates accepted and not yet durable, all documents.
    pub(super) in_flight: AtomicU64,
    /// Failed compactions since start (also `quire_compaction_failures_total`).
    compaction_failures: AtomicU64,
    user_conns: Mutex<HashMap<String, usize>>,
}

impl Hub {
    /// Creates the hub and starts its background tasks (writer, ticker).
    pub fn start(
        store: Arc<dyn Store>,
        config: Config,
        bus: Arc<dyn Bus>,
        instance_id: String,
    ) -> Arc<Self> {
        let (persist_tx, persist_rx) = mpsc::unbounded_channel();
        let hub = Arc::new(Self {
            store,
            config,
            bus,
            instance_id,
            rooms: Mutex::new(HashMap::new()),
            persist_tx,
            in_flight: AtomicU64::new(0),
            compaction_failures: AtomicU64::new(0),
            user_conns: Mutex::new(HashMap::new()),
        });
        tokio::spawn(super::writer::writer_loop(hub.clone(), persist_rx));
        tokio::spawn(super::maintenance::ticker(Arc::downgrade(&hub)));
        hub
    }

    pub(super) fn persist(&self, update: PendingUpdate) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        if self.persist_tx.send(update).is_err() {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            tracing::error!("update log writer is gone; update kept in memory only");
        }
    }

    /// Updates accepted by this instance and not yet durable.
    pub fn unsaved_updates(&self) -> u64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Failed compactions since this instance started.
    pub fn compaction_failures(&self) -> u64 {
        self.compaction_failures.load(Ordering::Relaxed)
    }

    /// True when the unsaved backlog reached `MAX_UNSAVED_UPDATES`: new
    /// edits are refused until the database catches up.
    pub fn unsaved_backlog_full(&self) -> bool {
        self.unsaved_updates() >= self.config.persistence.max_unsaved_updates
    }

    /// The live room of `doc_id`, loading it if needed.
    pub async fn room(self: &Arc<Self>, doc_id: &str) -> Result<Arc<Room>, CollabError> {
        for _ in 0..5 {
            let room = {
                let mut rooms = self.rooms.lock();
                rooms
                    .entry(doc_id.to_string())
                    .or_insert_with(|| {
                        metrics::gauge!("quire_rooms_active").increment(1.0);
                        Arc::new(Room::new(doc_id, self.clone()))
                    })
                    .clone()
            };
            let loaded = room
                .ready
                .get_or_init(|| self.clone().load_room(room.clone()))
                .await;
            match loaded {
                Ok(()) if !room.inner.lock().closed => return Ok(room),
                Ok(()) => {
                    // Evicted or poisoned meanwhile: take a fresh one.
                    self.forget_closed_room(doc_id);
                    continue;
                }
                Err(e) => {
                    self.forget_room_if(&room);
                    return Err(CollabError::Load(e.clone()));
                }
            }
        }
        Err(CollabError::Load("room keeps closing".into()))
    }

    /// The live room if the document is active here.
    pub fn active_room(&self, doc_id: &str) -> Option<Arc<Room>> {
        let room = self.rooms.lock().get(doc_id).cloned()?;
        room.ready.get().is_some_and(|r| r.is_ok()).then_some(room)
    }

    /// Removes the registered room of `doc_id` if it is closed.
    pub(super) fn forget_closed_room(&self, doc_id: &str) {
        let mut rooms = self.rooms.lock();
        if let Some(room) = rooms.get(doc_id).cloned()
            && room.inner.lock().closed
        {
            rooms.remove(doc_id);
            room.stop.cancel();
            metrics::gauge!("quire_rooms_active").decrement(1.0);
        }
    }

    pub(super) fn forget_room(&self, doc_id: &str) {
        if let Some(room) = self.rooms.lock().remove(doc_id) {
            room.stop.cancel();
            metrics::gauge!("quire_rooms_active").decrement(1.0);
        }
    }

    fn forget_room_if(&self, room: &Arc<Room>) {
        let mut rooms = self.rooms.lock();
        if rooms.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
            rooms.remove(&room.id);
            room.stop.cancel();
            metrics::gauge!("quire_rooms_active").decrement(1.0);
        }
    }

    /// Subscribe to the bus first (buffering), then load snapshot + log,
    /// then apply what the bus delivered meanwhile (SPEC §3).
    async fn load_room(self: Arc<Self>, room: Arc<Room>) -> Result<(), String> {
        let started = Instant::now();
        match self.bus.subscribe(&room.id).await {
            Ok(mut sub) => {
                let r = room.clone();
                tokio::spawn(async move {
                    let _guard = sub.guard;
                    loop {
                        tokio::select! {
                            _ = r.stop.cancelled() => break,
                            msg = sub.rx.recv() => match msg {
                                Some(m) => r.on_bus(m),
                                None => break,
                            },
                        }
                    }
                });
            }
            Err(e) => {
                tracing::warn!(doc = %room.id, error = %e, "bus unavailable; serving this instance only")
            }
        }
        let stored = self
            .store
            .load_state(&room.id, 2)
            .await
            .map_err(|e| e.to_string())?;
        let built = tokio::task::spawn_blocking(move || build_doc(&stored))
            .await
            .map_err(|e| e.to_string())?;
        if built.missing_updates {
            // A gap in storage: structs whose dependencies are in no stored
            // update. They stay pending (and their rows stay in the log)
            // until the dependency arrives, e.g. from a reconnecting client.
            metrics::counter!("quire_load_missing_updates_total").increment(1);
            tracing::warn!(doc = %room.id, "document loaded with updates whose dependencies are missing");
        }
        let mut inner = room.inner.lock();
        inner.doc = built.doc;
        inner.size = built.size;
        inner.since_snapshot = built.since_snapshot;
        inner.items = built.items;
        inner.pending = built.missing_updates;
        if built.missing_updates {
            // Reported at once (not after the usual wait): nothing in
            // storage will complete these structs.
            inner.pending_since = Some(
                Instant::now()
                    .checked_sub(super::room::PENDING_REPORT_AFTER)
                    .unwrap_or_else(Instant::now),
            );
        }
        inner.loaded = true;
        for msg in std::mem::take(&mut inner.bus_buffer) {
            room.apply_bus_locked(&mut inner, msg);
        }
        drop(inner);
        metrics::histogram!("quire_room_load_seconds").record(started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Runs `f` on the document: the live one when active, else a copy
    /// loaded from storage.
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        doc_id: &str,
        f: impl FnOnce(&Doc) -> T + Send + 'static,
    ) -> Result<T, CollabError> {
        if let Some(room) = self.active_room(doc_id) {
            return Ok(room.with_doc(f));
        }
        let stored = self.store.load_state(doc_id, 2).await?;
        tokio::task::spawn_blocking(move || f(&build_doc(&stored).doc))
            .await
            .map_err(|e| CollabError::Load(e.to_string()))
    }

    /// Saves the current state (live or stored) as a version.
    pub async fn save_version(
        self: &Arc<Self>,
        doc_id: &str,
        label: &str,
        user_id: Option<&str>,
        auto: bool,
    ) -> Result<Version, CollabError> {
        let (state, text) = self
            .read(doc_id, |doc| {
                (
                    guard::encode_full_state(doc),
                    super::content::plain_text(doc),
                )
            })
            .await?;
        let state = state.map_err(|e| CollabError::Encode(e.to_string()))?;
        let version = self
            .store
            .create_version(&NewVersion {
                document_id: doc_id.to_string(),
                label: label.to_string(),
                state,
                text,
                created_by: user_id.map(str::to_string),
                auto,
            })
            .await?;
        if let Some(room) = self.active_room(doc_id) {
            room.inner.lock().auto_version_due = false;
        }
        Ok(version)
    }

    /// Makes the live `default` content equal to `old_state` as a new change
    /// (UndoManager revert), relayed and logged like any edit.
    pub async fn restore(
        self: &Arc<Self>,
        doc_id: &str,
        old_state: &[u8],
        user_id: &str,
    ) -> Result<(), CollabError> {
        let room = self.room(doc_id).await?;
        let update = room
            .with_doc(|doc| quire_doc::restore::restore_update(doc, old_state))
            .map_err(|e| CollabError::Encode(e.to_string()))?;
        room.server_update(&update, Some(user_id.to_string()))
            .map_err(|close| CollabError::Rejected(close.reason))?;
        Ok(())
    }

    /// Counts a connection for `user_id`; None when over the per-user limit.
    pub fn acquire_connection(self: &Arc<Self>, user_id: &str) -> Option<ConnectionSlot> {
        let mut conns = self.user_conns.lock();
        let n = conns.entry(user_id.to_string()).or_default();
        if *n >= self.config.limits.max_connections_per_user {
            return None;
        }
        *n += 1;
        Some(ConnectionSlot {
            hub: self.clone(),
            user_id: user_id.to_string(),
        })
    }

    pub fn set_role(&self, doc_id: &str, user_id: &str, role: Option<crate::store::Role>) {
        if let Some(room) = self.active_room(doc_id) {
            room.set_role(user_id, role);
        }
    }

    pub fn document_deleted(&self, doc_id: &str) {
        if let Some(room) = self.rooms.lock().get(doc_id).cloned() {
            room.close_all(Close::new(codes::GONE, "document deleted"));
        }
        self.forget_room(doc_id);
    }

    /// Graceful shutdown: closes every socket with 1012 ("service restart",
    /// so clients reconnect at once, to another instance if there is one),
    /// waits briefly for the close frames to go out, then waits until every
    /// accepted update is durable, bounded by `SHUTDOWN_GRACE_SECS`. What is
    /// still unsaved then is logged loudly: it lives on only in the clients
    /// that sent it, which resend it when they reconnect.
    pub async fn shutdown(&self) {
        let rooms: Vec<Arc<Room>> = self.rooms.lock().values().cloned().collect();
        tracing::info!(rooms = rooms.len(), "closing live connections (1012)");
        for room in &rooms {
            room.close_all(Close::new(codes::RESTART, "server restarting"));
        }
        let closing = Instant::now() + Duration::from_secs(3);
        while rooms.iter().any(|r| r.peer_count() > 0) && Instant::now() < closing {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let grace = Duration::from_secs(self.config.persistence.shutdown_grace_secs);
        let started = Instant::now();
        let deadline = started + grace;
        let mut warned = false;
        while self.unsaved_updates() > 0 && Instant::now() < deadline {
            if !warned && started.elapsed() > Duration::from_secs(2) {
                tracing::warn!(
                    unsaved = self.unsaved_updates(),
                    "waiting for unsaved updates before exiting"
                );
                warned = true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let unsaved = self.unsaved_updates();
        if unsaved > 0 {
            let docs: Vec<String> = rooms
                .iter()
                .filter(|r| r.inner.lock().in_flight > 0)
                .map(|r| r.id.clone())
                .collect();
            tracing::error!(
                unsaved,
                documents = ?docs,
                "exiting with updates not yet durable; they are kept only by the clients that sent them"
            );
        }
    }

    /// Estimated memory of the open documents `user_id` has sockets in,
    /// `room` included: what opening `room` would make them hold.
    pub fn user_resident_bytes(&self, user_id: &str, room: &Arc<Room>) -> u64 {
        let rooms: Vec<Arc<Room>> = self.rooms.lock().values().cloned().collect();
        rooms
            .iter()
            .filter(|r| Arc::ptr_eq(r, room) || r.has_user(user_id))
            .map(|r| r.resident_estimate())
            .sum()
    }

    /// Closes every socket opened with `credential` on this instance.
    pub fn revoke_credential(&self, credential: &str) {
        let rooms: Vec<Arc<Room>> = self.rooms.lock().values().cloned().collect();
        for room in rooms {
            room.revoke_credential(credential);
        }
    }

    /// Open documents whose structs have waited too long for missing
    /// dependencies (reported by `/readyz`).
    pub fn documents_with_missing_updates(&self) -> Vec<String> {
        let rooms: Vec<Arc<Room>> = self.rooms.lock().values().cloned().collect();
        rooms
            .into_iter()
            .filter(|r| r.missing_updates_overdue())
            .map(|r| r.id.clone())
            .collect()
    }

    /// Snapshot the room's state and drop the log rows that the previous
    /// snapshot already covers. First applies the logged updates to the
    /// live document, so an update another instance logged but this one
    /// never received is in the snapshot before its row can be deleted.
    ///
    /// One compaction per room at a time; a failed one backs off
    /// exponentially (it does not reload the log on every write batch) and
    /// is reported once, on `/metrics` and in the log.
    pub async fn compact(self: &Arc<Self>, room: &Arc<Room>) -> Result<(), CollabError> {
        {
            let mut inner = room.inner.lock();
            if inner.compacting || !inner.loaded || inner.closed {
                return Ok(());
            }
            if inner.compact_retry_at.is_some_and(|t| Instant::now() < t) {
                return Ok(());
            }
            inner.compacting = true;
        }
        let result = self.compact_inner(room).await;
        let mut inner = room.inner.lock();
        inner.compacting = false;
        match result {
            Ok(done) => {
                inner.since_snapshot = inner.since_snapshot.saturating_sub(done.covered);
                inner.reclaimable_rows = done.reclaimable;
                if inner.compact_failures > 0 {
                    metrics::gauge!("quire_rooms_compaction_failing").decrement(1.0);
                    tracing::info!(doc = %room.id, failures = inner.compact_failures, "compaction succeeded again");
                }
                inner.compact_failures = 0;
                inner.compact_retry_at = None;
                metrics::counter!("quire_compactions_total").increment(1);
                Ok(())
            }
            Err(e) => {
                metrics::counter!("quire_compaction_failures_total").increment(1);
                self.compaction_failures.fetch_add(1, Ordering::Relaxed);
                inner.compact_failures += 1;
                let backoff = Duration::from_secs(1 << inner.compact_failures.min(8))
                    .min(COMPACT_BACKOFF_MAX);
                inner.compact_retry_at = Some(Instant::now() + backoff);
                if inner.compact_failures == 1 {
                    metrics::gauge!("quire_rooms_compaction_failing").increment(1.0);
                    tracing::warn!(doc = %room.id, error = %e, "compaction failed; retrying with backoff");
                } else {
                    tracing::debug!(doc = %room.id, error = %e, failures = inner.compact_failures, "compaction failed again");
                }
                Err(e)
            }
        }
    }

    async fn compact_inner(self: &Arc<Self>, room: &Arc<Room>) -> Result<Compacted, CollabError> {
        let stored = self.store.load_state(&room.id, 1).await?;
        let Some(last_id) = stored.updates.iter().map(|u| u.id).max() else {
            return Ok(Compacted::default());
        };
        let (state, sv, text) = {
            let mut inner = room.inner.lock();
            for u in &stored.updates {
                // Idempotent; fills gaps (and relays them) when something was missed.
                let _ = room.apply_locked(&mut inner, &u.data, Source::Log, None);
            }
            let state = guard::encode_full_state(&inner.doc)
                .map_err(|e| CollabError::Load(e.to_string()))?;
            let sv = inner.doc.transact().state_vector();
            let text = super::content::plain_text(&inner.doc);
            inner.text_dirty = false;
            (state, sv, text)
        };
        let previous = stored.snapshots.first().cloned();
        let updates = stored.updates;
        let live_text = text.clone();
        // Off the async workers: verify the snapshot, and find the log rows
        // the previous snapshot covers.
        let (state, sv, delete_ids, done) = tokio::task::spawn_blocking(move || {
            snapshot::verify(&state, &sv, &live_text)?;
            let prev_sv = previous
                .as_ref()
                .and_then(|p| guard::decode_state_vector(&p.state_vector).ok());
            let prev_last = previous.as_ref().map_or(0, |p| p.last_update_id);
            let delete_ids: Vec<i64> = match &prev_sv {
                Some(prev) => updates
                    .iter()
                    .filter(|u| snapshot::covers(prev, &u.data))
                    .map(|u| u.id)
                    .collect(),
                None => Vec::new(),
            };
            let covered = updates.iter().filter(|u| u.id > prev_last).count() as u64;
            // Rows kept now that the new snapshot covers: the next
            // compaction (once this snapshot is the previous one) takes them.
            let reclaimable = updates
                .iter()
                .filter(|u| !delete_ids.contains(&u.id) && snapshot::covers(&sv, &u.data))
                .count() as u64;
            Ok::<_, CollabError>((
                state,
                sv,
                delete_ids,
                Compacted {
                    covered,
                    reclaimable,
                },
            ))
        })
        .await
        .map_err(|e| CollabError::Encode(e.to_string()))??;
        let size = state.len();
        let items = guard::walk::scan_update(&state).map_or(0, |s| s.structs);
        let snap = NewSnapshot {
            document_id: room.id.clone(),
            checksum: checksum(&state),
            state,
            state_vector: sv.encode_v1(),
            last_update_id: last_id,
            delete_update_ids: delete_ids,
        };
        self.store.compact(&snap, &text).await?;
        {
            let mut inner = room.inner.lock();
            inner.size = size;
            inner.items = items;
        }
        Ok(done)
    }
}

/// What a compaction achieved.
#[derive(Default)]
struct Compacted {
    /// Log rows newer than the previous snapshot, now in a snapshot.
    covered: u64,
    /// Rows still in the log that the new snapshot covers.
    reclaimable: u64,
}

/// Held while a WebSocket connection is open; counts toward the user's limit.
pub struct ConnectionSlot {
    hub: Arc<Hub>,
    user_id: String,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut conns = self.hub.user_conns.lock();
        if let Some(n) = conns.get_mut(&self.user_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                conns.remove(&self.user_id);
            }
        }
    }
}

pub use super::snapshot::{BuiltDoc, build_doc, checksum};

/// Longest pause between retries of a failing compaction.
const COMPACT_BACKOFF_MAX: Duration = Duration::from_secs(300);
