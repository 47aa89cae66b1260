//! Fuzz target: arbitrary bytes through the y-websocket codec and the guard.
//!
//! libfuzzer-sys installs a panic hook that aborts, so even a panic that the
//! guard's `catch_unwind` would contain is reported as a crash: the
//! structural pre-check is expected to stop every input yrs would panic on.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use quire_doc::guard::{self, GuardError};
use quire_doc::protocol::{self, ClientMessage};
use yrs::XmlElementPrelim;
use yrs::{Doc, GetString, StateVector, Text, Transact, WriteTxn, XmlFragment, XmlTextPrelim};

/// A small document with a paragraph and a Y.Text, so fuzzed updates can
/// reference existing structure (client 1, clocks from 0).
fn seed_state() -> &'static [u8] {
    static SEED: OnceLock<Vec<u8>> = OnceLock::new();
    SEED.get_or_init(|| {
        let doc = Doc::with_options(guard::doc_options(1));
        let frag = doc.get_or_insert_xml_fragment("default");
        let text = doc.get_or_insert_text("t");
        {
            let mut txn = doc.transact_mut();
            let p = frag.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
            let t = p.insert(&mut txn, 0, XmlTextPrelim::new("hello world"));
            t.remove_range(&mut txn, 2, 3);
            text.insert(&mut txn, 0, "abc");
            let _ = txn.get_or_insert_map("m");
        }
        guard::encode_full_state(&doc).unwrap_or_default()
    })
}

fn fresh_doc() -> Doc {
    let doc = Doc::with_options(guard::doc_options(2));
    let _ = guard::apply_update_bytes(&doc, seed_state());
    doc
}

fn no_panic<T>(r: &Result<T, GuardError>) {
    if let Err(GuardError::Panicked(msg)) = r {
        panic!("yrs panicked behind the guard: {msg}");
    }
}

fn exercise_update(bytes: &[u8]) {
    let doc = fresh_doc();
    let applied = guard::apply_update_bytes(&doc, bytes);
    no_panic(&applied);
    if let Err(e) = &applied
        && e.doc_may_be_corrupt()
    {
        return;
    }
    // After any accepted (possibly pending) update, encoding must still work.
    no_panic(&guard::encode_full_state(&doc));
    no_panic(&guard::encode_diff(&doc, &StateVector::default()));
    let _ = guard::state_vector_bytes(&doc);
    let _ = doc
        .get_or_insert_xml_fragment("default")
        .get_string(&doc.transact());
    no_panic(&guard::merge_updates(&[seed_state(), bytes]));
}

fn exercise_state_vector(bytes: &[u8]) {
    let sv = guard::decode_state_vector(bytes);
    no_panic(&sv);
    if let Ok(sv) = sv {
        no_panic(&guard::encode_diff(&fresh_doc(), &sv));
    }
}

fn exercise_awareness(bytes: &[u8]) {
    if let Ok(entries) = guard::decode_awareness(bytes) {
        let again = guard::encode_awareness_update(&entries);
        assert_eq!(guard::decode_awareness(&again).ok(), Some(entries));
    }
}

fuzz_target!(|data: &[u8]| {
    match protocol::decode_client_message(data) {
        Ok(ClientMessage::SyncStep1 { state_vector }) => exercise_state_vector(state_vector),
        Ok(ClientMessage::SyncStep2 { update } | ClientMessage::Update { update }) => {
            exercise_update(update)
        }
        Ok(ClientMessage::Awareness { update }) => exercise_awareness(update),
        Ok(ClientMessage::QueryAwareness | ClientMessage::Auth { .. }) => {}
        Err(e) => {
            let _ = (e.reason(), e.close_code());
            // Also feed the raw bytes as each payload kind, so the fuzzer
            // does not have to discover the envelope first.
            exercise_state_vector(data);
            exercise_update(data);
            exercise_awareness(data);
        }
    }
});
