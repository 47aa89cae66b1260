//! Everything about a document is live: events on the document WebSocket
//! (`?events=1`, message type 101), role changes enforced on open sockets,
//! the `/api/events` stream of document-list changes, and revocable
//! sessions. Single-instance scenarios run on SQLite and PostgreSQL; the
//! cross-instance ones run three instances on PostgreSQL with Redis.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::events::EventStream;
use common::redis::{Redis, free_port};
use common::yclient::YClient;
use common::{Api, Db, TestDatabase, TestServer, id};
use quire_doc::protocol::{self, CLOSE_FORBIDDEN, CLOSE_GONE, CLOSE_UNAUTHENTICATED};
use reqwest::StatusCode;
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(5);

async fn events_socket(base: &str, doc: &str, user: &Api) -> YClient {
    let mut c = YClient::connect_with(base, doc, &user.token, "&events=1").await;
    // The opening sync, so later frames are the ones under test.
    assert!(c.until(T, |c| c.step1s > 0).await);
    c
}

/// Waits until the server's text of `doc` contains `needle`.
async fn server_has(s: &TestServer, doc: &str, needle: &str) -> bool {
    for _ in 0..50 {
        let text = s
            .state
            .hub
            .read(doc, quire::collab::content::plain_text)
            .await
            .unwrap();
        if text.contains(needle) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Signs `user` in once more: a second, independent session.
async fn second_session(s: &TestServer, user: &Api) -> Api {
    let resp = reqwest::Client::new()
        .post(s.url("/api/auth/login"))
        .json(&json!({ "username": user.username, "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    Api {
        token: body["token"].as_str().unwrap().to_string(),
        ..user.clone()
    }
}

/// Metadata, member and version events reach every `events=1` socket (the
/// actor's own included) with the receiver's role; a socket that did not
/// ask sees no type-101 frame.
async fn events_reach_event_sockets(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = id(&alice.create_doc("Draft").await);
    alice.share(&doc, &bob.username, "editor").await;
    let mut a = events_socket(&s.base, &doc, &alice).await;
    let mut b = events_socket(&s.base, &doc, &bob).await;
    let mut stock = YClient::connect(&s.base, &doc, &bob.token).await;

    let (st, _) = alice
        .patch(
            &format!("/api/documents/{doc}"),
            json!({ "title": "Renamed", "status": "review", "expected_version": 1 }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let ea = a.next_event("metadata", 0, T).await.expect("alice's event");
    let eb = b.next_event("metadata", 0, T).await.expect("bob's event");
    for (e, role) in [(&ea, "owner"), (&eb, "editor")] {
        assert_eq!(e["document"]["title"], "Renamed");
        assert_eq!(e["document"]["status"], "review");
        assert_eq!(e["document"]["version"], 2);
        assert_eq!(e["document"]["role"], role);
        assert_eq!(e["document"]["updated_by_username"], "alice");
    }

    // A named version, then a restore: one event each.
    let seen = b.events.len();
    let (st, v) = alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "first" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let e = b
        .next_event("version", seen, T)
        .await
        .expect("version event");
    assert_eq!(e["version"]["number"], v["number"]);
    assert_eq!(e["version"]["label"], "first");
    assert!(e.get("restored_from").is_none());

    let seen = b.events.len();
    let (st, r) = alice
        .post(
            &format!("/api/documents/{doc}/restore/{}", v["number"]),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let e = b
        .next_event("version", seen, T)
        .await
        .expect("restore event");
    assert_eq!(e["restored_from"], v["number"]);
    assert_eq!(e["version"]["number"], r["backup_version"]);
    assert_eq!(e["version"]["auto"], true);
    // Exactly one event for the restore.
    b.until(Duration::from_millis(500), |_| false).await;
    let versions = b.events[seen..]
        .iter()
        .filter(|e| e["type"] == "version")
        .count();
    assert_eq!(versions, 1, "{:?}", &b.events[seen..]);

    // Sharing with carol: everyone open gets the member list.
    let carol = s.user("carol").await;
    let seen = a.events.len();
    alice.share(&doc, &carol.username, "viewer").await;
    let e = a
        .next_event("members", seen, T)
        .await
        .expect("members event");
    let names: Vec<&str> = e["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"carol") && names.contains(&"bob"), "{e}");

    // The stock client got the same traffic minus every event.
    stock.until(Duration::from_millis(500), |_| false).await;
    assert!(stock.frames > 0);
    assert!(stock.events.is_empty(), "{:?}", stock.events);
}
on_both_backends!(
    events_reach_event_sockets,
    super::events_reach_event_sockets
);

/// A demotion is enforced at once and announced; updates sent while
/// demoted are dropped; a promotion asks the client for its state again.
async fn role_changes_apply_to_open_sockets(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = id(&alice.create_doc("Roles").await);
    alice.share(&doc, &bob.username, "editor").await;
    let mut b = events_socket(&s.base, &doc, &bob).await;
    b.add_paragraph("before").await;
    assert!(
        server_has(s, &doc, "before").await,
        "an editor's text is accepted"
    );

    alice.share(&doc, &bob.username, "viewer").await;
    let e = b.next_event("role", 0, T).await.expect("role event");
    assert_eq!(e["role"], "viewer");
    b.add_paragraph("while viewer").await;
    b.add_paragraph("marker").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = s
        .state
        .hub
        .read(&doc, quire::collab::content::plain_text)
        .await
        .unwrap();
    assert!(
        !text.contains("while viewer") && !text.contains("marker"),
        "a viewer's updates are dropped: {text}"
    );

    // Promotion: announced, and the server asks for the client's state.
    let (seen, step1s) = (b.events.len(), b.step1s);
    alice.share(&doc, &bob.username, "editor").await;
    let e = b
        .next_event("role", seen, T)
        .await
        .expect("promotion event");
    assert_eq!(e["role"], "editor");
    assert!(b.until(T, |c| c.step1s > step1s).await, "sync step 1 again");
    b.add_paragraph("editor again").await;
    assert!(
        server_has(s, &doc, "editor again").await,
        "editing works again without reconnecting"
    );

    // Removal closes with 4403, deletion with 4404.
    alice.share(&doc, &bob.username, "viewer").await;
    let mut a = events_socket(&s.base, &doc, &alice).await;
    let (st, _) = alice
        .delete(&format!("/api/documents/{doc}/members/{}", bob.username))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(b.closed_with(T).await, Some(CLOSE_FORBIDDEN));
    let (st, _) = alice.delete(&format!("/api/documents/{doc}")).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(a.closed_with(T).await, Some(CLOSE_GONE));
}
on_both_backends!(
    role_changes_apply_to_open_sockets,
    super::role_changes_apply_to_open_sockets
);

/// Clients may not send type 101.
async fn clients_may_not_send_events(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = id(&alice.create_doc("No events from clients").await);
    let mut c = events_socket(&s.base, &doc, &alice).await;
    c.send(protocol::encode_event(r#"{"type":"metadata"}"#))
        .await;
    assert_eq!(c.closed_with(T).await, Some(protocol::CLOSE_UNSUPPORTED));
}
on_both_backends!(
    clients_may_not_send_events,
    super::clients_may_not_send_events
);

/// Signing out revokes that session only; signing out everywhere revokes
/// every session; sockets of revoked sessions close with 4401; API tokens
/// survive both; other users are untouched.
async fn sessions_are_revocable(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob_a = s.user("bob").await;
    let bob_b = second_session(s, &bob_a).await;
    let doc = id(&alice.create_doc("Sessions").await);
    alice.share(&doc, &bob_a.username, "editor").await;
    let (st, tok) = bob_a
        .post(
            "/api/auth/tokens",
            json!({ "name": "ci", "read_only": false }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{tok}");
    let pat = Api {
        token: tok["token"].as_str().unwrap().to_string(),
        ..bob_a.clone()
    };
    let mut ws_a = events_socket(&s.base, &doc, &bob_a).await;
    let mut ws_b = events_socket(&s.base, &doc, &bob_b).await;
    let mut ws_alice = events_socket(&s.base, &doc, &alice).await;

    let (st, _) = bob_a.post("/api/auth/logout", json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(bob_a.get("/api/auth/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(ws_a.closed_with(T).await, Some(CLOSE_UNAUTHENTICATED));
    let url = |t: &str| format!("{}/ws/doc/{doc}?token={t}", s.base.replace("http", "ws"));
    assert_eq!(
        common::yclient::connect_status(&url(&bob_a.token))
            .await
            .err(),
        Some(401)
    );
    // The other session still works, on REST and on its socket.
    assert_eq!(bob_b.get("/api/auth/me").await.0, StatusCode::OK);
    ws_b.add_paragraph("still here").await;
    assert!(server_has(s, &doc, "still here").await);
    ws_b.until(Duration::from_millis(200), |_| false).await;
    assert!(ws_b.close.is_none());

    let (st, _) = bob_b.post("/api/auth/logout-all", json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(bob_b.get("/api/auth/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(ws_b.closed_with(T).await, Some(CLOSE_UNAUTHENTICATED));
    // A personal API token is not a session.
    assert_eq!(pat.get("/api/auth/me").await.0, StatusCode::OK);
    // Alice is untouched.
    assert_eq!(alice.get("/api/auth/me").await.0, StatusCode::OK);
    ws_alice.add_paragraph("alice types").await;
    assert!(server_has(s, &doc, "alice types").await);
    ws_alice.until(Duration::from_millis(200), |_| false).await;
    assert!(ws_alice.close.is_none());
    // Without credentials logout-all is 401; logout still answers 204.
    let anon = reqwest::Client::new();
    let r = anon
        .post(s.url("/api/auth/logout-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = anon.post(s.url("/api/auth/logout")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}
on_both_backends!(sessions_are_revocable, super::sessions_are_revocable);

/// The document list stream: created, shared, updated, unshared, deleted,
/// each only to the users it concerns, with their role.
async fn document_list_stream(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let mallory = s.user("mallory").await;
    let anon = reqwest::Client::new();
    let r = anon.get(s.url("/api/events")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let mut ea = EventStream::open(&s.base, &alice.token).await;
    let mut eb = EventStream::open(&s.base, &bob.token).await;
    let mut em = EventStream::open(&s.base, &mallory.token).await;
    let doc = id(&alice.create_doc("Listed").await);
    let (k, d) = ea.next(T).await.expect("created");
    assert_eq!((k.as_str(), &d["document"]["id"]), ("created", &json!(doc)));
    assert_eq!(d["document"]["role"], "owner");

    alice.share(&doc, &bob.username, "viewer").await;
    let (k, d) = eb.next(T).await.expect("shared");
    assert_eq!(k, "shared");
    assert_eq!(d["type"], "shared");
    assert_eq!(d["document"]["role"], "viewer");
    // …and bob's bell is told of the share.
    let (k, d) = eb.next(T).await.expect("notification");
    assert_eq!(k, "notification");
    assert_eq!(d["notification"]["type"], "shared");
    assert_eq!(d["notification"]["document_id"], doc.as_str());

    alice
        .patch(
            &format!("/api/documents/{doc}"),
            json!({ "title": "Listed & renamed", "expected_version": 1 }),
        )
        .await;
    for (stream, role) in [(&mut ea, "owner"), (&mut eb, "viewer")] {
        let (k, d) = stream.next(T).await.expect("updated");
        assert_eq!(k, "updated");
        assert_eq!(d["document"]["title"], "Listed & renamed");
        assert_eq!(d["document"]["role"], role);
    }

    alice
        .delete(&format!("/api/documents/{doc}/members/{}", bob.username))
        .await;
    let (k, d) = eb.next(T).await.expect("unshared");
    assert_eq!(k, "unshared");
    assert_eq!(d, json!({ "type": "unshared", "document_id": doc }));

    alice.delete(&format!("/api/documents/{doc}")).await;
    let (k, d) = ea.next(T).await.expect("deleted");
    assert_eq!(k, "deleted");
    assert_eq!(d["document_id"], json!(doc));
    // Mallory saw nothing of it.
    assert!(em.next(Duration::from_millis(300)).await.is_none());

    // Signing out ends the stream of that session.
    alice.post("/api/auth/logout", json!({})).await;
    assert!(ea.ends(T).await, "a revoked session's stream ends");
}
on_both_backends!(document_list_stream, super::document_list_stream);

async fn three_instances(redis: &Redis) -> (Arc<TestDatabase>, Vec<TestServer>) {
    let db = Arc::new(TestDatabase::create(Db::Postgres).await);
    let mut servers = Vec::new();
    for name in ["a", "b", "c"] {
        let url = redis.url();
        servers.push(
            TestServer::start_on(db.clone(), move |c| {
                c.redis_url = Some(url);
                c.instance_id = Some(name.to_string());
            })
            .await,
        );
    }
    (db, servers)
}

/// The same, across instances: a change made through instance a reaches
/// sockets and event streams on b and c; a sign-out on a closes the
/// session's sockets on b and is refused there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_revocations_cross_instances() {
    let redis = Redis::start(free_port());
    let (_db, servers) = three_instances(&redis).await;
    let alice = servers[0].user("alice").await;
    let bob = servers[0].user("bob").await;
    let doc = id(&alice.create_doc("Across").await);
    alice.share(&doc, &bob.username, "editor").await;
    let on = |i: usize, api: &Api| Api {
        base: servers[i].base.clone(),
        ..api.clone()
    };
    let mut b_on_b = events_socket(&servers[1].base, &doc, &bob).await;
    let mut b_on_c = events_socket(&servers[2].base, &doc, &bob).await;
    let mut list_on_c = EventStream::open(&servers[2].base, &bob.token).await;

    alice
        .patch(
            &format!("/api/documents/{doc}"),
            json!({ "title": "Across instances", "expected_version": 1 }),
        )
        .await;
    for c in [&mut b_on_b, &mut b_on_c] {
        let e = c.next_event("metadata", 0, T).await.expect("metadata");
        assert_eq!(e["document"]["title"], "Across instances");
        assert_eq!(e["document"]["role"], "editor");
    }
    let (k, d) = list_on_c.next(T).await.expect("updated on c");
    assert_eq!(k, "updated");
    assert_eq!(d["document"]["title"], "Across instances");

    // Demotion made on a applies on b at once.
    alice.share(&doc, &bob.username, "viewer").await;
    let e = b_on_b.next_event("role", 0, T).await.expect("role on b");
    assert_eq!(e["role"], "viewer");
    b_on_b.add_paragraph("dropped").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = servers[0]
        .state
        .hub
        .read(&doc, quire::collab::content::plain_text)
        .await
        .unwrap();
    assert!(!text.contains("dropped"), "{text}");

    // Sign-out through a: bob's sockets on b and c close, b refuses him.
    let (st, _) = on(0, &bob).post("/api/auth/logout", json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(b_on_b.closed_with(T).await, Some(CLOSE_UNAUTHENTICATED));
    assert_eq!(b_on_c.closed_with(T).await, Some(CLOSE_UNAUTHENTICATED));
    assert_eq!(
        on(1, &bob).get("/api/auth/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert!(list_on_c.ends(T).await);

    // Deletion on a closes alice's socket on c with 4404.
    let mut a_on_c = events_socket(&servers[2].base, &doc, &alice).await;
    alice.delete(&format!("/api/documents/{doc}")).await;
    assert_eq!(a_on_c.closed_with(T).await, Some(CLOSE_GONE));
    for s in servers {
        s.stop().await;
    }
}

/// Without the bus, a revocation still reaches REST on another instance
/// within a second (the session cache trusts a check for less than that).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_is_seen_without_the_bus() {
    let db = Arc::new(TestDatabase::create(Db::Postgres).await);
    let a = TestServer::start_on(db.clone(), |_| {}).await;
    let b = TestServer::start_on(db.clone(), |_| {}).await;
    let bob = a.user("bob").await;
    let on_b = Api {
        base: b.base.clone(),
        ..bob.clone()
    };
    assert_eq!(on_b.get("/api/auth/me").await.0, StatusCode::OK);
    let (st, _) = bob.post("/api/auth/logout", json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    tokio::time::sleep(quire::auth::sessions::FRESH_FOR).await;
    assert_eq!(on_b.get("/api/auth/me").await.0, StatusCode::UNAUTHORIZED);
    a.stop().await;
    b.stop().await;
}
