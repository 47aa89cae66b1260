//! Real-time collaboration: document rooms holding the live `yrs` document,
//! the y-websocket endpoint, the durable update log with group commit,
//! compaction and presence. Built on the sans-IO `quire_doc` crate.
//!
//! - [`hub`]: room registry, loading, versions/restore, compaction.
//! - [`writer`]: the group-commit writer of the update log.
//! - [`maintenance`]: idle compaction, eviction, anti-entropy, permission re-checks.
//! - [`room`]: one live document and its connections; [`fanout`]: its bus side.
//! - [`connection`]: one live connection's loop over any frame transport
//!   (the WebSocket itself is accepted in `api::ws`).
//! - [`awareness`], [`ratelimit`]: presence stamping, per-connection budgets.
//! - [`content`]: text/Markdown/HTML/JSON views of a document.

pub mod awareness;
pub mod connection;
pub mod content;
pub mod fanout;
pub mod hub;
pub mod maintenance;
pub mod outbox;
pub mod ratelimit;
pub mod room;
pub mod snapshot;
pub mod writer;

pub use content::initial_state;

use crate::store::Role;
use hub::Hub;

/// Closes live connections of a deleted document.
pub fn document_deleted(hub: &Hub, doc_id: &str) {
    hub.document_deleted(doc_id);
}

/// Applies a membership change to live connections at once.
pub fn role_changed(hub: &Hub, doc_id: &str, user_id: &str, role: Option<Role>) {
    hub.set_role(doc_id, user_id, role);
}

/// Closes connections and flushes pending updates before the process exits.
pub async fn shutdown(hub: &Hub) {
    hub.shutdown().await;
}
