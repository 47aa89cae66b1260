//! Views of a document's `default` XmlFragment (text, Markdown, HTML,
//! ProseMirror JSON) and the first CRDT state of a document created with a
//! body. Conversion itself lives in `quire_doc::content`.
//!
//! Conversions of client-supplied or large content are CPU-heavy, so the
//! HTTP handlers run them through a [`ConversionGate`]: on the blocking
//! pool, at most `CONVERSION_CONCURRENCY` at a time, within a time budget
//! (`CONVERSION_TIMEOUT_MS`, waiting for a slot included). A request over
//! budget is refused ([`ContentError::Busy`], 503 over HTTP); its conversion may finish in the background, still
//! holding its slot, so the work outstanding never exceeds the bound.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::{self, ConversionRefused};
use quire_doc::content::{self, Format};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use yrs::Doc;

/// Why a content view or import could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// The requested format is not one of ours.
    #[error("format must be text, markdown, html or json")]
    UnknownFormat,
    /// The content itself is unacceptable (wrong `body_format`, too deep,
    /// too many nodes).
    #[error("{0}")]
    Invalid(String),
    /// No conversion slot within the budget, or the conversion ran over it.
    #[error("{0}")]
    Busy(String),
    /// A stored state that does not load, a conversion that panicked.
    #[error("{0}")]
    Internal(String),
}

pub type ContentResult<T> = Result<T, ContentError>;

/// Searchable plain text of the document (pending suggestions read as
/// rejected, as in every view below).
pub fn plain_text(doc: &Doc) -> String {
    content::pm_to_text(&content::doc_to_reader_pm(doc))
}

/// `{ "format", "content" }`: the name of the format and the rendering
/// (a string, or the ProseMirror JSON object for `json`).
pub fn render(doc: &Doc, format: Format) -> Value {
    render_pm(&content::doc_to_reader_pm(doc), format)
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

/// The `format` a caller asked for, Markdown when none.
pub fn parse_format(s: Option<&str>) -> ContentResult<Format> {
    s.unwrap_or("markdown")
        .parse::<Format>()
        .map_err(|_| ContentError::UnknownFormat)
}

/// The first CRDT state (v1 update) and plain text of a new document whose
/// body is Markdown or HTML (sanitised on the way in).
pub fn initial_state(body: &str, format: &str) -> ContentResult<(Vec<u8>, String)> {
    let pm = match format {
        // Too deep or too many nodes: a clear refusal, not a degraded import.
        "markdown" | "md" => content::try_markdown_to_pm(body),
        "html" => content::try_html_to_pm(body),
        other => {
            return Err(ContentError::Invalid(format!(
                "body_format must be markdown or html, not {other:?}"
            )));
        }
    }
    .map_err(|e| ContentError::Invalid(e.to_string()))?;
    let update = content::pm_to_update(&pm).map_err(|e| ContentError::Invalid(e.to_string()))?;
    Ok((update, content::pm_to_text(&pm)))
}

/// ProseMirror JSON of a stored full state (a version), as readers see it.
pub fn pm_of_state(state: &[u8]) -> ContentResult<Value> {
    let doc = quire_doc::guard::new_doc();
    quire_doc::guard::apply_update_bytes(&doc, state)
        .map_err(|e| ContentError::Internal(format!("stored version does not load: {e}")))?;
    Ok(content::doc_to_reader_pm(&doc))
}

/// Runs conversions on the blocking pool, bounded in number and time.
pub struct ConversionGate {
    running: Arc<Semaphore>,
    budget: Duration,
}

impl ConversionGate {
    /// `concurrency` 0 means the number of cores.
    pub fn new(concurrency: usize, budget: Duration) -> Self {
        let concurrency = crate::util::workers_or_cores(concurrency);
        Self {
            running: Arc::new(Semaphore::new(concurrency)),
            budget,
        }
    }

    /// `f` on the blocking pool once a slot is free, or 503 when the budget
    /// runs out first.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> ContentResult<T> + Send + 'static,
    ) -> ContentResult<T> {
        let deadline = tokio::time::Instant::now() + self.budget;
        let slot = tokio::time::timeout_at(deadline, self.running.clone().acquire_owned())
            .await
            .map_err(|_| {
                metrics::content_conversion_refused(ConversionRefused::Busy);
                ContentError::Busy("too many content conversions are running; retry shortly".into())
            })?
            .map_err(|_| ContentError::Internal("conversion gate closed".into()))?;
        let task = tokio::task::spawn_blocking(move || {
            let out = f();
            drop(slot);
            out
        });
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => Err(ContentError::Internal(format!("conversion failed: {e}"))),
            Err(_) => {
                metrics::content_conversion_refused(ConversionRefused::Timeout);
                Err(ContentError::Busy(format!(
                    "converting this content took longer than {} ms; retry later or send less",
                    self.budget.as_millis()
                )))
            }
        }
    }

    /// [`initial_state`] through the gate.
    pub async fn initial_state(
        &self,
        body: String,
        format: String,
    ) -> ContentResult<(Vec<u8>, String)> {
        self.run(move || initial_state(&body, &format)).await
    }

    /// A full state (v1 update) rendered as `format`, through the gate.
    pub async fn render_state(&self, state: Vec<u8>, format: Format) -> ContentResult<Value> {
        self.run(move || pm_of_state(&state).map(|pm| render_pm(&pm, format)))
            .await
    }

    /// The ids of the uploaded images a full state shows, through the gate.
    pub async fn media_of_state(&self, state: Vec<u8>) -> ContentResult<Vec<String>> {
        self.run(move || pm_of_state(&state).map(|pm| content::media_ids(&pm)))
            .await
    }
}
