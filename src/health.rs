//! Database readiness, watched in the background so `/readyz` answers at
//! once from the last known state instead of waiting on a database that
//! does not answer. A change of state is logged once (WARN when it becomes
//! unreachable, INFO when it is back), not on every probe.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::store::Store;

/// How often the database is probed, and how long one probe may take.
const PROBE_EVERY: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_millis(900);

pub struct DbHealth {
    ok: AtomicBool,
}

impl DbHealth {
    /// Starts probing `store` until the returned handle is dropped.
    pub fn start(store: Arc<dyn Store>) -> Arc<Self> {
        let health = Arc::new(Self {
            ok: AtomicBool::new(true),
        });
        let weak = Arc::downgrade(&health);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PROBE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(health) = weak.upgrade() else { return };
                let ok = matches!(
                    tokio::time::timeout(PROBE_TIMEOUT, store.ping()).await,
                    Ok(Ok(()))
                );
                health.record(ok);
            }
        });
        health
    }

    fn record(&self, ok: bool) {
        let was = self.ok.swap(ok, Ordering::SeqCst);
        crate::metrics::database_up(ok);
        match (was, ok) {
            (true, false) => {
                tracing::warn!("database unreachable; not ready (edits are kept in memory)")
            }
            (false, true) => tracing::info!("database reachable again; ready"),
            _ => {}
        }
    }

    /// The last probe's verdict.
    pub fn database_ok(&self) -> bool {
        self.ok.load(Ordering::SeqCst)
    }
}
