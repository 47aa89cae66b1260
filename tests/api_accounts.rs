//! Accounts through HTTP (issue 2, acceptance 1 and 4), on SQLite and PostgreSQL.

mod common;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use common::TestServer;

async fn register_login_me(s: &TestServer) {
    let user = s.register("alice").await;
    assert_eq!(user["username"], "alice");
    assert!(user["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(user["created_at"].as_str().is_some());
    assert!(
        user.get("password_hash").is_none(),
        "hash never leaves the server"
    );

    // Duplicate username (any case) and duplicate email → 409.
    for body in [
        json!({ "username": "alice", "email": "other@example.com", "password": "password123" }),
        json!({ "username": "ALICE", "email": "other2@example.com", "password": "password123" }),
        json!({ "username": "alice2", "email": "alice@example.com", "password": "password123" }),
    ] {
        let resp = Client::new()
            .post(s.url("/api/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CONFLICT, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["error"], "duplicate");
    }
    // Short password → 422 with a JSON error.
    let resp = Client::new()
        .post(s.url("/api/auth/register"))
        .json(&json!({ "username": "bob", "email": "bob@example.com", "password": "short" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Wrong password → 401.
    let resp = Client::new()
        .post(s.url("/api/auth/login"))
        .json(&json!({ "username": "alice", "password": "wrong-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_credentials"
    );

    // Login by cookie (browser-like client keeps the cookie).
    let browser = s.browser();
    let resp = browser
        .post(s.url("/api/auth/login"))
        .json(&json!({ "username": "alice", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("quire_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    let body: Value = resp.json().await.unwrap();
    let token = body["token"].as_str().expect("token").to_string();
    assert_eq!(body["user"]["username"], "alice");

    let me: Value = browser
        .get(s.url("/api/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "alice", "me by cookie");

    // The same by bearer token, without cookies.
    let resp = Client::new()
        .get(s.url("/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["username"], "alice");

    // Email works as login name too.
    let resp = Client::new()
        .post(s.url("/api/auth/login"))
        .json(&json!({ "username": "alice@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // No credentials, garbage token → 401.
    assert_eq!(
        Client::new()
            .get(s.url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let resp = Client::new()
        .get(s.url("/api/auth/me"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Stored hash is Argon2id.
    let hash = s
        .state
        .store
        .user_credentials("alice")
        .await
        .unwrap()
        .expect("user")
        .password_hash;
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    // Logout clears the cookie: me is 401 again for that browser.
    let csrf = body["csrf_token"].as_str().unwrap();
    let resp = browser
        .post(s.url("/api/auth/logout"))
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(
        browser
            .get(s.url("/api/auth/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}
on_both_backends!(register_login_me_flow, super::register_login_me);

async fn csrf_required_for_cookie_writes(s: &TestServer) {
    s.register("carol").await;
    let browser = s.browser();
    let login: Value = browser
        .post(s.url("/api/auth/login"))
        .json(&json!({ "username": "carol", "password": "password123" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = login["csrf_token"].as_str().unwrap().to_string();
    let token = login["token"].as_str().unwrap().to_string();

    // POST without the header → 403, and nothing created.
    let resp = browser
        .post(s.url("/api/documents"))
        .json(&json!({ "title": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "csrf");
    // Wrong header value → 403.
    let resp = browser
        .post(s.url("/api/documents"))
        .header("x-csrf-token", "forged")
        .json(&json!({ "title": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let list: Value = browser
        .get(s.url("/api/documents"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "refused writes created nothing");

    // With the header → 201.
    let resp = browser
        .post(s.url("/api/documents"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "title": "by cookie" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let doc: Value = resp.json().await.unwrap();
    let id = doc["id"].as_str().unwrap();

    // PATCH and DELETE by cookie without the header → 403.
    let resp = browser
        .patch(s.url(&format!("/api/documents/{id}")))
        .json(&json!({ "title": "t2", "expected_version": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = browser
        .delete(s.url(&format!("/api/documents/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // The same with the bearer token (no CSRF header) succeeds.
    let bearer = Client::new();
    let resp = bearer
        .post(s.url("/api/documents"))
        .bearer_auth(&token)
        .json(&json!({ "title": "by bearer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = bearer
        .patch(s.url(&format!("/api/documents/{id}")))
        .bearer_auth(&token)
        .json(&json!({ "title": "t2", "expected_version": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = bearer
        .delete(s.url(&format!("/api/documents/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
}
on_both_backends!(csrf, super::csrf_required_for_cookie_writes);

async fn login_is_rate_limited(s: &TestServer) {
    s.register("dave").await;
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        last = Client::new()
            .post(s.url("/api/auth/login"))
            .json(&json!({ "username": "dave", "password": "not-the-password" }))
            .send()
            .await
            .unwrap()
            .status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Even the right password is refused while locked, with Retry-After.
    let resp = Client::new()
        .post(s.url("/api/auth/login"))
        .json(&json!({ "username": "dave", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
}
on_both_backends!(login_rate_limit, super::login_is_rate_limited);
