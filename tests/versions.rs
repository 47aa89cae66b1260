//! Versions, restore, diff, search, export/import (issue 4) through HTTP and
//! WebSocket, on SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::TestServer;
use common::yclient::YClient;
use reqwest::StatusCode;
use serde_json::json;
use yrs::{Text, WriteTxn, XmlFragment};

const T: Duration = Duration::from_secs(5);

async fn create_with_body(api: &common::Api, title: &str, md: &str) -> String {
    let (st, doc) = api
        .post(
            "/api/documents",
            json!({ "title": title, "body": md, "body_format": "markdown" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{doc}");
    doc["id"].as_str().unwrap().to_string()
}

async fn text_of(api: &common::Api, path: &str) -> String {
    let (st, body) = api.get(path).await;
    assert_eq!(st, StatusCode::OK, "{path}: {body}");
    body["content"].as_str().unwrap().trim().to_string()
}

/// Replaces the text of paragraph `i` in `default` (one edit, sent).
async fn set_paragraph(c: &mut YClient, i: u32, text: &str) {
    let text = text.to_string();
    c.edit(move |txn, _| {
        let frag = txn.get_or_insert_xml_fragment("default");
        let Some(yrs::types::xml::XmlOut::Element(p)) = frag.get(txn, i) else {
            panic!("no paragraph {i}")
        };
        let Some(yrs::types::xml::XmlOut::Text(t)) = p.get(txn, 0) else {
            panic!("no text in paragraph {i}")
        };
        let len = t.len(txn);
        t.remove_range(txn, 0, len);
        t.insert(txn, 0, &text);
    })
    .await;
}

async fn save_list_and_read(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = create_with_body(&alice, "Story", "First draft text").await;
    let (st, v1) = alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "draft 1" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v1}");
    assert_eq!(v1["number"], 1);
    assert_eq!(v1["auto"], false);
    let mut c = YClient::connect(&s.base, &doc, &alice.token).await;
    assert!(c.until(T, |c| c.paragraphs() == ["First draft text"]).await);
    set_paragraph(&mut c, 0, "Second draft text").await;
    assert!(c.until(T, |c| c.frames >= 3).await);
    let (st, v2) = alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "draft 2" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(v2["number"], 2);

    let (_, list) = alice.get(&format!("/api/documents/{doc}/versions")).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["label"], "draft 2", "newest first");
    assert_eq!(items[1]["label"], "draft 1");
    assert!(
        items
            .iter()
            .all(|v| v["created_by_username"] == "alice" && v["created_at"].as_str().is_some())
    );
    assert_eq!(
        text_of(
            &alice,
            &format!("/api/documents/{doc}/versions/1?format=text")
        )
        .await,
        "First draft text"
    );
    assert_eq!(
        text_of(
            &alice,
            &format!("/api/documents/{doc}/versions/2?format=text")
        )
        .await,
        "Second draft text"
    );
    let (_, html) = alice
        .get(&format!("/api/documents/{doc}/versions/1?format=html"))
        .await;
    assert_eq!(
        html["content"].as_str().unwrap().trim(),
        "<p>First draft text</p>"
    );
    assert_eq!(html["label"], "draft 1");
    assert_eq!(
        alice
            .get(&format!("/api/documents/{doc}/versions/9"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Viewers read versions but cannot save or restore; strangers see nothing.
    let carol = s.user("carol").await;
    alice
        .put(
            &format!("/api/documents/{doc}/members/carol"),
            json!({ "role": "viewer" }),
        )
        .await;
    assert_eq!(
        carol.get(&format!("/api/documents/{doc}/versions")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        carol
            .post(
                &format!("/api/documents/{doc}/versions"),
                json!({ "label": "x" })
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        carol
            .post(&format!("/api/documents/{doc}/restore/1"), json!({}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let mallory = s.user("mallory").await;
    assert_eq!(
        mallory
            .get(&format!("/api/documents/{doc}/versions"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        mallory
            .get(&format!("/api/documents/{doc}/versions/1"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}
on_both_backends!(versions_basic, super::save_list_and_read);

/// Restore reaches connected clients live; an offline client's edit merges on top.
async fn restore_live_and_offline(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = create_with_body(&alice, "Restore", "Original paragraph").await;
    alice
        .put(
            &format!("/api/documents/{doc}/members/bob"),
            json!({ "role": "editor" }),
        )
        .await;
    alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "v1" }),
        )
        .await;

    let mut a = YClient::connect(&s.base, &doc, &alice.token).await;
    let mut b = YClient::connect(&s.base, &doc, &bob.token).await;
    let mut offline = YClient::connect(&s.base, &doc, &bob.token).await;
    for c in [&mut a, &mut b, &mut offline] {
        assert!(
            c.until(T, |c| c.paragraphs() == ["Original paragraph"])
                .await
        );
    }
    set_paragraph(&mut a, 0, "Rewritten paragraph").await;
    a.add_paragraph("Extra paragraph").await;
    for c in [&mut b, &mut offline] {
        assert!(
            c.until(T, |c| c.paragraphs()
                == ["Rewritten paragraph", "Extra paragraph"])
                .await
        );
    }
    // The third client goes offline and types a sentence.
    offline.disconnect().await;
    offline.edit_offline(|txn| {
        let frag = txn.get_or_insert_xml_fragment("default");
        let len = frag.len(txn);
        let p = frag.insert(txn, len, yrs::XmlElementPrelim::empty("paragraph"));
        let t = p.insert(txn, 0, yrs::XmlTextPrelim::new(""));
        t.push(txn, "Typed offline.");
    });

    let (st, res) = alice
        .post(&format!("/api/documents/{doc}/restore/1"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{res}");
    assert_eq!(res["restored_from"], 1);
    let backup = res["backup_version"].as_i64().unwrap();
    // Both connected clients see v1 within a second, without reconnecting.
    for c in [&mut a, &mut b] {
        assert!(
            c.until(Duration::from_secs(1), |c| c.paragraphs()
                == ["Original paragraph"])
                .await,
            "{:?}",
            c.paragraphs()
        );
        assert!(c.close.is_none());
    }
    // The backup holds the pre-restore content.
    let (_, list) = alice.get(&format!("/api/documents/{doc}/versions")).await;
    let b_item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["number"] == backup)
        .unwrap()
        .clone();
    assert_eq!(b_item["label"], "Before restore to 1");
    assert_eq!(b_item["auto"], true);
    assert_eq!(
        text_of(
            &alice,
            &format!("/api/documents/{doc}/versions/{backup}?format=text")
        )
        .await,
        "Rewritten paragraph\nExtra paragraph"
    );
    // The offline client comes back: v1 plus its sentence, everywhere.
    offline.reconnect(&s.base, &doc, &bob.token).await;
    let want = ["Original paragraph", "Typed offline."];
    assert!(
        offline.until(T, |c| c.paragraphs() == want).await,
        "{:?}",
        offline.paragraphs()
    );
    assert!(
        a.until(T, |c| c.paragraphs() == want).await,
        "{:?}",
        a.paragraphs()
    );
    assert_eq!(
        text_of(&alice, &format!("/api/documents/{doc}/content?format=text")).await,
        want.join("\n")
    );

    // Restoring the backup brings the pre-restore text back (plus the sentence, which came later).
    let (st, _) = alice
        .post(&format!("/api/documents/{doc}/restore/{backup}"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        b.until(T, |c| c.paragraphs().starts_with(&[
            "Rewritten paragraph".to_string(),
            "Extra paragraph".to_string()
        ]))
        .await,
        "{:?}",
        b.paragraphs()
    );
    // Audit trail.
    let (_, activity) = alice.get(&format!("/api/documents/{doc}/activity")).await;
    assert!(
        activity["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["action"] == "version.restore")
    );
}
on_both_backends!(restore, super::restore_live_and_offline);

async fn diff_reports_words(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = create_with_body(
        &alice,
        "Fox",
        "The quick brown fox jumps\n\nUnchanged paragraph",
    )
    .await;
    alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "a" }),
        )
        .await;
    let mut c = YClient::connect(&s.base, &doc, &alice.token).await;
    assert!(c.until(T, |c| c.paragraphs().len() == 2).await);
    set_paragraph(&mut c, 0, "The quick red fox leaps high").await;
    assert!(c.until(T, |c| c.frames >= 3).await);
    let (st, v) = alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "b" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    for b in ["2", "current"] {
        let (st, diff) = alice
            .get(&format!("/api/documents/{doc}/versions/1/diff/{b}"))
            .await;
        assert_eq!(st, StatusCode::OK, "{diff}");
        let words = |op: &str| -> Vec<String> {
            diff["blocks"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|bl| bl["words"].as_array().unwrap().iter())
                .filter(|w| w["op"] == op)
                .flat_map(|w| {
                    w["text"]
                        .as_str()
                        .unwrap()
                        .split_whitespace()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        assert_eq!(words("delete"), ["brown", "jumps"], "{diff}");
        assert_eq!(words("insert"), ["red", "leaps", "high"], "{diff}");
        assert_eq!(diff["stats"]["inserted_words"], 3);
        assert_eq!(diff["stats"]["deleted_words"], 2);
        let ops: Vec<&str> = diff["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["op"].as_str().unwrap())
            .collect();
        assert_eq!(ops, ["modify", "equal"], "{diff}");
        let unified = diff["unified"].as_str().unwrap();
        assert!(
            unified.contains("-The quick brown fox jumps")
                && unified.contains("+The quick red fox leaps high"),
            "{unified}"
        );
    }
    assert_eq!(
        alice
            .get(&format!("/api/documents/{doc}/versions/1/diff/7"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alice
            .get(&format!("/api/documents/{doc}/versions/1/diff/latest"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
}
on_both_backends!(diff, super::diff_reports_words);

async fn search_ranked_fresh_and_private(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let body_doc = create_with_body(&alice, "Weekly notes", "Nothing here yet").await;
    let title_doc = create_with_body(&alice, "Zephyr roadmap", "Plans for the quarter").await;
    let secret = create_with_body(&bob, "Bob's zephyr diary", "zephyr zephyr zephyr").await;

    // A word typed through the WebSocket becomes searchable (live text refresh).
    let mut c = YClient::connect(&s.base, &body_doc, &alice.token).await;
    assert!(c.until(T, |c| c.paragraphs().len() == 1).await);
    c.add_paragraph("We discussed the zephyr launch <b>today</b>")
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let results = loop {
        let (st, r) = alice.get("/api/search?q=zephyr").await;
        assert_eq!(st, StatusCode::OK, "{r}");
        if r["total"] == 2 && r["items"].as_array().is_some_and(|i| i.len() == 2) {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "typed word not searchable in time: {r}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let items = results["items"].as_array().unwrap();
    assert_eq!(
        items[0]["document"]["id"],
        title_doc.as_str(),
        "title match ranks first: {results}"
    );
    assert_eq!(items[1]["document"]["id"], body_doc.as_str());
    assert!(items[0]["score"].as_f64().unwrap() > items[1]["score"].as_f64().unwrap());
    let snippet = items[1]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>zephyr</mark>"), "{snippet}");
    assert!(
        !snippet.contains("<b>"),
        "snippet text is escaped: {snippet}"
    );
    assert!(
        items.iter().all(|i| i["document"]["id"] != secret.as_str()),
        "never another's document"
    );
    // Prefix match, and bob sees only his own.
    let (_, r) = alice.get("/api/search?q=zeph").await;
    assert_eq!(r["total"], 2);
    let (_, r) = bob.get("/api/search?q=zephyr").await;
    assert_eq!(r["total"], 1);
    assert_eq!(r["items"][0]["document"]["id"], secret.as_str());
    // Query syntax is inert.
    let (st, r) = alice.get("/api/search?q=%22%2A%3A%26%7C").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["total"], 0);
    // Title changes are searchable at once.
    let (_, meta) = alice.get(&format!("/api/documents/{body_doc}")).await;
    alice
        .patch(
            &format!("/api/documents/{body_doc}"),
            json!({ "title": "Quokka minutes", "expected_version": meta["version"] }),
        )
        .await;
    let (_, r) = alice.get("/api/search?q=quokka").await;
    assert_eq!(r["total"], 1);
    // Version text is searchable too.
    alice
        .post(
            &format!("/api/documents/{title_doc}/versions"),
            json!({ "label": "Kickoff" }),
        )
        .await;
    let (_, r) = alice.get("/api/search?q=quarter&scope=versions").await;
    assert_eq!(r["total"], 1, "{r}");
    assert_eq!(r["items"][0]["version"]["number"], 1);
    let (_, r) = bob.get("/api/search?q=quarter&scope=versions").await;
    assert_eq!(r["total"], 0);
}
on_both_backends!(search, super::search_ranked_fresh_and_private);

const RICH_MD: &str = "# Title\n\n## Section\n\nSome **bold**, *italic* and `code` with a [link](https://example.com).\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n> A quote\n\n```rust\nfn main() {}\n```\n";

async fn export_import_round_trip(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = create_with_body(&alice, "Rich", RICH_MD).await;
    let md = text_of(
        &alice,
        &format!("/api/documents/{doc}/content?format=markdown"),
    )
    .await;
    for needle in [
        "# Title",
        "## Section",
        "**bold**",
        "*italic*",
        "`code`",
        "[link](https://example.com)",
        "- nested",
        "1. first",
        "> A quote",
        "```rust",
    ] {
        assert!(md.contains(needle), "{needle:?} missing from {md}");
    }
    let copy = create_with_body(&alice, "Copy", &md).await;
    let md2 = text_of(
        &alice,
        &format!("/api/documents/{copy}/content?format=markdown"),
    )
    .await;
    assert_eq!(md, md2, "REST export → import → export is stable");
    let html = text_of(&alice, &format!("/api/documents/{doc}/content?format=html")).await;
    assert!(
        html.contains("<h1>Title</h1>") && html.contains("<blockquote>"),
        "{html}"
    );
    let (_, pm) = alice
        .get(&format!("/api/documents/{doc}/content?format=json"))
        .await;
    assert_eq!(pm["content"]["type"], "doc");
    assert_eq!(pm["content"]["content"][0]["type"], "heading");
}
on_both_backends!(export_import, super::export_import_round_trip);

/// The CLI's export and import use the same conversions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_export_then_import() {
    let s = TestServer::start(common::Db::Sqlite).await;
    let alice = s.user("alice").await;
    let doc = create_with_body(&alice, "Rich", RICH_MD).await;
    let bin = env!("CARGO_BIN_EXE_quire");
    let run = |args: Vec<String>| {
        let out = std::process::Command::new(bin)
            .env("DATABASE_URL", &s.db.url)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let md = run(vec![
        "export".into(),
        doc.clone(),
        "--format".into(),
        "md".into(),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rich.md");
    std::fs::write(&file, &md).unwrap();
    let new_id = run(vec![
        "import".into(),
        file.display().to_string(),
        "--title".into(),
        "Imported".into(),
    ]);
    let new_id = new_id.trim().to_string();
    let md2 = run(vec![
        "export".into(),
        new_id.clone(),
        "--format".into(),
        "md".into(),
    ]);
    assert_eq!(md, md2);
    let (st, meta) = alice.get(&format!("/api/documents/{new_id}")).await;
    assert_eq!(
        st,
        StatusCode::OK,
        "imported document belongs to the first user: {meta}"
    );
    assert_eq!(meta["title"], "Imported");
    let html = run(vec!["export".into(), doc, "--format".into(), "html".into()]);
    assert!(html.contains("<h2>Section</h2>"), "{html}");
    s.stop().await;
}
