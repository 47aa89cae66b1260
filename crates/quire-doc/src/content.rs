//! The document body as ProseMirror JSON, plain text, Markdown and HTML.
//!
//! ProseMirror (PM) JSON is the pivot format: the Yjs `default` fragment is
//! read into PM JSON ([`fragment_to_pm`], [`doc_to_pm`]) and written from it
//! ([`write_pm`], [`pm_to_update`]); exports ([`pm_to_text`],
//! [`pm_to_markdown`], [`pm_to_html`]) and imports ([`markdown_to_pm`],
//! [`html_to_pm`]) only ever see PM JSON.
//!
//! The schema (editor schema version 2) is TipTap 3's StarterKit (which
//! includes Link and Underline) plus its Table, TaskList/TaskItem and Image
//! extensions:
//!
//! - StarterKit nodes `paragraph`, `heading{level}`, `blockquote`,
//!   `bulletList`, `orderedList{start}`, `listItem`, `codeBlock{language}`,
//!   `horizontalRule`, `hardBreak`;
//! - `table` > `tableRow` > `tableHeader` / `tableCell`
//!   `{colspan: 1, rowspan: 1, colwidth: null | [px…], align: null |
//!   "left" | "center" | "right"}`, each cell holding blocks (`block+`);
//! - `taskList` > `taskItem{checked: bool}` (`paragraph block*`, so task
//!   items nest lists as list items do);
//! - `image{src, alt, title, width, height}`, a block node (`inline: false`);
//! - marks `bold`, `italic`, `strike`, `code`, `underline`,
//!   `link{href,target,rel,class,title}`, and the suggestion marks
//!   ([`INSERTION`], [`DELETION`], [`MODIFICATION`]).
//!
//! Imports produce only these (image sources only when [`is_safe_src`]);
//! exports tolerate anything (unknown nodes render as their text).
//! [`media_ids`] lists the uploads a document's images reference.
//!
//! Content is user data: nothing here panics on malformed input, and nesting
//! is capped at [`MAX_DEPTH`].

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

mod builder;
mod html;
mod html_import;
mod inline;
mod markdown;
mod markdown_import;
mod media;
mod pm;
mod suggestions;
mod text;
mod yjs;

pub use builder::MAX_IMPORT_NODES;
pub use html::pm_to_html;
pub use html_import::{MAX_HTML_NESTING, html_to_pm, try_html_to_pm};
pub use markdown::pm_to_markdown;
pub use markdown_import::{markdown_to_pm, try_markdown_to_pm};
pub use media::media_ids;
pub use pm::{MAX_DEPTH, block_texts, is_safe_href, is_safe_src};
pub use suggestions::{DELETION, INSERTION, MODIFICATION, has_suggestions, reject_suggestions};
pub use text::pm_to_text;
pub use yjs::{
    DEFAULT_FRAGMENT, doc_to_pm, doc_to_reader_pm, fragment_to_pm, mark_name, pm_to_update,
    write_pm,
};

/// Errors from writing PM JSON into Yjs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// The PM JSON does not have the shape of a ProseMirror document.
    #[error("invalid ProseMirror JSON at {0}")]
    InvalidPm(String),
    /// Nodes are nested deeper than [`MAX_DEPTH`].
    #[error("document nesting exceeds {0} levels")]
    TooDeep(usize),
    /// HTML to import nests elements deeper than the limit (the value);
    /// refused before parsing, as HTML tree building costs grow with depth.
    #[error("HTML nested more than {0} levels deep")]
    HtmlTooDeep(usize),
    /// An import would create more nodes than the limit (the value).
    #[error(
        "content has more than {0} elements (blocks, text runs, line breaks); split it into smaller documents"
    )]
    TooManyNodes(usize),
}

/// An output (or input) format of the content API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text, one block per line.
    Text,
    /// CommonMark with GFM's `~~strike~~`, tables and task lists.
    Markdown,
    /// Sanitised HTML.
    Html,
    /// ProseMirror JSON.
    Json,
}

impl Format {
    /// The canonical name (`text`, `markdown`, `html`, `json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is none of `text`, `markdown`/`md`, `html`, `json`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?} (expected text, markdown, md, html or json)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "txt" | "plain" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            _ => Err(UnknownFormat(s.chars().take(32).collect())),
        }
    }
}

/// The body of a content response: a string, or the PM JSON object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ContentBody {
    /// Text, Markdown or HTML.
    Text(String),
    /// ProseMirror JSON.
    Json(Value),
}

/// Content as the REST API returns it: `{ "format", "content" }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentOut {
    /// Which format `content` is in.
    pub format: Format,
    /// The rendered content.
    pub content: ContentBody,
}

impl ContentOut {
    /// The content as a string (`json` is serialised).
    pub fn into_string(self) -> String {
        match self.content {
            ContentBody::Text(s) => s,
            ContentBody::Json(v) => v.to_string(),
        }
    }
}

impl From<ContentOut> for Value {
    fn from(out: ContentOut) -> Value {
        let content = match out.content {
            ContentBody::Text(s) => Value::String(s),
            ContentBody::Json(v) => v,
        };
        serde_json::json!({ "format": out.format.as_str(), "content": content })
    }
}

/// Render a PM doc in `format`.
pub fn render(pm: &Value, format: Format) -> ContentOut {
    let content = match format {
        Format::Text => ContentBody::Text(pm_to_text(pm)),
        Format::Markdown => ContentBody::Text(pm_to_markdown(pm)),
        Format::Html => ContentBody::Text(pm_to_html(pm)),
        Format::Json => ContentBody::Json(pm.clone()),
    };
    ContentOut { format, content }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn format_parsing() {
        assert_eq!("md".parse::<Format>(), Ok(Format::Markdown));
        assert_eq!("Markdown".parse::<Format>(), Ok(Format::Markdown));
        assert_eq!("text".parse::<Format>(), Ok(Format::Text));
        assert_eq!("html".parse::<Format>(), Ok(Format::Html));
        assert_eq!("json".parse::<Format>(), Ok(Format::Json));
        assert!("pdf".parse::<Format>().is_err());
        assert!("".parse::<Format>().is_err());
    }

    #[test]
    fn render_shapes() {
        let pm = json!({"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"hi"}]}]});
        let v = Value::from(render(&pm, Format::Text));
        assert_eq!(v, json!({"format":"text","content":"hi"}));
        let v = serde_json::to_value(render(&pm, Format::Json)).unwrap_or_default();
        assert_eq!(v, json!({"format":"json","content":pm}));
        let v = serde_json::to_value(render(&pm, Format::Html)).unwrap_or_default();
        assert_eq!(v, json!({"format":"html","content":"<p>hi</p>"}));
    }
}
