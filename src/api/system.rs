//! Operational endpoints: liveness, readiness (checks the database) and
//! Prometheus metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200)))]
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the last known state of the database (probed every second
/// in the background, so this answers at once even while the database
/// hangs). `documents_with_missing_updates` lists open documents holding
/// edits whose dependencies have not arrived for a while (a gap in what was
/// stored or relayed); they stay ready, the list is for operators.
#[utoipa::path(get, path = "/readyz", tag = "system", responses((status = 200), (status = 503)))]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let db_ok = state.health.database_ok();
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if db_ok { "ready" } else { "not_ready" },
            "database": if db_ok { "ok" } else { "unreachable" },
            "instance": state.instance_id,
            "unsaved_updates": state.hub.unsaved_updates(),
            "documents_with_missing_updates": state.hub.documents_with_missing_updates(),
        })),
    )
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, content_type = "text/plain")))]
async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::metrics_handle().render(),
    )
}
