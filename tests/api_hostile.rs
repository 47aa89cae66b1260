//! Hostile text and input on both databases: NUL in paths, bodies and
//! query strings; document content with NUL; fake snippet delimiters; odd
//! search input and paging; tag floods; the user directory; quotas.
//! Nothing a client sends may answer 5xx.

mod common;

use std::time::{Duration, Instant};

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use yrs::{Doc, ReadTxn, Transact, XmlElementPrelim, XmlFragment, XmlTextPrelim};

use common::{Api, TestServer};

/// Like `on_both_backends!`, with a config tweak.
macro_rules! on_both_with {
    ($name:ident, $scenario:path, $tweak:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = $crate::common::TestServer::start_with($crate::common::Db::Sqlite, $tweak)
                    .await;
                $scenario(&s).await;
                s.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let s =
                    $crate::common::TestServer::start_with($crate::common::Db::Postgres, $tweak)
                        .await;
                $scenario(&s).await;
                s.stop().await;
            }
        }
    };
}

/// Asserts a JSON 4xx error (`{ "error", "message" }`), returns the code.
#[track_caller]
fn client_error(what: &str, status: StatusCode, body: &Value) -> String {
    assert!(
        status.is_client_error(),
        "{what}: expected 4xx, got {status}: {body}"
    );
    assert!(body["message"].is_string(), "{what}: {body}");
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no error code: {body}"))
        .to_string()
}

/// A v1 update inserting one paragraph with `text` into an empty document.
fn paragraph_update(text: &str) -> Vec<u8> {
    let doc = Doc::new();
    let frag = doc.get_or_insert_xml_fragment("default");
    {
        let mut txn = doc.transact_mut();
        let p = frag.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
        p.insert(&mut txn, 0, XmlTextPrelim::new(text));
    }
    doc.transact()
        .encode_state_as_update_v1(&yrs::StateVector::default())
}

async fn post_update(s: &TestServer, api: &Api, doc: &str, update: Vec<u8>) -> StatusCode {
    Client::new()
        .post(s.url(&format!("/api/documents/{doc}/updates")))
        .bearer_auth(&api.token)
        .header("content-type", "application/octet-stream")
        .body(update)
        .send()
        .await
        .expect("post update")
        .status()
}

/// Polls `/api/search` until `pred` holds (the searchable text of an open
/// document is refreshed a few seconds after an edit).
async fn search_until(api: &Api, query: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(12);
    loop {
        let (st, r) = api.get(&format!("/api/search?{query}")).await;
        assert_eq!(st, StatusCode::OK, "search {query}: {r}");
        if pred(&r) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "search {query} never matched: {r}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn nul_everywhere(s: &TestServer) {
    let alice = s.user("alice").await;
    s.user("bob").await;
    let doc = alice.create_doc("Plan").await;
    let id = doc["id"].as_str().unwrap().to_string();

    // NUL (and other shapes no id has) in every path id: 404, no query.
    let bad_ids = ["a%00b", "%00", "does-not-exist", "1", "a'b", "%FF"];
    for bad in bad_ids {
        let routes: Vec<(Method, String)> = vec![
            (Method::GET, format!("/api/documents/{bad}")),
            (Method::PATCH, format!("/api/documents/{bad}")),
            (Method::DELETE, format!("/api/documents/{bad}")),
            (
                Method::GET,
                format!("/api/documents/{bad}/content?format=text"),
            ),
            (Method::GET, format!("/api/documents/{bad}/members")),
            (Method::PUT, format!("/api/documents/{bad}/members/bob")),
            (Method::DELETE, format!("/api/documents/{bad}/members/bob")),
            (Method::PUT, format!("/api/documents/{id}/members/{bad}")),
            (Method::DELETE, format!("/api/documents/{id}/members/{bad}")),
            (Method::GET, format!("/api/documents/{bad}/versions")),
            (Method::POST, format!("/api/documents/{bad}/versions")),
            (Method::GET, format!("/api/documents/{bad}/versions/1")),
            (Method::GET, format!("/api/documents/{id}/versions/{bad}")),
            (
                Method::GET,
                format!("/api/documents/{bad}/versions/1/diff/current"),
            ),
            (
                Method::GET,
                format!("/api/documents/{id}/versions/{bad}/diff/current"),
            ),
            (Method::POST, format!("/api/documents/{bad}/restore/1")),
            (Method::POST, format!("/api/documents/{id}/restore/{bad}")),
            (Method::GET, format!("/api/documents/{bad}/presence")),
            (Method::GET, format!("/api/documents/{bad}/activity")),
            (Method::GET, format!("/api/documents/{bad}/state")),
            (Method::DELETE, format!("/api/auth/tokens/{bad}")),
        ];
        for (method, path) in routes {
            // A well-formed username that names nobody is 404 as well.
            let body = match method {
                Method::PATCH => Some(json!({ "title": "x", "expected_version": 1 })),
                Method::PUT => Some(json!({ "role": "viewer" })),
                Method::POST => Some(json!({ "label": "x" })),
                _ => None,
            };
            let (st, b) = alice.call(method.clone(), &path, body).await;
            let what = format!("{method} {path}");
            assert_eq!(st, StatusCode::NOT_FOUND, "{what}: {b}");
            assert_eq!(client_error(&what, st, &b), "not_found");
        }
        let st = post_update(s, &alice, bad, paragraph_update("x")).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "updates on {bad}");
    }
    // The WebSocket endpoint with such ids: refused with a 4xx.
    for bad in ["a%00b", "%00", "does-not-exist"] {
        let url = format!(
            "{}/ws/doc/{bad}?token={}",
            s.base.replace("http://", "ws://"),
            alice.token
        );
        match common::yclient::connect_status(&url).await {
            Ok(_) => panic!("ws upgrade for {bad} accepted"),
            Err(code) => assert!((400..500).contains(&code), "ws {bad}: {code}"),
        }
    }
    // Nothing happened to the real document.
    let (st, d) = alice.get(&format!("/api/documents/{id}")).await;
    assert_eq!((st, d["title"].as_str()), (StatusCode::OK, Some("Plan")));

    // NUL in identifiers sent as JSON: refused (or simply not found).
    let c = Client::new();
    let register = |body: Value| {
        let c = c.clone();
        let url = s.url("/api/auth/register");
        async move {
            let r = c.post(url).json(&body).send().await.expect("register");
            let st = r.status();
            (st, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (st, b) = register(
        json!({ "username": "ca\u{0}rol", "email": "c@example.com", "password": "password123" }),
    )
    .await;
    assert_eq!(client_error("register username", st, &b), "validation");
    let (st, b) = register(
        json!({ "username": "carol", "email": "c\u{0}@example.com", "password": "password123" }),
    )
    .await;
    assert_eq!(client_error("register email", st, &b), "validation");
    let (st, b) = register(
        json!({ "username": "dave", "email": "d@example.com", "password": "pass\u{0}word123" }),
    )
    .await;
    assert!(!st.is_server_error(), "register password: {st} {b}");
    for login in ["al\u{0}ice", "\u{0}", "alice\u{0}@example.com"] {
        let r = c
            .post(s.url("/api/auth/login"))
            .json(&json!({ "username": login, "password": "password123" }))
            .send()
            .await
            .unwrap();
        let st = r.status();
        let b: Value = r.json().await.unwrap_or(Value::Null);
        client_error("login with NUL", st, &b);
    }

    // NUL in free text: stripped, the request succeeds.
    let (st, d) = alice
        .post(
            "/api/documents",
            json!({ "title": "T\u{0}itle", "tags": ["x\u{0}y", "\u{0}"], "body": "# He\u{0}ad\n\nbo\u{0}dy text" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    assert_eq!(d["title"], "Title");
    assert_eq!(d["tags"], json!(["xy"]));
    let nid = d["id"].as_str().unwrap().to_string();
    let (st, c1) = alice
        .get(&format!("/api/documents/{nid}/content?format=text"))
        .await;
    assert_eq!(st, StatusCode::OK, "{c1}");
    assert!(
        c1["content"].as_str().unwrap().contains("body text"),
        "{c1}"
    );
    let (st, d) = alice
        .post(
            "/api/documents",
            json!({ "title": "Html", "body": "<p>h\u{0}tml</p>", "body_format": "html" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let (st, d) = alice
        .patch(
            &format!("/api/documents/{nid}"),
            json!({ "title": "Ne\u{0}w", "tags": ["a\u{0}"], "expected_version": 1 }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(
        (d["title"].as_str(), &d["tags"]),
        (Some("New"), &json!(["a"]))
    );
    let (st, v) = alice
        .post(
            &format!("/api/documents/{nid}/versions"),
            json!({ "label": "la\u{0}bel" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["label"], "label");
    let (st, t) = alice
        .post("/api/auth/tokens", json!({ "name": "to\u{0}ken" }))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    assert_eq!(t["name"], "token");
    let (st, b) = alice
        .post("/api/auth/tokens", json!({ "name": "\u{0}\u{0}" }))
        .await;
    assert_eq!(client_error("token name of NUL only", st, &b), "validation");

    // NUL in query strings: never 5xx.
    for q in [
        "/api/documents?tag=a%00b",
        "/api/documents?owner=a%00b",
        "/api/documents?q=a%00b",
        "/api/search?q=a%00b",
        "/api/search?q=%00&scope=versions",
        "/api/users?q=al%00",
    ] {
        let (st, b) = alice.get(q).await;
        assert_eq!(st, StatusCode::OK, "{q}: {b}");
    }
    let (_, b) = alice.get("/api/documents?tag=a%00b").await;
    assert_eq!(b["total"], 0);
    let (_, b) = alice.get("/api/documents?q=Ne%00w").await;
    assert_eq!(b["total"], 1, "NUL is ignored in the title filter: {b}");
}
on_both_backends!(nul_in_paths_and_bodies, super::nul_everywhere);

async fn nul_in_document_content(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = alice.create_doc("Nul content").await;
    let id = doc["id"].as_str().unwrap().to_string();
    let st = post_update(s, &alice, &id, paragraph_update("a\u{0}b findme")).await;
    assert_eq!(st, StatusCode::OK);

    // The text reads back (the CRDT keeps what the client typed).
    let (st, c) = alice
        .get(&format!("/api/documents/{id}/content?format=text"))
        .await;
    assert_eq!(st, StatusCode::OK, "{c}");
    assert!(c["content"].as_str().unwrap().contains("findme"), "{c}");

    // A version can be saved and is searchable.
    let (st, v) = alice
        .post(
            &format!("/api/documents/{id}/versions"),
            json!({ "label": "with nul" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, vc) = alice
        .get(&format!("/api/documents/{id}/versions/1?format=text"))
        .await;
    assert_eq!(st, StatusCode::OK, "{vc}");
    search_until(&alice, "q=findme&scope=versions", |r| r["total"] == 1).await;

    // The live text is indexed.
    let r = search_until(&alice, "q=findme", |r| r["total"] == 1).await;
    assert_eq!(r["items"][0]["document"]["id"], id.as_str());
    assert!(
        r["items"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>findme</mark>"),
        "{r}"
    );

    // And the document compacts (compaction writes the text too).
    let deadline = Instant::now() + Duration::from_secs(12);
    loop {
        let pending = s.state.store.pending_update_count(&id).await.unwrap();
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never compacted ({pending} pending)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A restore of that version works too.
    let (st, r) = alice
        .post(&format!("/api/documents/{id}/restore/1"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
}
on_both_with!(
    nul_in_content,
    super::nul_in_document_content,
    |c: &mut quire::config::Config| {
        c.persistence.compact_every_updates = 1;
    }
);

async fn fake_snippet_marks(s: &TestServer) {
    let alice = s.user("alice").await;
    // Through the initial body...
    let (st, d) = alice
        .post(
            "/api/documents",
            json!({ "title": "Marks", "body": "\u{1}evil\u{2} text about a needle" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    // ...and through a live edit.
    let doc = alice.create_doc("Live marks").await;
    let id = doc["id"].as_str().unwrap().to_string();
    let st = post_update(
        s,
        &alice,
        &id,
        paragraph_update("\u{1}wicked\u{2} words near a haystack"),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = alice
        .post(
            &format!("/api/documents/{id}/versions"),
            json!({ "label": "v" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    let check = |r: &Value, hit: &str, fake: &str| {
        let snippet = r["items"][0]["snippet"].as_str().unwrap_or_default();
        assert!(snippet.contains(&format!("<mark>{hit}</mark>")), "{r}");
        assert!(!snippet.contains(&format!("<mark>{fake}")), "{r}");
        assert_eq!(snippet.matches("<mark>").count(), 1, "{r}");
    };
    let r = search_until(&alice, "q=needle", |r| r["total"] == 1).await;
    check(&r, "needle", "evil");
    let r = search_until(&alice, "q=haystack", |r| r["total"] == 1).await;
    check(&r, "haystack", "wicked");
    let r = search_until(&alice, "q=haystack&scope=versions", |r| r["total"] == 1).await;
    check(&r, "haystack", "wicked");
    // A real match on the word is still marked.
    let r = search_until(&alice, "q=wicked", |r| r["total"] == 1).await;
    check(&r, "wicked", "haystack");
}
on_both_backends!(snippet_marks, super::fake_snippet_marks);

async fn hostile_search_and_paging(s: &TestServer) {
    let alice = s.user("alice").await;
    alice.create_doc("Searchable thing").await;
    let long = "x".repeat(20_000);
    let words = "w ".repeat(2_000);
    let hostile = [
        "\\",
        "%",
        "_",
        "'",
        "''",
        ":*",
        "a:*",
        "&|!()",
        "a & b | !c",
        "(((",
        "\"",
        "\"a\" OR b*",
        "NEAR(a b)",
        "a%25b_c",
        "²",
        "½ ¼",
        "İstanbul",
        "ǅ",
        "٣٤",
        "日本語",
        "e\u{301}",
        "ﬁ",
        long.as_str(),
        words.as_str(),
        "-",
        "a-b",
        "<>",
        "%00",
    ];
    for q in hostile {
        let enc = urlencode(q);
        for path in [
            format!("/api/search?q={enc}"),
            format!("/api/search?q={enc}&scope=versions"),
            format!("/api/documents?q={enc}"),
            format!("/api/documents?tag={enc}"),
            format!("/api/documents?owner={enc}"),
            format!("/api/users?q={enc}"),
        ] {
            let (st, b) = alice.get(&path).await;
            assert_eq!(st, StatusCode::OK, "{}: {b}", &path[..path.len().min(80)]);
        }
    }
    let (_, r) = alice.get("/api/search?q=searchable").await;
    assert_eq!(r["total"], 1, "{r}");

    for paging in [
        "offset=9223372036854775807",
        "offset=-9223372036854775808",
        "offset=-1",
        "limit=-1",
        "limit=0",
        "limit=9223372036854775807",
        "limit=-9223372036854775808&offset=9223372036854775807",
    ] {
        for base in ["/api/search?q=searchable&", "/api/documents?"] {
            let (st, b) = alice.get(&format!("{base}{paging}")).await;
            assert_eq!(st, StatusCode::OK, "{base}{paging}: {b}");
        }
    }
    let (_, b) = alice.get("/api/documents?offset=9223372036854775807").await;
    assert_eq!(b["items"], json!([]), "{b}");
    let (_, b) = alice
        .get("/api/search?q=searchable&offset=9223372036854775807")
        .await;
    assert_eq!(b["items"], json!([]), "{b}");
    for bad in [
        "/api/documents?offset=9223372036854775808",
        "/api/documents?limit=abc",
        "/api/search?q=a&offset=1e3",
        "/api/search?q=a&limit=99999999999999999999",
    ] {
        let (st, b) = alice.get(bad).await;
        client_error(bad, st, &b);
    }
}
on_both_backends!(search_and_paging, super::hostile_search_and_paging);

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn tag_flood(s: &TestServer) {
    let alice = s.user("alice").await;
    let tags: Vec<String> = (0..50_000).map(|i| format!("t{i}")).collect();
    let started = Instant::now();
    let (st, b) = alice
        .post("/api/documents", json!({ "title": "Tags", "tags": tags }))
        .await;
    println!("create with 50,000 tags: {st} in {:?}", started.elapsed());
    assert_eq!(client_error("50,000 tags", st, &b), "validation");
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    let doc = alice.create_doc("Tagged").await;
    let id = doc["id"].as_str().unwrap();
    let same: Vec<&str> = vec!["dup"; 50_000];
    let started = Instant::now();
    let (st, b) = alice
        .patch(
            &format!("/api/documents/{id}"),
            json!({ "tags": same, "expected_version": 1 }),
        )
        .await;
    println!("patch with 50,000 tags: {st} in {:?}", started.elapsed());
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (_, d) = alice.get(&format!("/api/documents/{id}")).await;
    assert_eq!(
        (d["tags"].clone(), d["version"].as_i64()),
        (json!([]), Some(1))
    );
}
on_both_backends!(tags_flood, super::tag_flood);

async fn invisible_characters(s: &TestServer) {
    let alice = s.user("alice").await;
    let (st, d) = alice
        .post(
            "/api/documents",
            json!({ "title": "\u{202E}txt.exe\u{202C}\u{200B}", "tags": ["\u{2066}a\u{2069}", "\u{FEFF}"] }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    assert_eq!(
        (d["title"].as_str(), &d["tags"]),
        (Some("txt.exe"), &json!(["a"]))
    );
    let (st, b) = alice
        .post(
            "/api/documents",
            json!({ "title": "\u{200B}\u{200D}\u{2060}" }),
        )
        .await;
    assert_eq!(client_error("invisible title", st, &b), "validation");
}
on_both_backends!(invisible, super::invisible_characters);

async fn user_directory(s: &TestServer) {
    let alice = s.user("alice").await;
    for name in ["alina", "albert", "bob", "malice"] {
        s.register(name).await;
    }
    for i in 0..12 {
        s.register(&format!("user{i:02}")).await;
    }
    let names = |b: &Value| -> Vec<String> {
        b["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{b}"))
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    // Too short: nobody (the directory cannot be listed whole).
    for q in ["", "a", " a ", "%", "_"] {
        let (st, b) = alice.get(&format!("/api/users?q={}", urlencode(q))).await;
        assert_eq!(st, StatusCode::OK, "{b}");
        assert!(names(&b).is_empty(), "{q:?}: {b}");
    }
    let (_, b) = alice.get("/api/users").await;
    assert!(names(&b).is_empty(), "{b}");
    // Prefix, case-insensitive, never a substring.
    let (_, b) = alice.get("/api/users?q=AL").await;
    assert_eq!(names(&b), ["albert", "alice", "alina"]);
    let (_, b) = alice.get("/api/users?q=lic").await;
    assert!(names(&b).is_empty(), "{b}");
    // Exact match first.
    s.register("alice2").await;
    let (_, b) = alice.get("/api/users?q=alice").await;
    assert_eq!(names(&b), ["alice", "alice2"]);
    // Capped.
    let (_, b) = alice.get("/api/users?q=us").await;
    assert_eq!(names(&b).len(), 10, "{b}");
    assert!(names(&b).iter().all(|n| n.starts_with("user")));
}
on_both_backends!(users, super::user_directory);

async fn document_quota(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let first = alice.create_doc("one").await;
    alice.create_doc("two").await;
    let (st, b) = alice
        .post("/api/documents", json!({ "title": "three" }))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(client_error("document quota", st, &b), "quota_exceeded");
    let (_, list) = alice.get("/api/documents").await;
    assert_eq!(list["total"], 2);
    // Per user: bob is not affected, and documents shared with alice do
    // not count against her.
    let shared = bob.create_doc("bob's").await;
    let (st, _) = bob
        .put(
            &format!(
                "/api/documents/{}/members/alice",
                shared["id"].as_str().unwrap()
            ),
            json!({ "role": "editor" }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // Deleting one makes room again.
    let (st, _) = alice
        .delete(&format!("/api/documents/{}", first["id"].as_str().unwrap()))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, b) = alice
        .post("/api/documents", json!({ "title": "three" }))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
}
on_both_with!(
    documents_per_user,
    super::document_quota,
    |c: &mut quire::config::Config| {
        c.limits.max_documents_per_user = 2;
    }
);

async fn version_quota(s: &TestServer) {
    let alice = s.user("alice").await;
    let (st, d) = alice
        .post("/api/documents", json!({ "title": "Q", "body": "alpha" }))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let id = d["id"].as_str().unwrap().to_string();
    let versions = |b: &Value| -> Vec<(i64, bool)> {
        b["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{b}"))
            .iter()
            .map(|v| (v["number"].as_i64().unwrap(), v["auto"].as_bool().unwrap()))
            .collect()
    };
    let save = |label: &'static str| {
        let alice = alice.clone();
        let id = id.clone();
        async move {
            alice
                .post(
                    &format!("/api/documents/{id}/versions"),
                    json!({ "label": label }),
                )
                .await
        }
    };
    let list = || {
        let alice = alice.clone();
        let id = id.clone();
        async move { versions(&alice.get(&format!("/api/documents/{id}/versions")).await.1) }
    };
    let restore = |n: i64| {
        let alice = alice.clone();
        let id = id.clone();
        async move {
            alice
                .post(&format!("/api/documents/{id}/restore/{n}"), json!({}))
                .await
        }
    };
    assert_eq!(save("one").await.0, StatusCode::CREATED);
    assert_eq!(save("two").await.0, StatusCode::CREATED);
    let (st, r) = restore(1).await;
    assert_eq!(
        (st, r["backup_version"].as_i64()),
        (StatusCode::OK, Some(3)),
        "{r}"
    );
    assert_eq!(list().await, [(3, true), (2, false), (1, false)]);
    // Full: the oldest automatic version (3, also the newest) makes room,
    // and its number is not given out again.
    let (st, r) = restore(1).await;
    assert_eq!(
        (st, r["backup_version"].as_i64()),
        (StatusCode::OK, Some(4)),
        "{r}"
    );
    assert_eq!(list().await, [(4, true), (2, false), (1, false)]);
    // A version saved by hand replaces an automatic one too.
    let (st, v) = save("three").await;
    assert_eq!(
        (st, v["number"].as_i64()),
        (StatusCode::CREATED, Some(5)),
        "{v}"
    );
    assert_eq!(list().await, [(5, false), (2, false), (1, false)]);
    // Every slot holds a version saved by hand: a save is refused...
    let (st, b) = save("four").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(client_error("version quota", st, &b), "quota_exceeded");
    // ...and so is a restore, before anything changes.
    let st = post_update(s, &alice, &id, paragraph_update("beta")).await;
    assert_eq!(st, StatusCode::OK);
    let (_, before) = alice
        .get(&format!("/api/documents/{id}/content?format=text"))
        .await;
    let (st, b) = restore(1).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(client_error("restore over quota", st, &b), "quota_exceeded");
    let (_, after) = alice
        .get(&format!("/api/documents/{id}/content?format=text"))
        .await;
    assert_eq!(before, after);
    assert!(
        after["content"].as_str().unwrap().contains("beta"),
        "{after}"
    );
    assert_eq!(list().await, [(5, false), (2, false), (1, false)]);
}
on_both_with!(
    versions_per_document,
    super::version_quota,
    |c: &mut quire::config::Config| {
        c.limits.max_versions_per_document = 3;
    }
);
