//! Tables, task lists, images and rules through the public API, on both
//! databases: Markdown with a GFM table, a task list with checked and
//! unchecked items, an image and a rule imports into those nodes; the
//! content comes back faithfully as Markdown, HTML, ProseMirror JSON and
//! text; search finds a word that appears only in a table cell; HTML in
//! TipTap's and GitHub's task-list shapes imports too.

mod common;

use common::{Api, TestServer, id};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MARKDOWN: &str = "# Plan\n\n\
| Fruit | Count |\n\
| --- | --- |\n\
| pomegranate | 3 |\n\
| quinceword | 7 |\n\n\
- [ ] buy milk\n\
- [x] water plants\n\n\
![A kitten](https://example.com/kitten.png \"Kitty\")\n\n\
---\n\n\
The end.\n";

async fn content(api: &Api, doc: &str, format: &str) -> Value {
    let (status, body) = api
        .get(&format!("/api/documents/{doc}/content?format={format}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{format}: {body}");
    body["content"].clone()
}

/// Every node of `pm` with this type, depth first.
fn nodes<'a>(pm: &'a Value, kind: &str, out: &mut Vec<&'a Value>) {
    if pm["type"] == kind {
        out.push(pm);
    }
    for child in pm["content"].as_array().into_iter().flatten() {
        nodes(child, kind, out);
    }
}

fn all<'a>(pm: &'a Value, kind: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    nodes(pm, kind, &mut out);
    out
}

/// The text inside a node.
fn text_of(node: &Value) -> String {
    let mut s = node["text"].as_str().unwrap_or_default().to_string();
    for child in node["content"].as_array().into_iter().flatten() {
        s.push_str(&text_of(child));
    }
    s
}

async fn markdown_round_trip(s: &TestServer) {
    let alice = s.user("alice").await;
    let (status, doc) = alice
        .post(
            "/api/documents",
            json!({ "title": "Rich", "body": MARKDOWN }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let doc = id(&doc);

    // ProseMirror JSON: a table (header row + two rows), a task list with
    // one unchecked and one checked item, an image with alt and title, a rule.
    let pm = content(&alice, &doc, "json").await;
    let tables = all(&pm, "table");
    assert_eq!(tables.len(), 1, "{pm}");
    let rows = all(tables[0], "tableRow");
    assert_eq!(rows.len(), 3);
    assert_eq!(all(rows[0], "tableHeader").len(), 2);
    assert_eq!(all(rows[1], "tableCell").len(), 2);
    assert_eq!(text_of(all(rows[2], "tableCell")[0]), "quinceword");
    let tasks = all(&pm, "taskItem");
    assert_eq!(tasks.len(), 2, "{pm}");
    assert_eq!(tasks[0]["attrs"]["checked"], false);
    assert_eq!(text_of(tasks[0]), "buy milk");
    assert_eq!(tasks[1]["attrs"]["checked"], true);
    assert_eq!(all(&pm, "taskList").len(), 1);
    let images = all(&pm, "image");
    assert_eq!(images.len(), 1, "{pm}");
    assert_eq!(images[0]["attrs"]["src"], "https://example.com/kitten.png");
    assert_eq!(images[0]["attrs"]["alt"], "A kitten");
    assert_eq!(images[0]["attrs"]["title"], "Kitty");
    assert_eq!(all(&pm, "horizontalRule").len(), 1);
    assert!(
        all(&pm, "bulletList").is_empty(),
        "no task became a bullet: {pm}"
    );

    // Markdown: the same structures, and exporting the import of the
    // export changes nothing.
    let md = content(&alice, &doc, "markdown").await;
    let md = md.as_str().unwrap();
    for want in [
        "| Fruit | Count |",
        "| pomegranate | 3 |",
        "- [ ] buy milk",
        "- [x] water plants",
        "![A kitten](https://example.com/kitten.png \"Kitty\")",
        "---",
    ] {
        assert!(md.contains(want), "markdown lacks {want:?}:\n{md}");
    }
    let (status, copy) = alice
        .post("/api/documents", json!({ "title": "Copy", "body": md }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    let again = content(&alice, &id(&copy), "markdown").await;
    assert_eq!(again.as_str().unwrap(), md);

    // HTML: a table with header cells, TipTap's task list, an image.
    let html = content(&alice, &doc, "html").await;
    let html = html.as_str().unwrap();
    for want in [
        "<table",
        "<th",
        "pomegranate",
        "data-type=\"taskList\"",
        "data-checked=\"true\"",
        "src=\"https://example.com/kitten.png\"",
        "alt=\"A kitten\"",
        "<hr",
    ] {
        assert!(html.contains(want), "html lacks {want:?}:\n{html}");
    }

    // Text: cell and task text, words not glued together.
    let text = content(&alice, &doc, "text").await;
    let text = text.as_str().unwrap();
    for want in ["pomegranate", "quinceword", "buy milk", "water plants"] {
        assert!(text.contains(want), "text lacks {want:?}: {text:?}");
    }
    assert!(!text.contains("pomegranate3"), "cells glued: {text:?}");

    // Search finds a word that is only in a table cell.
    let (status, hits) = alice.get("/api/search?q=quinceword").await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    let found: Vec<&str> = hits["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["document"]["id"].as_str())
        .collect();
    assert!(found.contains(&doc.as_str()), "{hits}");
}
on_both_backends!(markdown, super::markdown_round_trip);

async fn html_task_lists(s: &TestServer) {
    let alice = s.user("alice").await;
    let html = r#"<ul data-type="taskList"><li data-type="taskItem" data-checked="true"><label><input type="checkbox" checked></label><div><p>tiptap done</p></div></li><li data-type="taskItem" data-checked="false"><div><p>tiptap todo</p></div></li></ul>
<ul class="contains-task-list"><li class="task-list-item"><input type="checkbox" disabled checked> github done</li><li class="task-list-item"><input type="checkbox" disabled> github todo</li></ul>
<table><tr><th>H</th></tr><tr><td>cellword</td></tr></table><img src="javascript:alert(1)" alt="bad"><img src="/api/media/00000000-0000-4000-8000-000000000000" alt="ours">"#;
    let (status, doc) = alice
        .post(
            "/api/documents",
            json!({ "title": "Html", "body": html, "body_format": "html" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let pm = content(&alice, &id(&doc), "json").await;
    let tasks = all(&pm, "taskItem");
    let states: Vec<(String, bool)> = tasks
        .iter()
        .map(|t| (text_of(t).trim().to_string(), t["attrs"]["checked"] == true))
        .collect();
    assert_eq!(
        states,
        [
            ("tiptap done".to_string(), true),
            ("tiptap todo".to_string(), false),
            ("github done".to_string(), true),
            ("github todo".to_string(), false),
        ],
        "{pm}"
    );
    assert_eq!(text_of(all(&pm, "tableCell")[0]), "cellword");
    let srcs: Vec<&Value> = all(&pm, "image")
        .iter()
        .map(|i| &i["attrs"]["src"])
        .collect();
    assert!(
        !srcs
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.starts_with("javascript"))),
        "an unsafe src was kept: {pm}"
    );
    assert!(
        srcs.contains(&&json!("/api/media/00000000-0000-4000-8000-000000000000")),
        "{pm}"
    );
}
on_both_backends!(html, super::html_task_lists);
