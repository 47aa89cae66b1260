//! Argon2id password hashing, bounded.
//!
//! One Argon2 run takes about 19 MiB and tens of milliseconds of CPU on the
//! blocking pool, so unbounded concurrency lets a burst of sign-ups or login
//! attempts (for accounts that exist or not) exhaust memory. [`PasswordGate`]
//! runs at most `concurrency` hashes at a time; up to `queue` further callers
//! wait at most [`QUEUE_WAIT`] for a slot, and everyone beyond that is told
//! [`HashError::Busy`] at once (the API answers 503 with `Retry-After`).

use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::{OnceCell, Semaphore};

use super::AuthError;
use crate::metrics;

/// The longest a caller waits for a free hashing slot.
pub const QUEUE_WAIT: Duration = Duration::from_secs(2);

/// Why a bounded hash or verify did not run.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing is busy; retry shortly")]
    Busy,
    #[error("password hashing failed")]
    Failed,
}

/// PHC string (`$argon2id$v=19$…`) of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| AuthError::Hash)
}

/// True when `password` matches the PHC string `phc`.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Unbounded hash on the blocking pool, for one-shot command-line use.
pub async fn hash_blocking(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|_| AuthError::Hash)?
}

/// Unbounded verify on the blocking pool, for one-shot command-line use.
pub async fn verify_blocking(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .unwrap_or(false)
}

/// Concurrency bound for every hash and verify the server does.
pub struct PasswordGate {
    /// Slots that may run Argon2 now.
    running: Arc<Semaphore>,
    /// Running plus waiting callers; when none is left, callers are busy at once.
    admitted: Semaphore,
    wait: Duration,
    /// Hash of a fixed password, verified against for unknown accounts so
    /// that a miss costs as much as a hit.
    dummy: OnceCell<String>,
}

impl PasswordGate {
    /// `concurrency` 0 means the number of cores.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = crate::util::workers_or_cores(concurrency);
        Self {
            running: Arc::new(Semaphore::new(concurrency)),
            admitted: Semaphore::new(concurrency + queue),
            wait: QUEUE_WAIT,
            dummy: OnceCell::new(),
        }
    }

    /// Runs `f` on the blocking pool once a slot is free.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _admitted = self.admitted.try_acquire().map_err(|_| {
            metrics::password_hash_busy();
            HashError::Busy
        })?;
        let slot = tokio::time::timeout(self.wait, self.running.clone().acquire_owned())
            .await
            .map_err(|_| {
                metrics::password_hash_busy();
                HashError::Busy
            })?
            .map_err(|_| HashError::Failed)?;
        metrics::password_hash_run();
        // The slot moves into the blocking task, so even when the caller goes
        // away (client disconnected) the bound holds until Argon2 finishes.
        tokio::task::spawn_blocking(move || {
            let out = f();
            drop(slot);
            out
        })
        .await
        .map_err(|_| HashError::Failed)
    }

    /// PHC string of `password`, bounded.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash(&password))
            .await?
            .map_err(|_| HashError::Failed)
    }

    /// Whether `password` matches `phc`, bounded.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, HashError> {
        self.run(move || verify(&password, &phc)).await
    }

    /// A verify that always fails but costs the same as a real one: for
    /// login attempts whose account does not exist.
    pub async fn verify_unknown(&self, password: String) -> Result<bool, HashError> {
        let dummy = self
            .dummy
            .get_or_try_init(|| self.hash("quire-dummy-password".into()))
            .await?
            .clone();
        self.verify(password, dummy).await.map(|_| false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_argon2id_and_verifies() {
        let h = hash("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a phc string"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn gate_refuses_beyond_concurrency_plus_queue() {
        let gate = Arc::new(PasswordGate::new(1, 1));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let gate = gate.clone();
            tasks.push(tokio::spawn(async move {
                gate.hash("correct horse".into()).await
            }));
        }
        let mut ok = 0;
        let mut busy = 0;
        for t in tasks {
            match t.await.expect("task") {
                Ok(h) => {
                    assert!(verify("correct horse", &h));
                    ok += 1;
                }
                Err(HashError::Busy) => busy += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        // One runs, one waits; the rest are refused at once.
        assert!(ok >= 2, "ok {ok}");
        assert!(busy >= 1, "busy {busy}");
        assert_eq!(ok + busy, 8);
        assert!(!gate.verify_unknown("x".into()).await.expect("verify"));
    }
}
