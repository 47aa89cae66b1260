//! Webhook routes: register, list and delete a user's hooks, read a hook's
//! delivery log and ask for a redelivery; and [`Renderer`], which fills an
//! event's `data` with the same JSON shapes the REST API answers with.
//! Delivery itself runs in `crate::webhooks`.

use async_trait::async_trait;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::comments::{ThreadView, thread_view_of};
use super::documents::DocumentView;
use super::extract::{ApiJson, ApiPath, AuthUser};
use super::validate;
use crate::api::error::{ApiError, ApiResult, ErrorBody};
use crate::auth::token::random_token;
use crate::collab::events::VersionView;
use crate::state::AppState;
use crate::store::{
    self, DeliveryAttempt, DeliveryStatus, EVENT_COMMENT_CREATED, EVENT_DOCUMENT_PUBLISHED,
    EVENT_VERSION_CREATED, NewWebhook, OutboxEvent, WEBHOOK_EVENTS, Webhook, WebhookDelivery,
};
use crate::util::{now_ms, rfc3339};
use crate::webhooks::relay::{Render, Rendered};
use crate::webhooks::{RETRY_WINDOW_MS, target};

/// Hooks one user may have.
pub const MAX_WEBHOOKS_PER_USER: i64 = 20;
/// Deliveries the log shows, newest first.
const LOG_LIMIT: i64 = 100;
const SECRET_MIN_CHARS: usize = 8;
const SECRET_MAX_CHARS: usize = 256;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateWebhook {
    /// Where events are POSTed: an absolute `http` or `https` URL.
    pub url: String,
    /// One or more of `document.published`, `document.unpublished`,
    /// `document.updated`, `version.created`, `comment.created`.
    pub events: Vec<String>,
    /// The signing secret (8–256 characters); generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: w.events,
            created_at: rfc3339(w.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub meta: WebhookView,
    /// The signing secret: shown only in this response.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookAttemptView {
    pub at: String,
    /// The receiver's HTTP status, when it answered.
    pub response_status: Option<i64>,
    /// Why the attempt failed, when it did.
    pub error: Option<String>,
}

impl From<DeliveryAttempt> for WebhookAttemptView {
    fn from(a: DeliveryAttempt) -> Self {
        Self {
            at: rfc3339(a.at),
            response_status: a.response_status,
            error: a.error,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryView {
    pub id: String,
    /// The event's `id`, the same in every attempt and redelivery.
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub document_id: String,
    pub status: DeliveryStatus,
    pub created_at: String,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<String>,
    /// Oldest first.
    pub attempts: Vec<WebhookAttemptView>,
}

impl From<WebhookDelivery> for WebhookDeliveryView {
    fn from(d: WebhookDelivery) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            kind: d.kind,
            document_id: d.document_id,
            status: d.status,
            created_at: rfc3339(d.created_at),
            next_attempt_at: d.next_attempt_at.map(rfc3339),
            attempts: d.log.into_iter().map(WebhookAttemptView::from).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryList {
    pub items: Vec<WebhookDeliveryView>,
}

fn writable(user: &AuthUser) -> ApiResult<()> {
    if user.claims.ro {
        return Err(ApiError::Forbidden(
            "a read-only token cannot change webhooks".into(),
        ));
    }
    Ok(())
}

/// The subscribed events: known names, at least one, each once, in the
/// order given.
fn events(raw: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in raw {
        if !WEBHOOK_EVENTS.contains(&e.as_str()) {
            return Err(ApiError::Validation(format!(
                "unknown event {:?}; events are {}",
                e.chars().take(100).collect::<String>(),
                WEBHOOK_EVENTS.join(", ")
            )));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    if out.is_empty() {
        return Err(ApiError::Validation(
            "events must name at least one event".into(),
        ));
    }
    Ok(out)
}

fn secret(raw: Option<String>) -> ApiResult<String> {
    match raw {
        None => Ok(format!("whsec_{}", random_token())),
        Some(s) => {
            let n = s.chars().count();
            if !(SECRET_MIN_CHARS..=SECRET_MAX_CHARS).contains(&n) || s.contains('\0') {
                return Err(ApiError::Validation(format!(
                    "secret must be {SECRET_MIN_CHARS}–{SECRET_MAX_CHARS} characters"
                )));
            }
            Ok(s)
        }
    }
}

/// Register a webhook for events of the documents you own (the secret is
/// returned once).
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, body = CreatedWebhook),
        (status = 403, description = "a read-only token cannot change webhooks", body = ErrorBody),
        (status = 422, description = "invalid or private URL, unknown events, bad secret, or `quota_exceeded`", body = ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateWebhook>,
) -> ApiResult<impl IntoResponse> {
    writable(&user)?;
    let events = events(&req.events)?;
    let secret = secret(req.secret)?;
    let url = target::check(&req.url, state.config.webhooks.allow_private)
        .await
        .map_err(|e| ApiError::Validation(e.to_string()))?;
    if state.store.webhook_count(&user.id).await? >= MAX_WEBHOOKS_PER_USER {
        return Err(ApiError::QuotaExceeded(format!(
            "at most {MAX_WEBHOOKS_PER_USER} webhooks per user"
        )));
    }
    let hook = state
        .store
        .create_webhook(&NewWebhook {
            user_id: user.id.clone(),
            url: url.to_string(),
            events,
            secret: secret.clone(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            meta: hook.into(),
            secret,
        }),
    ))
}

/// Your webhooks (never the secrets).
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, body = WebhookList)))]
async fn list_webhooks(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<WebhookList>> {
    let items = state
        .store
        .webhooks(&user.id)
        .await?
        .into_iter()
        .map(WebhookView::from)
        .collect();
    Ok(Json(WebhookList { items }))
}

/// Delete a webhook and its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 404, body = ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    writable(&user)?;
    let id = validate::path_id(&id)?;
    if state.store.delete_webhook(&user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

async fn own_hook(state: &AppState, user: &AuthUser, id: &str) -> ApiResult<Webhook> {
    let id = validate::path_id(id)?;
    state
        .store
        .webhook(&user.id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The hook's newest deliveries (up to 100), each with its attempts.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path)),
    responses((status = 200, body = WebhookDeliveryList), (status = 404, body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<WebhookDeliveryList>> {
    let hook = own_hook(&state, &user, &id).await?;
    let items = state
        .store
        .deliveries(&hook.id, LOG_LIMIT)
        .await?
        .into_iter()
        .map(WebhookDeliveryView::from)
        .collect();
    Ok(Json(WebhookDeliveryList { items }))
}

/// Send a delivery again: the same event `id` and body, a new attempt now
/// and a new 24-hour retry window.
#[utoipa::path(post, path = "/api/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path)),
    responses((status = 202, body = WebhookDeliveryView), (status = 404, body = ErrorBody)))]
async fn redeliver(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, delivery_id)): ApiPath<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    writable(&user)?;
    let hook = own_hook(&state, &user, &id).await?;
    let delivery_id = validate::path_id(&delivery_id)?;
    let now = now_ms();
    let delivery = state
        .store
        .redeliver(&hook.id, delivery_id, now, now + RETRY_WINDOW_MS)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(WebhookDeliveryView::from(delivery)),
    ))
}

/// Renders an event's `data`: `document` (as the REST API shows it, without
/// the caller's `role`, in the state the change left it), plus
/// `version` for publish and version events, `thread` and `comment_id` for
/// comments.
pub struct Renderer(pub AppState);

#[async_trait]
impl Render for Renderer {
    async fn render(&self, event: &OutboxEvent) -> store::Result<Option<Rendered>> {
        let state = &self.0;
        // A deleted document's events are dropped; the others show the
        // document as the change left it.
        let Some(current) = state.store.document_by_id(&event.document_id).await? else {
            return Ok(None);
        };
        let doc = event.document.clone().unwrap_or(current);
        let owner_id = doc.owner_id.clone();
        let mut document = DocumentView::from(doc).to_json();
        if let Some(map) = document.as_object_mut() {
            map.remove("role");
        }
        let mut data = serde_json::json!({ "document": document });
        let subject = event.subject.as_deref().unwrap_or_default();
        match event.kind.as_str() {
            EVENT_DOCUMENT_PUBLISHED | EVENT_VERSION_CREATED => {
                if let Ok(number) = subject.parse::<i64>()
                    && let Some(v) = state.store.version(&event.document_id, number).await?
                {
                    data["version"] =
                        serde_json::to_value(VersionView::from(v.version)).unwrap_or_default();
                }
            }
            EVENT_COMMENT_CREATED => {
                let (thread_id, comment_id) = subject.split_once('/').unwrap_or((subject, ""));
                if let Some(t) = state.store.thread(&event.document_id, thread_id).await? {
                    // Placing the anchor needs the live document; a thread
                    // that cannot be placed is sent without a position.
                    let view: Option<ThreadView> =
                        thread_view_of(state, &event.document_id, t).await.ok();
                    if let Some(view) = view {
                        data["thread"] = serde_json::to_value(view).unwrap_or_default();
                    }
                }
                data["comment_id"] = serde_json::Value::String(comment_id.to_string());
            }
            _ => {}
        }
        Ok(Some(Rendered { owner_id, data }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_checked_and_deduplicated() {
        let ok = events(&[
            "version.created".into(),
            "document.published".into(),
            "version.created".into(),
        ])
        .unwrap();
        assert_eq!(ok, vec!["version.created", "document.published"]);
        assert!(events(&[]).is_err());
        assert!(events(&["document.created".into()]).is_err());
    }

    #[test]
    fn secrets_are_bounded_or_generated() {
        assert!(secret(Some("short".into())).is_err());
        assert!(secret(Some("x".repeat(257))).is_err());
        assert!(secret(Some("abc\0defgh".into())).is_err());
        assert_eq!(secret(Some("eight ch".into())).unwrap(), "eight ch");
        let a = secret(None).unwrap();
        let b = secret(None).unwrap();
        assert!(a.starts_with("whsec_") && a.len() > 30 && a != b);
    }
}
