//! The compactor: one task that owns compaction. The writer (a room's log
//! reached its threshold) and the ticker (a quiet room with a backlog) ask
//! for it; requests for a document already waiting are merged.
//!
//! Compaction snapshots the room's state and drops the log rows the
//! previous snapshot already covers. It first applies the logged updates to
//! the live document, so an update another instance logged but this one
//! never received is in the snapshot before its row can be deleted. One
//! compaction per room at a time; a failed one backs off exponentially and
//! is reported once, on `/metrics` and in the log.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::{Notify, oneshot};

use super::snapshot;
use crate::collab::hub::CollabError;
use crate::collab::room::{Compacted, CompactionEnd, Room};
use crate::metrics;
use crate::store::doclog::DocLog;

type Reply = oneshot::Sender<Result<(), CollabError>>;

struct Job {
    room: Weak<Room>,
    doc_id: String,
    reply: Option<Reply>,
}

/// Compaction requests waiting for the task, at most one per document
/// unless a caller waits for the result.
#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    queued: HashSet<String>,
}

impl Queue {
    /// False when a request for this document already waits.
    fn push(&mut self, job: Job) -> bool {
        if job.reply.is_none() && self.queued.contains(&job.doc_id) {
            return false;
        }
        self.queued.insert(job.doc_id.clone());
        self.jobs.push_back(job);
        true
    }

    fn pop(&mut self) -> Option<Job> {
        let job = self.jobs.pop_front()?;
        if !self.jobs.iter().any(|j| j.doc_id == job.doc_id) {
            self.queued.remove(&job.doc_id);
        }
        Some(job)
    }
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Arc<Notify>,
    /// Failed compactions since start (also `quire_compaction_failures_total`).
    failures: AtomicU64,
}

/// Asks the compactor task for compactions.
#[derive(Clone)]
pub struct Compactor {
    shared: Arc<Shared>,
}

impl Compactor {
    /// Starts the compactor task over `log`. It ends when every handle is gone.
    pub fn start(log: Arc<dyn DocLog>) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Arc::new(Notify::new()),
            failures: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&shared);
        tokio::spawn(run(weak, log));
        Self { shared }
    }

    /// Asks for a compaction of `room` (merged with one already waiting).
    pub fn request(&self, room: &Arc<Room>) {
        self.push(room, None);
    }

    /// Compacts `room` now (after what is queued) and waits for the result.
    pub async fn compact(&self, room: &Arc<Room>) -> Result<(), CollabError> {
        let (tx, rx) = oneshot::channel();
        self.push(room, Some(tx));
        rx.await
            .unwrap_or_else(|_| Err(CollabError::Load("compactor stopped".into())))
    }

    /// Failed compactions since this instance started.
    pub fn failures(&self) -> u64 {
        self.shared.failures.load(Ordering::Relaxed)
    }

    fn push(&self, room: &Arc<Room>, reply: Option<Reply>) {
        let pushed = self.shared.queue.lock().push(Job {
            room: Arc::downgrade(room),
            doc_id: room.id.clone(),
            reply,
        });
        if pushed {
            self.shared.wake.notify_one();
        }
    }
}

async fn run(shared: Weak<Shared>, log: Arc<dyn DocLog>) {
    loop {
        let Some(s) = shared.upgrade() else { return };
        let job = s.queue.lock().pop();
        let Some(job) = job else {
            let wake = s.wake.clone();
            drop(s);
            // Woken by a request (a request made since the queue was looked
            // at left a permit), or checks now and then whether the handles
            // are gone.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), wake.notified()).await;
            continue;
        };
        let result = match job.room.upgrade() {
            Some(room) => compact_room(&log, &room, &s.failures).await,
            None => Ok(()),
        };
        if let Some(reply) = job.reply {
            let _ = reply.send(result);
        }
    }
}

/// One compaction of `room`, with its bookkeeping and reporting.
pub async fn compact_room(
    log: &Arc<dyn DocLog>,
    room: &Arc<Room>,
    failures: &AtomicU64,
) -> Result<(), CollabError> {
    if !room.begin_compaction(Instant::now()) {
        return Ok(());
    }
    let result = snapshot_room(log, room).await;
    let end = room.end_compaction(result.as_ref().ok().copied());
    match end {
        CompactionEnd::Succeeded => {}
        CompactionEnd::Recovered(failures) => {
            metrics::rooms_compaction_failing(-1.0);
            tracing::info!(doc = %room.id, failures, "compaction succeeded again");
        }
        CompactionEnd::Failed { failures: n, .. } => {
            metrics::compaction_failure();
            failures.fetch_add(1, Ordering::Relaxed);
            let e = result
                .as_ref()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            if n == 1 {
                metrics::rooms_compaction_failing(1.0);
                tracing::warn!(doc = %room.id, error = %e, "compaction failed; retrying with backoff");
            } else {
                tracing::debug!(doc = %room.id, error = %e, failures = n, "compaction failed again");
            }
        }
    }
    match result {
        Ok(_) => {
            metrics::compaction();
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn snapshot_room(log: &Arc<dyn DocLog>, room: &Arc<Room>) -> Result<Compacted, CollabError> {
    let stored = log.load_state(&room.id, 1).await?;
    if stored.updates.is_empty() {
        return Ok(Compacted::default());
    }
    let (state, sv, text) = room
        .absorb_log(&stored.updates)
        .map_err(|e| CollabError::Load(e.to_string()))?;
    let doc_id = room.id.clone();
    let live_text = text.clone();
    // Off the async workers: verify the snapshot, and find the log rows
    // the previous snapshot covers.
    let planned = tokio::task::spawn_blocking(move || {
        snapshot::plan(
            &doc_id,
            state,
            &sv,
            &live_text,
            stored.snapshots.first(),
            &stored.updates,
        )
    })
    .await
    .map_err(|e| CollabError::Encode(e.to_string()))??;
    let Some(planned) = planned else {
        return Ok(Compacted::default());
    };
    log.compact(&planned.snapshot, &text).await?;
    room.compacted_to(planned.size, planned.items);
    Ok(planned.done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(doc: &str, reply: Option<Reply>) -> Job {
        Job {
            room: Weak::new(),
            doc_id: doc.into(),
            reply,
        }
    }

    #[test]
    fn requests_for_a_waiting_document_are_merged() {
        let mut q = Queue::default();
        assert!(q.push(job("a", None)));
        assert!(!q.push(job("a", None)), "merged");
        assert!(q.push(job("b", None)));
        // A caller waiting for the result always gets its own turn.
        let (tx, _rx) = oneshot::channel();
        assert!(q.push(job("a", Some(tx))));
        assert_eq!(q.pop().map(|j| j.doc_id), Some("a".into()));
        // "a" still waits (the awaited request): new requests merge into it.
        assert!(!q.push(job("a", None)));
        assert_eq!(q.pop().map(|j| j.doc_id), Some("b".into()));
        assert!(q.pop().is_some_and(|j| j.reply.is_some()));
        assert!(q.pop().is_none());
        assert!(
            q.push(job("a", None)),
            "taken off the queue: may be asked again"
        );
    }
}

#[cfg(test)]
mod room_tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::collab::room::tests::{edit, harness};
    use crate::store::NewUpdate;
    use crate::store::memory::MemoryDocLog;

    /// Logs `update` in `log` and tells the room it is durable.
    async fn log_durable(log: &MemoryDocLog, h: &mut crate::collab::room::tests::Harness) {
        while let Ok(p) = h.persisted.try_recv() {
            log.append_updates(&[NewUpdate {
                document_id: p.doc_id.clone(),
                data: p.data.to_vec(),
                user_id: None,
                created_at: 0,
            }])
            .await
            .unwrap();
            h.room.on_durable(std::slice::from_ref(&p));
        }
    }

    #[tokio::test]
    async fn compaction_keeps_rows_for_the_fallback_then_reclaims_them() {
        let mut h = harness(100);
        let mem = Arc::new(MemoryDocLog::new());
        let log: Arc<dyn DocLog> = mem.clone();
        let compactor = Compactor::start(log.clone());
        for i in 0..3 {
            h.room.server_update(&edit(20 + i, "ab"), None).unwrap();
        }
        log_durable(&mem, &mut h).await;
        compactor.compact(&h.room).await.unwrap();
        assert_eq!(mem.compactions.load(Ordering::SeqCst), 1);
        assert_eq!(
            mem.updates("doc").len(),
            3,
            "no previous snapshot: rows kept"
        );
        let upkeep = h.room.upkeep(Instant::now());
        assert!(upkeep.compact, "reclaimable rows left");
        compactor.compact(&h.room).await.unwrap();
        assert!(
            mem.updates("doc").is_empty(),
            "covered by the previous snapshot"
        );
        assert!(h.room.close_if_idle(), "nothing left to do");
        // The stored state reloads to the live document.
        let stored = mem.load_state("doc", 2).await.unwrap();
        let built = snapshot::build_doc(&stored);
        use yrs::{ReadTxn, Transact};
        assert_eq!(
            built.doc.transact().state_vector(),
            h.room.with_doc(|d| d.transact().state_vector())
        );
    }

    #[tokio::test]
    async fn a_failed_compaction_backs_off_and_is_counted() {
        let mut h = harness(100);
        let mem = Arc::new(MemoryDocLog::new());
        let log: Arc<dyn DocLog> = mem.clone();
        let compactor = Compactor::start(log.clone());
        h.room.server_update(&edit(20, "ab"), None).unwrap();
        log_durable(&mem, &mut h).await;
        mem.set_failing(true);
        assert!(compactor.compact(&h.room).await.is_err());
        assert_eq!(compactor.failures(), 1);
        mem.set_failing(false);
        // Backing off: the next request does nothing yet.
        compactor.compact(&h.room).await.unwrap();
        assert_eq!(mem.compactions.load(Ordering::SeqCst), 0);
        assert!(!h.room.upkeep(Instant::now()).compact);
        compactor.request(&h.room);
        compactor.compact(&h.room).await.unwrap();
        assert_eq!(mem.compactions.load(Ordering::SeqCst), 0);
    }
}
