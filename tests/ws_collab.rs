//! The y-websocket endpoint with a real `yrs` client (issue 3): sync,
//! auth at upgrade, viewers, awareness identity, bad input, permissions,
//! acks, durability and compaction. On SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::TestServer;
use common::yclient::{YClient, connect_status};
use quire_doc::protocol::{
    CLOSE_FORBIDDEN, CLOSE_POLICY, CLOSE_SCHEMA_OUTDATED, CLOSE_TOO_BIG, CLOSE_UNAUTHENTICATED,
    CLOSE_UNSUPPORTED,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(5);

async fn two_clients_converge(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = alice.create_doc("Live").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice.share(&doc, "bob", "editor").await;
    let mut a = YClient::connect(&s.base, &doc, &alice.token).await;
    let mut b = YClient::connect(&s.base, &doc, &bob.token).await;
    a.add_paragraph("Hello from alice").await;
    assert!(
        b.until(T, |c| c.xml().contains("Hello from alice")).await,
        "bob got alice's paragraph"
    );
    b.append_text("bob types").await;
    assert!(a.until(T, |c| c.text() == "bob types").await);
    // Interleave more edits, then both settle to the same state.
    for i in 0..20 {
        a.append_text(&format!("a{i} ")).await;
        b.append_text(&format!("b{i} ")).await;
    }
    assert!(a.until(T, |c| c.text().matches('b').count() >= 21).await);
    assert!(b.until(T, |c| c.text().matches('a').count() >= 20).await);
    let _ = a.until(Duration::from_millis(300), |_| false).await;
    let _ = b.until(Duration::from_millis(300), |_| false).await;
    assert_eq!(a.text(), b.text());
    assert_eq!(a.xml(), b.xml());

    // A late joiner receives everything.
    let mut c = YClient::connect(&s.base, &doc, &alice.token).await;
    assert!(
        c.until(T, |c| c.text() == a.text() && c.xml() == a.xml())
            .await
    );

    // The REST content view sees the live state.
    let (st, content) = alice
        .get(&format!("/api/documents/{doc}/content?format=text"))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        content["content"]
            .as_str()
            .unwrap()
            .contains("Hello from alice"),
        "{content}"
    );
    // last_edited_by follows real edits (after the group commit).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, meta) = alice.get(&format!("/api/documents/{doc}")).await;
    assert!(meta["last_edited_by"].as_str().is_some(), "{meta}");
    assert!(meta["last_edited_at"].as_str().is_some(), "{meta}");
    // Presence lists both users.
    let (_, presence) = alice.get(&format!("/api/documents/{doc}/presence")).await;
    let names: Vec<&str> = presence["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"], "{presence}");
}
on_both_backends!(converge, super::two_clients_converge);

async fn upgrade_auth(s: &TestServer) {
    let alice = s.user("alice").await;
    let mallory = s.user("mallory").await;
    let doc_a = alice.create_doc("A").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let doc_b = alice.create_doc("B").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ws = s.base.replace("http://", "ws://");
    assert_eq!(
        connect_status(&format!("{ws}/ws/doc/{doc_a}")).await.err(),
        Some(401)
    );
    assert_eq!(
        connect_status(&format!("{ws}/ws/doc/{doc_a}?token=garbage"))
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        connect_status(&format!("{ws}/ws/doc/{doc_a}?token={}", mallory.token))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        connect_status(&format!("{ws}/ws/doc/nope?token={}", alice.token))
            .await
            .err(),
        Some(404)
    );
    // A document-scoped token opens its document only.
    let (scoped, _) = s
        .state
        .auth
        .start_session(&alice.id, "alice", 60, Some(doc_a.clone()))
        .await
        .unwrap();
    assert!(
        connect_status(&format!("{ws}/ws/doc/{doc_a}?token={scoped}"))
            .await
            .is_ok()
    );
    assert_eq!(
        connect_status(&format!("{ws}/ws/doc/{doc_b}?token={scoped}"))
            .await
            .err(),
        Some(403)
    );
    // An expired token is refused.
    let (expired, _) = s
        .state
        .auth
        .start_session(&alice.id, "alice", 0, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        connect_status(&format!("{ws}/ws/doc/{doc_a}?token={expired}"))
            .await
            .err(),
        Some(401)
    );
    // A token that expires while connected closes with 4401.
    let (short, _) = s
        .state
        .auth
        .start_session(&alice.id, "alice", 2, None)
        .await
        .unwrap();
    let mut c = YClient::connect(&s.base, &doc_a, &short).await;
    assert_eq!(
        c.closed_with(Duration::from_secs(6)).await,
        Some(CLOSE_UNAUTHENTICATED)
    );
    // An outdated editor schema is refused permanently; the current one
    // (reported by /healthz) and newer ones are accepted.
    let health: serde_json::Value = reqwest::get(s.url("/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let current = health["schema"].as_u64().expect("schema in /healthz");
    assert_eq!(
        current,
        u64::from(quire_doc::protocol::EDITOR_SCHEMA_VERSION)
    );
    for old in [0, current - 1] {
        let mut c =
            YClient::connect_with(&s.base, &doc_a, &alice.token, &format!("&schema={old}")).await;
        assert_eq!(
            c.closed_with(T).await,
            Some(CLOSE_SCHEMA_OUTDATED),
            "schema {old}"
        );
    }
    for ok in [current, current + 1] {
        let mut c =
            YClient::connect_with(&s.base, &doc_a, &alice.token, &format!("&schema={ok}")).await;
        c.add_paragraph("schema ok").await;
        assert_eq!(
            c.closed_with(Duration::from_millis(300)).await,
            None,
            "schema {ok}"
        );
    }
}
on_both_backends!(auth, super::upgrade_auth);

async fn viewer_is_read_only(s: &TestServer) {
    let alice = s.user("alice").await;
    let carol = s.user("carol").await;
    let doc = alice.create_doc("RO").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice.share(&doc, "carol", "viewer").await;
    let mut a = YClient::connect(&s.base, &doc, &alice.token).await;
    let mut v = YClient::connect(&s.base, &doc, &carol.token).await;
    a.add_paragraph("from the owner").await;
    assert!(
        v.until(T, |c| c.xml().contains("from the owner")).await,
        "viewer sees live changes"
    );
    v.append_text("viewer was here").await;
    v.add_paragraph("viewer paragraph").await;
    // The owner never receives it; the stored document never has it.
    assert!(
        !a.until(Duration::from_millis(800), |c| c.text().contains("viewer"))
            .await
    );
    let mut late = YClient::connect(&s.base, &doc, &alice.token).await;
    assert!(late.until(T, |c| c.xml().contains("from the owner")).await);
    assert!(!late.text().contains("viewer") && !late.xml().contains("viewer"));
    let (_, content) = alice
        .get(&format!("/api/documents/{doc}/content?format=text"))
        .await;
    assert!(
        !content["content"].as_str().unwrap().contains("viewer"),
        "{content}"
    );
    // Viewers may still share presence.
    v.set_awareness(v.id(), 1, r#"{"user":{"name":"carol"}}"#)
        .await;
    let vid = v.id();
    assert!(a.until(T, |c| c.awareness.contains_key(&vid)).await);
    // And the REST update path refuses them too.
    let (st, _) = carol
        .post(&format!("/api/documents/{doc}/updates"), json!({}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
on_both_backends!(viewer, super::viewer_is_read_only);

async fn awareness_identity(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = alice.create_doc("Presence").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice.share(&doc, "bob", "editor").await;
    let mut a = YClient::connect(&s.base, &doc, &alice.token).await;
    let mut b = YClient::connect(&s.base, &doc, &bob.token).await;
    let aid = a.id();
    let bid = b.id();
    a.set_awareness(aid, 1, r##"{"user":{"name":"alice","color":"#0a0"}}"##)
        .await;
    assert!(b.until(T, |c| c.awareness.contains_key(&aid)).await);
    // Bob pretends to be alice by name, and then by alice's clientID.
    b.set_awareness(
        bid,
        1,
        r##"{"user":{"name":"alice","color":"#f00"},"cursor":null}"##,
    )
    .await;
    assert!(a.until(T, |c| c.awareness.contains_key(&bid)).await);
    let seen: Value = serde_json::from_str(&a.awareness[&bid].1).unwrap();
    assert_eq!(seen["user"]["name"], "bob", "server-stamped name");
    assert_eq!(seen["user"]["id"], bob.id.as_str());
    assert_eq!(
        seen["user"]["color"], "#f00",
        "the rest of the state is kept"
    );
    b.set_awareness(aid, 99, r##"{"user":{"name":"alice","color":"#f00"}}"##)
        .await;
    b.set_awareness(bid, 2, r#"{"user":{"name":"bob"},"marker":2}"#)
        .await;
    assert!(
        a.until(T, |c| c
            .awareness
            .get(&bid)
            .is_some_and(|s| s.1.contains("marker")))
            .await
    );
    let alice_state: Value = serde_json::from_str(&a.awareness[&aid].1).unwrap();
    assert_eq!(
        alice_state["user"]["color"], "#0a0",
        "alice's state was not overwritten"
    );
    assert_eq!(a.awareness[&aid].0, 1);
    // Echo to the sender too (a lone client relies on it).
    assert!(a.until(T, |c| c.awareness.contains_key(&aid)).await);
    // Leaving removes the state for the others.
    drop(b);
    assert!(
        a.until(T, |c| !c.awareness.contains_key(&bid)).await,
        "bob's presence removed on disconnect"
    );
}
on_both_backends!(awareness, super::awareness_identity);

/// Each bad frame closes its connection with the specified code; the
/// document is unchanged and another client keeps working.
async fn malformed_frames(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = alice.create_doc("Bad input").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut good = YClient::connect(&s.base, &doc, &alice.token).await;
    good.append_text("safe").await;
    // step1 + step2 + the echo of our update: the server has applied it.
    assert!(good.until(T, |c| c.frames >= 3).await);
    let before = s
        .state
        .hub
        .read(&doc, |d| quire_doc::guard::encode_full_state(d).unwrap())
        .await
        .unwrap();

    let huge_update = {
        let mut f = vec![0u8, 2];
        quire_doc::lib0::write_var_bytes(&mut f, &vec![0u8; 2 * 1024 * 1024]);
        f
    };
    let cases: Vec<(&str, Vec<u8>, &[u16])> = vec![
        ("truncated varint", vec![0x80], &[CLOSE_POLICY]),
        (
            "huge length prefix",
            vec![0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2],
            &[CLOSE_POLICY],
        ),
        ("unknown message type", vec![9, 0], &[CLOSE_UNSUPPORTED]),
        ("unknown sync type", vec![0, 7, 0], &[CLOSE_UNSUPPORTED]),
        (
            "allocation-bomb update",
            vec![0, 2, 4, 0xf6, 0xa6, 0xf5, 0x64],
            &[CLOSE_POLICY],
        ),
        (
            "allocation-bomb awareness",
            vec![1, 4, 0xf6, 0xa6, 0xf5, 0x64],
            &[CLOSE_POLICY],
        ),
        (
            "panicking update",
            vec![
                0, 2, 19, 0x01, 0x02, 0xc3, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0x3e, 0x00, 0x02, 0x00, 0x02, 0x00, 0x02,
            ],
            &[CLOSE_POLICY],
        ),
        (
            "invalid UTF-8 awareness",
            vec![1, 6, 1, 5, 1, 2, 0xff, 0xfe],
            &[CLOSE_POLICY],
        ),
        ("trailing bytes", vec![3, 3, 3], &[CLOSE_POLICY]),
        ("2 MiB frame", huge_update, &[CLOSE_TOO_BIG]),
    ];
    for (name, frame, codes) in cases {
        let mut bad = YClient::connect(&s.base, &doc, &alice.token).await;
        bad.send(frame).await;
        let code = bad.closed_with(T).await;
        assert!(
            code.is_some_and(|c| codes.contains(&c)),
            "{name}: closed with {code:?}, expected {codes:?}"
        );
    }
    // A text frame is refused too.
    let mut bad = YClient::connect(&s.base, &doc, &alice.token).await;
    use futures_util::SinkExt;
    bad.ws
        .send(tokio_tungstenite::tungstenite::Message::Text(
            "hello".into(),
        ))
        .await
        .unwrap();
    assert_eq!(bad.closed_with(T).await, Some(CLOSE_UNSUPPORTED));

    let after = s
        .state
        .hub
        .read(&doc, |d| quire_doc::guard::encode_full_state(d).unwrap())
        .await
        .unwrap();
    assert_eq!(before, after, "document unchanged by bad input");
    good.append_text(" still works").await;
    assert!(good.until(T, |c| c.text() == "safe still works").await);
    let mut fresh = YClient::connect(&s.base, &doc, &alice.token).await;
    assert!(fresh.until(T, |c| c.text() == "safe still works").await);
}
on_both_backends!(malformed, super::malformed_frames);

/// 10,000 awareness messages as fast as possible: throttled, the server
/// keeps serving the others, the document is untouched.
async fn flood_is_throttled(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = alice.create_doc("Flood").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut good = YClient::connect(&s.base, &doc, &alice.token).await;
    let mut flood = YClient::connect(&s.base, &doc, &alice.token).await;
    let fid = flood.id();
    for i in 1..=10_000u64 {
        flood.set_awareness(fid, i, r#"{"cursor":1}"#).await;
    }
    good.append_text("alive").await;
    assert!(
        good.until(T, |c| c.text() == "alive").await,
        "others keep being served"
    );
    let _ = good.until(Duration::from_millis(500), |_| false).await;
    let seen = good.awareness.get(&fid).map(|s| s.0).unwrap_or(0);
    assert!(
        seen < 10_000,
        "awareness was throttled (last clock relayed {seen})"
    );
    let metrics = reqwest::get(s.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("quire_rate_limited_total"),
        "rate-limit hits are counted"
    );
    let (_, content) = alice
        .get(&format!("/api/documents/{doc}/content?format=text"))
        .await;
    assert_eq!(content["content"].as_str().unwrap().trim(), "", "{content}");
}
on_both_backends!(flood, super::flood_is_throttled);

async fn live_permission_changes(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = alice.create_doc("Perm").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice.share(&doc, "bob", "editor").await;
    let mut a = YClient::connect(&s.base, &doc, &alice.token).await;
    let mut b = YClient::connect(&s.base, &doc, &bob.token).await;
    b.append_text("editor ").await;
    assert!(a.until(T, |c| c.text() == "editor ").await);
    // Demoted to viewer: the socket stays, edits are dropped.
    alice.share(&doc, "bob", "viewer").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    b.append_text("after demotion").await;
    assert!(
        !a.until(Duration::from_millis(800), |c| c.text().contains("after"))
            .await
    );
    // Removed: closed with 4403.
    let (st, _) = alice
        .delete(&format!("/api/documents/{doc}/members/bob"))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(b.closed_with(T).await, Some(CLOSE_FORBIDDEN));
}
on_both_backends!(permissions, super::live_permission_changes);

/// Acks after durability; compaction bounds the log; a restarted server
/// loads snapshot + log and has every edit.
async fn durable_log_and_compaction(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = alice.create_doc("Durable").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut a = YClient::connect_with(&s.base, &doc, &alice.token, "&acks=1").await;
    for i in 0..250 {
        a.append_text(&format!("{i},")).await;
    }
    assert!(
        a.until(Duration::from_secs(10), |c| c.acks >= 1
            && c.text().ends_with("249,"))
            .await
    );
    // Wait until everything is durable and compaction has run.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let pending = s.state.store.pending_update_count(&doc).await.unwrap();
        // Rows the newest snapshot covers are deleted by the next
        // compaction (the previous snapshot stays a valid fallback).
        let rows = s
            .state
            .store
            .load_state(&doc, 1)
            .await
            .unwrap()
            .updates
            .len();
        if s.state.hub.unsaved_updates() == 0 && pending < 100 && rows < 100 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "log not compacted: {pending} pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored = s.state.store.load_state(&doc, 5).await.unwrap();
    assert!(!stored.snapshots.is_empty(), "a snapshot was written");
    assert!(stored.snapshots.len() <= 2, "at most two snapshots kept");
    assert!(
        stored.updates.len() < 250,
        "covered updates deleted ({} left)",
        stored.updates.len()
    );
    let expected = a.text();
    drop(a);

    // Restart on the same database.
    let db = s.db.clone();
    let s2 = TestServer::start_on(db, |_| {}).await;
    let alice2 = s2.user("alice2").await;
    let _ = alice2;
    let mut b = YClient::connect(&s2.base, &doc, &alice.token).await;
    assert!(
        b.until(T, |c| c.text() == expected).await,
        "restarted server has every edit"
    );
    s2.stop().await;
}
on_both_backends!(durability, super::durable_log_and_compaction);

/// A corrupt newest snapshot is skipped in favour of the previous one.
async fn corrupt_snapshot_falls_back(s: &TestServer) {
    use quire::store::NewSnapshot;
    let alice = s.user("alice").await;
    let doc = alice.create_doc("Snap").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut a = YClient::connect_with(&s.base, &doc, &alice.token, "&acks=1").await;
    a.append_text("hello").await;
    assert!(a.until(T, |c| c.acks >= 1).await);
    let room = s.state.hub.active_room(&doc).unwrap();
    s.state.hub.compact(&room).await.unwrap();
    a.append_text(" world").await;
    assert!(a.until(T, |c| c.acks >= 2).await);
    // A newer snapshot whose checksum does not match its bytes, covering " world".
    let last = s
        .state
        .store
        .load_state(&doc, 1)
        .await
        .unwrap()
        .updates
        .last()
        .map(|u| u.id)
        .unwrap();
    s.state
        .store
        .compact(
            &NewSnapshot {
                document_id: doc.clone(),
                state: vec![1, 2, 3],
                state_vector: vec![0],
                checksum: "0".repeat(64),
                last_update_id: last,
                delete_update_ids: Vec::new(),
            },
            "",
        )
        .await
        .unwrap();
    a.append_text(" again").await;
    assert!(a.until(T, |c| c.acks >= 3).await);
    // Loading skips the corrupt snapshot and takes the previous one plus the
    // log after it: nothing is lost, and nothing panics.
    let stored = s.state.store.load_state(&doc, 2).await.unwrap();
    assert_eq!(stored.snapshots.len(), 2);
    let built = quire::collab::hub::build_doc(&stored);
    let text = {
        use yrs::{GetString, Transact};
        let t = built.doc.get_or_insert_text("t");
        t.get_string(&built.doc.transact())
    };
    assert_eq!(text, "hello world again");
    let metrics = reqwest::get(s.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("quire_snapshot_checksum_failures_total"),
        "counted"
    );
}
on_both_backends!(snapshot_fallback, super::corrupt_snapshot_falls_back);

/// A document far larger than one WebSocket fragment (the server splits
/// big messages into 4 KiB fragments of one message) reaches a joining
/// client whole, and a plain GET on the endpoint is refused cleanly.
async fn large_document_sync(s: &TestServer) {
    let alice = s.user("alice").await;
    let body: String = (0..1500)
        .map(|i| format!("Paragraph {i} of a long report.\n\n"))
        .collect();
    assert!(body.len() > 40_000);
    let (st, doc) = alice
        .post("/api/documents", json!({ "title": "Long", "body": body }))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{doc}");
    let doc = doc["id"].as_str().unwrap().to_string();
    let mut a = YClient::connect(&s.base, &doc, &alice.token).await;
    assert!(
        a.until(T, |c| c.paragraphs().len() == 1500).await,
        "got {} paragraphs",
        a.paragraphs().len()
    );
    assert_eq!(a.paragraphs()[1499], "Paragraph 1499 of a long report.");
    // An edit after the big sync still flows both ways.
    let mut b = YClient::connect(&s.base, &doc, &alice.token).await;
    assert!(b.until(T, |c| c.paragraphs().len() == 1500).await);
    a.add_paragraph("tail").await;
    assert!(
        b.until(T, |c| c.paragraphs().last().map(String::as_str)
            == Some("tail"))
            .await
    );

    let resp = reqwest::get(s.url(&format!("/ws/doc/{doc}?token={}", alice.token)))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}
on_both_backends!(large_sync, super::large_document_sync);

/// A client that stops reading (a frozen tab keeping its TCP connection)
/// is closed once its outbound queue overflows, even while the server is
/// blocked writing to it, and everyone else keeps being served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed() {
    use yrs::{Doc, ReadTxn, Transact, XmlElementPrelim, XmlFragment, XmlTextPrelim};
    let s = TestServer::start_with(common::Db::Sqlite, |c| {
        c.limits.ws_outbound_queue = 8;
    })
    .await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = alice.create_doc("Busy").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice.share(&doc, "bob", "viewer").await;
    // Bob syncs once, then never reads again.
    let mut frozen = connect_status(&format!(
        "{}/ws/doc/{doc}?token={}",
        s.base.replace("http://", "ws://"),
        bob.token
    ))
    .await
    .unwrap();
    use futures_util::SinkExt;
    frozen
        .send(tokio_tungstenite::tungstenite::Message::Binary(
            quire_doc::protocol::encode_sync_step1(&[0]).into(),
        ))
        .await
        .unwrap();
    let bob_connected = |p: &Value| {
        p["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "bob")
    };
    let deadline = std::time::Instant::now() + T;
    loop {
        let (_, p) = alice.get(&format!("/api/documents/{doc}/presence")).await;
        if bob_connected(&p) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "bob never joined: {p}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Alice pushes ~12 MB of edits over HTTP: more than the loopback socket
    // buffers hold, so writes to bob block and his queue overflows.
    let source = Doc::new();
    let frag = source.get_or_insert_xml_fragment("default");
    let chunk = "x".repeat(64 * 1024);
    let client = reqwest::Client::new();
    let mut refused = None;
    for i in 0..200 {
        let before = source.transact().state_vector();
        {
            let mut txn = source.transact_mut();
            let p = frag.insert(&mut txn, i, XmlElementPrelim::empty("paragraph"));
            p.insert(&mut txn, 0, XmlTextPrelim::new(chunk.as_str()));
        }
        let update = source.transact().encode_diff_v1(&before);
        let resp = client
            .post(s.url(&format!("/api/documents/{doc}/updates")))
            .bearer_auth(&alice.token)
            .header("content-type", "application/octet-stream")
            .body(update)
            .send()
            .await
            .unwrap();
        if resp.status() != StatusCode::OK {
            refused = Some(resp.status());
            break;
        }
        let (_, p) = alice.get(&format!("/api/documents/{doc}/presence")).await;
        if !bob_connected(&p) {
            break;
        }
    }
    assert_eq!(refused, None, "the writer must keep being served");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, p) = alice.get(&format!("/api/documents/{doc}/presence")).await;
        if !bob_connected(&p) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the frozen client is still connected: {p}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = reqwest::get(s.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("quire_slow_consumers_total") && !l.ends_with(" 0")),
        "slow consumer not counted"
    );
    // A fresh client still gets the whole document.
    let mut late = YClient::connect(&s.base, &doc, &alice.token).await;
    assert!(late.until(T, |c| c.paragraphs().len() >= 8).await);
    drop(frozen);
    s.stop().await;
}
