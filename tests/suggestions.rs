//! Suggesting mode through the public interface, on both databases: a Yjs
//! client writes tracked changes (text with `insertion` and `deletion`
//! marks, as the web editor does); every server view — Markdown, HTML,
//! JSON and text exports, search, versions and their diff — shows the
//! document as if each pending suggestion were rejected, while the CRDT
//! keeps the marks for every client. Accepting or rejecting is an ordinary
//! edit, after which the views follow.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::yclient::YClient;
use common::{Api, TestServer, id};
use reqwest::StatusCode;
use serde_json::{Value, json};
use yrs::{Any, ReadTxn, Text, XmlFragment, XmlTextRef};

const T: Duration = Duration::from_secs(5);

/// The formatting attributes of one suggestion by bob.
fn suggestion(kind: &str, sid: &str) -> yrs::types::Attrs {
    let attrs: HashMap<String, Any> = HashMap::from([
        ("id".into(), Any::from(sid)),
        ("author".into(), Any::from("u-bob")),
        ("username".into(), Any::from("bob")),
        ("time".into(), Any::from("2026-12-02T10:00:00Z")),
    ]);
    HashMap::from([(Arc::from(kind), Any::from(attrs))])
}

fn cleared(kind: &str) -> yrs::types::Attrs {
    HashMap::from([(Arc::from(kind), Any::Null)])
}

fn first_text<T: ReadTxn>(txn: &T) -> XmlTextRef {
    let frag = txn.get_xml_fragment("default").expect("default");
    let Some(yrs::XmlOut::Element(p)) = frag.get(txn, 0) else {
        panic!("no paragraph");
    };
    let Some(yrs::XmlOut::Text(t)) = p.get(txn, 0) else {
        panic!("no text");
    };
    t
}

async fn content(api: &Api, doc: &str, format: &str) -> Value {
    let (st, body) = api
        .get(&format!("/api/documents/{doc}/content?format={format}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    body["content"].clone()
}

/// Polls the Markdown export until it is `want` (the server applies the
/// client's update asynchronously).
async fn markdown_becomes(api: &Api, doc: &str, want: &str) {
    let deadline = Instant::now() + T;
    loop {
        let md = content(api, doc, "markdown").await;
        if md == want {
            return;
        }
        assert!(Instant::now() < deadline, "markdown is {md}, not {want:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Titles of the documents a search for `word` finds, polled until `found`
/// says whether it should find the document (the searchable text of an open
/// document is refreshed a few seconds after an edit).
async fn search_finds(api: &Api, word: &str, found: bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (st, r) = api.get(&format!("/api/search?q={word}")).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let hit = r["items"].as_array().is_some_and(|i| !i.is_empty());
        if hit == found {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "search {word}: expected found={found}: {r}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn has_suggestion_marks(pm: &Value) -> bool {
    let s = pm.to_string();
    s.contains("\"insertion\"") || s.contains("\"deletion\"")
}

async fn pending_suggestions_read_as_rejected(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = id(&alice.create_doc("Fox").await);
    alice.share(&doc, &bob.username, "editor").await;
    let mut a = YClient::connect(&s.base, &doc, &alice.token).await;
    a.add_paragraph("The brown fox").await;
    markdown_becomes(&alice, &doc, "The brown fox\n").await;
    let mut b = YClient::connect(&s.base, &doc, &bob.token).await;
    assert!(b.until(T, |c| c.xml().contains("brown")).await);

    // Bob suggests "red" for "brown": a deletion mark on the old word, the
    // new word inserted with an insertion mark.
    b.edit(|txn, _| {
        let t = first_text(txn);
        t.format(txn, 4, 5, suggestion("deletion", "s1"));
        t.insert_with_attributes(txn, 9, "red", suggestion("insertion", "s1"));
    })
    .await;
    // Alice's client receives the suggestion with its marks and author.
    assert!(a.until(T, |c| c.xml().contains("red")).await);
    let xml = a.xml();
    assert!(xml.contains("insertion") && xml.contains("bob"), "{xml}");

    // Every server view shows the original word.
    let deadline = Instant::now() + T;
    while !s
        .state
        .hub
        .read(&doc, |d| quire_doc::content::doc_to_pm(d).to_string())
        .await
        .unwrap()
        .contains("red")
    {
        assert!(
            Instant::now() < deadline,
            "the server never applied bob's edit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(content(&alice, &doc, "markdown").await, "The brown fox\n");
    assert_eq!(content(&alice, &doc, "text").await, "The brown fox");
    let html = content(&alice, &doc, "html").await;
    assert!(
        html.as_str().unwrap().contains("The brown fox") && !html.to_string().contains("red"),
        "{html}"
    );
    let pm = content(&alice, &doc, "json").await;
    assert!(!has_suggestion_marks(&pm), "{pm}");
    assert_eq!(
        pm["content"][0]["content"],
        json!([{"type": "text", "text": "The brown fox"}])
    );
    search_finds(&alice, "brown", true).await;
    search_finds(&alice, "red", false).await;

    // A version saved now holds the marks (a restore brings the suggestion
    // back) but shows the original; its diff against the draft is empty.
    let (st, v) = alice
        .post(
            &format!("/api/documents/{doc}/versions"),
            json!({ "label": "with a pending suggestion" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let n = v["number"].as_i64().unwrap();
    let (st, vc) = alice
        .get(&format!(
            "/api/documents/{doc}/versions/{n}?format=markdown"
        ))
        .await;
    assert_eq!(st, StatusCode::OK, "{vc}");
    assert_eq!(vc["content"], "The brown fox\n", "{vc}");

    // Alice accepts: the old word goes, the new one loses its mark.
    a.edit(|txn, _| {
        let t = first_text(txn);
        t.remove_range(txn, 4, 5);
        t.format(txn, 4, 3, cleared("insertion"));
    })
    .await;
    markdown_becomes(&alice, &doc, "The red fox\n").await;
    assert!(
        b.until(T, |c| !c.xml().contains("insertion")).await,
        "{}",
        b.xml()
    );
    search_finds(&alice, "red", true).await;
    search_finds(&alice, "brown", false).await;
    let (st, diff) = alice
        .get(&format!("/api/documents/{doc}/versions/{n}/diff/current"))
        .await;
    assert_eq!(st, StatusCode::OK, "{diff}");
    let d = diff.to_string();
    assert!(d.contains("brown") && d.contains("red"), "{diff}");

    // A second suggestion, rejected, leaves no trace.
    b.edit(|txn, _| {
        let t = first_text(txn);
        t.insert_with_attributes(txn, 4, "quick ", suggestion("insertion", "s2"));
        t.format(txn, 14, 3, suggestion("deletion", "s3"));
    })
    .await;
    assert!(a.until(T, |c| c.xml().contains("quick")).await);
    assert_eq!(content(&alice, &doc, "markdown").await, "The red fox\n");
    a.edit(|txn, _| {
        let t = first_text(txn);
        t.remove_range(txn, 4, 6);
        t.format(txn, 8, 3, cleared("deletion"));
    })
    .await;
    assert!(
        b.until(T, |c| !c.xml().contains("quick")
            && !c.xml().contains("deletion"))
            .await,
        "{}",
        b.xml()
    );
    assert_eq!(content(&alice, &doc, "markdown").await, "The red fox\n");
    let pm = content(&alice, &doc, "json").await;
    assert!(!has_suggestion_marks(&pm), "{pm}");
}
on_both_backends!(
    pending_suggestions_read_as_rejected,
    super::pending_suggestions_read_as_rejected
);
