//! Operational endpoints: liveness, readiness (checks the database) and
//! Prometheus metrics (token- or address-restricted outside dev mode).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::api::error::{ApiError, ErrorBody};
use crate::auth::AuthError;
use crate::config::{Config, Environment};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// The liveness answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The editor schema version this server speaks; clients announcing an
    /// older one (`?schema=`) are refused with 4426.
    pub schema: u32,
}

/// The readiness answer.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: String,
    /// `ok` or `unreachable`.
    pub database: String,
    pub instance: String,
    /// Accepted updates not yet stored.
    pub unsaved_updates: u64,
    /// Open documents holding edits whose dependencies have not arrived.
    pub documents_with_missing_updates: Vec<String>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "system", security(()),
    responses((status = 200, description = "the process answers", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        schema: quire_doc::protocol::EDITOR_SCHEMA_VERSION,
    })
}

/// Readiness: the last known state of the database (probed every second
/// in the background, so this answers at once even while the database
/// hangs). `documents_with_missing_updates` lists open documents holding
/// edits whose dependencies have not arrived for a while (a gap in what was
/// stored or relayed); they stay ready, the list is for operators.
#[utoipa::path(get, path = "/readyz", tag = "system", security(()),
    responses((status = 200, description = "the database answers", body = Readiness),
        (status = 503, description = "the database is unreachable", body = Readiness)))]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let db_ok = state.health.database_ok();
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: if db_ok { "ready" } else { "not_ready" }.into(),
        database: if db_ok { "ok" } else { "unreachable" }.into(),
        instance: state.instance_id.clone(),
        unsaved_updates: state.hub.unsaved_updates(),
        documents_with_missing_updates: state.hub.documents_with_missing_updates(),
    };
    (status, Json(body))
}

/// Prometheus text exposition. With `METRICS_TOKEN` set it needs
/// `Authorization: Bearer <token>`; with `METRICS_ADDR` set it is served
/// there and not on the main port; with neither it is open in dev mode only.
#[utoipa::path(get, path = "/metrics", tag = "system", security(()),
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String),
    (status = 401, description = "METRICS_TOKEN required", body = ErrorBody),
    (status = 403, description = "disabled on this port", body = ErrorBody),
    (status = 404, description = "served on METRICS_ADDR instead", body = ErrorBody)))]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let config = &state.config;
    if config.metrics_addr.is_some() {
        return ApiError::NotFound.into_response();
    }
    if config.metrics_token.is_none() && config.environment != Environment::Dev {
        return ApiError::Forbidden(
            "metrics are disabled on this port: set METRICS_TOKEN or METRICS_ADDR".into(),
        )
        .into_response();
    }
    metrics_response(config, &headers)
}

/// The exposition, after the token check (shared with the `METRICS_ADDR`
/// listener).
pub fn metrics_response(config: &Config, headers: &HeaderMap) -> Response {
    if let Some(expected) = &config.metrics_token {
        let sent = crate::api::extract::bearer_token(headers).unwrap_or("");
        if !crate::auth::constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return ApiError::Auth(AuthError::Missing).into_response();
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::metrics_handle().render(),
    )
        .into_response()
}

/// The router of the separate metrics listener (`METRICS_ADDR`).
pub fn metrics_only(config: Config) -> axum::Router {
    let config = std::sync::Arc::new(config);
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move |headers: HeaderMap| {
            let config = config.clone();
            async move { metrics_response(&config, &headers) }
        }),
    )
}
