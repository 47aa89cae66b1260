//! Login rate limiting: failed attempts counted per username and per client
//! IP in a fixed window. A locked key answers 429 with the seconds left.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    entries: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, ip: Option<&str>) -> Vec<(String, u32)> {
        let mut keys = vec![(format!("u:{}", username.to_lowercase()), 1)];
        if let Some(ip) = ip {
            // An IP may try several accounts, so it gets a larger budget.
            keys.push((format!("ip:{ip}"), 4));
        }
        keys
    }

    /// Err(seconds to wait) when the username or IP is locked.
    pub fn check(&self, username: &str, ip: Option<&str>) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.entries.lock();
        for (key, factor) in Self::keys(username, ip) {
            if let Some((count, start)) = map.get(&key) {
                let elapsed = now.duration_since(*start);
                if elapsed >= self.window {
                    map.remove(&key);
                } else if *count >= self.max_failures * factor {
                    return Err((self.window - elapsed).as_secs().max(1));
                }
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, username: &str, ip: Option<&str>) {
        let now = Instant::now();
        let mut map = self.entries.lock();
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (_, start)| now.duration_since(*start) < window);
        }
        for (key, _) in Self::keys(username, ip) {
            let e = map.entry(key).or_insert((0, now));
            if now.duration_since(e.1) >= self.window {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// A successful login clears the username's counter (not the IP's).
    pub fn record_success(&self, username: &str) {
        self.entries
            .lock()
            .remove(&format!("u:{}", username.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(l.check("Bob", Some("1.2.3.4")).is_ok());
            l.record_failure("Bob", Some("1.2.3.4"));
        }
        assert!(l.check("bob", Some("9.9.9.9")).is_err(), "username locked");
        assert!(
            l.check("alice", Some("1.2.3.4")).is_ok(),
            "ip has a larger budget"
        );
        l.record_success("bob");
        assert!(l.check("bob", None).is_ok());
    }
}
