//! The Prometheus series the load generator reads from the server's
//! `/metrics`, named once.
//!
//! This crate cannot name the server's own constants (the server depends on
//! it), so the server's metrics tests check that every series listed in
//! [`READ`] is one the server records; a renamed metric fails there rather
//! than silently reading as zero here.

/// Open WebSocket connections joined to a room.
pub const WS_CONNECTIONS: &str = "quire_ws_connections";
/// Document rooms held in memory.
pub const ROOMS_ACTIVE: &str = "quire_rooms_active";
/// Document updates accepted from clients.
pub const UPDATES_IN: &str = "quire_updates_in_total";
/// Batches written by the persistence writer.
pub const PERSIST_BATCHES: &str = "quire_persist_batch_size_count";
/// Updates written by the persistence writer, over all batches.
pub const PERSISTED_UPDATES: &str = "quire_persist_batch_size_sum";
/// Seconds spent writing batches, over all batches.
pub const PERSIST_SECONDS_SUM: &str = "quire_persist_seconds_sum";
/// Documents loaded into a room.
pub const ROOM_LOADS: &str = "quire_room_load_seconds_count";
/// Seconds spent loading documents, over all loads.
pub const ROOM_LOAD_SECONDS_SUM: &str = "quire_room_load_seconds_sum";

/// Every series above.
pub const READ: &[&str] = &[
    WS_CONNECTIONS,
    ROOMS_ACTIVE,
    UPDATES_IN,
    PERSIST_BATCHES,
    PERSISTED_UPDATES,
    PERSIST_SECONDS_SUM,
    ROOM_LOADS,
    ROOM_LOAD_SECONDS_SUM,
];
