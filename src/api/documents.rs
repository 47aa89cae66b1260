//! Documents: create, list, get, patch (optimistic locking), delete, and the
//! activity feed. Authorisation: no access → 404 (existence never leaks);
//! visible but not allowed → 403.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::{Gates, validate};
use crate::api::error::{ApiError, ApiResult, ErrorBody};
use crate::api::extract::AuthUser;
use crate::state::AppState;
use crate::store::{
    Document, DocumentPatch, ListQuery, NewDocument, PatchOutcome, Role, SortField, Status,
    Visibility,
};
use crate::util::{now_ms, rfc3339};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_document, list_documents))
        .routes(routes!(get_document, patch_document, delete_document))
        .routes(routes!(document_activity))
}

/// A document's metadata as seen by the caller.
#[derive(Serialize, ToSchema, Clone)]
pub struct DocumentView {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub tags: Vec<String>,
    pub owner_id: String,
    pub owner_username: String,
    /// Optimistic-lock counter: send it back as `expected_version`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub last_edited_by: Option<String>,
    pub last_edited_by_username: Option<String>,
    pub last_edited_at: Option<String>,
    /// Who made the last change to title, status or tags (the body's last
    /// editor is `last_edited_by`).
    pub updated_by: Option<String>,
    pub updated_by_username: Option<String>,
    /// The caller's role.
    pub role: Option<Role>,
    /// The name in the delivery API and on the reader page (`/p/{slug}`).
    pub slug: Option<String>,
    /// `private` (members only) or `public` (anyone may read the published revision).
    pub visibility: Visibility,
    /// The version readers get, while published.
    pub published_version: Option<i64>,
    pub published_at: Option<String>,
    /// Scheduled publish / unpublish; null once fired or cancelled.
    pub publish_at: Option<String>,
    pub unpublish_at: Option<String>,
}

impl From<Document> for DocumentView {
    fn from(d: Document) -> Self {
        Self {
            id: d.id,
            title: d.title,
            status: d.status,
            tags: d.tags,
            owner_id: d.owner_id,
            owner_username: d.owner_username,
            version: d.version,
            created_at: rfc3339(d.created_at),
            updated_at: rfc3339(d.updated_at),
            last_edited_by: d.last_edited_by,
            last_edited_by_username: d.last_edited_by_username,
            last_edited_at: d.last_edited_at.map(rfc3339),
            updated_by: d.updated_by,
            updated_by_username: d.updated_by_username,
            role: d.role,
            slug: d.slug,
            visibility: d.visibility,
            published_version: d.published_version,
            published_at: d.published_at.map(rfc3339),
            publish_at: d.publish_at.map(rfc3339),
            unpublish_at: d.unpublish_at.map(rfc3339),
        }
    }
}

impl DocumentView {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The document if the user may see it, else 404. An id that is not shaped
/// like one is 404 without a query.
pub async fn visible_document(state: &AppState, id: &str, user: &AuthUser) -> ApiResult<Document> {
    let id = validate::path_id(id)?;
    state
        .store
        .document_for(id, &user.id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The document if the user has at least `role`; 404 when invisible, 403 when too weak.
pub async fn document_with_role(
    state: &AppState,
    id: &str,
    user: &AuthUser,
    role: Role,
) -> ApiResult<Document> {
    let doc = visible_document(state, id, user).await?;
    match doc.role {
        Some(r) if r >= role => Ok(doc),
        _ => Err(ApiError::Forbidden(format!("requires the {role} role"))),
    }
}

/// How an initial body is written.
#[derive(Deserialize, ToSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    #[default]
    Markdown,
    Html,
}

impl BodyFormat {
    fn as_str(self) -> &'static str {
        match self {
            BodyFormat::Markdown => "markdown",
            BodyFormat::Html => "html",
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateDocument {
    pub title: String,
    /// Optional initial body.
    pub body: Option<String>,
    /// `markdown` (default) or `html`.
    pub body_format: Option<BodyFormat>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub status: Option<Status>,
}

/// Create a document (optionally with an initial Markdown or HTML body).
/// Over the per-user document quota: 422 `quota_exceeded`.
#[utoipa::path(post, path = "/api/documents", tag = "documents", request_body = CreateDocument,
    responses((status = 201, body = DocumentView),
              (status = 422, description = "invalid input, or `quota_exceeded`", body = ErrorBody),
              (status = 503, description = "body conversion busy or over its time budget, or the database is unavailable", body = ErrorBody)))]
async fn create_document(
    State(state): State<AppState>,
    Extension(gates): Extension<Gates>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateDocument>,
) -> ApiResult<impl IntoResponse> {
    let limits = &state.config.limits;
    let title = validate::title(&req.title, limits)?;
    let tags = validate::tags(&req.tags, limits)?;
    if limits.max_documents_per_user > 0 {
        let owned = state.store.owned_document_count(&user.id).await?;
        if owned >= limits.max_documents_per_user as i64 {
            return Err(ApiError::QuotaExceeded(format!(
                "you own {owned} documents; the limit is {}",
                limits.max_documents_per_user
            )));
        }
    }
    // The body is free text: NUL is dropped, everything else is content.
    let body = req.body.as_deref().map(validate::free_text);
    let (initial_update, initial_text) = match body {
        Some(body) if !body.trim().is_empty() => {
            let format = req.body_format.unwrap_or_default().as_str().to_string();
            // Off the async workers and bounded: imports can be heavy.
            let (update, text) = gates
                .conversions
                .initial_state(body.into_owned(), format)
                .await?;
            (Some(update), text)
        }
        _ => (None, String::new()),
    };
    let doc = state
        .store
        .create_document(NewDocument {
            title,
            status: req.status.unwrap_or(Status::Draft),
            tags,
            owner_id: user.id.clone(),
            initial_update,
            initial_text,
        })
        .await?;
    super::announce::created(&state, &doc);
    Ok((StatusCode::CREATED, Json(DocumentView::from(doc))))
}

/// The field a document list is sorted by.
#[derive(Deserialize, ToSchema, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortParam {
    #[default]
    UpdatedAt,
    CreatedAt,
    Title,
}

/// Sort direction.
#[derive(Deserialize, ToSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum OrderParam {
    #[default]
    Desc,
    Asc,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(inline)]
    pub status: Option<Status>,
    pub tag: Option<String>,
    /// Owner id or username.
    pub owner: Option<String>,
    /// Title filter (see `/api/search` for full text).
    pub q: Option<String>,
    /// Page size; clamped to 1–200 (default 50).
    pub limit: Option<i64>,
    /// Items to skip; negative counts as 0.
    pub offset: Option<i64>,
    /// `updated_at` (default), `created_at` or `title`.
    #[param(inline)]
    pub sort: Option<SortParam>,
    /// `desc` (default) or `asc`.
    #[param(inline)]
    pub order: Option<OrderParam>,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentList {
    pub items: Vec<DocumentView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Documents visible to the caller, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/documents", tag = "documents", params(ListParams),
    responses((status = 200, body = DocumentList)))]
async fn list_documents(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<DocumentList>> {
    let sort = match p.sort.unwrap_or_default() {
        SortParam::UpdatedAt => SortField::UpdatedAt,
        SortParam::CreatedAt => SortField::CreatedAt,
        SortParam::Title => SortField::Title,
    };
    let descending = matches!(p.order.unwrap_or_default(), OrderParam::Desc);
    let query = ListQuery {
        status: p.status,
        tag: p.tag.filter(|t| !t.is_empty()),
        owner: p.owner.filter(|o| !o.is_empty()),
        title_contains: p.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()),
        sort,
        descending,
        limit: p.limit.unwrap_or(50).clamp(1, 200),
        offset: p.offset.unwrap_or(0).max(0),
    };
    let page = state.store.list_documents(&user.id, &query).await?;
    Ok(Json(DocumentList {
        items: page.items.into_iter().map(DocumentView::from).collect(),
        total: page.total,
        limit: query.limit,
        offset: query.offset,
    }))
}

/// One document's metadata.
#[utoipa::path(get, path = "/api/documents/{id}", tag = "documents",
    params(("id" = String, Path)), responses((status = 200, body = DocumentView,
        headers(("ETag" = String, description = "the document's `version`, quoted")))))]
async fn get_document(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<impl IntoResponse> {
    let doc = DocumentView::from(visible_document(&state, &id, &user).await?);
    let etag = format!("\"{}\"", doc.version);
    Ok(([(header::ETAG, etag)], Json(doc)))
}

#[derive(Deserialize, ToSchema)]
pub struct PatchDocument {
    pub title: Option<String>,
    pub status: Option<Status>,
    pub tags: Option<Vec<String>>,
    /// `[a-z0-9-]{1,100}`, unique (409 when taken); `null` clears it.
    #[schema(nullable, pattern = "^[a-z0-9-]{1,100}$", max_length = 100)]
    #[serde(default, deserialize_with = "crate::api::extract::nullable")]
    pub slug: Option<Option<String>>,
    pub visibility: Option<Visibility>,
    /// When to publish (RFC 3339, server clock); `null` cancels.
    #[schema(nullable, format = DateTime)]
    #[serde(default, deserialize_with = "crate::api::extract::nullable")]
    pub publish_at: Option<Option<String>>,
    /// When to unpublish (RFC 3339, server clock); `null` cancels.
    #[schema(nullable, format = DateTime)]
    #[serde(default, deserialize_with = "crate::api::extract::nullable")]
    pub unpublish_at: Option<Option<String>>,
    /// The `version` the change is based on. Required; a client that cannot
    /// put it in the body may send `If-Match: "<version>"` instead.
    #[schema(required = true, value_type = i64)]
    #[serde(default, deserialize_with = "crate::api::extract::json_integer")]
    pub expected_version: Option<i64>,
}

/// Update title/status/tags with optimistic locking: a stale
/// `expected_version` gets 409 with the current document.
#[utoipa::path(patch, path = "/api/documents/{id}", tag = "documents", request_body = PatchDocument,
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the `version` the change is based on, when the body has no `expected_version`")),
    responses((status = 200, body = DocumentView),
              (status = 403, description = "requires the editor role", body = ErrorBody),
              (status = 409, description = "stale version; `current` holds the document", body = ErrorBody),
              (status = 428, description = "neither `expected_version` nor `If-Match` says which version the change is based on", body = ErrorBody)))]
async fn patch_document(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PatchDocument>,
) -> ApiResult<Json<DocumentView>> {
    document_with_role(&state, &id, &user, Role::Editor).await?;
    let if_match = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .parse::<i64>()
                .ok()
        });
    let expected_version = req.expected_version.or(if_match).ok_or_else(|| {
        ApiError::PreconditionRequired(
            "expected_version (or an If-Match header) is required".into(),
        )
    })?;
    let limits = &state.config.limits;
    let patch = DocumentPatch {
        title: req
            .title
            .as_deref()
            .map(|t| validate::title(t, limits))
            .transpose()?,
        status: req.status,
        tags: req
            .tags
            .as_deref()
            .map(|t| validate::tags(t, limits))
            .transpose()?,
        slug: req
            .slug
            .map(|s| s.map(|s| validate::slug(&s)).transpose())
            .transpose()?,
        visibility: req.visibility,
        publish_at: req
            .publish_at
            .map(|t| t.map(|t| validate::instant("publish_at", &t)).transpose())
            .transpose()?,
        unpublish_at: req
            .unpublish_at
            .map(|t| t.map(|t| validate::instant("unpublish_at", &t)).transpose())
            .transpose()?,
        expected_version,
    };
    match state.store.patch_document(&id, &user.id, &patch).await? {
        PatchOutcome::Updated(doc) => {
            super::announce::metadata_changed(&state, &doc).await;
            Ok(Json(doc.into()))
        }
        PatchOutcome::Conflict(doc) => Err(ApiError::Conflict(Box::new(
            DocumentView::from(doc).to_json(),
        ))),
        PatchOutcome::NotFound => Err(ApiError::NotFound),
    }
}

/// Delete a document (owner only): it moves to the owner's trash
/// (`/api/trash`) for `TRASH_DAYS`, invisible everywhere else; open sockets
/// close with 4404.
#[utoipa::path(delete, path = "/api/documents/{id}", tag = "documents",
    params(("id" = String, Path)), responses((status = 204, description = "moved to the trash"),
        (status = 403, description = "only the owner may delete", body = ErrorBody)))]
async fn delete_document(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    document_with_role(&state, &id, &user, Role::Owner).await?;
    // Read first: afterwards nobody is a member any more.
    let members = state.store.members(&id).await?;
    if !state.store.trash_document(&id, &user.id, now_ms()).await? {
        return Err(ApiError::NotFound);
    }
    super::announce::deleted(&state, &id, &members);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub action: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct EditView {
    pub user_id: String,
    pub username: Option<String>,
    pub edits: i64,
    pub first_at: String,
    pub last_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityView {
    /// Metadata changes from the audit log, newest first.
    pub changes: Vec<AuditView>,
    /// Edit activity per user.
    pub edits: Vec<EditView>,
}

/// Who changed what and when.
#[utoipa::path(get, path = "/api/documents/{id}/activity", tag = "documents",
    params(("id" = String, Path)), responses((status = 200, body = ActivityView)))]
async fn document_activity(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ActivityView>> {
    visible_document(&state, &id, &user).await?;
    let changes = state.store.audit_entries(&id, 200).await?;
    let edits = state.store.activity(&id).await?;
    Ok(Json(ActivityView {
        changes: changes
            .into_iter()
            .map(|a| AuditView {
                user_id: a.user_id,
                username: a.username,
                action: a.action,
                details: a.details,
                at: rfc3339(a.created_at),
            })
            .collect(),
        edits: edits
            .into_iter()
            .map(|e| EditView {
                user_id: e.user_id,
                username: e.username,
                edits: e.edits,
                first_at: rfc3339(e.first_at),
                last_at: rfc3339(e.last_at),
            })
            .collect(),
    }))
}
