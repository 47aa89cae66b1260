//! Awareness (presence) in a room: the per-client state, socket binding,
//! the identity stamp, and per-tick coalescing of broadcasts. The server
//! overwrites `user.id` and `user.name` in every state with the
//! authenticated user, so nobody can appear as someone else.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use quire_doc::guard::{self, AwarenessEntry};
use quire_doc::protocol;
use serde_json::{Map, Value};

use super::room::ConnId;

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

/// When the changes collected so far should go out.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Flush {
    /// Nothing to send, or a flush is already scheduled.
    Nothing,
    /// The first change in a quiet period: at once.
    Now,
    /// Within the current tick: after this wait.
    After(Duration),
}

/// The awareness states of a room and who may own which client id. Pure
/// state: callers broadcast and publish what the methods return.
#[derive(Default)]
pub(crate) struct AwarenessTable {
    states: HashMap<u64, AwarenessState>,
    /// Which user first used each awareness client id, for the life of the
    /// room: nobody else may take it over, even after its owner left.
    owner: HashMap<u64, String>,
    dirty: Vec<u64>,
    last_flush: Option<Instant>,
    flush_scheduled: bool,
    /// Encoded answer to query-awareness, until awareness changes.
    query_frame: Option<Bytes>,
}

impl AwarenessTable {
    /// Binds `client_id` to `user_id` the first time it is seen; false when
    /// it belongs to someone else.
    pub fn bind_client_id(&mut self, client_id: u64, user_id: &str) -> bool {
        match self.owner.get(&client_id) {
            Some(owner) => owner == user_id,
            None => {
                if self.owner.len() < MAX_BOUND_CLIENT_IDS {
                    self.owner.insert(client_id, user_id.to_string());
                }
                true
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Every known state (for a joiner).
    pub fn entries(&self) -> Vec<AwarenessEntry> {
        self.states
            .iter()
            .map(|(id, s)| AwarenessEntry {
                client_id: *id,
                clock: s.clock,
                state: s.state.clone(),
            })
            .collect()
    }

    /// Applies a client's entries: each id is bound to the socket and the
    /// user, stamped with the user's identity, and kept only when its clock
    /// advanced. `client_ids` are the ids the socket owns so far. Accepted
    /// changes wait in the dirty list for [`take_dirty`](Self::take_dirty).
    pub fn apply_local(
        &mut self,
        conn: ConnId,
        user_id: &str,
        username: &str,
        client_ids: &mut Vec<u64>,
        entries: Vec<AwarenessEntry>,
    ) {
        for e in entries {
            if !self.bind_client_id(e.client_id, user_id) {
                foreign_client();
                continue;
            }
            match self.states.get(&e.client_id) {
                Some(s) if s.conn != conn => {
                    // Another socket's clientID: not believed.
                    foreign_client();
                    continue;
                }
                // Re-broadcast only when the clock advanced.
                Some(s) if e.clock <= s.clock => continue,
                Some(_) => {}
                None => {
                    if !client_ids.contains(&e.client_id) {
                        if client_ids.len() >= MAX_CLIENT_IDS_PER_SOCKET {
                            continue;
                        }
                        client_ids.push(e.client_id);
                    }
                }
            }
            // A removal stays as a "null" tombstone until the flush sends it.
            let state = if e.is_removal() {
                "null".to_string()
            } else {
                stamp(&e.state, user_id, username)
            };
            self.states.insert(
                e.client_id,
                AwarenessState {
                    clock: e.clock,
                    state,
                    conn,
                },
            );
            if !self.dirty.contains(&e.client_id) {
                self.dirty.push(e.client_id);
            }
        }
    }

    /// Applies entries from another instance; returns those accepted. A
    /// client id owned by a socket here is never replaced from outside, and
    /// an id bound to one user is never taken over by another (whoever the
    /// remote claims).
    pub fn apply_remote(&mut self, entries: Vec<AwarenessEntry>) -> Vec<AwarenessEntry> {
        let mut accepted = Vec::with_capacity(entries.len());
        for e in entries {
            if self.states.get(&e.client_id).is_some_and(|s| s.conn != 0) {
                foreign_client();
                continue;
            }
            if e.is_removal() {
                self.states.remove(&e.client_id);
            } else {
                let owner = stamped_user(&e.state).unwrap_or_default();
                if !self.bind_client_id(e.client_id, &owner) {
                    foreign_client();
                    continue;
                }
                // Remote states are tracked so joiners see them too.
                self.states.insert(
                    e.client_id,
                    AwarenessState {
                        clock: e.clock,
                        state: e.state.clone(),
                        conn: 0,
                    },
                );
            }
            accepted.push(e);
        }
        if !accepted.is_empty() {
            self.query_frame = None;
        }
        accepted
    }

    /// Removes the states of a leaving socket; returns their removals.
    pub fn remove_conn(&mut self, client_ids: &[u64]) -> Vec<AwarenessEntry> {
        let mut removed = Vec::new();
        for id in client_ids {
            if let Some(state) = self.states.remove(id) {
                removed.push(AwarenessEntry {
                    client_id: *id,
                    clock: state.clock + 1,
                    state: "null".into(),
                });
            }
        }
        if !removed.is_empty() {
            self.query_frame = None;
        }
        removed
    }

    /// When the dirty changes should go out; `After` marks a flush as
    /// scheduled until [`take_dirty`](Self::take_dirty).
    pub fn plan_flush(&mut self, now: Instant) -> Flush {
        if self.dirty.is_empty() || self.flush_scheduled {
            return Flush::Nothing;
        }
        match self.last_flush {
            Some(last) if now.duration_since(last) < TICK => {
                self.flush_scheduled = true;
                Flush::After(TICK - now.duration_since(last))
            }
            _ => Flush::Now,
        }
    }

    /// The changes collected since the last flush (tombstones are dropped
    /// once taken).
    pub fn take_dirty(&mut self, now: Instant) -> Vec<AwarenessEntry> {
        self.flush_scheduled = false;
        if self.dirty.is_empty() {
            return Vec::new();
        }
        let dirty = std::mem::take(&mut self.dirty);
        self.query_frame = None;
        let mut entries = Vec::with_capacity(dirty.len());
        for id in dirty {
            if let Some(s) = self.states.get(&id) {
                entries.push(AwarenessEntry {
                    client_id: id,
                    clock: s.clock,
                    state: s.state.clone(),
                });
                if s.state == "null" {
                    self.states.remove(&id);
                }
            }
        }
        self.last_flush = Some(now);
        entries
    }

    /// The answer to query-awareness, cached until awareness changes, so a
    /// client repeating the query cannot make the room re-encode every
    /// state each time.
    pub fn query_frame(&mut self) -> Bytes {
        if let Some(f) = &self.query_frame {
            return f.clone();
        }
        let entries: Vec<AwarenessEntry> = self
            .states
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
        self.query_frame = Some(f.clone());
        f
    }
}

fn foreign_client() {
    crate::metrics::rejected_message("awareness_foreign_client");
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

    fn entry(client_id: u64, clock: u64, state: &str) -> AwarenessEntry {
        AwarenessEntry {
            client_id,
            clock,
            state: state.into(),
        }
    }

    #[test]
    fn table_binds_ids_stamps_and_coalesces() {
        let mut t = AwarenessTable::default();
        let now = Instant::now();
        let mut ids_a = Vec::new();
        t.apply_local(1, "alice", "Alice", &mut ids_a, vec![entry(42, 1, "{}")]);
        assert_eq!(ids_a, vec![42]);
        assert_eq!(t.plan_flush(now), Flush::Now);
        let out = t.take_dirty(now);
        assert_eq!(out.len(), 1);
        assert_eq!(stamped_user(&out[0].state).as_deref(), Some("alice"));
        // Another user's socket cannot take the id; an old clock is ignored.
        let mut ids_b = Vec::new();
        t.apply_local(2, "bob", "Bob", &mut ids_b, vec![entry(42, 9, "{}")]);
        t.apply_local(1, "alice", "Alice", &mut ids_a, vec![entry(42, 1, "{}")]);
        assert!(ids_b.is_empty());
        assert_eq!(t.plan_flush(now), Flush::Nothing);
        // Within a tick of the last flush, the next one waits.
        t.apply_local(1, "alice", "Alice", &mut ids_a, vec![entry(42, 2, "{}")]);
        assert!(matches!(t.plan_flush(now), Flush::After(_)));
        assert_eq!(t.plan_flush(now), Flush::Nothing, "already scheduled");
        assert_eq!(t.take_dirty(now + TICK).len(), 1);
        // Leaving removes the state but not the binding.
        let removed = t.remove_conn(&ids_a);
        assert_eq!(removed.len(), 1);
        assert!(removed[0].is_removal() && removed[0].clock == 3);
        assert!(t.is_empty());
        assert!(!t.bind_client_id(42, "bob"));
        // Remote entries: bound to the stamped user, never over a local socket.
        let accepted = t.apply_remote(vec![
            entry(42, 5, r#"{"user":{"id":"bob"}}"#),
            entry(77, 1, r#"{"user":{"id":"carol"}}"#),
        ]);
        assert_eq!(accepted.len(), 1);
        assert_eq!(accepted[0].client_id, 77);
        let mut ids_c = Vec::new();
        t.apply_local(3, "carol", "Carol", &mut ids_c, vec![entry(78, 1, "{}")]);
        assert!(
            t.apply_remote(vec![entry(78, 2, r#"{"user":{"id":"carol"}}"#)])
                .is_empty()
        );
    }

    #[test]
    fn one_socket_announces_a_bounded_number_of_ids() {
        let mut t = AwarenessTable::default();
        let mut ids = Vec::new();
        let entries = (0..20).map(|i| entry(100 + i, 1, "{}")).collect();
        t.apply_local(1, "u", "U", &mut ids, entries);
        assert_eq!(ids.len(), MAX_CLIENT_IDS_PER_SOCKET);
        assert_eq!(
            t.take_dirty(Instant::now()).len(),
            MAX_CLIENT_IDS_PER_SOCKET
        );
    }
}
