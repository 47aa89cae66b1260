//! Comment threads on a document: anchored to a range of its text by two
//! Yjs relative positions (or about the whole document), with replies,
//! resolve/reopen, edits by the author and deletion by the author or an
//! owner. Threads are listed in document order with `detached` computed
//! from the live document: a thread whose text is gone is kept and listed.
//!
//! Viewers read; commenters and above write; non-members get 404. Every
//! change is announced to the document's open sockets as a `comment`
//! event, and mentions and replies notify the users concerned.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::documents::visible_document;
use super::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use super::validate;
use crate::api::error::{ApiError, ApiResult, ErrorBody};
use crate::collab::events::DocEvent;
use crate::state::AppState;
use crate::store::{
    Comment, Document, NewNotification, NewThread, NotificationKind, Role, Thread, UserRef,
};
use crate::util::rfc3339;
use quire_doc::anchor::{self, Positions};

/// Longest comment body, in Unicode code points.
pub const MAX_BODY_CHARS: usize = 10_000;
/// Longest quoted text, in Unicode code points.
pub const MAX_QUOTE_CHARS: usize = 10_000;
/// Longest encoded relative position accepted (real ones are ~20 bytes).
const MAX_ANCHOR_CHARS: usize = 512;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_threads, create_thread))
        .routes(routes!(patch_thread, delete_thread))
        .routes(routes!(add_reply))
        .routes(routes!(edit_reply, delete_reply))
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
pub struct UserRefView {
    pub id: String,
    pub username: String,
}

impl From<UserRef> for UserRefView {
    fn from(u: UserRef) -> Self {
        Self {
            id: u.id,
            username: u.username,
        }
    }
}

/// Two encoded Yjs relative positions (standard base64 of
/// `Y.encodeRelativePosition`) into the `default` fragment.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct AnchorView {
    pub start: String,
    pub end: String,
}

#[derive(Serialize, ToSchema)]
pub struct CommentView {
    pub id: String,
    pub author: UserRefView,
    /// Plain text, exactly as written; escape it when rendering.
    pub body: String,
    pub created_at: String,
    pub edited_at: Option<String>,
}

impl From<Comment> for CommentView {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id,
            author: c.author.into(),
            body: c.body,
            created_at: rfc3339(c.created_at),
            edited_at: c.edited_at.map(rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ThreadView {
    pub id: String,
    /// None for a comment on the whole document.
    pub anchor: Option<AnchorView>,
    pub quote: Option<String>,
    pub resolved: bool,
    pub resolved_by: Option<UserRefView>,
    /// The anchored text is gone (or no longer resolves): kept, listed.
    pub detached: bool,
    pub created_by: UserRefView,
    pub created_at: String,
    pub comments: Vec<CommentView>,
}

/// Where a thread's anchor resolves now: Some((start, end)) or None.
type Placement = Option<(u32, u32)>;

fn thread_view(t: Thread, placement: Placement) -> ThreadView {
    let anchored = t.anchor.is_some();
    ThreadView {
        id: t.id,
        anchor: t.anchor.map(|(start, end)| AnchorView { start, end }),
        quote: t.quote,
        resolved: t.resolved_by.is_some(),
        resolved_by: t.resolved_by.map(UserRefView::from),
        detached: anchored && placement.is_none_or(|(s, e)| s >= e),
        created_by: t.created_by.into(),
        created_at: rfc3339(t.created_at),
        comments: t.comments.into_iter().map(CommentView::from).collect(),
    }
}

fn decode_position(b64: &str) -> Option<yrs::StickyIndex> {
    if b64.len() > MAX_ANCHOR_CHARS {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    anchor::decode(&bytes).ok()
}

/// Resolves each anchor against the live document (None for threads
/// without an anchor, or whose positions no longer resolve).
async fn placements(
    state: &AppState,
    doc_id: &str,
    anchors: Vec<Option<(String, String)>>,
) -> ApiResult<Vec<Placement>> {
    let placed = state
        .hub
        .read(doc_id, move |doc| {
            let positions = Positions::of(doc);
            anchors
                .iter()
                .map(|a| {
                    let (s, e) = a.as_ref()?;
                    let s = positions.resolve(doc, &decode_position(s)?)?;
                    let e = positions.resolve(doc, &decode_position(e)?)?;
                    Some((s, e))
                })
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(placed)
}

/// The thread as the API shows it, placed in the live document.
pub async fn thread_view_of(state: &AppState, doc_id: &str, t: Thread) -> ApiResult<ThreadView> {
    let placed = placements(state, doc_id, vec![t.anchor.clone()]).await?;
    Ok(thread_view(t, placed.into_iter().next().flatten()))
}

/// Announces the thread (after a create, reply, edit, resolve or reopen).
async fn announce_thread(state: &AppState, doc_id: &str, thread_id: &str) {
    let Ok(Some(t)) = state.store.thread(doc_id, thread_id).await else {
        return;
    };
    let Ok(view) = thread_view_of(state, doc_id, t).await else {
        return;
    };
    let event = serde_json::json!({ "type": "comment", "thread": view });
    state.hub.publish_event(doc_id, &DocEvent::Notice { event });
}

/// The document if the caller may read it (404 otherwise), and whether they
/// may comment.
async fn readable(state: &AppState, id: &str, user: &AuthUser) -> ApiResult<Document> {
    visible_document(state, id, user).await
}

async fn commentable(state: &AppState, id: &str, user: &AuthUser) -> ApiResult<Document> {
    let doc = readable(state, id, user).await?;
    match doc.role {
        Some(r) if r.can_comment() => Ok(doc),
        _ => Err(ApiError::Forbidden(
            "requires the commenter role or above".into(),
        )),
    }
}

/// A comment body: 1–10,000 code points, stored exactly as sent (NUL, which
/// no database column can hold, is refused).
fn body(raw: &str) -> ApiResult<String> {
    let n = raw.chars().count();
    if n == 0 || n > MAX_BODY_CHARS {
        return Err(ApiError::Validation(format!(
            "body must be 1–{MAX_BODY_CHARS} characters"
        )));
    }
    if raw.contains('\0') {
        return Err(ApiError::Validation(
            "body must not contain NUL characters".into(),
        ));
    }
    Ok(raw.to_string())
}

/// Lowercased usernames mentioned in `body` (`@name`, ended by any
/// character a username cannot hold).
pub fn mentions(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '@' {
            continue;
        }
        // `a@b` is an address, not a mention.
        let prev = body[..i].chars().next_back();
        if prev.is_some_and(|p| p.is_ascii_alphanumeric() || matches!(p, '_' | '-' | '.')) {
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while let Some(&(j, d)) = chars.peek() {
            if d.is_ascii_alphanumeric() || matches!(d, '_' | '-' | '.') {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let name = body[start..end].trim_end_matches('.').to_ascii_lowercase();
        if validate::is_username(&name) && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Notifications for `comment` in `thread`: mentions of members, and a
/// reply notice to the thread's other participants (once each; a mention
/// already tells them).
async fn notify_comment(
    state: &AppState,
    doc_id: &str,
    thread: &Thread,
    comment: &Comment,
    is_reply: bool,
) {
    let Ok(members) = state.store.members(doc_id).await else {
        return;
    };
    let author = &comment.author.id;
    let mut notified: Vec<String> = Vec::new();
    let mut items = Vec::new();
    let item = |user_id: &str, kind| NewNotification {
        user_id: user_id.to_string(),
        kind,
        document_id: doc_id.to_string(),
        thread_id: Some(thread.id.clone()),
        comment_id: Some(comment.id.clone()),
        actor_id: author.clone(),
    };
    for name in mentions(&comment.body) {
        if let Some(m) = members
            .iter()
            .find(|m| m.username.to_ascii_lowercase() == name)
            && m.user_id != *author
            && !notified.contains(&m.user_id)
        {
            items.push(item(&m.user_id, NotificationKind::Mention));
            notified.push(m.user_id.clone());
        }
    }
    if is_reply {
        let mut participants = vec![thread.created_by.id.clone()];
        participants.extend(thread.comments.iter().map(|c| c.author.id.clone()));
        for p in participants {
            let member = members.iter().any(|m| m.user_id == p);
            if p != *author && member && !notified.contains(&p) {
                items.push(item(&p, NotificationKind::Reply));
                notified.push(p);
            }
        }
    }
    super::announce::notify(state, &items).await;
}

#[derive(Deserialize, ToSchema, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    Open,
    Resolved,
    #[default]
    All,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `open`, `resolved` or `all` (default).
    #[param(inline)]
    pub status: Option<StatusFilter>,
}

#[derive(Serialize, ToSchema)]
pub struct ThreadList {
    pub items: Vec<ThreadView>,
}

/// The document's comment threads in document order: comments on the
/// whole document first, then anchored threads by where their text starts,
/// then detached ones.
#[utoipa::path(get, path = "/api/documents/{id}/comments", tag = "comments",
    params(("id" = String, Path), ListParams),
    responses((status = 200, body = ThreadList),
        (status = 404, description = "no such document, or no access", body = ErrorBody)))]
async fn list_threads(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<ThreadList>> {
    readable(&state, &id, &user).await?;
    let filter = p.status.unwrap_or_default();
    let threads: Vec<Thread> = state
        .store
        .threads(&id)
        .await?
        .into_iter()
        .filter(|t| match filter {
            StatusFilter::All => true,
            StatusFilter::Open => t.resolved_by.is_none(),
            StatusFilter::Resolved => t.resolved_by.is_some(),
        })
        .collect();
    let placed = placements(
        &state,
        &id,
        threads.iter().map(|t| t.anchor.clone()).collect(),
    )
    .await?;
    let mut keyed: Vec<((u8, u32, i64), ThreadView)> = threads
        .into_iter()
        .zip(placed)
        .map(|(t, p)| {
            let created = t.created_at;
            let view = thread_view(t, p);
            let key = match (&view.anchor, view.detached, p) {
                (None, _, _) => (0, 0, created),
                (Some(_), false, Some((s, _))) => (1, s, created),
                _ => (2, 0, created),
            };
            (key, view)
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    Ok(Json(ThreadList {
        items: keyed.into_iter().map(|(_, v)| v).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateThread {
    /// Where the comment points; null for a comment on the whole document.
    pub anchor: Option<AnchorView>,
    /// The text quoted at creation; required with an anchor.
    pub quote: Option<String>,
    pub body: String,
}

/// Open a thread (commenter or above); its body is the first comment.
#[utoipa::path(post, path = "/api/documents/{id}/comments", tag = "comments",
    request_body = CreateThread, params(("id" = String, Path)),
    responses((status = 201, body = ThreadView),
        (status = 403, description = "requires the commenter role", body = ErrorBody),
        (status = 404, description = "no such document, or no access", body = ErrorBody),
        (status = 422, description = "invalid body or quote, or an anchor that does not resolve in the document's text", body = ErrorBody)))]
async fn create_thread(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CreateThread>,
) -> ApiResult<(StatusCode, Json<ThreadView>)> {
    commentable(&state, &id, &user).await?;
    let text = body(&req.body)?;
    let (anchor, quote) = match req.anchor {
        None => (None, None),
        Some(a) => {
            let quote = req
                .quote
                .ok_or_else(|| ApiError::Validation("quote is required with an anchor".into()))?;
            if quote.chars().count() > MAX_QUOTE_CHARS || quote.contains('\0') {
                return Err(ApiError::Validation(format!(
                    "quote must be at most {MAX_QUOTE_CHARS} characters, without NUL"
                )));
            }
            if decode_position(&a.start).is_none() || decode_position(&a.end).is_none() {
                return Err(ApiError::Validation(
                    "anchor positions must be base64 Yjs relative positions".into(),
                ));
            }
            let placed =
                placements(&state, &id, vec![Some((a.start.clone(), a.end.clone()))]).await?;
            if placed.first().is_none_or(|p| p.is_none()) {
                return Err(ApiError::Validation(
                    "anchor does not resolve inside the document's text".into(),
                ));
            }
            (Some((a.start, a.end)), Some(quote))
        }
    };
    let thread = state
        .store
        .create_thread(&NewThread {
            document_id: id.clone(),
            anchor,
            quote,
            author_id: user.id.clone(),
            body: text,
        })
        .await?;
    if let Some(first) = thread.comments.first() {
        notify_comment(&state, &id, &thread, first, false).await;
    }
    announce_thread(&state, &id, &thread.id).await;
    let view = thread_view_of(&state, &id, thread).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Deserialize, ToSchema)]
pub struct PatchThread {
    pub resolved: bool,
}

/// Resolve or reopen a thread (commenter or above).
#[utoipa::path(patch, path = "/api/documents/{id}/comments/{thread}", tag = "comments",
    request_body = PatchThread, params(("id" = String, Path), ("thread" = String, Path)),
    responses((status = 200, body = ThreadView),
        (status = 403, description = "requires the commenter role", body = ErrorBody),
        (status = 404, description = "no such thread, or no access", body = ErrorBody)))]
async fn patch_thread(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, thread_id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<PatchThread>,
) -> ApiResult<Json<ThreadView>> {
    commentable(&state, &id, &user).await?;
    let by = req.resolved.then_some(user.id.as_str());
    if !state.store.set_thread_resolved(&id, &thread_id, by).await? {
        return Err(ApiError::NotFound);
    }
    let thread = state
        .store
        .thread(&id, &thread_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    announce_thread(&state, &id, &thread_id).await;
    Ok(Json(thread_view_of(&state, &id, thread).await?))
}

/// Delete a thread and its comments (its author, or an owner).
#[utoipa::path(delete, path = "/api/documents/{id}/comments/{thread}", tag = "comments",
    params(("id" = String, Path), ("thread" = String, Path)),
    responses((status = 204, description = "deleted"),
        (status = 403, description = "only the thread's author or an owner", body = ErrorBody),
        (status = 404, description = "no such thread, or no access", body = ErrorBody)))]
async fn delete_thread(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, thread_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let doc = commentable(&state, &id, &user).await?;
    let thread = state
        .store
        .thread(&id, &thread_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if thread.created_by.id != user.id && doc.role != Some(Role::Owner) {
        return Err(ApiError::Forbidden(
            "only the thread's author or an owner may delete it".into(),
        ));
    }
    if !state.store.delete_thread(&id, &thread_id).await? {
        return Err(ApiError::NotFound);
    }
    let event = serde_json::json!({ "type": "comment", "deleted_thread": thread_id });
    state.hub.publish_event(&id, &DocEvent::Notice { event });
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ReplyBody {
    pub body: String,
}

/// Reply in a thread (commenter or above).
#[utoipa::path(post, path = "/api/documents/{id}/comments/{thread}/replies", tag = "comments",
    request_body = ReplyBody, params(("id" = String, Path), ("thread" = String, Path)),
    responses((status = 201, body = CommentView),
        (status = 403, description = "requires the commenter role", body = ErrorBody),
        (status = 404, description = "no such thread, or no access", body = ErrorBody),
        (status = 422, description = "invalid body", body = ErrorBody)))]
async fn add_reply(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, thread_id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<ReplyBody>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    commentable(&state, &id, &user).await?;
    let text = body(&req.body)?;
    let thread = state
        .store
        .thread(&id, &thread_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let comment = state
        .store
        .add_comment(&id, &thread_id, &user.id, &text)
        .await?
        .ok_or(ApiError::NotFound)?;
    notify_comment(&state, &id, &thread, &comment, true).await;
    announce_thread(&state, &id, &thread_id).await;
    Ok((StatusCode::CREATED, Json(comment.into())))
}

/// Edit a reply (its author only).
#[utoipa::path(patch, path = "/api/documents/{id}/comments/{thread}/replies/{comment}", tag = "comments",
    request_body = ReplyBody,
    params(("id" = String, Path), ("thread" = String, Path), ("comment" = String, Path)),
    responses((status = 200, body = CommentView),
        (status = 403, description = "only the comment's author", body = ErrorBody),
        (status = 404, description = "no such comment, or no access", body = ErrorBody),
        (status = 422, description = "invalid body", body = ErrorBody)))]
async fn edit_reply(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, thread_id, comment_id)): ApiPath<(String, String, String)>,
    ApiJson(req): ApiJson<ReplyBody>,
) -> ApiResult<Json<CommentView>> {
    commentable(&state, &id, &user).await?;
    let text = body(&req.body)?;
    let comment = state
        .store
        .comment(&id, &thread_id, &comment_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if comment.author.id != user.id {
        return Err(ApiError::Forbidden(
            "only the comment's author may edit it".into(),
        ));
    }
    state
        .store
        .edit_comment(&id, &thread_id, &comment_id, &text)
        .await?;
    let comment = state
        .store
        .comment(&id, &thread_id, &comment_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    announce_thread(&state, &id, &thread_id).await;
    Ok(Json(comment.into()))
}

/// Delete a reply (its author, or an owner). The comment that opened the
/// thread cannot be deleted alone: delete the thread.
#[utoipa::path(delete, path = "/api/documents/{id}/comments/{thread}/replies/{comment}", tag = "comments",
    params(("id" = String, Path), ("thread" = String, Path), ("comment" = String, Path)),
    responses((status = 204, description = "deleted"),
        (status = 403, description = "only the comment's author or an owner", body = ErrorBody),
        (status = 404, description = "no such comment, or no access", body = ErrorBody),
        (status = 422, description = "the thread's first comment; delete the thread instead", body = ErrorBody)))]
async fn delete_reply(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, thread_id, comment_id)): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let doc = commentable(&state, &id, &user).await?;
    let thread = state
        .store
        .thread(&id, &thread_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Some(comment) = thread.comments.iter().find(|c| c.id == comment_id) else {
        return Err(ApiError::NotFound);
    };
    if comment.author.id != user.id && doc.role != Some(Role::Owner) {
        return Err(ApiError::Forbidden(
            "only the comment's author or an owner may delete it".into(),
        ));
    }
    if thread.comments.first().is_some_and(|c| c.id == comment_id) {
        return Err(ApiError::Validation(
            "the first comment opens the thread; delete the thread instead".into(),
        ));
    }
    state
        .store
        .delete_comment(&id, &thread_id, &comment_id)
        .await?;
    announce_thread(&state, &id, &thread_id).await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_usernames_after_an_at() {
        assert_eq!(
            mentions("hi @Bob, see @carol.x. and mail a@b.com @bob again @"),
            ["bob", "carol.x"]
        );
        assert_eq!(mentions("@ab"), Vec::<String>::new(), "too short");
        assert_eq!(mentions("(@dave)"), ["dave"]);
        assert_eq!(mentions("@émile @eve"), ["eve"]);
    }

    #[test]
    fn bodies_are_kept_exactly_within_bounds() {
        assert_eq!(body(" <b>x</b> ").unwrap(), " <b>x</b> ");
        assert!(body("").is_err());
        assert!(body(&"é".repeat(MAX_BODY_CHARS)).is_ok());
        assert!(body(&"é".repeat(MAX_BODY_CHARS + 1)).is_err());
        assert!(body("a\0b").is_err());
    }
}
