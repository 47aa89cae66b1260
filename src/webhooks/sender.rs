//! The sender: leases due deliveries, POSTs them signed, records every
//! attempt and schedules the next one with backoff until the retry window
//! ends.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper::header::{CONTENT_TYPE, USER_AGENT};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::Rng;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{signature, target};
use crate::config;
use crate::metrics;
use crate::store::{DeliveryAttempt, DeliveryStatus, Result, Store, WebhookDelivery};
use crate::util::now_ms;

/// A receiver that has not answered by then has failed the attempt.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long an instance holds a delivery while sending it: well past the
/// timeout, so that a lease only lapses when its holder died.
const LEASE_MS: i64 = 60_000;
/// Attempts in flight per instance at most.
const IN_FLIGHT: usize = 16;
/// Longest sleep between two looks for due deliveries (others instances
/// may have written some).
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Shortest one, when work is waiting.
const BUSY_POLL: Duration = Duration::from_millis(20);
/// Longest error text kept in the delivery log.
const MAX_ERROR_CHARS: usize = 300;

const AGENT: &str = concat!("Quire-Webhooks/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error("TLS set-up: {0}")]
    Tls(#[from] rustls::Error),
}

type HttpClient = Client<HttpsConnector<HttpConnector<target::GuardedResolver>>, Full<Bytes>>;

#[derive(Clone)]
pub struct Sender {
    store: Arc<dyn Store>,
    /// Follows no redirects (one could lead anywhere, private addresses
    /// included); connects only to addresses the resolver let through.
    client: HttpClient,
    retry_base_ms: u64,
    allow_private: bool,
}

/// What one attempt came to.
struct Outcome {
    attempt: DeliveryAttempt,
    delivered: bool,
    /// Not worth retrying (the target is not allowed).
    permanent: bool,
}

impl Sender {
    pub fn new(store: Arc<dyn Store>, config: &config::Webhooks) -> Result<Self, SenderError> {
        let mut http = HttpConnector::new_with_resolver(target::GuardedResolver {
            allow_private: config.allow_private,
        });
        http.enforce_http(false);
        http.set_connect_timeout(Some(TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Self {
            store,
            client,
            retry_base_ms: config.retry_base_ms.max(1),
            allow_private: config.allow_private,
        })
    }

    pub async fn run(self, stop: CancellationToken) {
        let mut in_flight = JoinSet::new();
        loop {
            let now = now_ms();
            if let Err(e) = self.start_due(now, &mut in_flight).await {
                tracing::warn!(error = %e, "webhook sender");
            }
            let wait = match self.store.next_delivery_at(now_ms()).await {
                Ok(Some(at)) if in_flight.len() < IN_FLIGHT => {
                    Duration::from_millis((at - now_ms()).max(0) as u64).clamp(BUSY_POLL, IDLE_POLL)
                }
                _ => IDLE_POLL,
            };
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            }
        }
        // Attempts under way finish (each within the timeout) and are
        // recorded; anything else waits in the database.
        while in_flight.join_next().await.is_some() {}
    }

    async fn start_due(&self, now: i64, in_flight: &mut JoinSet<()>) -> Result<()> {
        let room = IN_FLIGHT.saturating_sub(in_flight.len());
        if room == 0 {
            return Ok(());
        }
        for delivery in self.store.due_deliveries(now, room as i64).await? {
            if !self
                .store
                .lease_delivery(&delivery.id, now, now + LEASE_MS)
                .await?
            {
                continue;
            }
            let sender = self.clone();
            in_flight.spawn(async move { sender.deliver(delivery).await });
        }
        Ok(())
    }

    /// One attempt, recorded, with the next one scheduled if it failed.
    async fn deliver(&self, d: WebhookDelivery) {
        let outcome = self.attempt(&d).await;
        let failures = d.attempts + 1;
        let (status, next, label) = if outcome.delivered {
            (DeliveryStatus::Succeeded, None, "succeeded")
        } else {
            let jitter = rand::rng().random_range(1.0..1.25);
            let at = now_ms() + super::retry_delay_ms(self.retry_base_ms, failures, jitter);
            if outcome.permanent || at > d.expires_at {
                (DeliveryStatus::Failed, None, "failed")
            } else {
                (DeliveryStatus::Pending, Some(at), "retrying")
            }
        };
        metrics::webhook_attempt(label);
        if let Err(e) = self
            .store
            .finish_delivery(&d.id, &outcome.attempt, status, next)
            .await
        {
            // The lease lapses and the attempt is made again: at least once.
            tracing::warn!(delivery = %d.id, error = %e, "webhook attempt not recorded");
        }
    }

    async fn attempt(&self, d: &WebhookDelivery) -> Outcome {
        let at = now_ms();
        let failed = |error: String, permanent| Outcome {
            attempt: DeliveryAttempt {
                at,
                response_status: None,
                error: Some(truncate(error)),
            },
            delivered: false,
            permanent,
        };
        let url = match target::parse(&d.url) {
            Ok(u) => u,
            Err(e) => return failed(e.to_string(), true),
        };
        // Names are checked by the resolver as they are connected to;
        // literal addresses here.
        if !self.allow_private && target::literal_is_private(&url) == Some(true) {
            return failed(target::TargetError::Private.to_string(), true);
        }
        let t = at / 1000;
        let request = Request::post(url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, AGENT)
            .header(
                "Quire-Signature",
                signature::header(&d.secret, t, d.body.as_bytes()),
            )
            .header("Quire-Event", &d.kind)
            .header("Quire-Event-Id", &d.event_id)
            .header("Quire-Delivery", &d.id)
            .body(Full::new(Bytes::from(d.body.clone())));
        let request = match request {
            Ok(r) => r,
            Err(e) => return failed(e.to_string(), true),
        };
        // The whole exchange, answer included, within the timeout; the
        // answer's body is not read.
        match tokio::time::timeout(TIMEOUT, self.client.request(request)).await {
            Ok(Ok(r)) => {
                let status = r.status();
                Outcome {
                    attempt: DeliveryAttempt {
                        at,
                        response_status: Some(i64::from(status.as_u16())),
                        error: (!status.is_success())
                            .then(|| format!("the receiver answered {status}")),
                    },
                    delivered: status.is_success(),
                    permanent: false,
                }
            }
            Ok(Err(e)) => failed(describe(&e), false),
            Err(_) => failed(format!("no answer within {} s", TIMEOUT.as_secs()), false),
        }
    }
}

/// The error and its causes, as one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn truncate(mut s: String) -> String {
    if s.chars().count() > MAX_ERROR_CHARS {
        s = s.chars().take(MAX_ERROR_CHARS).collect();
        s.push('…');
    }
    s
}
