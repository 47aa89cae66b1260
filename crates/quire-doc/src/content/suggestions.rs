//! Pending suggestions (suggesting mode, tracked changes) read as rejected.
//!
//! In suggesting mode the editor does not change the text directly: text a
//! reviewer proposes to add carries an `insertion` mark, text proposed for
//! removal keeps its place and carries a `deletion` mark (a `modification`
//! mark may record a proposed formatting change). Both carry who suggested
//! it and when. Until an editor accepts a suggestion it is only a proposal,
//! so every view the server produces for others (exports, search text,
//! version diffs, delivery) shows the document as if each pending suggestion
//! were rejected: insertion-marked text is left out, deletion-marked text
//! stays as ordinary text. Accepting or rejecting is an edit made by the
//! client; the CRDT keeps the marks until then.

use serde_json::{Map, Value};

use super::pm::{children, node_type, same_mark};

/// Mark on text proposed for insertion.
pub const INSERTION: &str = "insertion";
/// Mark on text proposed for deletion.
pub const DELETION: &str = "deletion";
/// Mark on text whose formatting a suggestion changes.
pub const MODIFICATION: &str = "modification";

/// Whether `pm` holds any pending suggestion.
pub fn has_suggestions(pm: &Value) -> bool {
    let mut stack = vec![pm];
    while let Some(n) = stack.pop() {
        if suggestion_marks(n).next().is_some() {
            return true;
        }
        stack.extend(children(n));
    }
    false
}

/// `pm` with every pending suggestion rejected: nodes marked `insertion`
/// removed, `deletion` and `modification` marks dropped, and neighbouring
/// text runs whose marks became equal joined. A document without
/// suggestions comes back as it is, without a copy.
pub fn reject_suggestions(pm: Value) -> Value {
    if !has_suggestions(&pm) {
        return pm;
    }
    rejected(&pm)
}

fn suggestion_marks(n: &Value) -> impl Iterator<Item = &str> {
    n.get("marks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(node_type)
        .filter(|t| matches!(*t, INSERTION | DELETION | MODIFICATION))
}

fn is_inserted(n: &Value) -> bool {
    suggestion_marks(n).any(|t| t == INSERTION)
}

// Recursion depth is bounded: PM JSON read from Yjs is capped at MAX_DEPTH.
fn rejected(node: &Value) -> Value {
    let Value::Object(obj) = node else {
        return node.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        match (k.as_str(), v) {
            ("marks", Value::Array(marks)) => {
                let kept: Vec<Value> = marks
                    .iter()
                    .filter(|m| !matches!(node_type(m), DELETION | MODIFICATION))
                    .cloned()
                    .collect();
                if !kept.is_empty() {
                    out.insert(k.clone(), Value::Array(kept));
                }
            }
            ("content", Value::Array(content)) => {
                let mut kept: Vec<Value> = Vec::with_capacity(content.len());
                for child in content.iter().filter(|c| !is_inserted(c)) {
                    let child = rejected(child);
                    match kept.last_mut() {
                        Some(prev) if joinable(prev, &child) => join_text(prev, &child),
                        _ => kept.push(child),
                    }
                }
                if !kept.is_empty() {
                    out.insert(k.clone(), Value::Array(kept));
                }
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

fn marks(n: &Value) -> &[Value] {
    n.get("marks")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn joinable(a: &Value, b: &Value) -> bool {
    let (ma, mb) = (marks(a), marks(b));
    node_type(a) == "text"
        && node_type(b) == "text"
        && ma.len() == mb.len()
        && ma.iter().all(|m| mb.iter().any(|n| same_mark(m, n)))
}

fn join_text(prev: &mut Value, next: &Value) {
    let tail = next.get("text").and_then(Value::as_str).unwrap_or("");
    if let Some(Value::String(s)) = prev.get_mut("text") {
        s.push_str(tail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sugg(kind: &str) -> Value {
        json!({"type": kind, "attrs": {"id": "s1", "author": "u-bob", "username": "bob", "time": "2026-12-02T10:00:00Z"}})
    }

    #[test]
    fn a_replacement_reads_as_the_original() {
        let pm = json!({"type": "doc", "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "The "},
            {"type": "text", "text": "brown", "marks": [sugg(DELETION)]},
            {"type": "text", "text": "red", "marks": [sugg(INSERTION)]},
            {"type": "text", "text": " fox"},
        ]}]});
        assert!(has_suggestions(&pm));
        let out = reject_suggestions(pm.clone());
        assert_eq!(
            out,
            json!({"type": "doc", "content": [{"type": "paragraph", "content": [
                {"type": "text", "text": "The brown fox"},
            ]}]})
        );
        assert!(!has_suggestions(&out));
    }

    #[test]
    fn suggestions_in_cells_and_tasks_are_rejected_and_rich_nodes_kept() {
        let cell = |content: Value| json!({"type": "tableCell", "attrs": {"colspan": 1, "rowspan": 1}, "content": [content]});
        let pm = json!({"type": "doc", "content": [
            {"type": "table", "content": [{"type": "tableRow", "content": [
                cell(json!({"type": "paragraph", "content": [{"type": "text", "text": "new", "marks": [sugg(INSERTION)]}]})),
                cell(json!({"type": "paragraph", "content": [{"type": "text", "text": "old", "marks": [sugg(DELETION)]}]}))]}]},
            {"type": "taskList", "content": [{"type": "taskItem", "attrs": {"checked": true}, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "t"}, {"type": "text", "text": "x", "marks": [sugg(INSERTION)]}]}]}]},
            {"type": "image", "attrs": {"src": "/api/media/1"}}]});
        assert_eq!(
            reject_suggestions(pm),
            json!({"type": "doc", "content": [
                {"type": "table", "content": [{"type": "tableRow", "content": [
                    cell(json!({"type": "paragraph"})),
                    cell(json!({"type": "paragraph", "content": [{"type": "text", "text": "old"}]}))]}]},
                {"type": "taskList", "content": [{"type": "taskItem", "attrs": {"checked": true}, "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": "t"}]}]}]},
                {"type": "image", "attrs": {"src": "/api/media/1"}}]})
        );
    }

    #[test]
    fn other_marks_survive_and_only_equal_runs_join() {
        let pm = json!({"type": "doc", "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "bold", "marks": [{"type": "bold"}]},
            {"type": "text", "text": " too", "marks": [{"type": "bold"}, sugg(DELETION)]},
            {"type": "text", "text": "new", "marks": [{"type": "bold"}, sugg(INSERTION)]},
            {"type": "text", "text": " plain"},
        ]}]});
        let out = reject_suggestions(pm.clone());
        assert_eq!(
            out["content"][0]["content"],
            json!([
                {"type": "text", "text": "bold too", "marks": [{"type": "bold"}]},
                {"type": "text", "text": " plain"},
            ])
        );
    }

    #[test]
    fn a_paragraph_of_only_inserted_text_becomes_empty_and_nested_blocks_are_walked() {
        let pm = json!({"type": "doc", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "added", "marks": [sugg(INSERTION)]}]},
            {"type": "bulletList", "content": [{"type": "listItem", "content": [
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "item"},
                    {"type": "hardBreak", "marks": [sugg(INSERTION)]},
                ]},
            ]}]},
        ]});
        let out = reject_suggestions(pm.clone());
        assert_eq!(out["content"][0], json!({"type": "paragraph"}));
        assert_eq!(
            out["content"][1]["content"][0]["content"][0]["content"],
            json!([{"type": "text", "text": "item"}])
        );
    }

    #[test]
    fn a_document_without_suggestions_is_unchanged() {
        let pm = json!({"type": "doc", "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "a"}, {"type": "text", "text": "b", "marks": [{"type": "italic"}]},
        ]}]});
        assert!(!has_suggestions(&pm));
        assert_eq!(reject_suggestions(pm.clone()), pm);
    }
}
