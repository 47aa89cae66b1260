//! The y-websocket endpoint `GET /ws/doc/{id}`: the WebSocket handshake,
//! admission, and the adapter that hands the socket to
//! `collab::connection` as a stream and sink of frames.
//!
//! Admission happens before anything is allocated for the connection: the
//! token (`?token=`, `Authorization: Bearer` or the session cookie; a
//! cookie only from our own pages or configured origins), its scope, the
//! caller's role on the document (capped for read-only tokens) and the
//! per-user connection limit. No identity → 401, no access → 403, too many
//! connections → 429. An outdated editor schema is told with close 4426
//! after the upgrade.
//!
//! The handshake (RFC 6455 section 4.2) is done here rather than with
//! axum's `WebSocketUpgrade` so the connection gets the `tokio-tungstenite`
//! stream itself. That lets a large message (the initial sync of a big
//! document) go out as several WebSocket fragments: tungstenite keeps its
//! write buffer's capacity for the life of the connection, so writing a
//! 50 KB sync step 2 in one frame would pin 50 KB+ to every idle connection
//! of that document. Clients reassemble fragments transparently (the
//! browser's and Node's WebSocket APIs deliver one message either way).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt, stream};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use quire_doc::protocol;
use serde::Deserialize;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame as WsFrame, Utf8Bytes};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role as WsRole, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, error::CapacityError};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery, AuthVia, credentials};
use crate::auth::{Access, AuthError, authorize, role_cap};
use crate::collab::connection::{self, Admission, Frame, Transport, TransportError};
use crate::collab::hub::ConnectionSlot;
use crate::collab::room::{Close, Credential};
use crate::metrics;
use crate::state::AppState;

/// tungstenite's read buffer is allocated up front and kept for the
/// connection's life; typing updates and awareness fit in one read, larger
/// messages take several reads.
const READ_BUFFER: usize = 512;
/// tungstenite writes to the socket once this much is buffered (and on flush).
const WRITE_BUFFER: usize = 4 * 1024;
/// Larger messages are sent as fragments of this size.
const FRAGMENT: usize = 4 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upgrade))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsParams {
    /// Session token (else `Authorization: Bearer` or the session cookie).
    token: Option<String>,
    /// `1`: receive message type 100 once your updates are durable.
    acks: Option<String>,
    /// `1`: receive live document events (message type 101: metadata,
    /// role, members, versions).
    events: Option<String>,
    /// Editor schema version; older than the server's → close 4426.
    schema: Option<u32>,
}

async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    doc_id: &str,
    token: Option<String>,
) -> Result<(Admission, ConnectionSlot), ApiError> {
    let (token, via) = credentials(headers, token).ok_or(AuthError::Missing)?;
    // A browser sends the cookie whichever page opens the socket: only our
    // own pages (and configured origins) may use it.
    if via == AuthVia::Cookie && !origin_allowed(headers, &state.config.allowed_origins) {
        return Err(ApiError::Forbidden(
            "cross-origin WebSocket with a session cookie".into(),
        ));
    }
    let claims = state.auth.authenticate(&token).await?;
    // Not a document id (a NUL, not a UUID): no such document, before any
    // query naming it (PostgreSQL cannot even hold some of these strings).
    super::validate::path_id(doc_id)?;
    authorize(&claims, Access::Document(doc_id))?;
    let role = state
        .store
        .role_of(doc_id, &claims.sub)
        .await?
        .ok_or_else(|| ApiError::Forbidden("no access to this document".into()))?;
    let cap = role_cap(&claims);
    let slot = state.hub.acquire_connection(&claims.sub).ok_or_else(|| {
        ApiError::TooManyRequests("too many open connections for this user".into())
    })?;
    let admission = Admission {
        role: role.min(cap),
        cap,
        credential: match (claims.tid, claims.sid) {
            (Some(token), _) => Some(Credential::ApiToken(token)),
            (None, Some(session)) => Some(Credential::Session(session)),
            (None, None) => None,
        },
        expires_at_unix: claims.exp,
        user_id: claims.sub,
        username: claims.name,
        acks: false,
        events: false,
    };
    Ok((admission, slot))
}

/// True when the request has no `Origin` (not a browser page), or its
/// origin's host is the `Host` the request was sent to, or it is listed.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
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
        .get(header::HOST)
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
    responses((status = 101, description = "switching protocols"),
        (status = 400, description = "not a WebSocket upgrade request (e.g. a plain GET), or a malformed parameter", body = ErrorBody),
        (status = 403, description = "no access to the document, or a session cookie from another origin", body = ErrorBody),
        (status = 426, description = "unsupported WebSocket version (13 expected)", body = ErrorBody),
        (status = 429, description = "too many open connections for this user", body = ErrorBody)))]
async fn upgrade(
    State(state): State<AppState>,
    ApiPath(doc_id): ApiPath<String>,
    ApiQuery(params): ApiQuery<WsParams>,
    headers: HeaderMap,
    ws: Result<WsUpgrade, ApiError>,
) -> Response {
    let (mut admission, slot) = match admit(&state, &headers, &doc_id, params.token).await {
        Ok(a) => a,
        Err(e) => {
            metrics::ws_refused(e.status().as_u16());
            return e.into_response();
        }
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let on = |flag: &Option<String>| flag.as_deref().is_some_and(|v| v == "1" || v == "true");
    admission.acks = on(&params.acks);
    admission.events = on(&params.events);
    let schema_ok = params
        .schema
        .is_none_or(|s| s >= protocol::EDITOR_SCHEMA_VERSION);
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
        let transport = frames(socket);
        if schema_ok {
            connection::run(&state.hub, &doc_id, admission, transport).await;
        } else {
            let close = Close::new(
                protocol::CLOSE_SCHEMA_OUTDATED,
                "editor schema outdated; reload the page",
            );
            connection::refuse(transport, close).await;
        }
        drop(slot);
    })
}

/// The socket as a [`Transport`] of frames.
fn frames(socket: Socket) -> impl Transport {
    AlwaysGone(socket.with_flat_map(|frame: Frame| stream::iter(Outgoing::new(frame))))
        .map(incoming)
}

/// Maps every write error to [`TransportError::Gone`]. (futures'
/// `sink_map_err` panics when polled again after its first error, and
/// closing a socket whose write already failed does exactly that.)
struct AlwaysGone<S>(S);

impl<S: futures_util::Sink<Frame, Error = WsError> + Unpin> futures_util::Sink<Frame>
    for AlwaysGone<S>
{
    type Error = TransportError;

    fn poll_ready(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), TransportError>> {
        self.0
            .poll_ready_unpin(cx)
            .map_err(|_| TransportError::Gone)
    }

    fn start_send(mut self: std::pin::Pin<&mut Self>, item: Frame) -> Result<(), TransportError> {
        self.0
            .start_send_unpin(item)
            .map_err(|_| TransportError::Gone)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), TransportError>> {
        self.0
            .poll_flush_unpin(cx)
            .map_err(|_| TransportError::Gone)
    }

    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), TransportError>> {
        self.0
            .poll_close_unpin(cx)
            .map_err(|_| TransportError::Gone)
    }
}

impl<S: futures_util::Stream + Unpin> futures_util::Stream for AlwaysGone<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<S::Item>> {
        self.0.poll_next_unpin(cx)
    }
}

/// One frame from the client.
fn incoming(msg: Result<Message, WsError>) -> Result<Frame, TransportError> {
    match msg {
        Ok(Message::Binary(data)) => Ok(Frame::Binary(data)),
        Ok(Message::Text(text)) => Ok(Frame::Text(text.as_str().to_owned())),
        Ok(Message::Ping(data)) => Ok(Frame::Ping(data)),
        Ok(Message::Pong(data)) => Ok(Frame::Pong(data)),
        Ok(Message::Close(Some(cf))) => Ok(Frame::Close(u16::from(cf.code), cf.reason.to_string())),
        Ok(Message::Close(None)) => Ok(Frame::Close(protocol::CLOSE_NO_STATUS, String::new())),
        // Raw frames are only ever written, never read: treat as a no-op.
        Ok(Message::Frame(_)) => Ok(Frame::Pong(Bytes::new())),
        Err(WsError::ConnectionClosed | WsError::AlreadyClosed | WsError::Io(_)) => {
            Err(TransportError::Gone)
        }
        Err(WsError::Capacity(CapacityError::MessageTooLong { .. })) => Err(TransportError::TooBig),
        Err(WsError::Utf8(_)) => Err(TransportError::InvalidUtf8),
        Err(_) => Err(TransportError::Protocol),
    }
}

/// The WebSocket messages of one outgoing frame. Binary messages above
/// [`FRAGMENT`] bytes go out as several fragments of one message, so
/// tungstenite's write buffer (which never shrinks) stays small.
struct Outgoing {
    whole: Option<Message>,
    rest: Bytes,
    continued: bool,
}

impl Outgoing {
    fn new(frame: Frame) -> Self {
        let whole = match frame {
            Frame::Binary(data) if data.len() > FRAGMENT => {
                return Self {
                    whole: None,
                    rest: data,
                    continued: false,
                };
            }
            Frame::Binary(data) => Message::Binary(data),
            Frame::Text(text) => Message::Text(text.into()),
            Frame::Ping(data) => Message::Ping(data),
            Frame::Pong(data) => Message::Pong(data),
            Frame::Close(code, reason) => Message::Close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: Utf8Bytes::from(reason),
            })),
        };
        Self {
            whole: Some(whole),
            rest: Bytes::new(),
            continued: false,
        }
    }
}

impl Iterator for Outgoing {
    type Item = Result<Message, WsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(msg) = self.whole.take() {
            return Some(Ok(msg));
        }
        if self.rest.is_empty() {
            return None;
        }
        let part = self.rest.split_to(self.rest.len().min(FRAGMENT));
        let opcode = if self.continued {
            OpCode::Data(Data::Continue)
        } else {
            OpCode::Data(Data::Binary)
        };
        self.continued = true;
        Some(Ok(Message::Frame(WsFrame::message(
            part,
            opcode,
            self.rest.is_empty(),
        ))))
    }
}

/// An accepted WebSocket.
pub type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// A request that asks to become a WebSocket (HTTP/1.1 `Upgrade`).
pub struct WsUpgrade {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
}

/// Why a request cannot be upgraded.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error("WebSocket upgrades use GET")]
    MethodNotGet,
    #[error("not a WebSocket upgrade request (Connection: upgrade, Upgrade: websocket expected)")]
    NotUpgrade,
    #[error("unsupported WebSocket version (13 expected)")]
    Version,
    #[error("Sec-WebSocket-Key missing")]
    Key,
    #[error("this connection cannot be upgraded")]
    NotUpgradable,
}

/// `true` when the comma-separated `name` header lists `token`.
fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

impl<S: Send + Sync> FromRequestParts<S> for WsUpgrade {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::from_parts(parts).map_err(ApiError::from)
    }
}

impl WsUpgrade {
    /// The upgrade a request asks for, or why it cannot have one.
    fn from_parts(parts: &mut Parts) -> Result<Self, UpgradeError> {
        if parts.method != Method::GET {
            return Err(UpgradeError::MethodNotGet);
        }
        if parts.version > Version::HTTP_11
            || !header_has_token(&parts.headers, header::CONNECTION, "upgrade")
            || !header_has_token(&parts.headers, header::UPGRADE, "websocket")
        {
            return Err(UpgradeError::NotUpgrade);
        }
        if parts
            .headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_none_or(|v| v.as_bytes() != b"13")
        {
            return Err(UpgradeError::Version);
        }
        let key = parts
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .filter(|k| !k.is_empty())
            .cloned()
            .ok_or(UpgradeError::Key)?;
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(UpgradeError::NotUpgradable)?;
        Ok(Self { key, on_upgrade })
    }

    /// Answers 101 Switching Protocols and runs `serve` on the socket once
    /// hyper hands the connection over.
    pub fn on_upgrade<F, Fut>(self, config: WebSocketConfig, serve: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let accept = derive_accept_key(self.key.as_bytes());
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(u) => u,
                Err(e) => {
                    tracing::debug!(error = %e, "WebSocket upgrade failed");
                    return;
                }
            };
            let socket = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                WsRole::Server,
                Some(config),
            )
            .await;
            serve(socket).await;
        });
        let mut resp = StatusCode::SWITCHING_PROTOCOLS.into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(v) = HeaderValue::from_str(&accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_binary_messages_go_out_as_fragments() {
        let small: Vec<_> =
            Outgoing::new(Frame::Binary(Bytes::from(vec![7u8; FRAGMENT]))).collect();
        assert!(matches!(small.as_slice(), [Ok(Message::Binary(b))] if b.len() == FRAGMENT));

        let data = Bytes::from(vec![7u8; 2 * FRAGMENT + 10]);
        let parts: Vec<WsFrame> = Outgoing::new(Frame::Binary(data))
            .map(|m| match m {
                Ok(Message::Frame(f)) => f,
                other => panic!("a raw fragment expected, got {other:?}"),
            })
            .collect();
        let shape: Vec<(OpCode, bool, usize)> = parts
            .iter()
            .map(|f| (f.header().opcode, f.header().is_final, f.payload().len()))
            .collect();
        assert_eq!(
            shape,
            [
                (OpCode::Data(Data::Binary), false, FRAGMENT),
                (OpCode::Data(Data::Continue), false, FRAGMENT),
                (OpCode::Data(Data::Continue), true, 10),
            ]
        );
    }

    #[test]
    fn cookie_sockets_only_from_our_own_or_listed_origins() {
        let h = |origin: Option<&str>, host: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, host.parse().unwrap());
            if let Some(o) = origin {
                h.insert(header::ORIGIN, o.parse().unwrap());
            }
            h
        };
        let listed = vec!["https://editor.example/".to_string()];
        assert!(origin_allowed(&h(None, "quire.test"), &[]));
        assert!(origin_allowed(
            &h(Some("https://quire.test:8443"), "quire.test:3000"),
            &[]
        ));
        assert!(origin_allowed(
            &h(Some("http://[::1]:5173"), "[::1]:3000"),
            &[]
        ));
        assert!(!origin_allowed(
            &h(Some("https://evil.test"), "quire.test"),
            &[]
        ));
        assert!(origin_allowed(
            &h(Some("https://editor.example"), "quire.test"),
            &listed
        ));
    }
}
