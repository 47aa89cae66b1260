//! Webhooks: events about documents sent to their owners' receivers, at
//! least once, signed, with retries.
//!
//! ```text
//! change (REST, socket, scheduler)       relay                     sender
//!   └─ same transaction: outbox row ──▶ render body, claim row ──▶ lease, POST, record
//!      or pending change (debounced)     + one delivery per hook     attempt; retry with
//!                                                                     backoff for 24 h
//! ```
//!
//! Everything is in the database, so an event survives a crash between the
//! change and its delivery, and any instance may take work over. Every
//! step claims its work with a conditional statement only one instance
//! wins, so several instances never send one attempt twice.
//!
//! This module knows nothing of HTTP handlers: what an event's `data`
//! holds is rendered by a [`relay::Render`] the caller supplies.

pub mod relay;
pub mod sender;
pub mod signature;
pub mod target;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config;
use crate::store::Store;

/// How long a delivery is retried after its event (or its redelivery).
pub const RETRY_WINDOW_MS: i64 = 24 * 3_600_000;
/// Longest wait between two attempts.
pub const MAX_RETRY_DELAY_MS: i64 = 3_600_000;

/// Runs the relay and the sender until `stop` is cancelled.
pub async fn run(
    store: Arc<dyn Store>,
    render: Arc<dyn relay::Render>,
    config: config::Webhooks,
    stop: CancellationToken,
) {
    let sender = match sender::Sender::new(store.clone(), &config) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "webhook sender could not start; webhooks are not delivered");
            return;
        }
    };
    let relay = relay::Relay::new(store, render, config);
    tokio::join!(relay.run(stop.clone()), sender.run(stop));
}

/// The delay before the next attempt after `failures` failed ones: the
/// base, doubled after each further failure, times `jitter` (expected in
/// 1.0..1.25, so that delays still grow), capped at an hour.
pub fn retry_delay_ms(base_ms: u64, failures: i64, jitter: f64) -> i64 {
    let exponent = (failures.max(1) - 1).min(30) as i32;
    let delay = base_ms as f64 * 2f64.powi(exponent) * jitter.clamp(1.0, 1.25);
    (delay as i64).clamp(1, MAX_RETRY_DELAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_grow_with_jitter_and_stop_at_an_hour() {
        assert_eq!(retry_delay_ms(1000, 1, 1.0), 1000);
        assert_eq!(retry_delay_ms(1000, 2, 1.0), 2000);
        assert_eq!(retry_delay_ms(1000, 3, 1.0), 4000);
        // The worst jitter never makes a delay shorter than the one before.
        for n in 1..20 {
            assert!(retry_delay_ms(1000, n + 1, 1.0) >= retry_delay_ms(1000, n, 1.25));
        }
        assert_eq!(retry_delay_ms(1000, 40, 1.25), MAX_RETRY_DELAY_MS);
        assert_eq!(retry_delay_ms(1000, 0, 1.0), 1000);
    }
}
