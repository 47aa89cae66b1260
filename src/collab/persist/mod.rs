//! One-way persistence of live rooms: rooms hand accepted updates to the
//! group-commit [`writer`], which makes them durable and acknowledges the
//! rooms through a weak reference; the [`compactor`] task snapshots rooms
//! whose log grew; [`snapshot`] builds, verifies and plans snapshots.
//!
//! Nothing here holds the hub. The outage policy lives here too: while
//! [`MAX_UNSAVED_UPDATES`](crate::config::Persistence::max_unsaved_updates)
//! updates are unsaved, new edits are refused ([`Backlog::admit`]).

pub mod compactor;
pub mod snapshot;
pub mod writer;

use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::room::{ConnId, Room};

/// An accepted update on its way to the durable log.
pub struct PendingUpdate {
    /// The room to acknowledge and publish from once durable (no registry
    /// lookup: a room replaced meanwhile still gets its own updates back;
    /// a room gone meanwhile is skipped).
    pub room: Weak<Room>,
    pub doc_id: String,
    pub data: Bytes,
    pub user_id: Option<String>,
    pub conn: Option<ConnId>,
    /// Publish to other instances once durable (false for repairs, which
    /// other instances received already).
    pub publish: bool,
    pub at: i64,
}

/// New edits are refused: too many updates wait to be saved (a database
/// outage). WebSocket clients are closed with 1013, REST answers 503.
#[derive(Debug, PartialEq, Eq)]
pub struct BacklogFull;

/// The updates accepted by this instance and not yet durable, all rooms.
#[derive(Debug)]
pub struct Backlog {
    unsaved: AtomicU64,
    max: u64,
}

impl Backlog {
    pub fn new(max_unsaved: u64) -> Self {
        Self {
            unsaved: AtomicU64::new(0),
            max: max_unsaved,
        }
    }

    pub fn unsaved(&self) -> u64 {
        self.unsaved.load(Ordering::SeqCst)
    }

    /// Whether a new edit may be accepted now.
    pub fn admit(&self) -> Result<(), BacklogFull> {
        if self.unsaved() >= self.max {
            Err(BacklogFull)
        } else {
            Ok(())
        }
    }

    pub(crate) fn add(&self, n: u64) {
        self.unsaved.fetch_add(n, Ordering::SeqCst);
    }

    pub(crate) fn done(&self, n: u64) {
        self.unsaved.fetch_sub(n, Ordering::SeqCst);
    }
}

/// A room's handle to persistence: where accepted updates go.
#[derive(Clone)]
pub struct Persist {
    tx: mpsc::UnboundedSender<PendingUpdate>,
    backlog: std::sync::Arc<Backlog>,
}

impl Persist {
    /// A handle and the receiving end the writer drains.
    pub fn channel(
        backlog: std::sync::Arc<Backlog>,
    ) -> (Self, mpsc::UnboundedReceiver<PendingUpdate>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx, backlog }, rx)
    }

    pub fn backlog(&self) -> &Backlog {
        &self.backlog
    }

    /// Hands an accepted update to the writer; it counts as unsaved until
    /// the writer made it durable.
    pub fn send(&self, update: PendingUpdate) {
        self.backlog.add(1);
        if self.tx.send(update).is_err() {
            self.backlog.done(1);
            tracing::error!("update log writer is gone; update kept in memory only");
        }
    }
}
