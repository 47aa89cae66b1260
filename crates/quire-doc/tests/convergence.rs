//! Convergence property test: three clients edit the `default` fragment
//! (paragraphs with XmlText) and a Y.Text at random; every update travels
//! through a "server" doc via `guard::apply_update_bytes` in random order
//! with duplicates, and the server relays its own diffs back. At the end all
//! replicas have equal content and equal state vectors.

use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use quire_doc::guard;
use yrs::{
    ClientID, Doc, GetString, OffsetKind, Options, ReadTxn, StateVector, Text, Transact,
    XmlElementPrelim, XmlFragment, XmlOut, XmlTextPrelim,
};

#[derive(Debug, Clone)]
enum Op {
    InsertText { para: u32, pos: u32, text: String },
    DeleteText { para: u32, pos: u32, len: u32 },
    InsertPara { at: u32, text: String },
    RemovePara { at: u32 },
    PlainInsert { pos: u32, text: String },
    PlainDelete { pos: u32, len: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    let text = "[a-zé😀 ]{1,6}";
    prop_oneof![
        3 => (0u32..4, 0u32..20, text).prop_map(|(para, pos, text)| Op::InsertText { para, pos, text }),
        2 => (0u32..4, 0u32..20, 1u32..5).prop_map(|(para, pos, len)| Op::DeleteText { para, pos, len }),
        2 => (0u32..4, text).prop_map(|(at, text)| Op::InsertPara { at, text }),
        1 => (0u32..4).prop_map(|at| Op::RemovePara { at }),
        1 => (0u32..20, text).prop_map(|(pos, text)| Op::PlainInsert { pos, text }),
        1 => (0u32..20, 1u32..5).prop_map(|(pos, len)| Op::PlainDelete { pos, len }),
    ]
}

fn apply_op(doc: &Doc, op: &Op) {
    let frag = doc.get_or_insert_xml_fragment("default");
    let plain = doc.get_or_insert_text("plain");
    let mut txn = doc.transact_mut();
    let paras = frag.len(&txn);
    let text_of = |txn: &yrs::TransactionMut<'_>, i: u32| match frag.get(txn, i) {
        Some(XmlOut::Element(p)) => match p.get(txn, 0) {
            Some(XmlOut::Text(t)) => Some(t),
            _ => None,
        },
        _ => None,
    };
    match op {
        Op::InsertText { para, pos, text } if paras > 0 => {
            if let Some(t) = text_of(&txn, para % paras) {
                let n = t.len(&txn);
                t.insert(&mut txn, pos % (n + 1), text);
            }
        }
        Op::DeleteText { para, pos, len } if paras > 0 => {
            if let Some(t) = text_of(&txn, para % paras) {
                let n = t.len(&txn);
                if n > 0 {
                    let start = pos % n;
                    t.remove_range(&mut txn, start, (*len).min(n - start));
                }
            }
        }
        Op::InsertPara { at, text } => {
            let p = frag.insert(
                &mut txn,
                at % (paras + 1),
                XmlElementPrelim::empty("paragraph"),
            );
            p.insert(&mut txn, 0, XmlTextPrelim::new(text.as_str()));
        }
        Op::RemovePara { at } if paras > 0 => frag.remove_range(&mut txn, at % paras, 1),
        Op::PlainInsert { pos, text } => {
            let n = plain.len(&txn);
            plain.insert(&mut txn, pos % (n + 1), text);
        }
        Op::PlainDelete { pos, len } => {
            let n = plain.len(&txn);
            if n > 0 {
                let start = pos % n;
                plain.remove_range(&mut txn, start, (*len).min(n - start));
            }
        }
        _ => {}
    }
}

fn snapshot(doc: &Doc) -> (String, String, StateVector) {
    let frag = doc.get_or_insert_xml_fragment("default");
    let plain = doc.get_or_insert_text("plain");
    let txn = doc.transact();
    (
        frag.get_string(&txn),
        plain.get_string(&txn),
        txn.state_vector(),
    )
}

/// A client doc indexing text like JS does (UTF-16 code units).
fn client(id: u64) -> Doc {
    let mut options = Options::with_client_id(ClientID::new(id));
    options.offset_kind = OffsetKind::Utf16;
    Doc::with_options(options)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_through_guarded_server(
        ops in prop::collection::vec((0usize..3, op()), 1..40),
        order_seed in prop::collection::vec(any::<u16>(), 0..200),
        dup_every in 2usize..5,
    ) {
        let clients: Vec<Doc> = (0..3u64).map(|i| client(10 + i)).collect();
        let logs: Vec<Arc<Mutex<Vec<Vec<u8>>>>> = clients.iter().enumerate().map(|(i, d)| {
            let log = Arc::new(Mutex::new(Vec::new()));
            let sink = log.clone();
            d.observe_update_v1(format!("c{i}"), move |_, e| {
                sink.lock().unwrap().push(e.update.clone());
            }).unwrap();
            log
        }).collect();
        for (who, op) in &ops {
            apply_op(&clients[*who], op);
        }
        // Every update, plus duplicates, shuffled.
        let mut queue: Vec<Vec<u8>> = Vec::new();
        for log in &logs {
            for (i, u) in log.lock().unwrap().iter().enumerate() {
                queue.push(u.clone());
                if i % dup_every == 0 {
                    queue.push(u.clone());
                }
            }
        }
        for (i, s) in order_seed.iter().enumerate() {
            if queue.len() > 1 {
                let a = i % queue.len();
                let b = usize::from(*s) % queue.len();
                queue.swap(a, b);
            }
        }
        let server = client(1);
        for u in &queue {
            let out = guard::apply_update_bytes(&server, u);
            prop_assert!(out.is_ok(), "server refused a real update: {out:?}");
        }
        prop_assert!(!server.transact().has_missing_updates());
        // Relay: each client syncs from the server (step1 → step2).
        for c in &clients {
            let sv = guard::decode_state_vector(&guard::state_vector_bytes(c)).unwrap();
            let diff = guard::encode_diff(&server, &sv).unwrap();
            guard::apply_update_bytes(c, &diff).unwrap();
        }
        let expected = snapshot(&server);
        for c in &clients {
            prop_assert_eq!(&snapshot(c), &expected);
        }
        // A late joiner from the full state converges too.
        let late = Doc::new();
        guard::apply_update_bytes(&late, &guard::encode_full_state(&server).unwrap()).unwrap();
        let (f, p, _) = snapshot(&late);
        prop_assert_eq!((&f, &p), (&expected.0, &expected.1));
    }
}
