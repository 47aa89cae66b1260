//! The Yjs side of the pivot: reading and writing an `XmlFragment` in the
//! layout y-prosemirror (`@tiptap/y-tiptap`) uses.
//!
//! - A PM node is an `XmlElement` named after the node type; its non-null
//!   attrs are XML attributes holding plain values (numbers stay numbers,
//!   booleans booleans, arrays arrays: `heading {level: 2}`,
//!   `taskItem {checked: false}`, `tableCell {colspan: 1, rowspan: 1,
//!   colwidth: [120]}`, `image {src, alt, width: 320}`).
//! - Consecutive PM text nodes are one `XmlText`; each run's formatting
//!   attributes are its marks: key = mark name, value = the mark's attrs
//!   object (`{}` when none). Keys of overlapping marks carry a
//!   `--<8 chars>` suffix, stripped on read.
//! - Empty blocks are elements without children.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Number, Value, json};
use yrs::types::text::YChange;
use yrs::types::{Attrs, Delta};
use yrs::{
    Any, Doc, GetString, In, Out, ReadTxn, StateVector, Text, Transact, TransactionMut, Xml,
    XmlElementPrelim, XmlElementRef, XmlFragment, XmlFragmentRef, XmlOut, XmlTextPrelim,
    XmlTextRef,
};

use super::ContentError;
use super::pm::{MAX_DEPTH, node_type};

/// Name of the root fragment TipTap's Collaboration extension binds to.
pub const DEFAULT_FRAGMENT: &str = "default";

// ---------------------------------------------------------------- reading

/// Read an `XmlFragment` into a ProseMirror doc JSON
/// `{"type":"doc","content":[…]}`. Element nesting deeper than
/// [`MAX_DEPTH`] is flattened into a paragraph of its text.
pub fn fragment_to_pm<T: ReadTxn>(txn: &T, frag: &XmlFragmentRef) -> Value {
    let mut content = Vec::new();
    read_children(txn, frag, 0, &mut content);
    json!({ "type": "doc", "content": content })
}

/// Read the `default` fragment of `doc` (created empty if absent).
///
/// Opens its own read transaction: do not call it while holding a
/// transaction on the same `doc` (yrs would block).
pub fn doc_to_pm(doc: &Doc) -> Value {
    let frag = doc.get_or_insert_xml_fragment(DEFAULT_FRAGMENT);
    let txn = doc.transact();
    fragment_to_pm(&txn, &frag)
}

/// The `default` fragment as readers see it: every pending suggestion
/// rejected (see [`reject_suggestions`](super::reject_suggestions)).
pub fn doc_to_reader_pm(doc: &Doc) -> Value {
    super::reject_suggestions(doc_to_pm(doc))
}

fn read_children<T: ReadTxn, F: XmlFragment>(
    txn: &T,
    parent: &F,
    depth: usize,
    out: &mut Vec<Value>,
) {
    for child in parent.children(txn) {
        match child {
            XmlOut::Element(el) => out.push(read_element(txn, &el, depth + 1)),
            XmlOut::Text(t) => read_text(txn, &t, out),
            // Not produced by y-prosemirror; read its children in place.
            XmlOut::Fragment(f) if depth < MAX_DEPTH => read_children(txn, &f, depth + 1, out),
            XmlOut::Fragment(f) => out.push(flattened(txn, XmlOut::Fragment(f))),
        }
    }
}

fn read_element<T: ReadTxn>(txn: &T, el: &XmlElementRef, depth: usize) -> Value {
    if depth >= MAX_DEPTH {
        return flattened(txn, XmlOut::Element(el.clone()));
    }
    let mut node = Map::new();
    node.insert(
        "type".into(),
        Value::from(el.try_tag().map(|t| t.as_ref()).unwrap_or("")),
    );
    let mut attrs: Vec<(String, Value)> = el
        .attributes(txn)
        .filter_map(|(k, v)| match v {
            Out::Any(a) => Some((k.to_string(), any_to_json(&a, 0))),
            _ => None, // shared types as attributes are not y-prosemirror's
        })
        .filter(|(_, v)| !v.is_null())
        .collect();
    attrs.sort_by(|a, b| a.0.cmp(&b.0));
    if !attrs.is_empty() {
        node.insert("attrs".into(), Value::Object(attrs.into_iter().collect()));
    }
    let mut content = Vec::new();
    read_children(txn, el, depth, &mut content);
    if !content.is_empty() {
        node.insert("content".into(), Value::Array(content));
    }
    Value::Object(node)
}

fn read_text<T: ReadTxn>(txn: &T, t: &XmlTextRef, out: &mut Vec<Value>) {
    for chunk in t.diff(txn, YChange::identity) {
        let Out::Any(Any::String(s)) = &chunk.insert else {
            continue; // embeds are not part of the y-prosemirror layout
        };
        if s.is_empty() {
            continue;
        }
        let mut node = Map::new();
        node.insert("type".into(), Value::from("text"));
        node.insert("text".into(), Value::from(s.as_ref()));
        let marks = chunk
            .attributes
            .as_deref()
            .map(attrs_to_marks)
            .unwrap_or_default();
        if !marks.is_empty() {
            node.insert("marks".into(), Value::Array(marks));
        }
        out.push(Value::Object(node));
    }
}

fn attrs_to_marks(attrs: &Attrs) -> Vec<Value> {
    let mut marks: Vec<Value> = attrs
        .iter()
        .filter(|(_, v)| !matches!(v, Any::Null | Any::Undefined))
        .map(|(k, v)| {
            let mut mark = Map::new();
            mark.insert("type".into(), Value::from(mark_name(k)));
            if let Value::Object(a) = any_to_json(v, 0)
                && !a.is_empty()
            {
                mark.insert("attrs".into(), Value::Object(a));
            }
            Value::Object(mark)
        })
        .collect();
    super::pm::sort_marks(&mut marks);
    marks
}

/// Strip y-prosemirror's overlapping-mark suffix `--<8 of [A-Za-z0-9+/=]>`.
pub fn mark_name(key: &str) -> &str {
    let Some(split) = key.len().checked_sub(10) else {
        return key;
    };
    match (key.get(..split), key.get(split..)) {
        (Some(head), Some(tail))
            if !head.is_empty()
                && tail.starts_with("--")
                && tail
                    .bytes()
                    .skip(2)
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) =>
        {
            head
        }
        _ => key,
    }
}

/// A paragraph with all text below `node`, collected without recursion.
fn flattened<T: ReadTxn>(txn: &T, node: XmlOut) -> Value {
    let mut text = String::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n {
            XmlOut::Text(t) => text.push_str(&t.get_string(txn)),
            XmlOut::Element(e) => {
                if e.try_tag().is_some_and(|t| t.as_ref() == "hardBreak") {
                    text.push('\n');
                }
                let kids: Vec<XmlOut> = e.children(txn).collect();
                stack.extend(kids.into_iter().rev());
            }
            XmlOut::Fragment(f) => {
                let kids: Vec<XmlOut> = f.children(txn).collect();
                stack.extend(kids.into_iter().rev());
            }
        }
    }
    if text.is_empty() {
        json!({"type": "paragraph"})
    } else {
        json!({"type": "paragraph", "content": [{"type": "text", "text": text}]})
    }
}

/// `Any` → JSON. Buffers and non-finite numbers become `null`; nesting past
/// [`MAX_DEPTH`] is cut.
fn any_to_json(a: &Any, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    match a {
        Any::Null | Any::Undefined | Any::Buffer(_) => Value::Null,
        Any::Bool(b) => Value::Bool(*b),
        Any::Number(yrs::any::Number::Int(i)) => Value::from(*i),
        Any::Number(yrs::any::Number::Float(f)) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Value::from(*f as i64)
            } else {
                Number::from_f64(*f)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Any::String(s) => Value::from(s.as_ref()),
        Any::Array(items) => {
            Value::Array(items.iter().map(|i| any_to_json(i, depth + 1)).collect())
        }
        Any::Map(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), any_to_json(v, depth + 1)))
                .collect(),
        ),
    }
}

/// JSON → `Any` (JSON nesting is already bounded by validation).
fn json_to_any(v: &Value) -> Any {
    match v {
        Value::Null => Any::Null,
        Value::Bool(b) => Any::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Any::from(i),
            None => Any::from(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Any::from(s.as_str()),
        Value::Array(items) => Any::Array(items.iter().map(json_to_any).collect::<Vec<_>>().into()),
        Value::Object(m) => Any::Map(Arc::new(
            m.iter()
                .map(|(k, v)| (k.clone(), json_to_any(v)))
                .collect::<HashMap<_, _>>(),
        )),
    }
}

// ---------------------------------------------------------------- writing

/// A validated node ready to write.
enum WNode<'a> {
    Element {
        tag: &'a str,
        attrs: Vec<(&'a str, Any)>,
        children: Vec<WNode<'a>>,
    },
    /// One `XmlText`: consecutive text runs with their formatting.
    Text(Vec<(&'a str, Attrs)>),
}

fn invalid(path: &str, what: &str) -> ContentError {
    ContentError::InvalidPm(format!("{path}: {what}"))
}

fn valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    tag.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn json_depth_ok(v: &Value, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    match v {
        Value::Array(a) => a.iter().all(|x| json_depth_ok(x, depth + 1)),
        Value::Object(m) => m.values().all(|x| json_depth_ok(x, depth + 1)),
        _ => true,
    }
}

fn validate_attrs<'a>(node: &'a Value, path: &str) -> Result<Vec<(&'a str, Any)>, ContentError> {
    match node.get("attrs") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(k, v)| !v.is_null() && k.as_str() != "ychange")
            .map(|(k, v)| {
                if json_depth_ok(v, 0) {
                    Ok((k.as_str(), json_to_any(v)))
                } else {
                    Err(invalid(path, "attribute value nested too deeply"))
                }
            })
            .collect(),
        Some(_) => Err(invalid(path, "`attrs` must be an object")),
    }
}

fn validate_marks(node: &Value, path: &str) -> Result<Attrs, ContentError> {
    let mut attrs = Attrs::new();
    let marks = match node.get("marks") {
        None | Some(Value::Null) => return Ok(attrs),
        Some(Value::Array(ms)) => ms,
        Some(_) => return Err(invalid(path, "`marks` must be an array")),
    };
    for (i, m) in marks.iter().enumerate() {
        let name = m
            .get("type")
            .and_then(Value::as_str)
            .filter(|t| valid_tag(t))
            .ok_or_else(|| invalid(&format!("{path}.marks[{i}]"), "mark needs a valid `type`"))?;
        if name == "ychange" {
            continue;
        }
        let value = match m.get("attrs") {
            None | Some(Value::Null) => Any::Map(Arc::new(HashMap::new())),
            Some(a @ Value::Object(_)) if json_depth_ok(a, 0) => json_to_any(a),
            Some(_) => {
                return Err(invalid(
                    &format!("{path}.marks[{i}]"),
                    "mark `attrs` must be a small object",
                ));
            }
        };
        attrs.insert(Arc::from(name), value);
    }
    Ok(attrs)
}

fn validate_children<'a>(
    node: &'a Value,
    path: &str,
    depth: usize,
) -> Result<Vec<WNode<'a>>, ContentError> {
    if depth > MAX_DEPTH {
        return Err(ContentError::TooDeep(MAX_DEPTH));
    }
    let kids = match node.get("content") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(k)) => k,
        Some(_) => return Err(invalid(path, "`content` must be an array")),
    };
    let mut out: Vec<WNode<'a>> = Vec::with_capacity(kids.len());
    for (i, kid) in kids.iter().enumerate() {
        let kpath = format!("{path}.content[{i}]");
        if !kid.is_object() {
            return Err(invalid(&kpath, "node must be an object"));
        }
        let ty = kid
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(&kpath, "node needs a string `type`"))?;
        if ty == "text" {
            let text = kid
                .get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(&kpath, "text node needs a string `text`"))?;
            let marks = validate_marks(kid, &kpath)?;
            if text.is_empty() {
                continue;
            }
            if let Some(WNode::Text(runs)) = out.last_mut() {
                runs.push((text, marks));
            } else {
                out.push(WNode::Text(vec![(text, marks)]));
            }
            continue;
        }
        if !valid_tag(ty) || ty == "doc" {
            return Err(invalid(&kpath, "invalid node `type`"));
        }
        if depth > MAX_DEPTH {
            return Err(ContentError::TooDeep(MAX_DEPTH));
        }
        out.push(WNode::Element {
            tag: ty,
            attrs: validate_attrs(kid, &kpath)?,
            children: validate_children(kid, &kpath, depth + 1)?,
        });
    }
    Ok(out)
}

/// Write `nodes` as the children of an empty `parent`.
///
/// yrs finds an index by walking the sibling list, so appending one by one
/// is quadratic in the number of siblings (100k empty paragraphs took
/// minutes). Inserting in reverse order at index 0 gives the same order at
/// constant cost per node; text runs go in with one `apply_delta`.
fn write_nodes<F: XmlFragment>(txn: &mut TransactionMut, parent: &F, nodes: Vec<WNode<'_>>) {
    for node in nodes.into_iter().rev() {
        match node {
            WNode::Element {
                tag,
                attrs,
                children,
            } => {
                let el = parent.insert(txn, 0, XmlElementPrelim::empty(tag));
                for (k, v) in attrs {
                    el.insert_attribute(txn, k, v);
                }
                write_nodes(txn, &el, children);
            }
            WNode::Text(runs) => {
                let text = parent.insert(txn, 0, XmlTextPrelim::new(""));
                // Every run carries its attributes (even none), so a plain
                // run does not inherit the formatting of the run before it.
                let delta: Vec<Delta<In>> = runs
                    .into_iter()
                    .map(|(chunk, marks)| {
                        Delta::Inserted(In::Any(Any::from(chunk)), Some(Box::new(marks)))
                    })
                    .collect();
                text.apply_delta(txn, delta);
            }
        }
    }
}

/// Write a PM doc into `frag` in y-prosemirror's layout, replacing all of its
/// children. The whole input is validated first, so on `Err` the fragment is
/// untouched.
pub fn write_pm(
    txn: &mut TransactionMut<'_>,
    frag: &XmlFragmentRef,
    pm: &Value,
) -> Result<(), ContentError> {
    if !pm.is_object() || node_type(pm) != "doc" {
        return Err(invalid(
            "$",
            "root must be an object with \"type\": \"doc\"",
        ));
    }
    let nodes = validate_children(pm, "$", 1)?;
    let len = frag.len(txn);
    if len > 0 {
        frag.remove_range(txn, 0, len);
    }
    write_nodes(txn, frag, nodes);
    Ok(())
}

/// A fresh document's full-state v1 update whose `default` fragment holds
/// `pm`, written under a random 32-bit client id
/// ([`crate::guard::random_client_id`]).
pub fn pm_to_update(pm: &Value) -> Result<Vec<u8>, ContentError> {
    let doc = crate::guard::new_doc();
    let frag = doc.get_or_insert_xml_fragment(DEFAULT_FRAGMENT);
    let mut txn = doc.transact_mut();
    write_pm(&mut txn, &frag, pm)?;
    Ok(txn.encode_state_as_update_v1(&StateVector::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mark_names_strip_hash_suffix() {
        assert_eq!(mark_name("comment--AbCd1234"), "comment");
        assert_eq!(mark_name("comment--Ab+/=234"), "comment");
        assert_eq!(mark_name("bold"), "bold");
        assert_eq!(mark_name("--AbCd1234"), "--AbCd1234");
        assert_eq!(mark_name("x--AbCd12é"), "x--AbCd12é");
        assert_eq!(mark_name("ééééééé"), "ééééééé");
    }

    #[test]
    fn write_then_read_is_identity() {
        let pm = json!({"type":"doc","content":[
            {"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":"Title"}]},
            {"type":"paragraph","content":[
                {"type":"text","text":"hello","marks":[{"type":"bold"}]},
                {"type":"text","text":" world"},
                {"type":"hardBreak"},
                {"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":"https://a.b","target":"_blank"}}]}]},
            {"type":"paragraph"}]});
        let doc = Doc::new();
        let frag = doc.get_or_insert_xml_fragment(DEFAULT_FRAGMENT);
        {
            let mut txn = doc.transact_mut();
            assert!(write_pm(&mut txn, &frag, &pm).is_ok());
        }
        assert_eq!(doc_to_pm(&doc), pm);
        // Replacing content works on a non-empty fragment.
        let pm2 = json!({"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"new"}]}]});
        {
            let mut txn = doc.transact_mut();
            assert!(write_pm(&mut txn, &frag, &pm2).is_ok());
        }
        assert_eq!(doc_to_pm(&doc), pm2);
    }

    #[test]
    fn rich_nodes_round_trip_with_their_attribute_types() {
        let pm = json!({"type":"doc","content":[
            {"type":"table","content":[{"type":"tableRow","content":[
                {"type":"tableHeader","attrs":{"colspan":2,"rowspan":1,"colwidth":[120,80],"align":"center"},
                 "content":[{"type":"paragraph"}]}]}]},
            {"type":"taskList","content":[{"type":"taskItem","attrs":{"checked":false},
                "content":[{"type":"paragraph","content":[{"type":"text","text":"t"}]}]}]},
            {"type":"image","attrs":{"src":"/api/media/1","alt":"","title":null,"width":320}}]});
        let doc = Doc::new();
        let frag = doc.get_or_insert_xml_fragment(DEFAULT_FRAGMENT);
        {
            let mut txn = doc.transact_mut();
            assert!(write_pm(&mut txn, &frag, &pm).is_ok());
        }
        let mut want = pm.clone();
        // Null attrs are not stored (as y-prosemirror does not).
        if let Some(a) = want["content"][2]["attrs"].as_object_mut() {
            a.remove("title");
        }
        assert_eq!(doc_to_pm(&doc), want);
        let txn = doc.transact();
        let Some(XmlOut::Element(list)) = frag.get(&txn, 1) else {
            panic!("task list");
        };
        let Some(XmlOut::Element(item)) = list.get(&txn, 0) else {
            panic!("task item");
        };
        assert_eq!(
            item.get_attribute(&txn, "checked"),
            Some(Out::Any(Any::Bool(false)))
        );
    }

    #[test]
    fn invalid_shapes_are_errors_and_leave_fragment_alone() {
        let doc = Doc::new();
        let frag = doc.get_or_insert_xml_fragment(DEFAULT_FRAGMENT);
        let good = json!({"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"keep"}]}]});
        let mut txn = doc.transact_mut();
        assert!(write_pm(&mut txn, &frag, &good).is_ok());
        let bad = [
            json!(null),
            json!([]),
            json!({"type":"paragraph"}),
            json!({"type":"doc","content":{}}),
            json!({"type":"doc","content":[1]}),
            json!({"type":"doc","content":[{"type":7}]}),
            json!({"type":"doc","content":[{"type":"<script>"}]}),
            json!({"type":"doc","content":[{"type":"text"}]}),
            json!({"type":"doc","content":[{"type":"paragraph","attrs":[1]}]}),
            json!({"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":{}}]}]}),
            json!({"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"bold","attrs":3}]}]}]}),
            json!({"type":"doc","content":[{"type":"paragraph","content":"text"}]}),
        ];
        for b in &bad {
            assert!(write_pm(&mut txn, &frag, b).is_err(), "{b}");
        }
        let mut deep = json!({"type":"paragraph"});
        for _ in 0..100 {
            deep = json!({"type":"blockquote","content":[deep]});
        }
        let deep = json!({"type":"doc","content":[deep]});
        assert!(matches!(
            write_pm(&mut txn, &frag, &deep),
            Err(ContentError::TooDeep(_))
        ));
        assert_eq!(fragment_to_pm(&txn, &frag), good);
    }

    #[test]
    fn deep_yjs_nesting_is_flattened_on_read() {
        let doc = Doc::new();
        let frag = doc.get_or_insert_xml_fragment(DEFAULT_FRAGMENT);
        let mut txn = doc.transact_mut();
        let mut el = frag.insert(&mut txn, 0, XmlElementPrelim::empty("blockquote"));
        for _ in 0..500 {
            el = el.insert(&mut txn, 0, XmlElementPrelim::empty("blockquote"));
        }
        let t = el.insert(&mut txn, 0, XmlTextPrelim::new(""));
        t.push(&mut txn, "bottom");
        let pm = fragment_to_pm(&txn, &frag);
        assert!(pm.to_string().contains("bottom"));
    }
}
