//! REST routes backed by the live document: content in several formats,
//! presence, and the HTTP sync fallback (state by state vector, updates).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use base64::Engine;
use quire_doc::content::Format;
use quire_doc::{guard, protocol};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::Gates;
use super::documents::{document_with_role, visible_document};
use super::extract::{ApiPath, ApiQuery, AuthUser};
use crate::api::error::{ApiError, ApiResult, ErrorBody};
use crate::collab::room::Accepted;
use crate::state::AppState;
use crate::store::Role;
use crate::util::rfc3339;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_content))
        .routes(routes!(get_presence))
        .routes(routes!(get_state))
        .routes(routes!(post_update))
}

/// A content format as asked for (`txt`/`plain` mean `text`, `md` means
/// `markdown`).
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum FormatName {
    Text,
    Txt,
    Plain,
    Markdown,
    Md,
    Html,
    Json,
}

impl From<FormatName> for Format {
    fn from(f: FormatName) -> Self {
        match f {
            FormatName::Text | FormatName::Txt | FormatName::Plain => Format::Text,
            FormatName::Markdown | FormatName::Md => Format::Markdown,
            FormatName::Html => Format::Html,
            FormatName::Json => Format::Json,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `text`, `markdown` (default), `html` or `json` (ProseMirror).
    #[param(inline)]
    pub format: Option<FormatName>,
}

impl FormatParam {
    /// The format asked for, Markdown when none.
    pub fn format(&self) -> Format {
        self.format.map(Format::from).unwrap_or(Format::Markdown)
    }
}

/// The format a content response is in.
#[derive(Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RenderedFormat {
    Text,
    Markdown,
    Html,
    Json,
}

impl From<Format> for RenderedFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => RenderedFormat::Text,
            Format::Markdown => RenderedFormat::Markdown,
            Format::Html => RenderedFormat::Html,
            Format::Json => RenderedFormat::Json,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContentView {
    pub format: RenderedFormat,
    /// A string for `text`, `markdown` and `html`; the ProseMirror JSON
    /// object for `json`.
    #[schema(schema_with = content_schema)]
    pub content: serde_json::Value,
}

impl ContentView {
    /// The view of a rendering in `format` (`{ "format", "content" }`).
    pub fn rendered(format: Format, mut rendered: serde_json::Value) -> Self {
        Self {
            format: format.into(),
            content: rendered["content"].take(),
        }
    }
}

/// A string, or a JSON object.
pub fn content_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ObjectBuilder::new().schema_type(Type::Object))
            .build(),
    )
    .into()
}

/// The current content (live state when the document is open, stored state otherwise).
#[utoipa::path(get, path = "/api/documents/{id}/content", tag = "content",
    params(("id" = String, Path), FormatParam), responses((status = 200, body = ContentView),
        (status = 503, description = "conversion busy or over its time budget, or the database is unavailable", body = ErrorBody)))]
async fn get_content(
    State(state): State<AppState>,
    Extension(gates): Extension<Gates>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<FormatParam>,
) -> ApiResult<Json<ContentView>> {
    visible_document(&state, &id, &user).await?;
    let format = q.format();
    // Only the (cheap, linear) state encoding touches the live document;
    // the rendering runs on the blocking pool, bounded.
    let full = state
        .hub
        .read(&id, guard::encode_full_state)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let body = gates.conversions.render_state(full, format).await?;
    Ok(Json(ContentView::rendered(format, body)))
}

#[derive(Serialize, ToSchema)]
pub struct PresenceUser {
    pub id: String,
    pub username: String,
    pub connections: usize,
    pub last_seen: String,
}

#[derive(Serialize, ToSchema)]
pub struct PresenceView {
    pub users: Vec<PresenceUser>,
}

/// Who is connected to the document now.
#[utoipa::path(get, path = "/api/documents/{id}/presence", tag = "content",
    params(("id" = String, Path)), responses((status = 200, body = PresenceView)))]
async fn get_presence(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<PresenceView>> {
    visible_document(&state, &id, &user).await?;
    let records = match state.hub.bus.presence(&id).await {
        Some(all) => all,
        None => state
            .hub
            .active_room(&id)
            .map(|room| room.presence_records())
            .unwrap_or_default(),
    };
    let mut users: Vec<PresenceUser> = records
        .into_iter()
        .filter(|r| r.connections > 0)
        .map(|r| PresenceUser {
            id: r.user_id,
            username: r.username,
            connections: r.connections,
            last_seen: rfc3339(r.last_seen_ms),
        })
        .collect();
    users.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(Json(PresenceView { users }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StateParam {
    /// Base64 state vector (v1); omit for the whole state.
    pub sv: Option<String>,
}

/// The binary Yjs update (v1) the caller is missing given its state vector.
#[utoipa::path(get, path = "/api/documents/{id}/state", tag = "content",
    params(("id" = String, Path), StateParam),
    responses((status = 200, description = "a Yjs v1 update", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "`sv` is not base64 or not a state vector", body = ErrorBody)))]
async fn get_state(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<StateParam>,
) -> ApiResult<impl IntoResponse> {
    visible_document(&state, &id, &user).await?;
    let sv = match q.sv.as_deref().filter(|s| !s.is_empty()) {
        None => yrs::StateVector::default(),
        Some(b64) => {
            let raw = decode_base64(b64)?;
            guard::decode_state_vector(&raw)
                .map_err(|e| ApiError::BadRequest(format!("invalid state vector: {e}")))?
        }
    };
    let update = state
        .hub
        .read(&id, move |doc| guard::encode_diff(doc, &sv))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], update))
}

fn decode_base64(s: &str) -> ApiResult<Vec<u8>> {
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|e| e.decode(s.trim()).ok())
        .ok_or_else(|| ApiError::BadRequest("sv is not base64".into()))
}

#[derive(Serialize, ToSchema)]
pub struct UpdateResult {
    /// False when the update was already known (nothing changed).
    pub applied: bool,
}

/// Apply a binary Yjs update (v1) over HTTP: same validation, limits, roles
/// and fan-out as the WebSocket.
#[utoipa::path(post, path = "/api/documents/{id}/updates", tag = "content",
    params(("id" = String, Path)), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = UpdateResult),
        (status = 400, description = "not a valid Yjs v1 update, or refused by the document's rules", body = ErrorBody),
        (status = 403, description = "requires the editor role", body = ErrorBody),
        (status = 413, description = "the update, or the document it would make, is too large", body = ErrorBody),
        (status = 503, description = "too many unsaved updates (the database is unreachable), or the database is unavailable", body = ErrorBody)))]
async fn post_update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<UpdateResult>> {
    document_with_role(&state, &id, &user, Role::Editor).await?;
    if body.len() > state.config.limits.max_ws_message_bytes {
        return Err(ApiError::PayloadTooLarge);
    }
    guard::decode_update(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid update: {e}")))?;
    let room = state
        .hub
        .room(&id)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    match room.server_update(&body, Some(user.id.clone())) {
        Ok(Accepted::Applied) => Ok(Json(UpdateResult { applied: true })),
        Ok(_) => Ok(Json(UpdateResult { applied: false })),
        Err(close) if close.code == protocol::CLOSE_DOC_TOO_LARGE => Err(ApiError::PayloadTooLarge),
        // Too many unsaved updates (the database is unreachable): retry later.
        Err(close) if close.code == protocol::CLOSE_TRY_AGAIN => {
            Err(ApiError::Unavailable(close.reason))
        }
        Err(close) => Err(ApiError::BadRequest(close.reason)),
    }
}
