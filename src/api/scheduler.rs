//! The publishing scheduler: fires `publish_at` and `unpublish_at` once
//! they are due, within about a second, on every instance sharing the
//! database, exactly once. Each due document is leased first (a
//! conditional update only one instance wins); the publish or unpublish
//! then clears the schedule field and the lease in its own transaction. An
//! instance that dies in between leaves the lease to expire, and another
//! instance takes the work over. A time in the past fires at once; fired
//! schedules survive restarts because they live in the database.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::error::ApiResult;
use super::publishing::{publish_now, unpublish_now};
use crate::state::AppState;
use crate::store::Schedule;
use crate::util::{now_ms, rfc3339};

/// How often due schedules are looked for.
const POLL: Duration = Duration::from_secs(1);
/// How long a lease lasts: far longer than saving a version takes.
const LEASE_MS: i64 = 30_000;
/// Documents fired per round at most (the rest wait a second).
const BATCH: i64 = 50;

/// Runs until `stop` is cancelled.
pub async fn run(state: AppState, stop: CancellationToken) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = fire_due(&state).await {
            tracing::warn!(error = %e, "publishing scheduler");
        }
    }
}

async fn fire_due(state: &AppState) -> ApiResult<()> {
    let now = now_ms();
    for due in state.store.due_schedules(now, BATCH).await? {
        if !state
            .store
            .lease_schedule(&due.document_id, now, now + LEASE_MS)
            .await?
        {
            continue;
        }
        if let Err(e) = fire(state, &due, now).await {
            // The lease expires and the next round (here or elsewhere) retries.
            tracing::warn!(document = %due.document_id, error = %e, "scheduled publishing failed");
        }
    }
    Ok(())
}

/// Fires what is due of one schedule, the earlier first.
async fn fire(state: &AppState, due: &Schedule, now: i64) -> ApiResult<()> {
    let publish = due.publish_at.filter(|t| *t <= now);
    let unpublish = due.unpublish_at.filter(|t| *t <= now);
    let unpublish_first = matches!((publish, unpublish), (Some(p), Some(u)) if u < p);
    if unpublish_first {
        take_down(state, &due.document_id).await?;
    }
    if let Some(at) = publish {
        let label = format!("Published {} (scheduled)", rfc3339(at));
        publish_now(state, &due.document_id, None, &label).await?;
    }
    if unpublish.is_some() && !unpublish_first {
        take_down(state, &due.document_id).await?;
    }
    Ok(())
}

async fn take_down(state: &AppState, id: &str) -> ApiResult<()> {
    let was_published = state
        .store
        .document_by_id(id)
        .await?
        .is_some_and(|d| d.published_version.is_some());
    unpublish_now(state, id, None, was_published).await?;
    Ok(())
}
