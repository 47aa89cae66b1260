//! Media a document references: the ids in its image nodes' `/api/media/{id}`
//! sources, so that the server can tell which uploads a published revision
//! makes public.

use std::collections::HashSet;

use serde_json::Value;

use super::pm::{attr_str, children, node_type};

/// The path under which the server serves uploaded media.
const MEDIA_PATH: &str = "/api/media/";

/// Longest media id accepted.
const MAX_ID_LEN: usize = 128;

/// The media ids referenced by `image` nodes of `pm`, deduplicated, in
/// document order. A `src` counts when it is `/api/media/{id}` or an
/// `http(s)` URL (or `//host/…`) whose path is that, optionally followed by
/// a query or fragment; `{id}` is 1 to 128 of `[A-Za-z0-9._-]` (not `.` or
/// `..`). Anything else (other paths, links, malformed nodes) is ignored.
/// Walked without recursion, so any nesting is fine.
pub fn media_ids(pm: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![pm];
    while let Some(n) = stack.pop() {
        if node_type(n) == "image"
            && let Some(id) = attr_str(n, "src").and_then(media_id)
            && seen.insert(id)
        {
            out.push(id.to_string());
        }
        stack.extend(children(n).iter().rev());
    }
    out
}

/// The media id of one image source, if it names one.
fn media_id(src: &str) -> Option<&str> {
    let src = src.trim();
    let path = match strip_scheme(src) {
        Some(rest) => {
            // Skip the authority; the path must follow it directly.
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let path = rest.get(end..)?;
            (end > 0 && path.starts_with('/')).then_some(path)?
        }
        None => src,
    };
    let rest = path.strip_prefix(MEDIA_PATH)?;
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let id = rest.get(..end)?;
    valid_id(id).then_some(id)
}

/// What follows `http://`, `https://` (any case) or `//`.
fn strip_scheme(src: &str) -> Option<&str> {
    for scheme in ["https://", "http://"] {
        if let Some(head) = src.get(..scheme.len())
            && head.eq_ignore_ascii_case(scheme)
        {
            return src.get(scheme.len()..);
        }
    }
    src.strip_prefix("//")
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn img(src: &str) -> Value {
        json!({"type":"image","attrs":{"src":src}})
    }

    #[test]
    fn ids_in_document_order_deduplicated() {
        let pm = json!({"type":"doc","content":[
            img("/api/media/b2"),
            {"type":"table","content":[{"type":"tableRow","content":[{"type":"tableCell","content":[
                img("https://quire.example/api/media/a1?w=200"),
                img("/api/media/b2#x")]}]}]},
            {"type":"taskList","content":[{"type":"taskItem","content":[
                {"type":"paragraph"}, img("HTTP://host:8080/api/media/c-3_x.png")]}]},
            img("//cdn.example/api/media/d4"),
            {"type":"paragraph","content":[{"type":"text","text":"/api/media/zz",
                "marks":[{"type":"link","attrs":{"href":"/api/media/link"}}]}]}]});
        assert_eq!(media_ids(&pm), ["b2", "a1", "c-3_x.png", "d4"]);
    }

    #[test]
    fn other_sources_are_ignored() {
        for src in [
            "/api/media/",
            "/api/media/a/b",
            "/api/media/..",
            "/api/media/a%2Fb",
            "/api/mediax/a",
            "api/media/a",
            "/x/api/media/a",
            "https://host?/api/media/a",
            "https:///api/media/a",
            "javascript:/api/media/a",
            "data:,/api/media/a",
            "/api/media/é",
            "",
        ] {
            assert!(media_ids(&img(src)).is_empty(), "{src}");
        }
        let long = format!("/api/media/{}", "a".repeat(MAX_ID_LEN + 1));
        assert!(media_ids(&img(&long)).is_empty());
        for garbage in [
            json!(null),
            json!({"type":"image"}),
            json!({"type":"image","attrs":{"src":7}}),
            json!({"type":"doc","content":"x"}),
        ] {
            assert!(media_ids(&garbage).is_empty());
        }
    }

    #[test]
    fn deep_documents_are_fine() {
        let mut pm = img("/api/media/deep");
        // (Built by hand: `json!` would serialise `pm` recursively.)
        for _ in 0..2_000 {
            let mut quote = serde_json::Map::new();
            quote.insert("type".into(), Value::from("blockquote"));
            quote.insert("content".into(), Value::Array(vec![pm]));
            pm = Value::Object(quote);
        }
        assert_eq!(media_ids(&pm), ["deep"]);
    }
}
