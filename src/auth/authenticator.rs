//! Turning a presented token into an identity: a session JWT, a
//! document-scoped JWT, or a personal API token (`qpat_…`, looked up by
//! hash; revoked or expired ones fail). Knows nothing of HTTP: callers hand
//! it the token string they found.

use std::sync::Arc;

use super::token::{API_TOKEN_PREFIX, api_token_hash};
use super::{AuthError, Claims, TokenKeys};
use crate::store::Store;

/// Verifies tokens against the signing keys and the store's API tokens.
#[derive(Clone)]
pub struct Authenticator {
    keys: TokenKeys,
    store: Arc<dyn Store>,
}

impl Authenticator {
    pub fn new(keys: TokenKeys, store: Arc<dyn Store>) -> Self {
        Self { keys, store }
    }

    /// The keys that sign session tokens.
    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// The identity behind `token`, or [`AuthError::InvalidToken`].
    pub async fn authenticate(&self, token: &str) -> Result<Claims, AuthError> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return self.keys.verify(token);
        }
        let hash = api_token_hash(token);
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
