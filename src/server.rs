//! Starting and stopping the server: secret resolution, store, state,
//! listener, graceful shutdown.
//!
//! Connections are served by hyper's HTTP/1 server directly rather than
//! `axum::serve`, for the limits a public listener needs: every accepted
//! socket gets TCP_NODELAY; a client must finish sending request headers
//! within `HEADER_READ_TIMEOUT_SECS` (the same timer closes keep-alive
//! connections idle between requests, since waiting for the next request is
//! waiting for its headers); one client address may hold at most
//! `MAX_PENDING_CONNECTIONS_PER_IP` connections that have not yet sent a
//! complete request; accept errors such as running out of file descriptors
//! pause accepting briefly instead of spinning. WebSocket upgrades pass
//! through (the upgraded socket leaves these limits behind).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tower::util::Oneshot;

use crate::bus::Bus;
use crate::bus::local::LocalBus;
use crate::bus::redis::RedisBus;
use crate::config::{Config, Environment};
use crate::metrics::{self, ConnectionRefused};
use crate::state::AppState;
use crate::store::sql::SqlStore;
use crate::store::{StoreError, dialect};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("JWT_SECRET is required when QUIRE_ENV=production")]
    MissingSecret,
    #[error("JWT_SECRET must be at least 32 bytes")]
    WeakSecret,
    #[error("cannot open database {url}: {source}")]
    Store { url: String, source: StoreError },
    #[error("cannot connect to Redis at {url}: {source}")]
    Redis {
        url: String,
        source: crate::bus::BusError,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The configured secret, or in dev mode a generated one (with a warning).
pub fn resolve_secret(config: &Config) -> Result<Vec<u8>, StartError> {
    match (&config.jwt_secret, config.environment) {
        (Some(s), Environment::Production) if s.len() < 32 => Err(StartError::WeakSecret),
        (Some(s), _) => Ok(s.as_bytes().to_vec()),
        (None, Environment::Production) => Err(StartError::MissingSecret),
        (None, Environment::Dev) => {
            tracing::warn!(
                "JWT_SECRET is not set: generated a random development secret; \
                 sessions end when the server restarts. Set JWT_SECRET in production."
            );
            Ok(crate::auth::token::random_token().into_bytes())
        }
    }
}

pub async fn open_store(url: &str) -> Result<SqlStore, StartError> {
    SqlStore::open(url)
        .await
        .map_err(|source| StartError::Store {
            url: dialect::redact(url),
            source,
        })
}

/// Builds the state from the configuration (store opened and migrated;
/// Redis bus when `REDIS_URL` is set, in-process otherwise).
pub async fn build_state(config: Config) -> Result<AppState, StartError> {
    let secret = resolve_secret(&config)?;
    let mut store = open_store(&config.database_url).await?;
    if let Some(url) = &config.database_read_url {
        store = store
            .with_read_replica(url)
            .await
            .map_err(|source| StartError::Store {
                url: dialect::redact(url),
                source,
            })?;
    }
    let instance = config.instance_id.clone().unwrap_or_else(|| {
        uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(12)
            .collect()
    });
    let bus: Arc<dyn Bus> = match &config.redis_url {
        Some(url) => {
            RedisBus::connect(url, &instance)
                .await
                .map_err(|source| StartError::Redis {
                    url: dialect::redact(url),
                    source,
                })?
        }
        None => Arc::new(LocalBus::new(&instance)),
    };
    Ok(AppState::with_bus(
        config,
        Arc::new(store),
        &secret,
        bus,
        instance,
    ))
}

/// A server bound to a port, ready to run.
pub struct Server {
    pub listener: TcpListener,
    pub state: AppState,
    /// The separate `/metrics` listener, when `METRICS_ADDR` is set.
    pub metrics_listener: Option<TcpListener>,
}

impl Server {
    pub async fn bind(config: Config) -> Result<Self, StartError> {
        let addr = config.bind_addr;
        let metrics_addr = config.metrics_addr;
        let state = build_state(config).await?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let metrics_listener = match metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Bind { addr, source })?,
            ),
            None => None,
        };
        Ok(Self {
            listener,
            state,
            metrics_listener,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served separately, if it is.
    pub fn metrics_local_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref()?.local_addr().ok()
    }

    /// Serves until `shutdown` resolves: stops accepting, lets open HTTP
    /// connections finish their current request (at most
    /// [`DRAIN_TIMEOUT`]), then shuts the collaboration layer down.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = crate::api::app(self.state.clone());
        let config = &self.state.config;
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(
                config.limits.header_read_timeout_secs.max(1),
            ))
            .keep_alive(true);
        let pending = Arc::new(PendingConnections::new(
            config.limits.max_pending_connections_per_ip,
        ));
        let trusted = config.trusted_proxies.clone();
        let stop = CancellationToken::new();
        tokio::spawn(crate::api::scheduler::run(self.state.clone(), stop.clone()));
        tokio::spawn(crate::api::trash::run(self.state.clone(), stop.clone()));
        tokio::spawn(crate::webhooks::run(
            self.state.store.clone(),
            Arc::new(crate::api::webhooks::Renderer(self.state.clone())),
            self.state.config.webhooks.clone(),
            stop.clone(),
        ));
        let connections = TaskTracker::new();
        if let Some(listener) = self.metrics_listener {
            // Internal scrape port: plain axum serving is enough.
            let router = crate::api::system::metrics_only(self.state.config.clone());
            let stop = stop.clone();
            tokio::spawn(async move {
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
            });
        }
        tokio::pin!(shutdown);
        loop {
            let (tcp, peer) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        accept_failed(e).await;
                        continue;
                    }
                },
            };
            // Without TCP_NODELAY small frames wait for ACKs (~40 ms p99).
            let _ = tcp.set_nodelay(true);
            // Proxies multiplex many clients; the cap is for direct clients.
            let guard = if crate::auth::client_ip::is_trusted(&trusted, peer.ip()) {
                None
            } else {
                match pending.enter(peer.ip()) {
                    Some(g) => Some(g),
                    None => {
                        metrics::http_connection_refused(ConnectionRefused::PendingPerIp);
                        drop(tcp);
                        continue;
                    }
                }
            };
            let service = ConnectionService {
                app: app.clone(),
                peer,
                pending: Arc::new(parking_lot::Mutex::new(guard)),
            };
            let conn = http
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            let stop = stop.clone();
            connections.spawn(async move {
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = stop.cancelled() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            });
        }
        drop(self.listener);
        stop.cancel();
        self.state.feed.close();
        connections.close();
        // Live WebSockets are closed (1012) at once, while in-flight HTTP
        // requests drain; then the collaboration side waits for durability.
        let drain = async {
            if tokio::time::timeout(DRAIN_TIMEOUT, connections.wait())
                .await
                .is_err()
            {
                tracing::warn!("HTTP connections still open after the drain timeout");
            }
        };
        tokio::join!(drain, crate::collab::shutdown(&self.state.hub));
        Ok(())
    }
}

/// How long shutdown waits for in-flight HTTP requests.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// An accept error: per-connection ones are skipped; running out of file
/// descriptors or memory pauses accepting briefly instead of spinning.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    metrics::http_accept_error();
    tracing::warn!(error = %e, "accept failed; pausing");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The router as seen by one connection: adds the peer address
/// (`ConnectInfo`) and marks the connection as past its first request.
#[derive(Clone)]
struct ConnectionService {
    app: axum::Router,
    peer: SocketAddr,
    pending: Arc<parking_lot::Mutex<Option<PendingGuard>>>,
}

impl hyper::service::Service<hyper::Request<hyper::body::Incoming>> for ConnectionService {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = Oneshot<axum::Router, axum::extract::Request>;

    fn call(&self, req: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        // A complete request head arrived: no longer a pending connection.
        self.pending.lock().take();
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        self.app.clone().oneshot(req)
    }
}

/// Connections per client address that have not sent a complete request yet.
struct PendingConnections {
    max: usize,
    counts: Arc<parking_lot::Mutex<HashMap<IpAddr, usize>>>,
}

impl PendingConnections {
    fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            counts: Arc::default(),
        }
    }

    /// A slot for a new connection from `ip`, or `None` at the cap.
    fn enter(&self, ip: IpAddr) -> Option<PendingGuard> {
        let ip = ip.to_canonical();
        let mut counts = self.counts.lock();
        let n = counts.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(PendingGuard {
            ip,
            counts: self.counts.clone(),
        })
    }
}

/// Releases its address's slot when dropped.
struct PendingGuard {
    ip: IpAddr,
    counts: Arc<parking_lot::Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        let mut counts = self.counts.lock();
        if let Some(n) = counts.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
