//! The web UI's static assets: embedded in the binary from `web/dist` at
//! build time, or served from `QUIRE_WEB_DIR`. Unknown paths get
//! `index.html` (single-page app routing).

use std::path::Path;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/dist/"]
#[allow_missing = true]
struct Assets;

/// Content-Security-Policy of the web UI. The built page loads only its own
/// scripts (no inline ones); styles may be inline because the editor sets
/// style attributes; the collaboration socket is same-origin `ws:`/`wss:`.
pub const UI_CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
    connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'none'";

/// Headers every web UI response carries.
fn ui_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(UI_CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("same-origin"),
    );
}

/// Serves `req`'s path from the assets, falling back to `index.html`.
pub async fn serve_path(web_dir: Option<&Path>, req: Request) -> Response {
    let mut resp = serve_asset_path(web_dir, req).await;
    ui_headers(&mut resp);
    resp
}

async fn serve_asset_path(web_dir: Option<&Path>, req: Request) -> Response {
    let path = req.uri().path().trim_start_matches('/').to_string();
    if path.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = if path.is_empty() {
        "index.html".to_string()
    } else {
        path
    };
    if let Some(resp) = asset(web_dir, &path).await {
        return resp;
    }
    if !path.contains('.') || path.ends_with(".html") {
        if let Some(resp) = asset(web_dir, "index.html").await {
            return resp;
        }
        return Html(FALLBACK_PAGE).into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

async fn asset(web_dir: Option<&Path>, path: &str) -> Option<Response> {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    // Hashed asset names can be cached forever; index.html never.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let bytes: Vec<u8> = match web_dir {
        Some(dir) => tokio::fs::read(dir.join(path)).await.ok()?,
        None => Assets::get(path)?.data.into_owned(),
    };
    Some(
        Response::builder()
            .header(header::CONTENT_TYPE, mime.as_ref())
            .header(header::CACHE_CONTROL, cache)
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .body(Body::from(bytes))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    )
}

const FALLBACK_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Quire</title></head>\
<body><main><h1>Quire</h1><p>The web UI was not built into this binary. Run <code>npm --prefix web ci &amp;&amp; \
npm --prefix web run build</code> and rebuild, or set <code>QUIRE_WEB_DIR</code>. The API is at \
<a href=\"/docs\">/docs</a>.</p></main></body></html>";
