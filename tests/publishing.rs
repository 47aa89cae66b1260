//! Publishing and delivery through the public interface, on both databases:
//! publish freezes a version that readers get while the draft goes on; the
//! delivery API and the reader page serve only published revisions, with
//! the access rules and cache headers of a public or private document;
//! slugs are validated, unique and suggested from the title; unpublish
//! takes every delivery URL down.

mod common;

use common::yclient::YClient;
use common::{Api, TestServer, id};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use std::time::Duration;

async fn create(api: &Api, title: &str, body: &str) -> Value {
    let (st, doc) = api
        .post(
            "/api/documents",
            json!({ "title": title, "body": body, "body_format": "markdown" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{doc}");
    doc
}

async fn patch(api: &Api, doc: &str, body: Value) -> (StatusCode, Value) {
    let (_, cur) = api.get(&format!("/api/documents/{doc}")).await;
    let mut body = body;
    body["expected_version"] = cur["version"].clone();
    api.patch(&format!("/api/documents/{doc}"), body).await
}

/// An anonymous GET: status, headers, body text.
async fn anon(s: &TestServer, path: &str) -> (StatusCode, header::HeaderMap, String) {
    let r = Client::new().get(s.url(path)).send().await.expect("get");
    let (st, h) = (r.status(), r.headers().clone());
    (st, h, r.text().await.unwrap_or_default())
}

fn header_of(h: &header::HeaderMap, name: header::HeaderName) -> &str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn publish_flow(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = create(&alice, "Hello, Wörld!", "First *published* words.").await;
    let id = id(&doc);
    assert_eq!(doc["visibility"], "private");
    assert_eq!(doc["published_version"], Value::Null);

    // not published: nothing is delivered, to anyone
    let (st, _, _) = anon(s, "/api/delivery/documents/hello-world").await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // a viewer may not publish; an editor may
    alice.share(&id, "bob", "viewer").await;
    let (st, _) = bob
        .post(&format!("/api/documents/{id}/publish"), json!({}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, pubd) = alice
        .post(&format!("/api/documents/{id}/publish"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{pubd}");
    assert_eq!(pubd["status"], "published");
    assert_eq!(pubd["slug"], "hello-world", "slug from the title");
    assert_eq!(pubd["role"], "owner");
    let v1 = pubd["published_version"]
        .as_i64()
        .expect("published version");
    assert!(pubd["published_at"].is_string());
    assert!(pubd["version"].as_i64() > doc["version"].as_i64());
    let (_, versions) = alice.get(&format!("/api/documents/{id}/versions")).await;
    let label = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["number"] == v1)
        .map(|v| v["label"].as_str().unwrap().to_string())
        .expect("the published version is in the history");
    assert!(label.starts_with("Published "), "{label}");

    // private: anonymous 401, a non-member 404, a member reads it
    let (st, _, _) = anon(s, "/api/delivery/documents/hello-world").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let carol = s.user("carol").await;
    let (st, _) = carol.get("/api/delivery/documents/hello-world").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, d) = bob
        .get("/api/delivery/documents/hello-world?format=markdown")
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["content"], "First *published* words.\n");
    assert_eq!(d["version"], v1);
    assert_eq!(d["format"], "markdown");
    let (st, _, _) = anon(s, "/p/hello-world").await;
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "a private page is not shown to anonymous readers"
    );

    // the draft goes on; the published revision does not change
    let mut y = YClient::connect(&s.base, &id, &alice.token).await;
    y.add_paragraph("Draft only").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let draft = loop {
        let (_, c) = alice
            .get(&format!("/api/documents/{id}/content?format=text"))
            .await;
        if c["content"].as_str().unwrap_or("").contains("Draft only") {
            break c;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the edit never reached the draft: {c}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(draft["content"].as_str().unwrap().contains("Draft only"));
    let (_, d) = bob
        .get("/api/delivery/documents/hello-world?format=text")
        .await;
    assert!(
        !d["content"].as_str().unwrap().contains("Draft only"),
        "{d}"
    );

    // public: anonymous readers get it, cacheable, with a strong ETag and 304
    let (st, p) = patch(&alice, &id, json!({ "visibility": "public" })).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let (st, h, body) = anon(s, "/api/delivery/documents/hello-world").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(header_of(&h, header::CACHE_CONTROL), "public, max-age=60");
    let etag = header_of(&h, header::ETAG).to_string();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["format"], "html");
    assert!(
        body["content"]
            .as_str()
            .unwrap()
            .contains("<em>published</em>")
    );
    let r = Client::new()
        .get(s.url("/api/delivery/documents/hello-world"))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let (st, h, _) = anon(s, &format!("/api/delivery/documents/hello-world/v/{v1}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        header_of(&h, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    // the draft route stays uncacheable
    let (_, h, _) = anon(s, &format!("/api/documents/{id}/content")).await;
    assert_eq!(header_of(&h, header::CACHE_CONTROL), "no-store");

    // the reader page
    let (st, h, html) = anon(s, "/p/hello-world").await;
    assert_eq!(st, StatusCode::OK);
    assert!(header_of(&h, header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(header_of(&h, header::CACHE_CONTROL), "public, max-age=60");
    assert!(html.contains("<title>Hello, Wörld!</title>"), "{html}");
    assert!(html.contains("og:title"));
    assert!(html.contains("<em>published</em>"));
    assert!(!html.contains("Draft only"));
    assert!(!html.contains("<script"));

    // the list
    let (st, _, list) = anon(s, "/api/delivery/documents").await;
    assert_eq!(st, StatusCode::OK);
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["slug"], "hello-world");
    assert!(
        list["items"][0]["excerpt"]
            .as_str()
            .unwrap()
            .contains("First")
    );

    // publishing again replaces the revision; the earlier one keeps its URL; a draft version 404s
    let (_, pubd2) = alice
        .post(
            &format!("/api/documents/{id}/publish"),
            json!({ "label": "Second edition" }),
        )
        .await;
    let v2 = pubd2["published_version"].as_i64().unwrap();
    assert!(v2 > v1);
    let (_, d) = bob
        .get("/api/delivery/documents/hello-world?format=text")
        .await;
    assert!(d["content"].as_str().unwrap().contains("Draft only"), "{d}");
    let (st, _, _) = anon(s, &format!("/api/delivery/documents/hello-world/v/{v1}")).await;
    assert_eq!(st, StatusCode::OK);
    let (_, draft_v) = alice
        .post(
            &format!("/api/documents/{id}/versions"),
            json!({ "label": "draft" }),
        )
        .await;
    let (st, _, _) = anon(
        s,
        &format!(
            "/api/delivery/documents/hello-world/v/{}",
            draft_v["number"]
        ),
    )
    .await;
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "a version never published is not delivered"
    );

    // unpublish: every delivery URL and the page answer 404; the version stays
    let (st, un) = alice
        .post(&format!("/api/documents/{id}/unpublish"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{un}");
    assert_eq!(un["status"], "draft");
    assert_eq!(un["published_version"], Value::Null);
    for path in [
        "/api/delivery/documents/hello-world".to_string(),
        format!("/api/delivery/documents/hello-world/v/{v1}"),
        "/p/hello-world".to_string(),
    ] {
        let (st, _, _) = anon(s, &path).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, versions) = alice.get(&format!("/api/documents/{id}/versions")).await;
    assert!(
        versions["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["number"] == v2)
    );
    y.disconnect().await;
}
on_both_backends!(publish_and_deliver, super::publish_flow);

async fn slugs(s: &TestServer) {
    let alice = s.user("alice").await;
    let a = id(&create(&alice, "Same title", "a").await);
    let b = id(&create(&alice, "Same title", "b").await);
    let (_, pa) = alice
        .post(&format!("/api/documents/{a}/publish"), json!({}))
        .await;
    let (_, pb) = alice
        .post(&format!("/api/documents/{b}/publish"), json!({}))
        .await;
    assert_eq!(pa["slug"], "same-title");
    assert_eq!(pb["slug"], "same-title-2", "a taken slug gets a suffix");

    // invalid → 422; taken → 409; null clears; hostile input never 500s
    for bad in [
        "Upper",
        "with space",
        "",
        "ü",
        "a/b",
        "x\u{0}y",
        &"a".repeat(101),
    ] {
        let (st, body) = patch(&alice, &b, json!({ "slug": bad })).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
    }
    let (st, body) = patch(&alice, &b, json!({ "slug": "same-title" })).await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    let (st, body) = patch(&alice, &b, json!({ "slug": "my-own-2026" })).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["slug"], "my-own-2026");
    let (st, body) = patch(&alice, &b, json!({ "slug": null })).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["slug"], Value::Null);
    // absent leaves it; the other fields still work
    let (st, body) = patch(&alice, &a, json!({ "title": "Renamed" })).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["slug"], "same-title");

    // schedule fields: RFC 3339 or null
    let (st, body) = patch(&alice, &a, json!({ "publish_at": "2030-01-02T03:04:05Z" })).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["publish_at"], "2030-01-02T03:04:05Z");
    let (st, _) = patch(&alice, &a, json!({ "publish_at": "tomorrow" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, body) = patch(&alice, &a, json!({ "publish_at": null })).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["publish_at"], Value::Null);
    let (st, _) = patch(&alice, &a, json!({ "visibility": "everyone" })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // hostile slugs on the delivery routes are plain 404s
    for path in [
        "/api/delivery/documents/%00",
        "/api/delivery/documents/..%2F..",
        "/api/delivery/documents/same-title/v/99999999999999999999",
        "/p/%F0%9F%92%A9",
        "/p/same-title%3Cscript%3E",
    ] {
        let (st, _, _) = anon(s, path).await;
        assert!(
            st == StatusCode::NOT_FOUND
                || st == StatusCode::BAD_REQUEST
                || st == StatusCode::UNAUTHORIZED,
            "{path}: {st}"
        );
    }

    // deleting a published document takes it down
    let (st, _) = alice.delete(&format!("/api/documents/{a}")).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = alice.get("/api/delivery/documents/same-title").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
on_both_backends!(slug_rules, super::slugs);

fn rfc3339_in(ms: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::milliseconds(ms);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Polls the document until `pred` holds (at most `secs`).
async fn doc_until(api: &Api, id: &str, secs: u64, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let (_, d) = api.get(&format!("/api/documents/{id}")).await;
        if pred(&d) {
            return d;
        }
        assert!(std::time::Instant::now() < deadline, "never happened: {d}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn scheduled_versions(api: &Api, id: &str) -> usize {
    let (_, v) = api.get(&format!("/api/documents/{id}/versions")).await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["label"].as_str().unwrap_or("").ends_with("(scheduled)"))
        .count()
}

async fn schedule(s: &TestServer) {
    let alice = s.user("alice").await;
    let id = id(&create(&alice, "Scheduled", "On time.").await);
    // a time in the past fires at once; the field is cleared
    let (st, d) = patch(&alice, &id, json!({ "publish_at": rfc3339_in(-60_000) })).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    let d = doc_until(&alice, &id, 6, |d| d["status"] == "published").await;
    assert_eq!(d["publish_at"], Value::Null);
    assert!(d["published_version"].is_i64());
    assert_eq!(scheduled_versions(&alice, &id).await, 1);
    // an unpublish a second from now fires within a few seconds
    let (st, _) = patch(&alice, &id, json!({ "unpublish_at": rfc3339_in(1_000) })).await;
    assert_eq!(st, StatusCode::OK);
    let d = doc_until(&alice, &id, 8, |d| d["status"] == "draft").await;
    assert_eq!(d["unpublish_at"], Value::Null);
    assert_eq!(d["published_version"], Value::Null);
    // a cancelled schedule never fires
    let (_, _) = patch(&alice, &id, json!({ "publish_at": rfc3339_in(1_500) })).await;
    let (st, d) = patch(&alice, &id, json!({ "publish_at": null })).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let (_, d) = alice.get(&format!("/api/documents/{id}")).await;
    assert_eq!(d["status"], "draft", "{d}");
    assert_eq!(scheduled_versions(&alice, &id).await, 1);
}
on_both_backends!(scheduled_publishing, super::schedule);

/// Three instances on one PostgreSQL database: each due document is
/// published exactly once; a schedule set before a restart fires after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_exactly_once_across_instances_and_restarts() {
    let a = TestServer::start(common::Db::Postgres).await;
    let b = TestServer::start_on(a.db.clone(), |_| {}).await;
    let c = TestServer::start_on(a.db.clone(), |_| {}).await;
    let alice = a.user("alice").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let d = create(&alice, &format!("Race {i}"), "Once.").await;
        ids.push(id(&d));
    }
    let at = rfc3339_in(800);
    for d in &ids {
        let (st, body) = patch(&alice, d, json!({ "publish_at": at })).await;
        assert_eq!(st, StatusCode::OK, "{body}");
    }
    for d in &ids {
        doc_until(&alice, d, 8, |d| d["status"] == "published").await;
    }
    // give a slow second firing the time to show up
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for d in &ids {
        assert_eq!(scheduled_versions(&alice, d).await, 1, "document {d}");
    }
    b.stop().await;
    c.stop().await;

    // a schedule set, then every instance stopped before it is due
    let late = id(&create(&alice, "After restart", "Later.").await);
    let (st, _) = patch(&alice, &late, json!({ "publish_at": rfc3339_in(2_000) })).await;
    assert_eq!(st, StatusCode::OK);
    let db = a.db.clone();
    a.stop().await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let again = TestServer::start_on(db, |_| {}).await;
    let alice = Api {
        base: again.base.clone(),
        ..alice
    };
    doc_until(&alice, &late, 8, |d| d["status"] == "published").await;
    assert_eq!(scheduled_versions(&alice, &late).await, 1);
    again.stop().await;
}

/// A personal API token with the `delivery` scope reads published
/// revisions of its owner's documents and nothing else.
async fn delivery_token(s: &TestServer) {
    let alice = s.user("alice").await;
    let id = id(&create(&alice, "Members only", "Private text.").await);
    let (st, _) = alice
        .post(&format!("/api/documents/{id}/publish"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, t) = alice
        .post(
            "/api/auth/tokens",
            json!({ "name": "website", "scopes": ["delivery"] }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    assert_eq!(t["scopes"], json!(["delivery"]));
    let bot = Api {
        token: t["token"].as_str().unwrap().to_string(),
        ..alice.clone()
    };
    let (st, d) = bot
        .get("/api/delivery/documents/members-only?format=text")
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["content"], "Private text.");
    let (st, l) = bot.get("/api/delivery/documents").await;
    assert_eq!((st, l["total"].as_i64()), (StatusCode::OK, Some(1)));
    for (method, path) in [
        ("GET", "/api/documents".to_string()),
        ("GET", format!("/api/documents/{id}")),
        ("GET", format!("/api/documents/{id}/content")),
        ("GET", "/api/auth/me".to_string()),
        ("POST", "/api/documents".to_string()),
        ("POST", format!("/api/documents/{id}/publish")),
    ] {
        let (st, body) = if method == "GET" {
            bot.get(&path).await
        } else {
            bot.post(&path, json!({ "title": "x" })).await
        };
        assert_eq!(st, StatusCode::FORBIDDEN, "{method} {path}: {body}");
    }
    let ws = format!(
        "{}/ws/doc/{id}?token={}",
        s.base.replacen("http", "ws", 1),
        bot.token
    );
    assert!(
        common::yclient::connect_status(&ws).await.is_err(),
        "a delivery token opens no document"
    );
    // another user's delivery token: as if the document did not exist
    let carol = s.user("carol").await;
    let (_, t) = carol
        .post(
            "/api/auth/tokens",
            json!({ "name": "c", "scopes": ["delivery"] }),
        )
        .await;
    let carol_bot = Api {
        token: t["token"].as_str().unwrap().to_string(),
        ..carol
    };
    let (st, _) = carol_bot.get("/api/delivery/documents/members-only").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // an ordinary token keeps the whole API
    let (_, t) = alice
        .post("/api/auth/tokens", json!({ "name": "full" }))
        .await;
    assert_eq!(t["scopes"], json!([]));
}
on_both_backends!(delivery_scoped_tokens, super::delivery_token);
