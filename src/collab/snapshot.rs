//! Snapshots of a document's CRDT state: building a document from storage
//! (newest valid snapshot + the log), verifying a new snapshot before the
//! log it covers can be deleted, and deciding which log rows a snapshot
//! covers.
//!
//! State vectors are always compared as decoded values: yrs encodes a state
//! vector by iterating a hash map, so two equal vectors can encode to
//! different bytes.

use quire_doc::guard;
use sha2::{Digest, Sha256};
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::hub::CollabError;
use crate::store::StoredState;

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
    if super::content::plain_text(&check) != live_text {
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
    let structs_covered = decoded
        .state_vector()
        .iter()
        .all(|(client, clock)| *clock <= sv.get(client));
    structs_covered
        && decoded.delete_set().iter().all(|(client, ranges)| {
            let have = sv.get(client);
            ranges.iter().all(|r| r.end <= have)
        })
}

pub struct BuiltDoc {
    pub doc: Doc,
    pub size: usize,
    /// Log rows newer than the snapshot used.
    pub since_snapshot: u64,
    /// Structs still wait for dependencies that are in no stored update.
    pub missing_updates: bool,
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
            metrics::counter!("quire_snapshot_checksum_failures_total").increment(1);
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
    BuiltDoc {
        doc,
        size,
        since_snapshot,
        missing_updates,
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
        guard::apply_update_bytes(&b, &a.transact().encode_diff_v1(&StateVector::default())).unwrap();
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
            guard::apply_update_bytes(&w, &live.transact().encode_diff_v1(&StateVector::default())).unwrap();
            let len = w.get_or_insert_text("t").get_string(&w.transact()).chars().count() as u32;
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
}
