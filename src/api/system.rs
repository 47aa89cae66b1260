//! Operational endpoints: liveness, readiness (checks the database) and
//! Prometheus metrics.

use std::time::Duration;

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

/// Readiness: the database answers within 2 s.
#[utoipa::path(get, path = "/readyz", tag = "system", responses((status = 200), (status = 503)))]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let db = tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await;
    let db_ok = matches!(db, Ok(Ok(())));
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
