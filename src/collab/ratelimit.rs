//! Per-connection token bucket: `rate` messages per second with a
//! `burst`. Also tracks how long a client has been continuously over budget,
//! so a sustained flood can be closed while a short burst is only throttled.

use std::time::{Duration, Instant};

pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
    /// Start of the current run of refused takes.
    over_since: Option<Instant>,
    last_refusal: Option<Instant>,
}

impl TokenBucket {
    pub fn new(rate_per_sec: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            rate: f64::from(rate_per_sec.max(1)),
            burst,
            tokens: burst,
            last: Instant::now(),
            over_since: None,
            last_refusal: None,
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
    }

    /// Takes a token if one is available.
    pub fn try_take(&mut self) -> bool {
        self.refill();
        let now = Instant::now();
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            // A second without refusals ends an over-budget run.
            if self
                .last_refusal
                .is_some_and(|t| now.duration_since(t) > Duration::from_secs(1))
            {
                self.over_since = None;
            }
            true
        } else {
            self.over_since.get_or_insert(now);
            self.last_refusal = Some(now);
            false
        }
    }

    /// How long until a token is available.
    pub fn wait(&self) -> Duration {
        Duration::from_secs_f64(((1.0 - self.tokens) / self.rate).max(0.0))
    }

    /// Consumes the token that `wait` waited for.
    pub fn take_after_wait(&mut self) {
        self.refill();
        self.tokens -= 1.0;
    }

    /// Whole seconds of the current over-budget run.
    pub fn seconds_over_budget(&self) -> u32 {
        self.over_since.map_or(0, |t| t.elapsed().as_secs() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse_then_refill() {
        let mut b = TokenBucket::new(1000, 5);
        for _ in 0..5 {
            assert!(b.try_take());
        }
        assert!(!b.try_take());
        assert!(b.wait() <= Duration::from_millis(2));
        std::thread::sleep(Duration::from_millis(5));
        assert!(b.try_take());
    }
}
