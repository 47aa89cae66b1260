//! Login rate limiting.
//!
//! Policy:
//! - **Per account.** Attempts are counted against the account the login
//!   name resolves to (username or e-mail, any case, surrounding spaces
//!   ignored), so spelling variants share one budget. A name that matches no
//!   account is counted under its normalised form (trimmed, lower-cased).
//! - **Reserved up front.** An attempt takes a slot before the password is
//!   checked and gives it back on success, so parallel guesses cannot exceed
//!   the budget: at most `LOGIN_MAX_FAILURES` wrong passwords are ever being
//!   checked or counted before the account locks.
//! - **Short, growing locks.** After `LOGIN_MAX_FAILURES` failures the account
//!   is locked for 2 s, doubling with each further failure (4 s, 8 s, …) up to
//!   `LOGIN_WINDOW_SECS`; after each lock one more attempt is allowed. The
//!   record is forgotten a window after the last failure (or lock end), and a
//!   correct password clears it at once.
//! - **Per client address: delay, never refusal.** Failures are also counted
//!   per client address (see [`super::client_ip`]). Beyond four times the
//!   account budget, every further attempt from that address waits before its
//!   password is checked (250 ms, doubling, at most 3 s). A correct password
//!   for an account that is not itself locked always gets through, so users
//!   sharing an address (NAT, a proxy that is not configured as trusted) are
//!   slowed down by an attacker among them, never locked out.
//! - **Bounded memory.** Keys are fixed-size digests, and each table holds
//!   at most [`MAX_ENTRIES`] records; beyond that expired records go first,
//!   then the oldest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// Records kept per table (accounts, addresses).
pub const MAX_ENTRIES: usize = 50_000;
/// First account lock after the budget is spent.
pub const LOCK_BASE: Duration = Duration::from_secs(2);
/// First per-address delay beyond the address budget.
pub const DELAY_BASE: Duration = Duration::from_millis(250);
/// Longest per-address delay.
pub const DELAY_MAX: Duration = Duration::from_secs(3);
/// The address budget is this many times the account budget.
pub const ADDRESS_FACTOR: u32 = 4;

type Key = [u8; 16];

fn digest(kind: &str, value: &str) -> Key {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(value.as_bytes());
    let full = h.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&full[..16]);
    key
}

/// The login name as typed, normalised: trimmed and lower-cased.
pub fn normalise(login: &str) -> String {
    login.trim().to_lowercase()
}

/// What a login attempt is counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginKey(Key);

impl LoginKey {
    /// An existing account, by id.
    pub fn account(id: &str) -> Self {
        Self(digest("account", id))
    }
    /// A login name that matches no account (normalised here).
    pub fn unknown(login: &str) -> Self {
        Self(digest("name", &normalise(login)))
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    in_flight: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

impl Entry {
    fn new(now: Instant) -> Self {
        Self {
            failures: 0,
            in_flight: 0,
            last: now,
            locked_until: None,
        }
    }
    fn expired(&self, now: Instant, window: Duration) -> bool {
        self.in_flight == 0 && now >= self.locked_until.unwrap_or(self.last).max(self.last) + window
    }
}

struct Table {
    entries: HashMap<Key, Entry>,
}

impl Table {
    fn new() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }

    /// The live record of `key`, created (making room first) if needed.
    fn entry(&mut self, key: Key, now: Instant, window: Duration) -> &mut Entry {
        if let Some(e) = self.entries.get(&key)
            && e.expired(now, window)
        {
            self.entries.remove(&key);
        }
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_ENTRIES {
            self.make_room(now, window);
        }
        self.entries.entry(key).or_insert_with(|| Entry::new(now))
    }

    fn make_room(&mut self, now: Instant, window: Duration) {
        self.entries.retain(|_, e| !e.expired(now, window));
        if self.entries.len() < MAX_ENTRIES {
            return;
        }
        // Still full of live records: drop the oldest tenth.
        let mut ages: Vec<(Instant, Key)> =
            self.entries.iter().map(|(k, e)| (e.last, *k)).collect();
        let cut = (ages.len() / 10).max(1);
        ages.select_nth_unstable_by_key(cut - 1, |(t, _)| *t);
        for (_, k) in &ages[..cut] {
            self.entries.remove(k);
        }
    }
}

pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    accounts: Mutex<Table>,
    addresses: Mutex<Table>,
}

/// A reserved login attempt. Resolve it with [`Attempt::failed`] or
/// [`Attempt::succeeded`]; dropping it unresolved (the check could not run,
/// or the client went away) gives the slot back without counting.
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    key: LoginKey,
    resolved: bool,
}

impl Attempt<'_> {
    /// Wrong password: counts as a failure, possibly locking the account.
    pub fn failed(mut self) {
        self.resolved = true;
        let l = self.limiter;
        let now = Instant::now();
        let mut table = l.accounts.lock();
        let e = table.entry(self.key.0, now, l.window);
        e.in_flight = e.in_flight.saturating_sub(1);
        e.failures = e.failures.saturating_add(1);
        e.last = now;
        if e.failures >= l.max_failures {
            let doublings = (e.failures - l.max_failures).min(16);
            let lock = LOCK_BASE.saturating_mul(1 << doublings).min(l.window);
            e.locked_until = Some(now + lock);
        }
    }

    /// Right password: the account's record is cleared.
    pub fn succeeded(mut self) {
        self.resolved = true;
        self.limiter.accounts.lock().entries.remove(&self.key.0);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.resolved
            && let Some(e) = self.limiter.accounts.lock().entries.get_mut(&self.key.0)
        {
            e.in_flight = e.in_flight.saturating_sub(1);
        }
    }
}

fn secs_ceil(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window,
            accounts: Mutex::new(Table::new()),
            addresses: Mutex::new(Table::new()),
        }
    }

    /// Reserves an attempt against `key`, or `Err(seconds to wait)` while the
    /// account is locked or its remaining budget is taken by attempts still
    /// being checked.
    pub fn reserve(&self, key: LoginKey) -> Result<Attempt<'_>, u64> {
        let now = Instant::now();
        let mut table = self.accounts.lock();
        let e = table.entry(key.0, now, self.window);
        if let Some(until) = e.locked_until
            && now < until
        {
            return Err(secs_ceil(until - now).max(1));
        }
        let allowed = if e.failures < self.max_failures {
            e.failures + e.in_flight < self.max_failures
        } else {
            // The lock has run out: one attempt at a time.
            e.in_flight == 0
        };
        if !allowed {
            return Err(1);
        }
        e.in_flight += 1;
        Ok(Attempt {
            limiter: self,
            key,
            resolved: false,
        })
    }

    fn address_key(ip: IpAddr) -> Key {
        digest("ip", &ip.to_canonical().to_string())
    }

    /// Counts a wrong password from `ip`.
    pub fn address_failed(&self, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        let now = Instant::now();
        let mut table = self.addresses.lock();
        let e = table.entry(Self::address_key(ip), now, self.window);
        e.failures = e.failures.saturating_add(1);
        e.last = now;
    }

    /// How long an attempt from `ip` waits before its password is checked.
    pub fn address_delay(&self, ip: Option<IpAddr>) -> Duration {
        let Some(ip) = ip else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        let budget = self.max_failures.saturating_mul(ADDRESS_FACTOR);
        let mut table = self.addresses.lock();
        let key = Self::address_key(ip);
        match table.entries.get(&key) {
            Some(e) if e.expired(now, self.window) => {
                table.entries.remove(&key);
                Duration::ZERO
            }
            Some(e) if e.failures >= budget => {
                let doublings = (e.failures - budget).min(8);
                DELAY_BASE.saturating_mul(1 << doublings).min(DELAY_MAX)
            }
            _ => Duration::ZERO,
        }
    }

    /// Records held (accounts plus addresses), for monitoring and tests.
    pub fn tracked(&self) -> usize {
        self.accounts.lock().entries.len() + self.addresses.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_reserved_before_the_check() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let key = LoginKey::account("u1");
        let a: Vec<_> = (0..3)
            .map(|_| l.reserve(key).expect("within budget"))
            .collect();
        // Three are being checked: a fourth must wait.
        assert!(l.reserve(key).is_err());
        for attempt in a {
            attempt.failed();
        }
        // Locked now, with a short lock.
        let wait = l.reserve(key).err().expect("locked");
        assert!((1..=2).contains(&wait), "{wait}");
        // Another account is unaffected; a refunded attempt does not count.
        let other = LoginKey::account("u2");
        drop(l.reserve(other).expect("other account"));
        l.reserve(other).expect("refunds do not count").failed();
        l.reserve(other).expect("one failure so far").succeeded();
        assert!(l.reserve(other).is_ok());
    }

    #[test]
    fn lock_doubles_and_is_capped_by_the_window() {
        let l = LoginLimiter::new(1, Duration::from_secs(5));
        let key = LoginKey::unknown("Ghost");
        l.reserve(key).unwrap().failed();
        {
            let mut t = l.accounts.lock();
            let e = t.entries.get_mut(&key.0).unwrap();
            assert_eq!(e.locked_until.unwrap() - e.last, LOCK_BASE);
            // Pretend the lock ran out.
            e.locked_until = Some(Instant::now());
        }
        l.reserve(key).unwrap().failed();
        let t = l.accounts.lock();
        let e = t.entries.get(&key.0).unwrap();
        assert_eq!(e.locked_until.unwrap() - e.last, LOCK_BASE * 2);
        drop(t);
        for _ in 0..5 {
            l.accounts
                .lock()
                .entries
                .get_mut(&key.0)
                .unwrap()
                .locked_until = Some(Instant::now());
            l.reserve(key).unwrap().failed();
        }
        let t = l.accounts.lock();
        let e = t.entries.get(&key.0).unwrap();
        assert_eq!(e.locked_until.unwrap() - e.last, Duration::from_secs(5));
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(LoginKey::unknown(" Alice "), LoginKey::unknown("alice"));
        assert_ne!(LoginKey::unknown("alice"), LoginKey::account("alice"));
    }

    #[test]
    fn addresses_delay_instead_of_refusing() {
        let l = LoginLimiter::new(1, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..ADDRESS_FACTOR {
            assert_eq!(l.address_delay(Some(ip)), Duration::ZERO);
            l.address_failed(Some(ip));
        }
        assert_eq!(l.address_delay(Some(ip)), DELAY_BASE);
        for _ in 0..20 {
            l.address_failed(Some(ip));
        }
        assert_eq!(l.address_delay(Some(ip)), DELAY_MAX);
        assert_eq!(
            l.address_delay(Some("192.0.2.2".parse().unwrap())),
            Duration::ZERO
        );
        assert_eq!(l.address_delay(None), Duration::ZERO);
    }

    #[test]
    fn memory_is_bounded() {
        let l = LoginLimiter::new(5, Duration::from_secs(600));
        for i in 0..(MAX_ENTRIES + 5_000) {
            l.reserve(LoginKey::unknown(&format!("user{i}")))
                .unwrap()
                .failed();
        }
        assert!(l.tracked() <= MAX_ENTRIES, "{}", l.tracked());
        // The newest records survive eviction.
        let newest = LoginKey::unknown(&format!("user{}", MAX_ENTRIES + 4_999));
        assert!(l.accounts.lock().entries.contains_key(&newest.0));
    }
}
