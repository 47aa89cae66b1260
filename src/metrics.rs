//! Every metric the server records, in one place: its Prometheus name as a
//! constant and a small typed function that records it.
//!
//! Call sites use the functions (`metrics::updates_in()`,
//! `metrics::rooms_active(-1.0)`), so a name is spelled once and a label can
//! only take the values its parameter type allows. The names are part of the
//! operational interface (dashboards and alerts read them): changing one is a
//! breaking change.
//!
//! Conventions, checked by the tests below: names match Prometheus'
//! `[a-zA-Z_:][a-zA-Z0-9_:]*`, are unique, counters end in `_total`, and
//! durations are in seconds with a `_seconds` suffix.
//!
//! Histograms share the buckets set in [`crate::telemetry::metrics_handle`].

// The macros of the `metrics` crate are named through `::metrics` because
// this module has the same name.

// ---- Counters ------------------------------------------------------------

/// Content conversions (HTML/Markdown import or export) refused, by reason.
pub const CONTENT_CONVERSIONS_REFUSED: &str = "content_conversions_refused_total";
/// WebSocket upgrades refused before the socket opened, by HTTP status.
pub const WS_REFUSED: &str = "quire_ws_refused_total";
/// Client messages rejected (and the connection usually closed), by reason.
pub const REJECTED_MESSAGES: &str = "quire_rejected_messages_total";
/// Bytes received in WebSocket messages.
pub const WS_BYTES_IN: &str = "quire_ws_bytes_in_total";
/// WebSocket messages that found the connection's rate budget empty.
pub const RATE_LIMITED: &str = "quire_rate_limited_total";
/// Bytes written to WebSocket clients.
pub const WS_BYTES_OUT: &str = "quire_ws_bytes_out_total";
/// Snapshots whose stored checksum did not match their content.
pub const SNAPSHOT_CHECKSUM_FAILURES: &str = "quire_snapshot_checksum_failures_total";
/// Documents loaded with updates whose dependencies are missing.
pub const LOAD_MISSING_UPDATES: &str = "quire_load_missing_updates_total";
/// Compactions (snapshot written, update log trimmed) that succeeded.
pub const COMPACTIONS: &str = "quire_compactions_total";
/// Compactions that failed (retried with backoff).
pub const COMPACTION_FAILURES: &str = "quire_compaction_failures_total";
/// Gaps in an instance's bus sequence numbers (each triggers a resync).
pub const BUS_GAPS: &str = "quire_bus_gaps_total";
/// Batches of updates the writer failed to persist (retried).
pub const PERSIST_FAILURES: &str = "quire_persist_failures_total";
/// Updates whose parked items were dropped because they would nest too deep.
pub const DROPPED_PARKED_ITEMS: &str = "quire_dropped_parked_items_total";
/// Document updates accepted from clients.
pub const UPDATES_IN: &str = "quire_updates_in_total";
/// Bytes of document updates accepted from clients.
pub const UPDATE_BYTES_IN: &str = "quire_update_bytes_in_total";
/// Frames queued to peers by room broadcasts (one per peer per broadcast).
pub const FRAMES_OUT: &str = "quire_frames_out_total";
/// Peers closed because their outgoing queue was full.
pub const SLOW_CONSUMERS: &str = "quire_slow_consumers_total";
/// Messages the Redis bus failed to publish.
pub const BUS_PUBLISH_FAILURES: &str = "quire_bus_publish_failures_total";
/// Bus messages received that could not be decoded.
pub const BUS_MALFORMED: &str = "quire_bus_malformed_total";
/// Times the Redis bus lost its connection and reconnected.
pub const BUS_RECONNECTS: &str = "quire_bus_reconnects_total";
/// Webhook delivery attempts, by outcome (`status`: succeeded, retrying, failed).
pub const WEBHOOK_ATTEMPTS: &str = "quire_webhook_attempts_total";
/// Password hashes refused because too many were queued or the wait ran out.
pub const PASSWORD_HASH_BUSY: &str = "password_hash_busy_total";
/// Password hashes (Argon2 runs) started.
pub const PASSWORD_HASH_RUNS: &str = "password_hash_runs_total";
/// HTTP requests answered, by method, matched route and status.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// Logins refused by the rate limiter before the password was checked.
pub const LOGIN_RATE_LIMITED: &str = "login_rate_limited_total";
/// Login attempts whose password was checked.
pub const LOGIN_PASSWORD_CHECKS: &str = "login_password_checks_total";
/// TCP connections closed at accept, by reason.
pub const HTTP_CONNECTIONS_REFUSED: &str = "http_connections_refused_total";
/// Errors accepting TCP connections (the listener pauses after each).
pub const HTTP_ACCEPT_ERRORS: &str = "http_accept_errors_total";

// ---- Gauges --------------------------------------------------------------

/// Document rooms held in memory.
pub const ROOMS_ACTIVE: &str = "quire_rooms_active";
/// Rooms whose last compaction failed.
pub const ROOMS_COMPACTION_FAILING: &str = "quire_rooms_compaction_failing";
/// Open WebSocket connections joined to a room.
pub const WS_CONNECTIONS: &str = "quire_ws_connections";
/// 1 while the last database probe succeeded, 0 otherwise.
pub const DATABASE_UP: &str = "quire_database_up";

// ---- Histograms ----------------------------------------------------------

/// From a frame being queued for a client to its batch being written.
pub const FANOUT_SECONDS: &str = "quire_fanout_seconds";
/// Time to load a document into a room (snapshot plus update log).
pub const ROOM_LOAD_SECONDS: &str = "quire_room_load_seconds";
/// Updates per batch written by the persistence writer.
pub const PERSIST_BATCH_SIZE: &str = "quire_persist_batch_size";
/// Time to write one batch of updates.
pub const PERSIST_SECONDS: &str = "quire_persist_seconds";
/// HTTP request latency, by method and matched route.
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";

/// Every counter name.
pub const COUNTERS: &[&str] = &[
    WEBHOOK_ATTEMPTS,
    CONTENT_CONVERSIONS_REFUSED,
    WS_REFUSED,
    REJECTED_MESSAGES,
    WS_BYTES_IN,
    RATE_LIMITED,
    WS_BYTES_OUT,
    SNAPSHOT_CHECKSUM_FAILURES,
    LOAD_MISSING_UPDATES,
    COMPACTIONS,
    COMPACTION_FAILURES,
    BUS_GAPS,
    PERSIST_FAILURES,
    DROPPED_PARKED_ITEMS,
    UPDATES_IN,
    UPDATE_BYTES_IN,
    FRAMES_OUT,
    SLOW_CONSUMERS,
    BUS_PUBLISH_FAILURES,
    BUS_MALFORMED,
    BUS_RECONNECTS,
    PASSWORD_HASH_BUSY,
    PASSWORD_HASH_RUNS,
    HTTP_REQUESTS,
    LOGIN_RATE_LIMITED,
    LOGIN_PASSWORD_CHECKS,
    HTTP_CONNECTIONS_REFUSED,
    HTTP_ACCEPT_ERRORS,
];

/// Every gauge name.
pub const GAUGES: &[&str] = &[
    ROOMS_ACTIVE,
    ROOMS_COMPACTION_FAILING,
    WS_CONNECTIONS,
    DATABASE_UP,
];

/// Every histogram name.
pub const HISTOGRAMS: &[&str] = &[
    FANOUT_SECONDS,
    ROOM_LOAD_SECONDS,
    PERSIST_BATCH_SIZE,
    PERSIST_SECONDS,
    HTTP_REQUEST_DURATION_SECONDS,
];

/// Label names, one per kind of label.
pub const LABELS: &[&str] = &["reason", "status", "method", "route"];

/// Why a content conversion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionRefused {
    /// Every conversion slot was taken.
    Busy,
    /// The conversion ran past its time limit.
    Timeout,
}

impl ConversionRefused {
    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Busy => "busy",
            Self::Timeout => "timeout",
        }
    }
}

/// Why a TCP connection was closed at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionRefused {
    /// The client address had too many connections still in their handshake.
    PendingPerIp,
}

impl ConnectionRefused {
    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPerIp => "pending_per_ip",
        }
    }
}

// ---- Counter functions ---------------------------------------------------

/// Counts one refused content conversion.
pub fn content_conversion_refused(reason: ConversionRefused) {
    ::metrics::counter!(CONTENT_CONVERSIONS_REFUSED, "reason" => reason.as_str()).increment(1);
}

/// Counts one WebSocket upgrade refused with HTTP `status` (the label is
/// the three-digit code).
pub fn ws_refused(status: u16) {
    ::metrics::counter!(WS_REFUSED, "status" => status.to_string()).increment(1);
}

/// Counts one rejected client message; `reason` is a short snake_case word
/// (`read_only`, `too_big`, or a document guard's reason).
pub fn rejected_message(reason: &'static str) {
    ::metrics::counter!(REJECTED_MESSAGES, "reason" => reason).increment(1);
}

/// Adds `bytes` received in one WebSocket message.
pub fn ws_bytes_in(bytes: u64) {
    ::metrics::counter!(WS_BYTES_IN).increment(bytes);
}

/// Counts one WebSocket message over the connection's rate budget.
pub fn rate_limited() {
    ::metrics::counter!(RATE_LIMITED).increment(1);
}

/// Adds `bytes` written to one WebSocket client.
pub fn ws_bytes_out(bytes: u64) {
    ::metrics::counter!(WS_BYTES_OUT).increment(bytes);
}

/// Counts one snapshot that failed its checksum.
pub fn snapshot_checksum_failure() {
    ::metrics::counter!(SNAPSHOT_CHECKSUM_FAILURES).increment(1);
}

/// Counts one document loaded with updates whose dependencies are missing.
pub fn load_missing_updates() {
    ::metrics::counter!(LOAD_MISSING_UPDATES).increment(1);
}

/// Counts one successful compaction.
pub fn compaction() {
    ::metrics::counter!(COMPACTIONS).increment(1);
}

/// Counts one failed compaction.
pub fn compaction_failure() {
    ::metrics::counter!(COMPACTION_FAILURES).increment(1);
}

/// Counts one gap in a peer instance's bus sequence.
pub fn bus_gap() {
    ::metrics::counter!(BUS_GAPS).increment(1);
}

/// Counts one batch the writer failed to persist.
pub fn persist_failure() {
    ::metrics::counter!(PERSIST_FAILURES).increment(1);
}

/// Counts one update whose too-deep parked items were dropped.
pub fn dropped_parked_items() {
    ::metrics::counter!(DROPPED_PARKED_ITEMS).increment(1);
}

/// Counts one accepted document update.
pub fn updates_in() {
    ::metrics::counter!(UPDATES_IN).increment(1);
}

/// Adds `bytes` of one accepted document update.
pub fn update_bytes_in(bytes: u64) {
    ::metrics::counter!(UPDATE_BYTES_IN).increment(bytes);
}

/// Adds `frames` queued by one broadcast (the number of peers).
pub fn frames_out(frames: u64) {
    ::metrics::counter!(FRAMES_OUT).increment(frames);
}

/// Counts one webhook delivery attempt and what came of it.
pub fn webhook_attempt(outcome: &'static str) {
    ::metrics::counter!(WEBHOOK_ATTEMPTS, "status" => outcome).increment(1);
}

/// Counts one peer closed for a full outgoing queue.
pub fn slow_consumer() {
    ::metrics::counter!(SLOW_CONSUMERS).increment(1);
}

/// Counts one failed bus publish.
pub fn bus_publish_failure() {
    ::metrics::counter!(BUS_PUBLISH_FAILURES).increment(1);
}

/// Counts one undecodable bus message.
pub fn bus_malformed() {
    ::metrics::counter!(BUS_MALFORMED).increment(1);
}

/// Counts one lost bus connection.
pub fn bus_reconnect() {
    ::metrics::counter!(BUS_RECONNECTS).increment(1);
}

/// Counts one password hash refused as busy.
pub fn password_hash_busy() {
    ::metrics::counter!(PASSWORD_HASH_BUSY).increment(1);
}

/// Counts one password hash started.
pub fn password_hash_run() {
    ::metrics::counter!(PASSWORD_HASH_RUNS).increment(1);
}

/// Counts one answered HTTP request. `route` is the matched path pattern
/// (not the raw URI, so ids do not multiply the label values); `status` is
/// the HTTP status code.
pub fn http_request(method: &str, route: &str, status: u16) {
    ::metrics::counter!(
        HTTP_REQUESTS,
        "method" => method.to_string(),
        "route" => route.to_string(),
        "status" => status.to_string()
    )
    .increment(1);
}

/// Counts one login refused by the rate limiter.
pub fn login_rate_limited() {
    ::metrics::counter!(LOGIN_RATE_LIMITED).increment(1);
}

/// Counts one login whose password was checked.
pub fn login_password_check() {
    ::metrics::counter!(LOGIN_PASSWORD_CHECKS).increment(1);
}

/// Counts one TCP connection closed at accept.
pub fn http_connection_refused(reason: ConnectionRefused) {
    ::metrics::counter!(HTTP_CONNECTIONS_REFUSED, "reason" => reason.as_str()).increment(1);
}

/// Counts one error accepting a TCP connection.
pub fn http_accept_error() {
    ::metrics::counter!(HTTP_ACCEPT_ERRORS).increment(1);
}

// ---- Gauge functions -----------------------------------------------------

/// Moves the count of rooms in memory by `delta` (+1.0 when a room is
/// created, -1.0 when it is dropped).
pub fn rooms_active(delta: f64) {
    ::metrics::gauge!(ROOMS_ACTIVE).increment(delta);
}

/// Moves the count of rooms whose compaction is failing by `delta` (+1.0 on
/// a room's first failure, -1.0 when it succeeds again).
pub fn rooms_compaction_failing(delta: f64) {
    ::metrics::gauge!(ROOMS_COMPACTION_FAILING).increment(delta);
}

/// Moves the count of open WebSocket connections by `delta`.
pub fn ws_connections(delta: f64) {
    ::metrics::gauge!(WS_CONNECTIONS).increment(delta);
}

/// Records the last database probe's verdict.
pub fn database_up(up: bool) {
    ::metrics::gauge!(DATABASE_UP).set(if up { 1.0 } else { 0.0 });
}

// ---- Histogram functions -------------------------------------------------

/// Records how long the oldest frame of a written batch waited.
pub fn fanout_seconds(seconds: f64) {
    ::metrics::histogram!(FANOUT_SECONDS).record(seconds);
}

/// Records how long one document took to load.
pub fn room_load_seconds(seconds: f64) {
    ::metrics::histogram!(ROOM_LOAD_SECONDS).record(seconds);
}

/// Records the number of updates in one written batch.
pub fn persist_batch_size(updates: usize) {
    ::metrics::histogram!(PERSIST_BATCH_SIZE).record(updates as f64);
}

/// Records how long one batch took to write.
pub fn persist_seconds(seconds: f64) {
    ::metrics::histogram!(PERSIST_SECONDS).record(seconds);
}

/// Records one HTTP request's latency.
pub fn http_request_duration(method: &str, route: &str, seconds: f64) {
    ::metrics::histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        "method" => method.to_string(),
        "route" => route.to_string()
    )
    .record(seconds);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<&'static str> {
        COUNTERS
            .iter()
            .chain(GAUGES)
            .chain(HISTOGRAMS)
            .copied()
            .collect()
    }

    /// Prometheus' metric (and label) name grammar, minus the colon which is
    /// reserved for recording rules.
    fn valid_name(name: &str) -> bool {
        let mut chars = name.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !name.starts_with("__")
            && !name.ends_with('_')
            && !name.contains("__")
    }

    #[test]
    fn names_are_unique() {
        let mut names = all();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a metric name is listed twice");
    }

    #[test]
    fn every_constant_is_listed() {
        // Each `pub const X: &str = "…";` above must be in one of the lists,
        // so the tests here see it.
        let source = include_str!("metrics.rs");
        let declared = source
            .lines()
            .filter(|l| l.starts_with("pub const ") && l.contains(": &str = \""))
            .count();
        assert_eq!(declared, all().len());
    }

    #[test]
    fn names_follow_prometheus_conventions() {
        for name in all().into_iter().chain(LABELS.iter().copied()) {
            assert!(valid_name(name), "{name} is not a valid Prometheus name");
        }
        for name in COUNTERS {
            assert!(
                name.ends_with("_total"),
                "counter {name} must end in _total"
            );
        }
        for name in GAUGES.iter().chain(HISTOGRAMS) {
            assert!(!name.ends_with("_total"), "{name} is not a counter");
        }
        for name in all() {
            // Units are base units: seconds, never milliseconds.
            assert!(!name.contains("_ms") && !name.contains("millis"), "{name}");
        }
    }

    #[test]
    fn the_load_generator_reads_only_metrics_recorded_here() {
        // `quire loadtest` reads these series from `/metrics`; a histogram
        // is read through its `_count` and `_sum` series.
        let names = all();
        for series in quire_loadtest::metric_names::READ {
            let base = ["_count", "_sum"]
                .iter()
                .find_map(|suffix| series.strip_suffix(suffix))
                .filter(|base| HISTOGRAMS.contains(base))
                .unwrap_or(series);
            assert!(names.contains(&base), "{series} is not recorded");
        }
    }

    #[test]
    fn label_values_are_snake_case() {
        for reason in [ConversionRefused::Busy, ConversionRefused::Timeout] {
            assert!(valid_name(reason.as_str()));
        }
        assert!(valid_name(ConnectionRefused::PendingPerIp.as_str()));
    }

    #[test]
    fn recording_without_a_recorder_is_harmless() {
        // The functions must not panic when no recorder is installed (unit
        // tests and CLI commands run without one).
        updates_in();
        rooms_active(1.0);
        rooms_active(-1.0);
        database_up(true);
        http_request("GET", "/api/documents", 200);
        http_request_duration("GET", "/api/documents", 0.001);
        ws_refused(429);
    }
}
