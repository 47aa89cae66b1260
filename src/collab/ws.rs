//! The y-websocket endpoint `GET /ws/doc/{id}`.
//!
//! Authentication happens at the upgrade, before anything is allocated for
//! the connection: `?token=`, `Authorization: Bearer` or the session cookie;
//! no identity → 401, no access → 403, too many connections → 429. After
//! the upgrade each connection has a reader (this task: decode, rate limit,
//! hand to the room) and a writer task (outbound queue → socket, pings).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use quire_doc::protocol::{self, ClientMessage};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::hub::ConnectionSlot;
use super::ratelimit::TokenBucket;
use super::room::{Close, ConnId, Outbound, Peer, PeerHandle, Room, codes};
use crate::api::extract::ApiQuery;
use crate::auth::extract::{bearer_token, cookie_token};
use crate::auth::{AuthError, Claims};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Role;

/// The editor schema version this server speaks (`?schema=`).
pub const SCHEMA_VERSION: u32 = 1;
/// Outbound frames queued per connection before it counts as too slow.
const OUTBOUND_QUEUE: usize = 1024;
/// A connection silent this long is closed (clients renew awareness every 15 s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
const PING_EVERY: Duration = Duration::from_secs(30);
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
    slot: ConnectionSlot,
}

async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    doc_id: &str,
    token: Option<String>,
) -> Result<Admitted, ApiError> {
    let token = token
        .or_else(|| bearer_token(headers).map(str::to_string))
        .or_else(|| cookie_token(headers))
        .ok_or(AuthError::Missing)?;
    let claims = state.authenticate(&token).await?;
    if claims.doc.as_deref().is_some_and(|d| d != doc_id) {
        return Err(ApiError::Forbidden("token is for another document".into()));
    }
    let role = state
        .store
        .role_of(doc_id, &claims.sub)
        .await?
        .ok_or_else(|| ApiError::Forbidden("no access to this document".into()))?;
    // A read-only API token edits nothing, whatever the user's role.
    let role = if claims.ro {
        role.min(Role::Viewer)
    } else {
        role
    };
    let slot = state.hub.acquire_connection(&claims.sub).ok_or_else(|| {
        ApiError::TooManyRequests("too many open connections for this user".into())
    })?;
    Ok(Admitted { claims, role, slot })
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
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
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
    ws.max_message_size(transport_max)
        .max_frame_size(transport_max)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(8 * 1024)
        .on_upgrade(move |socket| async move {
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

impl Connection {
    async fn run(self, socket: WebSocket) {
        let (mut sink, mut stream) = socket.split();
        if !self.schema_ok {
            let close = Close::new(
                codes::SCHEMA_OUTDATED,
                "editor schema outdated; reload the page",
            );
            let _ = sink.send(close_message(&close)).await;
            return;
        }
        let room = match self.state.hub.room(&self.doc_id).await {
            Ok(room) => room,
            Err(e) => {
                tracing::error!(doc = %self.doc_id, error = %e, "room load failed");
                let _ = sink
                    .send(close_message(&Close::new(
                        codes::INTERNAL,
                        "document unavailable",
                    )))
                    .await;
                return;
            }
        };
        let conn: ConnId = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel::<Outbound>(OUTBOUND_QUEUE);
        let handle = Arc::new(PeerHandle::default());
        let peer = Peer {
            tx,
            handle: handle.clone(),
            user_id: self.admitted.claims.sub.clone(),
            username: self.admitted.claims.name.clone(),
            role: self.admitted.role,
            acks: self.acks,
            unacked: 0,
            acked_total: 0,
            client_ids: Vec::new(),
        };
        if room.join(conn, peer).is_err() {
            let _ = sink
                .send(close_message(&Close::new(
                    codes::TRY_AGAIN,
                    "document reloading",
                )))
                .await;
            return;
        }
        self.state
            .hub
            .bus
            .report_presence(&self.doc_id, room.presence_records());
        let writer = tokio::spawn(write_loop(sink, rx, handle.clone()));
        let close = self.read_loop(&room, conn, &handle, &mut stream).await;
        if let Some(close) = close {
            handle.close(close);
            // Keep reading (and discarding) briefly so the client gets our
            // close frame rather than a reset from unread bytes.
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while let Some(Ok(msg)) = stream.next().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        } else {
            handle.kill.cancel();
        }
        room.leave(conn);
        self.state
            .hub
            .bus
            .report_presence(&self.doc_id, room.presence_records());
        let _ = writer.await;
        drop(self.admitted.slot);
    }

    /// Reads until the client leaves or must be closed; returns the close.
    async fn read_loop(
        &self,
        room: &Arc<Room>,
        conn: ConnId,
        handle: &PeerHandle,
        stream: &mut futures_util::stream::SplitStream<WebSocket>,
    ) -> Option<Close> {
        let limits = &self.state.config.limits;
        let mut bucket = TokenBucket::new(limits.ws_rate_per_sec, limits.ws_rate_burst);
        let expires_in = Duration::from_secs(
            self.admitted
                .claims
                .exp
                .saturating_sub((crate::util::now_ms() / 1000).max(0) as u64),
        );
        let expiry = tokio::time::sleep(expires_in);
        tokio::pin!(expiry);
        loop {
            let msg = tokio::select! {
                _ = handle.kill.cancelled() => return None,
                _ = &mut expiry => return Some(Close::new(codes::UNAUTHENTICATED, "session expired")),
                msg = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => msg,
            };
            let data: Bytes = match msg {
                Err(_) => return Some(Close::new(1001, "idle timeout")),
                Ok(None) | Ok(Some(Ok(Message::Close(_)))) => return None,
                Ok(Some(Err(e))) => return read_error(&e),
                Ok(Some(Ok(Message::Binary(data)))) => data,
                Ok(Some(Ok(Message::Text(_)))) => {
                    reject_metric("text_frame");
                    return Some(Close::new(1003, "binary frames only"));
                }
                Ok(Some(Ok(_))) => continue, // ping/pong
            };
            metrics::counter!("quire_ws_bytes_in_total").increment(data.len() as u64);
            if data.len() > limits.max_ws_message_bytes {
                reject_metric("too_big");
                return Some(Close::new(codes::TOO_BIG, "message too big"));
            }
            // Rate limit before decoding. Awareness over budget is dropped
            // (cursor floods are throttled); document messages wait (nothing
            // is lost); a client over budget for long is closed.
            let presence = matches!(data.first(), Some(1) | Some(3));
            if !bucket.try_take() {
                metrics::counter!("quire_rate_limited_total").increment(1);
                if bucket.seconds_over_budget() > FLOOD_GRACE_SECS {
                    reject_metric("flood");
                    return Some(Close::new(1008, "message flood"));
                }
                if presence {
                    continue;
                }
                tokio::time::sleep(bucket.wait()).await;
                bucket.take_after_wait();
            }
            if let Err(close) = self.handle_message(room, conn, &data) {
                return Some(close);
            }
        }
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

fn reject_metric(reason: &'static str) {
    metrics::counter!("quire_rejected_messages_total", "reason" => reason).increment(1);
}

fn read_error(e: &axum::Error) -> Option<Close> {
    let text = e.to_string();
    if text.contains("Space limit exceeded")
        || text.contains("too long")
        || text.contains("Capacity")
    {
        reject_metric("too_big");
        Some(Close::new(codes::TOO_BIG, "message too big"))
    } else if text.contains("UTF-8") || text.contains("utf-8") {
        reject_metric("invalid_utf8");
        Some(Close::new(1007, "invalid UTF-8"))
    } else {
        reject_metric("protocol");
        Some(Close::new(1002, "protocol error"))
    }
}

fn close_message(close: &Close) -> Message {
    // Close reasons are limited to 123 bytes.
    let mut reason = close.reason.clone();
    while reason.len() > 120 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame {
        code: close.code,
        reason: reason.into(),
    }))
}

/// Outbound queue → socket. Frames are fed in batches and flushed once.
async fn write_loop(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Outbound>,
    handle: Arc<PeerHandle>,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            biased;
            _ = handle.kill.cancelled() => {
                let close = handle.reason().unwrap_or_else(|| Close::new(1000, ""));
                let _ = tokio::time::timeout(Duration::from_secs(2), sink.send(close_message(&close))).await;
                break;
            }
            out = rx.recv() => {
                let Some(out) = out else { break };
                let oldest = out.at;
                let mut bytes = out.frame.len();
                if sink.feed(Message::Binary(out.frame)).await.is_err() {
                    break;
                }
                let mut n = 1;
                while n < 64 {
                    match rx.try_recv() {
                        Ok(o) => {
                            bytes += o.frame.len();
                            n += 1;
                            if sink.feed(Message::Binary(o.frame)).await.is_err() {
                                return;
                            }
                        }
                        Err(_) => break,
                    }
                }
                if sink.flush().await.is_err() {
                    break;
                }
                // Enqueue (relay) → written to the socket, for the oldest frame of the batch.
                metrics::histogram!("quire_fanout_seconds").record(oldest.elapsed().as_secs_f64());
                metrics::counter!("quire_ws_bytes_out_total").increment(bytes as u64);
            }
            _ = ping.tick() => {
                if sink.send(Message::Ping(Bytes::new())).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = sink.close().await;
}
