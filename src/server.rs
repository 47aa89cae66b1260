//! Starting and stopping the server: secret resolution, store, state,
//! listener (TCP_NODELAY), graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::bus::Bus;
use crate::bus::local::LocalBus;
use crate::bus::redis::RedisBus;
use crate::config::{Config, Environment};
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
}

impl Server {
    pub async fn bind(config: Config) -> Result<Self, StartError> {
        let addr = config.bind_addr;
        let state = build_state(config).await?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = crate::api::app(self.state.clone());
        let listener = self.listener.tap_io(|tcp| {
            // Without TCP_NODELAY small frames wait for ACKs (~40 ms p99).
            let _ = tcp.set_nodelay(true);
        });
        // On the signal, live WebSockets are closed (1012) at once: the
        // server's graceful drain would otherwise wait for them forever.
        let state = self.state.clone();
        let shutdown = async move {
            shutdown.await;
            crate::collab::shutdown(&state).await;
        };
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        Ok(())
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
