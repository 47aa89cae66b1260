//! Real-time collaboration: document rooms holding the live `yrs` document,
//! the y-websocket endpoint, the durable update log with group commit,
//! compaction and presence. Built on the sans-IO `quire_doc` crate.
//!
//! - [`hub`]: room registry, loading, versions/restore, connection slots.
//! - [`persist`]: the group-commit writer, the compactor and snapshots.
//! - [`maintenance`]: idle compaction, eviction, anti-entropy, permission re-checks.
//! - [`room`]: one live document and its connections (peers, awareness,
//!   bus fan-out, log bookkeeping); [`outbox`]: a connection's queue.
//! - [`connection`]: one live connection's loop over any frame transport
//!   (the WebSocket itself is accepted in `api::ws`).
//! - [`awareness`], [`ratelimit`]: presence state and stamping, per-connection budgets.
//! - [`content`]: text/Markdown/HTML/JSON views of a document.
//! - [`events`]: live document events (metadata, role, members, versions)
//!   for sockets that ask for them, across instances.

pub mod awareness;
pub mod connection;
pub mod content;
pub mod events;
pub mod hub;
pub mod maintenance;
pub mod outbox;
pub mod persist;
pub mod ratelimit;
pub mod room;

pub use content::initial_state;

use hub::Hub;

/// Closes connections and flushes pending updates before the process exits.
pub async fn shutdown(hub: &Hub) {
    hub.shutdown().await;
}
