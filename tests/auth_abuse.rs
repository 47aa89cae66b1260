//! Authentication under abuse: bounded password hashing, login limiting that
//! concurrency, spelling variants and shared proxies cannot bypass or turn
//! against other users, and trusted-proxy client addresses. SQLite and
//! PostgreSQL.

mod common;

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use common::TestServer;

/// Every answer under a hashing flood is a normal outcome or a 503 with
/// `Retry-After` and a JSON error; the server keeps answering meanwhile.
async fn hashing_flood_is_bounded(s: &TestServer) {
    s.register("victor").await;
    let client = Client::new();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = client.clone();
        let base = s.base.clone();
        tasks.push(tokio::spawn(async move {
            let req = if i % 2 == 0 {
                client
                    .post(format!("{base}/api/auth/register"))
                    .json(&json!({
                        "username": format!("flood{i}"),
                        "email": format!("flood{i}@example.com"),
                        "password": "password123",
                    }))
            } else {
                // Half against an existing account, half against unknown ones.
                let name = if i % 4 == 1 {
                    "victor".to_string()
                } else {
                    format!("ghost{i}")
                };
                client
                    .post(format!("{base}/api/auth/login"))
                    .json(&json!({ "username": name, "password": "wrong-password" }))
            };
            let resp = req.send().await.expect("request");
            let status = resp.status();
            let retry = resp.headers().get("retry-after").cloned();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            (status, retry, body)
        }));
    }
    // The server answers while the flood runs.
    let health = tokio::time::timeout(Duration::from_secs(2), client.get(s.url("/healthz")).send())
        .await
        .expect("healthz answers during the flood")
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);

    let mut busy = 0;
    for t in tasks {
        let (status, retry, body) = t.await.expect("task");
        match status {
            StatusCode::CREATED | StatusCode::OK | StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
                busy += 1;
                let secs: u64 = retry
                    .expect("Retry-After on refusal")
                    .to_str()
                    .unwrap()
                    .parse()
                    .expect("Retry-After seconds");
                assert!(secs >= 1);
                assert!(
                    body["error"].is_string() && body["message"].is_string(),
                    "{body}"
                );
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    // One hashing slot plus one waiting: most of the 40 are refused at once.
    assert!(busy >= 20, "only {busy} of 40 were refused");
    // The bound is released afterwards: a sign-up works again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.register("after_flood").await;
}

mod hashing_flood {
    use super::*;
    async fn start(db: common::Db) -> TestServer {
        TestServer::start_with(db, |c| {
            c.limits.password_hash_concurrency = 1;
            c.limits.password_hash_queue = 1;
        })
        .await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let s = start(common::Db::Sqlite).await;
        hashing_flood_is_bounded(&s).await;
        s.stop().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let s = start(common::Db::Postgres).await;
        hashing_flood_is_bounded(&s).await;
        s.stop().await;
    }
}
