//! Tests of the tree checks: nesting depth (in the update and counting the
//! document), parents that are not types, pending types, and that refusals
//! leave the document untouched.

use super::*;
use crate::guard::{self, apply_update_bytes, doc_options, encode_full_state};
use crate::lib0::{write_var_string, write_var_u64};
use yrs::updates::decoder::Decode;
use yrs::{
    Doc, GetString, Text, Transact, Update, Xml, XmlElementPrelim, XmlFragment, XmlTextPrelim,
};

const TYPE_XML_ELEMENT: u8 = 3;

/// Where a hand-encoded struct hangs.
#[derive(Clone, Copy)]
enum At<'a> {
    Root(&'a str),
    Parent(u64, u32),
}

fn write_id(out: &mut Vec<u8>, client: u64, clock: u32) {
    write_var_u64(out, client);
    write_var_u64(out, u64::from(clock));
}

/// One struct: a `<div>` XmlElement with an explicit parent.
fn element_struct(out: &mut Vec<u8>, at: At<'_>) {
    out.push(CONTENT_TYPE);
    match at {
        At::Root(name) => {
            out.push(1);
            write_var_string(out, name);
        }
        At::Parent(c, k) => {
            out.push(0);
            write_id(out, c, k);
        }
    }
    out.push(TYPE_XML_ELEMENT);
    write_var_string(out, "div");
}

/// An update from `client`, clocks from `clock`, of `n` XmlElements each
/// inside the previous one, the first at `first`; then `deletes` as its
/// delete set (`(client, clock, len)`).
fn chain_update(
    client: u64,
    clock: u32,
    n: u32,
    first: At<'_>,
    deletes: &[(u64, u32, u32)],
) -> Vec<u8> {
    let mut u = Vec::new();
    write_var_u64(&mut u, 1);
    write_var_u64(&mut u, u64::from(n));
    write_var_u64(&mut u, client);
    write_var_u64(&mut u, u64::from(clock));
    for i in 0..n {
        let at = if i == 0 {
            first
        } else {
            At::Parent(client, clock + i - 1)
        };
        element_struct(&mut u, at);
    }
    write_var_u64(&mut u, deletes.len() as u64);
    for &(c, k, len) in deletes {
        write_var_u64(&mut u, c);
        write_var_u64(&mut u, 1);
        write_var_u64(&mut u, u64::from(k));
        write_var_u64(&mut u, u64::from(len));
    }
    u
}

/// A chain of `n` nested XmlElements built with yrs itself, as a full-state
/// update.
fn yrs_chain(n: usize) -> Vec<u8> {
    let doc = Doc::with_options(doc_options(11));
    let frag = doc.get_or_insert_xml_fragment("default");
    {
        let mut txn = doc.transact_mut();
        let mut el = frag.insert(&mut txn, 0, XmlElementPrelim::empty("div"));
        for _ in 1..n {
            el = el.insert(&mut txn, 0, XmlElementPrelim::empty("div"));
        }
    }
    encode_full_state(&doc).unwrap()
}

/// The observable state of a document: state vector and full encoding.
fn snapshot(doc: &Doc) -> (StateVector, Vec<u8>) {
    (
        doc.transact().state_vector(),
        encode_full_state(doc).unwrap(),
    )
}

fn assert_untouched(doc: &Doc, before: &(StateVector, Vec<u8>), err: &GuardError) {
    assert!(!err.doc_may_be_corrupt(), "{err:?}");
    let after = snapshot(doc);
    assert_eq!(after.0, before.0, "state vector changed after {err:?}");
    // Compare decoded content, not bytes (hash-map order).
    let (a, b) = (
        Update::decode_v1(&after.1).unwrap().state_vector(),
        Update::decode_v1(&before.1).unwrap().state_vector(),
    );
    assert_eq!(a, b);
    assert!(!doc.transact().has_missing_updates());
}

/// A document with one paragraph of text, then an honest edit still works.
fn honest_edit_applies(doc: &Doc) {
    let src = Doc::with_options(doc_options(99));
    guard::apply_update_bytes(&src, &encode_full_state(doc).unwrap()).unwrap();
    let frag = src.get_or_insert_xml_fragment("default");
    let before = src.transact().state_vector();
    {
        let mut txn = src.transact_mut();
        let p = frag.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
        p.insert(&mut txn, 0, XmlTextPrelim::new("still editable"));
    }
    let diff = guard::encode_diff(&src, &before).unwrap();
    let out = apply_update_bytes(doc, &diff).unwrap();
    assert!(out.changed && !out.pending);
    let f = doc.get_or_insert_xml_fragment("default");
    assert!(f.get_string(&doc.transact()).contains("still editable"));
}

#[test]
fn ten_thousand_deep_chain_built_by_yrs_is_refused() {
    let update = yrs_chain(10_000);
    let doc = guard::new_doc();
    let before = snapshot(&doc);
    let err = apply_update_bytes(&doc, &update).unwrap_err();
    assert_eq!(err, GuardError::TypeTooDeep(MAX_TYPE_DEPTH));
    assert_eq!(err.reason(), "type_too_deep");
    assert_untouched(&doc, &before, &err);
    honest_edit_applies(&doc);
}

/// The message that killed the server: 10,000 nested elements plus a
/// delete of the outermost, ~60 KB.
#[test]
fn hand_encoded_deep_chain_with_delete_is_refused() {
    let update = chain_update(5, 0, 10_000, At::Root("default"), &[(5, 0, 1)]);
    assert!(update.len() < 120_000);
    let doc = guard::new_doc();
    let before = snapshot(&doc);
    let err = apply_update_bytes(&doc, &update).unwrap_err();
    assert_eq!(err, GuardError::TypeTooDeep(MAX_TYPE_DEPTH));
    assert_untouched(&doc, &before, &err);
    // The decoded-update entry point refuses it too.
    let decoded = guard::decode_update(&update).unwrap();
    assert_eq!(
        guard::apply_update(&doc, decoded),
        Err(GuardError::TypeTooDeep(MAX_TYPE_DEPTH))
    );
    honest_edit_applies(&doc);
}

#[test]
fn the_limit_itself_is_accepted_one_more_is_not() {
    for (n, ok) in [(255, true), (256, true), (257, false)] {
        let doc = guard::new_doc();
        let res = apply_update_bytes(&doc, &chain_update(5, 0, n, At::Root("default"), &[]));
        assert_eq!(res.is_ok(), ok, "depth {n}: {res:?}");
        let res = apply_update_bytes(&guard::new_doc(), &yrs_chain(n as usize));
        assert_eq!(res.is_ok(), ok, "yrs chain depth {n}: {res:?}");
    }
}

#[test]
fn depth_already_in_the_document_counts() {
    let doc = guard::new_doc();
    let first = chain_update(5, 0, 200, At::Root("default"), &[]);
    let out = apply_update_bytes(&doc, &first).unwrap();
    assert_eq!(out.structs, 200);
    let before = snapshot(&doc);
    // 100 more from another client, under the deepest existing element.
    let second = chain_update(6, 0, 100, At::Parent(5, 199), &[]);
    let err = apply_update_bytes(&doc, &second).unwrap_err();
    assert_eq!(err, GuardError::TypeTooDeep(MAX_TYPE_DEPTH));
    assert_untouched(&doc, &before, &err);
    // Up to the limit is fine.
    let fits = chain_update(6, 0, 56, At::Parent(5, 199), &[]);
    apply_update_bytes(&doc, &fits).unwrap();
    let over = chain_update(7, 0, 1, At::Parent(6, 55), &[]);
    assert_eq!(
        apply_update_bytes(&doc, &over),
        Err(GuardError::TypeTooDeep(MAX_TYPE_DEPTH))
    );
    honest_edit_applies(&doc);
}

/// Depth through neighbours: a type placed next to a deep element (origin
/// only, no explicit parent) inherits that element's parent.
#[test]
fn depth_is_found_through_origins_in_the_document() {
    let doc = Doc::with_options(doc_options(1));
    let frag = doc.get_or_insert_xml_fragment("default");
    {
        let mut txn = doc.transact_mut();
        let mut el = frag.insert(&mut txn, 0, XmlElementPrelim::empty("div"));
        for _ in 1..MAX_TYPE_DEPTH {
            el = el.insert(&mut txn, 0, XmlElementPrelim::empty("div"));
        }
    }
    let deepest = ID::new(ClientID::new(1), MAX_TYPE_DEPTH - 1);
    // A sibling of the deepest element (same depth, 256): accepted.
    let mut u = vec![1, 1];
    write_var_u64(&mut u, 2);
    u.push(0);
    u.push(CONTENT_TYPE | HAS_ORIGIN);
    write_id(&mut u, 1, deepest.clock);
    u.push(TYPE_XML_ELEMENT);
    write_var_string(&mut u, "div");
    u.push(0);
    let server = guard::new_doc();
    apply_update_bytes(&server, &encode_full_state(&doc).unwrap()).unwrap();
    apply_update_bytes(&server, &u).unwrap();
    // A child of that sibling (depth 257), placed by origin-less explicit
    // parent in a second update: refused.
    let child = chain_update(3, 0, 1, At::Parent(2, 0), &[]);
    assert_eq!(
        apply_update_bytes(&server, &child),
        Err(GuardError::TypeTooDeep(MAX_TYPE_DEPTH))
    );
}

/// yrs recurses per level when deleting; at the limit that must fit the
/// 2 MiB stack of a tokio worker (checked here on a 2 MiB thread, in a
/// debug build whose frames are bigger than release ones).
#[test]
fn deleting_a_tree_at_the_limit_fits_a_2_mib_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let doc = guard::new_doc();
            apply_update_bytes(
                &doc,
                &chain_update(5, 0, MAX_TYPE_DEPTH, At::Root("default"), &[]),
            )
            .unwrap();
            // A remote delete of the outermost element (GC included).
            let del = chain_update(5, 0, 0, At::Root("default"), &[(5, 0, 1)]);
            let out = apply_update_bytes(&doc, &del).unwrap();
            assert!(out.changed);
            // A local delete too, on a second copy.
            let doc2 = Doc::with_options(doc_options(8));
            apply_update_bytes(&doc2, &yrs_chain(MAX_TYPE_DEPTH as usize)).unwrap();
            let frag = doc2.get_or_insert_xml_fragment("default");
            frag.remove_range(&mut doc2.transact_mut(), 0, 1);
            frag.len(&doc2.transact())
        })
        .unwrap();
    assert_eq!(handle.join().unwrap(), 0);
}

/// A document with a Y.Text "t" holding "abc" from client 1.
fn text_doc() -> Doc {
    let src = Doc::with_options(doc_options(1));
    let t = src.get_or_insert_text("t");
    t.insert(&mut src.transact_mut(), 0, "abc");
    let doc = guard::new_doc();
    apply_update_bytes(&doc, &encode_full_state(&src).unwrap()).unwrap();
    doc
}

/// An update from client 2: one string item whose explicit parent is `p`.
fn child_of(p: (u64, u32)) -> Vec<u8> {
    let mut u = vec![1, 1];
    write_var_u64(&mut u, 2);
    u.push(0);
    u.push(CONTENT_STRING);
    u.push(0);
    write_id(&mut u, p.0, p.1);
    write_var_string(&mut u, "x");
    u.push(0);
    u
}

#[test]
fn a_string_named_as_parent_is_refused_before_yrs_sees_it() {
    let doc = text_doc();
    let bad = child_of((1, 1));
    // Without the check yrs fails half-way with InvalidParent.
    let raw = text_doc();
    let res = raw
        .transact_mut()
        .apply_update(Update::decode_v1(&bad).unwrap());
    assert!(res.is_err(), "yrs accepted a string parent: {res:?}");

    let before = snapshot(&doc);
    let err = apply_update_bytes(&doc, &bad).unwrap_err();
    assert_eq!(err, GuardError::Malformed("invalid_parent"));
    assert_eq!(err.reason(), "invalid_parent");
    assert_untouched(&doc, &before, &err);
    // A following honest update still applies.
    let src = Doc::with_options(doc_options(3));
    apply_update_bytes(&src, &encode_full_state(&doc).unwrap()).unwrap();
    let sv = src.transact().state_vector();
    let t = src.get_or_insert_text("t");
    t.insert(&mut src.transact_mut(), 3, "d");
    apply_update_bytes(&doc, &guard::encode_diff(&src, &sv).unwrap()).unwrap();
    assert_eq!(
        doc.get_or_insert_text("t").get_string(&doc.transact()),
        "abcd"
    );
}

#[test]
fn a_string_in_the_same_update_named_as_parent_is_refused() {
    // Struct 0: a string in root "t"; struct 1: a string whose parent is
    // struct 0.
    let mut u = vec![1, 2];
    write_var_u64(&mut u, 4);
    u.push(0);
    u.push(CONTENT_STRING);
    u.push(1);
    write_var_string(&mut u, "t");
    write_var_string(&mut u, "ab");
    u.push(CONTENT_STRING);
    u.push(0);
    write_id(&mut u, 4, 1);
    write_var_string(&mut u, "x");
    u.push(0);
    let doc = guard::new_doc();
    let before = snapshot(&doc);
    let err = apply_update_bytes(&doc, &u).unwrap_err();
    assert_eq!(err, GuardError::Malformed("invalid_parent"));
    assert_untouched(&doc, &before, &err);
}

#[test]
fn a_missing_parent_is_pending_not_an_error() {
    let doc = text_doc();
    let out = apply_update_bytes(&doc, &child_of((9, 0))).unwrap();
    assert!(out.pending);
    // Shared types under a missing parent may wait too, a few levels deep.
    let out = apply_update_bytes(&doc, &chain_update(4, 0, 3, At::Parent(9, 0), &[])).unwrap();
    assert!(out.pending && !out.dropped_pending);
}

/// A chain hanging from a missing item is bounded by the levels it adds,
/// counting chains already parked in the document.
#[test]
fn pending_chains_are_bounded_too() {
    let doc = guard::new_doc();
    let before = snapshot(&doc);
    let err =
        apply_update_bytes(&doc, &chain_update(4, 0, 300, At::Parent(9, 0), &[])).unwrap_err();
    assert_eq!(err, GuardError::TypeTooDeep(MAX_TYPE_DEPTH));
    assert_untouched(&doc, &before, &err);
    // 200 parked, then 100 more under the parked chain's deepest element.
    apply_update_bytes(&doc, &chain_update(4, 0, 200, At::Parent(9, 0), &[])).unwrap();
    let err =
        apply_update_bytes(&doc, &chain_update(5, 0, 100, At::Parent(4, 199), &[])).unwrap_err();
    assert_eq!(err, GuardError::TypeTooDeep(MAX_TYPE_DEPTH));
}

/// A parked chain that would land too deep once its missing parent
/// arrives is dropped; the update supplying the parent (possibly an honest
/// edit) is applied, and the document stays within the limit.
#[test]
fn a_parked_chain_that_would_land_too_deep_is_dropped() {
    let doc = guard::new_doc();
    apply_update_bytes(&doc, &chain_update(5, 0, 100, At::Root("default"), &[])).unwrap();
    // 200 levels parked under (9, 0), which does not exist yet.
    let out = apply_update_bytes(&doc, &chain_update(4, 0, 200, At::Parent(9, 0), &[])).unwrap();
    assert!(out.pending);
    // (9, 0) arrives at depth 101: the parked chain would reach 301.
    let supply = chain_update(9, 0, 1, At::Parent(5, 99), &[]);
    let out = apply_update_bytes(&doc, &supply).unwrap();
    assert!(out.dropped_pending && out.changed, "{out:?}");
    let sv = doc.transact().state_vector();
    assert_eq!(sv.get(&ClientID::new(9)), 1);
    assert_eq!(sv.get(&ClientID::new(4)), 0);
    // The emptied pending update is cleared by the next apply.
    honest_edit_applies(&doc);
    assert!(!doc.transact().has_missing_updates());
    // Deleting the whole tree works on a tokio-sized stack.
    let del = chain_update(5, 0, 0, At::Root("default"), &[(5, 0, 1)]);
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || apply_update_bytes(&doc, &del).map(|o| o.changed))
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
}

/// The same parked chain is integrated normally when it fits.
#[test]
fn a_parked_chain_that_fits_is_integrated() {
    let doc = guard::new_doc();
    apply_update_bytes(&doc, &chain_update(5, 0, 50, At::Root("default"), &[])).unwrap();
    apply_update_bytes(&doc, &chain_update(4, 0, 200, At::Parent(9, 0), &[])).unwrap();
    let out = apply_update_bytes(&doc, &chain_update(9, 0, 1, At::Parent(5, 49), &[])).unwrap();
    assert!(!out.dropped_pending && !out.pending, "{out:?}");
    let sv = doc.transact().state_vector();
    assert_eq!(sv.get(&ClientID::new(4)), 200);
    // Now at depth 251: five more levels fit, six do not.
    assert_eq!(
        apply_update_bytes(&doc, &chain_update(6, 0, 6, At::Parent(4, 199), &[])),
        Err(GuardError::TypeTooDeep(MAX_TYPE_DEPTH))
    );
    apply_update_bytes(&doc, &chain_update(6, 0, 5, At::Parent(4, 199), &[])).unwrap();
}

/// An item under a type that was deleted and collected is not an error
/// (yrs drops it): an offline editor typing into a paragraph someone else
/// deleted must still sync.
#[test]
fn a_collected_parent_is_accepted() {
    let src = Doc::with_options(doc_options(1));
    let frag = src.get_or_insert_xml_fragment("default");
    frag.insert(
        &mut src.transact_mut(),
        0,
        XmlElementPrelim::empty("paragraph"),
    );
    let doc = guard::new_doc();
    apply_update_bytes(&doc, &encode_full_state(&src).unwrap()).unwrap();
    // Offline copy types into the empty paragraph...
    let offline = Doc::with_options(doc_options(2));
    apply_update_bytes(&offline, &encode_full_state(&src).unwrap()).unwrap();
    let sv = offline.transact().state_vector();
    {
        let of = offline.get_or_insert_xml_fragment("default");
        let mut txn = offline.transact_mut();
        let Some(yrs::XmlOut::Element(op)) = of.get(&txn, 0) else {
            panic!("paragraph expected");
        };
        op.insert(&mut txn, 0, XmlTextPrelim::new("late"));
        op.insert_attribute(&mut txn, "class", "x");
    }
    let late = guard::encode_diff(&offline, &sv).unwrap();
    // ...while the paragraph is deleted on the server.
    frag.remove_range(&mut src.transact_mut(), 0, 1);
    let del = guard::encode_diff(&src, &StateVector::default()).unwrap();
    apply_update_bytes(&doc, &del).unwrap();
    let out = apply_update_bytes(&doc, &late).unwrap();
    assert!(!out.pending);
    assert_eq!(
        doc.get_or_insert_xml_fragment("default")
            .get_string(&doc.transact()),
        ""
    );
}

/// Ordinary typing never reaches the tree checks; paragraph inserts walk
/// up two levels. Prints a timing for both (no wall-clock assertion).
#[test]
fn typing_stays_cheap() {
    let src = Doc::with_options(doc_options(1));
    let frag = src.get_or_insert_xml_fragment("default");
    {
        let mut txn = src.transact_mut();
        for i in 0..2_000 {
            let p = frag.insert(&mut txn, i, XmlElementPrelim::empty("paragraph"));
            p.insert(&mut txn, 0, XmlTextPrelim::new("some words here"));
        }
    }
    let server = guard::new_doc();
    apply_update_bytes(&server, &encode_full_state(&src).unwrap()).unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
    let sink = log.clone();
    src.observe_update_v1("rec", move |_, e| {
        sink.lock().unwrap().push(e.update.clone());
    })
    .unwrap();
    let n = 500;
    for i in 0..n {
        let mut txn = src.transact_mut();
        let Some(yrs::XmlOut::Element(p)) = frag.get(&txn, 1_000) else {
            panic!("paragraph expected");
        };
        let Some(yrs::XmlOut::Text(t)) = p.get(&txn, 0) else {
            panic!("text expected");
        };
        t.insert(&mut txn, i, "x");
    }
    let typing: Vec<Vec<u8>> = std::mem::take(&mut *log.lock().unwrap());
    for i in 0..n {
        let mut txn = src.transact_mut();
        let p = frag.insert(&mut txn, 1_500 + i, XmlElementPrelim::empty("paragraph"));
        p.insert(&mut txn, 0, XmlTextPrelim::new("new"));
    }
    let paragraphs: Vec<Vec<u8>> = std::mem::take(&mut *log.lock().unwrap());
    for u in &typing {
        assert!(!walk::scan_update(u).unwrap().tree_refs);
    }
    let t0 = std::time::Instant::now();
    for u in &typing {
        apply_update_bytes(&server, u).unwrap();
    }
    let t1 = std::time::Instant::now();
    for u in &paragraphs {
        assert!(walk::scan_update(u).unwrap().tree_refs);
        apply_update_bytes(&server, u).unwrap();
    }
    let t2 = std::time::Instant::now();
    eprintln!(
        "typing: {:?}/update, new paragraph: {:?}/update (4,000+ blocks doc)",
        (t1 - t0) / n,
        (t2 - t1) / n
    );
    assert_eq!(
        server.transact().state_vector(),
        src.transact().state_vector()
    );
}

/// cargo-fuzz (nested_types): an item parked because its named parent was
/// missing, whose parent then arrives as a string, made yrs fail with
/// `InvalidParent` while retrying the parked items, inside the honest
/// update that supplied the string. The parked items are dropped instead
/// and the string is applied.
#[test]
fn a_parked_child_of_a_string_is_dropped_when_the_string_arrives() {
    let doc = guard::new_doc();
    let out = apply_update_bytes(&doc, &child_of((4, 1))).unwrap();
    assert!(out.pending);
    // Client 4 writes "ab" into root "t": (4, 1) is the "b".
    let mut u = vec![1, 1];
    write_var_u64(&mut u, 4);
    u.push(0);
    u.push(CONTENT_STRING);
    u.push(1);
    write_var_string(&mut u, "t");
    write_var_string(&mut u, "ab");
    u.push(0);
    let out = apply_update_bytes(&doc, &u).unwrap();
    assert!(out.dropped_pending && out.changed, "{out:?}");
    assert_eq!(
        doc.get_or_insert_text("t").get_string(&doc.transact()),
        "ab"
    );
    assert_eq!(doc.transact().state_vector().get(&ClientID::new(2)), 0);
    honest_edit_applies(&doc);
}

/// cargo-fuzz (nested_types), second form: the update that lets a parked
/// string in also names that string as a parent. yrs parks the child, then
/// fails on it while retrying; the document stays sound and usable.
#[test]
fn a_child_of_a_parked_string_in_the_supplying_update_is_not_fatal() {
    let doc = guard::new_doc();
    // Client 4: "ab" after (9, 0), which does not exist yet.
    let mut a = vec![1, 1];
    write_var_u64(&mut a, 4);
    a.push(0);
    a.push(CONTENT_STRING | HAS_ORIGIN);
    write_id(&mut a, 9, 0);
    write_var_string(&mut a, "ab");
    a.push(0);
    assert!(apply_update_bytes(&doc, &a).unwrap().pending);
    // Client 9 writes (9, 0) into "t"; client 5 names (4, 1) as a parent.
    let mut b = vec![2, 1];
    write_var_u64(&mut b, 9);
    b.push(0);
    b.push(CONTENT_STRING);
    b.push(1);
    write_var_string(&mut b, "t");
    write_var_string(&mut b, "x");
    b.push(1);
    write_var_u64(&mut b, 5);
    b.push(0);
    b.push(CONTENT_STRING);
    b.push(0);
    write_id(&mut b, 4, 1);
    write_var_string(&mut b, "y");
    b.push(0);
    let out = apply_update_bytes(&doc, &b).unwrap();
    assert!(out.dropped_pending && out.changed, "{out:?}");
    assert!(!doc.transact().has_missing_updates());
    let t = doc.get_or_insert_text("t").get_string(&doc.transact());
    assert!(t.starts_with('x'), "{t}");
    honest_edit_applies(&doc);
}

/// cargo-fuzz (nested_types): client 6's blocks arrive around a parked one,
/// so the document holds some of them after a gap, where its state vector
/// does not reach. The string at (6, 9) looked missing, and the type naming
/// it as parent reached yrs, which failed half-way.
#[test]
fn a_string_after_a_gap_named_as_parent_is_refused() {
    let doc = guard::new_doc();
    for h in [
        "01 05 05 00 07 01 07 64 65 66 61 75 6c 74 00 07 00 05 00 01 07 00 02 13 03 03 64 69 76 84 05 01 02 62 63 84 05 00 02 62 63 02 05 01 03 01 05 01 03 01",
        "01 04 06 00 04 00 05 00 02 62 63 04 00 05 19 01 61 24 01 01 6d 01 6b 01 61 87 05 00 03 03 64 69 76 01 05 01 05 01",
        "01 03 06 05 27 01 01 6d 01 6b 06 24 01 01 6d 01 6b 03 64 65 66 04 00 05 01 02 62 63 02 06 01 00 01 05 01 02 02",
    ] {
        let bytes: Vec<u8> = h
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect();
        let _ = apply_update_bytes(&doc, &bytes).unwrap();
    }
    let before = snapshot(&doc);
    let bad = chain_update(3, 0, 1, At::Parent(6, 9), &[]);
    let err = apply_update_bytes(&doc, &bad).unwrap_err();
    assert_eq!(err, GuardError::Malformed("invalid_parent"));
    assert!(!err.doc_may_be_corrupt());
    assert_eq!(snapshot(&doc).0, before.0);
    assert_eq!(encode_full_state(&doc).unwrap().len(), before.1.len());
}
