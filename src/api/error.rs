//! The one place where errors become HTTP responses.
//!
//! Every module has its own `thiserror` type (`AuthError`, `StoreError`,
//! `CollabError`, `ContentError`); they convert into [`ApiError`] here and
//! nowhere else, and its `IntoResponse` picks the status and writes
//! `{ "error", "message" }`. Internal details are logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::AuthError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed but invalid input (422).
    #[error("{0}")]
    Validation(String),
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// A configured quota (documents per user, versions per document) is
    /// reached: 422 `quota_exceeded`.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Optimistic-lock conflict; carries the current resource.
    #[error("the document was changed by someone else")]
    Conflict(Box<serde_json::Value>),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Auth(
                AuthError::Csrf
                | AuthError::WrongScope
                | AuthError::ReadOnly
                | AuthError::OtherDocument,
            ) => StatusCode::FORBIDDEN,
            ApiError::Auth(AuthError::RateLimited(_)) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Auth(AuthError::Hash) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Auth(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_)
            | ApiError::QuotaExceeded(_)
            | ApiError::Store(StoreError::QuotaExceeded(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Duplicate(_) | ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(StoreError::Duplicate(_)) => StatusCode::CONFLICT,
            ApiError::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code for the `error` field.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Auth(AuthError::Csrf) => "csrf",
            ApiError::Auth(
                AuthError::WrongScope | AuthError::ReadOnly | AuthError::OtherDocument,
            ) => "forbidden",
            ApiError::Auth(AuthError::RateLimited(_)) => "rate_limited",
            ApiError::Auth(AuthError::BadCredentials) => "invalid_credentials",
            ApiError::Auth(AuthError::Hash) => "internal",
            ApiError::Auth(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Validation(_) => "validation",
            ApiError::QuotaExceeded(_) | ApiError::Store(StoreError::QuotaExceeded(_)) => {
                "quota_exceeded"
            }
            ApiError::Duplicate(_) | ApiError::Store(StoreError::Duplicate(_)) => "duplicate",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TooManyRequests(_) => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Store(e) if e.is_unavailable() => "unavailable",
            ApiError::Store(_) | ApiError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Store(StoreError::Duplicate(what)) => format!("{what} already exists"),
            ApiError::Store(StoreError::QuotaExceeded(why)) => why.clone(),
            ApiError::Store(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                "the database is unavailable; retry shortly".to_string()
            }
            ApiError::Store(e) => {
                tracing::error!(error = %e, "store error");
                "internal error".to_string()
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "internal error".to_string()
            }
            other => other.to_string(),
        };
        let mut body = json!({ "error": self.code(), "message": message });
        if let ApiError::Conflict(current) = &self {
            body["current"] = (**current).clone();
        }
        let mut resp = (status, Json(body)).into_response();
        if let ApiError::Auth(AuthError::RateLimited(secs)) = &self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<crate::collab::hub::CollabError> for ApiError {
    fn from(e: crate::collab::hub::CollabError) -> Self {
        use crate::collab::hub::CollabError;
        match e {
            CollabError::Store(s) => ApiError::Store(s),
            CollabError::Rejected(reason) => ApiError::Validation(reason),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<crate::collab::content::ContentError> for ApiError {
    fn from(e: crate::collab::content::ContentError) -> Self {
        use crate::collab::content::ContentError;
        match e {
            ContentError::UnknownFormat => ApiError::BadRequest(e.to_string()),
            ContentError::Invalid(why) => ApiError::Validation(why),
            ContentError::Busy(why) => ApiError::Unavailable(why),
            ContentError::Internal(why) => ApiError::Internal(why),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
