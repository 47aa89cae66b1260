//! A room's side of cross-instance fan-out: publishing accepted changes on
//! the bus, applying other instances' messages (buffered until the room is
//! loaded), gap detection and state-vector exchange.

use std::sync::Arc;

use bytes::Bytes;
use quire_doc::{guard, protocol};
use yrs::{ReadTxn, Transact};

use super::awareness::{AwarenessState, stamped_user};
use super::room::{EncodeSv, Room, RoomInner, Source, broadcast};
use crate::bus::{BusMessage, BusPayload};

impl Room {
    pub(super) fn publish(&self, inner: &mut RoomInner, payload: BusPayload) {
        inner.bus_seq += 1;
        self.shared.bus.publish(BusMessage {
            doc_id: self.id.clone(),
            sender: self.shared.instance_id.clone(),
            seq: inner.bus_seq,
            payload,
        });
    }

    /// A message from another instance. Before the room is loaded it is
    /// buffered (subscribe → load → apply buffer, SPEC §3).
    pub(super) fn on_bus(self: &Arc<Self>, msg: BusMessage) {
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
        let last = inner
            .bus_seen
            .insert(msg.sender.clone(), msg.seq)
            .unwrap_or(0);
        if last != 0 && msg.seq != last + 1 {
            // A gap: ask everyone for what we miss.
            metrics::counter!("quire_bus_gaps_total").increment(1);
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
                let mut accepted = Vec::with_capacity(entries.len());
                for e in entries {
                    // A client id owned by a socket here is never replaced
                    // from outside, and an id bound to one user is never
                    // taken over by another (whoever the remote claims).
                    if inner
                        .awareness
                        .get(&e.client_id)
                        .is_some_and(|s| s.conn != 0)
                    {
                        metrics::counter!("quire_rejected_messages_total", "reason" => "awareness_foreign_client")
                            .increment(1);
                        continue;
                    }
                    if e.is_removal() {
                        inner.awareness.remove(&e.client_id);
                    } else {
                        let owner = stamped_user(&e.state).unwrap_or_default();
                        if !inner.bind_client_id(e.client_id, &owner) {
                            metrics::counter!("quire_rejected_messages_total", "reason" => "awareness_foreign_client")
                                .increment(1);
                            continue;
                        }
                        // Remote states are tracked so joiners see them too.
                        inner.awareness.insert(
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
                if accepted.is_empty() {
                    return;
                }
                inner.aw_query_frame = None;
                let payload = guard::encode_awareness_update(&accepted);
                broadcast(inner, &Bytes::from(protocol::encode_awareness(&payload)));
            }
            BusPayload::Reconnected => {}
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
    pub(super) fn request_sync(&self) {
        let mut inner = self.inner.lock();
        let sv = inner.doc.transact().state_vector().encode_v1_bytes();
        self.publish(&mut inner, BusPayload::SyncRequest(Bytes::from(sv)));
    }
}
