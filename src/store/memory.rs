//! An in-memory [`DocLog`] for unit tests: no database. It can be told to
//! fail every call (an outage) and counts what it was asked to do.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_trait::async_trait;
use parking_lot::Mutex;

use super::doclog::DocLog;
use super::{
    NewSnapshot, NewUpdate, NewVersion, Result, Snapshot, StoreError, StoredState, StoredUpdate,
    Version,
};

#[derive(Default)]
struct Doc {
    updates: Vec<StoredUpdate>,
    /// Newest first.
    snapshots: Vec<Snapshot>,
    text: String,
    versions: Vec<Version>,
}

#[derive(Default)]
pub struct MemoryDocLog {
    docs: Mutex<HashMap<String, Doc>>,
    deleted: Mutex<HashSet<String>>,
    failing: AtomicBool,
    next_id: AtomicU64,
    /// Calls of `append_updates` (successful or not).
    pub append_calls: AtomicU64,
    /// Successful compactions.
    pub compactions: AtomicU64,
}

impl MemoryDocLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// While true every call fails as if the database were unreachable.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Makes the document unknown (its appends are refused).
    pub fn delete_document(&self, doc_id: &str) {
        self.deleted.lock().insert(doc_id.to_string());
        self.docs.lock().remove(doc_id);
    }

    /// The logged rows of `doc_id`, oldest first.
    pub fn updates(&self, doc_id: &str) -> Vec<StoredUpdate> {
        self.docs
            .lock()
            .get(doc_id)
            .map(|d| d.updates.clone())
            .unwrap_or_default()
    }

    /// The searchable text last written for `doc_id`.
    pub fn text(&self, doc_id: &str) -> String {
        self.docs
            .lock()
            .get(doc_id)
            .map(|d| d.text.clone())
            .unwrap_or_default()
    }

    fn check(&self) -> Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Database(sqlx::Error::PoolTimedOut));
        }
        Ok(())
    }
}

#[async_trait]
impl DocLog for MemoryDocLog {
    async fn ping(&self) -> Result<()> {
        self.check()
    }

    async fn document_exists(&self, doc_id: &str) -> Result<bool> {
        self.check()?;
        Ok(!self.deleted.lock().contains(doc_id))
    }

    async fn load_state(&self, doc_id: &str, max_snapshots: i64) -> Result<StoredState> {
        self.check()?;
        let docs = self.docs.lock();
        let Some(doc) = docs.get(doc_id) else {
            return Ok(StoredState::default());
        };
        let snapshots: Vec<Snapshot> = doc
            .snapshots
            .iter()
            .take(max_snapshots.max(0) as usize)
            .cloned()
            .collect();
        Ok(StoredState {
            snapshots,
            updates: doc.updates.clone(),
        })
    }

    async fn append_updates(&self, batch: &[NewUpdate]) -> Result<u64> {
        self.append_calls.fetch_add(1, Ordering::SeqCst);
        self.check()?;
        let deleted = self.deleted.lock();
        if batch.iter().any(|u| deleted.contains(&u.document_id)) {
            // A foreign key on a deleted document fails the whole batch.
            return Err(StoreError::Corrupt("document does not exist".into()));
        }
        let mut docs = self.docs.lock();
        for u in batch {
            let id = self.next_id.fetch_add(1, Ordering::SeqCst) as i64 + 1;
            docs.entry(u.document_id.clone())
                .or_default()
                .updates
                .push(StoredUpdate {
                    id,
                    data: u.data.clone(),
                });
        }
        Ok(batch.len() as u64)
    }

    async fn compact(&self, snap: &NewSnapshot, text: &str) -> Result<()> {
        self.check()?;
        let mut docs = self.docs.lock();
        let doc = docs.entry(snap.document_id.clone()).or_default();
        doc.updates
            .retain(|u| !snap.delete_update_ids.contains(&u.id));
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) as i64 + 1;
        doc.snapshots.insert(
            0,
            Snapshot {
                id,
                state: snap.state.clone(),
                state_vector: snap.state_vector.clone(),
                checksum: snap.checksum.clone(),
                last_update_id: snap.last_update_id,
            },
        );
        doc.snapshots.truncate(2);
        doc.text = text.to_string();
        self.compactions.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn update_text(&self, doc_id: &str, text: &str) -> Result<()> {
        self.check()?;
        self.docs.lock().entry(doc_id.to_string()).or_default().text = text.to_string();
        Ok(())
    }

    async fn create_version(&self, new: &NewVersion) -> Result<Version> {
        self.check()?;
        let mut docs = self.docs.lock();
        let doc = docs.entry(new.document_id.clone()).or_default();
        let version = Version {
            number: doc.versions.len() as i64 + 1,
            label: new.label.clone(),
            created_by: new.created_by.clone(),
            created_by_username: None,
            created_at: crate::util::now_ms(),
            auto: new.auto,
        };
        doc.versions.push(version.clone());
        Ok(version)
    }

    async fn make_room_for_version(&self, _doc_id: &str, _max: i64) -> Result<()> {
        self.check()
    }
}
