//! The protocol's numbers, defined once: WebSocket close codes the server
//! sends, y-websocket message types and subtypes, and the editor schema
//! version.
//!
//! Every constant is declared through [`constants!`], which also lists it in
//! [`ALL`] with its doc comment. [`typescript`] renders that list as the web
//! client's `web/src/protocol.gen.ts` (`quire codegen protocol` prints it),
//! so the server and the browser cannot disagree on a number.

use std::fmt::Write as _;

/// What a constant is, for grouping in generated code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A WebSocket close code (or a bound of a close-code range).
    Close,
    /// A top-level y-websocket message type.
    Message,
    /// A subtype inside a sync or auth message.
    Subtype,
    /// A version number negotiated on connect.
    Version,
}

/// One protocol constant: its name, value and documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Constant {
    /// What it is.
    pub kind: Kind,
    /// The Rust (and TypeScript) name.
    pub name: &'static str,
    /// The value (every constant fits in 64 bits and in a JS number).
    pub value: u64,
    /// The doc comment, one line per `///` line.
    pub doc: &'static str,
}

/// Declares each constant and lists it in [`ALL`].
macro_rules! constants {
    ($( $(#[doc = $doc:literal])+ $kind:ident $name:ident: $ty:ty = $value:expr; )*) => {
        $( $(#[doc = $doc])+ pub const $name: $ty = $value; )*

        /// Every constant of this module, in declaration order.
        pub const ALL: &[Constant] = &[$(
            Constant {
                kind: Kind::$kind,
                name: stringify!($name),
                value: $name as u64,
                doc: concat!($($doc, "\n"),+),
            },
        )*];
    };
}

constants! {
    /// Close: normal closure.
    Close CLOSE_NORMAL: u16 = 1000;
    /// Close: going away (the server closes an idle connection with it).
    Close CLOSE_GOING_AWAY: u16 = 1001;
    /// Close: WebSocket protocol error (a broken frame).
    Close CLOSE_PROTOCOL_ERROR: u16 = 1002;
    /// Close: unsupported data (a text frame, an unknown message type, an
    /// auth message from a client).
    Close CLOSE_UNSUPPORTED: u16 = 1003;
    /// Close: the peer sent a close frame without a code (never sent, only
    /// reported).
    Close CLOSE_NO_STATUS: u16 = 1005;
    /// Close: a text frame was not valid UTF-8.
    Close CLOSE_INVALID_UTF8: u16 = 1007;
    /// Close: policy violation (malformed data, a message flood).
    Close CLOSE_POLICY: u16 = 1008;
    /// Close: a message is larger than the server accepts.
    Close CLOSE_TOO_BIG: u16 = 1009;
    /// Close: internal error (the document could not be loaded).
    Close CLOSE_INTERNAL: u16 = 1011;
    /// Close: service restart (shutdown, or the document is reloading);
    /// reconnect.
    Close CLOSE_RESTART: u16 = 1012;
    /// Close: try again later (the client is too slow, storage is behind);
    /// reconnect and resync.
    Close CLOSE_TRY_AGAIN: u16 = 1013;
    /// First close code of the permanent range: y-websocket clients do not
    /// reconnect after a code in 4400–4499.
    Close CLOSE_PERMANENT_FIRST: u16 = 4400;
    /// Last close code of the permanent range.
    Close CLOSE_PERMANENT_LAST: u16 = 4499;
    /// Close (permanent): not signed in, the session expired or the token
    /// was revoked.
    Close CLOSE_UNAUTHENTICATED: u16 = 4401;
    /// Close (permanent): access to the document was revoked.
    Close CLOSE_FORBIDDEN: u16 = 4403;
    /// Close (permanent): the document was deleted.
    Close CLOSE_GONE: u16 = 4404;
    /// Close (permanent): the document (or the user's share of documents)
    /// is over its size bound.
    Close CLOSE_DOC_TOO_LARGE: u16 = 4413;
    /// Close (permanent): the editor's schema (`?schema=`) is older than
    /// the server's; reload the page.
    Close CLOSE_SCHEMA_OUTDATED: u16 = 4426;

    /// Message type: document sync.
    Message MSG_SYNC: u64 = 0;
    /// Message type: awareness (presence) update.
    Message MSG_AWARENESS: u64 = 1;
    /// Message type: auth (y-protocols `auth.js`).
    Message MSG_AUTH: u64 = 2;
    /// Message type: ask the other side to send all awareness states.
    Message MSG_QUERY_AWARENESS: u64 = 3;
    /// Quire's opt-in message (`?acks=1`): "all your updates up to now are
    /// durable". Payload: varuint total of this connection's updates made
    /// durable so far.
    Message MSG_QUIRE_ACK: u64 = 100;
    /// Quire's opt-in message (`?events=1`): a live document event (metadata,
    /// role, members, version, …). Payload: varstring holding one JSON
    /// object with a `type` field. Server to client only: a client sending
    /// it is closed.
    Message MSG_QUIRE_EVENT: u64 = 101;

    /// Sync subtype: state vector of the sender.
    Subtype SYNC_STEP1: u64 = 0;
    /// Sync subtype: the update the receiver is missing.
    Subtype SYNC_STEP2: u64 = 1;
    /// Sync subtype: an incremental update.
    Subtype SYNC_UPDATE: u64 = 2;
    /// Auth subtype: permission denied, followed by a varstring reason.
    Subtype AUTH_PERMISSION_DENIED: u64 = 0;
    /// Auth subtype: permission granted (yrs extension, no payload).
    Subtype AUTH_PERMISSION_GRANTED: u64 = 1;

    /// The editor schema version this server speaks: a client connecting
    /// with an older `?schema=` is closed with [`CLOSE_SCHEMA_OUTDATED`].
    /// Bump it when the editor's nodes or marks change.
    /// 2: the suggestion marks (`insertion`, `deletion`, `modification`),
    /// and the rich-content nodes: tables (`table`, `tableRow`,
    /// `tableHeader`, `tableCell`), task lists (`taskList`, `taskItem`) and
    /// block images (`image`).
    Version EDITOR_SCHEMA_VERSION: u32 = 2;
}

/// True for a close code after which clients must not reconnect.
pub fn is_permanent_close(code: u16) -> bool {
    (CLOSE_PERMANENT_FIRST..=CLOSE_PERMANENT_LAST).contains(&code)
}

/// The command that regenerates `web/src/protocol.gen.ts`.
pub const TYPESCRIPT_COMMAND: &str =
    "cargo run --bin quire -- codegen protocol > web/src/protocol.gen.ts";

/// The web client's `protocol.gen.ts`: every constant of [`ALL`] as an
/// exported TypeScript `const`, with its doc comment.
pub fn typescript() -> String {
    let mut out = String::new();
    out.push_str("// Generated by `quire codegen protocol` from the server's protocol constants\n");
    out.push_str("// (crates/quire-doc/src/protocol/constants.rs). Do not edit: regenerate with\n");
    let _ = writeln!(out, "//   {TYPESCRIPT_COMMAND}");
    let mut last = None;
    for c in ALL {
        if last != Some(c.kind) {
            out.push('\n');
            last = Some(c.kind);
        }
        let doc = c
            .doc
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
            .replace("[`", "`")
            .replace("`]", "`");
        let _ = writeln!(out, "/** {doc} */");
        let _ = writeln!(out, "export const {} = {};", c.name, c.value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_close_codes_are_unique() {
        let mut names: Vec<_> = ALL.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        let mut codes: Vec<_> = ALL
            .iter()
            .filter(|c| c.kind == Kind::Close)
            .map(|c| c.value)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(
            codes.len(),
            ALL.iter().filter(|c| c.kind == Kind::Close).count()
        );
    }

    #[test]
    fn permanent_range() {
        for code in [
            CLOSE_UNAUTHENTICATED,
            CLOSE_FORBIDDEN,
            CLOSE_GONE,
            CLOSE_DOC_TOO_LARGE,
            CLOSE_SCHEMA_OUTDATED,
        ] {
            assert!(is_permanent_close(code), "{code}");
        }
        for code in [CLOSE_RESTART, CLOSE_TRY_AGAIN, CLOSE_TOO_BIG, CLOSE_POLICY] {
            assert!(!is_permanent_close(code), "{code}");
        }
    }

    #[test]
    fn typescript_lists_every_constant_with_its_doc() {
        let ts = typescript();
        assert!(ts.contains("/** Close: normal closure. */\nexport const CLOSE_NORMAL = 1000;\n"));
        assert!(ts.contains("export const CLOSE_SCHEMA_OUTDATED = 4426;\n"));
        assert!(ts.contains("with `CLOSE_SCHEMA_OUTDATED`. Bump it"));
        assert_eq!(ts.matches("export const ").count(), ALL.len());
    }
}
