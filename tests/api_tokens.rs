//! Personal API tokens: shown once, stored hashed, read-only or
//! read-write, expiring, revocable. On SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::TestServer;
use common::yclient::YClient;
use reqwest::StatusCode;
use serde_json::json;

async fn personal_tokens(s: &TestServer) {
    let alice = s.user("alice").await;
    let (st, rw) = alice
        .post("/api/auth/tokens", json!({ "name": "ci bot" }))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{rw}");
    let secret = rw["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("qpat_"));
    let (_, ro) = alice
        .post(
            "/api/auth/tokens",
            json!({ "name": "dashboard", "read_only": true, "expires_in_days": 30 }),
        )
        .await;
    assert!(ro["expires_at"].as_str().is_some());
    let ro_secret = ro["token"].as_str().unwrap().to_string();

    // A read-write token acts as alice everywhere.
    let bot = common::Api {
        token: secret.clone(),
        ..alice.clone()
    };
    let (st, me) = bot.get("/api/auth/me").await;
    assert_eq!(
        (st, me["username"].as_str()),
        (StatusCode::OK, Some("alice"))
    );
    let (st, doc) = bot
        .post(
            "/api/documents",
            json!({ "title": "by token", "body": "Hello" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let doc = doc["id"].as_str().unwrap().to_string();

    // A read-only token reads but cannot write, over HTTP or WebSocket.
    let dash = common::Api {
        token: ro_secret.clone(),
        ..alice.clone()
    };
    assert_eq!(
        dash.get(&format!("/api/documents/{doc}")).await.0,
        StatusCode::OK
    );
    let (st, err) = dash
        .post("/api/documents", json!({ "title": "nope" }))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{err}");
    assert_eq!(
        dash.post("/api/auth/tokens", json!({ "name": "escalate" }))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let mut viewer = YClient::connect(&s.base, &doc, &ro_secret).await;
    assert!(
        viewer
            .until(Duration::from_secs(5), |c| c.paragraphs() == ["Hello"])
            .await
    );
    viewer.add_paragraph("should not land").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, content) = alice
        .get(&format!("/api/documents/{doc}/content?format=text"))
        .await;
    assert_eq!(content["content"].as_str().unwrap().trim(), "Hello");

    // The list never shows secrets; the database holds only hashes.
    let (_, list) = alice.get("/api/auth/tokens").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|t| t.get("token").is_none()));
    assert!(
        items.iter().any(|t| t["last_used_at"].as_str().is_some()),
        "use is recorded"
    );
    let hash = quire::auth::token::api_token_hash(&secret);
    assert!(s.state.store.api_token_user(&hash).await.unwrap().is_some());
    assert!(
        s.state
            .store
            .api_token_user(&secret)
            .await
            .unwrap()
            .is_none(),
        "the secret itself is not stored"
    );

    // Revoked → 401 at once; other users cannot revoke it.
    let bob = s.user("bob").await;
    let id = rw["id"].as_str().unwrap();
    assert_eq!(
        bob.delete(&format!("/api/auth/tokens/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alice.delete(&format!("/api/auth/tokens/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(bot.get("/api/auth/me").await.0, StatusCode::UNAUTHORIZED);

    // Expired → 401.
    let expired_secret = "qpat_expired-token-for-this-test";
    s.state
        .store
        .create_api_token(
            &alice.id,
            "old",
            &quire::auth::token::api_token_hash(expired_secret),
            false,
            false,
            Some(1),
        )
        .await
        .unwrap();
    let old = common::Api {
        token: expired_secret.to_string(),
        ..alice.clone()
    };
    assert_eq!(old.get("/api/auth/me").await.0, StatusCode::UNAUTHORIZED);
}
on_both_backends!(tokens, super::personal_tokens);
