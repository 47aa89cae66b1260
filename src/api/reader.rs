//! The reader page `GET /p/{slug}` (SPEC §12): the published revision as a
//! readable, server-rendered HTML page — no script, `<title>`, description
//! and OpenGraph tags, a print stylesheet. Drafts are never rendered here:
//! an unknown slug, an unpublished document, or a private one asked for by
//! someone who is not a member answers 404 (never a redirect, so the page
//! does not tell a private document from a missing one).
//!
//! The body is the server's own HTML rendering of the document, in which
//! every text and attribute is escaped and only known elements appear, so
//! the page needs no sanitiser; its policy forbids scripts anyway.

use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::Gates;
use super::delivery::{matches, published};
use super::extract::MaybeUser;
use crate::state::AppState;
use crate::store::Visibility;
use crate::util::rfc3339;
use quire_doc::content::Format;

/// Styles inline (no other request), images from anywhere over HTTPS or
/// this server, nothing that runs.
const READER_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    Router::new().route("/p/{slug}", get(page))
}

async fn page(
    State(state): State<AppState>,
    Extension(gates): Extension<Gates>,
    user: Result<MaybeUser, super::error::ApiError>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let reader = user.ok().and_then(|MaybeUser(u)| u);
    match render(
        &state,
        &gates,
        reader.as_ref().map(|u| u.id.as_str()),
        &slug,
        &headers,
    )
    .await
    {
        Ok(resp) => resp,
        Err(status) => error_page(status),
    }
}

async fn render(
    state: &AppState,
    gates: &Gates,
    reader: Option<&str>,
    slug: &str,
    headers: &HeaderMap,
) -> Result<Response, StatusCode> {
    let unavailable = |e: super::error::ApiError| {
        tracing::warn!(error = %e, "reader page");
        StatusCode::SERVICE_UNAVAILABLE
    };
    let (doc, number) = published(state, slug)
        .await
        .map_err(unavailable)?
        .ok_or(StatusCode::NOT_FOUND)?;
    let cache = match doc.visibility {
        Visibility::Public => "public, max-age=60",
        Visibility::Private => {
            let member = match reader {
                Some(u) => state
                    .store
                    .role_of(&doc.id, u)
                    .await
                    .map_err(|e| unavailable(e.into()))?
                    .is_some(),
                None => false,
            };
            if !member {
                return Err(StatusCode::NOT_FOUND);
            }
            "private, no-store"
        }
    };
    let stored = state
        .store
        .version(&doc.id, number)
        .await
        .map_err(|e| unavailable(e.into()))?
        .ok_or(StatusCode::NOT_FOUND)?;
    let html = gates
        .conversions
        .render_state(stored.state.clone(), Format::Html)
        .await
        .map_err(|e| unavailable(e.into()))?;
    let text = gates
        .conversions
        .render_state(stored.state, Format::Text)
        .await
        .map_err(|e| unavailable(e.into()))?;
    let body_html = html["content"].as_str().unwrap_or_default();
    let description = excerpt(text["content"].as_str().unwrap_or_default(), 200);
    let published_at = doc.published_at.map(rfc3339).unwrap_or_default();
    let page = document_page(&Page {
        title: &doc.title,
        description: &description,
        author: &doc.owner_username,
        published_at: &published_at,
        tags: &doc.tags,
        body_html,
        slug,
    });
    let etag = format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(page.as_bytes())[..16])
    );
    let mut resp = if matches(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Html(page).into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Cookie"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(READER_CSP),
    );
    Ok(resp)
}

/// What a reader page shows.
struct Page<'a> {
    title: &'a str,
    description: &'a str,
    author: &'a str,
    published_at: &'a str,
    tags: &'a [String],
    /// Already-safe HTML (the server's own rendering).
    body_html: &'a str,
    slug: &'a str,
}

/// Text with `&`, `<`, `>`, `"` and `'` escaped, for element content and
/// quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The first `max` characters of `text` on one line, cut at a word, with
/// an ellipsis when cut.
fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", &cut[..at])
}

const STYLE: &str = "\
:root{color-scheme:light;--text:#1d2433;--muted:#5b6478;--accent:#2f5bd3;--border:#e2e6ef}\
*{box-sizing:border-box}\
body{margin:0;font:18px/1.65 Georgia,'Iowan Old Style','Times New Roman',serif;color:var(--text);background:#fbfbfd}\
header.site{border-bottom:1px solid var(--border);background:#fff}\
header.site div{max-width:46rem;margin:0 auto;padding:.7rem 1.25rem;font:600 15px/1 system-ui,sans-serif;color:var(--accent)}\
main{max-width:46rem;margin:0 auto;padding:2.5rem 1.25rem 4rem}\
h1.title{font:700 2.3rem/1.2 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 0 .5rem;overflow-wrap:break-word}\
.meta{font:14px/1.4 system-ui,sans-serif;color:var(--muted);margin-bottom:2rem}\
.tags{display:inline-flex;gap:.4rem;flex-wrap:wrap;margin-left:.5rem}\
.tags span{background:#eef2fb;border-radius:999px;padding:.1rem .55rem}\
article{overflow-wrap:break-word}\
article h1,article h2,article h3{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.25}\
article a{color:var(--accent)}\
article pre{background:#f3f5f9;padding:1rem;overflow:auto;border-radius:6px;font-size:15px}\
article code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}\
article blockquote{margin:1rem 0;padding-left:1rem;border-left:3px solid var(--border);color:var(--muted)}\
article img{max-width:100%;height:auto}\
article table{border-collapse:collapse;display:block;max-width:100%;overflow-x:auto;margin:1rem 0}\
article td,article th{border:1px solid var(--border);padding:.3rem .6rem;vertical-align:top;min-width:4rem}\
article th{background:#f3f5f9;font-weight:600;text-align:left}article td p,article th p{margin:0}\
article ul[data-type=taskList]{list-style:none;padding-left:.25rem}\
article li[data-type=taskItem]{display:flex;gap:.5rem;align-items:baseline}\
article li[data-type=taskItem]>label{flex:none}article li[data-type=taskItem]>div{flex:1}\
article li[data-type=taskItem]>div>p{margin:0}\
article li[data-checked=true]>div{color:var(--muted);text-decoration:line-through}\
article hr{border:0;border-top:1px solid var(--border);margin:2rem 0}\
footer{max-width:46rem;margin:0 auto;padding:0 1.25rem 3rem;font:13px system-ui,sans-serif;color:var(--muted)}\
@media print{header.site,footer{display:none}body{background:#fff;font-size:12pt}main{max-width:none;padding:0}\
article a::after{content:' (' attr(href) ')';font-size:.85em;color:#555}pre{white-space:pre-wrap}h1,h2,h3{break-after:avoid}}";

fn document_page(p: &Page) -> String {
    let title = escape(p.title);
    let description = escape(p.description);
    let tags: String = p
        .tags
        .iter()
        .map(|t| format!("<span>{}</span>", escape(t)))
        .collect();
    let date = p.published_at.get(..10).unwrap_or(p.published_at);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title>\
<meta name=\"description\" content=\"{description}\">\
<meta property=\"og:type\" content=\"article\">\
<meta property=\"og:title\" content=\"{title}\">\
<meta property=\"og:description\" content=\"{description}\">\
<meta property=\"og:url\" content=\"/p/{slug}\">\
<meta property=\"article:published_time\" content=\"{published}\">\
<meta property=\"article:author\" content=\"{author}\">\
<meta name=\"generator\" content=\"Quire\">\
<style>{STYLE}</style></head>\
<body><header class=\"site\"><div>Quire</div></header>\
<main><h1 class=\"title\">{title}</h1>\
<p class=\"meta\">By {author} · <time datetime=\"{published}\">{date}</time>{tags_html}</p>\
<article>{body}</article></main>\
<footer>Published with Quire.</footer></body></html>\n",
        slug = escape(p.slug),
        published = escape(p.published_at),
        author = escape(p.author),
        date = escape(date),
        tags_html = if tags.is_empty() {
            String::new()
        } else {
            format!("<span class=\"tags\">{tags}</span>")
        },
        body = p.body_html,
    )
}

/// A small HTML page for 404 (and 503); never cached.
fn error_page(status: StatusCode) -> Response {
    let (title, text) = if status == StatusCode::NOT_FOUND {
        (
            "Page not found",
            "There is no published page at this address.",
        )
    } else {
        ("Try again soon", "This page cannot be shown right now.")
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head>\
<body><main><h1 class=\"title\">{title}</h1><p>{text}</p></main></body></html>\n"
    );
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(READER_CSP),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_excerpts() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(excerpt("one  two\nthree", 100), "one two three");
        assert_eq!(excerpt("alpha beta gamma", 12), "alpha beta…");
    }

    #[test]
    fn page_escapes_metadata() {
        let html = document_page(&Page {
            title: "<script>x</script>",
            description: "\"quoted\"",
            author: "a&b",
            published_at: "2026-12-03T10:00:00Z",
            tags: &["<t>".to_string()],
            body_html: "<p>ok</p>",
            slug: "s",
        });
        assert!(!html.contains("<script>"));
        assert!(html.contains("<title>&lt;script&gt;x&lt;/script&gt;</title>"));
        assert!(html.contains("content=\"&quot;quoted&quot;\""));
        assert!(html.contains("<span>&lt;t&gt;</span>"));
        assert!(html.contains("@media print"));
    }
}
