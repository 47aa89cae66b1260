//! The narrow slice of storage the collaboration core needs: a document's
//! durable update log, its snapshots, searchable text and versions.
//!
//! Collaboration code holds an `Arc<dyn DocLog>` instead of the whole
//! [`Store`], so rooms, the writer and the compactor can be exercised
//! against [`super::memory::MemoryDocLog`] without a database.

use std::sync::Arc;

use async_trait::async_trait;

use super::{NewSnapshot, NewUpdate, NewVersion, Result, Store, StoredState, Version};

#[async_trait]
pub trait DocLog: Send + Sync + 'static {
    /// Cheap liveness check of the storage behind the log.
    async fn ping(&self) -> Result<()>;
    /// False once the document was deleted (its log rows are refused).
    async fn document_exists(&self, doc_id: &str) -> Result<bool>;
    /// Latest snapshots (newest first, at most `max_snapshots`) and every
    /// update after the oldest of them.
    async fn load_state(&self, doc_id: &str, max_snapshots: i64) -> Result<StoredState>;
    /// Appends a batch of updates in one transaction. Returns how many.
    async fn append_updates(&self, batch: &[NewUpdate]) -> Result<u64>;
    /// Writes a snapshot and deletes the rows it names, in one transaction,
    /// and refreshes the searchable text.
    async fn compact(&self, snap: &NewSnapshot, text: &str) -> Result<()>;
    /// Refreshes the searchable text of the current content.
    async fn update_text(&self, doc_id: &str, text: &str) -> Result<()>;
    /// Saves a version.
    async fn create_version(&self, new: &NewVersion) -> Result<Version>;
    /// Makes room for one more version under the per-document quota
    /// (see [`Store::make_room_for_version`]).
    async fn make_room_for_version(&self, doc_id: &str, max: i64) -> Result<()>;
}

/// A shared store is a document log: every call delegates to it.
#[async_trait]
impl<S: Store + ?Sized> DocLog for Arc<S> {
    async fn ping(&self) -> Result<()> {
        Store::ping(&**self).await
    }
    async fn document_exists(&self, doc_id: &str) -> Result<bool> {
        Store::document_exists(&**self, doc_id).await
    }
    async fn load_state(&self, doc_id: &str, max_snapshots: i64) -> Result<StoredState> {
        Store::load_state(&**self, doc_id, max_snapshots).await
    }
    async fn append_updates(&self, batch: &[NewUpdate]) -> Result<u64> {
        Store::append_updates(&**self, batch).await
    }
    async fn compact(&self, snap: &NewSnapshot, text: &str) -> Result<()> {
        Store::compact(&**self, snap, text).await
    }
    async fn update_text(&self, doc_id: &str, text: &str) -> Result<()> {
        Store::update_text(&**self, doc_id, text).await
    }
    async fn create_version(&self, new: &NewVersion) -> Result<Version> {
        Store::create_version(&**self, new).await
    }
    async fn make_room_for_version(&self, doc_id: &str, max: i64) -> Result<()> {
        Store::make_room_for_version(&**self, doc_id, max).await
    }
}
