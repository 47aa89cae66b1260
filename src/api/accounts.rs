//! Accounts: register, login, logout, me, and the user directory used by the
//! share dialog.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::Gates;
use super::extract::{ApiJson, ApiQuery};
use crate::api::error::ErrorBody;
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{AuthUser, ClientAddr, credentials};
use crate::auth::password::HashError;
use crate::auth::ratelimit::LoginKey;
use crate::auth::{AuthError, CSRF_COOKIE, SESSION_COOKIE};
use crate::feed::Notice;
use crate::metrics;
use crate::state::AppState;
use crate::store::{NewUser, User};
use crate::util::rfc3339;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(me))
        .routes(routes!(list_users))
}

/// Longest login name accepted, in characters (the longest e-mail address).
pub const MAX_LOGIN_CHARS: usize = 254;
/// Longest password accepted, in characters (at most 1 KiB of UTF-8, so
/// the Argon2 input is bounded).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Shortest password accepted at registration, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Letters, digits, `_`, `-` and `.`; 3–32 characters.
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = r"^[A-Za-z0-9_.\-]{3,32}$(?!\n)"
    )]
    pub username: String,
    /// `local@domain.tld`, without spaces or control characters.
    #[schema(
        max_length = 254,
        pattern = r"^[^\s@\x00-\x1f\x7f-\x9f]+@[^\s@\x00-\x1f\x7f-\x9f]+\.[^\s@\x00-\x1f\x7f-\x9f]+$(?!\n)"
    )]
    pub email: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub email: String,
    pub created_at: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            username: u.username,
            email: u.email,
            created_at: rfc3339(u.created_at),
        }
    }
}

/// Checks a registration; returns the username with invisible characters
/// (bidi controls, zero-width) stripped.
fn validate_registration(r: &RegisterRequest) -> ApiResult<String> {
    let username = super::validate::username(&r.username)?;
    if !email_ok(&r.email) {
        return Err(ApiError::Validation("email is not a valid address".into()));
    }
    let n = r.password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(ApiError::Validation(format!(
            "password must be {MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(username)
}

/// `local@domain` of at most 254 characters, no whitespace, control
/// characters or second `@`, with a dot inside the domain (not at its ends).
fn email_ok(email: &str) -> bool {
    let clean = !email.chars().any(|c| c.is_whitespace() || c.is_control());
    let shaped = email.split_once('@').is_some_and(|(local, domain)| {
        let inner = domain
            .char_indices()
            .any(|(i, c)| c == '.' && i > 0 && i + 1 < domain.len());
        !local.is_empty() && !domain.contains('@') && inner
    });
    clean && shaped && email.chars().count() <= 254
}

/// Create an account.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest, security(()),
    responses((status = 201, body = UserView), (status = 409, description = "username or email taken"),
              (status = 422, description = "invalid input"),
              (status = 503, description = "password hashing busy; see Retry-After")))]
async fn register(
    State(state): State<AppState>,
    Extension(gates): Extension<Gates>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<impl IntoResponse> {
    let username = validate_registration(&req)?;
    let password_hash = gates
        .passwords
        .hash(req.password)
        .await
        .map_err(hash_error)?;
    let user = state
        .store
        .create_user(NewUser {
            username,
            email: req.email,
            password_hash,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(user))))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Username or e-mail.
    #[schema(max_length = 254)]
    pub username: String,
    #[schema(max_length = 256)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub user: UserView,
    /// Echo this in `X-CSRF-Token` on cookie-authenticated writes.
    pub csrf_token: String,
    pub expires_at: String,
}

/// Log in: sets the session cookie and returns the token for API clients.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest, security(()),
    responses((status = 200, body = LoginResponse), (status = 401, description = "wrong credentials"),
              (status = 422, description = "username or password too long"),
              (status = 429, description = "too many attempts"),
              (status = 503, description = "password hashing busy; see Retry-After")))]
async fn login(
    State(state): State<AppState>,
    Extension(gates): Extension<Gates>,
    ClientAddr(ip): ClientAddr,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    // Size first: nothing below (lookup, limiter, Argon2) sees huge input.
    if req.username.chars().count() > MAX_LOGIN_CHARS {
        return Err(ApiError::Validation(format!(
            "username must be at most {MAX_LOGIN_CHARS} characters"
        )));
    }
    if req.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::Validation(format!(
            "password must be at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    let limiter = &state.login_limiter;
    let found = state.store.user_credentials(req.username.trim()).await?;
    let key = match &found {
        Some(c) => LoginKey::account(&c.user.id),
        None => LoginKey::unknown(&req.username),
    };
    let attempt = limiter.reserve(key).map_err(|secs| {
        metrics::login_rate_limited();
        AuthError::RateLimited(secs)
    })?;
    let delay = limiter.address_delay(ip);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    // Verify against a dummy hash when the user does not exist, so timing
    // does not reveal which usernames exist.
    let (user, ok) = match found {
        Some(c) => (
            Some(c.user),
            gates.passwords.verify(req.password, c.password_hash).await,
        ),
        None => (None, gates.passwords.verify_unknown(req.password).await),
    };
    // Busy or failed hashing: the attempt is given back uncounted (dropped).
    let ok = ok.map_err(hash_error)?;
    metrics::login_password_check();
    let Some(user) = user.filter(|_| ok) else {
        attempt.failed();
        limiter.address_failed(ip);
        return Err(AuthError::BadCredentials.into());
    };
    attempt.succeeded();
    let ttl = state.config.session_ttl_secs;
    let (token, claims) = state
        .auth
        .start_session(&user.id, &user.username, ttl, None)
        .await?;
    let secure = state.config.secure_cookies();
    let max_age = time::Duration::seconds(ttl as i64);
    let session = Cookie::build((SESSION_COOKIE, token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .max_age(max_age);
    let csrf = Cookie::build((CSRF_COOKIE, claims.csrf.clone()))
        .http_only(false)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .max_age(max_age);
    let body = LoginResponse {
        token,
        csrf_token: claims.csrf.clone(),
        expires_at: rfc3339(claims.exp as i64 * 1000),
        user: user.into(),
    };
    Ok((jar.add(session).add(csrf), Json(body)))
}

fn hash_error(e: HashError) -> ApiError {
    match e {
        HashError::Busy => ApiError::Unavailable(e.to_string()),
        HashError::Failed => ApiError::Auth(AuthError::Hash),
    }
}

/// Log out: revokes the session presented (cookie or bearer token), on
/// every instance within a second, and clears the session cookies. Its open
/// WebSockets close with 4401. Without a valid session it only clears the
/// cookies.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(()),
    responses((status = 204, description = "the session is revoked and its cookies cleared"),
        (status = 503, description = "the session store is unreachable; retry", body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> ApiResult<impl IntoResponse> {
    // No CSRF check: the session cookie is SameSite=Strict, and signing
    // out is what a stolen CSRF token could least abuse.
    if let Some((token, _)) = credentials(&headers, None)
        && let Ok(claims) = state.auth.authenticate(&token).await
        && let Some(sid) = claims.sid
    {
        state.store.revoke_session(&claims.sub, &sid).await?;
        state
            .feed
            .publish(Notice::SessionsRevoked { sids: vec![sid] });
    }
    Ok((StatusCode::NO_CONTENT, clear_session_cookies(jar)))
}

/// Log out everywhere: revokes every session of the caller (and the
/// document-scoped tokens issued from them); personal API tokens stay valid
/// until revoked themselves. Clears this client's cookies too.
#[utoipa::path(post, path = "/api/auth/logout-all", tag = "auth",
    responses((status = 204, description = "every session of the caller is revoked"),
        (status = 401, description = "no valid credentials", body = ErrorBody)))]
async fn logout_all(
    State(state): State<AppState>,
    user: AuthUser,
    jar: CookieJar,
) -> ApiResult<impl IntoResponse> {
    let sids = state.store.revoke_sessions(&user.id).await?;
    if !sids.is_empty() {
        state.feed.publish(Notice::SessionsRevoked { sids });
    }
    Ok((StatusCode::NO_CONTENT, clear_session_cookies(jar)))
}

fn clear_session_cookies(jar: CookieJar) -> CookieJar {
    let clear = |name: &'static str| {
        Cookie::build((name, ""))
            .path("/")
            .max_age(time::Duration::ZERO)
    };
    jar.remove(clear(SESSION_COOKIE)).remove(clear(CSRF_COOKIE))
}

/// The current user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses((status = 200, body = UserView)))]
async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<UserView>> {
    let u = state
        .store
        .user_by_id(&user.id)
        .await?
        .ok_or(ApiError::Auth(AuthError::InvalidToken))?;
    Ok(Json(u.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Username prefix, at least 2 characters (shorter: an empty list).
    #[serde(default)]
    pub q: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserSummary {
    pub id: String,
    pub username: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserSummary>,
}

/// Find users by username prefix (for sharing): exact or prefix matches,
/// case-insensitive, the exact one first, at most 10. A query shorter than
/// 2 characters answers an empty list, so nobody can list every account.
#[utoipa::path(get, path = "/api/users", tag = "auth", params(UserQuery),
    responses((status = 200, body = UserList)))]
async fn list_users(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<UserList>> {
    let Some(prefix) = super::validate::directory_prefix(&q.q) else {
        return Ok(Json(UserList { items: Vec::new() }));
    };
    let users = state
        .store
        .search_users(&prefix, super::validate::DIRECTORY_MAX_RESULTS)
        .await?;
    Ok(Json(UserList {
        items: users
            .into_iter()
            .map(|u| UserSummary {
                id: u.id,
                username: u.username,
            })
            .collect(),
    }))
}
