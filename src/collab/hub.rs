//! The hub: registry of live rooms, loading (subscribe → load → apply
//! buffer), the group-commit writer of the update log, compaction, idle
//! eviction, periodic permission re-checks and anti-entropy.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use quire_doc::guard;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use yrs::Doc;

use super::room::{Close, ConnId, Room, Source, codes, new_doc};
use crate::bus::Bus;
use crate::config::Config;
use crate::store::{NewSnapshot, NewVersion, Store, StoreError, StoredState, Version};

/// An accepted update on its way to the durable log.
pub struct PendingUpdate {
    pub doc_id: String,
    pub data: Bytes,
    pub user_id: Option<String>,
    pub conn: Option<ConnId>,
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
        let mut inner = room.inner.lock();
        inner.doc = built.doc;
        inner.size = built.size;
        inner.since_snapshot = built.since_snapshot;
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

    /// Closes every connection and waits (bounded) until accepted updates are durable.
    pub async fn shutdown(&self) {
        let rooms: Vec<Arc<Room>> = self.rooms.lock().values().cloned().collect();
        for room in &rooms {
            room.close_all(Close::new(codes::RESTART, "server restarting"));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.unsaved_updates() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Snapshot the room's state and drop the log it covers. First applies
    /// the logged updates since the latest snapshot to the live document, so
    /// an update another instance logged but this one never received is in
    /// the snapshot before its log row is deleted.
    pub async fn compact(self: &Arc<Self>, room: &Arc<Room>) -> Result<(), CollabError> {
        {
            let mut inner = room.inner.lock();
            if inner.compacting || inner.pending || !inner.loaded {
                return Ok(());
            }
            inner.compacting = true;
        }
        let result = self.compact_inner(room).await;
        let mut inner = room.inner.lock();
        inner.compacting = false;
        match result {
            Ok(covered) => {
                inner.since_snapshot = inner.since_snapshot.saturating_sub(covered);
                metrics::counter!("quire_compactions_total").increment(1);
                Ok(())
            }
            Err(e) => {
                tracing::warn!(doc = %room.id, error = %e, "compaction failed; will retry");
                Err(e)
            }
        }
    }

    async fn compact_inner(self: &Arc<Self>, room: &Arc<Room>) -> Result<u64, CollabError> {
        let stored = self.store.load_state(&room.id, 1).await?;
        let Some(last_id) = stored.updates.last().map(|u| u.id) else {
            return Ok(0);
        };
        let (state, sv, text) = {
            let mut inner = room.inner.lock();
            for u in &stored.updates {
                // Idempotent; fills gaps (and relays them) when something was missed.
                let _ = room.apply_locked(&mut inner, &u.data, Source::Log, None);
            }
            let state = guard::encode_full_state(&inner.doc)
                .map_err(|e| CollabError::Load(e.to_string()))?;
            let sv = guard::state_vector_bytes(&inner.doc);
            let text = super::content::plain_text(&inner.doc);
            inner.text_dirty = false;
            (state, sv, text)
        };
        // Verify before the covered log is deleted: the snapshot must load
        // back to the same state vector.
        let (state, sv) = tokio::task::spawn_blocking(move || {
            let check = new_doc();
            let ok = guard::apply_update_bytes(&check, &state).is_ok()
                && guard::state_vector_bytes(&check) == sv;
            ok.then_some((state, sv))
        })
        .await
        .map_err(|e| CollabError::Encode(e.to_string()))?
        .ok_or_else(|| {
            CollabError::Encode("snapshot does not load back to the live state".into())
        })?;
        let size = state.len();
        let snap = NewSnapshot {
            document_id: room.id.clone(),
            checksum: checksum(&state),
            state,
            state_vector: sv,
            last_update_id: last_id,
        };
        self.store.compact(&snap, &text).await?;
        room.inner.lock().size = size;
        Ok(stored.updates.len() as u64)
    }
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

pub fn checksum(state: &[u8]) -> String {
    hex::encode(Sha256::digest(state))
}

pub struct BuiltDoc {
    pub doc: Doc,
    pub size: usize,
    pub since_snapshot: u64,
}

/// Latest snapshot whose checksum verifies, then the log after it. A stored
/// update that fails to apply is logged and skipped (never a panic).
pub fn build_doc(stored: &StoredState) -> BuiltDoc {
    let mut doc = new_doc();
    let mut base = 0;
    let mut size = 0;
    for snap in &stored.snapshots {
        if checksum(&snap.state) != snap.checksum {
            metrics::counter!("quire_snapshot_checksum_failures_total").increment(1);
            tracing::error!(
                snapshot = snap.id,
                "snapshot checksum mismatch; trying the previous one"
            );
            continue;
        }
        match guard::apply_update_bytes(&doc, &snap.state) {
            Ok(_) => {
                base = snap.last_update_id;
                size = snap.state.len();
                break;
            }
            Err(e) => {
                tracing::error!(snapshot = snap.id, error = %e, "snapshot does not apply; trying the previous one");
                doc = new_doc();
            }
        }
    }
    let mut since_snapshot = 0;
    for u in stored.updates.iter().filter(|u| u.id > base) {
        match guard::apply_update_bytes(&doc, &u.data) {
            Ok(_) => {
                size += u.data.len();
                since_snapshot += 1;
            }
            Err(e) => {
                tracing::error!(update = u.id, error = %e, "stored update does not apply; skipped")
            }
        }
    }
    BuiltDoc {
        doc,
        size,
        since_snapshot,
    }
}
