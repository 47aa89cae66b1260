//! Fuzz target: structurally valid updates through the guard's tree checks.
//!
//! The fuzzer's bytes drive a generator (`arbitrary::Unstructured`) that
//! writes well-formed v1 updates from a few clients: shared types
//! (XmlElement, XmlText, Map, Array) nested in chains of random depth, up
//! to well past `MAX_TYPE_DEPTH`; strings; parents that are roots, earlier
//! types, earlier strings (invalid) or ids nobody wrote (missing); items
//! placed by an origin instead; deletes of random ranges. The updates are
//! applied to one document in random order (each client's own in order). Checked after every apply: no
//! panic, never a "document may be corrupt" error (the checks run before
//! yrs), a refused update leaves the state vector and content unchanged;
//! at the end the document re-encodes and re-loads to the same state
//! vector (compared decoded: yrs encodes state vectors in hash-map order)
//! when nothing was ever parked (see the open finding below).

#![no_main]

use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use quire_doc::guard::{self, MAX_TYPE_DEPTH};
use quire_doc::lib0::{write_var_string, write_var_u64};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Transact, Update};

const TYPE_REFS: [u8; 4] = [3, 6, 1, 0]; // XmlElement, XmlText, Map, Array

#[derive(Clone, Copy)]
struct Known {
    client: u64,
    clock: u32,
    is_type: bool,
}

enum Parent {
    Root(&'static str),
    Id(u64, u32),
    Origin(u64, u32),
}

struct Gen {
    clocks: [u32; 5],
    known: Vec<Known>,
}

impl Gen {
    fn parent(&self, u: &mut Unstructured<'_>) -> ArbResult<Parent> {
        Ok(match u.int_in_range(0..=9)? {
            0 | 1 => Parent::Root(if u.arbitrary()? { "default" } else { "m" }),
            2 => Parent::Id(u.int_in_range(2..=6)?, u.int_in_range(0..=40)?),
            _ if self.known.is_empty() => Parent::Root("default"),
            n => {
                let k = self.known[u.choose_index(self.known.len())?];
                if n < 7 {
                    Parent::Id(k.client, k.clock)
                } else {
                    Parent::Origin(k.client, k.clock)
                }
            }
        })
    }

    /// One update from `client`: `n` structs (a chain when `chain`).
    fn update(&mut self, u: &mut Unstructured<'_>, client: u64) -> ArbResult<Vec<u8>> {
        let idx = (client - 2) as usize;
        let start = self.clocks[idx];
        let chain = u.ratio(1, 4)?;
        let n: u32 = if chain {
            u.int_in_range(1..=MAX_TYPE_DEPTH + 40)?
        } else {
            u.int_in_range(1..=8)?
        };
        let mut body = Vec::new();
        let mut clock = start;
        for i in 0..n {
            let is_type = chain || u.ratio(1, 2)?;
            let parent = if chain && i > 0 {
                Parent::Id(client, clock - 1)
            } else {
                self.parent(u)?
            };
            let content: u8 = if is_type { 7 } else { 4 };
            match parent {
                Parent::Root(name) => {
                    // Entries of the "m" root carry a key (parent_sub).
                    let keyed = name == "m";
                    body.push(if keyed {
                        content | 0b0010_0000
                    } else {
                        content
                    });
                    body.push(1);
                    write_var_string(&mut body, name);
                    if keyed {
                        write_var_string(&mut body, "k");
                    }
                }
                Parent::Id(c, k) => {
                    body.push(content);
                    body.push(0);
                    write_var_u64(&mut body, c);
                    write_var_u64(&mut body, u64::from(k));
                }
                Parent::Origin(c, k) => {
                    body.push(content | 0b1000_0000);
                    write_var_u64(&mut body, c);
                    write_var_u64(&mut body, u64::from(k));
                }
            }
            let len = if is_type {
                let t = TYPE_REFS[u.choose_index(TYPE_REFS.len())?];
                body.push(t);
                if t == 3 {
                    write_var_string(&mut body, "div");
                }
                1
            } else {
                let s = ["a", "bc", "def"][u.choose_index(3)?];
                write_var_string(&mut body, s);
                s.len() as u32
            };
            self.known.push(Known {
                client,
                clock,
                is_type,
            });
            clock += len;
        }
        self.clocks[idx] = clock;
        let mut out = Vec::new();
        write_var_u64(&mut out, 1);
        write_var_u64(&mut out, u64::from(n));
        write_var_u64(&mut out, client);
        write_var_u64(&mut out, u64::from(start));
        out.extend(body);
        // Delete set: a few random ranges over what exists.
        let dels: Vec<Known> = (0..u.int_in_range(0..=2)?)
            .filter_map(|_| {
                (!self.known.is_empty())
                    .then(|| u.choose_index(self.known.len()).ok().map(|i| self.known[i]))
                    .flatten()
            })
            .collect();
        write_var_u64(&mut out, dels.len() as u64);
        for k in &dels {
            write_var_u64(&mut out, k.client);
            write_var_u64(&mut out, 1);
            write_var_u64(&mut out, u64::from(k.clock));
            write_var_u64(&mut out, 1 + u64::from(k.is_type));
        }
        Ok(out)
    }
}

/// What must not change when an update is refused.
fn observe(doc: &Doc) -> (StateVector, String, bool) {
    let frag = doc.get_or_insert_xml_fragment("default");
    let txn = doc.transact();
    (
        txn.state_vector(),
        frag.get_string(&txn),
        txn.has_missing_updates(),
    )
}

fn run(u: &mut Unstructured<'_>) -> ArbResult<()> {
    let mut g = Gen {
        clocks: [0; 5],
        known: Vec::new(),
    };
    let mut made = Vec::new();
    for _ in 0..u.int_in_range(1..=6)? {
        let client = u.int_in_range(2..=6)?;
        made.push((client, g.update(u, client)?));
    }
    // Random delivery order across clients; each client's own updates in
    // the order it wrote them, as one connection delivers them. (Out of
    // order within a client, two hostile clients can build a dependency
    // cycle through yrs' skip blocks that the document's own full state
    // cannot reload: an open finding, kept in regressions/.)
    let mut updates = Vec::new();
    while !made.is_empty() {
        let (client, _) = made[u.choose_index(made.len())?];
        let first = made.iter().position(|(c, _)| *c == client).unwrap_or(0);
        updates.push(made.remove(first).1);
    }
    let doc = Doc::with_options(guard::doc_options(1));
    let mut parked = false;
    for bytes in &updates {
        let before = observe(&doc);
        match guard::apply_update_bytes(&doc, bytes) {
            Ok(out) => parked |= out.pending,
            Err(e) => {
                if e.doc_may_be_corrupt() && std::env::var_os("NESTED_DEBUG").is_some() {
                    for (i, b) in updates.iter().enumerate() {
                        eprintln!("update {i}: {b:02x?}");
                    }
                }
                assert!(!e.doc_may_be_corrupt(), "corrupting error: {e:?}");
                assert_eq!(observe(&doc), before, "refusal changed the doc: {e:?}");
            }
        }
    }
    let full = guard::encode_full_state(&doc).expect("encode");
    // Open finding: once items were parked, yrs may integrate later blocks
    // of a client past a gap, and two hostile clients can then build a
    // dependency cycle that the document's own full state cannot reload
    // (see regressions/). The reload property is checked for histories
    // that never parked anything.
    if parked {
        return Ok(());
    }
    let again = Doc::with_options(guard::doc_options(1));
    guard::apply_update_bytes(&again, &full).expect("reload");
    let sv = nonzero(&doc.transact().state_vector());
    if std::env::var_os("NESTED_DEBUG").is_some() {
        for (i, b) in updates.iter().enumerate() {
            eprintln!("update {i}: {b:02x?}");
        }
        eprintln!("full: {full:02x?}");
        eprintln!(
            "doc pending {} again pending {}",
            doc.transact().has_missing_updates(),
            again.transact().has_missing_updates()
        );
    }
    assert_eq!(nonzero(&again.transact().state_vector()), sv);
    let decoded = Update::decode_v1(&full).expect("decode").state_vector();
    assert_eq!(nonzero(&decoded), sv);
    Ok(())
}

/// A state vector's entries with a clock above 0, sorted: yrs may list a
/// client at clock 0 in a document (e.g. after integrating a skip) that an
/// encoded update never mentions.
fn nonzero(sv: &StateVector) -> Vec<(u64, u32)> {
    let mut v: Vec<(u64, u32)> = sv
        .iter()
        .filter(|(_, clock)| **clock > 0)
        .map(|(c, clock)| (c.get(), *clock))
        .collect();
    v.sort_unstable();
    v
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
