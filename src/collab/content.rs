//! Views of a document's `default` XmlFragment (text, Markdown, HTML,
//! ProseMirror JSON) and the first CRDT state of a document created with a
//! body. Conversion itself lives in `quire_doc::content`.

use quire_doc::content::{self, Format};
use serde_json::{Value, json};
use yrs::Doc;

use crate::error::{ApiError, ApiResult};

/// Searchable plain text of the document.
pub fn plain_text(doc: &Doc) -> String {
    content::pm_to_text(&content::doc_to_pm(doc))
}

/// `{ "format", "content" }` of SPEC §4.
pub fn render(doc: &Doc, format: Format) -> Value {
    render_pm(&content::doc_to_pm(doc), format)
}

pub fn render_pm(pm: &Value, format: Format) -> Value {
    let (name, content) = match format {
        Format::Text => ("text", Value::String(content::pm_to_text(pm))),
        Format::Markdown => ("markdown", Value::String(content::pm_to_markdown(pm))),
        Format::Html => ("html", Value::String(content::pm_to_html(pm))),
        Format::Json => ("json", pm.clone()),
    };
    json!({ "format": name, "content": content })
}

pub fn parse_format(s: Option<&str>) -> ApiResult<Format> {
    s.unwrap_or("markdown")
        .parse::<Format>()
        .map_err(|_| ApiError::BadRequest("format must be text, markdown, html or json".into()))
}

/// The first CRDT state (v1 update) and plain text of a new document whose
/// body is Markdown or HTML (sanitised on the way in).
pub fn initial_state(body: &str, format: &str) -> ApiResult<(Vec<u8>, String)> {
    let pm = match format {
        "markdown" | "md" => content::markdown_to_pm(body),
        "html" => content::html_to_pm(body),
        other => {
            return Err(ApiError::Validation(format!(
                "body_format must be markdown or html, not {other:?}"
            )));
        }
    };
    let update = content::pm_to_update(&pm).map_err(|e| ApiError::Validation(e.to_string()))?;
    Ok((update, content::pm_to_text(&pm)))
}

/// ProseMirror JSON of a stored full state (a version).
pub fn pm_of_state(state: &[u8]) -> ApiResult<Value> {
    let doc = quire_doc::guard::new_doc();
    quire_doc::guard::apply_update_bytes(&doc, state)
        .map_err(|e| ApiError::Internal(format!("stored version does not load: {e}")))?;
    Ok(content::doc_to_pm(&doc))
}
