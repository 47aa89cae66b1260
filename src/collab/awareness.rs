//! Awareness (presence) in a room: the per-client state, socket binding,
//! the identity stamp, and per-tick coalescing of broadcasts. The server
//! overwrites `user.id` and `user.name` in every state with the
//! authenticated user, so nobody can appear as someone else.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use quire_doc::guard::{self, AwarenessEntry};
use quire_doc::protocol;
use serde_json::{Map, Value};

use super::room::{Close, ConnId, Room, RoomInner, broadcast, reject, send_or_close};
use crate::bus::BusPayload;

/// Awareness changes within one tick go out as one message.
pub const TICK: Duration = Duration::from_millis(20);

/// One socket may announce only a few awareness client ids (one per Y.Doc).
pub const MAX_CLIENT_IDS_PER_SOCKET: usize = 8;

/// Largest awareness state kept, bytes of JSON.
pub const MAX_STATE_BYTES: usize = 16 * 1024;

pub struct AwarenessState {
    pub clock: u64,
    /// JSON text, stamped; `"null"` for a removal not yet broadcast.
    pub state: String,
    /// The owning connection (0 for states learnt from other instances).
    pub conn: u64,
}

/// Awareness client ids remembered per room (owner binding); beyond this
/// new ids are not bound (but still tied to their socket while it lives).
const MAX_BOUND_CLIENT_IDS: usize = 10_000;

impl RoomInner {
    /// Binds `client_id` to `user_id` the first time it is seen; false when
    /// it belongs to someone else.
    pub(super) fn bind_client_id(&mut self, client_id: u64, user_id: &str) -> bool {
        match self.aw_owner.get(&client_id) {
            Some(owner) => owner == user_id,
            None => {
                if self.aw_owner.len() < MAX_BOUND_CLIENT_IDS {
                    self.aw_owner.insert(client_id, user_id.to_string());
                }
                true
            }
        }
    }
}

/// The user id the origin instance stamped into an awareness state.
pub fn stamped_user(state: &str) -> Option<String> {
    let v: Value = serde_json::from_str(state).ok()?;
    v.get("user")?.get("id")?.as_str().map(str::to_string)
}

/// `state` with `user.id` and `user.name` set to the authenticated user.
/// Other fields (colour, cursor, selection) are kept as the client sent them.
pub fn stamp(state: &str, user_id: &str, username: &str) -> String {
    let mut obj = match serde_json::from_str::<Value>(state) {
        Ok(Value::Object(o)) if state.len() <= MAX_STATE_BYTES => o,
        _ => Map::new(),
    };
    let mut user = match obj.remove("user") {
        Some(Value::Object(u)) => u,
        _ => Map::new(),
    };
    user.insert("id".into(), Value::String(user_id.to_string()));
    user.insert("name".into(), Value::String(username.to_string()));
    // Clients put the colour into style attributes: only a hex colour
    // passes; anything else becomes a neutral grey.
    if user
        .get("color")
        .is_some_and(|c| !c.as_str().is_some_and(is_hex_colour))
    {
        user.insert("color".into(), Value::String(FALLBACK_COLOUR.into()));
    }
    obj.insert("user".into(), Value::Object(user));
    Value::Object(obj).to_string()
}

/// What an awareness colour that is not a hex colour is replaced with.
pub const FALLBACK_COLOUR: &str = "#4b5563";

/// `#rgb`, `#rrggbb` or `#rrggbbaa`.
pub fn is_hex_colour(s: &str) -> bool {
    s.strip_prefix('#').is_some_and(|hex| {
        matches!(hex.len(), 3 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

impl Room {
    /// Awareness from a client: bound to the socket, stamped with the user's
    /// identity, re-broadcast only when its clock advanced.
    pub fn client_awareness(self: &Arc<Self>, conn: ConnId, bytes: &[u8]) -> Result<(), Close> {
        let entries = guard::decode_awareness(bytes).map_err(|e| reject("awareness", &e))?;
        let mut inner = self.inner.lock();
        let Some(peer) = inner.peers.get(&conn) else {
            return Ok(());
        };
        let (user_id, username) = (peer.user_id.clone(), peer.username.clone());
        for e in entries {
            if !inner.bind_client_id(e.client_id, &user_id) {
                metrics::counter!("quire_rejected_messages_total", "reason" => "awareness_foreign_client")
                    .increment(1);
                continue;
            }
            match inner.awareness.get(&e.client_id) {
                Some(s) if s.conn != conn => {
                    // Another socket's clientID: not believed.
                    metrics::counter!("quire_rejected_messages_total", "reason" => "awareness_foreign_client")
                        .increment(1);
                    continue;
                }
                // Re-broadcast only when the clock advanced.
                Some(s) if e.clock <= s.clock => continue,
                Some(_) => {}
                None => {
                    let Some(p) = inner.peers.get_mut(&conn) else {
                        continue;
                    };
                    if !p.client_ids.contains(&e.client_id) {
                        if p.client_ids.len() >= MAX_CLIENT_IDS_PER_SOCKET {
                            continue;
                        }
                        p.client_ids.push(e.client_id);
                    }
                }
            }
            // A removal stays as a "null" tombstone until the flush sends it.
            let state = if e.is_removal() {
                "null".to_string()
            } else {
                stamp(&e.state, &user_id, &username)
            };
            inner.awareness.insert(
                e.client_id,
                AwarenessState {
                    clock: e.clock,
                    state,
                    conn,
                },
            );
            if !inner.aw_dirty.contains(&e.client_id) {
                inner.aw_dirty.push(e.client_id);
            }
        }
        self.schedule_awareness_flush(&mut inner);
        Ok(())
    }

    /// Coalesces awareness changes per tick: the first change in a quiet
    /// period goes out at once, later ones wait for the tick.
    fn schedule_awareness_flush(self: &Arc<Self>, inner: &mut RoomInner) {
        if inner.aw_dirty.is_empty() || inner.aw_flush_scheduled {
            return;
        }
        let tick = TICK;
        match inner.aw_last_flush {
            Some(last) if last.elapsed() < tick => {
                inner.aw_flush_scheduled = true;
                let room = self.clone();
                let wait = tick - last.elapsed();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    let mut inner = room.inner.lock();
                    inner.aw_flush_scheduled = false;
                    room.flush_awareness(&mut inner);
                });
            }
            _ => self.flush_awareness(inner),
        }
    }

    fn flush_awareness(&self, inner: &mut RoomInner) {
        if inner.aw_dirty.is_empty() {
            return;
        }
        let dirty = std::mem::take(&mut inner.aw_dirty);
        inner.aw_query_frame = None;
        let mut entries = Vec::with_capacity(dirty.len());
        for id in dirty {
            if let Some(s) = inner.awareness.get(&id) {
                entries.push(AwarenessEntry {
                    client_id: id,
                    clock: s.clock,
                    state: s.state.clone(),
                });
                if s.state == "null" {
                    inner.awareness.remove(&id);
                }
            }
        }
        inner.aw_last_flush = Some(Instant::now());
        if entries.is_empty() {
            return;
        }
        let payload = Bytes::from(guard::encode_awareness_update(&entries));
        let frame = Bytes::from(protocol::encode_awareness(&payload));
        broadcast(inner, &frame);
        self.publish(inner, BusPayload::Awareness(payload));
    }

    /// Answers query-awareness with every known state. The encoding is
    /// cached until awareness changes, so a client repeating the query
    /// cannot make the room re-encode every state each time.
    pub fn query_awareness(&self, conn: ConnId) {
        let mut inner = self.inner.lock();
        if !inner.peers.contains_key(&conn) {
            return;
        }
        let frame = match &inner.aw_query_frame {
            Some(f) => f.clone(),
            None => {
                let entries: Vec<AwarenessEntry> = inner
                    .awareness
                    .iter()
                    .filter(|(_, s)| s.state != "null")
                    .map(|(id, s)| AwarenessEntry {
                        client_id: *id,
                        clock: s.clock,
                        state: s.state.clone(),
                    })
                    .collect();
                let f = Bytes::from(protocol::encode_awareness(&guard::encode_awareness_update(
                    &entries,
                )));
                inner.aw_query_frame = Some(f.clone());
                f
            }
        };
        if let Some(peer) = inner.peers.get(&conn) {
            send_or_close(peer, frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_identity_and_keeps_the_rest() {
        let s = stamp(
            r##"{"user":{"name":"mallory","color":"#f00","id":"x"},"cursor":{"a":1}}"##,
            "u1",
            "bob",
        );
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["user"]["name"], "bob");
        assert_eq!(v["user"]["id"], "u1");
        assert_eq!(v["user"]["color"], "#f00");
        assert_eq!(v["cursor"]["a"], 1);
        let v: Value = serde_json::from_str(&stamp("42", "u1", "bob")).unwrap();
        assert_eq!(v["user"]["name"], "bob");
        let v: Value = serde_json::from_str(&stamp(r#"{"user":"evil"}"#, "u1", "bob")).unwrap();
        assert_eq!(v["user"]["id"], "u1");
    }

    #[test]
    fn only_hex_colours_survive_the_stamp() {
        for (colour, kept) in [
            ("#f00", true),
            ("#30bced", true),
            ("#30bced80", true),
            ("red; background:url(//evil)", false),
            ("#30bced; x", false),
            ("url(x)", false),
            ("#ggg", false),
        ] {
            let raw = serde_json::json!({ "user": { "color": colour } }).to_string();
            let v: Value = serde_json::from_str(&stamp(&raw, "u", "n")).unwrap();
            let want = if kept { colour } else { FALLBACK_COLOUR };
            assert_eq!(v["user"]["color"], want, "{colour}");
        }
        let v: Value = serde_json::from_str(&stamp(r#"{"user":{"color":7}}"#, "u", "n")).unwrap();
        assert_eq!(v["user"]["color"], FALLBACK_COLOUR);
        let v: Value = serde_json::from_str(&stamp(r#"{"user":{}}"#, "u", "n")).unwrap();
        assert!(
            v["user"].get("color").is_none(),
            "no colour is not invented"
        );
    }
}
