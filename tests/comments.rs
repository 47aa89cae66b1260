//! Comment threads through the public API on both databases: who may read
//! and write them (viewer, commenter, editor, owner, non-member), anchors
//! made of Yjs relative positions that follow concurrent edits and detach
//! when their text is deleted, mentions and reply notifications, `comment`
//! events on the document socket, and what restores and deletions do.

mod common;

use std::time::Duration;

use base64::Engine;
use common::events::EventStream;
use common::yclient::YClient;
use common::{TestServer, id};
use reqwest::StatusCode;
use serde_json::{Value, json};
use yrs::updates::encoder::Encode;
use yrs::{Assoc, GetString, IndexedSequence, ReadTxn, Text, Transact, XmlFragment, XmlTextRef};

const T: Duration = Duration::from_secs(5);

async fn server_text(s: &TestServer, doc: &str) -> String {
    s.state
        .hub
        .read(doc, quire::collab::content::plain_text)
        .await
        .unwrap()
}

async fn wait_text(s: &TestServer, doc: &str, needle: &str) -> bool {
    for _ in 0..50 {
        if server_text(s, doc).await.contains(needle) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The first paragraph's text of the client's `default` fragment.
fn first_text(c: &YClient) -> XmlTextRef {
    let txn = c.doc.transact();
    let frag = txn.get_xml_fragment("default").expect("default");
    let Some(yrs::types::xml::XmlOut::Element(p)) = frag.get(&txn, 0) else {
        panic!("no paragraph");
    };
    let Some(yrs::types::xml::XmlOut::Text(t)) = p.get(&txn, 0) else {
        panic!("no text");
    };
    t
}

/// Base64 of a relative position at `index` of `text`.
fn position(c: &YClient, text: &XmlTextRef, index: u32, assoc: Assoc) -> String {
    let txn = c.doc.transact();
    let idx = text.sticky_index(&txn, index, assoc).expect("index");
    base64::engine::general_purpose::STANDARD.encode(idx.encode_v1())
}

async fn authorization_by_role(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let carol = s.user("carol").await;
    let mallory = s.user("mallory").await;
    let doc = id(&alice.create_doc("Review me").await);
    alice.share(&doc, &bob.username, "commenter").await;
    alice.share(&doc, &carol.username, "viewer").await;
    let path = format!("/api/documents/{doc}/comments");

    // A commenter opens a thread about the whole document.
    let (st, t) = bob
        .post(
            &path,
            json!({ "anchor": null, "body": "Needs a summary <b>now</b>" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    assert_eq!(t["anchor"], Value::Null);
    assert_eq!(t["detached"], false);
    assert_eq!(t["resolved"], false);
    assert_eq!(t["created_by"]["username"], "bob");
    assert_eq!(t["comments"][0]["body"], "Needs a summary <b>now</b>");
    let thread = id(&t);
    let first = t["comments"][0]["id"].as_str().unwrap().to_string();

    // A viewer reads but may not write; a non-member sees nothing.
    let (st, list) = carol.get(&path).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        carol.post(&path, json!({ "body": "me too" })).await.0,
        StatusCode::FORBIDDEN
    );
    let replies = format!("{path}/{thread}/replies");
    assert_eq!(
        carol.post(&replies, json!({ "body": "x" })).await.0,
        StatusCode::FORBIDDEN
    );
    for (st, _) in [
        mallory.get(&path).await,
        mallory.post(&path, json!({ "body": "x" })).await,
        mallory.post(&replies, json!({ "body": "x" })).await,
        mallory
            .patch(&format!("{path}/{thread}"), json!({ "resolved": true }))
            .await,
        mallory.delete(&format!("{path}/{thread}")).await,
    ] {
        assert_eq!(st, StatusCode::NOT_FOUND);
    }

    // A commenter cannot change the metadata, save versions or the body.
    let (st, _) = bob
        .patch(
            &format!("/api/documents/{doc}"),
            json!({ "title": "x", "expected_version": 1 }),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = bob
        .post(&format!("/api/documents/{doc}/versions"), json!({}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let mut ws = YClient::connect(&s.base, &doc, &bob.token).await;
    ws.add_paragraph("commenter typed this").await;
    let mut editor = YClient::connect(&s.base, &doc, &alice.token).await;
    editor.add_paragraph("owner typed this").await;
    assert!(wait_text(s, &doc, "owner typed this").await);
    assert!(!server_text(s, &doc).await.contains("commenter typed"));

    // Replies, edits by the author only, deletion by author or owner.
    let (st, r) = alice.post(&replies, json!({ "body": "On it" })).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let reply = id(&r);
    let reply_path = format!("{replies}/{reply}");
    assert_eq!(
        bob.patch(&reply_path, json!({ "body": "hijack" })).await.0,
        StatusCode::FORBIDDEN
    );
    let (st, e) = alice.patch(&reply_path, json!({ "body": "On it!" })).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(e["body"], "On it!");
    assert!(e["edited_at"].is_string());
    let (st, bob_reply) = bob.post(&replies, json!({ "body": "thanks" })).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(
        bob.delete(&reply_path).await.0,
        StatusCode::FORBIDDEN,
        "not his"
    );
    assert_eq!(
        alice
            .delete(&format!("{replies}/{}", id(&bob_reply)))
            .await
            .0,
        StatusCode::NO_CONTENT,
        "an owner deletes any"
    );
    assert_eq!(
        bob.delete(&format!("{replies}/{first}")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the first comment goes with its thread"
    );
    // Empty and oversized bodies are refused; bodies are kept exactly.
    assert_eq!(
        bob.post(&replies, json!({ "body": "" })).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        bob.post(&replies, json!({ "body": "x".repeat(10_001) }))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let odd = "  \u{202e} <script>alert(1)</script> 👩‍👩‍👧 \u{200b}";
    let (st, c) = bob.post(&replies, json!({ "body": odd })).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(c["body"], odd);

    // Resolve (commenter) and reopen; resolved_by resets.
    let tpath = format!("{path}/{thread}");
    let (st, t) = bob.patch(&tpath, json!({ "resolved": true })).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(t["resolved"], true);
    assert_eq!(t["resolved_by"]["username"], "bob");
    let (_, open) = carol.get(&format!("{path}?status=open")).await;
    assert_eq!(open["items"].as_array().unwrap().len(), 0);
    let (_, resolved) = carol.get(&format!("{path}?status=resolved")).await;
    assert_eq!(resolved["items"].as_array().unwrap().len(), 1);
    let (_, t) = alice.patch(&tpath, json!({ "resolved": false })).await;
    assert_eq!(t["resolved_by"], Value::Null);

    // Only the thread's author or an owner deletes it.
    let (_, other) = alice.post(&path, json!({ "body": "owner's" })).await;
    assert_eq!(
        bob.delete(&format!("{path}/{}", id(&other))).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(bob.delete(&tpath).await.0, StatusCode::NO_CONTENT);
    let (_, list) = bob.get(&path).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
on_both_backends!(authorization_by_role, super::authorization_by_role);

async fn anchors_follow_edits_and_detach(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let doc = id(&alice.create_doc("Anchored").await);
    alice.share(&doc, &bob.username, "editor").await;
    let mut a = YClient::connect(&s.base, &doc, &alice.token).await;
    a.add_paragraph("hello world").await;
    assert!(wait_text(s, &doc, "hello world").await);
    let text = first_text(&a);
    let start = position(&a, &text, 6, Assoc::After);
    let end = position(&a, &text, 11, Assoc::Before);
    let path = format!("/api/documents/{doc}/comments");
    let (st, t) = alice
        .post(
            &path,
            json!({ "anchor": { "start": start, "end": end }, "quote": "world", "body": "which world?" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    assert_eq!(t["anchor"]["start"], start.as_str(), "stored as sent");
    assert_eq!(t["quote"], "world");
    assert_eq!(t["detached"], false);
    let (_, doc_level) = alice.post(&path, json!({ "body": "overall fine" })).await;

    // Bob inserts before the anchor at the same time as alice edits after it.
    let mut b = YClient::connect(&s.base, &doc, &bob.token).await;
    assert!(
        b.until(T, |c| c.paragraphs().concat().contains("hello"))
            .await
    );
    let bt = first_text(&b);
    b.edit(|txn, _| bt.insert(txn, 0, "Oh, ")).await;
    let at = first_text(&a);
    let len = at.len(&a.doc.transact());
    a.edit(|txn, _| at.insert(txn, len, "!")).await;
    assert!(wait_text(s, &doc, "Oh, hello world!").await);
    let (_, list) = alice.get(&path).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], doc_level["id"], "document-level first");
    assert_eq!(items[1]["detached"], false, "{list}");

    // The anchored text is deleted: the thread detaches and stays listed.
    let at = first_text(&a);
    assert!(
        a.until(T, |c| c.paragraphs().concat().contains("Oh, "))
            .await
    );
    let s_now = at.get_string(&a.doc.transact());
    let from = s_now.find("world").unwrap() as u32;
    a.edit(|txn, _| at.remove_range(txn, from, 5)).await;
    assert!(wait_text(s, &doc, "Oh, hello !").await);
    let (_, list) = alice.get(&path).await;
    let anchored = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["anchor"].is_object())
        .cloned()
        .unwrap();
    assert_eq!(anchored["detached"], true, "{list}");
    assert_eq!(anchored["quote"], "world");

    // Anchors that are not positions, or not in the text, are refused.
    for anchor in [
        json!({ "start": "not base64!", "end": "AAAA" }),
        json!({ "start": "////", "end": "////" }),
    ] {
        let (st, body) = alice
            .post(
                &path,
                json!({ "anchor": anchor, "quote": "q", "body": "b" }),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let other = a.doc.get_or_insert_text("elsewhere");
    a.edit(|txn, _| other.insert(txn, 0, "abc")).await;
    let foreign = position(&a, &first_text(&a), 1, Assoc::After);
    let outside = {
        let txn = a.doc.transact();
        let idx = other.sticky_index(&txn, 1, Assoc::After).unwrap();
        base64::engine::general_purpose::STANDARD.encode(idx.encode_v1())
    };
    let (st, _) = alice
        .post(
            &path,
            json!({ "anchor": { "start": foreign, "end": outside }, "quote": "q", "body": "b" }),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = alice
        .post(
            &path,
            json!({ "anchor": { "start": foreign.clone(), "end": foreign }, "body": "no quote" }),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}
on_both_backends!(
    anchors_follow_edits_and_detach,
    super::anchors_follow_edits_and_detach
);

async fn mentions_replies_and_events(s: &TestServer) {
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let carol = s.user("carol").await;
    let mallory = s.user("mallory").await;
    let doc = id(&alice.create_doc("Mentions").await);
    alice.share(&doc, &bob.username, "commenter").await;
    alice.share(&doc, &carol.username, "editor").await;
    let (_, n) = bob.get("/api/notifications?unread=1").await;
    let items = n["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{n}");
    assert_eq!(items[0]["type"], "shared");
    assert_eq!(items[0]["actor"]["username"], "alice");
    assert_eq!(items[0]["thread_id"], Value::Null);
    bob.post("/api/notifications/read", json!({ "all": true }))
        .await;

    let mut ws = YClient::connect_with(&s.base, &doc, &bob.token, "&events=1").await;
    assert!(ws.until(T, |c| c.step1s > 0).await);
    let mut bob_feed = EventStream::open(&s.base, &bob.token).await;
    let mut mallory_feed = EventStream::open(&s.base, &mallory.token).await;
    let path = format!("/api/documents/{doc}/comments");
    let (st, t) = alice
        .post(
            &path,
            json!({ "body": "@BOB and @mallory, look; @bob twice" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let e = ws.next_event("comment", 0, T).await.expect("comment event");
    assert_eq!(e["thread"]["id"], t["id"]);
    let (_, n) = bob.get("/api/notifications?unread=1").await;
    let items = n["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one mention: {n}");
    assert_eq!(items[0]["type"], "mention");
    assert_eq!(items[0]["thread_id"], t["id"]);
    assert_eq!(items[0]["comment_id"], t["comments"][0]["id"]);
    let (_, n) = mallory.get("/api/notifications").await;
    assert!(n["items"].as_array().unwrap().is_empty(), "not a member");
    // Bob's bell hears of it at once; mallory's stream carries nothing.
    let (kind, data) = bob_feed.next(T).await.expect("a notification event");
    assert_eq!(kind, "notification");
    assert_eq!(data["notification"]["type"], "mention");
    assert_eq!(data["notification"]["document_id"], doc.as_str());
    assert!(
        mallory_feed
            .next(Duration::from_millis(300))
            .await
            .is_none()
    );

    // Replies notify the other participants once each.
    let replies = format!("{path}/{}/replies", id(&t));
    carol.post(&replies, json!({ "body": "agreed" })).await;
    let (_, n) = alice.get("/api/notifications?unread=1").await;
    let items = n["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{n}");
    assert_eq!(items[0]["type"], "reply");
    assert_eq!(items[0]["actor"]["username"], "carol");
    bob.post(&replies, json!({ "body": "fine" })).await;
    let (_, n) = alice.get("/api/notifications?unread=1").await;
    assert_eq!(n["items"].as_array().unwrap().len(), 2);
    // Carol: shared with her, then bob's reply in her thread (newest first).
    let (_, n) = carol.get("/api/notifications?unread=1").await;
    let kinds: Vec<&str> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reply", "shared"], "{n}");
    let reply_note = n["items"][0]["id"].clone();
    let (st, _) = carol
        .post("/api/notifications/read", json!({ "ids": [reply_note] }))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, n) = carol.get("/api/notifications?unread=1").await;
    assert_eq!(n["items"].as_array().unwrap().len(), 1);
    assert_eq!(n["items"][0]["type"], "shared");
    let (_, n) = carol.get("/api/notifications").await;
    assert_eq!(n["items"][0]["read"], true);
    assert_eq!(n["items"][1]["read"], false);
    assert_eq!(
        carol.post("/api/notifications/read", json!({})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A deletion is announced by id.
    alice.delete(&format!("{path}/{}", id(&t))).await;
    let deleted = |c: &YClient| c.events.iter().any(|e| e["deleted_thread"] == t["id"]);
    assert!(ws.until(T, deleted).await, "{:?}", ws.events);
    // Each reply was announced with the whole thread.
    let replies_seen = ws
        .events
        .iter()
        .filter(|e| {
            e["type"] == "comment"
                && e["thread"]["comments"]
                    .as_array()
                    .is_some_and(|c| c.len() == 3)
        })
        .count();
    assert!(replies_seen >= 1, "{:?}", ws.events);
}
on_both_backends!(
    mentions_replies_and_events,
    super::mentions_replies_and_events
);

async fn restores_keep_comments_and_deletion_removes_them(s: &TestServer) {
    let alice = s.user("alice").await;
    let doc = id(&alice.create_doc("Kept").await);
    let path = format!("/api/documents/{doc}/comments");
    let (_, v) = alice
        .post(&format!("/api/documents/{doc}/versions"), json!({}))
        .await;
    alice.post(&path, json!({ "body": "keep me" })).await;
    let (st, _) = alice
        .post(
            &format!("/api/documents/{doc}/restore/{}", v["number"]),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, list) = alice.get(&path).await;
    assert_eq!(list["items"][0]["comments"][0]["body"], "keep me");
    assert_eq!(
        alice.delete(&format!("/api/documents/{doc}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(alice.get(&path).await.0, StatusCode::NOT_FOUND);
    // In the trash the comments wait with the document; a purge removes them.
    assert!(!s.state.store.threads(&doc).await.unwrap().is_empty());
    assert_eq!(
        alice.delete(&format!("/api/trash/{doc}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert!(s.state.store.threads(&doc).await.unwrap().is_empty());
}
on_both_backends!(
    restores_keep_comments_and_deletion_removes_them,
    super::restores_keep_comments_and_deletion_removes_them
);
