//! Images in documents: `POST /api/documents/{id}/media` uploads one (an
//! editor's; the raw bytes as the body, or a multipart form whose first
//! part with a filename is the file), `GET /api/media/{id}` serves it.
//!
//! What a file is comes from its bytes ([`crate::media::probe`]), never
//! from its name or declared type. An image is served to the members of
//! the document it was uploaded to (`private`, immutable: the bytes behind
//! an id never change), and to anyone while the document's public
//! published revision shows it (`public, max-age=60`, so unpublishing
//! takes effect within a minute). Everyone else gets 404.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::Gates;
use super::delivery::matches;
use super::documents::document_with_role;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, AuthUser, MaybeUser};
use super::validate;
use crate::media::{self, MediaError};
use crate::state::AppState;
use crate::store::{Media, NewMedia, Role, Visibility};
use crate::util::{now_ms, rfc3339};

/// Room for a multipart form's boundaries and part headers beyond the file.
pub const FORM_OVERHEAD: usize = 64 * 1024;
const PRIVATE: &str = "private, max-age=31536000, immutable";
const PUBLIC: &str = "public, max-age=60";

/// Which images each published revision shows. A revision never changes,
/// so this is remembered: an anonymous reader's image request then costs a
/// document lookup, not a decoding of the whole revision (a public page
/// with ten images would otherwise decode it ten times per reader).
#[derive(Default)]
pub struct ShownMedia(parking_lot::Mutex<HashMap<Revision, Arc<[String]>>>);

/// A document id and a version number.
type Revision = (String, i64);

/// Revisions remembered at most; past it the memory starts over.
const SHOWN_CAPACITY: usize = 1024;

impl ShownMedia {
    fn get(&self, doc: &str, version: i64) -> Option<Arc<[String]>> {
        self.0.lock().get(&(doc.to_string(), version)).cloned()
    }

    fn put(&self, doc: &str, version: i64, ids: Vec<String>) -> Arc<[String]> {
        let ids: Arc<[String]> = ids.into();
        let mut map = self.0.lock();
        if map.len() >= SHOWN_CAPACITY {
            map.clear();
        }
        map.insert((doc.to_string(), version), ids.clone());
        ids
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(get_media))
}

/// True for the upload route's path, whose bodies may be up to
/// `MAX_MEDIA_BYTES` (plus [`FORM_OVERHEAD`]) rather than `MAX_BODY_BYTES`.
pub fn is_upload_path(path: &str) -> bool {
    path.strip_prefix("/api/documents/")
        .and_then(|rest| rest.strip_suffix("/media"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// An uploaded image.
#[derive(Serialize, ToSchema)]
pub struct MediaView {
    pub id: String,
    /// Where it is served; put it in an image's `src`.
    pub url: String,
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
    pub content_type: String,
    /// Size of the file.
    pub bytes: i64,
    /// Pixels.
    pub width: i64,
    pub height: i64,
    pub created_at: String,
}

impl From<Media> for MediaView {
    fn from(m: Media) -> Self {
        MediaView {
            url: format!("/api/media/{}", m.id),
            id: m.id,
            content_type: m.content_type,
            bytes: m.bytes,
            width: m.width,
            height: m.height,
            created_at: rfc3339(m.created_at),
        }
    }
}

/// Upload an image to a document. The body is the file itself (any
/// `Content-Type`), or `multipart/form-data` whose first part with a
/// filename is the file. PNG, JPEG, GIF and WebP only, typed by the bytes;
/// the same bytes uploaded again to the same document give the same image.
#[utoipa::path(post, path = "/api/documents/{id}/media", tag = "content",
    params(("id" = String, Path)),
    request_body(content(
        (Vec<u8> = "application/octet-stream"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/gif"),
        (Vec<u8> = "image/webp"),
    ), description = "the image's bytes, or a multipart form holding it as a file part"),
    responses((status = 201, body = MediaView),
        (status = 400, description = "an empty upload, or a multipart form without a file", body = ErrorBody),
        (status = 403, description = "requires the editor role (or a read-only token)", body = ErrorBody),
        (status = 404, description = "no such document, or not a member", body = ErrorBody),
        (status = 413, description = "the file is larger than MAX_MEDIA_BYTES", body = ErrorBody),
        (status = 415, description = "not a PNG, JPEG, GIF or WebP image", body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<MediaView>)> {
    let doc = document_with_role(&state, &id, &user, Role::Editor).await?;
    let max = state.config.limits.max_media_bytes;
    let raw = read_body(body, max.saturating_add(FORM_OVERHEAD), max).await?;
    let file = match form_boundary(&headers) {
        Some(boundary) => first_file(raw, boundary, max).await?,
        None => raw,
    };
    if file.len() > max {
        return Err(MediaError::TooLarge(max).into());
    }
    let probe = media::probe(&file)?;
    let new = NewMedia {
        id: uuid::Uuid::new_v4().to_string(),
        document_id: doc.id,
        sha256: media::content_hash(&file),
        content_type: probe.kind.content_type().to_string(),
        width: probe.width.into(),
        height: probe.height.into(),
        data: file.to_vec(),
        uploaded_by: user.id,
        created_at: now_ms(),
    };
    let stored = state
        .store
        .put_media(&new)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(stored.into())))
}

/// The whole body, refused as too large past `limit` bytes (`max` is the
/// file limit the message names).
async fn read_body(body: Body, limit: usize, max: usize) -> ApiResult<Bytes> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            MediaError::TooLarge(max).into()
        } else {
            ApiError::BadRequest("the upload could not be read".into())
        }
    })
}

/// The boundary of a `multipart/form-data` body, if that is what it is.
fn form_boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = ct.split(';').next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    multer::parse_boundary(ct).ok()
}

/// The bytes of the first part with a filename.
async fn first_file(raw: Bytes, boundary: String, max: usize) -> ApiResult<Bytes> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(raw) });
    let mut form = multer::Multipart::new(stream, boundary);
    let bad =
        |e: multer::Error| MediaError::BadForm(format!("the multipart form is malformed: {e}"));
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        if field.file_name().is_none() {
            continue;
        }
        let mut file = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if file.len() + chunk.len() > max {
                return Err(MediaError::TooLarge(max).into());
            }
            file.extend_from_slice(&chunk);
        }
        return Ok(Bytes::from(file));
    }
    Err(
        MediaError::BadForm("the multipart form holds no file (a part with a filename)".into())
            .into(),
    )
}

/// An uploaded image, for the members of its document, or for anyone while
/// the document's public published revision shows it.
#[utoipa::path(get, path = "/api/media/{id}", tag = "content",
    params(("id" = String, Path)),
    security((), ("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "the image", content(
            (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/gif"), (Vec<u8> = "image/webp")),
            headers(("ETag" = String), ("Cache-Control" = String), ("X-Content-Type-Options" = String))),
        (status = 304, description = "not modified (`If-None-Match`)"),
        (status = 401, description = "credentials that do not verify", body = ErrorBody),
        (status = 404, description = "no such image, or not yours to see", body = ErrorBody)))]
async fn get_media(
    State(state): State<AppState>,
    Extension(gates): Extension<Gates>,
    MaybeUser(user): MaybeUser,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = validate::path_id(&id)?;
    let stored = state.store.media(id).await?.ok_or(ApiError::NotFound)?;
    let m = &stored.media;
    let member = match &user {
        Some(u) => state.store.role_of(&m.document_id, &u.id).await?.is_some(),
        None => false,
    };
    let cache = if member {
        PRIVATE
    } else if publicly_shown(&state, &gates, m).await? {
        PUBLIC
    } else {
        return Err(ApiError::NotFound);
    };
    // The bytes behind an id never change: the id is a strong validator.
    let etag = format!("\"{}\"", m.id);
    let mut resp = if matches(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let content_type = HeaderValue::from_str(&m.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        ([(header::CONTENT_TYPE, content_type)], stored.data).into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Authorization"),
    );
    Ok(resp)
}

/// Whether the document's public published revision shows this image.
async fn publicly_shown(state: &AppState, gates: &Gates, m: &Media) -> ApiResult<bool> {
    let Some(doc) = state.store.document_by_id(&m.document_id).await? else {
        return Ok(false);
    };
    let (Visibility::Public, Some(number)) = (doc.visibility, doc.published_version) else {
        return Ok(false);
    };
    let shown = match gates.shown_media.get(&doc.id, number) {
        Some(ids) => ids,
        None => {
            let Some(revision) = state.store.version(&doc.id, number).await? else {
                return Ok(false);
            };
            let ids = gates.conversions.media_of_state(revision.state).await?;
            gates.shown_media.put(&doc.id, number, ids)
        }
    };
    Ok(shown.contains(&m.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_media_remembers_revisions_within_a_bound() {
        let shown = ShownMedia::default();
        assert!(shown.get("d", 1).is_none());
        shown.put("d", 1, vec!["a".into()]);
        assert_eq!(&*shown.get("d", 1).unwrap(), ["a".to_string()]);
        assert!(
            shown.get("d", 2).is_none(),
            "another revision is another entry"
        );
        for n in 0..SHOWN_CAPACITY as i64 {
            shown.put("e", n, Vec::new());
        }
        assert!(shown.0.lock().len() <= SHOWN_CAPACITY);
    }

    #[test]
    fn only_the_upload_route_gets_the_media_body_limit() {
        assert!(is_upload_path(
            "/api/documents/0b6e3d0e-5d0f-4b8f-9a8a-6f1f1c1f1c1f/media"
        ));
        assert!(!is_upload_path("/api/documents//media"));
        assert!(!is_upload_path("/api/documents/a/b/media"));
        assert!(!is_upload_path("/api/documents/a/content"));
        assert!(!is_upload_path("/api/media/abc"));
    }

    #[test]
    fn boundaries_come_only_from_multipart_form_data() {
        let mut h = HeaderMap::new();
        assert_eq!(form_boundary(&h), None);
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
        assert_eq!(form_boundary(&h), None);
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=XyZ"),
        );
        assert_eq!(form_boundary(&h).as_deref(), Some("XyZ"));
    }

    #[tokio::test]
    async fn the_first_part_with_a_filename_is_the_file() {
        let body = "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
            --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\
            Content-Type: image/jpeg\r\n\r\nPIXELS\r\n--B--\r\n";
        let file = first_file(Bytes::from(body), "B".into(), 100)
            .await
            .unwrap();
        assert_eq!(&file[..], b"PIXELS");
        let err = first_file(Bytes::from(body), "B".into(), 3)
            .await
            .unwrap_err();
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let none = "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--B--\r\n";
        let err = first_file(Bytes::from(none), "B".into(), 100)
            .await
            .unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let err = first_file(Bytes::from("garbage"), "B".into(), 100)
            .await
            .unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }
}
