//! The y-websocket wire codec (y-protocols messages in lib0 encoding).
//!
//! A WebSocket frame carries exactly one message:
//! `varuint type`, then for sync `varuint subtype` + `varUint8Array payload`,
//! for awareness a `varUint8Array` payload, for query-awareness nothing.
//! Decoding borrows the payload from the frame; it never copies or
//! allocates, so it is safe to run on untrusted input. The payloads
//! themselves (state vectors, updates, awareness) are checked by
//! [`crate::guard`]. The numbers (message types, close codes, the editor
//! schema version) are in [`constants`].

use crate::lib0::{Lib0Error, Reader, write_var_bytes, write_var_string, write_var_u64};
use thiserror::Error;

pub mod constants;

pub use constants::*;

/// One decoded client → server message. Payloads borrow from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientMessage<'a> {
    /// Sync step 1: the client's encoded state vector.
    SyncStep1 {
        /// Encoded (v1) state vector, not yet validated.
        state_vector: &'a [u8],
    },
    /// Sync step 2: what the server is missing, as a v1 update.
    SyncStep2 {
        /// Encoded v1 update, not yet validated.
        update: &'a [u8],
    },
    /// An incremental v1 update.
    Update {
        /// Encoded v1 update, not yet validated.
        update: &'a [u8],
    },
    /// An awareness update (see [`crate::guard::decode_awareness`]).
    Awareness {
        /// Encoded awareness update, not yet validated.
        update: &'a [u8],
    },
    /// Request for all awareness states.
    QueryAwareness,
    /// An auth message. Clients have no business sending one; the server
    /// rejects it, but it decodes so the rejection can be precise.
    Auth {
        /// `Some(reason)` for permission-denied, `None` for granted.
        denied_reason: Option<&'a str>,
    },
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ProtocolError {
    /// The frame ended in the middle of a message (or was empty).
    #[error("frame is truncated")]
    Truncated,
    /// A varint was longer than 10 bytes or exceeded 64 bits.
    #[error("varint overflows 64 bits")]
    VarintOverflow,
    /// A length prefix points past the end of the frame.
    #[error("length prefix exceeds frame")]
    LengthExceedsFrame,
    /// A string was not valid UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// Bytes remain after one complete message.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
    /// Unknown or unsupported top-level message type.
    #[error("unknown message type {0}")]
    UnknownType(u64),
    /// Unknown sync subtype.
    #[error("unknown sync message type {0}")]
    UnknownSyncType(u64),
    /// Unknown auth subtype.
    #[error("unknown auth message type {0}")]
    UnknownAuthType(u64),
}

impl ProtocolError {
    /// Short, bounded label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::VarintOverflow => "varint_overflow",
            Self::LengthExceedsFrame => "length_exceeds_frame",
            Self::InvalidUtf8 => "invalid_utf8",
            Self::TrailingBytes(_) => "trailing_bytes",
            Self::UnknownType(_) => "unknown_type",
            Self::UnknownSyncType(_) => "unknown_sync_type",
            Self::UnknownAuthType(_) => "unknown_auth_type",
        }
    }

    /// WebSocket close code: 1003 for an unknown/unsupported message type,
    /// 1008 (policy violation) for malformed data.
    pub fn close_code(&self) -> u16 {
        match self {
            Self::UnknownType(_) | Self::UnknownSyncType(_) | Self::UnknownAuthType(_) => {
                CLOSE_UNSUPPORTED
            }
            _ => CLOSE_POLICY,
        }
    }
}

impl From<Lib0Error> for ProtocolError {
    fn from(e: Lib0Error) -> Self {
        match e {
            Lib0Error::Truncated => Self::Truncated,
            Lib0Error::VarintOverflow => Self::VarintOverflow,
            Lib0Error::LengthExceedsInput => Self::LengthExceedsFrame,
            Lib0Error::InvalidUtf8 => Self::InvalidUtf8,
        }
    }
}

/// Decode one client message from one WebSocket frame. Trailing bytes after
/// the message are an error.
pub fn decode_client_message(frame: &[u8]) -> Result<ClientMessage<'_>, ProtocolError> {
    let mut r = Reader::new(frame);
    let msg = match r.read_var_u64()? {
        MSG_SYNC => match r.read_var_u64()? {
            SYNC_STEP1 => ClientMessage::SyncStep1 {
                state_vector: r.read_var_bytes()?,
            },
            SYNC_STEP2 => ClientMessage::SyncStep2 {
                update: r.read_var_bytes()?,
            },
            SYNC_UPDATE => ClientMessage::Update {
                update: r.read_var_bytes()?,
            },
            other => return Err(ProtocolError::UnknownSyncType(other)),
        },
        MSG_AWARENESS => ClientMessage::Awareness {
            update: r.read_var_bytes()?,
        },
        MSG_QUERY_AWARENESS => ClientMessage::QueryAwareness,
        MSG_AUTH => match r.read_var_u64()? {
            AUTH_PERMISSION_DENIED => ClientMessage::Auth {
                denied_reason: Some(r.read_var_string()?),
            },
            AUTH_PERMISSION_GRANTED => ClientMessage::Auth {
                denied_reason: None,
            },
            other => return Err(ProtocolError::UnknownAuthType(other)),
        },
        other => return Err(ProtocolError::UnknownType(other)),
    };
    match r.remaining() {
        0 => Ok(msg),
        n => Err(ProtocolError::TrailingBytes(n)),
    }
}

fn sync_message(subtype: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 12);
    write_var_u64(&mut out, MSG_SYNC);
    write_var_u64(&mut out, subtype);
    write_var_bytes(&mut out, payload);
    out
}

/// Frame a sync step 1 (our state vector).
pub fn encode_sync_step1(state_vector: &[u8]) -> Vec<u8> {
    sync_message(SYNC_STEP1, state_vector)
}

/// Frame a sync step 2 (the diff the peer is missing).
pub fn encode_sync_step2(update: &[u8]) -> Vec<u8> {
    sync_message(SYNC_STEP2, update)
}

/// Frame an incremental update.
pub fn encode_update(update: &[u8]) -> Vec<u8> {
    sync_message(SYNC_UPDATE, update)
}

/// Frame an awareness update.
pub fn encode_awareness(awareness_update: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(awareness_update.len() + 6);
    write_var_u64(&mut out, MSG_AWARENESS);
    write_var_bytes(&mut out, awareness_update);
    out
}

/// Frame a query-awareness request.
pub fn encode_query_awareness() -> Vec<u8> {
    let mut out = Vec::with_capacity(1);
    write_var_u64(&mut out, MSG_QUERY_AWARENESS);
    out
}

/// Frame an auth permission-denied message (`[2, 0, varstring reason]`).
pub fn encode_auth_denied(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(reason.len() + 8);
    write_var_u64(&mut out, MSG_AUTH);
    write_var_u64(&mut out, AUTH_PERMISSION_DENIED);
    write_var_string(&mut out, reason);
    out
}

/// Frame Quire's durable-acknowledgement message (`[100, varuint count]`).
pub fn encode_ack(count: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(12);
    write_var_u64(&mut out, MSG_QUIRE_ACK);
    write_var_u64(&mut out, count);
    out
}

/// Frame a Quire live event (`[101, varstring json]`).
pub fn encode_event(json: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 8);
    write_var_u64(&mut out, MSG_QUIRE_EVENT);
    write_var_string(&mut out, json);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_messages_round_trip() {
        let payload = [1u8, 2, 3, 200];
        assert_eq!(
            decode_client_message(&encode_sync_step1(&payload)),
            Ok(ClientMessage::SyncStep1 {
                state_vector: &payload
            })
        );
        assert_eq!(
            decode_client_message(&encode_sync_step2(&payload)),
            Ok(ClientMessage::SyncStep2 { update: &payload })
        );
        assert_eq!(
            decode_client_message(&encode_update(&payload)),
            Ok(ClientMessage::Update { update: &payload })
        );
        assert_eq!(encode_update(&payload), [0, 2, 4, 1, 2, 3, 200]);
    }

    #[test]
    fn large_payload_length_prefix_round_trips() {
        let payload = vec![7u8; 300];
        let frame = encode_update(&payload);
        assert_eq!(&frame[..4], &[0, 2, 0xac, 0x02]);
        assert_eq!(
            decode_client_message(&frame),
            Ok(ClientMessage::Update { update: &payload })
        );
    }

    #[test]
    fn awareness_query_and_auth_round_trip() {
        let payload = [0u8];
        assert_eq!(
            decode_client_message(&encode_awareness(&payload)),
            Ok(ClientMessage::Awareness { update: &payload })
        );
        assert_eq!(encode_query_awareness(), [3]);
        assert_eq!(
            decode_client_message(&encode_query_awareness()),
            Ok(ClientMessage::QueryAwareness)
        );
        assert_eq!(
            decode_client_message(&encode_auth_denied("no")),
            Ok(ClientMessage::Auth {
                denied_reason: Some("no")
            })
        );
        assert_eq!(
            decode_client_message(&[2, 1]),
            Ok(ClientMessage::Auth {
                denied_reason: None
            })
        );
    }

    #[test]
    fn event_encoding_and_clients_may_not_send_events() {
        let frame = encode_event(r#"{"type":"role"}"#);
        let mut r = Reader::new(&frame);
        assert_eq!(r.read_var_u64(), Ok(MSG_QUIRE_EVENT));
        assert_eq!(r.read_var_string(), Ok(r#"{"type":"role"}"#));
        assert!(r.is_empty());
        // The same frame from a client is an unsupported message type.
        let err = decode_client_message(&frame).unwrap_err();
        assert_eq!(err, ProtocolError::UnknownType(MSG_QUIRE_EVENT));
        assert_eq!(err.close_code(), CLOSE_UNSUPPORTED);
    }

    #[test]
    fn ack_encoding() {
        assert_eq!(encode_ack(0), [100, 0]);
        assert_eq!(encode_ack(300), [100, 0xac, 0x02]);
        // Clients may not send it: it is a server → client message.
        assert_eq!(
            decode_client_message(&encode_ack(1)),
            Err(ProtocolError::UnknownType(MSG_QUIRE_ACK))
        );
    }

    #[test]
    fn each_error_variant() {
        let cases: &[(&[u8], ProtocolError, &str, u16)] = &[
            (&[], ProtocolError::Truncated, "truncated", CLOSE_POLICY),
            (&[0], ProtocolError::Truncated, "truncated", CLOSE_POLICY),
            (&[0, 2], ProtocolError::Truncated, "truncated", CLOSE_POLICY),
            (
                &[0, 2, 3, 1],
                ProtocolError::LengthExceedsFrame,
                "length_exceeds_frame",
                CLOSE_POLICY,
            ),
            (
                &[0, 0, 0xf6, 0xa6, 0xf5, 0x64],
                ProtocolError::LengthExceedsFrame,
                "length_exceeds_frame",
                CLOSE_POLICY,
            ),
            (
                &[
                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                ],
                ProtocolError::VarintOverflow,
                "varint_overflow",
                CLOSE_POLICY,
            ),
            (
                &[0, 2, 1, 9, 9],
                ProtocolError::TrailingBytes(1),
                "trailing_bytes",
                CLOSE_POLICY,
            ),
            (
                &[3, 0],
                ProtocolError::TrailingBytes(1),
                "trailing_bytes",
                CLOSE_POLICY,
            ),
            (
                &[7],
                ProtocolError::UnknownType(7),
                "unknown_type",
                CLOSE_UNSUPPORTED,
            ),
            (
                &[0, 5, 0],
                ProtocolError::UnknownSyncType(5),
                "unknown_sync_type",
                CLOSE_UNSUPPORTED,
            ),
            (
                &[2, 9],
                ProtocolError::UnknownAuthType(9),
                "unknown_auth_type",
                CLOSE_UNSUPPORTED,
            ),
            (
                &[2, 0, 1, 0xff],
                ProtocolError::InvalidUtf8,
                "invalid_utf8",
                CLOSE_POLICY,
            ),
        ];
        for (frame, err, reason, code) in cases {
            let got = decode_client_message(frame);
            assert_eq!(got, Err(*err), "frame {frame:02x?}");
            assert_eq!(err.reason(), *reason);
            assert_eq!(err.close_code(), *code);
        }
    }

    #[test]
    fn multi_byte_type_varint_is_decoded_as_a_number() {
        // 128 encoded as a varint is an unknown type, not 0 with garbage.
        assert_eq!(
            decode_client_message(&[0x80, 0x01]),
            Err(ProtocolError::UnknownType(128))
        );
    }

    #[test]
    fn yrs_encoded_messages_decode() {
        use yrs::updates::encoder::Encode;
        use yrs::{ReadTxn, Transact};
        let doc = yrs::Doc::with_client_id(1);
        let sv = doc.transact().state_vector();
        let msg = yrs::sync::Message::Sync(yrs::sync::SyncMessage::SyncStep1(sv.clone()));
        let frame = msg.encode_v1();
        assert_eq!(
            decode_client_message(&frame),
            Ok(ClientMessage::SyncStep1 {
                state_vector: &sv.encode_v1()
            })
        );
    }
}
