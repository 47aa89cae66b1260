//! Final table and JSON line.

use hdrhistogram::Histogram;
use serde::Serialize;

#[derive(Serialize, Default, Clone, Debug)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    /// From a histogram of microseconds.
    pub fn from_us(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |v: u64| v as f64 / 1000.0;
        Self {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
            mean_ms: h.mean() / 1000.0,
        }
    }
}

/// Rows of (label, value) printed as a two-column table.
pub struct Table {
    title: String,
    rows: Vec<(String, String)>,
}

impl Table {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, label: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.rows.push((label.into(), value.into()));
        self
    }

    pub fn print(&self) {
        let w = self.rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let vw = self.rows.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
        let line = "-".repeat(w + vw + 5);
        println!("{line}\n {}\n{line}", self.title);
        for (l, v) in &self.rows {
            println!(" {l:<w$} | {v}");
        }
        println!("{line}");
    }
}

pub fn print_json<T: Serialize>(value: &T) {
    if let Ok(s) = serde_json::to_string(value) {
        println!("RESULT {s}");
    }
}

pub fn progress(quiet: bool, len: u64, template: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
