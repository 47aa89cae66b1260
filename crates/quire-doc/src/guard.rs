//! Safe handling of untrusted Yjs bytes.
//!
//! `yrs` 0.28.1 is not safe on hostile input (see `notes/rust-stack.md`
//! §1.6): a 4-byte count can make it touch ~257 MB, some updates panic inside
//! `apply_update`, and a "poison" update makes every later
//! `encode_state_as_update_v1` panic. Every function here therefore
//!
//! 1. pre-checks the bytes with a non-allocating structural walk
//!    ([`walk::check_update`], [`walk::check_state_vector`]) that refuses
//!    counts the input cannot back, oversized ids/clocks, deep nesting and
//!    legacy JSON content;
//! 2. runs the `yrs` call inside `catch_unwind`, turning a panic into
//!    [`GuardError::Panicked`];
//! 3. encodes with `encode_diff_v1`, never `encode_state_as_update_v1`.
//!
//! Callers must discard a `Doc` after [`GuardError::Panicked`] from
//! [`apply_update`] (see [`GuardError::doc_may_be_corrupt`]).

pub mod walk;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::lib0::{Reader, write_var_string, write_var_u64};
use thiserror::Error;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut, Update};

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

/// A document with [`doc_options`] and a random client id.
pub fn new_doc() -> Doc {
    Doc::with_options(yrs::Options {
        offset_kind: yrs::OffsetKind::Utf16,
        ..Default::default()
    })
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
}

/// Apply a decoded update inside `catch_unwind`.
///
/// On `Err(Panicked)` (or `Err(Apply)`) the caller must discard the `Doc`,
/// which may be partly modified, and rebuild it from storage.
pub fn apply_update(doc: &Doc, update: Update) -> Result<ApplyOutcome, GuardError> {
    guarded(|| apply_in(&mut doc.transact_mut(), update))?
}

/// [`apply_update`] in a transaction carrying `origin` (e.g. to skip echoing
/// an update to its sender, or to let an `UndoManager` track it).
pub fn apply_update_with_origin(
    doc: &Doc,
    update: Update,
    origin: &str,
) -> Result<ApplyOutcome, GuardError> {
    guarded(|| apply_in(&mut doc.transact_mut_with(origin), update))?
}

fn apply_in(txn: &mut TransactionMut<'_>, update: Update) -> Result<ApplyOutcome, GuardError> {
    let before = txn.state_vector();
    txn.apply_update(update)
        .map_err(|e| GuardError::Apply(e.to_string()))?;
    let changed = txn.state_vector() != before || !txn.delete_set().is_empty();
    let pending = txn.has_missing_updates();
    Ok(ApplyOutcome { changed, pending })
}

/// Decode and apply untrusted v1 update bytes.
pub fn apply_update_bytes(doc: &Doc, bytes: &[u8]) -> Result<ApplyOutcome, GuardError> {
    apply_update(doc, decode_update(bytes)?)
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
