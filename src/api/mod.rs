//! The HTTP surface: REST API under `/api`, operational endpoints, the
//! OpenAPI document and its UI, the WebSocket endpoint and the web UI. Every
//! error becomes its HTTP status and JSON body in [`error`]; the WebSocket
//! handshake and admission are in [`ws`], the live-content routes in
//! [`content`].

pub mod accounts;
mod announce;
pub mod comments;
pub mod content;
pub mod delivery;
pub mod documents;
pub mod error;
pub mod events;
pub mod extract;
pub mod media;
pub mod members;
pub mod notifications;
pub mod openapi;
pub mod publishing;
pub mod reader;
pub mod scheduler;
pub mod search;
pub mod system;
pub mod tokens;
pub mod trash;
pub mod validate;
pub mod versions;
pub mod webhooks;
pub mod ws;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::error::ApiError;
use crate::metrics;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Quire", description = "Real-time collaborative content management. \
        Authenticate with `Authorization: Bearer <token>` (from /api/auth/login) or the session cookie \
        plus `X-CSRF-Token` on writes. Real-time editing: WebSocket `/ws/doc/{id}` (y-websocket protocol)."),
    tags((name = "auth"), (name = "documents"), (name = "sharing"), (name = "content"),
         (name = "versions"), (name = "comments"), (name = "notifications"), (name = "search"),
         (name = "webhooks"), (name = "system")),
    components(schemas(error::ErrorBody))
)]
struct ApiDoc;

/// The route groups, each with its part of the OpenAPI document.
fn route_groups() -> Vec<(&'static str, OpenApiRouter<AppState>)> {
    vec![
        ("accounts", accounts::router()),
        ("tokens", tokens::router()),
        ("documents", documents::router()),
        ("trash", trash::router()),
        ("events", events::router()),
        ("members", members::router()),
        ("comments", comments::router()),
        ("notifications", notifications::router()),
        ("versions", versions::router()),
        ("publishing", publishing::router()),
        ("delivery", delivery::router()),
        ("search", search::router()),
        ("webhooks", webhooks::router()),
        ("content", content::router()),
        ("media", media::router()),
        ("ws", ws::router()),
        ("system", system::router()),
    ]
}

/// The routes that belong in the OpenAPI document.
fn api_routes() -> OpenApiRouter<AppState> {
    route_groups().into_iter().fold(
        OpenApiRouter::with_openapi(ApiDoc::openapi()),
        |all, (_, group)| all.merge(group),
    )
}

/// The OpenAPI document of every route, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::complete(
        api_routes().split_for_parts().1,
        &crate::config::Limits::default(),
    )
}

/// Bounds on CPU-heavy work shared by the handlers of one application:
/// password hashing and content conversion, and what conversions found
/// that never changes (the images of published revisions). Handed to
/// handlers as a request extension (`Extension<Gates>`).
#[derive(Clone)]
pub struct Gates {
    pub passwords: Arc<crate::auth::password::PasswordGate>,
    pub conversions: Arc<crate::collab::content::ConversionGate>,
    pub shown_media: Arc<media::ShownMedia>,
}

impl Gates {
    pub fn new(config: &crate::config::Config) -> Self {
        let l = &config.limits;
        Self {
            passwords: Arc::new(crate::auth::password::PasswordGate::new(
                l.password_hash_concurrency,
                l.password_hash_queue,
            )),
            conversions: Arc::new(crate::collab::content::ConversionGate::new(
                l.conversion_concurrency,
                std::time::Duration::from_millis(l.conversion_timeout_ms.max(1)),
            )),
            shown_media: Arc::default(),
        }
    }
}

/// Content-Security-Policy of API responses (JSON, nothing to run).
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// Content-Security-Policy of the `/docs` Swagger UI.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// The whole application.
pub fn app(state: AppState) -> Router {
    let gates = Gates::new(&state.config);
    let (api, doc) = api_routes().split_for_parts();
    let doc = openapi::complete(doc, &state.config.limits);
    let dynamic = api
        .fallback(api_fallback)
        .layer(middleware::from_fn(error::json_errors))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(DefaultBodyLimit::max(state.config.limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_oversized_body,
        ));
    // Swagger UI: own scripts only; it sets inline styles and data: icons.
    let docs = Router::from(SwaggerUi::new("/docs").url("/openapi.json", doc)).layer(
        SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        ),
    );
    Router::new()
        .merge(docs)
        .merge(reader::router())
        .merge(dynamic)
        .layer(middleware::from_fn(record_metrics))
        .layer(middleware::from_fn(retry_after_default))
        .layer(Extension(gates))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("handler panicked".into()).into_response()
        }))
        .with_state(state)
}

/// JSON 404 for unknown `/api/…` paths; everything else goes to the web UI.
async fn api_fallback(State(state): State<AppState>, req: Request) -> Response {
    if req.uri().path().starts_with("/api/") || req.uri().path() == "/api" {
        ApiError::NotFound.into_response()
    } else {
        let source = crate::web::Source {
            dir: state.config.web_dir.as_deref(),
            source_maps: state.config.environment == crate::config::Environment::Dev,
        };
        crate::web::serve_path(source, req).await
    }
}

/// A request whose declared length is over the limit gets 413 at once,
/// before any of its body is read, and the connection is closed after it.
/// So that a client still writing sees the 413 rather than a reset, a
/// moderately large body (≤ 64 MiB) is drained in the background, for at
/// most 10 s; the response does not wait for that.
async fn refuse_oversized_body(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let limits = &state.config.limits;
    let upload = media::is_upload_path(req.uri().path());
    let limit = if upload {
        limits.max_media_bytes.saturating_add(media::FORM_OVERHEAD) as u64
    } else {
        limits.max_body_bytes as u64
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(len) if len > limit => {
            if len <= 64 * 1024 * 1024 {
                let body = req.into_body();
                tokio::spawn(async move {
                    use http_body_util::BodyExt;
                    let drain = async move {
                        let mut body = body;
                        while let Some(frame) = body.frame().await {
                            if frame.is_err() {
                                break;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), drain).await;
                });
            }
            let refusal = if upload {
                crate::media::MediaError::TooLarge(limits.max_media_bytes).into()
            } else {
                ApiError::PayloadTooLarge
            };
            let mut resp = refusal.into_response();
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            resp
        }
        _ => next.run(req).await,
    }
}

/// Every 429 and 503 tells the client when to try again: responses that do
/// not set `Retry-After` themselves get a short default.
async fn retry_after_default(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let status = resp.status();
    if (status == axum::http::StatusCode::TOO_MANY_REQUESTS
        || status == axum::http::StatusCode::SERVICE_UNAVAILABLE)
        && !resp.headers().contains_key(header::RETRY_AFTER)
    {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    resp
}

/// Request counter and latency histogram per route (matched path, not raw URI,
/// so ids do not explode the label set).
async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    metrics::http_request(&method, &route, resp.status().as_u16());
    metrics::http_request_duration(&method, &route, start.elapsed().as_secs_f64());
    resp
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Merging route groups keeps one schema per name: two different
    /// types with one name would silently describe one of them wrongly.
    #[test]
    fn no_two_schemas_share_a_name() {
        let mut seen: BTreeMap<String, (&str, serde_json::Value)> = BTreeMap::new();
        for (group, router) in route_groups() {
            let schemas = router
                .split_for_parts()
                .1
                .components
                .map(|c| c.schemas)
                .unwrap_or_default();
            for (name, schema) in schemas {
                let json = serde_json::to_value(&schema).expect("schema is JSON");
                match seen.get(&name) {
                    Some((first, earlier)) => assert_eq!(
                        earlier, &json,
                        "schema {name} of {group} differs from the one of {first}"
                    ),
                    None => {
                        seen.insert(name, (group, json));
                    }
                }
            }
        }
        assert!(seen.contains_key("WebhookDeliveryView") && seen.contains_key("DeliveryList"));
    }
}
