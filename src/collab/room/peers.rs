//! The sockets of one room: who they are, what they may do, their outbound
//! queues and their acknowledgement counters.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use quire_doc::protocol;

use super::{Close, ConnId};
use crate::collab::outbox::Outbox;
use crate::store::Role;

/// The credential a socket was opened with, so revoking it closes the socket.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Credential {
    /// A personal API token, by id.
    ApiToken(String),
    /// A sign-in session, by id (the session JWT's `sid`).
    Session(String),
}

impl Credential {
    pub fn id(&self) -> &str {
        match self {
            Credential::ApiToken(id) | Credential::Session(id) => id,
        }
    }
}

/// A socket whose effective role changed.
#[derive(Debug, PartialEq, Eq)]
pub struct RoleChange {
    pub conn: ConnId,
    pub from: Role,
    pub to: Role,
}

pub struct Peer {
    /// Frames to this socket; closing the peer goes through it too.
    pub outbox: Arc<Outbox>,
    pub user_id: String,
    pub username: String,
    /// The effective role: the document role capped by [`Peer::cap`].
    pub role: Role,
    /// The highest role the credential allows (a read-only API token caps
    /// at viewer). Every later role change is capped by it too.
    pub cap: Role,
    /// Which credential opened the socket, so revoking it closes the socket.
    pub credential: Option<Credential>,
    /// Wants `MSG_QUIRE_ACK` after its updates are durable.
    pub acks: bool,
    /// Wants live document events (`MSG_QUIRE_EVENT`).
    pub events: bool,
    /// Updates from this peer handed to persistence, not yet acknowledged.
    pub unacked: u64,
    /// Updates from this peer made durable so far (the ack's payload).
    pub acked_total: u64,
    /// Awareness client ids this socket owns.
    pub client_ids: Vec<u64>,
}

/// The peers of a room, by connection id.
#[derive(Default)]
pub(crate) struct PeerTable {
    peers: HashMap<ConnId, Peer>,
}

impl PeerTable {
    pub fn insert(&mut self, conn: ConnId, peer: Peer) {
        self.peers.insert(conn, peer);
    }

    pub fn remove(&mut self, conn: ConnId) -> Option<Peer> {
        self.peers.remove(&conn)
    }

    pub fn get(&self, conn: ConnId) -> Option<&Peer> {
        self.peers.get(&conn)
    }

    pub fn get_mut(&mut self, conn: ConnId) -> Option<&mut Peer> {
        self.peers.get_mut(&conn)
    }

    pub fn contains(&self, conn: ConnId) -> bool {
        self.peers.contains_key(&conn)
    }

    pub fn len(&self) -> usize {
        self.peers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// Enqueues `frame` on every peer; closes peers whose queue is full.
    pub fn broadcast(&self, frame: &Bytes) {
        for peer in self.peers.values() {
            send_or_close(peer, frame.clone());
        }
        crate::metrics::frames_out(self.peers.len() as u64);
    }

    /// Sends `frame` to one peer, if it is here.
    pub fn send(&self, conn: ConnId, frame: Bytes) {
        if let Some(peer) = self.peers.get(&conn) {
            send_or_close(peer, frame);
        }
    }

    /// Asks every peer to close.
    pub fn close_all(&self, close: &Close) {
        for peer in self.peers.values() {
            peer.outbox.close(close.clone());
        }
    }

    /// Counts an update of `conn` handed to persistence.
    pub fn note_unacked(&mut self, conn: ConnId) {
        if let Some(p) = self.peers.get_mut(&conn) {
            p.unacked += 1;
        }
    }

    /// `count` updates of `conn` are durable: acknowledges them once none
    /// of that peer's updates is still unsaved.
    pub fn acknowledge(&mut self, conn: ConnId, count: u64) {
        if let Some(peer) = self.peers.get_mut(&conn) {
            peer.unacked = peer.unacked.saturating_sub(count);
            peer.acked_total += count;
            if peer.acks && peer.unacked == 0 {
                send_or_close(peer, Bytes::from(protocol::encode_ack(peer.acked_total)));
            }
        }
    }

    /// Removal closes every socket of the user (4403); another role is
    /// applied capped by each socket's credential. Returns the sockets
    /// whose effective role changed.
    pub fn set_role(&mut self, user_id: &str, role: Option<Role>) -> Vec<RoleChange> {
        let mut changed = Vec::new();
        for (conn, peer) in self.peers.iter_mut().filter(|(_, p)| p.user_id == user_id) {
            match role {
                None => peer
                    .outbox
                    .close(Close::new(protocol::CLOSE_FORBIDDEN, "access revoked")),
                // The credential's cap always applies (a read-only token
                // stays read-only whatever the user's role becomes).
                Some(r) => {
                    let to = r.min(peer.cap);
                    if to != peer.role {
                        changed.push(RoleChange {
                            conn: *conn,
                            from: peer.role,
                            to,
                        });
                        peer.role = to;
                    }
                }
            }
        }
        changed
    }

    /// The sockets that asked for live events, with their roles.
    pub fn event_listeners(&self) -> impl Iterator<Item = &Peer> {
        self.peers.values().filter(|p| p.events)
    }

    /// Closes every socket opened with the credential `id` (an API token's
    /// or a session's): 4401, permanent.
    pub fn revoke_credential(&self, id: &str) {
        for peer in self
            .peers
            .values()
            .filter(|p| p.credential.as_ref().is_some_and(|c| c.id() == id))
        {
            peer.outbox.close(Close::new(
                protocol::CLOSE_UNAUTHENTICATED,
                "credential revoked",
            ));
        }
    }

    pub fn has_user(&self, user_id: &str) -> bool {
        self.peers.values().any(|p| p.user_id == user_id)
    }

    /// (user id, username, connections) of everyone here.
    pub fn presence(&self) -> Vec<(String, String, usize)> {
        let mut by_user: HashMap<&str, (String, usize)> = HashMap::new();
        for p in self.peers.values() {
            by_user
                .entry(&p.user_id)
                .or_insert_with(|| (p.username.clone(), 0))
                .1 += 1;
        }
        by_user
            .into_iter()
            .map(|(id, (name, n))| (id.to_string(), name, n))
            .collect()
    }

    /// The distinct users and credentials connected (permission re-checks).
    pub fn users_and_credentials(&self) -> (Vec<String>, Vec<Credential>) {
        let mut users: Vec<String> = self.peers.values().map(|p| p.user_id.clone()).collect();
        users.sort();
        users.dedup();
        let mut creds: Vec<Credential> = self
            .peers
            .values()
            .filter_map(|p| p.credential.clone())
            .collect();
        creds.sort();
        creds.dedup();
        (users, creds)
    }
}

pub(crate) fn send_or_close(peer: &Peer, frame: Bytes) {
    if peer.outbox.push(frame).is_err() {
        crate::metrics::slow_consumer();
        peer.outbox.close(Close::new(
            protocol::CLOSE_TRY_AGAIN,
            "too slow; reconnect to resync",
        ));
    }
}
