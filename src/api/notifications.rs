//! The caller's notifications: mentions in comments, replies in threads
//! they take part in, and documents shared with them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::comments::UserRefView;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::api::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::store::{Notification, NotificationKind};
use crate::util::rfc3339;

/// Notifications listed at most.
const LIST_LIMIT: i64 = 200;
/// Ids one `read` call may name.
const MAX_READ_IDS: usize = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
}

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NotificationKind,
    pub document_id: String,
    /// Null for `shared`.
    pub thread_id: Option<String>,
    pub comment_id: Option<String>,
    pub actor: UserRefView,
    pub created_at: String,
    pub read: bool,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            document_id: n.document_id,
            thread_id: n.thread_id,
            comment_id: n.comment_id,
            actor: n.actor.into(),
            created_at: rfc3339(n.created_at),
            read: n.read,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// `1` (or `true`): unread ones only.
    pub unread: Option<String>,
}

/// The caller's notifications, newest first (at most 200).
#[utoipa::path(get, path = "/api/notifications", tag = "notifications", params(NotificationParams),
    responses((status = 200, body = NotificationList),
        (status = 401, description = "no valid credentials", body = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(p): ApiQuery<NotificationParams>,
) -> ApiResult<Json<NotificationList>> {
    let unread = p.unread.as_deref().is_some_and(|v| v == "1" || v == "true");
    let items = state
        .store
        .notifications(&user.id, unread, LIST_LIMIT)
        .await?;
    Ok(Json(NotificationList {
        items: items.into_iter().map(NotificationView::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct MarkRead {
    /// These notifications of the caller…
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    /// …or (`true`) every one of them.
    #[serde(default)]
    pub all: bool,
}

/// Mark notifications read: `{ "ids": [...] }` or `{ "all": true }`.
#[utoipa::path(post, path = "/api/notifications/read", tag = "notifications", request_body = MarkRead,
    responses((status = 204, description = "marked read"),
        (status = 401, description = "no valid credentials", body = ErrorBody),
        (status = 422, description = "neither `ids` nor `all`, or too many ids", body = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<MarkRead>,
) -> ApiResult<StatusCode> {
    match (req.all, req.ids) {
        (true, _) => state.store.mark_notifications_read(&user.id, None).await?,
        (false, Some(ids)) if ids.len() <= MAX_READ_IDS => {
            state
                .store
                .mark_notifications_read(&user.id, Some(&ids))
                .await?
        }
        (false, Some(_)) => {
            return Err(ApiError::Validation(format!(
                "at most {MAX_READ_IDS} ids per call"
            )));
        }
        (false, None) => {
            return Err(ApiError::Validation("send `ids` or `all: true`".into()));
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
