//! Authentication and authorisation primitives, free of server types:
//! password hashing (Argon2id), session tokens (JWT, HS256), the
//! [`Authenticator`] that turns a token into [`Claims`], the access
//! [`policy`] for document-scoped and read-only tokens, the login rate
//! limiter and the client address behind a request (trusted proxies). The
//! HTTP extractors built on them live in `api::extract`.

pub mod authenticator;
pub mod client_ip;
pub mod password;
pub mod policy;
pub mod ratelimit;
pub mod sessions;
pub mod token;

pub use authenticator::Authenticator;
pub use policy::{Access, authorize, role_cap};
pub use sessions::Sessions;
pub use token::{Claims, TokenKeys, constant_time_eq};

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
    /// A read-only API token on a request that changes something.
    #[error("this API token is read-only")]
    ReadOnly,
    /// A document-scoped token used for another document.
    #[error("token is for another document")]
    OtherDocument,
    #[error("too many login attempts; retry in {0} s")]
    RateLimited(u64),
    #[error("password hashing failed")]
    Hash,
    /// The session store could not be reached to check the session.
    #[error("sessions cannot be checked right now; retry shortly")]
    Unavailable,
    /// The session could not be recorded.
    #[error("session storage failed")]
    Storage,
}
