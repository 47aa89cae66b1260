//! A connection's outbound queue, shared by the room (producer) and the
//! connection task (consumer).
//!
//! Replaces a bounded `mpsc` channel plus a cancellation token: an idle
//! connection then costs one small allocation here instead of a 1.5 KiB
//! channel block, and the queue's buffer is given back each time it is
//! drained. Frames are `Bytes` encoded once per broadcast and shared by
//! every peer.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::room::Close;

/// A frame on its way to one socket, stamped when enqueued (fan-out latency).
pub struct Outbound {
    pub frame: Bytes,
    pub at: Instant,
}

/// The queue is full: the consumer is too slow and must be closed.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

pub struct Outbox {
    state: Mutex<State>,
    /// Wakes the connection task: frames queued or a close requested.
    notify: Notify,
    capacity: usize,
}

#[derive(Default)]
struct State {
    frames: VecDeque<Outbound>,
    close: Option<Close>,
}

/// What the consumer gets from [`Outbox::drain`].
pub enum Drained {
    /// Frames to write (possibly none after a spurious wake-up).
    Frames,
    /// Close with this reason. Frames still queued are dropped: every
    /// reason to close (too slow, access revoked, reload, shutdown) makes
    /// them moot, and a client that reconnects resyncs.
    Close(Close),
}

impl Outbox {
    /// An outbox holding at most `capacity` unsent frames.
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            notify: Notify::new(),
            capacity: capacity.max(1),
        }
    }

    /// Queues a frame. `Err(Full)` when the consumer is `capacity` frames
    /// behind; the frame is then dropped and the caller closes the peer.
    /// Frames queued after a close request are dropped silently.
    pub fn push(&self, frame: Bytes) -> Result<(), Full> {
        let mut state = self.state.lock();
        if state.close.is_some() {
            return Ok(());
        }
        if state.frames.len() >= self.capacity {
            return Err(Full);
        }
        state.frames.push_back(Outbound {
            frame,
            at: Instant::now(),
        });
        drop(state);
        self.notify.notify_one();
        Ok(())
    }

    /// Asks the connection to close with `close`; the first reason wins.
    pub fn close(&self, close: Close) {
        let mut state = self.state.lock();
        if state.close.is_none() {
            state.close = Some(close);
        }
        drop(state);
        self.notify.notify_one();
    }

    /// The close requested so far, if any.
    pub fn close_reason(&self) -> Option<Close> {
        self.state.lock().close.clone()
    }

    /// Waits until something was pushed or a close was requested since the
    /// last [`drain`](Self::drain). Cancel-safe.
    pub async fn ready(&self) {
        self.notify.notified().await;
    }

    /// Makes the next [`ready`](Self::ready) return at once (after another
    /// waiter may have consumed a wake-up meant for the consumer).
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Moves up to `max` queued frames into `out`. Returns `Close` once the
    /// queue is empty and a close was requested.
    pub fn drain(&self, out: &mut Vec<Outbound>, max: usize) -> Drained {
        let mut state = self.state.lock();
        if let Some(close) = &state.close {
            let close = close.clone();
            state.frames = VecDeque::new();
            return Drained::Close(close);
        }
        let n = state.frames.len().min(max);
        out.extend(state.frames.drain(..n));
        if !state.frames.is_empty() {
            // More than `max` queued: make sure the consumer comes back.
            self.notify.notify_one();
        } else {
            // Idle connections hold no queue buffer at all.
            state.frames = VecDeque::new();
        }
        Drained::Frames
    }

    /// Resolves once a close has been requested (at once if it already
    /// was). Cancel-safe; may take wake-ups meant for [`ready`](Self::ready),
    /// so call [`wake`](Self::wake) after using it.
    pub async fn closing(&self) {
        while self.close_reason().is_none() {
            self.notify.notified().await;
        }
    }

    /// Frames waiting to be written.
    #[cfg(test)]
    fn queued(&self) -> usize {
        self.state.lock().frames.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_doc::protocol::{CLOSE_FORBIDDEN, CLOSE_NORMAL, CLOSE_TRY_AGAIN};

    fn frame(b: u8) -> Bytes {
        Bytes::from(vec![b])
    }

    #[tokio::test]
    async fn frames_come_out_in_order_and_wake_the_consumer() {
        let outbox = Outbox::new(4);
        outbox.push(frame(1)).unwrap();
        outbox.push(frame(2)).unwrap();
        // A permit was stored: ready() returns at once.
        tokio::time::timeout(std::time::Duration::from_secs(1), outbox.ready())
            .await
            .unwrap();
        let mut out = Vec::new();
        assert!(matches!(outbox.drain(&mut out, 64), Drained::Frames));
        let got: Vec<u8> = out.iter().map(|o| o.frame[0]).collect();
        assert_eq!(got, vec![1, 2]);
    }

    #[test]
    fn a_full_queue_refuses_instead_of_dropping_silently() {
        let outbox = Outbox::new(2);
        outbox.push(frame(1)).unwrap();
        outbox.push(frame(2)).unwrap();
        assert_eq!(outbox.push(frame(3)), Err(Full));
        assert_eq!(outbox.queued(), 2);
    }

    #[tokio::test]
    async fn close_wins_over_queued_frames_and_first_reason_wins() {
        let outbox = Outbox::new(8);
        outbox.push(frame(1)).unwrap();
        outbox.close(Close::new(CLOSE_FORBIDDEN, "first"));
        outbox.close(Close::new(CLOSE_NORMAL, "second"));
        outbox.push(frame(2)).unwrap(); // dropped: closing
        let mut out = Vec::new();
        match outbox.drain(&mut out, 64) {
            Drained::Close(c) => assert_eq!(c, Close::new(CLOSE_FORBIDDEN, "first")),
            Drained::Frames => panic!("close expected"),
        }
        assert!(out.is_empty());
        assert_eq!(outbox.queued(), 0);
        // closing() resolves at once once a close was requested, even when
        // the wake-up was already consumed.
        tokio::time::timeout(std::time::Duration::from_secs(1), outbox.closing())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn closing_waits_for_a_close_not_for_frames() {
        let outbox = std::sync::Arc::new(Outbox::new(8));
        outbox.push(frame(1)).unwrap();
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), outbox.closing());
        assert!(waiting.await.is_err(), "a frame is not a close");
        let o = outbox.clone();
        let closer = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            o.close(Close::new(CLOSE_TRY_AGAIN, "too slow"));
        });
        tokio::time::timeout(std::time::Duration::from_secs(1), outbox.closing())
            .await
            .unwrap();
        closer.await.unwrap();
    }

    #[test]
    fn drain_in_batches_keeps_the_rest_and_releases_big_buffers() {
        let outbox = Outbox::new(1024);
        for i in 0..100 {
            outbox.push(frame(i)).unwrap();
        }
        let mut out = Vec::new();
        assert!(matches!(outbox.drain(&mut out, 64), Drained::Frames));
        assert_eq!(out.len(), 64);
        assert_eq!(outbox.queued(), 36);
        out.clear();
        assert!(matches!(outbox.drain(&mut out, 64), Drained::Frames));
        assert_eq!(out.len(), 36);
        assert_eq!(outbox.state.lock().frames.capacity(), 0);
    }
}
