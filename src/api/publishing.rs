//! Publish and unpublish (SPEC §12): publishing saves the current state as
//! a version and makes it the revision readers get, separate from the draft
//! that keeps being edited; unpublishing takes it down and keeps the
//! version in the history. Both are announced live (`published` /
//! `unpublished` and `metadata` events, the document lists) and audited.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::documents::{DocumentView, document_with_role};
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, AuthUser, OptionalJson};
use super::validate;
use crate::state::AppState;
use crate::store::{Document, Role};
use crate::util::{now_ms, rfc3339};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(publish))
        .routes(routes!(unpublish))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct PublishRequest {
    /// The published version's label (default "Published <time>").
    #[schema(max_length = 200)]
    pub label: Option<String>,
}

/// Publish the current state (editor or owner): saved as a version that
/// becomes `published_version`; status `published`; a slug from the title
/// when there is none. Publishing again replaces the published revision.
#[utoipa::path(post, path = "/api/documents/{id}/publish", tag = "publishing",
    request_body(content = Option<PublishRequest>, description = "optional"),
    params(("id" = String, Path)),
    responses((status = 200, body = DocumentView),
        (status = 403, description = "requires the editor role", body = ErrorBody),
        (status = 404, description = "no such document, or no access", body = ErrorBody),
        (status = 422, description = "invalid label, or the version quota is reached", body = ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    OptionalJson(req): OptionalJson<PublishRequest>,
) -> ApiResult<Json<DocumentView>> {
    document_with_role(&state, &id, &user, Role::Editor).await?;
    let max = state.config.limits.max_title_chars;
    let label = match req.and_then(|r| r.label) {
        Some(l) if !validate::clean_line(&l).is_empty() || l.chars().count() > max => {
            validate::line("label", &l, max)?
        }
        _ => format!("Published {}", rfc3339(now_ms())),
    };
    let doc = publish_now(&state, &id, Some(&user.id), &label).await?;
    Ok(Json(seen_by(&state, doc, &user).await?))
}

/// Saves the current state as a version and publishes it; announces both.
/// `actor` None for the scheduler.
pub async fn publish_now(
    state: &AppState,
    id: &str,
    actor: Option<&str>,
    label: &str,
) -> ApiResult<Document> {
    super::versions::make_room_for_version(state, id).await?;
    let version = state.hub.save_version(id, label, actor, false).await?;
    super::announce::version_saved(state, id, &version, None);
    let doc = state
        .store
        .publish_document(id, actor, version.number)
        .await?
        .ok_or(ApiError::NotFound)?;
    super::announce::publication_changed(state, &doc, true).await;
    Ok(doc)
}

/// Take the published revision down (editor or owner): status `draft`; the
/// version stays in the history and every delivery URL answers 404.
#[utoipa::path(post, path = "/api/documents/{id}/unpublish", tag = "publishing",
    params(("id" = String, Path)),
    responses((status = 200, body = DocumentView),
        (status = 403, description = "requires the editor role", body = ErrorBody),
        (status = 404, description = "no such document, or no access", body = ErrorBody)))]
async fn unpublish(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DocumentView>> {
    let before = document_with_role(&state, &id, &user, Role::Editor).await?;
    let doc = unpublish_now(
        &state,
        &id,
        Some(&user.id),
        before.published_version.is_some(),
    )
    .await?;
    Ok(Json(seen_by(&state, doc, &user).await?))
}

/// Unpublishes; announces it when the document was published.
pub async fn unpublish_now(
    state: &AppState,
    id: &str,
    actor: Option<&str>,
    was_published: bool,
) -> ApiResult<Document> {
    let doc = state
        .store
        .unpublish_document(id, actor)
        .await?
        .ok_or(ApiError::NotFound)?;
    if was_published {
        super::announce::publication_changed(state, &doc, false).await;
    } else if actor.is_none() {
        // the scheduler cleared `unpublish_at`: a metadata change all the same
        super::announce::metadata_changed(state, &doc).await;
    }
    Ok(doc)
}

/// The document as `user` sees it (with their role).
async fn seen_by(state: &AppState, doc: Document, user: &AuthUser) -> ApiResult<DocumentView> {
    let role = state.store.role_of(&doc.id, &user.id).await?;
    Ok(DocumentView::from(Document { role, ..doc }))
}
