//! The one place where errors become HTTP responses.
//!
//! Every module has its own `thiserror` type (`AuthError`, `StoreError`,
//! `CollabError`, `ContentError`); they convert into [`ApiError`] here and
//! nowhere else, and its `IntoResponse` picks the status and writes
//! `{ "error", "message" }` ([`ErrorBody`]). Internal details are logged,
//! never sent. Responses made by the framework itself (unknown routes, a
//! method a route does not have) pass through [`json_errors`], which gives
//! them the same shape.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::ws::UpgradeError;
use crate::auth::AuthError;
use crate::media::MediaError;
use crate::store::StoreError;

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `not_found`, `validation`.
    pub error: String,
    /// Human-readable explanation.
    pub message: String,
    /// On `conflict`: the current state of the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
}

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
    /// The change must say which version it is based on (428).
    #[error("{0}")]
    PreconditionRequired(String),
    /// The route exists but not with this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request to the WebSocket endpoint that cannot be upgraded.
    #[error(transparent)]
    Upgrade(#[from] UpgradeError),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A refused upload.
    #[error(transparent)]
    Media(#[from] MediaError),
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
            ApiError::Auth(AuthError::Hash | AuthError::Storage) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::Auth(AuthError::Unavailable) => StatusCode::SERVICE_UNAVAILABLE,
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
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::MethodNotAllowed | ApiError::Upgrade(UpgradeError::MethodNotGet) => {
                StatusCode::METHOD_NOT_ALLOWED
            }
            ApiError::Upgrade(UpgradeError::Version | UpgradeError::NotUpgradable) => {
                StatusCode::UPGRADE_REQUIRED
            }
            ApiError::Upgrade(UpgradeError::NotUpgrade | UpgradeError::Key) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Media(MediaError::Unsupported) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Media(MediaError::TooLarge(_)) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Media(MediaError::Empty | MediaError::BadForm(_)) => StatusCode::BAD_REQUEST,
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
            ApiError::Auth(AuthError::Hash | AuthError::Storage) => "internal",
            ApiError::Auth(AuthError::Unavailable) => "unavailable",
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
            ApiError::PreconditionRequired(_) => "precondition_required",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Upgrade(_) => "bad_upgrade",
            ApiError::TooManyRequests(_) => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Media(MediaError::Unsupported) => "unsupported_media_type",
            ApiError::Media(MediaError::TooLarge(_)) => "payload_too_large",
            ApiError::Media(MediaError::Empty | MediaError::BadForm(_)) => "bad_request",
            ApiError::Store(e) if e.is_unavailable() => "unavailable",
            ApiError::Store(_) | ApiError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            ApiError::Auth(AuthError::RateLimited(secs)) => Some(*secs),
            _ => None,
        };
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
        let code = self.code();
        let current = match self {
            ApiError::Conflict(current) => Some(*current),
            _ => None,
        };
        let body = ErrorBody {
            error: code.to_string(),
            message,
            current,
        };
        let mut resp = (status, Json(body)).into_response();
        if let Some(secs) = retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UPGRADE_REQUIRED {
            resp.headers_mut().insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
        }
        resp
    }
}

/// The error code of a status the framework answers by itself.
fn framework_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// Middleware for `/api` and `/ws`: an error response that is not JSON
/// (one the router or a layer made, such as 405 for a method a route does
/// not have) is replaced by the JSON error of the same status, keeping its
/// headers (`Allow`, `Retry-After`).
pub async fn json_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let ours = path == "/api" || path.starts_with("/api/") || path.starts_with("/ws/");
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !ours || is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (mut parts, _) = resp.into_parts();
    let message = status
        .canonical_reason()
        .unwrap_or("request refused")
        .to_ascii_lowercase();
    let body = ErrorBody {
        error: framework_code(status).to_string(),
        message,
        current: None,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let json = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(json))
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
