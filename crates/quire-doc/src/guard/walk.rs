//! Structural pre-check of untrusted v1 updates and state vectors.
//!
//! Walks the lib0 v1 update layout exactly as `yrs` 0.28 decodes it (client
//! blocks, struct headers, item content, delete set) without allocating, and
//! rejects anything that would make `yrs` allocate for a count the input
//! cannot back, overflow a clock, recurse without bound, or hit one of the
//! known panics:
//!
//! - every count (clients, structs per client, delete ranges, `Any`
//!   arrays/maps, content lists) must not exceed the bytes that remain, since
//!   each element takes at least one byte;
//! - client ids must be below 2^53 (`ClientID` is 53 bits; larger ids trip a
//!   debug assertion in yrs), clocks and `clock + len` must stay below 2^31
//!   (the `block_store.rs:62` panic, and yrs' `i32` clock offsets);
//! - `Any` values may nest at most [`MAX_ANY_DEPTH`] levels (yrs decodes them
//!   recursively, so deep nesting would overflow the stack, which
//!   `catch_unwind` cannot catch);
//! - legacy `ContentJSON` (ref 2) is refused: yrs 0.28 decodes one more string
//!   than it encodes, which is the "poison update" that makes every later
//!   pending-merge panic. Yjs has not produced it since v13's `ContentAny`;
//! - a client listed twice in the struct section is refused (yrs panics with
//!   `unreachable!()` in `BlockSet::exclude`; found by cargo-fuzz);
//! - subdocuments (`ContentDoc`, ref 9) are refused: unsupported by Quire,
//!   and yrs leaks every document that integrates one (found by cargo-fuzz);
//! - an item referring to its own client's clock at or after its own (as
//!   origin, right origin or parent) is refused: the document's full state
//!   would no longer load (found by cargo-fuzz);
//! - trailing bytes after the delete set are refused.

use super::GuardError;
use crate::lib0::{Lib0Error, Reader};

/// Deepest nesting of `Any` arrays/maps accepted inside an update.
pub const MAX_ANY_DEPTH: usize = 64;
/// Largest clock (and `clock + len`) accepted. yrs 0.28 computes clock
/// offsets as `i32` during integration (`update.rs`), so a block at a clock
/// ≥ 2^31 is mis-placed and panics in `BlockStore::push` (found by
/// cargo-fuzz). One Yjs client never gets near 2^31 operations.
pub const MAX_CLOCK: u64 = i32::MAX as u64;
/// Largest client id Yjs can produce (`ClientID` is a 53-bit number).
pub const MAX_CLIENT_ID: u64 = (1 << 53) - 1;

const BLOCK_GC: u8 = 0;
const BLOCK_SKIP: u8 = 10;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;

const CONTENT_DELETED: u8 = 1;
const CONTENT_JSON: u8 = 2;
const CONTENT_BINARY: u8 = 3;
const CONTENT_STRING: u8 = 4;
const CONTENT_EMBED: u8 = 5;
const CONTENT_FORMAT: u8 = 6;
const CONTENT_TYPE: u8 = 7;
const CONTENT_ANY: u8 = 8;
const CONTENT_DOC: u8 = 9;

const TYPE_XML_ELEMENT: u8 = 3;
/// Type refs yrs 0.28 (without the `weak` feature) accepts, minus 9
/// (`SubDoc`), which Yjs never writes as a type.
const KNOWN_TYPE_REFS: [u8; 8] = [0, 1, 2, 3, 4, 5, 6, 15];

impl From<Lib0Error> for GuardError {
    fn from(e: Lib0Error) -> Self {
        GuardError::Malformed(match e {
            Lib0Error::Truncated => "truncated",
            Lib0Error::VarintOverflow => "varint_overflow",
            Lib0Error::LengthExceedsInput => "length_exceeds_input",
            Lib0Error::InvalidUtf8 => "invalid_utf8",
        })
    }
}

/// Read a count and require that `min_bytes_each × count` bytes remain.
pub(crate) fn read_count(r: &mut Reader<'_>, min_bytes_each: usize) -> Result<usize, GuardError> {
    let n = r.read_var_u64()?;
    let n = usize::try_from(n).map_err(|_| GuardError::Malformed("count_exceeds_input"))?;
    match n.checked_mul(min_bytes_each) {
        Some(need) if need <= r.remaining() => Ok(n),
        _ => Err(GuardError::Malformed("count_exceeds_input")),
    }
}

pub(crate) fn read_client(r: &mut Reader<'_>) -> Result<u64, GuardError> {
    let id = r.read_var_u64()?;
    if id > MAX_CLIENT_ID {
        return Err(GuardError::Malformed("client_id_too_large"));
    }
    Ok(id)
}

/// Read an id an item refers to (origin, right origin, parent). An item
/// may only refer to what its client wrote before it: Yjs never does
/// otherwise, and yrs integrates such an item, but the document's own full
/// state then no longer loads (the earlier clock waits for the later one
/// forever; found by cargo-fuzz), so snapshots would lose it.
fn read_ref(r: &mut Reader<'_>, client: u64, clock: u64) -> Result<(), GuardError> {
    let c = read_client(r)?;
    let k = read_clock(r)?;
    if c == client && k >= clock {
        return Err(GuardError::Malformed("forward_reference"));
    }
    Ok(())
}

fn read_clock(r: &mut Reader<'_>) -> Result<u64, GuardError> {
    let clock = u64::from(r.read_var_u32()?);
    if clock > MAX_CLOCK {
        return Err(GuardError::Malformed("clock_overflow"));
    }
    Ok(clock)
}

fn add_clock(clock: u64, len: u64) -> Result<u64, GuardError> {
    let end = clock.saturating_add(len);
    if end > MAX_CLOCK {
        return Err(GuardError::Malformed("clock_overflow"));
    }
    Ok(end)
}

/// Check an encoded v1 state vector: `varuint n, n × {client, clock}`.
pub fn check_state_vector(bytes: &[u8]) -> Result<(), GuardError> {
    let mut r = Reader::new(bytes);
    let n = read_count(&mut r, 2)?;
    for _ in 0..n {
        read_client(&mut r)?;
        read_clock(&mut r)?;
    }
    finish(&r)
}

/// What the structural walk learned about an update, for the checks that
/// need the document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateScan {
    /// Structs (items and GC blocks) in the update; skip blocks, which only
    /// mark a gap and add nothing to a document, are not counted.
    pub structs: u64,
    /// The update holds a shared type (`ContentType`) or names an item as
    /// a parent: the tree checks of [`super::tree`] have work to do. An
    /// ordinary typing update (text items placed by their neighbours) has
    /// neither, so it never pays for them.
    pub tree_refs: bool,
}

/// Check an encoded v1 update (see the module docs for what is refused).
pub fn check_update(bytes: &[u8]) -> Result<(), GuardError> {
    scan_update(bytes).map(drop)
}

/// [`check_update`], also returning what the walk counted.
pub fn scan_update(bytes: &[u8]) -> Result<UpdateScan, GuardError> {
    let mut scan = UpdateScan::default();
    let mut r = Reader::new(bytes);
    // Each client block has at least 3 header bytes (struct count, client, clock).
    let clients = read_count(&mut r, 3)?;
    // Bounded by the input length (3 bytes per client, checked above).
    let mut seen = std::collections::HashSet::with_capacity(clients);
    for _ in 0..clients {
        // Each struct is at least 2 bytes (info + one more).
        let structs = read_count(&mut r, 2)?;
        let client = read_client(&mut r)?;
        // Yjs writes each client once; a repeated client makes yrs append
        // overlapping blocks to one list and hit `unreachable!()` in
        // `BlockSet::exclude` (found by cargo-fuzz).
        if !seen.insert(client) {
            return Err(GuardError::Malformed("duplicate_client"));
        }
        let mut clock = read_clock(&mut r)?;
        for _ in 0..structs {
            let len = check_struct(&mut r, &mut scan, client, clock)?;
            clock = add_clock(clock, len)?;
        }
    }
    check_delete_set(&mut r)?;
    finish(&r)?;
    Ok(scan)
}

fn finish(r: &Reader<'_>) -> Result<(), GuardError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(GuardError::Malformed("trailing_bytes"))
    }
}

fn check_delete_set(r: &mut Reader<'_>) -> Result<(), GuardError> {
    let clients = read_count(r, 2)?;
    for _ in 0..clients {
        read_client(r)?;
        let ranges = read_count(r, 2)?;
        for _ in 0..ranges {
            let clock = read_clock(r)?;
            let len = u64::from(r.read_var_u32()?);
            add_clock(clock, len)?;
        }
    }
    Ok(())
}

/// Check one struct and return its clock length (an upper bound for strings).
fn check_struct(
    r: &mut Reader<'_>,
    scan: &mut UpdateScan,
    client: u64,
    clock: u64,
) -> Result<u64, GuardError> {
    let info = r.read_u8()?;
    match info {
        BLOCK_SKIP => return nonzero(r.read_var_u32()?),
        BLOCK_GC => {
            scan.structs += 1;
            return nonzero(r.read_var_u32()?);
        }
        _ => {}
    }
    scan.structs += 1;
    let cant_copy_parent_info = info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0;
    if info & HAS_ORIGIN != 0 {
        read_ref(r, client, clock)?;
    }
    if info & HAS_RIGHT_ORIGIN != 0 {
        read_ref(r, client, clock)?;
    }
    if cant_copy_parent_info {
        // yrs reads parent info as a u32 varint; 1 = named root.
        if r.read_var_u32()? == 1 {
            r.read_var_string()?;
        } else {
            read_ref(r, client, clock)?;
            scan.tree_refs = true;
        }
        if info & HAS_PARENT_SUB != 0 {
            r.read_var_string()?;
        }
    }
    if info & 0b1111 == CONTENT_TYPE {
        scan.tree_refs = true;
    }
    check_content(r, info & 0b1111)
}

fn nonzero(len: u32) -> Result<u64, GuardError> {
    if len == 0 {
        Err(GuardError::Malformed("empty_block"))
    } else {
        Ok(u64::from(len))
    }
}

pub(crate) fn check_content(r: &mut Reader<'_>, content_ref: u8) -> Result<u64, GuardError> {
    match content_ref {
        CONTENT_DELETED => nonzero(r.read_var_u32()?),
        CONTENT_JSON => Err(GuardError::Malformed("legacy_json_content")),
        CONTENT_BINARY => {
            r.read_var_bytes()?;
            Ok(1)
        }
        CONTENT_STRING => {
            let s = r.read_var_string()?;
            // yrs counts UTF-16 units or bytes; both are ≤ the UTF-8 length.
            nonzero(u32::try_from(s.len()).map_err(|_| GuardError::Malformed("clock_overflow"))?)
        }
        CONTENT_EMBED => {
            check_json_string(r)?;
            Ok(1)
        }
        CONTENT_FORMAT => {
            r.read_var_string()?;
            check_json_string(r)?;
            Ok(1)
        }
        CONTENT_TYPE => {
            let type_ref = r.read_u8()?;
            if !KNOWN_TYPE_REFS.contains(&type_ref) {
                return Err(GuardError::Malformed("unknown_type_ref"));
            }
            if type_ref == TYPE_XML_ELEMENT {
                r.read_var_string()?;
            }
            Ok(1)
        }
        CONTENT_ANY => {
            let n = read_count(r, 1)?;
            for _ in 0..n {
                check_any(r, 0)?;
            }
            nonzero(u32::try_from(n).map_err(|_| GuardError::Malformed("clock_overflow"))?)
        }
        // Subdocuments: Quire stores one CRDT per document and y-websocket
        // has no way to sync a subdocument's own content, so they are
        // refused. yrs 0.28 also never frees a document that integrated one
        // (an `Arc` cycle between the parent's subdoc table and the subdoc;
        // found by cargo-fuzz under LeakSanitizer), so one such update per
        // connection would leak memory for good.
        CONTENT_DOC => Err(GuardError::Malformed("subdocument")),
        _ => Err(GuardError::Malformed("unknown_content")),
    }
}

/// yrs parses embed/format values with serde_json (recursion-limited); only
/// check that it is a string here.
fn check_json_string(r: &mut Reader<'_>) -> Result<(), GuardError> {
    r.read_var_string()?;
    Ok(())
}

/// Check one lib0 `Any` value, bounding nesting depth.
pub(crate) fn check_any(r: &mut Reader<'_>, depth: usize) -> Result<(), GuardError> {
    if depth >= MAX_ANY_DEPTH {
        return Err(GuardError::TooLarge("any_nesting"));
    }
    match r.read_u8()? {
        127 | 126 | 121 | 120 => Ok(()),
        125 => Ok(r.skip_var_i64()?),
        124 => r.read_bytes(4).map(drop).map_err(Into::into),
        123 | 122 => r.read_bytes(8).map(drop).map_err(Into::into),
        119 => r.read_var_string().map(drop).map_err(Into::into),
        118 => {
            // Each entry: key (≥ 1 byte) + value (≥ 1 byte).
            let n = read_count(r, 2)?;
            for _ in 0..n {
                r.read_var_string()?;
                check_any(r, depth + 1)?;
            }
            Ok(())
        }
        117 => {
            let n = read_count(r, 1)?;
            for _ in 0..n {
                check_any(r, depth + 1)?;
            }
            Ok(())
        }
        116 => r.read_var_bytes().map(drop).map_err(Into::into),
        _ => Err(GuardError::Malformed("unknown_any_tag")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_update_and_state_vector_pass() {
        assert_eq!(check_update(&[0, 0]), Ok(()));
        assert_eq!(check_state_vector(&[0]), Ok(()));
    }

    #[test]
    fn deep_any_nesting_is_refused() {
        // One client, one struct: info = Any content with a named parent.
        let mut u = vec![1, 1, 1, 0, CONTENT_ANY, 1, 1, b'a', 1];
        u.extend(std::iter::repeat_n([117u8, 1], 10_000).flatten());
        u.push(126);
        u.extend([0]);
        assert_eq!(check_update(&u), Err(GuardError::TooLarge("any_nesting")));
    }

    #[test]
    fn shallow_any_nesting_passes() {
        let mut u = vec![1, 1, 1, 0, CONTENT_ANY, 1, 1, b'a', 1];
        u.extend(std::iter::repeat_n([117u8, 1], 10).flatten());
        u.push(126);
        u.extend([0]);
        assert_eq!(check_update(&u), Ok(()));
    }

    #[test]
    fn counts_beyond_input_are_refused() {
        assert_eq!(
            check_update(&[0xf6, 0xa6, 0xf5, 0x64]),
            Err(GuardError::Malformed("count_exceeds_input"))
        );
        assert_eq!(
            check_state_vector(&[0xf6, 0xa6, 0xf5, 0x64]),
            Err(GuardError::Malformed("count_exceeds_input"))
        );
        // Delete set declaring many ranges.
        assert_eq!(
            check_update(&[0, 1, 5, 0xff, 0xff, 0x7f]),
            Err(GuardError::Malformed("count_exceeds_input"))
        );
    }

    /// cargo-fuzz: a GC block at clock ≥ 2^31 for a known client made yrs
    /// skip its Skip-block bookkeeping and panic in `BlockStore::push`.
    #[test]
    fn clocks_from_2_pow_31_are_refused() {
        let fuzzed = [
            0x01, 0x01, 0x01, 0xfe, 0xc9, 0xff, 0xff, 0x0d, 0x00, 0x01, 0x01, 0x01, 0x00,
        ];
        assert_eq!(
            check_update(&fuzzed),
            Err(GuardError::Malformed("clock_overflow"))
        );
        let mut sv = vec![1, 1];
        crate::lib0::write_var_u64(&mut sv, MAX_CLOCK + 1);
        assert_eq!(
            check_state_vector(&sv),
            Err(GuardError::Malformed("clock_overflow"))
        );
        let mut ok = vec![1, 1];
        crate::lib0::write_var_u64(&mut ok, MAX_CLOCK);
        assert_eq!(check_state_vector(&ok), Ok(()));
    }

    /// cargo-fuzz (nested_types): client 3 wrote clocks 8.. first, then
    /// clock 7 naming its own clock 24 as parent. yrs took both, but the
    /// document's full state then parked clock 7 forever on reload.
    #[test]
    fn references_forward_in_the_same_client_are_refused() {
        // Client 3, clock 7: a string whose parent is (3, 24).
        let u = [1, 1, 3, 7, CONTENT_STRING, 0, 3, 24, 1, b'x', 0];
        assert_eq!(
            check_update(&u),
            Err(GuardError::Malformed("forward_reference"))
        );
        // Its own clock as origin, and the second struct pointing at itself.
        let u = [1, 1, 3, 7, CONTENT_STRING | HAS_ORIGIN, 3, 7, 1, b'x', 0];
        assert_eq!(
            check_update(&u),
            Err(GuardError::Malformed("forward_reference"))
        );
        let u = [
            1,
            2,
            3,
            7,
            CONTENT_STRING,
            1,
            1,
            b't',
            2,
            b'a',
            b'b',
            CONTENT_STRING | HAS_RIGHT_ORIGIN,
            3,
            9,
            1,
            b'x',
            0,
        ];
        assert_eq!(
            check_update(&u),
            Err(GuardError::Malformed("forward_reference"))
        );
        // Earlier clocks and other clients are fine.
        let ok = [
            1,
            2,
            3,
            7,
            CONTENT_STRING,
            1,
            1,
            b't',
            2,
            b'a',
            b'b',
            CONTENT_STRING | HAS_ORIGIN,
            3,
            8,
            1,
            b'x',
            0,
        ];
        assert_eq!(check_update(&ok), Ok(()));
        let other = [1, 1, 3, 7, CONTENT_STRING, 0, 4, 24, 1, b'x', 0];
        assert_eq!(check_update(&other), Ok(()));
    }

    #[test]
    fn delete_range_clock_overflow_is_refused() {
        let mut u = vec![0, 1, 5, 1];
        crate::lib0::write_var_u64(&mut u, u64::from(u32::MAX));
        u.push(2);
        assert_eq!(
            check_update(&u),
            Err(GuardError::Malformed("clock_overflow"))
        );
    }
}
