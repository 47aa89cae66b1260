//! `GET /api/events`: the caller's document-list events as server-sent
//! events (`created`, `updated`, `shared`, `unshared`, `deleted`) and a
//! `notification` event when a notification is recorded for the caller, from
//! every instance (see [`crate::feed`]). A comment line every 15 s keeps
//! proxies from closing an idle stream. The stream ends when the caller's
//! session is revoked, when it fell too far behind, or on shutdown; a client that
//! reconnects refetches its list.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ErrorBody;
use super::extract::AuthUser;
use crate::feed::Notice;
use crate::state::AppState;

/// How often an idle stream carries a comment line.
const HEARTBEAT: Duration = Duration::from_secs(15);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Live changes to the caller's document list, as `text/event-stream`:
/// each event is an `event: <type>` line and one `data:` line of JSON,
/// `{type, document}` for created/updated/shared (the document shape with
/// the caller's role) and `{type, document_id}` for unshared/deleted;
/// `notification` carries `{type: "notification", notification: {type,
/// document_id}}` (fetch `GET /api/notifications` for the rest).
#[utoipa::path(get, path = "/api/events", tag = "documents",
    responses((status = 200, description = "a stream of server-sent events", content_type = "text/event-stream", body = String),
        (status = 401, description = "no valid credentials", body = ErrorBody)))]
async fn events(State(state): State<AppState>, user: AuthUser) -> impl IntoResponse {
    let stream = notices(
        state.feed.listen(),
        state.feed.closing(),
        user.id,
        user.claims.sid,
    );
    (
        // Proxies must pass events on as they come.
        [(header::HeaderName::from_static("x-accel-buffering"), "no")],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT)),
    )
}

/// The events of `user_id` among the feed's notices, until the session
/// `sid` is revoked or the receiver lags.
fn notices(
    rx: tokio::sync::broadcast::Receiver<std::sync::Arc<Notice>>,
    closing: tokio_util::sync::CancellationToken,
    user_id: String,
    sid: Option<String>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(rx, move |mut rx| {
        let user_id = user_id.clone();
        let sid = sid.clone();
        let closing = closing.clone();
        async move {
            loop {
                let received = tokio::select! {
                    () = closing.cancelled() => return None,
                    r = rx.recv() => r,
                };
                let notice = match received {
                    Ok(n) => n,
                    // Fell behind (or shutting down): end, so the client
                    // reconnects and refetches.
                    Err(RecvError::Lagged(_) | RecvError::Closed) => return None,
                };
                match &*notice {
                    Notice::List(event) => {
                        if let Some(data) = event.data_for(&user_id) {
                            let sse = Event::default().event(event.change.as_str()).data(data);
                            return Some((Ok(sse), rx));
                        }
                    }
                    Notice::Notified { items } => {
                        if let Some(n) = items.iter().find(|n| n.user_id == user_id) {
                            let sse = Event::default().event("notification").data(n.data());
                            return Some((Ok(sse), rx));
                        }
                    }
                    Notice::SessionsRevoked { sids } => {
                        if sid.as_ref().is_some_and(|s| sids.contains(s)) {
                            return None;
                        }
                    }
                }
            }
        }
    })
}
