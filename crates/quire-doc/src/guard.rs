//! Safe handling of untrusted Yjs bytes.
//!
//! `yrs` 0.28.1 is not safe on hostile input (the known inputs are the
//! regression tests in `guard/tests.rs`): a 4-byte count can make it touch
//! ~257 MB, some updates panic inside
//! `apply_update`, and a "poison" update makes every later
//! `encode_state_as_update_v1` panic. Every function here therefore
//!
//! 1. pre-checks the bytes with a non-allocating structural walk
//!    ([`walk::check_update`], [`walk::check_state_vector`]) that refuses
//!    counts the input cannot back, oversized ids/clocks, deep nesting and
//!    legacy JSON content;
//! 2. runs the `yrs` call inside `catch_unwind`, turning a panic into
//!    [`GuardError::Panicked`];
//! 3. before applying, checks the update against the document
//!    ([`tree`]): no shared type nested deeper than
//!    [`tree::MAX_TYPE_DEPTH`], no shared type left pending, no parent that
//!    is not a type, so a refused update leaves the document untouched;
//! 4. encodes with `encode_diff_v1`, never `encode_state_as_update_v1`.
//!
//! Callers must discard a `Doc` after [`GuardError::Panicked`] from
//! [`apply_update`] (see [`GuardError::doc_may_be_corrupt`]).

pub mod tree;
pub mod walk;

pub use tree::MAX_TYPE_DEPTH;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::lib0::{Reader, write_var_string, write_var_u64};
use thiserror::Error;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut, Update, WriteTxn};

/// Why untrusted Yjs bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GuardError {
    /// The structural pre-check failed; the label says why.
    #[error("malformed input: {0}")]
    Malformed(&'static str),
    /// A bound on size or nesting was exceeded.
    #[error("input too large: {0}")]
    TooLarge(&'static str),
    /// `yrs` refused to decode bytes that passed the pre-check.
    #[error("yrs decode error: {0}")]
    Decode(String),
    /// `yrs` refused to apply a decoded update.
    #[error("yrs apply error: {0}")]
    Apply(String),
    /// Awareness state is not valid JSON.
    #[error("awareness state is not valid JSON")]
    InvalidJson,
    /// `yrs` panicked; the panic was caught.
    #[error("yrs panicked: {0}")]
    Panicked(String),
    /// The update would nest a shared type deeper than the limit (the
    /// value).
    #[error("shared types nested more than {0} levels deep")]
    TypeTooDeep(u32),
    /// The update adds a shared type whose parent is not known yet (a
    /// dependency is missing), so its nesting depth cannot be checked.
    #[error("shared type whose parent is missing")]
    TypeParentMissing,
}

impl GuardError {
    /// Short, bounded label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed(r) => r,
            Self::TooLarge(_) => "too_large",
            Self::Decode(_) => "decode",
            Self::Apply(_) => "apply",
            Self::InvalidJson => "invalid_json",
            Self::Panicked(_) => "panicked",
            Self::TypeTooDeep(_) => "type_too_deep",
            Self::TypeParentMissing => "type_parent_missing",
        }
    }

    /// `true` when the document the call worked on may be partly modified
    /// and must be dropped and reloaded from storage.
    pub fn doc_may_be_corrupt(&self) -> bool {
        matches!(self, Self::Panicked(_) | Self::Apply(_))
    }
}

pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, GuardError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let msg = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "non-string panic payload".to_owned()
        };
        GuardError::Panicked(msg)
    })
}

/// Options for every server-side document: text offsets in UTF-16 code
/// units, like Yjs in the browser. With yrs' default (`OffsetKind::Bytes`)
/// applying a client update whose item starts inside a surrogate pair (an
/// emoji split by a JS client) overflows an offset computation in yrs
/// (`SplittableString::block_offset`; a panic in debug builds, wrapped
/// arithmetic in release). Found by the convergence proptest.
pub fn doc_options(client_id: u64) -> yrs::Options {
    let mut options = yrs::Options::with_client_id(yrs::ClientID::new(client_id));
    options.offset_kind = yrs::OffsetKind::Utf16;
    options
}

/// A random client id in `1..=u32::MAX`.
///
/// yrs picks 53-bit ids, but Yjs only ever creates 32-bit ones, and some
/// clients (pycrdt-websocket, y-py) decode ids as 32-bit integers: content
/// written under a larger id comes back from them as new content, and
/// readers see it twice. Every document here that writes uses one of these.
pub fn random_client_id() -> u64 {
    u64::from(fastrand::u32(1..=u32::MAX))
}

/// A document with [`doc_options`] and a random 32-bit client id
/// ([`random_client_id`]).
pub fn new_doc() -> Doc {
    Doc::with_options(doc_options(random_client_id()))
}

/// Pre-check then decode a state vector (sync step 1 payload).
pub fn decode_state_vector(bytes: &[u8]) -> Result<StateVector, GuardError> {
    walk::check_state_vector(bytes)?;
    guarded(|| StateVector::decode_v1(bytes))?.map_err(|e| GuardError::Decode(e.to_string()))
}

/// Pre-check then decode a v1 update, inside `catch_unwind`.
pub fn decode_update(bytes: &[u8]) -> Result<Update, GuardError> {
    walk::check_update(bytes)?;
    guarded(|| Update::decode_v1(bytes))?.map_err(|e| GuardError::Decode(e.to_string()))
}

/// What applying an update did to the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// The document's state vector or delete set changed (the update was not
    /// a pure duplicate).
    pub changed: bool,
    /// The document now holds updates with missing dependencies.
    pub pending: bool,
    /// Structs (items and GC blocks, not skip blocks) in the applied
    /// update, duplicates of what the document already had included: what
    /// the update can cost in memory, whatever its size in bytes (a
    /// one-character item costs ~60 bytes of memory but 3 on the wire). Pair
    /// with [`block_count`] to bound the items of a document.
    pub structs: u64,
    /// Parked items (whose dependencies were missing) were dropped: they
    /// would have been integrated nested deeper than [`MAX_TYPE_DEPTH`] by
    /// this update, or one of them turned out to hang from a non-type (see
    /// [`tree`]). The update itself was applied.
    pub dropped_pending: bool,
}

/// Apply a decoded update inside `catch_unwind`, after the tree checks
/// (which need the update's bytes, so it is re-encoded first).
///
/// On `Err(Panicked)` (or `Err(Apply)`) the caller must discard the `Doc`,
/// which may be partly modified, and rebuild it from storage. Every other
/// error leaves the document untouched.
pub fn apply_update(doc: &Doc, update: Update) -> Result<ApplyOutcome, GuardError> {
    let bytes = guarded(|| update.encode_v1())?;
    let scan = walk::scan_update(&bytes)?;
    guarded(|| apply_in(&mut doc.transact_mut(), &bytes, scan, update))?
}

/// [`apply_update`] in a transaction carrying `origin` (e.g. to skip echoing
/// an update to its sender, or to let an `UndoManager` track it).
pub fn apply_update_with_origin(
    doc: &Doc,
    update: Update,
    origin: &str,
) -> Result<ApplyOutcome, GuardError> {
    let bytes = guarded(|| update.encode_v1())?;
    let scan = walk::scan_update(&bytes)?;
    guarded(|| apply_in(&mut doc.transact_mut_with(origin), &bytes, scan, update))?
}

/// Check `bytes` (the encoding of `update`) against the document, then
/// apply, in one transaction so nothing can slip in between.
fn apply_in(
    txn: &mut TransactionMut<'_>,
    bytes: &[u8],
    scan: walk::UpdateScan,
    update: Update,
) -> Result<ApplyOutcome, GuardError> {
    // Parked items are re-checked whenever something may let them in.
    let verdict = if scan.tree_refs || txn.store().pending_update().is_some() {
        tree::check(txn, bytes)?
    } else {
        tree::Verdict::default()
    };
    if verdict.drop_pending {
        drop_pending(txn, &update);
    }
    let before = txn.state_vector();
    let mut dropped_pending = verdict.drop_pending;
    if let Err(e) = txn.apply_update(update) {
        // yrs' only apply error is `InvalidParent`, and the tree checks
        // refuse every parent the update or the document shows as a
        // non-type. What is left happens while yrs retries its parked items
        // after integrating this update (a parked item whose named parent
        // arrived as a non-type): yrs has taken the parked items out of the
        // store by then (whatever of them had not been integrated is gone,
        // with this update's own items that had to wait), and the blocks
        // integrated so far are sound, so the document stays usable.
        if txn.store().pending_update().is_some() {
            return Err(GuardError::Apply(e.to_string()));
        }
        dropped_pending = true;
    }
    let changed = txn.state_vector() != before || !txn.delete_set().is_empty();
    let pending = txn.has_missing_updates();
    Ok(ApplyOutcome {
        changed,
        pending,
        structs: scan.structs,
        dropped_pending,
    })
}

/// Empty the document's parked (pending) update, so that yrs cannot
/// integrate it. Its `missing` vector is pointed at clock 0 of a client the
/// document has (or is about to get from `incoming`), which makes yrs
/// retry, and so clear, the now empty pending update at the end of this
/// apply.
fn drop_pending(txn: &mut TransactionMut<'_>, incoming: &Update) {
    let known = txn
        .state_vector()
        .iter()
        .find(|(_, clock)| **clock > 0)
        .map(|(client, _)| *client)
        .or_else(|| {
            incoming
                .state_vector()
                .iter()
                .find(|(_, clock)| **clock > 0)
                .map(|(client, _)| *client)
        });
    if let Some(p) = txn.store_mut().pending_update_mut() {
        p.update = Update::new();
        p.missing = StateVector::default();
        if let Some(client) = known {
            p.missing.set_min(client, 0);
        }
    }
}

/// Decode and apply untrusted v1 update bytes. A refused update (any error
/// but [`GuardError::doc_may_be_corrupt`] ones) leaves `doc` untouched.
pub fn apply_update_bytes(doc: &Doc, bytes: &[u8]) -> Result<ApplyOutcome, GuardError> {
    let scan = walk::scan_update(bytes)?;
    let update =
        guarded(|| Update::decode_v1(bytes))?.map_err(|e| GuardError::Decode(e.to_string()))?;
    guarded(|| apply_in(&mut doc.transact_mut(), bytes, scan, update))?
}

/// Number of blocks (items and GC blocks) in the document's block store,
/// e.g. to bound items per document after loading it. Counted from a full
/// encoding, so it costs about one [`encode_full_state`]; call it at load
/// and keep a running total with [`ApplyOutcome::structs`] after that.
pub fn block_count(doc: &Doc) -> u64 {
    encode_full_state(doc)
        .ok()
        .and_then(|full| walk::scan_update(&full).ok())
        .map_or(0, |scan| scan.structs)
}

/// Encode what a peer with `state_vector` is missing, as a v1 update
/// (`encode_diff_v1`, never `encode_state_as_update_v1`), inside
/// `catch_unwind`.
pub fn encode_diff(doc: &Doc, state_vector: &StateVector) -> Result<Vec<u8>, GuardError> {
    guarded(|| doc.transact().encode_diff_v1(state_vector))
}

/// Encode the whole document as a v1 update (diff against an empty state
/// vector).
pub fn encode_full_state(doc: &Doc) -> Result<Vec<u8>, GuardError> {
    encode_diff(doc, &StateVector::default())
}

/// The document's encoded v1 state vector.
pub fn state_vector_bytes(doc: &Doc) -> Vec<u8> {
    doc.transact().state_vector().encode_v1()
}

/// Merge several v1 updates into one (`yrs::merge_updates_v1`), after
/// pre-checking each and inside `catch_unwind`. Used by compaction.
pub fn merge_updates(updates: &[&[u8]]) -> Result<Vec<u8>, GuardError> {
    for u in updates {
        walk::check_update(u)?;
    }
    guarded(|| yrs::merge_updates_v1(updates.iter().copied()))?
        .map_err(|e| GuardError::Decode(e.to_string()))
}

/// One entry of an awareness update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwarenessEntry {
    /// The awareness client id (< 2^53).
    pub client_id: u64,
    /// The entry's clock; a peer keeps the entry with the highest clock.
    pub clock: u64,
    /// Raw JSON text of the state; `"null"` means the client was removed.
    pub state: String,
}

impl AwarenessEntry {
    /// `true` when this entry announces that the client left.
    pub fn is_removal(&self) -> bool {
        self.state == "null"
    }
}

/// Decode an awareness update: `varuint n, n × {varuint clientID, varuint
/// clock, varstring json}`. Checks the count against the input, UTF-8, JSON
/// validity, `client_id < 2^53`, `clock ≤ u32::MAX`, and no trailing bytes.
pub fn decode_awareness(bytes: &[u8]) -> Result<Vec<AwarenessEntry>, GuardError> {
    let mut r = Reader::new(bytes);
    // Each entry takes at least 3 bytes.
    let n = walk::read_count(&mut r, 3)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let client_id = walk::read_client(&mut r)?;
        let clock = u64::from(r.read_var_u32()?);
        let state = r.read_var_string()?;
        serde_json::from_str::<serde::de::IgnoredAny>(state)
            .map_err(|_| GuardError::InvalidJson)?;
        out.push(AwarenessEntry {
            client_id,
            clock,
            state: state.to_owned(),
        });
    }
    if !r.is_empty() {
        return Err(GuardError::Malformed("trailing_bytes"));
    }
    Ok(out)
}

/// Encode an awareness update (the inverse of [`decode_awareness`]).
pub fn encode_awareness_update(entries: &[AwarenessEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + entries.iter().map(|e| e.state.len() + 24).sum::<usize>());
    write_var_u64(&mut out, entries.len() as u64);
    for e in entries {
        write_var_u64(&mut out, e.client_id);
        write_var_u64(&mut out, e.clock);
        write_var_string(&mut out, &e.state);
    }
    out
}

#[cfg(test)]
mod tests;
