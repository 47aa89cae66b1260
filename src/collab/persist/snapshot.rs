//! Snapshots of a document's CRDT state: building a document from storage
//! (newest valid snapshot + the log), encoding and verifying a new snapshot
//! before the log it covers can be deleted, and deciding which log rows a
//! snapshot covers.
//!
//! State vectors are always compared as decoded values: yrs encodes a state
//! vector by iterating a hash map, so two equal vectors can encode to
//! different bytes.

use quire_doc::guard;
use sha2::{Digest, Sha256};
use yrs::{Doc, ReadTxn, StateVector, Transact};

use crate::collab::hub::CollabError;
use crate::collab::room::Compacted;
use crate::store::{NewSnapshot, Snapshot, StoredState, StoredUpdate};

pub fn checksum(state: &[u8]) -> String {
    hex::encode(Sha256::digest(state))
}

/// A new snapshot must load back to the live document: the same state
/// vector (as values) and the same text of the body.
pub fn verify(state: &[u8], live_sv: &StateVector, live_text: &str) -> Result<(), CollabError> {
    let check = guard::new_doc();
    guard::apply_update_bytes(&check, state)
        .map_err(|e| CollabError::Encode(format!("snapshot does not load: {e}")))?;
    let sv = check.transact().state_vector();
    if &sv != live_sv {
        return Err(CollabError::Encode(
            "snapshot does not load back to the live state vector".into(),
        ));
    }
    if crate::collab::content::plain_text(&check) != live_text {
        return Err(CollabError::Encode(
            "snapshot does not load back to the live text".into(),
        ));
    }
    Ok(())
}

/// True when a document at state vector `sv` already holds everything the
/// logged `update` carries: every struct and every deleted range lies below
/// `sv`. A row whose structs were still waiting for dependencies (or whose
/// deletions target items not yet known) is not covered and is kept.
/// Row ids say nothing here: on PostgreSQL a lower id can commit after a
/// higher one.
pub fn covers(sv: &StateVector, update: &[u8]) -> bool {
    let Ok(decoded) = guard::decode_update(update) else {
        // Unreadable rows are skipped when loading; deleting them loses nothing.
        return true;
    };
    structs_within(&decoded, sv)
        && decoded.delete_set().iter().all(|(client, ranges)| {
            let have = sv.get(client);
            ranges.iter().all(|r| r.end <= have)
        })
}

/// True when every struct (item or GC range) of `update` lies below `sv`.
/// (`Update::state_vector` is no upper bound: it ignores clients whose
/// blocks do not start at clock 0, as in every incremental update.)
pub fn structs_within(update: &yrs::Update, sv: &StateVector) -> bool {
    update.insertions(true).iter().all(|(client, ranges)| {
        let have = sv.get(client);
        ranges.iter().all(|r| r.end <= have)
    })
}

/// A verified snapshot ready to be written, and what writing it achieves.
pub struct Planned {
    pub snapshot: NewSnapshot,
    pub done: Compacted,
    /// Encoded size and item count of the new state.
    pub size: usize,
    pub items: u64,
}

/// Plans the snapshot of a live document at `state`/`sv`/`text` over the
/// log `updates` read with the newest stored snapshot `previous`: verifies
/// that `state` loads back to the live document, and deletes only the log
/// rows the *previous* snapshot covers (the rows the new one covers are
/// kept for the fallback to the previous snapshot; the next compaction
/// takes them). CPU-bound: run it off the async workers.
pub fn plan(
    doc_id: &str,
    state: Vec<u8>,
    sv: &StateVector,
    text: &str,
    previous: Option<&Snapshot>,
    updates: &[StoredUpdate],
) -> Result<Option<Planned>, CollabError> {
    use yrs::updates::encoder::Encode;
    let Some(last_id) = updates.iter().map(|u| u.id).max() else {
        return Ok(None);
    };
    verify(&state, sv, text)?;
    let prev_sv = previous.and_then(|p| guard::decode_state_vector(&p.state_vector).ok());
    let prev_last = previous.map_or(0, |p| p.last_update_id);
    let delete_ids: Vec<i64> = match &prev_sv {
        Some(prev) => updates
            .iter()
            .filter(|u| covers(prev, &u.data))
            .map(|u| u.id)
            .collect(),
        None => Vec::new(),
    };
    let covered = updates.iter().filter(|u| u.id > prev_last).count() as u64;
    let reclaimable = updates
        .iter()
        .filter(|u| !delete_ids.contains(&u.id) && covers(sv, &u.data))
        .count() as u64;
    let size = state.len();
    let items = guard::walk::scan_update(&state).map_or(0, |s| s.structs);
    Ok(Some(Planned {
        snapshot: NewSnapshot {
            document_id: doc_id.to_string(),
            checksum: checksum(&state),
            state,
            state_vector: sv.encode_v1(),
            last_update_id: last_id,
            delete_update_ids: delete_ids,
        },
        done: Compacted {
            covered,
            reclaimable,
        },
        size,
        items,
    }))
}

pub struct BuiltDoc {
    pub doc: Doc,
    pub size: usize,
    /// Log rows newer than the snapshot used.
    pub since_snapshot: u64,
    /// Structs still wait for dependencies that are in no stored update.
    pub missing_updates: bool,
    /// Blocks (CRDT items) in the document.
    pub items: u64,
}

/// Latest snapshot whose checksum verifies, then every row of the log
/// (rows the snapshot covers are no-ops; rows it does not cover may be
/// older than it). A stored update that fails to apply is logged and
/// skipped (never a panic).
pub fn build_doc(stored: &StoredState) -> BuiltDoc {
    let mut doc = guard::new_doc();
    let mut base = 0;
    let mut size = 0;
    for snap in &stored.snapshots {
        if checksum(&snap.state) != snap.checksum {
            crate::metrics::snapshot_checksum_failure();
            tracing::error!(
                snapshot = snap.id,
                "snapshot checksum mismatch; trying the previous one"
            );
            continue;
        }
        match guard::apply_update_bytes(&doc, &snap.state) {
            Ok(_) => {
                base = snap.last_update_id;
                size = snap.state.len();
                break;
            }
            Err(e) => {
                tracing::error!(snapshot = snap.id, error = %e, "snapshot does not apply; trying the previous one");
                doc = guard::new_doc();
            }
        }
    }
    let mut since_snapshot = 0;
    let mut missing_updates = false;
    for u in &stored.updates {
        match guard::apply_update_bytes(&doc, &u.data) {
            Ok(outcome) => {
                missing_updates = outcome.pending;
                if u.id > base {
                    size += u.data.len();
                    since_snapshot += 1;
                }
            }
            Err(e) => {
                tracing::error!(update = u.id, error = %e, "stored update does not apply; skipped")
            }
        }
    }
    let items = guard::block_count(&doc);
    BuiltDoc {
        doc,
        size,
        since_snapshot,
        missing_updates,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::encoder::Encode;
    use yrs::{GetString, Text};

    fn doc(client: u64) -> Doc {
        Doc::with_options(guard::doc_options(client))
    }

    fn type_into(d: &Doc, at: u32, s: &str) -> Vec<u8> {
        let text = d.get_or_insert_text("t");
        let mut txn = d.transact_mut();
        text.insert(&mut txn, at, s);
        txn.encode_update_v1()
    }

    #[test]
    fn covers_compares_clocks_not_ids() {
        let a = doc(1);
        let u1 = type_into(&a, 0, "hello");
        let u2 = type_into(&a, 5, " world");
        let sv_after_u1 = {
            let d = doc(9);
            guard::apply_update_bytes(&d, &u1).unwrap();
            d.transact().state_vector()
        };
        assert!(covers(&sv_after_u1, &u1));
        assert!(!covers(&sv_after_u1, &u2));
        assert!(covers(&a.transact().state_vector(), &u2));
    }

    #[test]
    fn a_deletion_of_an_unknown_item_is_not_covered() {
        let a = doc(1);
        let _ = type_into(&a, 0, "abc");
        let before = a.transact().state_vector();
        let b = doc(2);
        guard::apply_update_bytes(&b, &a.transact().encode_diff_v1(&StateVector::default()))
            .unwrap();
        let _ = type_into(&b, 3, "def");
        let del = {
            let text = b.get_or_insert_text("t");
            let sv = b.transact().state_vector();
            let mut txn = b.transact_mut();
            text.remove_range(&mut txn, 3, 3);
            drop(txn);
            b.transact().encode_diff_v1(&sv)
        };
        // `before` knows nothing of client 2: the deletion of "def" is not covered.
        assert!(!covers(&before, &del));
        assert!(covers(&b.transact().state_vector(), &del));
    }

    #[test]
    fn verify_accepts_equal_state_regardless_of_encoding_order() {
        // Many clients make the encoded state vector order vary.
        let live = doc(100);
        for c in 1..40u64 {
            let w = doc(c * 7919);
            guard::apply_update_bytes(&w, &live.transact().encode_diff_v1(&StateVector::default()))
                .unwrap();
            let len = w
                .get_or_insert_text("t")
                .get_string(&w.transact())
                .chars()
                .count() as u32;
            let u = type_into(&w, len, "x");
            guard::apply_update_bytes(&live, &u).unwrap();
        }
        let state = guard::encode_full_state(&live).unwrap();
        let sv = live.transact().state_vector();
        let text = crate::collab::content::plain_text(&live);
        for _ in 0..20 {
            verify(&state, &sv, &text).unwrap();
        }
        // A truncated state is refused.
        let mut other = sv.clone();
        other.set_max(yrs::block::ClientID::new(5), 3);
        assert!(verify(&state, &other, &text).is_err());
        let _ = sv.encode_v1();
    }

    mod interleavings {
        use super::super::*;
        use proptest::prelude::*;
        use yrs::types::xml::XmlOut;
        use yrs::{Text, XmlFragment, XmlTextRef};

        fn shared_text<T: ReadTxn>(txn: &T) -> Option<XmlTextRef> {
            let frag = txn.get_xml_fragment("default")?;
            match frag.get(txn, 0)? {
                XmlOut::Element(p) => match p.get(txn, 0)? {
                    XmlOut::Text(t) => Some(t),
                    _ => None,
                },
                _ => None,
            }
        }

        struct Stored {
            snapshots: Vec<Snapshot>,
            log: Vec<StoredUpdate>,
            next_id: i64,
        }

        impl Stored {
            fn append(&mut self, data: Vec<u8>) {
                self.next_id += 1;
                self.log.push(StoredUpdate {
                    id: self.next_id,
                    data,
                });
            }

            /// What compaction does: verify, keep two snapshots,
            /// delete the rows the previous snapshot covers.
            fn compact(&mut self, live: &Doc) {
                let state = guard::encode_full_state(live).unwrap();
                let sv = live.transact().state_vector();
                verify(&state, &sv, &crate::collab::content::plain_text(live))
                    .expect("a snapshot of the live document verifies");
                if let Some(prev) = self.snapshots.first() {
                    let prev_sv = guard::decode_state_vector(&prev.state_vector).unwrap();
                    self.log.retain(|u| !covers(&prev_sv, &u.data));
                }
                use yrs::updates::encoder::Encode;
                self.snapshots.insert(
                    0,
                    Snapshot {
                        id: self.next_id,
                        checksum: checksum(&state),
                        state,
                        state_vector: sv.encode_v1(),
                        last_update_id: self.next_id,
                    },
                );
                self.snapshots.truncate(2);
            }

            fn assert_reloads_to(&self, live: &Doc) {
                let stored = StoredState {
                    snapshots: self.snapshots.clone(),
                    updates: self.log.clone(),
                };
                let built = build_doc(&stored);
                assert_eq!(
                    built.doc.transact().state_vector(),
                    live.transact().state_vector()
                );
                assert_eq!(
                    crate::collab::content::plain_text(&built.doc),
                    crate::collab::content::plain_text(live)
                );
                // The fallback to the older snapshot loses nothing either.
                if self.snapshots.len() == 2 {
                    let older = StoredState {
                        snapshots: self.snapshots[1..].to_vec(),
                        updates: self.log.clone(),
                    };
                    let built = build_doc(&older);
                    assert_eq!(
                        built.doc.transact().state_vector(),
                        live.transact().state_vector()
                    );
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]
            /// Many writers with random client ids, updates delivered to the
            /// server in random interleavings, compaction after every few
            /// deliveries: storage always reloads to the live document.
            #[test]
            fn compaction_under_concurrent_writers_reloads_to_live(
                ids in prop::collection::hash_set(1u64..(1u64 << 32), 2..10),
                ops in prop::collection::vec((0usize..16, 0u8..4, any::<u16>(), "[a-z ]{1,3}"), 1..160),
                compact_every in 1usize..5,
            ) {
                let base = Doc::with_options(guard::doc_options(u64::from(u32::MAX) + 7));
                {
                    let frag = base.get_or_insert_xml_fragment("default");
                    let mut txn = base.transact_mut();
                    let p = frag.insert(&mut txn, 0, yrs::XmlElementPrelim::empty("paragraph"));
                    p.insert(&mut txn, 0, yrs::XmlTextPrelim::new("start"));
                }
                let base_state = guard::encode_full_state(&base).unwrap();
                let live = guard::new_doc();
                guard::apply_update_bytes(&live, &base_state).unwrap();
                let mut stored = Stored { snapshots: Vec::new(), log: Vec::new(), next_id: 0 };
                stored.append(base_state.clone());
                let ids: Vec<u64> = ids.into_iter().collect();
                let writers: Vec<Doc> = ids.iter().map(|id| {
                    let d = Doc::with_options(guard::doc_options(*id));
                    guard::apply_update_bytes(&d, &base_state).unwrap();
                    d
                }).collect();
                let mut outbox: Vec<Vec<Vec<u8>>> = vec![Vec::new(); writers.len()];
                let mut deliveries = 0;
                for (w, kind, r, s) in ops {
                    let w = w % writers.len();
                    let d = &writers[w];
                    match kind {
                        0 | 1 => {
                            let sv = d.transact().state_vector();
                            {
                                let mut txn = d.transact_mut();
                                let Some(t) = shared_text(&txn) else { continue };
                                let len = t.len(&txn);
                                if kind == 0 || len == 0 {
                                    t.insert(&mut txn, u32::from(r) % (len + 1), &s);
                                } else {
                                    let at = u32::from(r) % len;
                                    t.remove_range(&mut txn, at, (len - at).min(3));
                                }
                            }
                            outbox[w].push(d.transact().encode_diff_v1(&sv));
                        }
                        2 => {
                            // Deliver the oldest pending update of writer w.
                            if outbox[w].is_empty() { continue; }
                            let u = outbox[w].remove(0);
                            guard::apply_update_bytes(&live, &u).unwrap();
                            stored.append(u);
                            deliveries += 1;
                            if deliveries % compact_every == 0 {
                                stored.compact(&live);
                                stored.assert_reloads_to(&live);
                            }
                        }
                        _ => {
                            // The writer syncs from the server.
                            let diff = guard::encode_diff(&live, &d.transact().state_vector()).unwrap();
                            guard::apply_update_bytes(d, &diff).unwrap();
                        }
                    }
                }
                for pending in outbox {
                    for u in pending {
                        guard::apply_update_bytes(&live, &u).unwrap();
                        stored.append(u);
                    }
                }
                stored.compact(&live);
                stored.compact(&live);
                stored.assert_reloads_to(&live);
                // Everything integrated: two compactions leave no row behind.
                prop_assert!(stored.log.is_empty(), "{} rows kept", stored.log.len());
            }
        }
    }
}
