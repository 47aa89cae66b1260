//! A room's bookkeeping of its durable log: size and item estimates, what
//! is unsaved or not yet compacted, edit times, and the decisions taken
//! from them (compact now? refresh the search text? save an automatic
//! version? evict?). Pure state: the callers act on the decisions.

use std::time::{Duration, Instant};

/// Longest pause between retries of a failing compaction.
pub const COMPACT_BACKOFF_MAX: Duration = Duration::from_secs(300);

/// How long structs may wait for missing dependencies before the room is
/// reported (a client or instance that never sent them).
pub const PENDING_REPORT_AFTER: Duration = Duration::from_secs(60);

/// The thresholds a room's upkeep follows.
#[derive(Clone, Debug)]
pub struct UpkeepRules {
    /// Compact once this many durable updates (or reclaimable rows) wait.
    pub compact_every: u64,
    /// Compact a room with a backlog once it is this long without edits.
    pub compact_idle: Duration,
    /// Save an automatic version this long after the last edit (None: off).
    pub auto_version_idle: Option<Duration>,
}

/// What the periodic upkeep should do for one room.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upkeep {
    pub compact: bool,
    pub refresh_text: bool,
    pub auto_version: bool,
    /// No peers and nothing unsaved: a candidate for eviction (the final
    /// check is [`LogState::idle`], under the registry lock).
    pub evictable: bool,
}

/// What a compaction achieved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compacted {
    /// Log rows newer than the previous snapshot, now in a snapshot.
    pub covered: u64,
    /// Rows still in the log that the new snapshot covers.
    pub reclaimable: u64,
}

/// How a compaction ended, for reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactionEnd {
    Succeeded,
    /// Succeeded after this many failures in a row.
    Recovered(u32),
    /// Failed; `failures` in a row so far, next try after `retry_in`.
    Failed {
        failures: u32,
        retry_in: Duration,
    },
}

#[derive(Default)]
pub(crate) struct LogState {
    /// Approximate encoded size of the document.
    pub size: usize,
    /// Approximate number of blocks (CRDT items) in the document.
    pub items: u64,
    /// Updates handed to persistence and not yet durable.
    pub in_flight: u64,
    /// Durable updates not yet covered by a snapshot.
    pub since_snapshot: u64,
    /// Log rows the newest snapshot covers but that are kept for the
    /// fallback to the previous one; the next compaction deletes them.
    pub reclaimable_rows: u64,
    pub last_edit: Option<Instant>,
    /// Edited since the searchable text was last written.
    pub text_dirty: bool,
    /// Edited since the last version (for automatic versions).
    pub auto_version_due: bool,
    /// Yrs holds updates with missing dependencies. Compaction still runs
    /// (the log rows they came in are kept until they integrate).
    pub pending: bool,
    /// When `pending` was first seen (reported after a bound).
    pub pending_since: Option<Instant>,
    compacting: bool,
    /// Consecutive failed compactions, and when the next may run.
    failures: u32,
    retry_at: Option<Instant>,
}

impl LogState {
    /// An edit changed the document.
    pub fn edited(&mut self, now: Instant, bytes: usize, structs: u64) {
        self.size += bytes;
        // An over-estimate (duplicated structs count too); compaction
        // recounts exactly.
        self.items += structs;
        self.last_edit = Some(now);
        self.text_dirty = true;
        self.auto_version_due = true;
    }

    /// `n` updates became durable. True when enough wait for a snapshot
    /// that the writer should ask for a compaction.
    pub fn durable(&mut self, n: u64, rules: &UpkeepRules) -> bool {
        self.in_flight = self.in_flight.saturating_sub(n);
        self.since_snapshot += n;
        let every = rules.compact_every;
        (self.since_snapshot >= every || self.reclaimable_rows >= every) && !self.compacting
    }

    /// Tracks whether structs wait for missing dependencies. Returns how
    /// long they waited when they just completed.
    pub fn note_pending(&mut self, pending: bool, now: Instant) -> Option<Duration> {
        let waited = match (pending, self.pending_since) {
            (true, None) => {
                self.pending_since = Some(now);
                None
            }
            (false, Some(since)) => {
                self.pending_since = None;
                Some(now.duration_since(since))
            }
            _ => None,
        };
        self.pending = pending;
        waited
    }

    /// Structs have waited for their dependencies longer than the bound.
    pub fn pending_overdue(&self, now: Instant) -> bool {
        self.pending_since
            .is_some_and(|t| now.duration_since(t) >= PENDING_REPORT_AFTER)
    }

    /// The upkeep due now for a room with `peers` connections.
    pub fn upkeep(&self, now: Instant, peers: usize, rules: &UpkeepRules) -> Upkeep {
        let quiet = self
            .last_edit
            .is_none_or(|t| now.duration_since(t) >= rules.compact_idle);
        let empty = peers == 0 && self.in_flight == 0;
        let backlog = self.since_snapshot > 0 || self.reclaimable_rows > 0;
        Upkeep {
            compact: !self.compacting
                && self.retry_at.is_none_or(|t| now >= t)
                && ((backlog && (quiet || empty)) || self.reclaimable_rows >= rules.compact_every),
            refresh_text: self.text_dirty,
            auto_version: rules.auto_version_idle.is_some_and(|idle| {
                self.auto_version_due
                    && self
                        .last_edit
                        .is_some_and(|t| now.duration_since(t) >= idle)
            }),
            evictable: empty,
        }
    }

    /// Nothing left to do for a room with `peers` connections: nothing
    /// unsaved, uncompacted, unindexed or waiting for a version.
    pub fn idle(&self, peers: usize, rules: &UpkeepRules) -> bool {
        let auto_pending = self.auto_version_due && rules.auto_version_idle.is_some();
        peers == 0
            && self.in_flight == 0
            && !self.compacting
            && self.since_snapshot == 0
            && self.reclaimable_rows == 0
            && !self.text_dirty
            && !auto_pending
    }

    /// Starts a compaction unless one runs or a failed one is backing off.
    pub fn begin_compaction(&mut self, now: Instant) -> bool {
        if self.compacting || self.retry_at.is_some_and(|t| now < t) {
            return false;
        }
        self.compacting = true;
        true
    }

    /// Ends the running compaction. A failure backs off exponentially
    /// (2 s, 4 s, … up to [`COMPACT_BACKOFF_MAX`]) so a failing one does
    /// not reload the log on every write batch.
    pub fn end_compaction(&mut self, result: Option<Compacted>, now: Instant) -> CompactionEnd {
        self.compacting = false;
        match result {
            Some(done) => {
                self.since_snapshot = self.since_snapshot.saturating_sub(done.covered);
                self.reclaimable_rows = done.reclaimable;
                let failures = std::mem::take(&mut self.failures);
                self.retry_at = None;
                if failures > 0 {
                    CompactionEnd::Recovered(failures)
                } else {
                    CompactionEnd::Succeeded
                }
            }
            None => {
                self.failures += 1;
                let retry_in =
                    Duration::from_secs(1 << self.failures.min(8)).min(COMPACT_BACKOFF_MAX);
                self.retry_at = Some(now + retry_in);
                CompactionEnd::Failed {
                    failures: self.failures,
                    retry_in,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> UpkeepRules {
        UpkeepRules {
            compact_every: 10,
            compact_idle: Duration::from_secs(5),
            auto_version_idle: Some(Duration::from_secs(60)),
        }
    }

    #[test]
    fn writer_asks_for_compaction_at_the_threshold_only() {
        let mut s = LogState {
            in_flight: 12,
            ..Default::default()
        };
        assert!(!s.durable(9, &rules()));
        assert!(
            s.durable(1, &rules()),
            "10 durable updates reach the threshold"
        );
        assert!(s.begin_compaction(Instant::now()));
        assert!(!s.durable(2, &rules()), "not while one runs");
        assert_eq!(s.in_flight, 0);
    }

    #[test]
    fn idle_rule_compacts_a_quiet_or_empty_room_with_a_backlog() {
        let now = Instant::now();
        let mut s = LogState::default();
        assert!(!s.upkeep(now, 1, &rules()).compact, "nothing to compact");
        s.edited(now, 10, 3);
        s.since_snapshot = 2;
        assert!(!s.upkeep(now, 1, &rules()).compact, "still being edited");
        assert!(s.upkeep(now, 0, &rules()).compact, "nobody left");
        let later = now + Duration::from_secs(5);
        let u = s.upkeep(later, 1, &rules());
        assert!(u.compact && u.refresh_text && !u.auto_version && !u.evictable);
        // Many reclaimable rows compact even while edits go on.
        s.since_snapshot = 0;
        s.reclaimable_rows = 10;
        assert!(s.upkeep(now, 1, &rules()).compact);
        // Automatic version once quiet long enough.
        let u = s.upkeep(now + Duration::from_secs(60), 1, &rules());
        assert!(u.auto_version);
        let off = UpkeepRules {
            auto_version_idle: None,
            ..rules()
        };
        assert!(
            !s.upkeep(now + Duration::from_secs(60), 1, &off)
                .auto_version
        );
    }

    #[test]
    fn one_compaction_at_a_time_and_backoff_after_failure() {
        let now = Instant::now();
        let mut s = LogState {
            since_snapshot: 5,
            ..Default::default()
        };
        assert!(s.begin_compaction(now));
        assert!(!s.begin_compaction(now), "deduplicated while running");
        assert!(!s.upkeep(now, 0, &rules()).compact);
        let end = s.end_compaction(None, now);
        assert_eq!(
            end,
            CompactionEnd::Failed {
                failures: 1,
                retry_in: Duration::from_secs(2)
            }
        );
        assert!(
            !s.begin_compaction(now + Duration::from_secs(1)),
            "backing off"
        );
        assert!(!s.upkeep(now + Duration::from_secs(1), 0, &rules()).compact);
        assert!(s.begin_compaction(now + Duration::from_secs(2)));
        let end = s.end_compaction(None, now + Duration::from_secs(2));
        assert!(
            matches!(end, CompactionEnd::Failed { failures: 2, retry_in } if retry_in == Duration::from_secs(4))
        );
        // The pause stops doubling (2^8 s, within the bound).
        for _ in 0..20 {
            s.retry_at = None;
            s.begin_compaction(now);
            s.end_compaction(None, now);
        }
        let longest = Duration::from_secs(256).min(COMPACT_BACKOFF_MAX);
        assert_eq!(s.retry_at, Some(now + longest));
        s.retry_at = None;
        assert!(s.begin_compaction(now));
        let end = s.end_compaction(
            Some(Compacted {
                covered: 5,
                reclaimable: 3,
            }),
            now,
        );
        assert_eq!(end, CompactionEnd::Recovered(22));
        assert_eq!((s.since_snapshot, s.reclaimable_rows), (0, 3));
        assert!(s.begin_compaction(now), "no backoff after a success");
    }

    #[test]
    fn idle_means_nothing_left_to_write() {
        let mut s = LogState::default();
        assert!(s.idle(0, &rules()));
        assert!(!s.idle(1, &rules()));
        s.text_dirty = true;
        assert!(!s.idle(0, &rules()));
        s.text_dirty = false;
        s.auto_version_due = true;
        assert!(!s.idle(0, &rules()));
        let off = UpkeepRules {
            auto_version_idle: None,
            ..rules()
        };
        assert!(s.idle(0, &off));
    }

    #[test]
    fn pending_structs_are_reported_after_the_bound() {
        let now = Instant::now();
        let mut s = LogState::default();
        assert_eq!(s.note_pending(true, now), None);
        assert!(!s.pending_overdue(now));
        assert!(s.pending_overdue(now + PENDING_REPORT_AFTER));
        assert_eq!(
            s.note_pending(false, now + Duration::from_secs(3)),
            Some(Duration::from_secs(3))
        );
        assert!(!s.pending);
    }
}
