//! Request extractors whose rejections are JSON [`ApiError`]s: `ApiJson` for
//! bodies, `ApiQuery` for query strings, `ApiPath` for path segments,
//! [`AuthUser`] for the caller and [`ClientAddr`] for its address.
//!
//! Credentials come from one place, [`credentials`]: `?token=` (the
//! WebSocket only), `Authorization: Bearer <token>`, or the session cookie,
//! in that order. A cookie-authenticated request that changes state
//! (anything but GET/HEAD/OPTIONS) must echo the session's CSRF token in
//! `X-CSRF-Token` (double submit: the same value is in the JS-readable
//! `quire_csrf` cookie and signed into the session token), otherwise 403.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum_extra::extract::CookieJar;
use ipnet::IpNet;
use serde::de::DeserializeOwned;

use crate::api::error::ApiError;
use crate::auth::client_ip::{self, Forwarded};
use crate::auth::{Access, AuthError, CSRF_HEADER, Claims, SESSION_COOKIE, constant_time_eq};
use crate::state::AppState;

/// How the caller presented its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthVia {
    /// `?token=` on the WebSocket URL.
    Query,
    Bearer,
    Cookie,
}

/// The authenticated caller of a REST route.
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

/// The token a request presents and how: `query_token` (the `?token=` of
/// routes that take one) first, then the bearer token, then the cookie.
pub fn credentials(headers: &HeaderMap, query_token: Option<String>) -> Option<(String, AuthVia)> {
    if let Some(t) = query_token {
        return Some((t, AuthVia::Query));
    }
    if let Some(t) = bearer_token(headers) {
        return Some((t.to_string(), AuthVia::Bearer));
    }
    cookie_token(headers).map(|t| (t, AuthVia::Cookie))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_ok(parts: &Parts, claims: &Claims) -> bool {
    if is_safe(&parts.method) {
        return true;
    }
    let sent = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !claims.csrf.is_empty() && constant_time_eq(sent.as_bytes(), claims.csrf.as_bytes())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state, false).await
    }
}

/// The caller of a REST route (`delivery`: a delivery API read, which a
/// delivery-scoped token may make too).
async fn authenticate(
    parts: &Parts,
    state: &AppState,
    delivery: bool,
) -> Result<AuthUser, ApiError> {
    let (token, via) = credentials(&parts.headers, None).ok_or(AuthError::Missing)?;
    let claims = state.auth.authenticate(&token).await?;
    let writes = !is_safe(&parts.method);
    // Scope first (a document-scoped token is for its WebSocket only),
    // then the CSRF check, then read-only tokens on writes.
    if claims.doc.is_some() {
        return Err(AuthError::WrongScope.into());
    }
    if via == AuthVia::Cookie && !csrf_ok(parts, &claims) {
        return Err(AuthError::Csrf.into());
    }
    let access = if delivery {
        Access::Delivery
    } else {
        Access::Api { writes }
    };
    crate::auth::authorize(&claims, access)?;
    Ok(AuthUser {
        id: claims.sub.clone(),
        username: claims.name.clone(),
        via,
        claims,
    })
}

/// The reader of a delivery route: the caller when the request carries
/// credentials (a delivery-scoped token included), else anonymous (None).
/// A bearer token that does not verify is refused (401): its sender meant
/// to be someone. A session cookie that no longer verifies (expired,
/// signed out) reads as anonymous, so a public page never fails on a stale
/// cookie.
pub struct MaybeUser(pub Option<AuthUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some((_, via)) = credentials(&parts.headers, None) else {
            return Ok(MaybeUser(None));
        };
        match authenticate(parts, state, true).await {
            Ok(user) => Ok(MaybeUser(Some(user))),
            Err(_) if via == AuthVia::Cookie => Ok(MaybeUser(None)),
            Err(e) => Err(e),
        }
    }
}

/// The client address of a request, from its `ConnectInfo` and forwarding
/// headers (see `auth::client_ip`). `None` when the server runs without
/// connect info (e.g. a router driven directly in a unit test). `trusted`
/// is the configured list of trusted proxies.
pub fn client_ip(parts: &Parts, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    let forwarded_for: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let headers = Forwarded {
        forwarded_for: &forwarded_for,
        real_ip: parts.headers.get("x-real-ip").and_then(|v| v.to_str().ok()),
    };
    client_ip::resolve(peer, headers, trusted)
}

/// Extractor form of [`client_ip`].
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_ip(parts, &state.config.trusted_proxies)))
    }
}

/// JSON body; malformed → 400, wrong shape → 422, too large → 413.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// A JSON body that may be left out: no body at all is None; a body is
/// read as [`ApiJson`] (same errors).
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let declared_empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "0");
        let h = req.headers();
        let no_body =
            !h.contains_key(header::CONTENT_LENGTH) && !h.contains_key(header::TRANSFER_ENCODING);
        if declared_empty || no_body {
            return Ok(OptionalJson(None));
        }
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(v)| OptionalJson(Some(v)))
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => ApiError::Validation(e.body_text()),
        JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest(e.body_text()),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
        }
        JsonRejection::BytesRejection(e) => {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(e.body_text())
            }
        }
        other => ApiError::BadRequest(other.body_text()),
    }
}

/// Query string; wrong shape → 400.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::BadRequest(e.body_text()))
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// Path parameters; a segment that does not parse (a version number that
/// is not a number, bytes that are not UTF-8) names nothing that can exist,
/// so it is 404.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::NotFound),
            Err(e) => Err(ApiError::Internal(e.body_text())),
        }
    }
}

/// Deserializes an optional integer that JSON may write as `3` or `3.0`
/// (JSON has one number type; a schema's `integer` admits both). A number
/// with a fraction, or outside `i64`, is refused. For
/// `#[serde(default, deserialize_with = "...")]`.
pub fn json_integer<'de, D>(d: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        // 2^63 is the first float past i64::MAX.
        Some(f)
            if f.fract() == 0.0
                && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) =>
        {
            Ok(Some(f as i64))
        }
        _ => Err(D::Error::custom(format!("{n} is not a 64-bit integer"))),
    }
}

/// A field that may be absent (`None`: leave it), `null` (`Some(None)`:
/// clear it) or a value. For `#[serde(default, deserialize_with = "...")]`.
pub fn nullable<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "super::json_integer")]
        n: Option<i64>,
    }

    fn n(json: &str) -> Option<Option<i64>> {
        serde_json::from_str::<T>(json).ok().map(|t| t.n)
    }

    #[test]
    fn integers_may_be_written_as_floats() {
        assert_eq!(n(r#"{"n": 3}"#), Some(Some(3)));
        assert_eq!(n(r#"{"n": 14614.0}"#), Some(Some(14614)));
        assert_eq!(n(r#"{"n": -2e3}"#), Some(Some(-2000)));
        assert_eq!(n(r#"{"n": null}"#), Some(None));
        assert_eq!(n(r#"{}"#), Some(None));
        assert_eq!(n(r#"{"n": 1.5}"#), None);
        assert_eq!(n(r#"{"n": 9223372036854775808}"#), None);
        assert_eq!(n(r#"{"n": 1e300}"#), None);
        assert_eq!(n(r#"{"n": "3"}"#), None);
    }
}
