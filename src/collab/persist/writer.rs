//! The group-commit writer of the update log: batches accepted updates for
//! a bounded window, writes each batch in one transaction, retries until it
//! is durable (nothing is dropped), then acknowledges the rooms through the
//! weak reference each update carries and asks the compactor for rooms
//! whose log reached the threshold. It holds no registry: a room gone
//! meanwhile is simply skipped.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::compactor::Compactor;
use super::{Backlog, PendingUpdate};
use crate::collab::room::Room;
use crate::metrics;
use crate::store::NewUpdate;
use crate::store::doclog::DocLog;

/// Most updates written in one transaction.
const MAX_BATCH: usize = 4096;

/// Longest pause between retries of a failing write.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Group commit: the first update opens a window of `window`; all updates
/// arriving in it share one transaction. On failure the batch is retried
/// with backoff until it is durable; nothing is dropped (except the rows of
/// documents deleted meanwhile). Ends when every sender is gone.
pub async fn run(
    log: Arc<dyn DocLog>,
    mut rx: mpsc::UnboundedReceiver<PendingUpdate>,
    window: Duration,
    backlog: Arc<Backlog>,
    compactor: Compactor,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + window;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(u)) => batch.push(u),
                _ => break,
            }
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(u) => batch.push(u),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        write_batch(&*log, &mut batch, &backlog).await;
        metrics::persist_batch_size(batch.len());
        metrics::persist_seconds(started.elapsed().as_secs_f64());
        backlog.done(batch.len() as u64);
        notify_durable(batch, &compactor);
    }
}

async fn write_batch(log: &dyn DocLog, batch: &mut Vec<PendingUpdate>, backlog: &Backlog) {
    let mut backoff = Duration::from_millis(50);
    let mut failures = 0u32;
    loop {
        let rows: Vec<NewUpdate> = batch
            .iter()
            .map(|u| NewUpdate {
                document_id: u.doc_id.clone(),
                data: u.data.to_vec(),
                user_id: u.user_id.clone(),
                created_at: u.at,
            })
            .collect();
        match log.append_updates(&rows).await {
            Ok(_) => {
                if failures > 0 {
                    tracing::warn!(
                        batch = batch.len(),
                        failures,
                        "update log write succeeded after retries"
                    );
                }
                return;
            }
            Err(e) => {
                metrics::persist_failure();
                failures += 1;
                // Loud once per outage, quiet while it lasts.
                if failures == 1 {
                    tracing::error!(error = %e, batch = batch.len(), "update log write failed; retrying until durable");
                } else {
                    tracing::debug!(error = %e, failures, "update log write still failing");
                }
                // The database answers but refused the batch: drop rows of
                // documents deleted meanwhile (their foreign key fails).
                if log.ping().await.is_ok() {
                    let docs: HashSet<String> = batch.iter().map(|u| u.doc_id.clone()).collect();
                    let mut gone = Vec::new();
                    for doc in docs {
                        if matches!(log.document_exists(&doc).await, Ok(false)) {
                            gone.push(doc);
                        }
                    }
                    let before = batch.len();
                    batch.retain(|u| !gone.contains(&u.doc_id));
                    backlog.done((before - batch.len()) as u64);
                    if batch.is_empty() {
                        return;
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(RETRY_MAX);
            }
        }
    }
}

/// Hands each room its durable updates, in acceptance order (the order
/// they are published in).
fn notify_durable(batch: Vec<PendingUpdate>, compactor: &Compactor) {
    let mut per_room: Vec<(Weak<Room>, Vec<PendingUpdate>)> = Vec::new();
    let mut index: HashMap<*const Room, usize> = HashMap::new();
    for u in batch {
        let key = u.room.as_ptr();
        let i = *index.entry(key).or_insert_with(|| {
            per_room.push((u.room.clone(), Vec::new()));
            per_room.len() - 1
        });
        per_room[i].1.push(u);
    }
    for (room, updates) in per_room {
        let Some(room) = room.upgrade() else {
            continue;
        };
        if room.on_durable(&updates) {
            compactor.request(&room);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use bytes::Bytes;
    use quire_doc::protocol;

    use super::*;
    use crate::bus::BusPayload;
    use crate::collab::room::tests::{edit, frames, harness, peer};
    use crate::store::Role;
    use crate::store::memory::MemoryDocLog;

    fn start(
        log: &Arc<MemoryDocLog>,
        rx: mpsc::UnboundedReceiver<PendingUpdate>,
        backlog: &Arc<Backlog>,
    ) {
        let log: Arc<dyn DocLog> = log.clone();
        let compactor = Compactor::start(log.clone());
        tokio::spawn(run(
            log,
            rx,
            Duration::from_millis(20),
            backlog.clone(),
            compactor,
        ));
    }

    async fn until(what: &str, mut f: impl FnMut() -> bool) {
        for _ in 0..500 {
            if f() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for {what}");
    }

    #[tokio::test]
    async fn updates_in_one_window_share_one_write_and_are_acked() {
        let h = harness(100);
        let log = Arc::new(MemoryDocLog::new());
        let (a, out) = peer("alice", Role::Editor, true);
        h.room.join(1, a).unwrap();
        frames(&out);
        for i in 0..3 {
            h.room.client_update(1, &edit(10 + i, "x")).unwrap();
        }
        start(&log, h.persisted, &h.backlog);
        until("durable", || h.backlog.unsaved() == 0).await;
        assert_eq!(log.append_calls.load(Ordering::SeqCst), 1, "one batch");
        assert_eq!(log.updates("doc").len(), 3);
        let got = frames(&out);
        // Three relays, then one ack for all three.
        assert_eq!(
            got.last(),
            Some(&Bytes::from(quire_doc::protocol::encode_ack(3)))
        );
        let published = h.bus.take();
        assert_eq!(published.len(), 3);
        assert!(published.iter().all(|p| matches!(p, BusPayload::Update(_))));
    }

    #[tokio::test]
    async fn a_room_gone_before_its_updates_are_durable_is_skipped() {
        let h = harness(100);
        let log = Arc::new(MemoryDocLog::new());
        h.room.server_update(&edit(3, "bye"), None).unwrap();
        let backlog = h.backlog.clone();
        drop(h.room);
        start(&log, h.persisted, &backlog);
        until("durable", || backlog.unsaved() == 0).await;
        assert_eq!(log.updates("doc").len(), 1, "still written");
    }

    #[tokio::test]
    async fn rows_of_a_deleted_document_are_dropped() {
        let h = harness(100);
        let log = Arc::new(MemoryDocLog::new());
        log.delete_document("doc");
        h.room.server_update(&edit(3, "late"), None).unwrap();
        let backlog = h.backlog.clone();
        start(&log, h.persisted, &backlog);
        until("dropped", || backlog.unsaved() == 0).await;
        assert!(log.updates("doc").is_empty());
    }

    #[tokio::test]
    async fn an_outage_grows_the_backlog_to_its_bound_then_drains() {
        let h = harness(2);
        let log = Arc::new(MemoryDocLog::new());
        log.set_failing(true);
        let (a, out) = peer("alice", Role::Editor, true);
        h.room.join(1, a).unwrap();
        frames(&out);
        let backlog = h.backlog.clone();
        start(&log, h.persisted, &backlog);
        h.room.client_update(1, &edit(10, "a")).unwrap();
        h.room.client_update(1, &edit(11, "b")).unwrap();
        until("retries", || log.append_calls.load(Ordering::SeqCst) >= 2).await;
        assert_eq!(backlog.unsaved(), 2, "nothing saved, nothing dropped");
        // Bound reached: new edits are refused (1013; REST maps it to 503).
        let refused = h.room.client_update(1, &edit(12, "c")).unwrap_err();
        assert_eq!(refused.code, protocol::CLOSE_TRY_AGAIN);
        assert!(h.bus.take().is_empty(), "nothing published while unsaved");
        // The database is back: the backlog drains and edits flow again.
        log.set_failing(false);
        until("drained", || backlog.unsaved() == 0).await;
        assert_eq!(log.updates("doc").len(), 2);
        assert_eq!(h.bus.take().len(), 2);
        assert!(frames(&out).contains(&Bytes::from(quire_doc::protocol::encode_ack(2))));
        h.room.client_update(1, &edit(12, "c")).unwrap();
        until("saved", || log.updates("doc").len() == 3).await;
    }
}
