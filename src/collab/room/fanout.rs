//! A room's side of cross-instance fan-out: publishing accepted changes on
//! the bus, applying other instances' messages (buffered until the room is
//! loaded), gap detection and state-vector exchange.

use std::sync::Arc;

use bytes::Bytes;
use quire_doc::{guard, protocol};
use yrs::{ReadTxn, Transact};

use super::{EncodeSv, Room, RoomInner, Source};
use crate::bus::seq::Received;
use crate::bus::{BusMessage, BusPayload};

impl Room {
    pub(super) fn publish(&self, inner: &mut RoomInner, payload: BusPayload) {
        let seq = inner.seq.next_seq();
        self.ctx.bus.publish(BusMessage {
            doc_id: self.id.clone(),
            sender: self.ctx.instance_id.clone(),
            seq,
            payload,
        });
    }

    /// A message from another instance. Before the room is loaded it is
    /// buffered: the room subscribes before it loads, and applies the buffer
    /// once loaded, so nothing published meanwhile is missed.
    pub(crate) fn on_bus(self: &Arc<Self>, msg: BusMessage) {
        let mut inner = self.inner.lock();
        if !inner.loaded {
            inner.bus_buffer.push(msg);
            return;
        }
        self.apply_bus_locked(&mut inner, msg);
    }

    pub(super) fn apply_bus_locked(self: &Arc<Self>, inner: &mut RoomInner, msg: BusMessage) {
        if msg.payload == BusPayload::Reconnected {
            // Whatever was published meanwhile is lost: exchange state
            // vectors now and again shortly (our resubscription may still be
            // in flight). Sequences are kept, so later gaps are still seen.
            let sv = inner.doc.transact().state_vector().encode_v1_bytes();
            self.publish(inner, BusPayload::SyncRequest(Bytes::from(sv)));
            let room = self.clone();
            tokio::spawn(async move {
                for delay in [500, 2000, 5000] {
                    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                    room.request_sync();
                }
            });
            return;
        }
        // Events carry no sequence (a lost one is not repaired).
        if let BusPayload::Event(bytes) = &msg.payload {
            match crate::collab::events::DocEvent::from_bytes(bytes) {
                Some(event) => self.apply_event_locked(inner, &event),
                None => crate::metrics::bus_malformed(),
            }
            return;
        }
        if inner.seq.receive(&msg.sender, msg.seq) == Received::Gap {
            // A gap: ask everyone for what we miss.
            crate::metrics::bus_gap();
            let sv = inner.doc.transact().state_vector().encode_v1_bytes();
            self.publish(inner, BusPayload::SyncRequest(Bytes::from(sv)));
        }
        match msg.payload {
            BusPayload::Update(update) => {
                // Not persisted here: it is durable on the instance that accepted it.
                if let Err(e) = self.apply_locked(inner, &update, Source::Bus, None) {
                    tracing::warn!(doc = %self.id, reason = %e.reason, "update from bus refused");
                }
            }
            BusPayload::Repair(update) => {
                // Persisted here if it adds anything: it may not be durable yet.
                if let Err(e) = self.apply_locked(inner, &update, Source::Repair, None) {
                    tracing::warn!(doc = %self.id, reason = %e.reason, "repair from bus refused");
                }
            }
            BusPayload::Awareness(payload) => {
                let Ok(entries) = guard::decode_awareness(&payload) else {
                    return;
                };
                let accepted = inner.awareness.apply_remote(entries);
                if accepted.is_empty() {
                    return;
                }
                let payload = guard::encode_awareness_update(&accepted);
                inner
                    .peers
                    .broadcast(&Bytes::from(protocol::encode_awareness(&payload)));
            }
            BusPayload::Reconnected | BusPayload::Event(_) | BusPayload::Feed(_) => {}
            BusPayload::SyncRequest(sv) => {
                if let Ok(sv) = guard::decode_state_vector(&sv)
                    && let Ok(diff) = guard::encode_diff(&inner.doc, &sv)
                    && diff.len() > 2
                {
                    self.publish(inner, BusPayload::Repair(Bytes::from(diff)));
                }
            }
        }
    }

    /// Anti-entropy: periodically ask other instances for what we miss.
    pub(crate) fn request_sync(&self) {
        let mut inner = self.inner.lock();
        let sv = inner.doc.transact().state_vector().encode_v1_bytes();
        self.publish(&mut inner, BusPayload::SyncRequest(Bytes::from(sv)));
    }
}
