//! Views of a document's `default` XmlFragment (text, Markdown, HTML,
//! ProseMirror JSON) and the first CRDT state of a document created with a
//! body. Conversion itself lives in `quire_doc::content`.
//!
//! Conversions of client-supplied or large content are CPU-heavy, so the
//! HTTP handlers run them through a [`ConversionGate`]: on the blocking
//! pool, at most `CONVERSION_CONCURRENCY` at a time, within a time budget
//! (`CONVERSION_TIMEOUT_MS`, waiting for a slot included). A request over
//! budget gets 503; its conversion may finish in the background, still
//! holding its slot, so the work outstanding never exceeds the bound.

use std::sync::Arc;
use std::time::Duration;

use quire_doc::content::{self, Format};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
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
        // Too deep or too many nodes: a clear refusal, not a degraded import.
        "markdown" | "md" => content::try_markdown_to_pm(body),
        "html" => content::try_html_to_pm(body),
        other => {
            return Err(ApiError::Validation(format!(
                "body_format must be markdown or html, not {other:?}"
            )));
        }
    }
    .map_err(|e| ApiError::Validation(e.to_string()))?;
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

/// Runs conversions on the blocking pool, bounded in number and time.
pub struct ConversionGate {
    running: Arc<Semaphore>,
    budget: Duration,
}

impl ConversionGate {
    /// `concurrency` 0 means the number of cores.
    pub fn new(concurrency: usize, budget: Duration) -> Self {
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            concurrency
        };
        Self {
            running: Arc::new(Semaphore::new(concurrency)),
            budget,
        }
    }

    /// `f` on the blocking pool once a slot is free, or 503 when the budget
    /// runs out first.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let deadline = tokio::time::Instant::now() + self.budget;
        let slot = tokio::time::timeout_at(deadline, self.running.clone().acquire_owned())
            .await
            .map_err(|_| {
                metrics::counter!("content_conversions_refused_total", "reason" => "busy")
                    .increment(1);
                ApiError::Unavailable(
                    "too many content conversions are running; retry shortly".into(),
                )
            })?
            .map_err(|_| ApiError::Internal("conversion gate closed".into()))?;
        let task = tokio::task::spawn_blocking(move || {
            let out = f();
            drop(slot);
            out
        });
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => Err(ApiError::Internal(format!("conversion failed: {e}"))),
            Err(_) => {
                metrics::counter!("content_conversions_refused_total", "reason" => "timeout")
                    .increment(1);
                Err(ApiError::Unavailable(format!(
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
    ) -> ApiResult<(Vec<u8>, String)> {
        self.run(move || initial_state(&body, &format)).await
    }

    /// A full state (v1 update) rendered as `format`, through the gate.
    pub async fn render_state(&self, state: Vec<u8>, format: Format) -> ApiResult<Value> {
        self.run(move || pm_of_state(&state).map(|pm| render_pm(&pm, format)))
            .await
    }
}
