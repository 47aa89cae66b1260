//! Restore tests: revert on live and peers, offline edits merging on top,
//! and restoring back.

use super::*;
use crate::guard::{apply_update_bytes, encode_diff, encode_full_state, state_vector_bytes};
use std::collections::HashMap;
use std::sync::Arc;
use yrs::{
    Any, GetString, Text, XmlElementPrelim, XmlElementRef, XmlFragment, XmlOut, XmlTextPrelim,
    XmlTextRef,
};

fn content(doc: &Doc) -> String {
    let frag = doc.get_or_insert_xml_fragment(DEFAULT_ROOT);
    frag.get_string(&doc.transact())
}

fn paragraph(doc: &Doc, i: u32) -> (XmlElementRef, XmlTextRef) {
    let frag = doc.get_or_insert_xml_fragment(DEFAULT_ROOT);
    let txn = doc.transact();
    let Some(XmlOut::Element(p)) = frag.get(&txn, i) else {
        panic!("no paragraph {i}");
    };
    let Some(XmlOut::Text(t)) = p.get(&txn, 0) else {
        panic!("no text in paragraph {i}");
    };
    (p, t)
}

/// Bring `to` up to date with `from` through the guard.
fn sync(from: &Doc, to: &Doc) {
    let sv = crate::guard::decode_state_vector(&state_vector_bytes(to)).unwrap();
    let diff = encode_diff(from, &sv).unwrap();
    apply_update_bytes(to, &diff).unwrap();
}

/// State vector as a map (its encoding's client order is not deterministic).
fn sv(doc: &Doc) -> yrs::StateVector {
    doc.transact().state_vector()
}

fn base_doc() -> Doc {
    let doc = Doc::with_client_id(1);
    let frag = doc.get_or_insert_xml_fragment(DEFAULT_ROOT);
    let mut txn = doc.transact_mut();
    for text in ["Hello world", "Second paragraph"] {
        let n = frag.len(&txn);
        let p = frag.insert(&mut txn, n, XmlElementPrelim::empty("paragraph"));
        p.insert(&mut txn, 0, XmlTextPrelim::new(text));
    }
    drop(txn);
    doc
}

fn edit(doc: &Doc) {
    let (_, t0) = paragraph(doc, 0);
    let (_, t1) = paragraph(doc, 1);
    let frag = doc.get_or_insert_xml_fragment(DEFAULT_ROOT);
    let mut txn = doc.transact_mut();
    t0.insert(&mut txn, 5, ", dear");
    t1.remove_range(&mut txn, 0, 7);
    let bold: HashMap<Arc<str>, Any> = HashMap::from([("bold".into(), Any::from(true))]);
    t1.format(&mut txn, 0, 4, bold);
    let p = frag.insert(&mut txn, 2, XmlElementPrelim::empty("paragraph"));
    p.insert(&mut txn, 0, XmlTextPrelim::new("Added later"));
}

#[test]
fn restore_reverts_live_and_peers_converge() {
    let live = base_doc();
    let v1 = encode_full_state(&live).unwrap();
    let v1_content = content(&live);

    let peer = Doc::with_client_id(2);
    sync(&live, &peer);
    edit(&live);
    sync(&live, &peer);
    let offline = Doc::with_client_id(3);
    sync(&live, &offline);
    let edited = content(&live);
    assert_ne!(edited, v1_content);
    assert!(edited.contains("<bold>"));

    // Offline client edits after the edit, before the restore.
    let (_, t0) = paragraph(&offline, 0);
    t0.insert(&mut offline.transact_mut(), 0, "X");

    let revert = restore_update(&live, &v1).unwrap();
    apply_update_bytes(&live, &revert).unwrap();
    apply_update_bytes(&peer, &revert).unwrap();
    assert_eq!(content(&live), v1_content);
    assert_eq!(content(&peer), v1_content);
    assert_eq!(sv(&live), sv(&peer));
    // The restore is authored by a fresh client, not by 1, 2 or 3.
    assert_eq!(sv(&live).len(), 2);

    // The offline client reconnects: both directions exchange.
    sync(&offline, &live);
    sync(&live, &offline);
    sync(&live, &peer);
    let expected = v1_content.replacen("<paragraph>Hello", "<paragraph>XHello", 1);
    assert_eq!(content(&live), expected);
    assert_eq!(content(&offline), expected);
    assert_eq!(content(&peer), expected);
    assert_eq!(sv(&live), sv(&offline));
    assert_eq!(sv(&live), sv(&peer));
}

#[test]
fn restore_then_restore_back_brings_the_edit_back() {
    let live = base_doc();
    let v1 = encode_full_state(&live).unwrap();
    let v1_content = content(&live);
    edit(&live);
    let edited = content(&live);
    let before_restore = encode_full_state(&live).unwrap();

    let revert = restore_update(&live, &v1).unwrap();
    apply_update_bytes(&live, &revert).unwrap();
    assert_eq!(content(&live), v1_content);

    let back = restore_update(&live, &before_restore).unwrap();
    apply_update_bytes(&live, &back).unwrap();
    assert_eq!(content(&live), edited);
}

#[test]
fn restore_covers_other_root_types() {
    let live = base_doc();
    let text = live.get_or_insert_text("title");
    text.insert(&mut live.transact_mut(), 0, "Old title");
    let v1 = encode_full_state(&live).unwrap();
    text.remove_range(&mut live.transact_mut(), 0, 4);
    text.insert(&mut live.transact_mut(), 0, "New ");
    edit(&live);

    let revert = restore_update(&live, &v1).unwrap();
    let replica = Doc::new();
    sync(&live, &replica);
    apply_update_bytes(&live, &revert).unwrap();
    apply_update_bytes(&replica, &revert).unwrap();
    assert_eq!(text.get_string(&live.transact()), "Old title");
    let rtext = replica.get_or_insert_text("title");
    assert_eq!(rtext.get_string(&replica.transact()), "Old title");
    assert_eq!(content(&replica), content(&live));
}

#[test]
fn restore_to_current_state_is_a_no_op() {
    let live = base_doc();
    edit(&live);
    let now = encode_full_state(&live).unwrap();
    let before = content(&live);
    let revert = restore_update(&live, &now).unwrap();
    let out = apply_update_bytes(&live, &revert).unwrap();
    assert!(!out.changed);
    assert_eq!(content(&live), before);
}

#[test]
fn restore_rejects_bad_old_state() {
    let live = base_doc();
    let err = restore_update(&live, &[0xf6, 0xa6, 0xf5, 0x64]).unwrap_err();
    assert_eq!(err.reason(), "count_exceeds_input");
}

/// The element at `path` (child indexes from the `default` fragment).
fn element_at(doc: &Doc, path: &[u32]) -> XmlElementRef {
    let frag = doc.get_or_insert_xml_fragment(DEFAULT_ROOT);
    let txn = doc.transact();
    let Some((first, rest)) = path.split_first() else {
        panic!("empty path");
    };
    let Some(XmlOut::Element(mut el)) = frag.get(&txn, *first) else {
        panic!("no element at {first}");
    };
    for i in rest {
        let Some(XmlOut::Element(next)) = el.get(&txn, *i) else {
            panic!("no element at {path:?}");
        };
        el = next;
    }
    el
}

#[test]
fn restore_brings_back_tables_task_lists_and_images() {
    use crate::content::{doc_to_pm, markdown_to_pm, write_pm};
    use yrs::Xml;

    let live = Doc::with_client_id(1);
    let old_pm = markdown_to_pm(
        "| Item | Qty |\n| --- | --: |\n| apples | 3 |\n\n- [ ] buy\n- [x] cook\n\n![Cat](/api/media/cat \"C\")\n\nend",
    );
    {
        let frag = live.get_or_insert_xml_fragment(DEFAULT_ROOT);
        let mut txn = live.transact_mut();
        write_pm(&mut txn, &frag, &old_pm).unwrap();
    }
    assert_eq!(doc_to_pm(&live), old_pm);
    let v1 = encode_full_state(&live).unwrap();
    let peer = Doc::with_client_id(2);
    sync(&live, &peer);

    // Edits as an editor makes them: tick a task, change a cell, drop the
    // image, add a row.
    let task = element_at(&live, &[1, 0]);
    task.insert_attribute(&mut live.transact_mut(), "checked", Any::Bool(true));
    let cell_p = element_at(&live, &[0, 1, 1, 0]);
    {
        let txn = live.transact();
        let Some(XmlOut::Text(t)) = cell_p.get(&txn, 0) else {
            panic!("cell text");
        };
        drop(txn);
        t.insert(&mut live.transact_mut(), 0, "1");
    }
    {
        let frag = live.get_or_insert_xml_fragment(DEFAULT_ROOT);
        frag.remove_range(&mut live.transact_mut(), 2, 1);
    }
    let table = element_at(&live, &[0]);
    {
        let mut txn = live.transact_mut();
        let row = table.insert(&mut txn, 2, XmlElementPrelim::empty("tableRow"));
        let cell = row.insert(&mut txn, 0, XmlElementPrelim::empty("tableCell"));
        cell.insert_attribute(&mut txn, "colspan", Any::from(1));
        cell.insert_attribute(&mut txn, "rowspan", Any::from(1));
        let p = cell.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
        p.insert(&mut txn, 0, XmlTextPrelim::new("pears"));
    }
    sync(&live, &peer);
    let edited = doc_to_pm(&live);
    assert_ne!(edited, old_pm);
    let text = crate::content::pm_to_text(&edited);
    assert!(
        text.contains("[x] buy") && text.contains("13") && text.contains("pears"),
        "{text}"
    );
    assert!(!text.contains("Cat"), "{text}");

    let revert = restore_update(&live, &v1).unwrap();
    apply_update_bytes(&live, &revert).unwrap();
    apply_update_bytes(&peer, &revert).unwrap();
    assert_eq!(doc_to_pm(&live), old_pm);
    assert_eq!(doc_to_pm(&peer), old_pm);
    assert_eq!(crate::content::media_ids(&doc_to_pm(&live)), ["cat"]);
}
