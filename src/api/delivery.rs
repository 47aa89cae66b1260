//! The delivery API (SPEC §12): published revisions for readers and other
//! systems, read-only and cacheable. Only a document's published version
//! (or one that was its published version, under `/v/{n}`) is ever served,
//! never the draft. Public documents need no credentials; private ones are
//! for their members (anonymous 401, a signed-in non-member 404).
//!
//! Responses carry a strong `ETag` (a hash of the body) and answer 304 to
//! a matching `If-None-Match`. Public revisions are cacheable (`max-age=60`
//! by slug, immutable by version number); private ones `private, no-store`.

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::Gates;
use super::content::{FormatName, RenderedFormat};
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, MaybeUser};
use crate::auth::AuthError;
use crate::state::AppState;
use crate::store::{DeliveryQuery, Document, Visibility};
use crate::util::rfc3339;
use quire_doc::content::Format;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(by_slug))
        .routes(routes!(by_slug_and_version))
}

/// Cache lifetime of a public revision named by slug (it may be replaced).
const PUBLIC_LATEST: &str = "public, max-age=60";
/// A public revision named by version number never changes.
const PUBLIC_IMMUTABLE: &str = "public, max-age=31536000, immutable";
const PRIVATE: &str = "private, no-store";

/// Whether `reader` may read `doc`'s published revision: 401 for an
/// anonymous reader of a private document, 404 for a non-member (as if it
/// did not exist).
pub async fn readable(state: &AppState, doc: &Document, reader: Option<&str>) -> ApiResult<()> {
    if doc.visibility == Visibility::Public {
        return Ok(());
    }
    let Some(user) = reader else {
        return Err(AuthError::Missing.into());
    };
    match state.store.role_of(&doc.id, user).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound),
    }
}

/// A published document by slug, None when unknown or not published.
pub async fn published(state: &AppState, slug: &str) -> ApiResult<Option<(Document, i64)>> {
    Ok(state
        .store
        .document_by_slug(slug)
        .await?
        .and_then(|d| d.published_version.map(|n| (d, n))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only documents with this tag.
    pub tag: Option<String>,
    /// Words the title contains.
    pub q: Option<String>,
    /// Page size; clamped to 1–100 (default 20).
    pub limit: Option<i64>,
    /// Items to skip; negative counts as 0.
    pub offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryListItem {
    pub slug: String,
    pub title: String,
    pub tags: Vec<String>,
    pub published_at: String,
    /// The start of the published text.
    pub excerpt: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryListItem>,
    pub total: i64,
}

/// Published documents the caller may read (public ones, and those the
/// caller is a member of), newest publication first.
#[utoipa::path(get, path = "/api/delivery/documents", tag = "delivery", params(ListParams),
    security((), ("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DeliveryList),
        (status = 401, description = "credentials that do not verify", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiQuery(p): ApiQuery<ListParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let q = DeliveryQuery {
        tag: p.tag.filter(|t| !t.is_empty()),
        title_contains: p.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()),
        limit: p.limit.unwrap_or(20).clamp(1, 100),
        offset: p.offset.unwrap_or(0).max(0),
    };
    let page = state
        .store
        .delivery_list(user.as_ref().map(|u| u.id.as_str()), &q)
        .await?;
    let body = DeliveryList {
        items: page
            .items
            .into_iter()
            .map(|i| DeliveryListItem {
                slug: i.slug,
                title: i.title,
                tags: i.tags,
                published_at: rfc3339(i.published_at),
                excerpt: i.excerpt,
            })
            .collect(),
        total: page.total,
    };
    // Who asks changes what is listed: cacheable only for anonymous readers.
    let cache = if user.is_none() {
        PUBLIC_LATEST
    } else {
        PRIVATE
    };
    Ok(cached(&headers, &body, cache))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFormat {
    /// `html` (default), `markdown`, `json` (ProseMirror) or `text`.
    #[param(inline)]
    pub format: Option<FormatName>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveredDocument {
    pub slug: String,
    pub title: String,
    pub tags: Vec<String>,
    pub published_at: String,
    /// The version number of this revision.
    pub version: i64,
    pub format: RenderedFormat,
    /// A string for `text`, `markdown` and `html`; the ProseMirror JSON
    /// object for `json`.
    #[schema(schema_with = super::content::content_schema)]
    pub content: serde_json::Value,
}

/// The published revision of the document with this slug.
#[utoipa::path(get, path = "/api/delivery/documents/{slug}", tag = "delivery",
    params(("slug" = String, Path), DeliveryFormat),
    security((), ("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DeliveredDocument,
            headers(("ETag" = String, description = "strong validator of the body"))),
        (status = 304, description = "not modified (`If-None-Match`)"),
        (status = 401, description = "a private document and no credentials", body = ErrorBody),
        (status = 404, description = "unknown slug, not published, or no access", body = ErrorBody)))]
async fn by_slug(
    State(state): State<AppState>,
    Extension(gates): Extension<Gates>,
    MaybeUser(user): MaybeUser,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<DeliveryFormat>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (doc, number) = published(&state, &slug).await?.ok_or(ApiError::NotFound)?;
    readable(&state, &doc, user.as_ref().map(|u| u.id.as_str())).await?;
    let cache = match doc.visibility {
        Visibility::Public => PUBLIC_LATEST,
        Visibility::Private => PRIVATE,
    };
    deliver(&state, &gates, doc, number, &q, &headers, cache).await
}

/// A revision by number: any version that was once the published one, while
/// the document is published (other versions 404, so drafts never leak).
#[utoipa::path(get, path = "/api/delivery/documents/{slug}/v/{n}", tag = "delivery",
    params(("slug" = String, Path), ("n" = i64, Path), DeliveryFormat),
    security((), ("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DeliveredDocument,
            headers(("ETag" = String, description = "strong validator of the body"))),
        (status = 304, description = "not modified (`If-None-Match`)"),
        (status = 401, description = "a private document and no credentials", body = ErrorBody),
        (status = 404, description = "unknown slug, not published, never-published version, or no access", body = ErrorBody)))]
async fn by_slug_and_version(
    State(state): State<AppState>,
    Extension(gates): Extension<Gates>,
    MaybeUser(user): MaybeUser,
    ApiPath((slug, n)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<DeliveryFormat>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (doc, _) = published(&state, &slug).await?.ok_or(ApiError::NotFound)?;
    readable(&state, &doc, user.as_ref().map(|u| u.id.as_str())).await?;
    if !state.store.was_published(&doc.id, n).await? {
        return Err(ApiError::NotFound);
    }
    let cache = match doc.visibility {
        Visibility::Public => PUBLIC_IMMUTABLE,
        Visibility::Private => PRIVATE,
    };
    deliver(&state, &gates, doc, n, &q, &headers, cache).await
}

async fn deliver(
    state: &AppState,
    gates: &Gates,
    doc: Document,
    number: i64,
    q: &DeliveryFormat,
    headers: &HeaderMap,
    cache: &'static str,
) -> ApiResult<Response> {
    let format = q.format.map(Format::from).unwrap_or(Format::Html);
    let stored = state
        .store
        .version(&doc.id, number)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut rendered = gates.conversions.render_state(stored.state, format).await?;
    let body = DeliveredDocument {
        slug: doc.slug.unwrap_or_default(),
        title: doc.title,
        tags: doc.tags,
        published_at: doc.published_at.map(rfc3339).unwrap_or_default(),
        version: number,
        format: format.into(),
        content: rendered["content"].take(),
    };
    Ok(cached(headers, &body, cache))
}

/// The JSON response with a strong ETag and `cache`, or 304 when the
/// client's `If-None-Match` already names it.
fn cached<T: Serialize>(headers: &HeaderMap, body: &T, cache: &'static str) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..16]));
    let mut resp = if matches(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // The answer depends on who asks (credentials) for private documents.
    h.insert(
        header::VARY,
        HeaderValue::from_static("Authorization, Cookie"),
    );
    resp
}

/// Whether `If-None-Match` lists `etag` (or is `*`). Weak validators match
/// too: `If-None-Match` uses the weak comparison.
pub fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match() {
        let mut h = HeaderMap::new();
        assert!(!matches(&h, "\"a\""));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"b\", W/\"a\""),
        );
        assert!(matches(&h, "\"a\""));
        assert!(!matches(&h, "\"c\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches(&h, "\"z\""));
    }
}
