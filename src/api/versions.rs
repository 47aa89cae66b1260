//! Named versions: save, list, read in any format, diff, restore.
//! A restore is a new CRDT change on the live document (connected clients
//! see it at once; offline edits merge on top), preceded by an automatic
//! "before restore to n" version so it can itself be undone.
//!
//! Quota: a document holds at most `max_versions_per_document` versions.
//! When it is full, saving one (by hand or automatically, such as the
//! backup before a restore) first discards the oldest *automatic* version;
//! when every version was saved by hand there is nothing to discard and the
//! save — or the restore, before anything changes — answers 422
//! `quota_exceeded`. Numbers are never reused.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::content::{ContentView, FormatParam};
use super::documents::{document_with_role, visible_document};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::validate;
use crate::api::error::{ApiError, ApiResult, ErrorBody};
use crate::api::extract::AuthUser;
use crate::collab::content;
pub use crate::collab::events::VersionView;
use crate::state::AppState;
use crate::store::{Role, Version};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions, create_version))
        .routes(routes!(get_version))
        .routes(routes!(diff_versions))
        .routes(routes!(restore_version))
}

#[derive(Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<VersionView>,
}

/// Saved versions, newest first.
#[utoipa::path(get, path = "/api/documents/{id}/versions", tag = "versions",
    params(("id" = String, Path)), responses((status = 200, body = VersionList)))]
async fn list_versions(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<VersionList>> {
    visible_document(&state, &id, &user).await?;
    let items = state
        .store
        .versions(&id)
        .await?
        .into_iter()
        .map(VersionView::from)
        .collect();
    Ok(Json(VersionList { items }))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateVersion {
    #[serde(default)]
    pub label: String,
}

/// Save the current state as a named version.
#[utoipa::path(post, path = "/api/documents/{id}/versions", tag = "versions", request_body = CreateVersion,
    params(("id" = String, Path)), responses((status = 201, body = VersionView),
        (status = 403, description = "requires the editor role", body = ErrorBody),
        (status = 422, description = "`quota_exceeded`: every version slot holds a version saved by hand", body = ErrorBody)))]
async fn create_version(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CreateVersion>,
) -> ApiResult<impl IntoResponse> {
    document_with_role(&state, &id, &user, Role::Editor).await?;
    let max = state.config.limits.max_title_chars;
    let label = match validate::clean_line(&req.label) {
        l if l.is_empty() && req.label.chars().count() <= max => "Untitled version".to_string(),
        _ => validate::line("label", &req.label, max)?,
    };
    make_room_for_version(&state, &id).await?;
    let version = state
        .hub
        .save_version(&id, &label, Some(&user.id), false)
        .await?;
    super::announce::version_saved(&state, &id, &version, None);
    Ok((StatusCode::CREATED, Json(VersionView::from(version))))
}

#[derive(Serialize, ToSchema)]
pub struct VersionContent {
    #[serde(flatten)]
    pub version: VersionView,
    #[serde(flatten)]
    pub content: ContentView,
}

/// Applies the version quota before a save (see the module docs).
pub async fn make_room_for_version(state: &AppState, id: &str) -> ApiResult<()> {
    let max = state.config.limits.max_versions_per_document;
    if max > 0 {
        state
            .store
            .make_room_for_version(id, i64::try_from(max).unwrap_or(i64::MAX))
            .await?;
    }
    Ok(())
}

async fn load_version(state: &AppState, id: &str, n: i64) -> ApiResult<(Version, Vec<u8>)> {
    let stored = state
        .store
        .version(id, n)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((stored.version, stored.state))
}

/// One version's content (`format` as for the document content).
#[utoipa::path(get, path = "/api/documents/{id}/versions/{n}", tag = "versions",
    params(("id" = String, Path), ("n" = i64, Path), FormatParam),
    responses((status = 200, body = VersionContent)))]
async fn get_version(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, n)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<FormatParam>,
) -> ApiResult<Json<VersionContent>> {
    visible_document(&state, &id, &user).await?;
    let format = q.format();
    let (version, bytes) = load_version(&state, &id, n).await?;
    let pm = content::pm_of_state(&bytes)?;
    Ok(Json(VersionContent {
        version: version.into(),
        content: ContentView::rendered(format, content::render_pm(&pm, format)),
    }))
}

/// A diff of two versions.
#[derive(Serialize, ToSchema)]
pub struct DiffView {
    /// Blocks in order, each `{ op, words: [{ op, text }] }`.
    #[schema(value_type = Vec<Object>)]
    pub blocks: Vec<quire_doc::diff::BlockDiff>,
    /// `{ inserted_words, deleted_words, blocks_changed }`.
    #[schema(value_type = Object)]
    pub stats: quire_doc::diff::DiffStats,
    /// Unified diff of the plain text (empty when equal).
    pub unified: String,
    pub from: i64,
    /// The version number, or `"current"`.
    #[schema(schema_with = diff_end_schema)]
    pub to: serde_json::Value,
}

/// A version number or the string `current`.
fn diff_end_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Integer))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["current"])),
            )
            .build(),
    )
    .into()
}

/// What changed between version `a` and `b` (a number or `current`):
/// block- and word-level runs plus a unified text diff. A number too large
/// to be a version names none (404).
#[utoipa::path(get, path = "/api/documents/{id}/versions/{a}/diff/{b}", tag = "versions",
    params(("id" = String, Path), ("a" = i64, Path),
        ("b" = String, Path, pattern = r"^(current|\+?[0-9]+)$(?!\n)", description = "version number or `current`")),
    responses((status = 200, body = DiffView)))]
async fn diff_versions(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, a, b)): ApiPath<(String, i64, String)>,
) -> ApiResult<Json<DiffView>> {
    visible_document(&state, &id, &user).await?;
    let (_, a_bytes) = load_version(&state, &id, a).await?;
    let old = content::pm_of_state(&a_bytes)?;
    let (new, b_label, to) = if b == "current" {
        let pm = state
            .hub
            .read(&id, quire_doc::content::doc_to_reader_pm)
            .await?;
        (pm, "current".to_string(), serde_json::json!("current"))
    } else {
        if b.is_empty()
            || !b
                .trim_start_matches('+')
                .bytes()
                .all(|c| c.is_ascii_digit())
        {
            return Err(ApiError::BadRequest(
                "b must be a version number or `current`".into(),
            ));
        }
        let n: i64 = b.parse().map_err(|_| ApiError::NotFound)?;
        let (_, b_bytes) = load_version(&state, &id, n).await?;
        (
            content::pm_of_state(&b_bytes)?,
            format!("v{n}"),
            serde_json::json!(n),
        )
    };
    let diff = quire_doc::diff::diff_pm(&old, &new, &format!("v{a}"), &b_label);
    Ok(Json(DiffView {
        blocks: diff.blocks,
        stats: diff.stats,
        unified: diff.unified,
        from: a,
        to,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RestoreResult {
    pub restored_from: i64,
    /// The automatic version holding the pre-restore content.
    pub backup_version: i64,
}

/// Make the live content equal to version `n`, as a new change.
#[utoipa::path(post, path = "/api/documents/{id}/restore/{n}", tag = "versions",
    params(("id" = String, Path), ("n" = i64, Path)),
    responses((status = 200, body = RestoreResult),
        (status = 403, description = "requires the editor role", body = ErrorBody),
        (status = 422, description = "`quota_exceeded`: no room for the backup version; nothing was changed", body = ErrorBody)))]
async fn restore_version(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, n)): ApiPath<(String, i64)>,
) -> ApiResult<Json<RestoreResult>> {
    document_with_role(&state, &id, &user, Role::Editor).await?;
    let (_, bytes) = load_version(&state, &id, n).await?;
    // The backup is what makes a restore undoable: without room for it the
    // restore is refused before the content changes.
    make_room_for_version(&state, &id).await?;
    let backup = state
        .hub
        .save_version(&id, &format!("Before restore to {n}"), Some(&user.id), true)
        .await?;
    state.hub.restore(&id, &bytes, &user.id).await?;
    super::announce::version_saved(&state, &id, &backup, Some(n));
    state
        .store
        .audit(
            &id,
            &user.id,
            "version.restore",
            serde_json::json!({ "restored_from": n, "backup_version": backup.number }),
        )
        .await?;
    Ok(Json(RestoreResult {
        restored_from: n,
        backup_version: backup.number,
    }))
}
