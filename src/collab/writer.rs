//! The group-commit writer of the update log: batches accepted updates for
//! a bounded window, writes each batch in one transaction, retries until it
//! is durable (nothing is dropped), then acknowledges the rooms.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::hub::{Hub, PendingUpdate};
use super::room::Room;
use crate::store::NewUpdate;

/// Group commit: the first update opens a window of `group_commit_ms`; all
/// updates arriving in it share one transaction. On failure the batch is
/// retried with backoff until it is durable; nothing is dropped.
pub(super) async fn writer_loop(hub: Arc<Hub>, mut rx: mpsc::UnboundedReceiver<PendingUpdate>) {
    const MAX_BATCH: usize = 4096;
    let window = Duration::from_millis(hub.config.persistence.group_commit_ms);
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
        write_batch(&hub, &mut batch).await;
        metrics::histogram!("quire_persist_batch_size").record(batch.len() as f64);
        metrics::histogram!("quire_persist_seconds").record(started.elapsed().as_secs_f64());
        hub.in_flight
            .fetch_sub(batch.len() as u64, Ordering::SeqCst);
        notify_durable(&hub, batch).await;
    }
}

async fn write_batch(hub: &Arc<Hub>, batch: &mut Vec<PendingUpdate>) {
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
        match hub.store.append_updates(&rows).await {
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
                metrics::counter!("quire_persist_failures_total").increment(1);
                failures += 1;
                // Loud once per outage, quiet while it lasts.
                if failures == 1 {
                    tracing::error!(error = %e, batch = batch.len(), "update log write failed; retrying until durable");
                } else {
                    tracing::debug!(error = %e, failures, "update log write still failing");
                }
                // The database answers but refused the batch: drop rows of
                // documents deleted meanwhile (their foreign key fails).
                if hub.store.ping().await.is_ok() {
                    let mut gone = Vec::new();
                    for doc in batch
                        .iter()
                        .map(|u| u.doc_id.clone())
                        .collect::<std::collections::HashSet<_>>()
                    {
                        if matches!(hub.store.document_exists(&doc).await, Ok(false)) {
                            gone.push(doc);
                        }
                    }
                    let before = batch.len();
                    batch.retain(|u| !gone.contains(&u.doc_id));
                    hub.in_flight
                        .fetch_sub((before - batch.len()) as u64, Ordering::SeqCst);
                    if batch.is_empty() {
                        return;
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn notify_durable(hub: &Arc<Hub>, batch: Vec<PendingUpdate>) {
    // Per room, in acceptance order (the order they are published in).
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
        if room.on_durable(&updates).compact {
            let hub = hub.clone();
            tokio::spawn(async move {
                let _ = hub.compact(&room).await;
            });
        }
    }
}
