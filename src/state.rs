//! Shared application state handed to every handler.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::ratelimit::LoginLimiter;
use crate::auth::{Authenticator, TokenKeys};
use crate::bus::Bus;
use crate::collab::hub::Hub;
use crate::config::Config;
use crate::feed::Feed;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub keys: TokenKeys,
    /// Turns presented tokens into identities (sessions and API tokens).
    pub auth: Authenticator,
    pub login_limiter: LoginLimiter,
    pub instance_id: String,
    pub hub: Arc<Hub>,
    /// Document-list events and session revocations across instances.
    pub feed: Arc<Feed>,
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
    /// `jwt_secret` is resolved by the caller (generated in dev mode);
    /// `bus` connects this instance to the others (an in-process bus when
    /// it runs alone). Starts the collaboration hub's background tasks
    /// (needs a runtime).
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
        let hub = Hub::start(
            store.clone(),
            config.clone(),
            bus.clone(),
            instance_id.clone(),
        );
        let health = crate::health::DbHealth::start(store.clone());
        let keys = TokenKeys::new(jwt_secret);
        let auth = Authenticator::new(keys.clone(), store.clone());
        let feed = Feed::start(
            bus,
            instance_id.clone(),
            hub.clone(),
            auth.sessions().clone(),
        );
        Self(Arc::new(Inner {
            hub,
            feed,
            health,
            keys,
            auth,
            login_limiter,
            instance_id,
            store,
            config,
        }))
    }
}
