//! One live connection to a document room, over any frame transport.
//!
//! The transport is a [`Stream`] of [`Frame`]s from the client and a
//! [`Sink`] of frames to it: the WebSocket in `api::ws`, in-memory channels
//! in the tests below. Admission (who the caller is, their role, the
//! schema version) is decided before a connection gets here; this module
//! owns what follows: joining the room, one task that reads client
//! messages (size check, rate limit, decode, hand to the room) and writes
//! what the room queued in the connection's [`Outbox`], pings, the idle
//! timeout, the credential's expiry, and the close codes.
//!
//! Access that changes while a connection is open (membership edits,
//! revoked API tokens, the periodic permission re-check of the hub's
//! maintenance) reaches the loop through the outbox: the room asks it to
//! close with a reason, and the loop closes with that code.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use quire_doc::protocol::{self, ClientMessage};

use super::hub::Hub;
use super::outbox::{Drained, Outbound, Outbox};
use super::ratelimit::TokenBucket;
use super::room::{Close, ConnId, Credential, Peer, Room};
use crate::metrics;
use crate::store::Role;

/// A connection silent this long is closed (clients renew awareness every 15 s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
const PING_EVERY: Duration = Duration::from_secs(30);
/// Frames written per flush.
const WRITE_BATCH: usize = 64;
/// How long one batch may take to reach the client before it counts as
/// gone (a frozen tab that stopped reading but keeps the TCP connection).
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a ping or close frame may wait on a client that does not read.
const WRITE_STALL: Duration = Duration::from_secs(2);
/// Seconds a client may stay over its message budget before it is closed.
const FLOOD_GRACE_SECS: u32 = 10;
/// Close reasons must fit a control frame (123 bytes).
const MAX_CLOSE_REASON: usize = 120;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// One message of the transport, in either direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole y-websocket message (the transport may fragment it).
    Binary(Bytes),
    Text(String),
    Ping(Bytes),
    Pong(Bytes),
    /// Close with a code and reason (1005 and "" when the peer sent none).
    Close(u16, String),
}

/// Why the transport could not deliver the next frame.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The connection is closed or broken.
    #[error("connection gone")]
    Gone,
    /// The client sent more than the transport accepts in one message.
    #[error("message too big")]
    TooBig,
    /// A text frame that is not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// Anything else the client got wrong at the transport level.
    #[error("protocol error")]
    Protocol,
}

/// What a connection runs over.
pub trait Transport:
    Stream<Item = Result<Frame, TransportError>> + Sink<Frame, Error = TransportError> + Unpin + Send
{
}

impl<T> Transport for T where
    T: Stream<Item = Result<Frame, TransportError>>
        + Sink<Frame, Error = TransportError>
        + Unpin
        + Send
{
}

/// The room operations the loop calls, so it can be driven against a fake
/// in tests. Implemented by `Arc<Room>`.
pub trait LiveRoom: Send + Sync {
    fn sync_step1(&self, conn: ConnId, state_vector: &[u8]) -> Result<(), Close>;
    fn client_update(&self, conn: ConnId, update: &[u8]) -> Result<(), Close>;
    fn client_awareness(&self, conn: ConnId, update: &[u8]) -> Result<(), Close>;
    fn query_awareness(&self, conn: ConnId);
}

impl LiveRoom for Arc<Room> {
    fn sync_step1(&self, conn: ConnId, state_vector: &[u8]) -> Result<(), Close> {
        Room::sync_step1(self, conn, state_vector)
    }
    fn client_update(&self, conn: ConnId, update: &[u8]) -> Result<(), Close> {
        Room::client_update(self, conn, update).map(|_| ())
    }
    fn client_awareness(&self, conn: ConnId, update: &[u8]) -> Result<(), Close> {
        Room::client_awareness(self, conn, update)
    }
    fn query_awareness(&self, conn: ConnId) {
        Room::query_awareness(self, conn);
    }
}

/// Who an admitted connection belongs to and what it may do.
pub struct Admission {
    pub user_id: String,
    pub username: String,
    /// The role now (already capped).
    pub role: Role,
    /// The highest role the credential ever allows.
    pub cap: Role,
    /// The API token or session that opened the connection (revoking it
    /// closes the connection).
    pub credential: Option<Credential>,
    /// When the credential expires, in Unix seconds (close 4401 then).
    pub expires_at_unix: u64,
    /// The client asked for durability acknowledgements.
    pub acks: bool,
    /// The client asked for live document events.
    pub events: bool,
}

/// The per-connection limits and deadline of [`serve`].
#[derive(Clone, Debug)]
pub struct Settings {
    /// Larger client messages close the connection with 1009.
    pub max_message_bytes: usize,
    pub rate_per_sec: u32,
    pub rate_burst: u32,
    /// When the credential expires (close 4401).
    pub expires_at: Instant,
}

/// Why [`serve`] stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The client closed the connection or it broke.
    ByClient,
    /// We close it with this code and reason.
    Close(Close),
}

/// Runs an admitted connection to `doc_id` until it ends, then closes the
/// transport: loads the room, enforces the per-user memory bound, joins,
/// serves, leaves.
pub async fn run<T: Transport>(hub: &Arc<Hub>, doc_id: &str, who: Admission, mut transport: T) {
    let room = match hub.room(doc_id).await {
        Ok(room) => room,
        Err(e) => {
            tracing::error!(doc = %doc_id, error = %e, "room load failed");
            let close = Close::new(protocol::CLOSE_INTERNAL, "document unavailable");
            close_gracefully(&mut transport, Some(&close)).await;
            return;
        }
    };
    // One user may not hold unbounded memory open across documents.
    let max = hub.config.persistence.max_user_resident_bytes;
    if max > 0 && hub.user_resident_bytes(&who.user_id, &room) > max {
        metrics::rejected_message("user_resident_memory");
        let close = Close::new(
            protocol::CLOSE_DOC_TOO_LARGE,
            "your open documents use too much memory; close some and retry",
        );
        close_gracefully(&mut transport, Some(&close)).await;
        return;
    }
    let limits = &hub.config.limits;
    let conn: ConnId = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let outbox = Arc::new(Outbox::new(limits.ws_outbound_queue));
    let now_unix = (crate::util::now_ms() / 1000).max(0) as u64;
    let settings = Settings {
        max_message_bytes: limits.max_ws_message_bytes,
        rate_per_sec: limits.ws_rate_per_sec,
        rate_burst: limits.ws_rate_burst,
        expires_at: Instant::now()
            + Duration::from_secs(who.expires_at_unix.saturating_sub(now_unix)),
    };
    let peer = Peer {
        outbox: outbox.clone(),
        user_id: who.user_id,
        username: who.username,
        role: who.role,
        cap: who.cap,
        credential: who.credential,
        acks: who.acks,
        events: who.events,
        unacked: 0,
        acked_total: 0,
        client_ids: Vec::new(),
    };
    if room.join(conn, peer).is_err() {
        let close = Close::new(protocol::CLOSE_TRY_AGAIN, "document reloading");
        close_gracefully(&mut transport, Some(&close)).await;
        return;
    }
    hub.bus.report_presence(doc_id, room.presence_records());
    let ended = serve(&room, conn, &outbox, &settings, &mut transport).await;
    room.leave(conn);
    hub.bus.report_presence(doc_id, room.presence_records());
    match ended {
        Ended::Close(close) => close_gracefully(&mut transport, Some(&close)).await,
        Ended::ByClient => close_gracefully(&mut transport, None).await,
    }
}

/// Refuses a connection before it joins anything: sends `close` and ends.
pub async fn refuse<T: Transport>(mut transport: T, close: Close) {
    close_gracefully(&mut transport, Some(&close)).await;
}

/// The connection's only task: reads client messages, writes what the room
/// queued, pings, and enforces the idle timeout and the credential's
/// expiry. One task (instead of a reader and a writer) keeps an idle
/// connection small; writes do not stall reads for long because frames are
/// written in batches and a peer that falls too far behind is closed by the
/// room (its outbox overflows).
pub async fn serve<R: LiveRoom, T: Transport>(
    room: &R,
    conn: ConnId,
    outbox: &Outbox,
    settings: &Settings,
    transport: &mut T,
) -> Ended {
    let mut bucket = TokenBucket::new(settings.rate_per_sec, settings.rate_burst);
    let expires_at = settings.expires_at;
    let now = Instant::now();
    let mut last_read = now;
    let mut next_ping = now + PING_EVERY;
    // One timer for ping, idle timeout and expiry, re-armed only when it
    // fires (reads just move `last_read`).
    let timer = tokio::time::sleep_until(next_ping.min(expires_at).into());
    tokio::pin!(timer);
    let mut batch: Vec<Outbound> = Vec::new();
    loop {
        tokio::select! {
            biased;
            () = outbox.ready() => {
                let drained = outbox.drain(&mut batch, WRITE_BATCH);
                if !batch.is_empty() && write_batch(transport, &mut batch, outbox).await.is_err() {
                    return match outbox.close_reason() {
                        Some(close) => Ended::Close(close),
                        None => Ended::ByClient,
                    };
                }
                if let Drained::Close(close) = drained {
                    return Ended::Close(close);
                }
            }
            msg = transport.next() => {
                last_read = Instant::now();
                let data = match msg {
                    None | Some(Ok(Frame::Close(..))) => return Ended::ByClient,
                    Some(Err(e)) => return read_error(&e).map_or(Ended::ByClient, Ended::Close),
                    Some(Ok(Frame::Binary(data))) => data,
                    Some(Ok(Frame::Text(_))) => {
                        reject_metric("text_frame");
                        return Ended::Close(Close::new(protocol::CLOSE_UNSUPPORTED, "binary frames only"));
                    }
                    Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => continue,
                };
                if let Err(close) = receive(room, conn, settings, &mut bucket, &data).await {
                    return Ended::Close(close);
                }
            }
            () = &mut timer => {
                let now = Instant::now();
                if now >= expires_at {
                    return Ended::Close(Close::new(protocol::CLOSE_UNAUTHENTICATED, "session expired"));
                }
                if now >= last_read + IDLE_TIMEOUT {
                    return Ended::Close(Close::new(protocol::CLOSE_GOING_AWAY, "idle timeout"));
                }
                if now >= next_ping {
                    let ping = transport.send(Frame::Ping(Bytes::new()));
                    if !matches!(tokio::time::timeout(WRITE_STALL, ping).await, Ok(Ok(()))) {
                        return Ended::ByClient;
                    }
                    next_ping = now + PING_EVERY;
                }
                let next = next_ping.min(expires_at).min(last_read + IDLE_TIMEOUT);
                timer.as_mut().reset(next.into());
            }
        }
    }
}

/// One binary message from the client: size check, rate limit, decode,
/// hand to the room.
async fn receive<R: LiveRoom>(
    room: &R,
    conn: ConnId,
    settings: &Settings,
    bucket: &mut TokenBucket,
    data: &Bytes,
) -> Result<(), Close> {
    metrics::ws_bytes_in(data.len() as u64);
    if data.len() > settings.max_message_bytes {
        reject_metric("too_big");
        return Err(Close::new(protocol::CLOSE_TOO_BIG, "message too big"));
    }
    // Rate limit before decoding. Awareness over budget is dropped (cursor
    // floods are throttled); document messages wait (nothing is lost); a
    // client over budget for long is closed.
    let presence = matches!(data.first(), Some(1) | Some(3));
    if !bucket.try_take() {
        metrics::rate_limited();
        if bucket.seconds_over_budget() > FLOOD_GRACE_SECS {
            reject_metric("flood");
            return Err(Close::new(protocol::CLOSE_POLICY, "message flood"));
        }
        if presence {
            return Ok(());
        }
        tokio::time::sleep(bucket.wait()).await;
        bucket.take_after_wait();
    }
    handle_message(room, conn, data)
}

fn handle_message<R: LiveRoom>(room: &R, conn: ConnId, data: &[u8]) -> Result<(), Close> {
    let msg = protocol::decode_client_message(data).map_err(|e| {
        reject_metric(e.reason());
        Close::new(e.close_code(), format!("malformed message: {}", e.reason()))
    })?;
    match msg {
        ClientMessage::SyncStep1 { state_vector } => room.sync_step1(conn, state_vector),
        ClientMessage::SyncStep2 { update } | ClientMessage::Update { update } => {
            room.client_update(conn, update)
        }
        ClientMessage::Awareness { update } => room.client_awareness(conn, update),
        ClientMessage::QueryAwareness => {
            room.query_awareness(conn);
            Ok(())
        }
        ClientMessage::Auth { .. } => {
            reject_metric("auth_message");
            Err(Close::new(
                protocol::CLOSE_UNSUPPORTED,
                "auth messages are not accepted",
            ))
        }
    }
}

/// Writes a drained batch and flushes once. Gives up (Err) when the
/// transport fails, or when the room closes this peer while the write is
/// stuck on a client that stopped reading.
async fn write_batch<T: Transport>(
    transport: &mut T,
    batch: &mut Vec<Outbound>,
    outbox: &Outbox,
) -> Result<(), ()> {
    let oldest = batch.first().map(|o| o.at);
    let bytes: usize = batch.iter().map(|o| o.frame.len()).sum();
    let write = async {
        for out in batch.drain(..) {
            transport.feed(Frame::Binary(out.frame)).await?;
        }
        transport.flush().await
    };
    // A client that stops reading blocks the write: give up when the room
    // closes this peer (its queue overflowed) or after WRITE_TIMEOUT.
    let ok = tokio::select! {
        r = tokio::time::timeout(WRITE_TIMEOUT, write) => matches!(r, Ok(Ok(()))),
        () = outbox.closing() => false,
    };
    // `closing()` may have taken wake-ups for frames queued during the write.
    outbox.wake();
    // Idle connections keep no batch buffer.
    *batch = Vec::new();
    if !ok {
        return Err(());
    }
    if let Some(oldest) = oldest {
        // Enqueue (relay) → written to the transport, for the oldest frame of the batch.
        metrics::fanout_seconds(oldest.elapsed().as_secs_f64());
    }
    metrics::ws_bytes_out(bytes as u64);
    Ok(())
}

/// Sends our close frame (if any), then keeps reading (and discarding)
/// briefly so the client gets the close frame rather than a reset from
/// unread bytes, and finally completes the close handshake.
pub async fn close_gracefully<T: Transport>(transport: &mut T, close: Option<&Close>) {
    if let Some(close) = close {
        let sent = tokio::time::timeout(WRITE_STALL, transport.send(close_frame(close))).await;
        if matches!(sent, Ok(Ok(()))) {
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while let Some(Ok(frame)) = transport.next().await {
                    if matches!(frame, Frame::Close(..)) {
                        break;
                    }
                }
            })
            .await;
        }
    }
    let _ = tokio::time::timeout(WRITE_STALL, SinkExt::close(transport)).await;
}

/// The close frame for `close`, its reason cut to what a control frame holds.
fn close_frame(close: &Close) -> Frame {
    let mut reason = close.reason.clone();
    while reason.len() > MAX_CLOSE_REASON {
        reason.pop();
    }
    Frame::Close(close.code, reason)
}

fn reject_metric(reason: &'static str) {
    metrics::rejected_message(reason);
}

fn read_error(e: &TransportError) -> Option<Close> {
    match e {
        TransportError::Gone => None,
        TransportError::TooBig => {
            reject_metric("too_big");
            Some(Close::new(protocol::CLOSE_TOO_BIG, "message too big"))
        }
        TransportError::InvalidUtf8 => {
            reject_metric("invalid_utf8");
            Some(Close::new(protocol::CLOSE_INVALID_UTF8, "invalid UTF-8"))
        }
        TransportError::Protocol => {
            reject_metric("protocol");
            Some(Close::new(protocol::CLOSE_PROTOCOL_ERROR, "protocol error"))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use parking_lot::Mutex;
    use tokio::sync::mpsc;
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, Text, Transact};

    use super::*;
    use crate::collab::room::tests::{edit, harness};

    /// The client end of an in-memory transport.
    struct Client {
        to_server: mpsc::UnboundedSender<Result<Frame, TransportError>>,
        from_server: mpsc::UnboundedReceiver<Frame>,
    }

    impl Client {
        fn send(&self, data: Vec<u8>) {
            let _ = self.to_server.send(Ok(Frame::Binary(Bytes::from(data))));
        }
        async fn recv(&mut self) -> Frame {
            tokio::time::timeout(Duration::from_secs(5), self.from_server.recv())
                .await
                .expect("a frame within 5 s")
                .expect("transport open")
        }
    }

    /// The server end: frames from the client, frames to it. A stalled
    /// transport accepts nothing (a client that stopped reading).
    struct Mem {
        incoming: mpsc::UnboundedReceiver<Result<Frame, TransportError>>,
        outgoing: mpsc::UnboundedSender<Frame>,
        stalled: bool,
    }

    fn transport(stalled: bool) -> (Mem, Client) {
        let (to_server, incoming) = mpsc::unbounded_channel();
        let (outgoing, from_server) = mpsc::unbounded_channel();
        (
            Mem {
                incoming,
                outgoing,
                stalled,
            },
            Client {
                to_server,
                from_server,
            },
        )
    }

    impl Stream for Mem {
        type Item = Result<Frame, TransportError>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.incoming.poll_recv(cx)
        }
    }

    impl Sink<Frame> for Mem {
        type Error = TransportError;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            if self.stalled {
                Poll::Pending
            } else {
                Poll::Ready(Ok(()))
            }
        }
        fn start_send(self: Pin<&mut Self>, frame: Frame) -> Result<(), Self::Error> {
            self.outgoing.send(frame).map_err(|_| TransportError::Gone)
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            self.poll_ready(cx)
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
    }

    /// A stand-in room for what a real room makes hard to observe: it
    /// counts the awareness messages that reach it and echoes every update
    /// to every peer (the sender too, as the real room does).
    struct FakeRoom {
        peers: Mutex<Vec<Arc<Outbox>>>,
        awareness: AtomicU64,
    }

    impl FakeRoom {
        fn new() -> Self {
            Self {
                peers: Mutex::new(Vec::new()),
                awareness: AtomicU64::new(0),
            }
        }
        fn join(&self) -> Arc<Outbox> {
            let outbox = Arc::new(Outbox::new(16));
            self.peers.lock().push(outbox.clone());
            outbox
        }
    }

    impl LiveRoom for FakeRoom {
        fn sync_step1(&self, _conn: ConnId, _state_vector: &[u8]) -> Result<(), Close> {
            Ok(())
        }
        fn client_update(&self, _conn: ConnId, update: &[u8]) -> Result<(), Close> {
            let frame = Bytes::from(protocol::encode_update(update));
            for outbox in self.peers.lock().iter() {
                let _ = outbox.push(frame.clone());
            }
            Ok(())
        }
        fn client_awareness(&self, _conn: ConnId, _update: &[u8]) -> Result<(), Close> {
            self.awareness.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        fn query_awareness(&self, _conn: ConnId) {}
    }

    fn settings() -> Settings {
        Settings {
            max_message_bytes: 1024,
            rate_per_sec: 100,
            rate_burst: 100,
            expires_at: Instant::now() + Duration::from_secs(3600),
        }
    }

    /// A v1 update inserting `text` into a fresh document.
    fn insert_update(text: &str) -> Vec<u8> {
        let doc = yrs::Doc::new();
        let t = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        t.insert(&mut txn, 0, text);
        txn.encode_update_v1()
    }

    /// Decodes a sync step 2 or update frame and returns its payload.
    fn payload(frame: &Frame, message: u8, kind: u8) -> Vec<u8> {
        let Frame::Binary(b) = frame else {
            panic!("binary frame expected, got {frame:?}");
        };
        assert_eq!((b[0], b[1]), (message, kind), "message type");
        // Skip the var-uint length of the payload.
        let mut i = 2;
        while b[i] & 0x80 != 0 {
            i += 1;
        }
        b[i + 1..].to_vec()
    }

    /// The text `t` of a document built from `update`.
    fn text_in(update: &[u8]) -> String {
        let doc = yrs::Doc::new();
        let text = doc.get_or_insert_text("t");
        doc.transact_mut()
            .apply_update(yrs::Update::decode_v1(update).unwrap())
            .unwrap();
        text.get_string(&doc.transact())
    }

    /// A sync step 1 carrying an empty state vector (a client with nothing).
    fn empty_step1() -> Vec<u8> {
        let empty = yrs::StateVector::default();
        protocol::encode_sync_step1(&yrs::updates::encoder::Encode::encode_v1(&empty))
    }

    // ---- Against a real room ---------------------------------------------

    /// Joins connection `conn` to `room` as `role` with an outgoing queue of
    /// `queue` frames, then runs the loop on a task the way [`run`] does
    /// (serve, leave, close the transport). The task ends with how the loop
    /// ended.
    fn connect(
        room: &Arc<Room>,
        conn: ConnId,
        role: Role,
        queue: usize,
        stalled: bool,
    ) -> (Client, tokio::task::JoinHandle<Ended>) {
        let outbox = Arc::new(Outbox::new(queue));
        let peer = Peer {
            outbox: outbox.clone(),
            user_id: format!("user-{conn}"),
            username: format!("user-{conn}"),
            role,
            cap: Role::Owner,
            credential: None,
            acks: false,
            events: false,
            unacked: 0,
            acked_total: 0,
            client_ids: Vec::new(),
        };
        room.join(conn, peer).expect("room open");
        let (mut server, client) = transport(stalled);
        let room = room.clone();
        let task = tokio::spawn(async move {
            let ended = serve(&room, conn, &outbox, &settings(), &mut server).await;
            room.leave(conn);
            let close = match &ended {
                Ended::Close(c) => Some(c),
                Ended::ByClient => None,
            };
            close_gracefully(&mut server, close).await;
            ended
        });
        (client, task)
    }

    impl Client {
        /// Reads past the room's opening sync step 1 (sent on join).
        async fn skip_opening(&mut self) {
            let frame = self.recv().await;
            payload(&frame, 0, 0);
        }
        /// The next frame, which must be a close: its code.
        async fn close_code(&mut self) -> u16 {
            match self.recv().await {
                Frame::Close(code, _) => code,
                other => panic!("close expected, got {other:?}"),
            }
        }
    }

    fn room_text(room: &Room) -> String {
        room.with_doc(|d| d.get_or_insert_text("t").get_string(&d.transact()))
    }

    #[tokio::test]
    async fn a_real_room_answers_step1_with_step2_carrying_the_document() {
        let h = harness(100);
        h.room
            .server_update(&edit(7, "hello"), None)
            .expect("applied");
        let (mut client, task) = connect(&h.room, 1, Role::Editor, 16, false);
        client.skip_opening().await;
        client.send(empty_step1());
        let step2 = payload(&client.recv().await, 0, 1);
        assert_eq!(text_in(&step2), "hello");
        drop(client);
        assert_eq!(task.await.unwrap(), Ended::ByClient);
    }

    #[tokio::test]
    async fn a_real_room_relays_an_update_to_the_other_connection() {
        let h = harness(100);
        let (a, ta) = connect(&h.room, 1, Role::Editor, 16, false);
        let (mut b, tb) = connect(&h.room, 2, Role::Editor, 16, false);
        b.skip_opening().await;
        let update = edit(7, "relayed");
        a.send(protocol::encode_update(&update));
        assert_eq!(text_in(&payload(&b.recv().await, 0, 2)), "relayed");
        assert_eq!(room_text(&h.room), "relayed");
        drop((a, b));
        assert_eq!(ta.await.unwrap(), Ended::ByClient);
        assert_eq!(tb.await.unwrap(), Ended::ByClient);
    }

    #[tokio::test]
    async fn a_real_room_drops_a_read_only_update_and_keeps_the_socket() {
        // As in production: a viewer's edit is dropped (nothing applied,
        // relayed or persisted) and the connection stays open; viewers are
        // not closed for editing, since a demoted editor's client may
        // still hold unsent edits.
        let mut h = harness(100);
        let (mut viewer, tv) = connect(&h.room, 1, Role::Viewer, 16, false);
        let (mut editor, te) = connect(&h.room, 2, Role::Editor, 16, false);
        viewer.skip_opening().await;
        editor.skip_opening().await;
        viewer.send(protocol::encode_update(&edit(7, "nope")));
        // Messages are handled in order: the answer to this step 1 means
        // the update before it was handled, and the socket is still open.
        viewer.send(empty_step1());
        assert_eq!(text_in(&payload(&viewer.recv().await, 0, 1)), "");
        // Had the update been relayed, it would precede this answer.
        editor.send(empty_step1());
        payload(&editor.recv().await, 0, 1);
        assert_eq!(room_text(&h.room), "");
        assert!(h.persisted.try_recv().is_err(), "nothing persisted");
        drop((viewer, editor));
        assert_eq!(tv.await.unwrap(), Ended::ByClient);
        assert_eq!(te.await.unwrap(), Ended::ByClient);
    }

    #[tokio::test]
    async fn a_real_room_connection_closes_an_oversize_frame_with_1009() {
        let h = harness(100);
        let (mut client, task) = connect(&h.room, 1, Role::Editor, 16, false);
        client.skip_opening().await;
        // Over the loop's limit (settings: 1024 bytes), though well formed.
        let big = protocol::encode_update(&edit(7, &"x".repeat(2048)));
        assert!(big.len() > settings().max_message_bytes);
        client.send(big);
        assert_eq!(client.close_code().await, protocol::CLOSE_TOO_BIG);
        assert_eq!(
            task.await.unwrap(),
            Ended::Close(Close::new(protocol::CLOSE_TOO_BIG, "message too big"))
        );
        assert_eq!(room_text(&h.room), "", "the frame never reached the room");
        // Too big for the transport itself: the same close.
        let (mut client, task) = connect(&h.room, 2, Role::Editor, 16, false);
        client.skip_opening().await;
        let _ = client.to_server.send(Err(TransportError::TooBig));
        assert_eq!(client.close_code().await, protocol::CLOSE_TOO_BIG);
        assert!(
            matches!(task.await.unwrap(), Ended::Close(c) if c.code == protocol::CLOSE_TOO_BIG)
        );
    }

    #[tokio::test]
    async fn a_real_room_closes_a_slow_consumer() {
        let h = harness(1000);
        // This client never reads: its transport accepts nothing, so the
        // opening frame's write stalls and further frames pile up in a
        // queue of four.
        let (_slow, slow_task) = connect(&h.room, 1, Role::Editor, 4, true);
        let (mut busy, busy_task) = connect(&h.room, 2, Role::Editor, 64, false);
        busy.skip_opening().await;
        let started = Instant::now();
        for i in 0..8 {
            let update = edit(100 + i, "x");
            busy.send(protocol::encode_update(&update));
            // The sender gets its own update back: wait for each, so every
            // one has been broadcast before the next.
            payload(&busy.recv().await, 0, 2);
        }
        assert_eq!(
            slow_task.await.unwrap(),
            Ended::Close(Close::new(
                protocol::CLOSE_TRY_AGAIN,
                "too slow; reconnect to resync"
            ))
        );
        assert!(
            started.elapsed() < WRITE_TIMEOUT,
            "closed without waiting for the stuck write"
        );
        // The other connection is unaffected.
        busy.send(empty_step1());
        assert_eq!(text_in(&payload(&busy.recv().await, 0, 1)).len(), 8);
        drop(busy);
        assert_eq!(busy_task.await.unwrap(), Ended::ByClient);
    }

    // ---- Against the stand-in room -----------------------------------------

    #[tokio::test]
    async fn awareness_over_budget_is_dropped_and_updates_wait() {
        let room = Arc::new(FakeRoom::new());
        let outbox = room.join();
        let (mut server, mut client) = transport(false);
        let r = room.clone();
        let limits = Settings {
            rate_per_sec: 5,
            rate_burst: 2,
            ..settings()
        };
        let task = tokio::spawn(async move { serve(&*r, 1, &outbox, &limits, &mut server).await });
        // An empty awareness update: message type 1, one zero-length payload.
        for _ in 0..6 {
            client.send(vec![1, 1, 0]);
        }
        // A document message over budget is not lost: it waits for a token.
        let update = insert_update("late");
        let started = Instant::now();
        client.send(protocol::encode_update(&update));
        assert_eq!(payload(&client.recv().await, 0, 2), update);
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "the update waited"
        );
        assert_eq!(
            room.awareness.load(Ordering::Relaxed),
            2,
            "only the burst got through"
        );
        drop(client);
        assert_eq!(task.await.unwrap(), Ended::ByClient);
    }

    #[tokio::test]
    async fn text_frames_close_with_1003() {
        let room = FakeRoom::new();
        let outbox = room.join();
        let (mut server, client) = transport(false);
        let _ = client.to_server.send(Ok(Frame::Text("hi".into())));
        let ended = serve(&room, 1, &outbox, &settings(), &mut server).await;
        assert!(matches!(ended, Ended::Close(c) if c.code == protocol::CLOSE_UNSUPPORTED));
    }

    #[tokio::test]
    async fn close_sends_the_code_and_a_short_reason() {
        let (mut server, mut client) = transport(false);
        let long = "x".repeat(300);
        let _ = client
            .to_server
            .send(Ok(Frame::Close(protocol::CLOSE_NORMAL, String::new())));
        close_gracefully(
            &mut server,
            Some(&Close::new(protocol::CLOSE_TOO_BIG, long)),
        )
        .await;
        match client.recv().await {
            Frame::Close(code, reason) => {
                assert_eq!(code, protocol::CLOSE_TOO_BIG);
                assert_eq!(reason.len(), MAX_CLOSE_REASON);
            }
            other => panic!("close expected, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_expired_credential_closes_with_4401() {
        let room = FakeRoom::new();
        let outbox = room.join();
        let (mut server, _client) = transport(false);
        let s = Settings {
            expires_at: Instant::now() + Duration::from_millis(200),
            ..settings()
        };
        let ended = serve(&room, 1, &outbox, &s, &mut server).await;
        assert!(matches!(ended, Ended::Close(c) if c.code == protocol::CLOSE_UNAUTHENTICATED));
    }
}
