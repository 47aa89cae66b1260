//! Which sessions are still live. A session JWT verifies by its signature
//! alone; whether its session was revoked is in the store. Positive answers
//! are remembered for [`FRESH_FOR`] so most requests cost no query, and a
//! revocation this instance hears of (its own sign-out or another
//! instance's, through the bus) is forgotten at once: a revoked session is
//! refused within that bound on every instance even when the bus is down.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::AuthError;
use crate::store::Store;

/// How long a positive check is trusted.
pub const FRESH_FOR: Duration = Duration::from_millis(800);
/// Remembered sessions beyond this are all forgotten (bounds memory).
const MAX_REMEMBERED: usize = 100_000;

#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn Store>,
    live: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Sessions {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            live: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Ok when the session `sid` is neither revoked nor expired.
    pub async fn check(&self, sid: &str) -> Result<(), AuthError> {
        let now = Instant::now();
        if self
            .live
            .lock()
            .get(sid)
            .is_some_and(|at| now.duration_since(*at) < FRESH_FOR)
        {
            return Ok(());
        }
        match self.store.session_is_live(sid).await {
            Ok(true) => {
                let mut live = self.live.lock();
                if live.len() >= MAX_REMEMBERED {
                    live.clear();
                }
                live.insert(sid.to_string(), now);
                Ok(())
            }
            Ok(false) => Err(AuthError::InvalidToken),
            Err(e) if e.is_unavailable() => Err(AuthError::Unavailable),
            Err(_) => Err(AuthError::InvalidToken),
        }
    }

    /// `sids` were revoked: stop trusting them now.
    pub fn forget(&self, sids: &[String]) {
        let mut live = self.live.lock();
        for sid in sids {
            live.remove(sid);
        }
    }
}
