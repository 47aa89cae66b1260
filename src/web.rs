//! The web UI's static assets: embedded in the binary from `web/dist` at
//! build time, or served from `QUIRE_WEB_DIR`. Unknown paths get
//! `index.html` (single-page app routing).
//!
//! The build leaves a brotli (`.br`) and a gzip (`.gz`) copy beside each
//! text asset; the one the client accepts is sent as is, with
//! `Content-Encoding` and `Vary: Accept-Encoding`, so nothing is compressed
//! per request. Hashed files under `assets/` are cached forever, everything
//! else revalidated. Source maps are served only in dev mode.

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

/// Where the assets come from and what may be served.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    /// `QUIRE_WEB_DIR`, else the assets embedded in the binary.
    pub dir: Option<&'a Path>,
    /// Serve source maps (dev mode only: they disclose the source).
    pub source_maps: bool,
}

/// Serves `req`'s path from the assets, falling back to `index.html`.
pub async fn serve_path(source: Source<'_>, req: Request) -> Response {
    let mut resp = serve_asset_path(source, req).await;
    ui_headers(&mut resp);
    resp
}

/// The encodings the request accepts, best first (`br`, then `gzip`);
/// `q=0` refuses one.
fn accepted_encodings(req: &Request) -> Vec<Encoding> {
    let header = req
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let accepts = |name: &str| {
        header.split(',').any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or_default().trim();
            let refused = it.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    [Encoding::Brotli, Encoding::Gzip]
        .into_iter()
        .filter(|e| accepts(e.name()))
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }
    fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Gzip => ".gz",
        }
    }
}

async fn serve_asset_path(source: Source<'_>, req: Request) -> Response {
    let path = req.uri().path().trim_start_matches('/').to_string();
    if path.contains("..") || (path.ends_with(".map") && !source.source_maps) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let encodings = accepted_encodings(&req);
    let asset = |path: &str| {
        let path = path.to_string();
        let encodings = encodings.clone();
        async move { asset(source.dir, &path, &encodings).await }
    };
    let path = if path.is_empty() {
        "index.html".to_string()
    } else {
        path
    };
    if let Some(resp) = asset(&path).await {
        return resp;
    }
    if !path.contains('.') || path.ends_with(".html") {
        if let Some(resp) = asset("index.html").await {
            return resp;
        }
        return Html(FALLBACK_PAGE).into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

async fn read(dir: Option<&Path>, path: &str) -> Option<Vec<u8>> {
    match dir {
        Some(dir) => tokio::fs::read(dir.join(path)).await.ok(),
        None => Some(Assets::get(path)?.data.into_owned()),
    }
}

/// The asset at `path`, in the first of `encodings` that has a copy, else
/// as it is.
async fn asset(dir: Option<&Path>, path: &str, encodings: &[Encoding]) -> Option<Response> {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    // Hashed asset names can be cached forever; index.html never.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut encoded = None;
    for e in encodings {
        if let Some(bytes) = read(dir, &format!("{path}{}", e.suffix())).await {
            encoded = Some((*e, bytes));
            break;
        }
    }
    let (encoding, bytes) = match encoded {
        Some((e, bytes)) => (Some(e), bytes),
        None => (None, read(dir, path).await?),
    };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, mime.as_ref())
        .header(header::CACHE_CONTROL, cache)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::VARY, "Accept-Encoding");
    if let Some(e) = encoding {
        builder = builder.header(header::CONTENT_ENCODING, e.name());
    }
    Some(
        builder
            .body(Body::from(bytes))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    )
}

const FALLBACK_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Quire</title></head>\
<body><main><h1>Quire</h1><p>The web UI was not built into this binary. Run <code>npm --prefix web ci &amp;&amp; \
npm --prefix web run build</code> and rebuild, or set <code>QUIRE_WEB_DIR</code>. The API is at \
<a href=\"/docs\">/docs</a>.</p></main></body></html>";

#[cfg(test)]
mod tests {
    use super::*;

    fn request(accept: Option<&str>) -> Request {
        let mut b = Request::builder().uri("/assets/app.js");
        if let Some(a) = accept {
            b = b.header(header::ACCEPT_ENCODING, a);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn encodings_are_negotiated() {
        use Encoding::*;
        assert_eq!(accepted_encodings(&request(None)), vec![]);
        assert_eq!(
            accepted_encodings(&request(Some("gzip, deflate, br, zstd"))),
            vec![Brotli, Gzip]
        );
        assert_eq!(accepted_encodings(&request(Some("gzip"))), vec![Gzip]);
        assert_eq!(
            accepted_encodings(&request(Some("br;q=0, GZIP;q=0.5"))),
            vec![Gzip]
        );
        assert_eq!(accepted_encodings(&request(Some("identity"))), vec![]);
    }

    async fn body(resp: Response) -> Vec<u8> {
        axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn precompressed_copies_are_served_and_maps_only_in_dev() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("assets/app.js"), "plain").unwrap();
        std::fs::write(dir.path().join("assets/app.js.br"), "brotli").unwrap();
        std::fs::write(dir.path().join("assets/app.js.gz"), "gzip").unwrap();
        std::fs::write(dir.path().join("assets/app.js.map"), "{}").unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>").unwrap();
        let prod = Source {
            dir: Some(dir.path()),
            source_maps: false,
        };
        let r = serve_path(prod, request(Some("gzip, br"))).await;
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(r.headers()[header::VARY], "Accept-Encoding");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/javascript");
        assert_eq!(
            r.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(body(r).await, b"brotli");
        let r = serve_path(prod, request(Some("gzip"))).await;
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(body(r).await, b"gzip");
        let r = serve_path(prod, request(None)).await;
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body(r).await, b"plain");
        // index.html (no compressed copy here) is revalidated.
        let index = Request::builder()
            .uri("/documents/x")
            .body(Body::empty())
            .unwrap();
        let r = serve_path(prod, index).await;
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());

        let map = || {
            Request::builder()
                .uri("/assets/app.js.map")
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(
            serve_path(prod, map()).await.status(),
            StatusCode::NOT_FOUND
        );
        let dev = Source {
            source_maps: true,
            ..prod
        };
        assert_eq!(serve_path(dev, map()).await.status(), StatusCode::OK);
    }
}
