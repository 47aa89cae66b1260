//! Shared application state handed to every handler.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::ratelimit::LoginLimiter;
use crate::auth::{AuthError, Claims, TokenKeys};
use crate::bus::Bus;
use crate::bus::local::LocalBus;
use crate::collab::hub::Hub;
use crate::config::Config;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub keys: TokenKeys,
    pub login_limiter: LoginLimiter,
    pub instance_id: String,
    pub hub: Arc<Hub>,
    /// Last known database reachability (probed in the background).
    pub health: Arc<crate::health::DbHealth>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// `jwt_secret` is resolved by the caller (generated in dev mode).
    /// Starts the collaboration hub's background tasks (needs a runtime).
    pub fn new(config: Config, store: Arc<dyn Store>, jwt_secret: &[u8]) -> Self {
        let instance = config
            .instance_id
            .clone()
            .unwrap_or_else(random_instance_id);
        let bus: Arc<dyn Bus> = Arc::new(LocalBus::new(&instance));
        Self::with_bus(config, store, jwt_secret, bus, instance)
    }

    pub fn with_bus(
        config: Config,
        store: Arc<dyn Store>,
        jwt_secret: &[u8],
        bus: Arc<dyn Bus>,
        instance_id: String,
    ) -> Self {
        let login_limiter = LoginLimiter::new(
            config.limits.login_max_failures,
            Duration::from_secs(config.limits.login_window_secs),
        );
        // Install the metrics recorder before anything records.
        crate::telemetry::metrics_handle();
        let hub = Hub::start(store.clone(), config.clone(), bus, instance_id.clone());
        let health = crate::health::DbHealth::start(store.clone());
        Self(Arc::new(Inner {
            hub,
            health,
            keys: TokenKeys::new(jwt_secret),
            login_limiter,
            instance_id,
            store,
            config,
        }))
    }

    /// Verifies a session JWT, a document-scoped token or a personal API
    /// token (`qpat_…`, looked up by hash; revoked or expired ones fail).
    pub async fn authenticate(&self, token: &str) -> Result<Claims, AuthError> {
        if !token.starts_with(crate::auth::token::API_TOKEN_PREFIX) {
            return self.keys.verify(token);
        }
        let hash = crate::auth::token::api_token_hash(token);
        let crate::store::AuthenticatedToken { token: t, user } = self
            .store
            .api_token_user(&hash)
            .await
            .map_err(|_| AuthError::InvalidToken)?
            .ok_or(AuthError::InvalidToken)?;
        let now = (crate::util::now_ms() / 1000).max(0) as u64;
        Ok(Claims {
            sub: user.id,
            name: user.username,
            iat: (t.created_at / 1000).max(0) as u64,
            exp: t
                .expires_at
                .map_or(now + 10 * 365 * 24 * 3600, |e| (e / 1000).max(0) as u64),
            csrf: String::new(),
            doc: None,
            ro: t.read_only,
            tid: Some(t.id),
        })
    }
}

fn random_instance_id() -> String {
    uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(12)
        .collect()
}
