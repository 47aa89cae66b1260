//! Small helpers shared across modules: clock, timestamp formatting and
//! worker-count defaults.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Server clock in unix milliseconds. The only clock Quire trusts.
pub fn now_ms() -> i64 {
    let now = OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Unix milliseconds as an RFC 3339 string (UTC, millisecond precision).
pub fn rfc3339(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// A configured worker count, where 0 means one per core.
pub fn workers_or_cores(configured: usize) -> usize {
    if configured == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        configured
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_500), "1970-01-01T00:00:01.5Z");
    }

    #[test]
    fn zero_workers_means_cores() {
        assert_eq!(workers_or_cores(3), 3);
        assert!(workers_or_cores(0) >= 1);
    }
}
