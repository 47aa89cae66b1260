//! The trash: a deleted document waits here (its owner's only) for
//! `TRASH_DAYS`, restorable with everything it had, then is purged by
//! [`run`], once across instances. Deleting moves a document here (see
//! `documents::delete_document`); purging is for good.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::documents::DocumentView;
use super::extract::{ApiPath, AuthUser};
use super::validate;
use crate::api::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use crate::store::TrashedDocument;
use crate::util::{now_ms, rfc3339};

/// How often expired trash is looked for.
const SWEEP: Duration = Duration::from_secs(5);
/// Documents purged per sweep at most (the rest wait for the next).
const BATCH: i64 = 100;
const DAY_MS: i64 = 86_400_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_trash))
        // One `routes!` per path: handlers grouped in one would answer on
        // each other's paths.
        .routes(routes!(restore))
        .routes(routes!(purge))
}

/// A document in the trash: the document, when it was deleted, and when it
/// will be purged.
#[derive(Serialize, ToSchema)]
pub struct TrashedView {
    #[serde(flatten)]
    pub document: DocumentView,
    pub deleted_at: String,
    pub purge_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct TrashList {
    pub items: Vec<TrashedView>,
}

fn view(state: &AppState, t: TrashedDocument) -> TrashedView {
    let purge_at = t.deleted_at + retention_ms(state);
    let mut document = DocumentView::from(t.document);
    document.role = Some(crate::store::Role::Owner);
    TrashedView {
        document,
        deleted_at: rfc3339(t.deleted_at),
        purge_at: rfc3339(purge_at),
    }
}

fn retention_ms(state: &AppState) -> i64 {
    (state.config.trash_days.min(36_500) as i64) * DAY_MS
}

fn writable(user: &AuthUser) -> ApiResult<()> {
    if user.claims.ro {
        return Err(ApiError::Forbidden(
            "a read-only token cannot change the trash".into(),
        ));
    }
    Ok(())
}

/// Your deleted documents, most recently deleted first.
#[utoipa::path(get, path = "/api/trash", tag = "documents",
    responses((status = 200, body = TrashList)))]
async fn list_trash(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<TrashList>> {
    let items = state
        .store
        .trashed_documents(&user.id)
        .await?
        .into_iter()
        .map(|t| view(&state, t))
        .collect();
    Ok(Json(TrashList { items }))
}

/// Restore a deleted document with its content, versions, members,
/// comments and publication.
#[utoipa::path(post, path = "/api/trash/{id}/restore", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 200, body = DocumentView),
        (status = 404, description = "not in your trash", body = ErrorBody)))]
async fn restore(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DocumentView>> {
    writable(&user)?;
    let id = validate::path_id(&id)?;
    if !state.store.restore_document(&user.id, id, now_ms()).await? {
        return Err(ApiError::NotFound);
    }
    let doc = state
        .store
        .document_for(id, &user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let members = state.store.members(id).await?;
    super::announce::restored(&state, id, &members).await;
    Ok(Json(doc.into()))
}

/// Delete a document in the trash for good, with its versions and comments.
#[utoipa::path(delete, path = "/api/trash/{id}", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 204, description = "purged"),
        (status = 404, description = "not in your trash", body = ErrorBody)))]
async fn purge(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    writable(&user)?;
    let id = validate::path_id(&id)?;
    if state.store.purge_document(id, Some(&user.id), None).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Purges documents trashed longer than `TRASH_DAYS` until `stop` is
/// cancelled. Every instance sweeps; each document is purged by exactly
/// one of them (the purge claims its row first).
pub async fn run(state: AppState, stop: CancellationToken) {
    let mut tick = tokio::time::interval(SWEEP);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = sweep(&state).await {
            tracing::warn!(error = %e, "trash sweep");
        }
    }
}

async fn sweep(state: &AppState) -> crate::store::Result<()> {
    let before = now_ms() - retention_ms(state);
    for id in state.store.expired_trash(before, BATCH).await? {
        if state.store.purge_document(&id, None, Some(before)).await? {
            tracing::info!(document = %id, "purged from the trash");
        }
    }
    Ok(())
}
