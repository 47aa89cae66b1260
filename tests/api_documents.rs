//! Documents through HTTP (issue 2, acceptance 2, 3 and 5), on SQLite and PostgreSQL.

mod common;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use common::TestServer;

async fn optimistic_locking(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = alice.create_doc("Plan").await;
    let id = doc["id"].as_str().unwrap();
    let (st, _) = alice
        .put(
            &format!("/api/documents/{id}/members/bob"),
            json!({ "role": "editor" }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // Both read version v.
    let (_, a_view) = alice.get(&format!("/api/documents/{id}")).await;
    let (_, b_view) = bob.get(&format!("/api/documents/{id}")).await;
    let v = a_view["version"].as_i64().unwrap();
    assert_eq!(b_view["version"].as_i64(), Some(v));

    // First PATCH wins: v + 1.
    let (st, updated) = alice
        .patch(
            &format!("/api/documents/{id}"),
            json!({ "title": "Alice's plan", "status": "review", "expected_version": v }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"].as_i64(), Some(v + 1));
    assert_eq!(updated["status"], "review");

    // Second PATCH with the stale version: 409 with the current document.
    let (st, conflict) = bob
        .patch(
            &format!("/api/documents/{id}"),
            json!({ "title": "Bob's plan", "tags": ["bob"], "expected_version": v }),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["error"], "conflict");
    assert_eq!(conflict["current"]["title"], "Alice's plan");
    assert_eq!(conflict["current"]["version"].as_i64(), Some(v + 1));

    // Nothing of the second was written.
    let (_, now) = alice.get(&format!("/api/documents/{id}")).await;
    assert_eq!(now["title"], "Alice's plan");
    assert_eq!(now["tags"], json!([]));
    assert_eq!(now["version"].as_i64(), Some(v + 1));

    // Bob retries on the new version (If-Match works too).
    let resp = Client::new()
        .patch(s.url(&format!("/api/documents/{id}")))
        .bearer_auth(&bob.token)
        .header("if-match", format!("\"{}\"", v + 1))
        .json(&json!({ "title": "Bob's plan" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // No version at all → 428.
    let (st, _) = bob
        .patch(&format!("/api/documents/{id}"), json!({ "title": "x" }))
        .await;
    assert_eq!(st, StatusCode::PRECONDITION_REQUIRED);

    // Every change is in the audit log with user and server time.
    let (st, activity) = alice.get(&format!("/api/documents/{id}/activity")).await;
    assert_eq!(st, StatusCode::OK);
    let changes = activity["changes"].as_array().unwrap();
    let updates: Vec<&Value> = changes
        .iter()
        .filter(|c| c["action"] == "document.update")
        .collect();
    assert_eq!(updates.len(), 2, "{activity}");
    assert!(updates.iter().any(|c| c["username"] == "bob"));
    assert!(
        updates.iter().any(
            |c| c["username"] == "alice" && c["details"]["changes"]["status"]["to"] == "review"
        )
    );
    assert!(
        updates
            .iter()
            .all(|c| c["at"].as_str().is_some_and(|t| t.starts_with("20")))
    );
}
on_both_backends!(optimistic_lock, super::optimistic_locking);

async fn authorization(s: &TestServer) {
    let alice = s.user("alice").await;
    let mallory = s.user("mallory").await;
    let viewer = s.user("victor").await;
    let editor = s.user("eve").await;
    let doc = alice.create_doc("Secret").await;
    let id = doc["id"].as_str().unwrap();
    let path = format!("/api/documents/{id}");

    // A non-member: 404 everywhere, not in the list.
    assert_eq!(mallory.get(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        mallory
            .patch(&path, json!({ "title": "x", "expected_version": 1 }))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(mallory.delete(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        mallory.get(&format!("{path}/content?format=text")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        mallory.get(&format!("{path}/members")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        mallory
            .put(
                &format!("{path}/members/mallory"),
                json!({ "role": "owner" })
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = mallory.get("/api/documents").await;
    assert_eq!(list["total"], 0);
    assert_eq!(list["items"], json!([]));
    // Unknown id looks the same as someone else's.
    assert_eq!(
        mallory.get("/api/documents/does-not-exist").await.0,
        StatusCode::NOT_FOUND
    );

    // Viewer: can read, 403 on PATCH, delete and share.
    alice
        .put(
            &format!("{path}/members/victor"),
            json!({ "role": "viewer" }),
        )
        .await;
    alice
        .put(
            &format!("{path}/members/{}", editor.id),
            json!({ "role": "editor" }),
        )
        .await;
    let (st, seen) = viewer.get(&path).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(seen["role"], "viewer");
    assert_eq!(
        viewer
            .patch(&path, json!({ "title": "x", "expected_version": 1 }))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(viewer.delete(&path).await.0, StatusCode::FORBIDDEN);
    let (_, vlist) = viewer.get("/api/documents").await;
    assert_eq!(vlist["total"], 1);

    // Editor: can PATCH, cannot delete or share.
    assert_eq!(
        editor
            .patch(&path, json!({ "title": "Edited", "expected_version": 1 }))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(editor.delete(&path).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        editor
            .put(
                &format!("{path}/members/mallory"),
                json!({ "role": "viewer" })
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        mallory.get(&path).await.0,
        StatusCode::NOT_FOUND,
        "the failed share granted nothing"
    );

    // The last owner cannot be removed or demoted.
    let (st, _) = alice
        .put(
            &format!("{path}/members/alice"),
            json!({ "role": "editor" }),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // Members list, then the owner deletes.
    let (_, members) = viewer.get(&format!("{path}/members")).await;
    let names: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{members}");
    assert!(names.contains(&"alice") && names.contains(&"victor") && names.contains(&"eve"));
    // Removing a member revokes access.
    assert_eq!(
        alice.delete(&format!("{path}/members/victor")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(viewer.get(&path).await.0, StatusCode::NOT_FOUND);

    assert_eq!(alice.delete(&path).await.0, StatusCode::NO_CONTENT);
    assert_eq!(alice.get(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(editor.get(&path).await.0, StatusCode::NOT_FOUND);
}
on_both_backends!(authz, super::authorization);

async fn list_filters_paging_sorting(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    for (i, title) in ["Alpha", "beta", "Gamma", "delta", "Epsilon"]
        .iter()
        .enumerate()
    {
        let (st, doc) = alice
            .post("/api/documents", json!({ "title": title, "tags": if i % 2 == 0 { vec!["even"] } else { vec!["odd"] } }))
            .await;
        assert_eq!(st, StatusCode::CREATED);
        if i == 1 {
            let id = doc["id"].as_str().unwrap();
            alice
                .patch(
                    &format!("/api/documents/{id}"),
                    json!({ "status": "published", "expected_version": 1 }),
                )
                .await;
        }
    }
    bob.create_doc("Bob's own").await;

    let (_, all) = alice.get("/api/documents?sort=title&order=asc").await;
    assert_eq!(all["total"], 5);
    let titles: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Alpha", "beta", "delta", "Epsilon", "Gamma"],
        "case-insensitive title sort"
    );
    let row = &all["items"][0];
    for field in [
        "id",
        "title",
        "status",
        "tags",
        "owner_id",
        "version",
        "created_at",
        "updated_at",
        "role",
    ] {
        assert!(row.get(field).is_some(), "missing {field} in {row}");
    }
    assert!(row.get("last_edited_by").is_some());

    let (_, page) = alice
        .get("/api/documents?sort=title&order=asc&limit=2&offset=2")
        .await;
    assert_eq!(page["total"], 5);
    assert_eq!(page["limit"], 2);
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["delta", "Epsilon"]);

    let (_, published) = alice.get("/api/documents?status=published").await;
    assert_eq!(published["total"], 1);
    assert_eq!(published["items"][0]["title"], "beta");
    let (_, even) = alice.get("/api/documents?tag=even").await;
    assert_eq!(even["total"], 3);
    let (_, by_owner) = alice.get("/api/documents?owner=bob").await;
    assert_eq!(
        by_owner["total"], 0,
        "bob's document is not shared with alice"
    );
    let (_, mine) = alice.get("/api/documents?owner=alice&q=ALP").await;
    assert_eq!(mine["total"], 1);
    assert_eq!(
        alice.get("/api/documents?sort=nope").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        alice.get("/api/documents?status=bogus").await.0,
        StatusCode::BAD_REQUEST
    );
}
on_both_backends!(list, super::list_filters_paging_sorting);

async fn limits_and_sanitising(s: &TestServer) {
    let alice = s.user("alice").await;
    // 1,000-character title → 422, nothing created.
    let (st, err) = alice
        .post("/api/documents", json!({ "title": "x".repeat(1000) }))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"], "validation");
    assert!(err["message"].as_str().unwrap().contains("200"));

    // Control characters stripped; markup kept as inert text (rendered escaped by clients).
    let (st, doc) = alice
        .post(
            "/api/documents",
            json!({ "title": "<script>alert(1)</script>\u{0007}Hi\n" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(doc["title"], "<script>alert(1)</script>Hi");

    // Tags: too many / too long → 422.
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    assert_eq!(
        alice
            .post("/api/documents", json!({ "title": "t", "tags": many }))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        alice
            .post(
                "/api/documents",
                json!({ "title": "t", "tags": ["x".repeat(51)] })
            )
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // 10 MB body → 413 with a JSON error.
    let huge = json!({ "title": "big", "body": "a".repeat(10 * 1024 * 1024) });
    let resp = Client::new()
        .post(s.url("/api/documents"))
        .bearer_auth(&alice.token)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"], "payload_too_large");

    // Malformed JSON → 400; wrong shape → 422; both JSON.
    let resp = Client::new()
        .post(s.url("/api/documents"))
        .bearer_auth(&alice.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "bad_request");
    assert_eq!(
        alice.post("/api/documents", json!({ "title": 5 })).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Dynamic responses are not cacheable; the server still serves.
    let resp = Client::new()
        .get(s.url("/api/documents"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("cache-control").unwrap(), "no-store");
    let (_, list) = alice.get("/api/documents").await;
    assert_eq!(list["total"], 1, "only the sanitised document exists");
    assert_eq!(
        Client::new()
            .get(s.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
on_both_backends!(limits, super::limits_and_sanitising);

/// Many documents created at once, each with a body, while their rooms
/// write too: every one is created (no "database is locked" on SQLite,
/// whose write transactions take the lock up front).
async fn concurrent_creates(s: &TestServer) {
    let api = s.user("creator").await;
    let body: String = (0..400).map(|i| format!("paragraph {i}\n\n")).collect();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let api = api.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            api.post(
                "/api/documents",
                json!({ "title": format!("doc {i}"), "body": body, "tags": ["a", "b"] }),
            )
            .await
        }));
    }
    for t in tasks {
        let (st, v) = t.await.unwrap();
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (_, list) = api.get("/api/documents?limit=100").await;
    assert_eq!(list["total"], 24, "{list}");
}
on_both_backends!(concurrent, super::concurrent_creates);
