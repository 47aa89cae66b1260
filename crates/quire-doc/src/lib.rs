//! Sans-IO document core of Quire.
//!
//! Everything here works on `yrs` documents and bytes only: no sockets, no
//! database, no async. The server (`quire`) builds rooms, storage and HTTP on
//! top of it.
//!
//! - [`protocol`]: the y-websocket wire codec (lib0 varint framing).
//! - [`lib0`]: bounds-checked lib0 varint/bytes reader and writer.
//! - [`guard`]: safe decode/apply/encode of untrusted Yjs bytes.
//! - [`content`]: the `default` XmlFragment as ProseMirror JSON, text,
//!   Markdown and HTML, and back from Markdown/HTML.
//! - [`diff`]: block- and word-level diff of two document texts.
//! - [`restore`]: revert the live document to an old state as a new change.

pub mod anchor;
pub mod content;
pub mod diff;
pub mod guard;
pub mod lib0;
pub mod protocol;
pub mod restore;
