//! A room's awareness traffic: client states in, coalesced broadcasts out,
//! query-awareness answers. The state itself is [`AwarenessTable`].

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use quire_doc::{guard, protocol};

use super::{Close, ConnId, Room, RoomInner, reject};
use crate::bus::BusPayload;
use crate::collab::awareness::Flush;

impl Room {
    /// Awareness from a client: bound to the socket, stamped with the user's
    /// identity, re-broadcast only when its clock advanced.
    pub fn client_awareness(self: &Arc<Self>, conn: ConnId, bytes: &[u8]) -> Result<(), Close> {
        let entries = guard::decode_awareness(bytes).map_err(|e| reject("awareness", &e))?;
        let mut locked = self.inner.lock();
        let inner = &mut *locked;
        let Some(peer) = inner.peers.get_mut(conn) else {
            return Ok(());
        };
        let (user_id, username) = (peer.user_id.clone(), peer.username.clone());
        inner
            .awareness
            .apply_local(conn, &user_id, &username, &mut peer.client_ids, entries);
        self.schedule_awareness_flush(inner);
        Ok(())
    }

    /// Coalesces awareness changes per tick: the first change in a quiet
    /// period goes out at once, later ones wait for the tick.
    fn schedule_awareness_flush(self: &Arc<Self>, inner: &mut RoomInner) {
        match inner.awareness.plan_flush(Instant::now()) {
            Flush::Nothing => {}
            Flush::Now => self.flush_awareness(inner),
            Flush::After(wait) => {
                let room = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    let mut inner = room.inner.lock();
                    room.flush_awareness(&mut inner);
                });
            }
        }
    }

    fn flush_awareness(&self, inner: &mut RoomInner) {
        let entries = inner.awareness.take_dirty(Instant::now());
        if entries.is_empty() {
            return;
        }
        let payload = Bytes::from(guard::encode_awareness_update(&entries));
        let frame = Bytes::from(protocol::encode_awareness(&payload));
        inner.peers.broadcast(&frame);
        self.publish(inner, BusPayload::Awareness(payload));
    }

    /// Answers query-awareness with every known state.
    pub fn query_awareness(&self, conn: ConnId) {
        let mut inner = self.inner.lock();
        if !inner.peers.contains(conn) {
            return;
        }
        let frame = inner.awareness.query_frame();
        inner.peers.send(conn, frame);
    }
}
