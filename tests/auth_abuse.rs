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

async fn login(s: &TestServer, username: &str, password: &str) -> StatusCode {
    login_via(s, username, password, None).await
}

async fn login_via(
    s: &TestServer,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> StatusCode {
    let mut req = Client::new()
        .post(s.url("/api/auth/login"))
        .json(&json!({ "username": username, "password": password }));
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.expect("login").status()
}

/// Parallel guesses cannot overrun the budget: at most LOGIN_MAX_FAILURES
/// (5) of 40 reach the password check, for an account and for a name that
/// matches none.
async fn parallel_guesses_are_reserved(s: &TestServer) {
    s.register("mallory").await;
    for name in ["mallory", "nobody-here"] {
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let base = s.base.clone();
            let name = name.to_string();
            tasks.push(tokio::spawn(async move {
                Client::new()
                    .post(format!("{base}/api/auth/login"))
                    .json(&json!({ "username": name, "password": "guess-guess" }))
                    .send()
                    .await
                    .expect("login")
                    .status()
            }));
        }
        let (mut limited, mut checked, mut busy) = (0, 0, 0);
        for t in tasks {
            match t.await.unwrap() {
                StatusCode::TOO_MANY_REQUESTS => limited += 1,
                StatusCode::UNAUTHORIZED => checked += 1,
                // The password hasher's queue was full on a slow machine:
                // the attempt was given back unchecked and uncounted.
                StatusCode::SERVICE_UNAVAILABLE => busy += 1,
                other => panic!("unexpected {other}"),
            }
        }
        assert!(checked <= 5, "{name}: {checked} guesses were checked");
        assert!(
            limited + busy >= 35,
            "{name}: only {limited} were limited ({busy} busy)"
        );
    }
}
on_both_backends!(parallel_guesses, super::parallel_guesses_are_reserved);

/// Case, surrounding spaces and the e-mail address are one account, so they
/// share one budget.
async fn spelling_variants_share_a_budget(s: &TestServer) {
    s.register("alice").await;
    for variant in [
        " alice",
        "alice ",
        "ALICE",
        "alice@example.com",
        " Alice@Example.COM ",
    ] {
        assert_eq!(
            login(s, variant, "wrong-password").await,
            StatusCode::UNAUTHORIZED,
            "{variant:?}"
        );
    }
    assert_eq!(
        login(s, "alice", "wrong-password").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Unknown names are normalised the same way.
    for variant in ["Ghost", " ghost", "GHOST ", "ghost", "gHoSt"] {
        assert_eq!(
            login(s, variant, "wrong-password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(s, "ghost", "wrong-password").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
on_both_backends!(spelling_variants, super::spelling_variants_share_a_budget);

/// Hammering other accounts from one address (every user behind a proxy
/// shares it) does not lock out a correct password for a different account.
async fn correct_password_survives_a_neighbour_attack(s: &TestServer) {
    s.register("bob").await;
    for i in 0..5 {
        s.register(&format!("target{i}")).await;
    }
    // 25 failures from this address: beyond the address budget (20).
    for i in 0..5 {
        for _ in 0..5 {
            assert_eq!(
                login(s, &format!("target{i}"), "wrong-password").await,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            login(s, &format!("target{i}"), "wrong-password").await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let ip = Some("127.0.0.1".parse().unwrap());
    assert!(
        !s.state.login_limiter.address_delay(ip).is_zero(),
        "the address is slowed down"
    );
    assert_eq!(login(s, "bob", "password123").await, StatusCode::OK);
}
on_both_backends!(
    neighbour_attack,
    super::correct_password_survives_a_neighbour_attack
);

/// A huge login name is refused before the lookup and the limiter, and
/// leaves nothing behind.
async fn huge_credentials_are_refused_first(s: &TestServer) {
    let before = s.state.login_limiter.tracked();
    let huge = "a".repeat(1024 * 1024);
    for _ in 0..20 {
        let resp = Client::new()
            .post(s.url("/api/auth/login"))
            .json(&json!({ "username": huge, "password": "wrong-password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "validation");
    }
    assert_eq!(
        login(s, "alice", &"p".repeat(1025)).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        s.state.login_limiter.tracked(),
        before,
        "no limiter records"
    );
    // Registration refuses an over-long password the same way.
    let resp = Client::new()
        .post(s.url("/api/auth/register"))
        .json(&json!({ "username": "longpw", "email": "l@example.com", "password": "p".repeat(1025) }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
on_both_backends!(huge_credentials, super::huge_credentials_are_refused_first);

/// Seven failures "from" 198.51.100.1 as claimed by `X-Forwarded-For`.
async fn hammer_as(s: &TestServer, xff: &str) {
    for i in 0..7 {
        assert_eq!(
            login_via(s, &format!("ghost{i}"), "wrong-password", Some(xff)).await,
            StatusCode::UNAUTHORIZED
        );
    }
}

async fn timed_login(s: &TestServer, xff: &str) -> Duration {
    let start = std::time::Instant::now();
    assert_eq!(
        login_via(s, "fresh-name", "wrong-password", Some(xff)).await,
        StatusCode::UNAUTHORIZED
    );
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_honoured_only_from_trusted_proxies() {
    let attacker = "198.51.100.1".parse().ok();
    let other = "198.51.100.2".parse().ok();
    let local = "127.0.0.1".parse().ok();

    // Untrusted peer: the header is ignored; everything counts against the peer.
    let s = TestServer::start_with(common::Db::Sqlite, |c| c.limits.login_max_failures = 1).await;
    hammer_as(&s, "198.51.100.1").await;
    let limiter = &s.state.login_limiter;
    assert!(limiter.address_delay(attacker).is_zero());
    assert!(!limiter.address_delay(local).is_zero());
    // A "different" forwarded address is still the same client: delayed.
    assert!(timed_login(&s, "198.51.100.2").await >= Duration::from_millis(1900));
    s.stop().await;

    // Trusted peer: the right-most forwarded address is the client.
    let s = TestServer::start_with(common::Db::Sqlite, |c| {
        c.limits.login_max_failures = 1;
        c.trusted_proxies = vec![quire::config::parse_net("127.0.0.1").unwrap()];
    })
    .await;
    // A client-supplied left part does not matter; nginx appends the real one.
    hammer_as(&s, "203.0.113.50, 198.51.100.1").await;
    let limiter = &s.state.login_limiter;
    assert!(!limiter.address_delay(attacker).is_zero());
    assert!(limiter.address_delay(other).is_zero());
    assert!(
        limiter.address_delay(local).is_zero(),
        "the proxy is not the client"
    );
    assert!(timed_login(&s, "198.51.100.1").await >= Duration::from_millis(1900));
    assert!(limiter.address_delay(other).is_zero());
    s.stop().await;
}
