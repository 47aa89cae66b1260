//! The relay: turns settled changes into `document.updated` events, and
//! outbox rows into deliveries with the exact body every attempt will send.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::config;
use crate::store::{OutboxEvent, Result, Store};
use crate::util::{now_ms, rfc3339};

/// How often the outbox is read.
const OUTBOX_POLL: Duration = Duration::from_millis(200);
/// Events rendered per round at most.
const BATCH: i64 = 50;
/// Finished deliveries are kept in the log this long.
const LOG_KEPT_MS: i64 = 30 * 24 * 3_600_000;

/// What an event says: the `data` object and the owner whose hooks get it.
pub struct Rendered {
    pub owner_id: String,
    pub data: serde_json::Value,
}

/// Renders an event's `data` (the document, and the version or comment it
/// is about) from the current state. None when that is gone (the document
/// was deleted meanwhile): the event is dropped.
#[async_trait]
pub trait Render: Send + Sync + 'static {
    async fn render(&self, event: &OutboxEvent) -> Result<Option<Rendered>>;
}

pub struct Relay {
    store: Arc<dyn Store>,
    render: Arc<dyn Render>,
    config: config::Webhooks,
}

impl Relay {
    pub fn new(store: Arc<dyn Store>, render: Arc<dyn Render>, config: config::Webhooks) -> Self {
        Self {
            store,
            render,
            config,
        }
    }

    pub async fn run(self, stop: CancellationToken) {
        let mut tick = tokio::time::interval(OUTBOX_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut rounds: u64 = 0;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            rounds += 1;
            // Settled changes once a second, old log entries once an hour.
            if rounds % 5 == 1
                && let Err(e) = self.settle().await
            {
                tracing::warn!(error = %e, "webhook relay: settling changes");
            }
            if rounds % 18_000 == 1 {
                let _ = self.store.prune_deliveries(now_ms() - LOG_KEPT_MS).await;
            }
            if let Err(e) = self.dispatch().await {
                tracing::warn!(error = %e, "webhook relay");
            }
        }
    }

    /// Raises `document.updated` for documents quiet for the debounce time.
    pub async fn settle(&self) -> Result<()> {
        let quiet_since = now_ms() - (self.config.updated_debounce_secs as i64) * 1000;
        for doc in self.store.settled_changes(quiet_since, BATCH).await? {
            self.store.settle_change(&doc, quiet_since).await?;
        }
        Ok(())
    }

    /// Renders and dispatches the oldest outbox rows.
    pub async fn dispatch(&self) -> Result<()> {
        for event in self.store.outbox(BATCH).await? {
            let rendered = self.render.render(&event).await?;
            let expires_at = now_ms() + super::RETRY_WINDOW_MS;
            match rendered {
                Some(r) => {
                    let body = body(&event, r.data);
                    self.store
                        .dispatch_event(&event, &r.owner_id, Some(&body), expires_at)
                        .await?;
                }
                None => {
                    self.store
                        .dispatch_event(&event, "", None, expires_at)
                        .await?;
                }
            }
        }
        Ok(())
    }
}

/// The JSON every attempt of the event sends.
pub fn body(event: &OutboxEvent, data: serde_json::Value) -> String {
    serde_json::json!({
        "id": event.id,
        "type": event.kind,
        "created_at": rfc3339(event.created_at),
        "data": data,
    })
    .to_string()
}
