//! The trash through the public API, on both databases: a delete moves the
//! document there (invisible everywhere else, open sockets closed with
//! 4404), only the owner sees, restores or purges it, a restore brings
//! back everything, a purge is final, and the retention job purges
//! expired documents exactly once with two instances on one database.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::yclient::YClient;
use common::{Api, Db, TestDatabase, TestServer, id};
use quire_doc::protocol::CLOSE_GONE;
use reqwest::StatusCode;
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(15);

async fn text(api: &Api, doc: &str) -> String {
    let (status, body) = api
        .get(&format!("/api/documents/{doc}/content?format=text"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| body["content"].as_str().unwrap_or_default().to_string())
}

async fn trash_and_restore(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let carol = s.user("carol").await;
    let (status, doc) = alice
        .post(
            "/api/documents",
            json!({ "title": "Kept safe", "body": "unique-trash-word in the body", "tags": ["t"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let doc = id(&doc);
    alice.share(&doc, &bob.username, "editor").await;
    alice.share(&doc, &carol.username, "viewer").await;
    let (status, _) = alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "v1" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = alice
        .post(
            &format!("/api/documents/{doc}/comments"),
            json!({ "anchor": null, "body": "a comment that must survive" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let version = alice.get(&format!("/api/documents/{doc}")).await.1["version"].clone();
    let (status, _) = alice
        .patch(
            &format!("/api/documents/{doc}"),
            json!({ "slug": "kept-safe", "visibility": "public", "expected_version": version }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = alice
        .post(&format!("/api/documents/{doc}/publish"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        reqwest::get(s.url("/p/kept-safe")).await.unwrap().status(),
        StatusCode::OK
    );

    // Bob is editing when alice deletes it; neither he nor carol may.
    let mut ws = YClient::connect(&s.base, &doc, &bob.token).await;
    ws.add_paragraph("typed just before").await;
    for who in [&bob, &carol] {
        let (status, _) = who.delete(&format!("/api/documents/{doc}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = alice.delete(&format!("/api/documents/{doc}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(ws.closed_with(T).await, Some(CLOSE_GONE));

    // Invisible everywhere else.
    for who in [&alice, &bob, &carol] {
        assert_eq!(
            who.get(&format!("/api/documents/{doc}")).await.0,
            StatusCode::NOT_FOUND
        );
        let (_, list) = who.get("/api/documents").await;
        assert_eq!(list["total"], 0, "{list}");
        let (_, hits) = who.get("/api/search?q=unique-trash-word").await;
        assert_eq!(hits["total"], 0, "{hits}");
        assert_eq!(
            who.get(&format!("/api/documents/{doc}/versions")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            who.get(&format!("/api/documents/{doc}/comments")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            who.patch(
                &format!("/api/documents/{doc}"),
                json!({ "title": "x", "expected_version": 1 })
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        assert!(
            common::yclient::connect_status(&format!(
                "{}/ws/doc/{doc}?token={}",
                s.base.replace("http", "ws"),
                who.token
            ))
            .await
            .is_err(),
            "no socket opens on a trashed document"
        );
    }
    assert_eq!(
        reqwest::get(s.url("/p/kept-safe")).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        reqwest::get(s.url("/api/delivery/documents/kept-safe"))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let (_, delivered) = alice.get("/api/delivery/documents").await;
    assert_eq!(delivered["total"], 0, "{delivered}");
    // The slug stays taken.
    let other = alice.create_doc("Other").await;
    let (status, _) = alice
        .patch(
            &format!("/api/documents/{}", id(&other)),
            json!({ "slug": "kept-safe", "expected_version": other["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Only the owner's trash lists it.
    let (status, trash) = alice.get("/api/trash").await;
    assert_eq!(status, StatusCode::OK);
    let items = trash["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{trash}");
    assert_eq!(items[0]["id"], doc.as_str());
    assert_eq!(items[0]["title"], "Kept safe");
    let deleted = time::OffsetDateTime::parse(
        items[0]["deleted_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let purge = time::OffsetDateTime::parse(
        items[0]["purge_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((purge - deleted).whole_days(), 30);
    for who in [&bob, &carol] {
        let (_, t) = who.get("/api/trash").await;
        assert_eq!(t["items"], json!([]));
        assert_eq!(
            who.post(&format!("/api/trash/{doc}/restore"), json!({}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            who.delete(&format!("/api/trash/{doc}")).await.0,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        alice
            .post("/api/trash/not-an-id/restore", json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Each path answers only its own method.
    assert_eq!(
        alice.post(&format!("/api/trash/{doc}"), json!({})).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        alice.delete(&format!("/api/trash/{doc}/restore")).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(trash_list(&alice).await.len(), 1, "still in the trash");

    // Restored with everything.
    let (status, restored) = alice
        .post(&format!("/api/trash/{doc}/restore"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["title"], "Kept safe");
    assert_eq!(restored["role"], "owner");
    assert_eq!(
        alice
            .post(&format!("/api/trash/{doc}/restore"), json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND,
        "restored once"
    );
    let body = text(&bob, &doc).await;
    assert!(body.contains("unique-trash-word"), "{body}");
    assert!(body.contains("typed just before"), "{body}");
    let (_, versions) = bob.get(&format!("/api/documents/{doc}/versions")).await;
    assert!(
        versions["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["label"] == "v1"),
        "{versions}"
    );
    let (_, comments) = carol.get(&format!("/api/documents/{doc}/comments")).await;
    assert_eq!(
        comments["items"][0]["comments"][0]["body"], "a comment that must survive",
        "{comments}"
    );
    let (_, me) = carol.get(&format!("/api/documents/{doc}")).await;
    assert_eq!(me["role"], "viewer");
    assert_eq!(
        reqwest::get(s.url("/p/kept-safe")).await.unwrap().status(),
        StatusCode::OK,
        "published again as it was"
    );
    let (_, hits) = bob.get("/api/search?q=unique-trash-word").await;
    assert_eq!(hits["total"], 1, "{hits}");
    let mut ws = YClient::connect(&s.base, &doc, &bob.token).await;
    ws.add_paragraph("after the restore").await;
    ws.disconnect().await;

    // Purged: gone for good.
    let (status, _) = alice.delete(&format!("/api/documents/{doc}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        alice.delete(&format!("/api/documents/{doc}")).await.0,
        StatusCode::NOT_FOUND,
        "already in the trash"
    );
    let (status, _) = alice.delete(&format!("/api/trash/{doc}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        alice.delete(&format!("/api/trash/{doc}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alice
            .post(&format!("/api/trash/{doc}/restore"), json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, trash) = alice.get("/api/trash").await;
    assert_eq!(trash["items"], json!([]));
    // The slug is free again.
    let (status, _) = alice
        .patch(
            &format!("/api/documents/{}", id(&other)),
            json!({ "slug": "kept-safe", "expected_version": other["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
on_both_backends!(trash_and_restore, super::trash_and_restore);

async fn trash_list(api: &Api) -> Vec<Value> {
    api.get("/api/trash").await.1["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// With a retention of zero days, the sweep purges a trashed document at
/// its next round; two instances on one PostgreSQL purge it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_purges_once_across_instances() {
    let db = Arc::new(TestDatabase::create(Db::Postgres).await);
    let a = TestServer::start_on(db.clone(), |c| c.trash_days = 0).await;
    let b = TestServer::start_on(db.clone(), |c| c.trash_days = 0).await;
    let alice = a.user("alice").await;
    let doc = id(&alice.create_doc("Expires").await);
    let (status, _) = alice.delete(&format!("/api/documents/{doc}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let deadline = Instant::now() + Duration::from_secs(45);
    while !trash_list(&alice).await.is_empty() {
        assert!(Instant::now() < deadline, "not purged within a sweep");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // One purge in the audit log of the whole database: one instance did it.
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE document_id = $1 AND action = 'document.delete'",
    )
    .bind(&doc)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(n, 1);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE id = $1")
        .bind(&doc)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
    conn.close().await.unwrap();
    a.stop().await;
    b.stop().await;
}

/// Purging while the document is still being written (an editor's late
/// updates, compactions every few updates) never fails: the purge waits for
/// the write in progress instead of deadlocking with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_during_writes_and_compaction() {
    let s = TestServer::start_with(Db::Postgres, |c| {
        c.persistence.compact_every_updates = 3;
        c.persistence.group_commit_ms = 1;
    })
    .await;
    let alice = s.user("alice").await;
    for round in 0..12 {
        let doc = id(&alice.create_doc(&format!("Busy {round}")).await);
        let mut ws = YClient::connect(&s.base, &doc, &alice.token).await;
        for i in 0..30 {
            ws.add_paragraph(&format!("line {i}")).await;
        }
        let (status, _) = alice.delete(&format!("/api/documents/{doc}")).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        // The socket is being closed (4404) while its last updates and a
        // compaction may still be on their way to the database.
        let (status, body) = alice.delete(&format!("/api/trash/{doc}")).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "round {round}: {body}");
        drop(ws);
    }
    s.stop().await;
}
