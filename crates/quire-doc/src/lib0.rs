//! Minimal lib0 (Yjs binary encoding) reader and writer.
//!
//! Only what the y-websocket envelope, awareness updates and the update
//! pre-check need: unsigned and signed variable-length integers, raw bytes,
//! length-prefixed byte arrays and strings. Every read is bounds-checked and
//! a length prefix is compared with the remaining input *before* anything is
//! allocated, so hostile length fields cannot trigger large allocations.

use thiserror::Error;

/// Maximum encoded size of a 64-bit varuint (10 × 7 bits ≥ 64 bits).
const MAX_VARINT_BYTES: usize = 10;

/// Errors from reading lib0-encoded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Lib0Error {
    /// The input ended in the middle of a value.
    #[error("unexpected end of input")]
    Truncated,
    /// A varint was longer than 10 bytes or did not fit into 64 bits.
    #[error("variable-length integer overflows 64 bits")]
    VarintOverflow,
    /// A length prefix is larger than the bytes that remain.
    #[error("length prefix exceeds remaining input")]
    LengthExceedsInput,
    /// A string was not valid UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
}

/// A cursor over a byte slice that reads lib0 values.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Start reading at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Number of bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// `true` when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Current offset from the start of the buffer.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Read one byte.
    pub fn read_u8(&mut self) -> Result<u8, Lib0Error> {
        let b = *self.buf.get(self.pos).ok_or(Lib0Error::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    /// Read exactly `len` raw bytes.
    pub fn read_bytes(&mut self, len: usize) -> Result<&'a [u8], Lib0Error> {
        if len > self.remaining() {
            return Err(Lib0Error::Truncated);
        }
        let end = self.pos + len;
        let out = self.buf.get(self.pos..end).ok_or(Lib0Error::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    /// Read an unsigned lib0 varint (7 bits per byte, little endian, high bit =
    /// continuation). Rejects encodings longer than 10 bytes or above `u64::MAX`.
    pub fn read_var_u64(&mut self) -> Result<u64, Lib0Error> {
        let mut value: u64 = 0;
        for i in 0..MAX_VARINT_BYTES {
            let byte = self.read_u8()?;
            let bits = u64::from(byte & 0x7f);
            let shift = 7 * i as u32;
            if i == MAX_VARINT_BYTES - 1 && bits > 1 {
                // The 10th byte may only carry bit 63.
                return Err(Lib0Error::VarintOverflow);
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Lib0Error::VarintOverflow)
    }

    /// Read a varuint that must fit in `u32` (clocks, lengths).
    pub fn read_var_u32(&mut self) -> Result<u32, Lib0Error> {
        u32::try_from(self.read_var_u64()?).map_err(|_| Lib0Error::VarintOverflow)
    }

    /// Read a varuint length and check it against the remaining input.
    pub fn read_len(&mut self) -> Result<usize, Lib0Error> {
        let len = self.read_var_u64()?;
        match usize::try_from(len) {
            Ok(len) if len <= self.remaining() => Ok(len),
            _ => Err(Lib0Error::LengthExceedsInput),
        }
    }

    /// Skip a signed lib0 varint (first byte: continuation, sign, 6 bits).
    /// At most 10 bytes are accepted, like the unsigned form.
    pub fn skip_var_i64(&mut self) -> Result<(), Lib0Error> {
        for _ in 0..MAX_VARINT_BYTES {
            if self.read_u8()? & 0x80 == 0 {
                return Ok(());
            }
        }
        Err(Lib0Error::VarintOverflow)
    }

    /// Read a varuint-length-prefixed byte array (`readVarUint8Array`). The
    /// length is checked against the remaining input before anything else.
    pub fn read_var_bytes(&mut self) -> Result<&'a [u8], Lib0Error> {
        let len = self.read_len()?;
        self.read_bytes(len)
    }

    /// Read a varuint-length-prefixed UTF-8 string (`readVarString`).
    pub fn read_var_string(&mut self) -> Result<&'a str, Lib0Error> {
        let bytes = self.read_var_bytes()?;
        std::str::from_utf8(bytes).map_err(|_| Lib0Error::InvalidUtf8)
    }
}

/// Append an unsigned lib0 varint.
pub fn write_var_u64(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Append a varuint-length-prefixed byte array (`writeVarUint8Array`).
pub fn write_var_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_var_u64(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Append a varuint-length-prefixed UTF-8 string (`writeVarString`).
pub fn write_var_string(out: &mut Vec<u8>, s: &str) {
    write_var_bytes(out, s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_var_u64(&mut out, v);
        out
    }

    #[test]
    fn varint_round_trips_at_boundaries() {
        for v in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            (1 << 53) - 1,
            1 << 63,
            u64::MAX,
        ] {
            let bytes = enc(v);
            let mut r = Reader::new(&bytes);
            assert_eq!(r.read_var_u64(), Ok(v), "value {v}");
            assert!(r.is_empty());
        }
        assert_eq!(enc(127), [0x7f]);
        assert_eq!(enc(128), [0x80, 0x01]);
        assert_eq!(enc(u64::MAX).len(), 10);
    }

    #[test]
    fn varint_overflow_is_rejected() {
        // 11 continuation bytes.
        let long = [0xffu8; 11];
        assert_eq!(
            Reader::new(&long).read_var_u64(),
            Err(Lib0Error::VarintOverflow)
        );
        // 10 bytes but the last carries more than bit 63.
        let mut too_big = vec![0xffu8; 9];
        too_big.push(0x02);
        assert_eq!(
            Reader::new(&too_big).read_var_u64(),
            Err(Lib0Error::VarintOverflow)
        );
        // u32 reader rejects 2^32.
        let b = enc(1 << 32);
        assert_eq!(
            Reader::new(&b).read_var_u32(),
            Err(Lib0Error::VarintOverflow)
        );
    }

    #[test]
    fn truncated_inputs_are_rejected() {
        assert_eq!(Reader::new(&[]).read_var_u64(), Err(Lib0Error::Truncated));
        assert_eq!(
            Reader::new(&[0x80]).read_var_u64(),
            Err(Lib0Error::Truncated)
        );
        assert_eq!(
            Reader::new(&[0x05, 1, 2]).read_var_bytes(),
            Err(Lib0Error::LengthExceedsInput)
        );
        // A huge declared length is rejected before any allocation.
        assert_eq!(
            Reader::new(&[0xf6, 0xa6, 0xf5, 0x64]).read_var_bytes(),
            Err(Lib0Error::LengthExceedsInput)
        );
    }

    #[test]
    fn strings_round_trip_and_utf8_is_checked() {
        let mut out = Vec::new();
        write_var_string(&mut out, "héllo");
        let mut r = Reader::new(&out);
        assert_eq!(r.read_var_string(), Ok("héllo"));
        assert_eq!(
            Reader::new(&[0x01, 0xff]).read_var_string(),
            Err(Lib0Error::InvalidUtf8)
        );
    }

    #[test]
    fn signed_varint_is_skipped() {
        let mut r = Reader::new(&[0x81, 0x80, 0x01, 0x07]);
        assert_eq!(r.skip_var_i64(), Ok(()));
        assert_eq!(r.read_u8(), Ok(7));
        assert_eq!(
            Reader::new(&[0xff; 11]).skip_var_i64(),
            Err(Lib0Error::VarintOverflow)
        );
    }
}
