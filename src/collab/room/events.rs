//! A room's side of live document events: rendering a [`DocEvent`] for
//! every socket that asked for events, and enforcing what it implies (a
//! role change on the affected user's sockets, closing them all when the
//! document was deleted).

use std::sync::Arc;

use bytes::Bytes;
use quire_doc::protocol;
use yrs::{ReadTxn, Transact};

use super::peers::send_or_close;
use super::{Close, EncodeSv, Room, RoomInner};
use crate::collab::events::{DocEvent, role_json};

impl Room {
    /// Applies and announces `event` to this room's sockets.
    pub fn on_event(self: &Arc<Self>, event: &DocEvent) {
        let mut inner = self.inner.lock();
        self.apply_event_locked(&mut inner, event);
    }

    pub(super) fn apply_event_locked(self: &Arc<Self>, inner: &mut RoomInner, event: &DocEvent) {
        match event {
            DocEvent::Role { user_id, role } => {
                let changes = inner.peers.set_role(user_id, *role);
                if changes.is_empty() {
                    return;
                }
                let sv = inner.doc.transact().state_vector().encode_v1_bytes();
                for change in changes {
                    let Some(peer) = inner.peers.get(change.conn) else {
                        continue;
                    };
                    if peer.events {
                        let frame = protocol::encode_event(&role_json(change.to));
                        send_or_close(peer, Bytes::from(frame));
                    }
                    // Promoted to editing: ask again for what the client
                    // has, so edits it made while read-only (kept on its
                    // side) are sent now, under the new role.
                    if change.to.can_edit() && !change.from.can_edit() {
                        send_or_close(peer, Bytes::from(protocol::encode_sync_step1(&sv)));
                    }
                }
            }
            DocEvent::Deleted => {
                inner.closed = true;
                inner
                    .peers
                    .close_all(&Close::new(protocol::CLOSE_GONE, "document deleted"));
                // The registry drops the room outside this lock.
                let on_closed = self.ctx.on_poisoned.clone();
                let id = self.id.clone();
                tokio::spawn(async move { on_closed(&id) });
            }
            other => {
                let mut sent = 0;
                for peer in inner.peers.event_listeners() {
                    if let Some(json) = other.client_json(peer.role) {
                        send_or_close(peer, Bytes::from(protocol::encode_event(&json)));
                        sent += 1;
                    }
                }
                crate::metrics::frames_out(sent);
            }
        }
    }
}
