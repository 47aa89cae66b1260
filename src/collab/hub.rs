//! The hub: registry of live rooms, loading (subscribe → load → apply
//! buffer), versions and restore, per-user connection slots and shutdown.
//! It wires rooms to persistence (the writer and the compactor in
//! [`super::persist`]) and starts the upkeep ticker ([`super::maintenance`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use quire_doc::{guard, protocol};
use yrs::Doc;

use super::events::DocEvent;
use super::persist::compactor::Compactor;
use super::persist::{Backlog, Persist};
use super::room::{Close, Room, RoomCtx, RoomLimits, UpkeepRules};
use crate::bus::{Bus, BusMessage, BusPayload};
use crate::config::Config;
use crate::metrics;
use crate::store::doclog::DocLog;
use crate::store::{NewVersion, Store, StoreError, Version};

pub use super::persist::PendingUpdate;

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
    /// Memberships and tokens, for the periodic permission re-checks.
    pub store: Arc<dyn Store>,
    /// The document log, snapshots, text and versions.
    pub log: Arc<dyn DocLog>,
    pub config: Config,
    pub bus: Arc<dyn Bus>,
    pub instance_id: String,
    rooms: Mutex<HashMap<String, Arc<Room>>>,
    /// What every room is created with.
    ctx: RoomCtx,
    /// Updates accepted and not yet durable, all documents.
    backlog: Arc<Backlog>,
    compactor: Compactor,
    user_conns: Mutex<HashMap<String, usize>>,
}

impl Hub {
    /// Creates the hub and starts its background tasks (writer, compactor,
    /// ticker).
    pub fn start(
        store: Arc<dyn Store>,
        config: Config,
        bus: Arc<dyn Bus>,
        instance_id: String,
    ) -> Arc<Self> {
        let log: Arc<dyn DocLog> = Arc::new(store.clone());
        let backlog = Arc::new(Backlog::new(config.persistence.max_unsaved_updates));
        let (persist, persist_rx) = Persist::channel(backlog.clone());
        let compactor = Compactor::start(log.clone());
        tokio::spawn(super::persist::writer::run(
            log.clone(),
            persist_rx,
            Duration::from_millis(config.persistence.group_commit_ms),
            backlog.clone(),
            compactor.clone(),
        ));
        let hub = Arc::new_cyclic(|weak: &std::sync::Weak<Hub>| {
            let weak = weak.clone();
            let ctx = RoomCtx {
                limits: RoomLimits {
                    max_doc_bytes: config.limits.max_doc_bytes,
                    max_doc_items: config.persistence.max_doc_items,
                },
                upkeep: upkeep_rules(&config),
                persist,
                bus: bus.clone(),
                instance_id: instance_id.clone(),
                on_poisoned: Arc::new(move |id: &str| {
                    if let Some(hub) = weak.upgrade() {
                        hub.forget_closed_room(id);
                    }
                }),
            };
            Self {
                store,
                log,
                config,
                bus,
                instance_id,
                rooms: Mutex::new(HashMap::new()),
                ctx,
                backlog,
                compactor,
                user_conns: Mutex::new(HashMap::new()),
            }
        });
        tokio::spawn(super::maintenance::ticker(Arc::downgrade(&hub)));
        hub
    }

    /// Updates accepted by this instance and not yet durable.
    pub fn unsaved_updates(&self) -> u64 {
        self.backlog.unsaved()
    }

    /// Failed compactions since this instance started.
    pub fn compaction_failures(&self) -> u64 {
        self.compactor.failures()
    }

    /// True when the unsaved backlog reached `MAX_UNSAVED_UPDATES`: new
    /// edits are refused until the database catches up.
    pub fn unsaved_backlog_full(&self) -> bool {
        self.backlog.admit().is_err()
    }

    /// Every registered room.
    pub(super) fn rooms(&self) -> Vec<Arc<Room>> {
        self.rooms.lock().values().cloned().collect()
    }

    /// Asks the compactor for a compaction of `room`.
    pub(super) fn request_compaction(&self, room: &Arc<Room>) {
        self.compactor.request(room);
    }

    /// Drops `room` from the registry when nothing is left to do for it.
    pub(super) fn evict_if_idle(&self, room: &Arc<Room>) {
        let mut rooms = self.rooms.lock();
        if room.close_if_idle() {
            self.bus.report_presence(&room.id, Vec::new());
            if rooms.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
                rooms.remove(&room.id);
                room.stop_token().cancel();
                metrics::rooms_active(-1.0);
            }
        }
    }

    /// The live room of `doc_id`, loading it if needed.
    pub async fn room(self: &Arc<Self>, doc_id: &str) -> Result<Arc<Room>, CollabError> {
        for _ in 0..5 {
            let room = {
                let mut rooms = self.rooms.lock();
                rooms
                    .entry(doc_id.to_string())
                    .or_insert_with(|| {
                        metrics::rooms_active(1.0);
                        Arc::new(Room::new(doc_id, self.ctx.clone()))
                    })
                    .clone()
            };
            let loaded = room
                .ensure_loaded(self.clone().load_room(room.clone()))
                .await;
            match loaded {
                Ok(()) if !room.is_closed() => return Ok(room),
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
        room.is_ready().then_some(room)
    }

    /// Removes the registered room of `doc_id` if it is closed.
    pub(super) fn forget_closed_room(&self, doc_id: &str) {
        let mut rooms = self.rooms.lock();
        if let Some(room) = rooms.get(doc_id).cloned()
            && room.is_closed()
        {
            rooms.remove(doc_id);
            room.stop_token().cancel();
            metrics::rooms_active(-1.0);
        }
    }

    pub(super) fn forget_room(&self, doc_id: &str) {
        if let Some(room) = self.rooms.lock().remove(doc_id) {
            room.stop_token().cancel();
            metrics::rooms_active(-1.0);
        }
    }

    fn forget_room_if(&self, room: &Arc<Room>) {
        let mut rooms = self.rooms.lock();
        if rooms.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
            rooms.remove(&room.id);
            room.stop_token().cancel();
            metrics::rooms_active(-1.0);
        }
    }

    /// Subscribes to the bus first (buffering what arrives), then loads
    /// snapshot + log, then applies what the bus delivered meanwhile, so no
    /// update published during the load is missed.
    async fn load_room(self: Arc<Self>, room: Arc<Room>) -> Result<(), String> {
        let started = Instant::now();
        match self.bus.subscribe(&room.id).await {
            Ok(mut sub) => {
                let r = room.clone();
                tokio::spawn(async move {
                    let _guard = sub.guard;
                    loop {
                        tokio::select! {
                            _ = r.stop_token().cancelled() => break,
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
            .log
            .load_state(&room.id, crate::store::SNAPSHOTS_KEPT)
            .await
            .map_err(|e| e.to_string())?;
        let built = tokio::task::spawn_blocking(move || build_doc(&stored))
            .await
            .map_err(|e| e.to_string())?;
        if built.missing_updates {
            // A gap in storage: structs whose dependencies are in no stored
            // update. They stay pending (and their rows stay in the log)
            // until the dependency arrives, e.g. from a reconnecting client.
            metrics::load_missing_updates();
            tracing::warn!(doc = %room.id, "document loaded with updates whose dependencies are missing");
        }
        room.install(built);
        metrics::room_load_seconds(started.elapsed().as_secs_f64());
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
        let stored = self
            .log
            .load_state(doc_id, crate::store::SNAPSHOTS_KEPT)
            .await?;
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
            .log
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
            room.version_saved();
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

    /// Delivers `event` to the document's sockets on this instance and
    /// publishes it for every other instance.
    pub fn publish_event(&self, doc_id: &str, event: &DocEvent) {
        let room = self.rooms.lock().get(doc_id).cloned();
        if let Some(room) = room {
            room.on_event(event);
        }
        self.bus.publish(BusMessage {
            doc_id: doc_id.to_string(),
            sender: self.instance_id.clone(),
            seq: 0,
            payload: BusPayload::Event(Bytes::from(event.to_bytes())),
        });
        if *event == DocEvent::Deleted {
            self.forget_room(doc_id);
        }
    }

    /// Graceful shutdown: closes every socket with 1012 ("service restart",
    /// so clients reconnect at once, to another instance if there is one),
    /// waits briefly for the close frames to go out, then waits until every
    /// accepted update is durable, bounded by `SHUTDOWN_GRACE_SECS`. What is
    /// still unsaved then is logged loudly: it lives on only in the clients
    /// that sent it, which resend it when they reconnect.
    pub async fn shutdown(&self) {
        let rooms = self.rooms();
        tracing::info!(rooms = rooms.len(), "closing live connections (1012)");
        for room in &rooms {
            room.close_all(Close::new(protocol::CLOSE_RESTART, "server restarting"));
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
                .filter(|r| r.unsaved() > 0)
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
        let rooms = self.rooms();
        rooms
            .iter()
            .filter(|r| Arc::ptr_eq(r, room) || r.has_user(user_id))
            .map(|r| r.resident_estimate())
            .sum()
    }

    /// Closes every socket opened with `credential` on this instance.
    pub fn revoke_credential(&self, credential: &str) {
        let rooms = self.rooms();
        for room in rooms {
            room.revoke_credential(credential);
        }
    }

    /// Open documents whose structs have waited too long for missing
    /// dependencies (reported by `/readyz`).
    pub fn documents_with_missing_updates(&self) -> Vec<String> {
        let rooms = self.rooms();
        rooms
            .into_iter()
            .filter(|r| r.missing_updates_overdue())
            .map(|r| r.id.clone())
            .collect()
    }

    /// Compacts `room` now (see [`super::persist::compactor`]) and waits
    /// for the result.
    pub async fn compact(&self, room: &Arc<Room>) -> Result<(), CollabError> {
        self.compactor.compact(room).await
    }
}

/// The upkeep thresholds of `config`.
fn upkeep_rules(config: &Config) -> UpkeepRules {
    let mins = config.persistence.auto_version_idle_mins;
    UpkeepRules {
        compact_every: config.persistence.compact_every_updates,
        compact_idle: Duration::from_secs(config.persistence.compact_idle_secs),
        auto_version_idle: (mins > 0).then(|| Duration::from_secs(mins * 60)),
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

pub use super::persist::snapshot::{BuiltDoc, build_doc, checksum};
