//! Data integrity under many writers and under shutdown, through the public
//! interface: twelve clients with random client ids typing into one
//! paragraph keep the update log bounded by compaction and lose nothing
//! across a restart; SIGTERM-style shutdown closes sockets with 1012.

mod common;

use std::time::{Duration, Instant};

use common::yclient::YClient;
use common::{Db, TestServer};
use quire_doc::protocol::{CLOSE_DOC_TOO_LARGE, CLOSE_RESTART, CLOSE_UNAUTHENTICATED};
use rand::Rng;
use reqwest::StatusCode;
use serde_json::json;
use yrs::types::xml::XmlOut;
use yrs::{GetString, ReadTxn, Text, WriteTxn, XmlFragment};

const T: Duration = Duration::from_secs(10);

/// Inserts `s` at a random position of the first paragraph's text, which
/// every writer shares: concurrent inserts at interleaved positions.
fn insert_into_shared_paragraph(c: &mut YClient, s: &str) -> impl std::future::Future<Output = ()> {
    let s = s.to_string();
    let pos: f64 = rand::rng().random();
    c.edit(move |txn, _| {
        let frag = txn.get_or_insert_xml_fragment("default");
        let Some(XmlOut::Element(p)) = frag.get(txn, 0) else {
            return;
        };
        let Some(XmlOut::Text(t)) = p.get(txn, 0) else {
            return;
        };
        let len = t.len(txn);
        let at = ((len as f64) * pos) as u32;
        t.insert(txn, at.min(len), &s);
    })
}

fn paragraph_text(c: &YClient) -> String {
    let txn = yrs::Transact::transact(&c.doc);
    let Some(frag) = txn.get_xml_fragment("default") else {
        return String::new();
    };
    let Some(XmlOut::Element(p)) = frag.get(&txn, 0) else {
        return String::new();
    };
    match p.get(&txn, 0) {
        Some(XmlOut::Text(t)) => t.get_string(&txn),
        _ => String::new(),
    }
}

/// Acceptance: twelve concurrent writers; the log never holds more than
/// about two compaction intervals (plus what is in flight), snapshots
/// exist, compaction never fails, and a restarted server has every edit.
async fn twelve_writers(s: &TestServer) {
    let alice = s.user("alice").await;
    let (st, doc) = alice
        .post(
            "/api/documents",
            json!({ "title": "Busy", "body": "start", "body_format": "markdown" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{doc}");
    let doc = doc["id"].as_str().unwrap().to_string();

    let typing_for = Duration::from_secs(6);
    let mut writers = Vec::new();
    for w in 0..12 {
        let base = s.base.clone();
        let (doc, token) = (doc.clone(), alice.token.clone());
        writers.push(tokio::spawn(async move {
            let mut c = YClient::connect(&base, &doc, &token).await;
            assert!(
                c.until(T, |c| !paragraph_text(c).is_empty()).await,
                "initial sync"
            );
            let started = Instant::now();
            let mut n = 0;
            let mut typed = String::new();
            while started.elapsed() < typing_for {
                let token = format!("<{w}.{n}>");
                insert_into_shared_paragraph(&mut c, &token).await;
                typed.push_str(&token);
                n += 1;
                // Read what others typed meanwhile (interleaved, causal edits).
                let until = Instant::now() + Duration::from_millis(40);
                while Instant::now() < until {
                    if !c.pump_one(Duration::from_millis(5)).await && c.close.is_some() {
                        panic!("writer {w} closed: {:?}", c.close);
                    }
                }
            }
            (c, n, typed)
        }));
    }
    // Sample the log while they type.
    let every = s.state.config.persistence.compact_every_updates as usize;
    let mut max_log = 0;
    let watch_until = Instant::now() + typing_for;
    while Instant::now() < watch_until {
        let rows = s
            .state
            .store
            .load_state(&doc, 1)
            .await
            .unwrap()
            .updates
            .len();
        max_log = max_log.max(rows);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut clients = Vec::new();
    let mut typed = 0;
    let mut typed_text = String::new();
    for w in writers {
        let (c, n, t) = w.await.unwrap();
        typed += n;
        typed_text.push_str(&t);
        clients.push(c);
    }
    assert!(typed > 500, "enough concurrent edits ({typed})");
    // Everyone converges.
    let mut expected = String::new();
    for _ in 0..50 {
        for c in clients.iter_mut() {
            while c.pump_one(Duration::from_millis(20)).await {}
        }
        let texts: Vec<String> = clients.iter().map(paragraph_text).collect();
        if texts.iter().all(|t| t == &texts[0]) {
            expected = texts[0].clone();
            break;
        }
    }
    assert!(!expected.is_empty(), "clients converge");
    // Inserts land inside each other's tokens, so compare characters: the
    // merged text holds exactly what everyone typed, plus the initial body.
    let mut want: Vec<char> = typed_text.chars().chain("start".chars()).collect();
    let mut got: Vec<char> = expected.chars().collect();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want, "every typed character is there exactly once");
    // Durable and compacted: the hub compacts without error.
    let deadline = Instant::now() + T;
    while s.state.hub.unsaved_updates() > 0 {
        assert!(Instant::now() < deadline, "updates become durable");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let room = s.state.hub.room(&doc).await.unwrap();
    s.state
        .hub
        .compact(&room)
        .await
        .expect("compaction succeeds with many writers");
    s.state.hub.compact(&room).await.expect("and again");
    assert_eq!(s.state.hub.compaction_failures(), 0, "no compaction failed");
    let stored = s.state.store.load_state(&doc, 5).await.unwrap();
    assert!(!stored.snapshots.is_empty(), "snapshots exist");
    assert!(
        max_log <= 3 * every + 200,
        "log stays bounded while typing: {max_log} rows (compaction every {every})"
    );
    assert!(
        stored.updates.len() <= 2 * every,
        "log bounded after compaction: {} rows",
        stored.updates.len()
    );
    drop(clients);

    // Restart on the same database: every edit is there.
    let db = s.db.clone();
    let s2 = TestServer::start_on(db, |_| {}).await;
    let mut fresh = YClient::connect(&s2.base, &doc, &alice.token).await;
    assert!(
        fresh.until(T, |c| paragraph_text(c) == expected).await,
        "a fresh client after restart has every edit"
    );
    let (st, content) = alice
        .call(
            reqwest::Method::GET,
            &format!("/api/documents/{doc}/content?format=text"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // `alice` talks to the first server; ask the restarted one too.
    let body: serde_json::Value = reqwest::Client::new()
        .get(s2.url(&format!("/api/documents/{doc}/content?format=text")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["content"].as_str().unwrap().trim(), expected);
    assert_eq!(content["content"].as_str().unwrap().trim(), expected);
    s2.stop().await;
}
on_both_backends!(twelve_concurrent_writers, super::twelve_writers);

/// Shutdown closes every socket with 1012 (service restart) so clients
/// reconnect at once; a client that reconnects (here: to the restarted
/// server) resends whatever was not yet accepted, so nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_sockets_with_1012() {
    let s = TestServer::start(Db::Sqlite).await;
    let alice = s.user("alice").await;
    let doc = alice.create_doc("Bye").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut a = YClient::connect_with(&s.base, &doc, &alice.token, "&acks=1").await;
    a.append_text("durable ").await;
    assert!(a.until(T, |c| c.acks >= 1).await, "first edit acknowledged");
    // Typed right before the shutdown: may or may not be accepted.
    a.append_text("late").await;
    let db = s.db.clone();
    let stopping = tokio::spawn(s.stop());
    assert_eq!(a.closed_with(T).await, Some(CLOSE_RESTART));
    stopping.await.unwrap();
    let s2 = TestServer::start_on(db, |_| {}).await;
    let mut fresh = YClient::connect(&s2.base, &doc, &alice.token).await;
    assert!(
        fresh.until(T, |c| c.text().starts_with("durable ")).await,
        "the acknowledged edit is durable"
    );
    a.reconnect(&s2.base, &doc, &alice.token).await;
    // Answer the server's sync step 1 with what it lacks.
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        a.pump_one(Duration::from_millis(50)).await;
    }
    assert!(
        fresh.until(T, |c| c.text() == "durable late").await,
        "the reconnecting client resent the rest: {:?}",
        fresh.text()
    );
    s2.stop().await;
}

/// A read-only API token stays read-only when the user's role is changed
/// (or re-checked) while the socket is open.
async fn read_only_token_cap(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = alice.create_doc("Capped").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, _) = alice
        .put(
            &format!("/api/documents/{doc}/members/bob"),
            json!({ "role": "editor" }),
        )
        .await;
    assert!(st.is_success());
    let (st, tok) = bob
        .post(
            "/api/auth/tokens",
            json!({ "name": "ro", "read_only": true }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{tok}");
    let ro = tok["token"].as_str().unwrap().to_string();
    let mut watcher = YClient::connect(&s.base, &doc, &alice.token).await;
    let mut b = YClient::connect(&s.base, &doc, &ro).await;
    assert!(b.until(T, |c| c.frames > 0).await);
    // A members change re-applies bob's role to his live sockets.
    let (st, _) = alice
        .put(
            &format!("/api/documents/{doc}/members/bob"),
            json!({ "role": "owner" }),
        )
        .await;
    assert!(st.is_success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    b.append_text("should not land").await;
    watcher.append_text("owner text").await;
    assert!(watcher.until(T, |c| c.text().contains("owner text")).await);
    assert!(
        !watcher
            .until(Duration::from_millis(800), |c| c
                .text()
                .contains("should not"))
            .await,
        "a read-only token's update was applied"
    );
}
on_both_backends!(read_only_token_stays_read_only, super::read_only_token_cap);

/// Revoking a personal API token closes the sockets opened with it (4401).
async fn revoked_token_socket(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = alice.create_doc("Revoked").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, tok) = alice
        .post(
            "/api/auth/tokens",
            json!({ "name": "rw", "read_only": false }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{tok}");
    let secret = tok["token"].as_str().unwrap().to_string();
    let id = tok["id"].as_str().unwrap().to_string();
    let mut c = YClient::connect(&s.base, &doc, &secret).await;
    c.append_text("before").await;
    assert!(c.until(T, |c| c.text() == "before").await);
    let (st, _) = alice.delete(&format!("/api/auth/tokens/{id}")).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(c.closed_with(T).await, Some(CLOSE_UNAUTHENTICATED));
}
on_both_backends!(revoked_token_closes_its_socket, super::revoked_token_socket);

/// An awareness client id belongs to the user who first used it, for the
/// life of the document in memory: another member cannot take it over once
/// its owner disconnected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_client_ids_cannot_be_taken_over() {
    let s = TestServer::start(Db::Sqlite).await;
    let alice = s.user("alice").await;
    let mallory = s.user("mallory").await;
    let doc = alice.create_doc("Aw").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, _) = alice
        .put(
            &format!("/api/documents/{doc}/members/mallory"),
            json!({ "role": "viewer" }),
        )
        .await;
    assert!(st.is_success());
    let mut observer = YClient::connect(&s.base, &doc, &alice.token).await;
    let mut a = YClient::connect(&s.base, &doc, &alice.token).await;
    let id = 4_242_424u64;
    a.set_awareness(id, 1, r#"{"cursor":1}"#).await;
    assert!(observer.until(T, |c| c.awareness.contains_key(&id)).await);
    a.disconnect().await;
    assert!(
        observer.until(T, |c| !c.awareness.contains_key(&id)).await,
        "removal relayed"
    );
    let mut m = YClient::connect(&s.base, &doc, &mallory.token).await;
    m.set_awareness(id, 5, r#"{"cursor":2}"#).await;
    // Mallory's own id still works, so the check is not vacuous.
    m.set_awareness(777, 1, r#"{"cursor":3}"#).await;
    assert!(observer.until(T, |c| c.awareness.contains_key(&777)).await);
    assert!(
        !observer.awareness.contains_key(&id),
        "another user took over a bound client id: {:?}",
        observer.awareness.get(&id)
    );
    s.stop().await;
}

/// Ids that cannot be document ids (NUL, not a UUID) are 404 at the
/// WebSocket upgrade, before any query.
async fn bad_ids_at_upgrade(s: &TestServer) {
    let alice = s.user("alice").await;
    for id in ["a%00b", "%00", "not-a-uuid", "x'--"] {
        let url = format!(
            "{}/ws/doc/{id}?token={}",
            s.base.replace("http://", "ws://"),
            alice.token
        );
        let st = common::yclient::connect_status(&url).await.err();
        assert_eq!(st, Some(404), "{id}");
    }
}
on_both_backends!(bad_document_ids_at_upgrade, super::bad_ids_at_upgrade);

/// Items are bounded per document as well as bytes: many tiny items cost
/// far more memory than their encoded size. Beyond the bound the update is
/// refused (4413) and what was accepted before stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_per_document_are_bounded() {
    let s = TestServer::start_with(Db::Sqlite, |c| c.persistence.max_doc_items = 40).await;
    let alice = s.user("alice").await;
    let doc = alice.create_doc("Tiny items").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut a = YClient::connect_with(&s.base, &doc, &alice.token, "&acks=1").await;
    // Each edit is one struct: a one-character item inserted at the start
    // (so it cannot be merged with its neighbour).
    let mut sent = 0;
    for i in 0..80 {
        let ch = char::from(b'a' + (i % 26) as u8).to_string();
        a.edit(move |txn, _| {
            let t = txn.get_or_insert_text("t");
            t.insert(txn, 0, &ch);
        })
        .await;
        sent += 1;
        if a.close.is_some() {
            break;
        }
    }
    assert_eq!(
        a.closed_with(T).await,
        Some(CLOSE_DOC_TOO_LARGE),
        "refused past the bound"
    );
    let mut fresh = YClient::connect(&s.base, &doc, &alice.token).await;
    assert!(
        fresh.until(T, |c| c.text().chars().count() >= 30).await,
        "earlier edits kept"
    );
    let kept = fresh.text().chars().count();
    assert!(
        kept < sent,
        "not everything was accepted ({kept} of {sent})"
    );
    s.stop().await;
}

/// A cookie-authenticated WebSocket from another site's page is refused;
/// the same cookie from our own origin, and tokens from anywhere, work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_cookie_websockets_are_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let s = TestServer::start(Db::Sqlite).await;
    let alice = s.user("alice").await;
    let doc = alice.create_doc("Origin").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("{}/ws/doc/{doc}", s.base.replace("http://", "ws://"));
    let attempt = |origin: Option<&str>| {
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut().insert(
            "cookie",
            format!("quire_session={}", alice.token).parse().unwrap(),
        );
        if let Some(o) = origin {
            req.headers_mut().insert("origin", o.parse().unwrap());
        }
        async move {
            match tokio_tungstenite::connect_async(req).await {
                Ok(_) => 101,
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
                Err(e) => panic!("{e}"),
            }
        }
    };
    assert_eq!(attempt(Some("https://evil.example")).await, 403);
    assert_eq!(
        attempt(Some(&format!("http://127.0.0.1:{}", s.addr.port()))).await,
        101
    );
    assert_eq!(attempt(None).await, 101);
    // A token in the URL is not ambient: any origin may use it.
    let mut req = format!("{url}?token={}", alice.token)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok());
    s.stop().await;
}

/// One user cannot hold unbounded memory open across documents: opening
/// one more document past the per-user estimate is refused (4413), while
/// another user may still open it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_user_resident_memory_is_bounded() {
    // 40 items of ~250 bytes: 10 KB per document; the limit fits one.
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.persistence.max_user_resident_bytes = 15_000
    })
    .await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let mut docs = Vec::new();
    for i in 0..2 {
        let id = alice.create_doc(&format!("Big {i}")).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (st, _) = alice
            .put(
                &format!("/api/documents/{id}/members/bob"),
                json!({ "role": "editor" }),
            )
            .await;
        assert!(st.is_success());
        docs.push(id);
    }
    let mut first = YClient::connect_with(&s.base, &docs[0], &alice.token, "&acks=1").await;
    for i in 0..40u32 {
        let ch = char::from(b'a' + (i % 26) as u8).to_string();
        first
            .edit(move |txn, _| {
                let t = txn.get_or_insert_text("t");
                t.insert(txn, 0, &ch);
            })
            .await;
    }
    assert!(
        first
            .until(T, |c| c.acks >= 1 && c.text().chars().count() == 40)
            .await
    );
    // The second document is small, but alice already holds the first open.
    let mut b2 = YClient::connect(&s.base, &docs[1], &bob.token).await;
    for i in 0..40u32 {
        let ch = char::from(b'a' + (i % 26) as u8).to_string();
        b2.edit(move |txn, _| {
            let t = txn.get_or_insert_text("t");
            t.insert(txn, 0, &ch);
        })
        .await;
    }
    assert!(
        b2.until(T, |c| c.text().chars().count() == 40).await,
        "bob may open it"
    );
    // The server has applied all of both documents' items (the clients'
    // own texts are complete before the server has them).
    for doc in &docs {
        let mut applied = false;
        for _ in 0..100 {
            let len = s
                .state
                .hub
                .read(doc, |d| {
                    use yrs::{GetString, Transact};
                    let t = d.get_or_insert_text("t");
                    t.get_string(&d.transact()).chars().count()
                })
                .await
                .unwrap();
            if len == 40 {
                applied = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(applied, "the server applied {doc}");
    }
    let mut second = YClient::connect(&s.base, &docs[1], &alice.token).await;
    assert_eq!(
        second.closed_with(T).await,
        Some(CLOSE_DOC_TOO_LARGE),
        "alice is over her bound"
    );
    // Closing the first frees her budget.
    first.disconnect().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = YClient::connect(&s.base, &docs[1], &alice.token).await;
    assert!(
        again.until(T, |c| c.text().chars().count() == 40).await,
        "admitted after closing one"
    );
    s.stop().await;
}
