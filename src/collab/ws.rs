//! The y-websocket endpoint `GET /ws/doc/{id}`.
//!
//! Authentication happens at the upgrade, before anything is allocated for
//! the connection: `?token=`, `Authorization: Bearer` or the session cookie;
//! no identity → 401, no access → 403, too many connections → 429. After
//! the upgrade each connection is one task that reads (decode, rate limit,
//! hand to the room) and writes what the room queued in its [`Outbox`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use quire_doc::protocol::{self, ClientMessage};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, Utf8Bytes};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, error::CapacityError};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::hub::ConnectionSlot;
use super::outbox::{Drained, Outbound, Outbox};
use super::ratelimit::TokenBucket;
use super::room::{Close, ConnId, Peer, Room, codes};
use super::upgrade::{Socket, UpgradeError, WsUpgrade};
use crate::api::extract::ApiQuery;
use crate::auth::extract::{bearer_token, cookie_token};
use crate::auth::{AuthError, Claims};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Role;

/// The editor schema version this server speaks (`?schema=`).
pub const SCHEMA_VERSION: u32 = 1;
/// A connection silent this long is closed (clients renew awareness every 15 s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
const PING_EVERY: Duration = Duration::from_secs(30);
/// tungstenite's read buffer is allocated up front and kept for the
/// connection's life; typing updates and awareness fit in one read, larger
/// messages take several reads.
const READ_BUFFER: usize = 512;
/// tungstenite writes to the socket once this much is buffered (and on flush).
const WRITE_BUFFER: usize = 4 * 1024;
/// Larger messages are sent as fragments of this size.
const FRAGMENT: usize = 4 * 1024;
/// Frames written per flush.
const WRITE_BATCH: usize = 64;
/// How long one batch may take to reach the socket before the client counts
/// as gone (a frozen tab that stopped reading but keeps the TCP connection).
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a ping or close frame may wait on a client that does not read.
const WRITE_STALL: Duration = Duration::from_secs(2);
/// Seconds a client may stay over its message budget before it is closed.
const FLOOD_GRACE_SECS: u32 = 10;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upgrade))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct WsParams {
    /// Session token (else `Authorization: Bearer` or the session cookie).
    token: Option<String>,
    /// `1`: receive message type 100 once your updates are durable.
    acks: Option<String>,
    /// Editor schema version; older than the server's → close 4426.
    schema: Option<u32>,
}

struct Admitted {
    claims: Claims,
    role: Role,
    cap: Role,
    slot: ConnectionSlot,
}

async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    doc_id: &str,
    token: Option<String>,
) -> Result<Admitted, ApiError> {
    let explicit = token.or_else(|| bearer_token(headers).map(str::to_string));
    let by_cookie = explicit.is_none();
    let token = explicit
        .or_else(|| cookie_token(headers))
        .ok_or(AuthError::Missing)?;
    // A browser sends the cookie whichever page opens the socket: only our
    // own pages (and configured origins) may use it.
    if by_cookie && !origin_allowed(headers, &state.config.allowed_origins) {
        return Err(ApiError::Forbidden(
            "cross-origin WebSocket with a session cookie".into(),
        ));
    }
    let claims = state.authenticate(&token).await?;
    // Not a document id (a NUL, not a UUID): no such document, before any
    // query naming it (PostgreSQL cannot even hold some of these strings).
    crate::api::validate::path_id(doc_id)?;
    if claims.doc.as_deref().is_some_and(|d| d != doc_id) {
        return Err(ApiError::Forbidden("token is for another document".into()));
    }
    let role = state
        .store
        .role_of(doc_id, &claims.sub)
        .await?
        .ok_or_else(|| ApiError::Forbidden("no access to this document".into()))?;
    // A read-only API token edits nothing, whatever the user's role: the
    // cap stays with the connection through every later role change.
    let cap = if claims.ro { Role::Viewer } else { Role::Owner };
    let slot = state.hub.acquire_connection(&claims.sub).ok_or_else(|| {
        ApiError::TooManyRequests("too many open connections for this user".into())
    })?;
    Ok(Admitted {
        role: role.min(cap),
        cap,
        claims,
        slot,
    })
}

/// True when the request has no `Origin` (not a browser page), or its
/// origin's host is the `Host` the request was sent to, or it is listed.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    // Host names only: cookies are not scoped by port, and a proxy may pass
    // `Host` without one.
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_name);
    let origin_host = origin.split_once("://").map(|(_, rest)| host_name(rest));
    matches!((origin_host, host), (Some(o), Some(h)) if !o.is_empty() && o.eq_ignore_ascii_case(h))
}

/// `host[:port]` or `[v6]:port` without the port.
fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

/// Real-time editing: upgrades to a WebSocket speaking the y-websocket
/// protocol (sync step 1/2/update, awareness, query-awareness). Close codes
/// 4401/4403/4404/4413/4426 are permanent.
#[utoipa::path(get, path = "/ws/doc/{id}", tag = "content", params(("id" = String, Path), WsParams),
    responses((status = 101, description = "switching protocols"), (status = 401), (status = 403), (status = 429)))]
async fn upgrade(
    State(state): State<AppState>,
    Path(doc_id): Path<String>,
    ApiQuery(params): ApiQuery<WsParams>,
    headers: HeaderMap,
    ws: Result<WsUpgrade, UpgradeError>,
) -> Response {
    let admitted = match admit(&state, &headers, &doc_id, params.token).await {
        Ok(a) => a,
        Err(e) => {
            metrics::counter!("quire_ws_refused_total", "status" => e.status().as_str().to_string()).increment(1);
            return e.into_response();
        }
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let acks = params
        .acks
        .as_deref()
        .is_some_and(|v| v == "1" || v == "true");
    let schema_ok = params.schema.is_none_or(|s| s >= SCHEMA_VERSION);
    let limit = state.config.limits.max_ws_message_bytes;
    // The transport accepts up to 4× the limit so an oversized message is
    // read whole and refused with a clean 1009 (a transport error would drop
    // the connection with unread bytes, which the client sees as a reset).
    let transport_max = limit.saturating_mul(4).max(limit + 64);
    let config = WebSocketConfig::default()
        .max_message_size(Some(transport_max))
        .max_frame_size(Some(transport_max))
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER);
    ws.on_upgrade(config, move |socket| async move {
        let conn = Connection {
            state,
            doc_id,
            admitted,
            acks,
            schema_ok,
        };
        conn.run(socket).await;
    })
}

struct Connection {
    state: AppState,
    doc_id: String,
    admitted: Admitted,
    acks: bool,
    schema_ok: bool,
}

/// Why [`Connection::serve`] stopped.
enum Ended {
    /// The client closed the connection or it broke.
    ByClient,
    /// We close it with this code and reason.
    Close(Close),
}

impl Connection {
    async fn run(self, mut socket: Socket) {
        if !self.schema_ok {
            let close = Close::new(
                codes::SCHEMA_OUTDATED,
                "editor schema outdated; reload the page",
            );
            close_gracefully(&mut socket, Some(&close)).await;
            return;
        }
        let room = match self.state.hub.room(&self.doc_id).await {
            Ok(room) => room,
            Err(e) => {
                tracing::error!(doc = %self.doc_id, error = %e, "room load failed");
                let close = Close::new(codes::INTERNAL, "document unavailable");
                close_gracefully(&mut socket, Some(&close)).await;
                return;
            }
        };
        // One user may not hold unbounded memory open across documents.
        let max = self.state.config.persistence.max_user_resident_bytes;
        if max > 0
            && self
                .state
                .hub
                .user_resident_bytes(&self.admitted.claims.sub, &room)
                > max
        {
            metrics::counter!("quire_rejected_messages_total", "reason" => "user_resident_memory")
                .increment(1);
            let close = Close::new(
                codes::DOC_TOO_LARGE,
                "your open documents use too much memory; close some and retry",
            );
            close_gracefully(&mut socket, Some(&close)).await;
            return;
        }
        let conn: ConnId = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
        let outbox = Arc::new(Outbox::new(self.state.config.limits.ws_outbound_queue));
        let peer = Peer {
            outbox: outbox.clone(),
            user_id: self.admitted.claims.sub.clone(),
            username: self.admitted.claims.name.clone(),
            role: self.admitted.role,
            cap: self.admitted.cap,
            credential: self.admitted.claims.tid.clone(),
            acks: self.acks,
            unacked: 0,
            acked_total: 0,
            client_ids: Vec::new(),
        };
        if room.join(conn, peer).is_err() {
            let close = Close::new(codes::TRY_AGAIN, "document reloading");
            close_gracefully(&mut socket, Some(&close)).await;
            return;
        }
        self.state
            .hub
            .bus
            .report_presence(&self.doc_id, room.presence_records());
        let ended = self.serve(&room, conn, &outbox, &mut socket).await;
        room.leave(conn);
        self.state
            .hub
            .bus
            .report_presence(&self.doc_id, room.presence_records());
        match ended {
            Ended::Close(close) => close_gracefully(&mut socket, Some(&close)).await,
            Ended::ByClient => close_gracefully(&mut socket, None).await,
        }
        drop(self.admitted.slot);
    }

    /// The connection's only task: reads client messages, writes what the
    /// room queued, pings, and enforces the idle timeout and token expiry.
    /// One task (instead of a reader and a writer) keeps an idle connection
    /// small; writes do not stall reads for long because frames are written
    /// in batches and a peer that falls too far behind is closed by the room.
    async fn serve(
        &self,
        room: &Arc<Room>,
        conn: ConnId,
        outbox: &Outbox,
        socket: &mut Socket,
    ) -> Ended {
        let limits = &self.state.config.limits;
        let mut bucket = TokenBucket::new(limits.ws_rate_per_sec, limits.ws_rate_burst);
        let now = Instant::now();
        let expires_at = now
            + Duration::from_secs(
                self.admitted
                    .claims
                    .exp
                    .saturating_sub((crate::util::now_ms() / 1000).max(0) as u64),
            );
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
                    if !batch.is_empty() && write_batch(socket, &mut batch, outbox).await.is_err() {
                        return match outbox.close_reason() {
                            Some(close) => Ended::Close(close),
                            None => Ended::ByClient,
                        };
                    }
                    if let Drained::Close(close) = drained {
                        return Ended::Close(close);
                    }
                }
                msg = socket.next() => {
                    last_read = Instant::now();
                    let data = match msg {
                        None | Some(Ok(Message::Close(_))) => return Ended::ByClient,
                        Some(Err(e)) => return read_error(&e).map_or(Ended::ByClient, Ended::Close),
                        Some(Ok(Message::Binary(data))) => data,
                        Some(Ok(Message::Text(_))) => {
                            reject_metric("text_frame");
                            return Ended::Close(Close::new(1003, "binary frames only"));
                        }
                        Some(Ok(_)) => continue, // ping/pong
                    };
                    if let Err(close) = self.receive(room, conn, &mut bucket, &data).await {
                        return Ended::Close(close);
                    }
                }
                () = &mut timer => {
                    let now = Instant::now();
                    if now >= expires_at {
                        return Ended::Close(Close::new(codes::UNAUTHENTICATED, "session expired"));
                    }
                    if now >= last_read + IDLE_TIMEOUT {
                        return Ended::Close(Close::new(1001, "idle timeout"));
                    }
                    if now >= next_ping {
                        let ping = socket.send(Message::Ping(Bytes::new()));
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
    async fn receive(
        &self,
        room: &Arc<Room>,
        conn: ConnId,
        bucket: &mut TokenBucket,
        data: &Bytes,
    ) -> Result<(), Close> {
        let limits = &self.state.config.limits;
        metrics::counter!("quire_ws_bytes_in_total").increment(data.len() as u64);
        if data.len() > limits.max_ws_message_bytes {
            reject_metric("too_big");
            return Err(Close::new(codes::TOO_BIG, "message too big"));
        }
        // Rate limit before decoding. Awareness over budget is dropped
        // (cursor floods are throttled); document messages wait (nothing is
        // lost); a client over budget for long is closed.
        let presence = matches!(data.first(), Some(1) | Some(3));
        if !bucket.try_take() {
            metrics::counter!("quire_rate_limited_total").increment(1);
            if bucket.seconds_over_budget() > FLOOD_GRACE_SECS {
                reject_metric("flood");
                return Err(Close::new(1008, "message flood"));
            }
            if presence {
                return Ok(());
            }
            tokio::time::sleep(bucket.wait()).await;
            bucket.take_after_wait();
        }
        self.handle_message(room, conn, data)
    }

    fn handle_message(&self, room: &Arc<Room>, conn: ConnId, data: &[u8]) -> Result<(), Close> {
        let msg = protocol::decode_client_message(data).map_err(|e| {
            reject_metric(e.reason());
            Close::new(e.close_code(), format!("malformed message: {}", e.reason()))
        })?;
        match msg {
            ClientMessage::SyncStep1 { state_vector } => room.sync_step1(conn, state_vector),
            ClientMessage::SyncStep2 { update } | ClientMessage::Update { update } => {
                room.client_update(conn, update).map(|_| ())
            }
            ClientMessage::Awareness { update } => room.client_awareness(conn, update),
            ClientMessage::QueryAwareness => {
                room.query_awareness(conn);
                Ok(())
            }
            ClientMessage::Auth { .. } => {
                reject_metric("auth_message");
                Err(Close::new(1003, "auth messages are not accepted"))
            }
        }
    }
}

/// Writes a drained batch and flushes once. Gives up (Err) when the socket
/// fails, or when the room closes this peer while the write is stuck on a
/// client that stopped reading.
async fn write_batch(
    socket: &mut Socket,
    batch: &mut Vec<Outbound>,
    outbox: &Outbox,
) -> Result<(), ()> {
    let oldest = batch.first().map(|o| o.at);
    let bytes: usize = batch.iter().map(|o| o.frame.len()).sum();
    let write = async {
        for out in batch.drain(..) {
            feed_frame(socket, out.frame).await?;
        }
        socket.flush().await
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
        // Enqueue (relay) → written to the socket, for the oldest frame of the batch.
        metrics::histogram!("quire_fanout_seconds").record(oldest.elapsed().as_secs_f64());
    }
    metrics::counter!("quire_ws_bytes_out_total").increment(bytes as u64);
    Ok(())
}

/// Sends our close frame (if any), then keeps reading (and discarding)
/// briefly so the client gets the close frame rather than a reset from
/// unread bytes, and finally completes the close handshake.
async fn close_gracefully(socket: &mut Socket, close: Option<&Close>) {
    if let Some(close) = close {
        let sent = tokio::time::timeout(WRITE_STALL, socket.send(close_message(close))).await;
        if matches!(sent, Ok(Ok(()))) {
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while let Some(Ok(msg)) = socket.next().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
    }
    let _ = tokio::time::timeout(WRITE_STALL, SinkExt::close(socket)).await;
}

fn reject_metric(reason: &'static str) {
    metrics::counter!("quire_rejected_messages_total", "reason" => reason).increment(1);
}

fn read_error(e: &WsError) -> Option<Close> {
    match e {
        WsError::ConnectionClosed | WsError::AlreadyClosed | WsError::Io(_) => None,
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
            reject_metric("too_big");
            Some(Close::new(codes::TOO_BIG, "message too big"))
        }
        WsError::Utf8(_) => {
            reject_metric("invalid_utf8");
            Some(Close::new(1007, "invalid UTF-8"))
        }
        _ => {
            reject_metric("protocol");
            Some(Close::new(1002, "protocol error"))
        }
    }
}

/// Queues one y-websocket message. Messages above [`FRAGMENT`] bytes go
/// out as several WebSocket fragments of one message, so tungstenite's
/// write buffer (which never shrinks) stays small; see [`super::upgrade`].
async fn feed_frame(socket: &mut Socket, frame: Bytes) -> Result<(), WsError> {
    if frame.len() <= FRAGMENT {
        return socket.feed(Message::Binary(frame)).await;
    }
    let mut rest = frame;
    let mut opcode = OpCode::Data(Data::Binary);
    while !rest.is_empty() {
        let part = rest.split_to(rest.len().min(FRAGMENT));
        let last = rest.is_empty();
        socket
            .feed(Message::Frame(Frame::message(part, opcode, last)))
            .await?;
        opcode = OpCode::Data(Data::Continue);
    }
    Ok(())
}

fn close_message(close: &Close) -> Message {
    // Close reasons are limited to 123 bytes.
    let mut reason = close.reason.clone();
    while reason.len() > 120 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(close.code),
        reason: Utf8Bytes::from(reason),
    }))
}
