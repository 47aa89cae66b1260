//! Authentication and authorisation primitives: password hashing (Argon2id),
//! session tokens (JWT, HS256), the request extractor that accepts a bearer
//! token or the session cookie (with CSRF double-submit for cookie-authenticated
//! state changes), the login rate limiter and the client address behind a
//! request (trusted proxies).

pub mod client_ip;
pub mod extract;
pub mod password;
pub mod ratelimit;
pub mod token;

pub use client_ip::{ClientAddr, client_ip};
pub use extract::AuthUser;
pub use token::{Claims, TokenKeys};

/// Name of the HttpOnly session cookie holding the JWT.
pub const SESSION_COOKIE: &str = "quire_session";
/// Name of the JS-readable cookie holding the CSRF token.
pub const CSRF_COOKIE: &str = "quire_csrf";
/// Header that must echo the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("authentication required")]
    Missing,
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("invalid username or password")]
    BadCredentials,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("token not valid for this resource")]
    WrongScope,
    #[error("too many login attempts; retry in {0} s")]
    RateLimited(u64),
    #[error("password hashing failed")]
    Hash,
}
