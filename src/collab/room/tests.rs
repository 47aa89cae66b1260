//! Rooms without a hub, a database or a socket: a [`RoomCtx`] whose
//! persistence channel and bus are inspected directly.

use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use quire_doc::guard::{self, AwarenessEntry};
use quire_doc::protocol::{self, ClientMessage};
use tokio::sync::mpsc;
use yrs::{Text, Transact};

use super::*;
use crate::bus::{BusError, PresenceRecord, Subscription};
use crate::collab::outbox::{Drained, Outbox};
use crate::collab::persist::Backlog;
use crate::store::StoredState;

/// A bus that records what rooms publish.
#[derive(Default)]
pub(crate) struct RecordingBus {
    pub published: Mutex<Vec<BusMessage>>,
}

impl RecordingBus {
    pub fn take(&self) -> Vec<BusPayload> {
        std::mem::take(&mut *self.published.lock())
            .into_iter()
            .map(|m| m.payload)
            .collect()
    }
}

#[async_trait::async_trait]
impl Bus for RecordingBus {
    async fn subscribe(&self, _doc_id: &str) -> Result<Subscription, BusError> {
        Err(BusError::Unavailable("recording only".into()))
    }
    fn publish(&self, msg: BusMessage) {
        self.published.lock().push(msg);
    }
    async fn subscribe_feed(&self) -> Result<Subscription, BusError> {
        Err(BusError::Unavailable("recording only".into()))
    }
    fn publish_feed(&self, msg: BusMessage) {
        self.published.lock().push(msg);
    }
    fn report_presence(&self, _doc_id: &str, _users: Vec<PresenceRecord>) {}
}

pub(crate) struct Harness {
    pub room: Arc<Room>,
    pub bus: Arc<RecordingBus>,
    pub persisted: mpsc::UnboundedReceiver<PendingUpdate>,
    pub backlog: Arc<Backlog>,
}

pub(crate) fn harness(max_unsaved: u64) -> Harness {
    let backlog = Arc::new(Backlog::new(max_unsaved));
    let (persist, persisted) = Persist::channel(backlog.clone());
    let bus = Arc::new(RecordingBus::default());
    let ctx = RoomCtx {
        limits: RoomLimits {
            max_doc_bytes: 1 << 20,
            max_doc_items: 1 << 20,
        },
        upkeep: UpkeepRules {
            compact_every: 3,
            compact_idle: std::time::Duration::from_secs(5),
            auto_version_idle: None,
        },
        persist,
        bus: bus.clone(),
        instance_id: "here".into(),
        on_poisoned: Arc::new(|_| {}),
    };
    let room = Arc::new(Room::new("doc", ctx));
    room.install(super::super::persist::snapshot::build_doc(
        &StoredState::default(),
    ));
    Harness {
        room,
        bus,
        persisted,
        backlog,
    }
}

pub(crate) fn peer(user: &str, role: Role, acks: bool) -> (Peer, Arc<Outbox>) {
    events_peer(user, role, acks, false)
}

pub(crate) fn events_peer(user: &str, role: Role, acks: bool, events: bool) -> (Peer, Arc<Outbox>) {
    let outbox = Arc::new(Outbox::new(64));
    (
        Peer {
            outbox: outbox.clone(),
            user_id: user.into(),
            username: user.into(),
            role,
            cap: Role::Owner,
            credential: Some(Credential::Session(format!("cred-{user}"))),
            acks,
            events,
            unacked: 0,
            acked_total: 0,
            client_ids: Vec::new(),
        },
        outbox,
    )
}

/// Frames queued on `outbox` since the last call.
pub(crate) fn frames(outbox: &Outbox) -> Vec<Bytes> {
    let mut out = Vec::new();
    match outbox.drain(&mut out, 1024) {
        Drained::Frames => out.into_iter().map(|o| o.frame).collect(),
        Drained::Close(c) => panic!("peer closed: {c:?}"),
    }
}

/// A typing client's update: `s` inserted at the start of text `t`.
pub(crate) fn edit(client: u64, s: &str) -> Vec<u8> {
    let d = yrs::Doc::with_options(guard::doc_options(client));
    let text = d.get_or_insert_text("t");
    let mut txn = d.transact_mut();
    text.insert(&mut txn, 0, s);
    txn.encode_update_v1()
}

fn text_of(room: &Room) -> String {
    use yrs::GetString;
    room.with_doc(|d| d.get_or_insert_text("t").get_string(&d.transact()))
}

#[tokio::test]
async fn an_edit_is_relayed_to_every_peer_and_published_only_once_durable() {
    let mut h = harness(100);
    let (a, out_a) = peer("alice", Role::Editor, true);
    let (b, out_b) = peer("bob", Role::Editor, false);
    h.room.join(1, a).unwrap();
    h.room.join(2, b).unwrap();
    // Opening frames: our sync step 1.
    assert_eq!(frames(&out_a).len(), 1);
    assert_eq!(frames(&out_b).len(), 1);

    let update = edit(7, "hello");
    assert_eq!(h.room.client_update(1, &update), Ok(Accepted::Applied));
    assert_eq!(text_of(&h.room), "hello");
    let relayed = Bytes::from(protocol::encode_update(&update));
    assert_eq!(frames(&out_b), vec![relayed.clone()]);
    assert_eq!(frames(&out_a), vec![relayed], "the sender gets it too");

    // Handed to persistence, not yet on the bus.
    let pending = h.persisted.try_recv().expect("persisted");
    assert_eq!((pending.conn, pending.publish), (Some(1), true));
    assert_eq!(pending.user_id.as_deref(), Some("alice"));
    assert_eq!(h.backlog.unsaved(), 1);
    assert_eq!(h.room.unsaved(), 1);
    assert!(
        h.bus.take().is_empty(),
        "not published before it is durable"
    );

    // A duplicate is neither relayed nor logged again.
    assert_eq!(h.room.client_update(2, &update), Ok(Accepted::Duplicate));
    assert!(frames(&out_a).is_empty());
    assert!(h.persisted.try_recv().is_err());

    // Durable: published, and the sender (who asked for acks) is acked.
    assert!(!h.room.on_durable(std::slice::from_ref(&pending)));
    assert_eq!(
        h.bus.take(),
        vec![BusPayload::Update(Bytes::from(update.clone()))]
    );
    assert_eq!(frames(&out_a), vec![Bytes::from(protocol::encode_ack(1))]);
    assert!(frames(&out_b).is_empty(), "bob asked for no acks");
    assert_eq!(h.room.unsaved(), 0);
}

#[tokio::test]
async fn a_read_only_peer_is_refused_and_nothing_changes() {
    let mut h = harness(100);
    let (v, out_v) = peer("viewer", Role::Viewer, false);
    let (e, out_e) = peer("editor", Role::Editor, false);
    h.room.join(1, v).unwrap();
    h.room.join(2, e).unwrap();
    frames(&out_v);
    frames(&out_e);
    assert_eq!(
        h.room.client_update(1, &edit(7, "nope")),
        Ok(Accepted::ReadOnly)
    );
    assert_eq!(text_of(&h.room), "");
    assert!(frames(&out_e).is_empty());
    assert!(h.persisted.try_recv().is_err());
    // Promoted: may edit now; demoted again: read-only again.
    h.room.set_role("viewer", Some(Role::Editor));
    assert_eq!(
        h.room.client_update(1, &edit(7, "yes")),
        Ok(Accepted::Applied)
    );
    h.room.set_role("viewer", Some(Role::Viewer));
    assert_eq!(
        h.room.client_update(1, &edit(8, "no")),
        Ok(Accepted::ReadOnly)
    );
}

fn awareness(client_id: u64, clock: u64, state: &str) -> Vec<u8> {
    guard::encode_awareness_update(&[AwarenessEntry {
        client_id,
        clock,
        state: state.into(),
    }])
}

fn awareness_in(frames: &[Bytes]) -> Vec<AwarenessEntry> {
    frames
        .iter()
        .filter_map(|f| match protocol::decode_client_message(f) {
            Ok(ClientMessage::Awareness { update }) => guard::decode_awareness(update).ok(),
            _ => None,
        })
        .flatten()
        .collect()
}

#[tokio::test]
async fn an_awareness_client_id_stays_bound_to_its_first_user() {
    let h = harness(100);
    let (a, out_a) = peer("alice", Role::Editor, false);
    let (b, out_b) = peer("bob", Role::Viewer, false);
    h.room.join(1, a).unwrap();
    h.room.join(2, b).unwrap();
    frames(&out_a);
    frames(&out_b);
    h.room
        .client_awareness(1, &awareness(42, 1, r#"{"user":{"name":"x"}}"#))
        .unwrap();
    let seen = awareness_in(&frames(&out_b));
    assert_eq!(seen.len(), 1);
    assert_eq!(
        super::super::awareness::stamped_user(&seen[0].state).as_deref(),
        Some("alice"),
        "stamped with the authenticated user"
    );
    // Bob cannot claim alice's client id, not even after she left.
    h.room
        .client_awareness(2, &awareness(42, 5, r#"{"user":{"name":"alice"}}"#))
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(awareness_in(&frames(&out_a)).iter().all(|e| e.clock == 1));
    assert!(!h.room.leave(1));
    let removal = awareness_in(&frames(&out_b));
    assert!(
        removal.iter().all(|e| e.is_removal()),
        "alice's state removed"
    );
    h.room
        .client_awareness(2, &awareness(42, 9, r#"{"user":{}}"#))
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(awareness_in(&frames(&out_b)).is_empty());
    // Bob's own id works.
    h.room
        .client_awareness(2, &awareness(43, 1, r#"{"user":{}}"#))
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(awareness_in(&frames(&out_b)).len(), 1);
    // A remote instance cannot rebind it either.
    h.room.on_bus(BusMessage {
        doc_id: "doc".into(),
        sender: "there".into(),
        seq: 1,
        payload: BusPayload::Awareness(Bytes::from(awareness(
            43,
            7,
            r#"{"user":{"id":"mallory"}}"#,
        ))),
    });
    assert!(awareness_in(&frames(&out_b)).is_empty());
}

#[tokio::test]
async fn a_full_unsaved_backlog_refuses_new_edits_but_not_known_ones() {
    let mut h = harness(1);
    let (a, out_a) = peer("alice", Role::Editor, false);
    h.room.join(1, a).unwrap();
    frames(&out_a);
    let first = edit(7, "a");
    assert_eq!(h.room.client_update(1, &first), Ok(Accepted::Applied));
    assert_eq!(h.backlog.admit(), Err(super::super::persist::BacklogFull));
    let refused = h.room.client_update(1, &edit(8, "b")).unwrap_err();
    assert_eq!(refused.code, protocol::CLOSE_TRY_AGAIN);
    assert_eq!(h.room.server_update(&first, None), Ok(Accepted::Duplicate));
    assert_eq!(text_of(&h.room), "a");
    // Saved: edits are accepted again.
    let pending = h.persisted.try_recv().unwrap();
    drop(pending);
    h.backlog.done(1);
    assert_eq!(
        h.room.client_update(1, &edit(8, "b")),
        Ok(Accepted::Applied)
    );
}

fn from_there(seq: u64, payload: BusPayload) -> BusMessage {
    BusMessage {
        doc_id: "doc".into(),
        sender: "there".into(),
        seq,
        payload,
    }
}

#[tokio::test]
async fn a_gap_in_another_instance_sequence_asks_for_a_repair() {
    let mut h = harness(100);
    h.room
        .on_bus(from_there(1, BusPayload::Update(Bytes::from(edit(5, "x")))));
    assert!(h.bus.take().is_empty(), "in order: nothing to ask");
    assert!(
        h.persisted.try_recv().is_err(),
        "durable on the sender: not logged here"
    );
    h.room
        .on_bus(from_there(3, BusPayload::Update(Bytes::from(edit(6, "y")))));
    let asked = h.bus.take();
    assert!(
        matches!(asked.as_slice(), [BusPayload::SyncRequest(_)]),
        "{asked:?}"
    );
    assert_eq!(text_of(&h.room).len(), 2);
    // Another instance's request is answered with a repair of what it misses.
    let empty_sv = Bytes::from(yrs::StateVector::default().encode_v1_bytes());
    h.room
        .on_bus(from_there(4, BusPayload::SyncRequest(empty_sv)));
    match h.bus.take().as_slice() {
        [BusPayload::Repair(update)] => {
            let d = guard::new_doc();
            guard::apply_update_bytes(&d, update).unwrap();
            use yrs::GetString;
            assert_eq!(d.get_or_insert_text("t").get_string(&d.transact()).len(), 2);
        }
        other => panic!("expected a repair, got {other:?}"),
    }
    // A repair that adds something is logged here (it may be durable nowhere).
    h.room
        .on_bus(from_there(5, BusPayload::Repair(Bytes::from(edit(9, "z")))));
    let logged = h.persisted.try_recv().expect("repair logged");
    assert!(!logged.publish, "others have it already");
}

#[tokio::test]
async fn messages_before_the_load_are_buffered_then_applied() {
    let backlog = Arc::new(Backlog::new(10));
    let (persist, _rx) = Persist::channel(backlog);
    let ctx = RoomCtx {
        limits: RoomLimits {
            max_doc_bytes: 1 << 20,
            max_doc_items: 1 << 20,
        },
        upkeep: UpkeepRules {
            compact_every: 3,
            compact_idle: std::time::Duration::from_secs(5),
            auto_version_idle: None,
        },
        persist,
        bus: Arc::new(RecordingBus::default()),
        instance_id: "here".into(),
        on_poisoned: Arc::new(|_| {}),
    };
    let room = Arc::new(Room::new("doc", ctx));
    room.on_bus(from_there(1, BusPayload::Update(Bytes::from(edit(5, "x")))));
    assert_eq!(text_of(&room), "");
    assert_eq!(room.upkeep(Instant::now()), Upkeep::default(), "not loaded");
    room.install(super::super::persist::snapshot::build_doc(
        &StoredState::default(),
    ));
    assert_eq!(text_of(&room), "x");
}

#[tokio::test]
async fn durable_updates_reach_the_compaction_threshold() {
    let mut h = harness(100);
    let mut batch = Vec::new();
    for i in 0..3 {
        h.room
            .server_update(&edit(10 + i, "k"), Some("u".into()))
            .unwrap();
        batch.push(h.persisted.try_recv().unwrap());
    }
    assert!(!h.room.on_durable(&batch[..2]));
    assert!(h.room.on_durable(&batch[2..]), "3 durable: compact");
    let upkeep = h.room.upkeep(Instant::now());
    assert!(upkeep.compact && upkeep.evictable && upkeep.refresh_text);
    assert!(!h.room.close_if_idle(), "not compacted yet");
    assert!(h.room.begin_compaction(Instant::now()));
    assert!(!h.room.begin_compaction(Instant::now()), "one at a time");
}

/// The JSON of every live event in `frames`.
fn events_in(frames: &[Bytes]) -> Vec<serde_json::Value> {
    frames
        .iter()
        .filter_map(|f| {
            let mut r = quire_doc::lib0::Reader::new(f);
            (r.read_var_u64().ok()? == protocol::MSG_QUIRE_EVENT)
                .then(|| serde_json::from_str(r.read_var_string().ok()?).ok())?
        })
        .collect()
}

fn is_step1(f: &Bytes) -> bool {
    matches!(
        protocol::decode_client_message(f),
        Ok(ClientMessage::SyncStep1 { .. })
    )
}

#[tokio::test]
async fn events_go_to_listeners_with_their_role() {
    use crate::collab::events::DocEvent;
    let h = harness(100);
    let (owner, out_owner) = events_peer("alice", Role::Owner, false, true);
    let (viewer, out_viewer) = events_peer("bob", Role::Viewer, false, true);
    let (stock, out_stock) = peer("carol", Role::Editor, false);
    h.room.join(1, owner).unwrap();
    h.room.join(2, viewer).unwrap();
    h.room.join(3, stock).unwrap();
    for o in [&out_owner, &out_viewer, &out_stock] {
        frames(o);
    }
    h.room.on_event(&DocEvent::Metadata {
        document: serde_json::json!({"id": "doc", "title": "New", "role": null}),
    });
    let owner_events = events_in(&frames(&out_owner));
    let viewer_events = events_in(&frames(&out_viewer));
    assert_eq!(owner_events.len(), 1);
    assert_eq!(owner_events[0]["document"]["role"], "owner");
    assert_eq!(viewer_events[0]["document"]["role"], "viewer");
    assert_eq!(viewer_events[0]["document"]["title"], "New");
    assert!(frames(&out_stock).is_empty(), "no events unless asked");
    // The same event from another instance.
    h.room.on_bus(from_there(
        0,
        BusPayload::Event(Bytes::from(
            DocEvent::Notice {
                event: serde_json::json!({"type": "comment"}),
            }
            .to_bytes(),
        )),
    ));
    assert_eq!(events_in(&frames(&out_viewer))[0]["type"], "comment");
    // Garbage on the bus is ignored.
    h.room
        .on_bus(from_there(0, BusPayload::Event(Bytes::from_static(b"{"))));
    assert!(frames(&out_viewer).is_empty());
}

#[tokio::test]
async fn role_events_are_enforced_and_a_promotion_resyncs() {
    use crate::collab::events::DocEvent;
    let h = harness(100);
    let (bob, out) = events_peer("bob", Role::Editor, false, true);
    let (alice, out_alice) = events_peer("alice", Role::Owner, false, true);
    h.room.join(1, bob).unwrap();
    h.room.join(2, alice).unwrap();
    frames(&out);
    frames(&out_alice);
    let demote = DocEvent::Role {
        user_id: "bob".into(),
        role: Some(Role::Viewer),
    };
    h.room.on_event(&demote);
    let got = frames(&out);
    assert_eq!(
        events_in(&got),
        [serde_json::json!({"type": "role", "role": "viewer"})]
    );
    assert!(!got.iter().any(is_step1), "no resync on a demotion");
    assert!(frames(&out_alice).is_empty(), "only the user concerned");
    assert_eq!(
        h.room.client_update(1, &edit(9, "dropped")),
        Ok(Accepted::ReadOnly)
    );
    // The same role again changes nothing and says nothing.
    h.room.on_event(&demote);
    assert!(frames(&out).is_empty());
    h.room.set_role("bob", Some(Role::Editor));
    let got = frames(&out);
    assert_eq!(events_in(&got)[0]["role"], "editor");
    assert!(
        got.iter().any(is_step1),
        "a promotion asks for the client's state"
    );
    assert_eq!(
        h.room.client_update(1, &edit(9, "kept")),
        Ok(Accepted::Applied)
    );
}

#[tokio::test]
async fn a_deletion_closes_every_socket_with_4404() {
    use crate::collab::events::DocEvent;
    let h = harness(100);
    let (bob, out) = peer("bob", Role::Editor, false);
    h.room.join(1, bob).unwrap();
    frames(&out);
    h.room.on_event(&DocEvent::Deleted);
    let mut batch = Vec::new();
    match out.drain(&mut batch, 16) {
        Drained::Close(c) => assert_eq!(c.code, protocol::CLOSE_GONE),
        Drained::Frames => panic!("expected a close"),
    }
    assert!(h.room.is_closed());
}
