//! A light y-websocket client: a socket with small buffers, a frame parser
//! that never builds a document, and (for writers) a tiny yrs document that
//! holds only this writer's own paragraph.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use quire_doc::lib0::Reader;
use quire_doc::protocol;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use yrs::{Doc, ReadTxn, Text, Transact, WriteTxn, XmlFragment, XmlTextRef};

pub type Ws = WebSocketStream<TcpStream>;

/// The WebSocket path of `doc`: Quire's `/ws/doc/{doc}?token=…`, or for
/// another y-websocket server (`--peer-path`) its template with `{doc}`
/// replaced.
pub fn doc_path(peer_path: Option<&str>, doc: &str, token: &str) -> String {
    match peer_path {
        Some(template) => template.replace("{doc}", doc),
        None => format!("/ws/doc/{doc}?token={token}"),
    }
}

/// Opens `ws://addr{path}` with TCP_NODELAY and small buffers.
pub async fn connect(addr: SocketAddr, path: &str) -> anyhow::Result<Ws> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let url = format!("ws://{addr}{path}");
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(resp) => {
                anyhow::anyhow!("upgrade refused: HTTP {}", resp.status())
            }
            e => anyhow::anyhow!("upgrade failed: {e}"),
        })?;
    Ok(ws)
}

/// Our sync step 1 with an empty state vector (a fresh client).
pub fn empty_step1() -> Vec<u8> {
    protocol::encode_sync_step1(&[0])
}

/// What a frame from the server is, as far as the generator cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    Step1,
    Step2(&'a [u8]),
    /// An incremental update; `origin` = (client, clock) of its first block.
    Update {
        origin: Option<(u64, u64)>,
    },
    /// An awareness update; its payload lists (client, clock, state).
    Awareness(&'a [u8]),
    Ack,
    Other,
}

/// Parses a server frame without building anything.
pub fn parse(frame: &[u8]) -> Frame<'_> {
    let mut r = Reader::new(frame);
    match r.read_var_u64() {
        Ok(0) => match r.read_var_u64() {
            Ok(0) => Frame::Step1,
            Ok(1) => Frame::Step2(r.read_var_bytes().unwrap_or(&[])),
            Ok(2) => Frame::Update {
                origin: r.read_var_bytes().ok().and_then(update_origin),
            },
            _ => Frame::Other,
        },
        Ok(1) => Frame::Awareness(r.read_var_bytes().unwrap_or(&[])),
        Ok(100) => Frame::Ack,
        _ => Frame::Other,
    }
}

/// (client, clock) of the first block of a v1 update: the update starts
/// with the number of clients, then per client the number of blocks, the
/// client id and the clock of its first block.
pub fn update_origin(update: &[u8]) -> Option<(u64, u64)> {
    let mut r = Reader::new(update);
    let clients = r.read_var_u64().ok()?;
    if clients == 0 {
        return None;
    }
    let _blocks = r.read_var_u64().ok()?;
    let client = r.read_var_u64().ok()?;
    let clock = r.read_var_u64().ok()?;
    Some((client, clock))
}

/// (client, clock) of each entry of an awareness update payload; stops at
/// the first malformed entry.
pub fn awareness_entries(payload: &[u8]) -> impl Iterator<Item = (u64, u64)> + '_ {
    let mut r = Reader::new(payload);
    let mut left = r.read_var_u64().unwrap_or(0);
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        left -= 1;
        let client = r.read_var_u64().ok()?;
        let clock = r.read_var_u64().ok()?;
        r.read_var_string().ok()?;
        Some((client, clock))
    })
}

/// An awareness frame announcing `client`'s state at `clock`: a cursor
/// like the one y-prosemirror's cursor plugin keeps (anchor and head as
/// relative positions into the `default` fragment), about 250 bytes.
pub fn awareness_frame(client: u64, clock: u64, name: &str) -> Vec<u8> {
    let pos = clock % 1000;
    let state = format!(
        concat!(
            r##"{{"user":{{"name":"{name}","color":"#30bced"}},"cursor":{{"##,
            r#""anchor":{{"type":{{"client":{client},"clock":0}},"tname":null,"item":{{"client":{client},"clock":{pos}}},"assoc":0}},"#,
            r#""head":{{"type":{{"client":{client},"clock":0}},"tname":null,"item":{{"client":{client},"clock":{pos}}},"assoc":0}}}}}}"#
        ),
        name = name,
        client = client,
        pos = pos
    );
    let mut payload = Vec::with_capacity(state.len() + 24);
    quire_doc::lib0::write_var_u64(&mut payload, 1);
    quire_doc::lib0::write_var_u64(&mut payload, client);
    quire_doc::lib0::write_var_u64(&mut payload, clock);
    quire_doc::lib0::write_var_string(&mut payload, &state);
    protocol::encode_awareness(&payload)
}

/// A writer's own small document: one paragraph in the `default` fragment
/// that only this writer types into. Every edit is a valid Yjs update whose
/// first block carries (client id, clock), which readers use to match it.
pub struct WriterDoc {
    doc: Doc,
    text: Option<XmlTextRef>,
    len: u32,
}

impl WriterDoc {
    pub fn new(client_id: u64) -> Self {
        let doc = Doc::with_options(yrs::Options {
            client_id: yrs::block::ClientID::new(client_id),
            offset_kind: yrs::OffsetKind::Utf16,
            ..Default::default()
        });
        Self {
            doc,
            text: None,
            len: 0,
        }
    }

    /// Types one character; returns (clock of the inserted block, update).
    pub fn type_char(&mut self, c: char) -> (u64, Vec<u8>) {
        let mut txn = self.doc.transact_mut();
        // The update's first block starts at the clock before this edit.
        let clock = txn.state_vector().get(&self.doc.client_id());
        let text = match &self.text {
            Some(t) => t.clone(),
            None => {
                let frag = txn.get_or_insert_xml_fragment("default");
                let len = frag.len(&txn);
                let p = frag.insert(&mut txn, len, yrs::XmlElementPrelim::empty("paragraph"));
                let t = p.insert(&mut txn, 0, yrs::XmlTextPrelim::new(""));
                self.text = Some(t.clone());
                t
            }
        };
        text.insert(&mut txn, self.len, c.encode_utf8(&mut [0; 4]));
        self.len += c.len_utf16() as u32;
        let update = txn.encode_update_v1();
        drop(txn);
        (clock as u64, update)
    }
}

/// Sends step 1 and reads until step 2 arrives; returns its payload size.
pub async fn sync(ws: &mut Ws, timeout: Duration) -> anyhow::Result<usize> {
    ws.send(Message::Binary(empty_step1().into())).await?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .context("timed out waiting for sync step 2")?;
        match msg {
            Some(Ok(Message::Binary(b))) => {
                if let Frame::Step2(p) = parse(&b) {
                    return Ok(p.len());
                }
            }
            Some(Ok(Message::Close(f))) => bail!("closed by server before sync: {f:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => bail!("socket error before sync: {e}"),
            None => bail!("socket closed before sync"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;

    #[test]
    fn writer_updates_are_valid_and_carry_their_origin() {
        let mut w = WriterDoc::new(4242);
        let server = quire_doc::guard::new_doc();
        for (i, c) in "héllo".chars().enumerate() {
            let (clock, update) = w.type_char(c);
            assert!(yrs::Update::decode_v1(&update).is_ok());
            let frame = protocol::encode_update(&update);
            let Frame::Update { origin } = parse(&frame) else {
                panic!("not an update")
            };
            // The first edit also creates the paragraph and its text (2 clocks).
            assert_eq!(clock, if i == 0 { 0 } else { i as u64 + 2 });
            assert_eq!(origin, Some((4242, clock)));
            let outcome = quire_doc::guard::apply_update_bytes(&server, &update).unwrap();
            assert!(outcome.changed && !outcome.pending);
        }
        let xml = {
            use yrs::GetString;
            let f = server.get_or_insert_xml_fragment("default");
            f.get_string(&server.transact())
        };
        assert_eq!(xml, "<paragraph>héllo</paragraph>");
    }

    #[test]
    fn awareness_frames_parse_back_to_their_origin() {
        let frame = awareness_frame(77, 5, "load-1");
        let Frame::Awareness(payload) = parse(&frame) else {
            panic!("not awareness")
        };
        assert_eq!(awareness_entries(payload).collect::<Vec<_>>(), [(77, 5)]);
        // The server's guard accepts it as a well-formed awareness update.
        let entries = quire_doc::guard::decode_awareness(payload).expect("valid awareness");
        assert_eq!(entries.len(), 1);
        let state: serde_json::Value = serde_json::from_str(&entries[0].state).unwrap();
        assert_eq!(state["cursor"]["head"]["item"]["clock"], 5);
        assert!(awareness_entries(&[3, 1]).next().is_none());
    }
}
