//! Turning a presented token into an identity: a session JWT (whose
//! session must still be live, see [`super::sessions`]), a document-scoped
//! JWT (bound to the session it was issued from), or a personal API token
//! (`qpat_…`, looked up by hash; revoked or expired ones fail). Knows
//! nothing of HTTP: callers hand it the token string they found.

use std::sync::Arc;

use super::token::{API_TOKEN_PREFIX, api_token_hash};
use super::{AuthError, Claims, Sessions, TokenKeys};
use crate::store::Store;

/// Verifies tokens against the signing keys and the store's API tokens.
#[derive(Clone)]
pub struct Authenticator {
    keys: TokenKeys,
    store: Arc<dyn Store>,
    sessions: Sessions,
}

impl Authenticator {
    pub fn new(keys: TokenKeys, store: Arc<dyn Store>) -> Self {
        Self {
            keys,
            sessions: Sessions::new(store.clone()),
            store,
        }
    }

    /// Which sessions are live (sign-out forgets revoked ones here).
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The keys that sign session tokens.
    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// Signs `user` in: records a new session valid for `ttl_secs` and
    /// issues its token (scoped to `doc` when given).
    pub async fn start_session(
        &self,
        user_id: &str,
        username: &str,
        ttl_secs: u64,
        doc: Option<String>,
    ) -> Result<(String, Claims), AuthError> {
        let sid = uuid::Uuid::new_v4().to_string();
        let (token, claims) = self.keys.issue(user_id, username, &sid, ttl_secs, doc)?;
        let expires_at = i64::try_from(claims.exp)
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000);
        self.store
            .create_session(&sid, user_id, expires_at)
            .await
            .map_err(|e| {
                if e.is_unavailable() {
                    AuthError::Unavailable
                } else {
                    tracing::error!(error = %e, "session could not be stored");
                    AuthError::Storage
                }
            })?;
        Ok((token, claims))
    }

    /// The identity behind `token`, or [`AuthError::InvalidToken`].
    pub async fn authenticate(&self, token: &str) -> Result<Claims, AuthError> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            let claims = self.keys.verify(token)?;
            // A JWT without a session (issued before sessions were stored)
            // cannot be revoked, so it is not accepted.
            let sid = claims.sid.as_deref().ok_or(AuthError::InvalidToken)?;
            self.sessions.check(sid).await?;
            return Ok(claims);
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
            sid: None,
            ro: t.read_only,
            tid: Some(t.id),
            delivery: t.delivery_only,
        })
    }
}
