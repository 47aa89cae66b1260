//! Unit tests for the guard: the known hostile inputs that hurt `yrs`
//! 0.28.1 unguarded (allocation bomb, panics, poison update, oversized
//! client ids), change and
//! pending detection, encode/merge round trips and the awareness codec.

use super::*;
use crate::protocol::{self, ClientMessage};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use yrs::types::text::YChange;
use yrs::{
    Any, Array, GetString, Map, Text, WriteTxn, XmlElementPrelim, XmlFragment, XmlTextPrelim,
};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// The 257 MB allocation bomb (a 4-byte count), in its three wrappings.
#[test]
fn allocation_bomb_inputs_are_rejected_cheaply() {
    let started = std::time::Instant::now();
    let update = hex("f6 a6 f5 64");
    assert_eq!(
        decode_update(&update).err(),
        Some(GuardError::Malformed("count_exceeds_input"))
    );
    let doc = Doc::new();
    assert!(apply_update_bytes(&doc, &update).is_err());

    let awareness_frame = hex("01 04 f6 a6 f5 64");
    let Ok(ClientMessage::Awareness { update }) = protocol::decode_client_message(&awareness_frame)
    else {
        panic!("awareness frame should decode");
    };
    assert_eq!(
        decode_awareness(update),
        Err(GuardError::Malformed("count_exceeds_input"))
    );

    let step1_frame = hex("00 00 04 f6 a6 f5 64");
    let Ok(ClientMessage::SyncStep1 { state_vector }) =
        protocol::decode_client_message(&step1_frame)
    else {
        panic!("step1 frame should decode");
    };
    assert_eq!(
        decode_state_vector(state_vector).err(),
        Some(GuardError::Malformed("count_exceeds_input"))
    );
    // The bomb costs ~170 ms each in release; the pre-check is microseconds.
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

/// The input that makes yrs' VecDeque `try_reserve` a huge allocation (ASan reports it).
#[test]
fn struct_count_bomb_is_rejected() {
    assert_eq!(
        decode_update(&hex("04 99 ff ff ff 05 00 00")).err(),
        Some(GuardError::Malformed("count_exceeds_input"))
    );
    // One client declaring 2^28 structs.
    assert_eq!(
        decode_update(&hex("01 ff ff ff 7f 01 00 00")).err(),
        Some(GuardError::Malformed("count_exceeds_input"))
    );
}

const PANIC_UPDATE: &str = "01 02 c3 03 ff ff ff ff ff ff ff ff 3e 00 02 00 02 00 02";
const POISON_UPDATE: &str = "01 01 f6 01 f6 18 62 00 00 00 00 00 00";

/// An update that panics with index out of bounds inside `apply_update`.
#[test]
fn panic_update_is_rejected_before_yrs() {
    let doc = Doc::new();
    let err = apply_update_bytes(&doc, &hex(PANIC_UPDATE)).unwrap_err();
    assert_eq!(err, GuardError::Malformed("varint_overflow"));
    assert!(!err.doc_may_be_corrupt());
    assert_eq!(state_vector_bytes(&doc), [0]);
}

/// Even without the pre-check, `apply_update` contains the panic.
#[test]
fn panic_update_without_precheck_does_not_escape() {
    let bytes = hex(PANIC_UPDATE);
    // In debug builds yrs may already panic while decoding (clock overflow).
    let decoded = guarded(|| Update::decode_v1(&bytes));
    if let Ok(Ok(update)) = decoded {
        let doc = Doc::new();
        let res = apply_update(&doc, update);
        assert!(res.is_err(), "expected an error, got {res:?}");
        if let Err(e) = res {
            assert!(matches!(e, GuardError::Panicked(_) | GuardError::Apply(_)));
            assert!(e.doc_may_be_corrupt());
        }
    }
}

/// The "poison" update with legacy JSON content, after which every encode panics.
#[test]
fn poison_update_is_rejected_and_encoding_keeps_working() {
    let doc = Doc::new();
    assert_eq!(
        apply_update_bytes(&doc, &hex(POISON_UPDATE)),
        Err(GuardError::Malformed("legacy_json_content"))
    );
    assert!(encode_full_state(&doc).is_ok());

    // The decoded-update entry point re-checks the bytes, so it refuses
    // the poison too.
    let bytes = hex(POISON_UPDATE);
    let doc = Doc::new();
    assert_eq!(
        apply_update(&doc, Update::decode_v1(&bytes).unwrap()),
        Err(GuardError::Malformed("legacy_json_content"))
    );
    // Bypassing the guard altogether: yrs accepts it as pending; our
    // encoders (encode_diff_v1) still work or fail cleanly, never panic.
    doc.transact_mut()
        .apply_update(Update::decode_v1(&bytes).unwrap())
        .unwrap();
    assert!(doc.transact().has_missing_updates());
    let full = encode_full_state(&doc);
    assert!(!matches!(full, Err(GuardError::Panicked(_))), "{full:?}");
    let diff = encode_diff(&doc, &StateVector::default());
    assert!(!matches!(diff, Err(GuardError::Panicked(_))), "{diff:?}");
}

/// Client ids ≥ 2^53, which trip a debug assertion in yrs.
#[test]
fn client_id_beyond_53_bits_is_rejected() {
    let mut u = vec![1, 1];
    crate::lib0::write_var_u64(&mut u, 1 << 53);
    u.extend([0, 4, 1, 1, b'a', 1, b'x', 0]);
    assert_eq!(
        decode_update(&u).err(),
        Some(GuardError::Malformed("client_id_too_large"))
    );
    let mut sv = vec![1];
    crate::lib0::write_var_u64(&mut sv, u64::MAX);
    sv.push(1);
    assert_eq!(
        decode_state_vector(&sv).err(),
        Some(GuardError::Malformed("client_id_too_large"))
    );
}

#[test]
fn trailing_bytes_after_update_are_rejected() {
    assert_eq!(
        decode_update(&[0, 0, 0]).err(),
        Some(GuardError::Malformed("trailing_bytes"))
    );
}

/// Collects every v1 update a document emits.
fn recorder(doc: &Doc) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    doc.observe_update_v1("rec", move |_, e| {
        sink.lock().unwrap().push(e.update.clone());
    })
    .unwrap();
    log
}

/// A document exercising every content kind yrs and Yjs produce.
fn rich_doc() -> (Doc, Vec<Vec<u8>>) {
    let doc = Doc::with_client_id(7);
    let log = recorder(&doc);
    let frag = doc.get_or_insert_xml_fragment("default");
    let text = doc.get_or_insert_text("text");
    let map = doc.get_or_insert_map("meta");
    let arr = doc.get_or_insert_array("list");
    {
        let mut txn = doc.transact_mut();
        let p = frag.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
        yrs::Xml::insert_attribute(&p, &mut txn, "level", "2");
        let t = p.insert(&mut txn, 0, XmlTextPrelim::new("héllo wörld 😀"));
        let bold: HashMap<Arc<str>, Any> = HashMap::from([("bold".into(), Any::from(true))]);
        t.format(&mut txn, 0, 5, bold);
        t.remove_range(&mut txn, 1, 2);
        text.insert(&mut txn, 0, "plain");
        text.insert_embed(
            &mut txn,
            2,
            Any::from(HashMap::from([("img".to_owned(), Any::from("x"))])),
        );
        map.insert(&mut txn, "n", 1.5_f64);
        map.insert(&mut txn, "i", -42_i64);
        map.insert(&mut txn, "big", i64::MAX);
        map.insert(
            &mut txn,
            "nested",
            Any::from(vec![Any::from(vec![Any::Null]), Any::from(false)]),
        );
        map.insert(&mut txn, "bin", Any::Buffer(Arc::from(vec![1u8, 2, 3])));
        arr.insert_range(&mut txn, 0, [1_i64, 2, 3]);
        arr.remove_range(&mut txn, 1, 1);
        let _ = txn.get_or_insert_map("other");
    }
    let updates = log.lock().unwrap().clone();
    (doc, updates)
}

#[test]
fn precheck_accepts_real_updates_of_every_content_kind() {
    let (doc, updates) = rich_doc();
    assert!(!updates.is_empty());
    for u in &updates {
        walk::check_update(u).unwrap();
    }
    let full = encode_full_state(&doc).unwrap();
    walk::check_update(&full).unwrap();
    walk::check_state_vector(&state_vector_bytes(&doc)).unwrap();
    let replica = Doc::new();
    let out = apply_update_bytes(&replica, &full).unwrap();
    assert!(out.changed && !out.pending);
    let s = |d: &Doc| {
        let f = d.get_or_insert_xml_fragment("default");
        let t = d.get_or_insert_text("text");
        let txn = d.transact();
        (f.get_string(&txn), t.diff(&txn, YChange::identity).len())
    };
    assert_eq!(s(&doc), s(&replica));
    assert_eq!(
        doc.transact().state_vector(),
        replica.transact().state_vector()
    );
}

#[test]
fn changed_is_false_for_duplicates_and_true_for_deletes() {
    let src = Doc::with_client_id(1);
    let log = recorder(&src);
    let text = src.get_or_insert_text("t");
    text.insert(&mut src.transact_mut(), 0, "abc");
    text.remove_range(&mut src.transact_mut(), 0, 1);
    let updates = log.lock().unwrap().clone();
    assert_eq!(updates.len(), 2);

    let dst = Doc::new();
    let first = apply_update_bytes(&dst, &updates[0]).unwrap();
    assert_eq!(
        first,
        ApplyOutcome {
            changed: true,
            pending: false,
            structs: 1,
            dropped_pending: false,
        }
    );
    assert!(!apply_update_bytes(&dst, &updates[0]).unwrap().changed);
    // A delete-only update leaves the state vector alone but is a change.
    let del = apply_update_bytes(&dst, &updates[1]).unwrap();
    assert_eq!(
        del,
        ApplyOutcome {
            changed: true,
            pending: false,
            structs: 0,
            dropped_pending: false,
        }
    );
    assert!(!apply_update_bytes(&dst, &updates[1]).unwrap().changed);
}

#[test]
fn pending_is_reported_until_dependencies_arrive() {
    let src = Doc::with_client_id(1);
    let log = recorder(&src);
    let text = src.get_or_insert_text("t");
    text.insert(&mut src.transact_mut(), 0, "ab");
    text.insert(&mut src.transact_mut(), 2, "cd");
    let updates = log.lock().unwrap().clone();

    let dst = Doc::new();
    let out = apply_update_bytes(&dst, &updates[1]).unwrap();
    assert!(out.pending);
    let out = apply_update_bytes(&dst, &updates[0]).unwrap();
    assert_eq!(
        out,
        ApplyOutcome {
            changed: true,
            pending: false,
            structs: 1,
            dropped_pending: false,
        }
    );
    let t = dst.get_or_insert_text("t");
    assert_eq!(t.get_string(&dst.transact()), "abcd");
}

#[test]
fn encode_diff_sends_only_what_is_missing() {
    let (doc, _) = rich_doc();
    let sv = decode_state_vector(&state_vector_bytes(&doc)).unwrap();
    let diff = encode_diff(&doc, &sv).unwrap();
    // No structs, only the (idempotent) delete set.
    assert_eq!(diff.first(), Some(&0));
    assert!(!apply_update_bytes(&doc, &diff).unwrap().changed);
    let full = encode_full_state(&doc).unwrap();
    assert!(full.len() > diff.len());
}

#[test]
fn merge_updates_equals_applying_each() {
    let (doc, updates) = rich_doc();
    let refs: Vec<&[u8]> = updates.iter().map(Vec::as_slice).collect();
    let merged = merge_updates(&refs).unwrap();
    let replica = Doc::new();
    apply_update_bytes(&replica, &merged).unwrap();
    assert_eq!(
        doc.transact().state_vector(),
        replica.transact().state_vector()
    );
    assert_eq!(
        merge_updates(&[&[0, 0], &hex("f6 a6 f5 64")]),
        Err(GuardError::Malformed("count_exceeds_input"))
    );
}

#[test]
fn awareness_round_trip_and_yrs_compatibility() {
    let entries = vec![
        AwarenessEntry {
            client_id: 1,
            clock: 3,
            state: r#"{"user":{"name":"a"}}"#.into(),
        },
        AwarenessEntry {
            client_id: (1 << 53) - 1,
            clock: 0,
            state: "null".into(),
        },
    ];
    let bytes = encode_awareness_update(&entries);
    assert_eq!(decode_awareness(&bytes).unwrap(), entries);
    assert!(entries[1].is_removal());
    // yrs' own decoder reads our encoding.
    let aw = yrs::sync::AwarenessUpdate::decode_v1(&bytes).unwrap();
    assert_eq!(aw.clients.len(), 2);
}

#[test]
fn awareness_errors() {
    let cases: &[(&[u8], GuardError)] = &[
        (&[], GuardError::Malformed("truncated")),
        (&[1, 1, 0x80, 0x80], GuardError::Malformed("truncated")),
        (
            &[1, 1, 1, 5, b'a', b'b'],
            GuardError::Malformed("length_exceeds_input"),
        ),
        (
            &[1, 1, 1, 2, 0xff, 0xfe],
            GuardError::Malformed("invalid_utf8"),
        ),
        (&[1, 1, 1, 2, b'{', b'x'], GuardError::InvalidJson),
        (
            &[1, 1, 1, 1, b'5', 9],
            GuardError::Malformed("trailing_bytes"),
        ),
        (
            &[5, 1, 1, 1, b'5'],
            GuardError::Malformed("count_exceeds_input"),
        ),
        (
            &[
                1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 1, b'1',
            ],
            GuardError::Malformed("client_id_too_large"),
        ),
    ];
    for (bytes, err) in cases {
        assert_eq!(decode_awareness(bytes).as_ref(), Err(err), "{bytes:02x?}");
    }
    let mut deep = vec![1, 1, 1];
    let json = "[".repeat(10_000);
    crate::lib0::write_var_string(&mut deep, &json);
    assert_eq!(decode_awareness(&deep), Err(GuardError::InvalidJson));
}

#[test]
fn error_reasons_are_labels() {
    assert_eq!(GuardError::Malformed("truncated").reason(), "truncated");
    assert_eq!(GuardError::TooLarge("any_nesting").reason(), "too_large");
    assert_eq!(GuardError::Panicked("x".into()).reason(), "panicked");
    assert!(GuardError::Panicked("x".into()).doc_may_be_corrupt());
    assert!(!GuardError::InvalidJson.doc_may_be_corrupt());
}

/// A JS client may insert between the two UTF-16 halves of an emoji. A
/// `Bytes`-offset doc then fails inside yrs; a `doc_options` doc does not.
#[test]
fn surrogate_split_needs_utf16_docs() {
    let a = Doc::with_options(doc_options(1));
    let log = recorder(&a);
    let t = a.get_or_insert_text("t");
    t.insert(&mut a.transact_mut(), 0, "a😀a");
    t.insert(&mut a.transact_mut(), 2, "x");
    let updates = log.lock().unwrap().clone();

    let server = Doc::with_options(doc_options(2));
    for u in &updates {
        apply_update_bytes(&server, u).unwrap();
    }
    let st = server.get_or_insert_text("t");
    assert_eq!(
        st.get_string(&server.transact()),
        t.get_string(&a.transact())
    );
    assert_eq!(new_doc().offset_kind(), yrs::OffsetKind::Utf16);
}

/// cargo-fuzz crash (decode_apply, 2026): a client listed twice in one
/// update made yrs hit `unreachable!()` in `BlockSet::exclude`.
const FUZZ_DUPLICATE_CLIENT: &str = "06 00 01 00 06 00 01 00 07 00 04 00 01 01 01 00 07 00 04 00 01 01 01 00 01 00 07 00 04 00 01 01 01 00 07 00 2c 01 01 81 06 01 00 04 01 01 01 00 04 01 01 74 05 68 00 3a 9a 8d ca 2f";

#[test]
fn fuzz_duplicate_client_is_rejected() {
    let bytes = hex(FUZZ_DUPLICATE_CLIENT);
    let doc = Doc::with_options(doc_options(2));
    assert_eq!(
        apply_update_bytes(&doc, &bytes),
        Err(GuardError::Malformed("duplicate_client"))
    );
}

/// Subdocuments are refused before yrs sees them: yrs 0.28 leaks a document
/// that integrates one (cargo-fuzz, LeakSanitizer), and Quire does not sync
/// them. The fuzzer's minimal leaking input and a real Yjs-style subdoc
/// update are both refused, and the target document is untouched.
#[test]
fn subdocument_updates_are_refused() {
    let fuzzed = hex("01 01 10 01 09 01 01 09 01 01 7f 00");
    assert_eq!(
        decode_update(&fuzzed).err(),
        Some(GuardError::Malformed("subdocument"))
    );

    let source = Doc::new();
    let map = source.get_or_insert_map("m");
    map.insert(&mut source.transact_mut(), "sub", Doc::new());
    let update = encode_full_state(&source).unwrap();

    let target = new_doc();
    let before = encode_full_state(&target).unwrap();
    assert_eq!(
        apply_update_bytes(&target, &update),
        Err(GuardError::Malformed("subdocument"))
    );
    assert_eq!(encode_full_state(&target).unwrap(), before);
}

/// `structs` counts what an update adds (items and GC blocks), and
/// `block_count` what a document holds, so the server can bound items per
/// document whatever their size in bytes.
#[test]
fn struct_counts_follow_items_not_bytes() {
    let src = Doc::with_options(doc_options(1));
    let log = recorder(&src);
    let text = src.get_or_insert_text("t");
    // 50 one-character items, each its own struct (typed backwards, so
    // yrs cannot merge them).
    for _ in 0..50 {
        text.insert(&mut src.transact_mut(), 0, "x");
    }
    let updates = log.lock().unwrap().clone();
    let dst = new_doc();
    let mut total = 0;
    for u in &updates {
        total += apply_update_bytes(&dst, u).unwrap().structs;
    }
    assert_eq!(total, 50);
    assert_eq!(block_count(&dst), 50);
    assert_eq!(block_count(&new_doc()), 0);
    // One struct for a long run typed forwards.
    let one = Doc::with_options(doc_options(2));
    one.get_or_insert_text("t")
        .insert(&mut one.transact_mut(), 0, &"y".repeat(1000));
    let full = encode_full_state(&one).unwrap();
    let out = apply_update_bytes(&new_doc(), &full).unwrap();
    assert_eq!(out.structs, 1);
}

/// Clients of every struct in `update` (from its state vector).
fn struct_clients(update: &[u8]) -> Vec<u64> {
    let u = Update::decode_v1(update).unwrap();
    u.state_vector().iter().map(|(c, _)| c.get()).collect()
}

/// Content the server writes (new documents, Markdown/HTML imports, initial
/// content, restores) uses 32-bit client ids, as Yjs does: clients that read
/// ids as 32-bit integers would otherwise resend it as new content. yrs'
/// own ids are 53-bit, so one sample of each would already catch them with
/// near certainty; 64 rounds make it certain in practice.
#[test]
fn server_written_content_uses_32_bit_client_ids() {
    use crate::content::{html_to_pm, markdown_to_pm, pm_to_update};
    for _ in 0..64 {
        let mut updates = Vec::new();
        updates.push(pm_to_update(&markdown_to_pm("# T\n\n*hi* there")).unwrap());
        updates.push(pm_to_update(&html_to_pm("<p><b>x</b></p>")).unwrap());

        let doc = new_doc();
        let text = doc.get_or_insert_text("t");
        text.insert(&mut doc.transact_mut(), 0, "abc");
        updates.push(encode_full_state(&doc).unwrap());

        // A restore bringing deleted content back (new structs).
        let live = new_doc();
        apply_update_bytes(&live, &updates[0]).unwrap();
        let old = encode_full_state(&live).unwrap();
        let frag = live.get_or_insert_xml_fragment("default");
        let n = frag.len(&live.transact());
        frag.remove_range(&mut live.transact_mut(), 0, n);
        let restore = crate::restore::restore_update(&live, &old).unwrap();
        assert!(!struct_clients(&restore).is_empty());
        updates.push(restore);

        for u in &updates {
            for c in struct_clients(u) {
                assert!((1..=u64::from(u32::MAX)).contains(&c), "client id {c}");
            }
        }
        let id = random_client_id();
        assert!((1..=u64::from(u32::MAX)).contains(&id));
    }
}
