//! Revert the live document to an old state as a new CRDT change.
//!
//! This is a "git revert", never a reset (history is kept and a client's
//! concurrent or offline edits are not thrown away): a temporary document
//! is loaded from the old full state, brought forward to the live state
//! under a tracked origin, and that step is undone with a `yrs`
//! `UndoManager`. The undo is itself an ordinary change, so the returned
//! update merges like any edit: connected clients see it at once and an
//! offline client's later edits merge on top.

use crate::guard::{self, GuardError};
use thiserror::Error;
use yrs::undo::Options as UndoOptions;
use yrs::{Doc, Origin, Out, ReadTxn, StateVector, Transact, UndoManager};

/// Name of the rich-text root every client edits.
pub const DEFAULT_ROOT: &str = "default";
const RESTORE_ORIGIN: &str = "quire-restore";
/// How many random client ids to try before giving up on a fresh one.
const CLIENT_ID_ATTEMPTS: usize = 64;

/// Why a restore update could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RestoreError {
    /// The old state (or an intermediate diff) was refused by the guard.
    #[error("invalid state: {0}")]
    Guard(#[from] GuardError),
    /// No client id distinct from the live document's could be found.
    #[error("could not pick a fresh client id")]
    ClientId,
}

impl RestoreError {
    /// Short, bounded label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Guard(e) => e.reason(),
            Self::ClientId => "client_id",
        }
    }
}

/// Compute a v1 update that, applied to `live`, makes the `default`
/// XmlFragment (and every other root type present in `old_state` or `live`
/// with a known type) equal to the content in `old_state`, a full-state v1
/// update saved earlier from the same document's history.
///
/// `live` is only read. Apply the result to `live` (e.g. with
/// [`guard::apply_update_bytes`]) and broadcast it like any update. If the
/// content already equals `old_state` the update is empty (a no-op).
///
/// Limitation: a root that exists only in `live` and whose type `live` never
/// defined locally (`Out::UndefinedRef`) is not tracked, so it is not reverted.
pub fn restore_update(live: &Doc, old_state: &[u8]) -> Result<Vec<u8>, RestoreError> {
    let old = guard::decode_update(old_state)?;
    let live_sv = live.transact().state_vector();
    let old_sv = old.state_vector();
    let tmp = fresh_doc(&live_sv, &old_sv)?;

    // The default fragment first, so it is typed before the old state lands.
    tmp.get_or_insert_xml_fragment(DEFAULT_ROOT);
    guard::apply_update(&tmp, old)?;

    let mut um: UndoManager = UndoManager::with_options(UndoOptions::default());
    // Roots with a known type in live: define the same type in tmp.
    let live_roots: Vec<(String, Out)> = {
        let txn = live.transact();
        txn.root_refs().map(|(k, v)| (k.to_owned(), v)).collect()
    };
    for (name, out) in &live_roots {
        define_like(&tmp, name, out);
    }
    // Every root now present in tmp (old state's roots included) is tracked.
    let tmp_roots: Vec<Out> = {
        let txn = tmp.transact();
        txn.root_refs().map(|(_, v)| v).collect()
    };
    for out in &tmp_roots {
        expand_scope(&mut um, &tmp, out);
    }
    um.include_origin(Origin::from(RESTORE_ORIGIN));

    let tmp_sv = tmp.transact().state_vector();
    let since = guard::encode_diff(live, &tmp_sv)?;
    let since = guard::decode_update(&since)?;
    guard::apply_update_with_origin(&tmp, since, RESTORE_ORIGIN)?;

    guard::guarded(|| um.undo_blocking())?;
    drop(um);
    Ok(guard::encode_diff(&tmp, &live_sv)?)
}

/// A document whose random 32-bit client id
/// ([`guard::random_client_id`]) is used neither by `live` nor by the old
/// state.
fn fresh_doc(live_sv: &StateVector, old_sv: &StateVector) -> Result<Doc, RestoreError> {
    for _ in 0..CLIENT_ID_ATTEMPTS {
        let doc = guard::new_doc();
        let id = doc.client_id();
        if !live_sv.contains_client(&id) && !old_sv.contains_client(&id) {
            return Ok(doc);
        }
    }
    Err(RestoreError::ClientId)
}

fn define_like(tmp: &Doc, name: &str, out: &Out) {
    match out {
        Out::YText(_) => {
            tmp.get_or_insert_text(name);
        }
        Out::YArray(_) => {
            tmp.get_or_insert_array(name);
        }
        Out::YMap(_) => {
            tmp.get_or_insert_map(name);
        }
        Out::YXmlFragment(_) | Out::YXmlElement(_) | Out::YXmlText(_) => {
            tmp.get_or_insert_xml_fragment(name);
        }
        _ => {}
    }
}

fn expand_scope(um: &mut UndoManager, doc: &Doc, out: &Out) {
    match out {
        Out::YText(r) => um.expand_scope(doc, r),
        Out::YArray(r) => um.expand_scope(doc, r),
        Out::YMap(r) => um.expand_scope(doc, r),
        Out::YXmlElement(r) => um.expand_scope(doc, r),
        Out::YXmlFragment(r) => um.expand_scope(doc, r),
        Out::YXmlText(r) => um.expand_scope(doc, r),
        Out::UndefinedRef(r) => um.expand_scope(doc, r),
        Out::Any(_) | Out::YDoc(_) => {}
    }
}

#[cfg(test)]
mod tests;
