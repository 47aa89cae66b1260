//! Webhooks end to end: registration rules, signed deliveries to a real
//! HTTP receiver, retries with growing delays, the delivery log and
//! redelivery, every event type, the debounce of `document.updated`, one
//! delivery for a scheduled publish with two instances, and no event lost
//! when the server is SIGKILLed between the change and the delivery.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use common::{Api, Db, TestDatabase, TestServer, id};
use quire::webhooks::signature;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "receiver-secret-1";

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("body is JSON")
    }
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

/// What the receiver's handler shares: the requests, and the statuses left.
type Shared = (
    Arc<Mutex<Vec<Received>>>,
    Arc<Mutex<std::vec::IntoIter<u16>>>,
);

/// An HTTP receiver on 127.0.0.1 answering each request with the next
/// scripted status (200 once the script is used up).
#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<u16>) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script = Arc::new(Mutex::new(script.into_iter()));
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    |State((got, script)): State<Shared>,
                     headers: HeaderMap,
                     body: Bytes| async move {
                        got.lock().unwrap().push(Received {
                            at: Instant::now(),
                            headers,
                            body,
                        });
                        let status = script.lock().unwrap().next().unwrap_or(200);
                        AxStatus::from_u16(status).unwrap()
                    },
                ),
            )
            .with_state((got.clone(), script));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, got }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn of_type(&self, kind: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.json()["type"] == kind)
            .collect()
    }

    /// Waits until `pred` holds for what was received.
    async fn until(&self, timeout: Duration, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if pred(&got) || Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn quick(config: &mut quire::config::Config) {
    config.webhooks.allow_private = true;
    config.webhooks.retry_base_ms = 300;
    config.webhooks.updated_debounce_secs = 3600;
}

async fn add_hook(api: &Api, url: &str, events: &[&str]) -> Value {
    let (status, hook) = api
        .post(
            "/api/webhooks",
            json!({ "url": url, "events": events, "secret": SECRET }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    hook
}

fn assert_signed(r: &Received) {
    let header = r.header("quire-signature");
    assert!(
        signature::verify(SECRET, &header, &r.body),
        "bad signature {header:?}"
    );
    assert!(
        !signature::verify("another-secret", &header, &r.body),
        "a wrong secret must not verify"
    );
}

async fn registration_rules(db: Db) {
    // Default configuration: private targets refused.
    let server = TestServer::start(db).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:8080/",
        "http://[::1]/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "ftp://93.184.216.34/",
        "not a url",
        "",
    ] {
        let (status, body) = alice
            .post(
                "/api/webhooks",
                json!({ "url": url, "events": ["document.published"] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(body["error"], "validation", "{url}: {body}");
    }
    let public = "https://93.184.216.34/hook";
    for events in [json!([]), json!(["document.created"]), json!(["x\u{0}"])] {
        let (status, body) = alice
            .post("/api/webhooks", json!({ "url": public, "events": events }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{events}: {body}");
    }
    let (status, _) = alice
        .post(
            "/api/webhooks",
            json!({ "url": public, "events": ["version.created"], "secret": "short" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A generated secret, shown once.
    let (status, hook) = alice
        .post(
            "/api/webhooks",
            json!({ "url": public, "events": ["version.created", "version.created", "comment.created"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() > 30, "{hook}");
    assert_eq!(
        hook["events"],
        json!(["version.created", "comment.created"])
    );
    let hook_id = id(&hook);
    let (status, list) = alice.get("/api/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert!(
        !list.to_string().contains(secret),
        "the secret is never shown again: {list}"
    );

    // Another user's hook does not exist for bob.
    let (status, list) = bob.get("/api/webhooks").await;
    assert_eq!(
        (status, list["items"].as_array().unwrap().len()),
        (StatusCode::OK, 0)
    );
    assert_eq!(
        bob.get(&format!("/api/webhooks/{hook_id}/deliveries"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.delete(&format!("/api/webhooks/{hook_id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alice.delete("/api/webhooks/..%2F..").await.0,
        StatusCode::NOT_FOUND
    );

    // A read-only token may list but not change hooks.
    let (status, token) = alice
        .post(
            "/api/auth/tokens",
            json!({ "name": "ro", "read_only": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let ro = Api {
        token: token["token"].as_str().unwrap().to_string(),
        ..alice.clone()
    };
    assert_eq!(ro.get("/api/webhooks").await.0, StatusCode::OK);
    assert_eq!(
        ro.post(
            "/api/webhooks",
            json!({ "url": public, "events": ["version.created"] })
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ro.delete(&format!("/api/webhooks/{hook_id}")).await.0,
        StatusCode::FORBIDDEN
    );

    // The quota.
    for _ in 1..20 {
        let (status, body) = alice
            .post(
                "/api/webhooks",
                json!({ "url": public, "events": ["version.created"] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = alice
        .post(
            "/api/webhooks",
            json!({ "url": public, "events": ["version.created"] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "quota_exceeded", "{body}");

    assert_eq!(
        alice.delete(&format!("/api/webhooks/{hook_id}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        alice.delete(&format!("/api/webhooks/{hook_id}")).await.0,
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

async fn retries_signatures_log_and_redelivery(db: Db) {
    let receiver = Receiver::start(vec![500, 503]).await;
    let server = TestServer::start_with(db, quick).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let hook = add_hook(&alice, &receiver.url(), &["version.created"]).await;
    assert_eq!(hook["secret"], SECRET);
    let hook_id = id(&hook);
    let doc = id(&alice.create_doc("Retried").await);
    // Bob's document is not alice's: her hook never hears of it.
    let bobs = id(&bob.create_doc("Not hers").await);
    let (status, _) = bob
        .post(
            &format!("/api/documents/{bobs}/versions"),
            json!({ "label": "b" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "v1" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let got = receiver
        .until(Duration::from_secs(30), |g| g.len() >= 3)
        .await;
    assert_eq!(got.len(), 3, "two failures then a success: {got:?}");
    let first = got[0].json();
    for r in &got {
        assert_signed(r);
        assert_eq!(r.body, got[0].body, "every attempt sends the same body");
        assert_eq!(r.header("quire-event"), "version.created");
        assert_eq!(r.header("quire-event-id"), first["id"].as_str().unwrap());
    }
    assert_eq!(first["type"], "version.created");
    assert_eq!(first["data"]["document"]["id"], doc.as_str());
    assert_eq!(first["data"]["document"]["title"], "Retried");
    assert!(first["data"]["document"].get("role").is_none(), "{first}");
    assert_eq!(first["data"]["version"]["label"], "v1");
    assert_eq!(first["data"]["version"]["auto"], false);
    assert!(first["created_at"].as_str().unwrap().ends_with('Z'));
    let gap1 = got[1].at - got[0].at;
    let gap2 = got[2].at - got[1].at;
    assert!(gap1 >= Duration::from_millis(250), "{gap1:?}");
    assert!(gap2 > gap1, "delays grow: {gap1:?} then {gap2:?}");

    // The log, once the success is recorded.
    let deadline = Instant::now() + Duration::from_secs(10);
    let log = loop {
        let (status, log) = alice
            .get(&format!("/api/webhooks/{hook_id}/deliveries"))
            .await;
        assert_eq!(status, StatusCode::OK);
        if log["items"][0]["status"] == "succeeded" || Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    let d = &items[0];
    assert_eq!(d["status"], "succeeded", "{log}");
    assert_eq!(d["event_id"], first["id"]);
    assert_eq!(d["type"], "version.created");
    assert_eq!(d["next_attempt_at"], Value::Null);
    let statuses: Vec<i64> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["response_status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![500, 503, 200], "{log}");

    // Redelivery: the same event, a new attempt.
    let did = d["id"].as_str().unwrap();
    let (status, body) = alice
        .post(
            &format!("/api/webhooks/{hook_id}/deliveries/{did}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let got = receiver
        .until(Duration::from_secs(10), |g| g.len() >= 4)
        .await;
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].json()["id"], first["id"]);
    assert_signed(&got[3]);
    assert_eq!(
        bob.post(
            &format!("/api/webhooks/{hook_id}/deliveries/{did}/redeliver"),
            json!({})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    // Deleted: nothing more is sent.
    assert_eq!(
        alice.delete(&format!("/api/webhooks/{hook_id}")).await.0,
        StatusCode::NO_CONTENT
    );
    alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "v2" }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 4);
    server.stop().await;
}

async fn every_event_type(db: Db) {
    let receiver = Receiver::start(vec![]).await;
    let server = TestServer::start_with(db, |c| {
        quick(c);
        // Long enough that three PATCHes in a row fall within it even on
        // a loaded machine.
        c.webhooks.updated_debounce_secs = 2;
    })
    .await;
    let alice = server.user("alice").await;
    add_hook(
        &alice,
        &receiver.url(),
        &[
            "document.published",
            "document.unpublished",
            "document.updated",
            "version.created",
            "comment.created",
        ],
    )
    .await;
    let doc = alice.create_doc("Every event").await;
    let doc_id = id(&doc);

    // Three quick metadata changes: one `document.updated`, a second after
    // the last one.
    let mut version = doc["version"].as_i64().unwrap();
    for title in ["One", "Two", "Three"] {
        let (status, d) = alice
            .patch(
                &format!("/api/documents/{doc_id}"),
                json!({ "title": title, "expected_version": version }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        version = d["version"].as_i64().unwrap();
    }
    let got = receiver
        .until(Duration::from_secs(10), |_| {
            !receiver.of_type("document.updated").is_empty()
        })
        .await;
    assert!(!got.is_empty());
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let updated = receiver.of_type("document.updated");
    assert_eq!(updated.len(), 1, "debounced to one: {updated:?}");
    assert_eq!(updated[0].json()["data"]["document"]["title"], "Three");

    // An edit over the WebSocket is a change too.
    let mut ws = common::yclient::YClient::connect(&server.base, &doc_id, &alice.token).await;
    ws.add_paragraph("typed live").await;
    receiver
        .until(Duration::from_secs(10), |_| {
            receiver.of_type("document.updated").len() >= 2
        })
        .await;
    assert_eq!(receiver.of_type("document.updated").len(), 2);

    let (status, _) = alice
        .post(&format!("/api/documents/{doc_id}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = alice
        .post(
            &format!("/api/documents/{doc_id}/comments"),
            json!({ "body": "Looks <b>good</b> \u{1F600}" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = alice
        .post(&format!("/api/documents/{doc_id}/unpublish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    receiver
        .until(Duration::from_secs(10), |_| {
            !receiver.of_type("document.unpublished").is_empty()
                && !receiver.of_type("comment.created").is_empty()
        })
        .await;

    let published = receiver.of_type("document.published");
    assert_eq!(published.len(), 1);
    let p = published[0].json();
    assert_eq!(p["data"]["document"]["status"], "published");
    let number = p["data"]["document"]["published_version"].clone();
    assert_eq!(p["data"]["version"]["number"], number, "{p}");
    // Publishing saved a version: that is a `version.created` too.
    let versions = receiver.of_type("version.created");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].json()["data"]["version"]["number"], number);
    let comments = receiver.of_type("comment.created");
    assert_eq!(comments.len(), 1);
    let c = comments[0].json();
    assert_eq!(
        c["data"]["thread"]["comments"][0]["body"], "Looks <b>good</b> \u{1F600}",
        "{c}"
    );
    assert_eq!(
        c["data"]["comment_id"],
        c["data"]["thread"]["comments"][0]["id"]
    );
    let unpublished = receiver.of_type("document.unpublished");
    assert_eq!(unpublished.len(), 1);
    assert_eq!(
        unpublished[0].json()["data"]["document"]["published_version"],
        Value::Null
    );
    let ids: std::collections::HashSet<String> = receiver
        .received()
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), receiver.received().len(), "one id per event");
    for r in receiver.received() {
        assert_signed(&r);
        assert_eq!(r.json()["data"]["document"]["id"], doc_id.as_str());
    }
    server.stop().await;
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Db::Postgres).await;
            }
        }
    };
}

both!(registration_rules);
both!(retries_signatures_log_and_redelivery);
both!(every_event_type);

/// Acceptance: `publish_at` three seconds ahead with two instances on one
/// PostgreSQL gives one publish and one delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_publish_with_two_instances_delivers_once() {
    let receiver = Receiver::start(vec![]).await;
    let db = Arc::new(TestDatabase::create(Db::Postgres).await);
    let a = TestServer::start_on(db.clone(), quick).await;
    let b = TestServer::start_on(db.clone(), quick).await;
    let alice = a.user("alice").await;
    add_hook(&alice, &receiver.url(), &["document.published"]).await;

    let schedule = |alice: Api, title: &'static str| async move {
        let doc = alice.create_doc(title).await;
        let at = quire::util::rfc3339(quire::util::now_ms() + 3000);
        let (status, body) = alice
            .patch(
                &format!("/api/documents/{}", id(&doc)),
                json!({ "publish_at": at, "expected_version": doc["version"] }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id(&doc)
    };
    let published_versions = |alice: Api, doc: String| async move {
        let (_, list) = alice.get(&format!("/api/documents/{doc}/versions")).await;
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| {
                v["label"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("Published")
            })
            .count()
    };

    // 1. Both instances running.
    let first = schedule(alice.clone(), "Scheduled").await;
    let got = receiver
        .until(Duration::from_secs(10), |g| !g.is_empty())
        .await;
    assert_eq!(got.len(), 1, "published within ten seconds");
    // Long enough for a second instance to have sent a duplicate.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.received().len(), 1, "exactly one delivery");
    assert_eq!(got[0].json()["data"]["document"]["id"], first.as_str());
    assert_eq!(published_versions(alice.clone(), first).await, 1);

    // 2. Both restarted between scheduling and firing.
    let second = schedule(alice.clone(), "Scheduled across a restart").await;
    a.stop().await;
    b.stop().await;
    let a = TestServer::start_on(db.clone(), quick).await;
    let b = TestServer::start_on(db.clone(), quick).await;
    let alice = Api {
        base: b.base.clone(),
        ..alice
    };
    let got = receiver
        .until(Duration::from_secs(10), |g| g.len() >= 2)
        .await;
    assert_eq!(
        got.len(),
        2,
        "published within ten seconds after the restart"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.received().len(), 2, "exactly one delivery each");
    assert_eq!(got[1].json()["data"]["document"]["id"], second.as_str());
    assert_eq!(got[1].json()["data"]["document"]["status"], "published");
    assert_eq!(published_versions(alice, second).await, 1);
    a.stop().await;
    b.stop().await;
}

/// The server as a child process, so that it can be SIGKILLed.
struct Child {
    child: tokio::process::Child,
    base: String,
}

impl Child {
    async fn start(db: &TestDatabase, retry_base_ms: u64) -> Self {
        let port = common::redis::free_port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_quire"))
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", "test-secret-test-secret-test-secret")
            .env("WEBHOOK_ALLOW_PRIVATE", "1")
            .env("WEBHOOK_RETRY_BASE_MS", retry_base_ms.to_string())
            .env("WEBHOOK_UPDATED_DEBOUNCE_SECS", "3600")
            .env_remove("REDIS_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("quire starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "server did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, base }
    }

    async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }
}

async fn login(base: &str, name: &str, register: bool) -> Api {
    let client = reqwest::Client::new();
    if register {
        let r = client
            .post(format!("{base}/api/auth/register"))
            .json(&json!({ "username": name, "email": format!("{name}@example.com"), "password": "password123" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let body: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "username": name, "password": "password123" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Api {
        base: base.to_string(),
        token: body["token"].as_str().unwrap().to_string(),
        id: body["user"]["id"].as_str().unwrap_or_default().to_string(),
        username: name.to_string(),
        client,
    }
}

/// SIGKILL right after the change (before the relay turned it into a
/// delivery, most runs), and again after a failed attempt was recorded:
/// both events still arrive after a restart.
async fn survives_sigkill(db: Db) {
    let receiver = Receiver::start(vec![500]).await;
    let database = TestDatabase::create(db).await;
    let server = Child::start(&database, 1500).await;
    let alice = login(&server.base, "alice", true).await;
    let hook = add_hook(&alice, &receiver.url(), &["version.created"]).await;
    let hook_id = id(&hook);
    let doc = id(&alice.create_doc("Crash").await);

    // 1. A change, then SIGKILL at once.
    let (status, _) = alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "before the crash" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    server.kill().await;
    let server = Child::start(&database, 1500).await;
    let alice = login(&server.base, "alice", false).await;
    let got = receiver
        .until(Duration::from_secs(20), |g| {
            g.iter()
                .any(|r| r.json()["data"]["version"]["label"] == "before the crash")
        })
        .await;
    assert!(
        got.iter()
            .any(|r| r.json()["data"]["version"]["label"] == "before the crash"),
        "the event of a change made just before SIGKILL is delivered: {got:?}"
    );
    // Whichever attempt got the scripted 500, the event arrives: wait for
    // the delivery to succeed.
    let got = receiver
        .until(Duration::from_secs(20), |g| {
            g.iter()
                .filter(|r| r.json()["data"]["version"]["label"] == "before the crash")
                .count()
                >= 2
        })
        .await;
    let first_id = got[0].json()["id"].clone();
    assert!(got.iter().all(|r| r.json()["id"] == first_id));

    // 2. A failed attempt recorded, then SIGKILL before the retry.
    let receiver2 = Receiver::start(vec![500]).await;
    let (status, hook2) = alice
        .post(
            "/api/webhooks",
            json!({ "url": receiver2.url(), "events": ["version.created"], "secret": SECRET }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let hook2 = id(&hook2);
    alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "retry pending" }),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, log) = alice
            .get(&format!("/api/webhooks/{hook2}/deliveries"))
            .await;
        if log["items"][0]["attempts"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            assert_eq!(log["items"][0]["status"], "pending", "{log}");
            break;
        }
        assert!(Instant::now() < deadline, "no attempt recorded: {log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().await;
    let server = Child::start(&database, 1500).await;
    let got = receiver2
        .until(Duration::from_secs(20), |g| g.len() >= 2)
        .await;
    assert_eq!(got.len(), 2, "retried after the restart");
    assert_eq!(got[0].body, got[1].body);
    assert_signed(&got[1]);
    let alice = login(&server.base, "alice", false).await;
    let (_, log) = alice
        .get(&format!("/api/webhooks/{hook2}/deliveries"))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut log = log;
    while log["items"][0]["status"] != "succeeded" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        log = alice
            .get(&format!("/api/webhooks/{hook2}/deliveries"))
            .await
            .1;
    }
    assert_eq!(log["items"][0]["status"], "succeeded", "{log}");
    let _ = hook_id;
    server.kill().await;
}

both!(survives_sigkill);
