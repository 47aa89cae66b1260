//! The `AuthUser` extractor: who is calling.
//!
//! Accepts `Authorization: Bearer <jwt>` on every route, or the session
//! cookie. A cookie-authenticated request that changes state (anything but
//! GET/HEAD/OPTIONS) must echo the session's CSRF token in `X-CSRF-Token`
//! (double submit: the same value is in the JS-readable `quire_csrf` cookie
//! and signed into the session token), otherwise 403.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, Method, header, request::Parts};
use axum_extra::extract::CookieJar;

use super::{AuthError, CSRF_HEADER, Claims, SESSION_COOKIE};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthVia {
    Bearer,
    Cookie,
}

#[derive(Clone, Debug)]
pub struct AuthUser {
    pub id: String,
    pub username: String,
    pub via: AuthVia,
    pub claims: Claims,
}

/// The bearer token of an `Authorization` header, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The session cookie's token, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

fn csrf_ok(parts: &Parts, claims: &Claims) -> bool {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let sent = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !claims.csrf.is_empty() && constant_time_eq(sent.as_bytes(), claims.csrf.as_bytes())
}

/// Equality whose time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, via) = match bearer_token(&parts.headers) {
            Some(t) => (t.to_string(), AuthVia::Bearer),
            None => match cookie_token(&parts.headers) {
                Some(t) => (t, AuthVia::Cookie),
                None => return Err(AuthError::Missing.into()),
            },
        };
        let claims = state.authenticate(&token).await?;
        if claims.doc.is_some() {
            // Document-scoped tokens are for the WebSocket of that document only.
            return Err(AuthError::WrongScope.into());
        }
        if via == AuthVia::Cookie && !csrf_ok(parts, &claims) {
            return Err(AuthError::Csrf.into());
        }
        if claims.ro && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Err(ApiError::Forbidden("this API token is read-only".into()));
        }
        Ok(AuthUser {
            id: claims.sub.clone(),
            username: claims.name.clone(),
            via,
            claims,
        })
    }
}
