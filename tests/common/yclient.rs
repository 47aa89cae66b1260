//! A minimal y-websocket client over a real `yrs` document, for tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use quire_doc::guard;
use quire_doc::protocol;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update, WriteTxn, XmlFragment};

pub type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

pub struct YClient {
    pub doc: Doc,
    pub ws: Ws,
    /// Awareness states seen: client id → (clock, JSON).
    pub awareness: HashMap<u64, (u64, String)>,
    pub close: Option<CloseFrame>,
    pub acks: u64,
    pub frames: u64,
    /// Live events received (message type 101), oldest first.
    pub events: Vec<serde_json::Value>,
    /// Sync step 1 messages received from the server.
    pub step1s: u64,
}

/// Upgrade refused: the HTTP status.
pub async fn connect_status(url: &str) -> Result<Ws, u16> {
    match tokio_tungstenite::connect_async(url).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("connect {url}: {e}"),
    }
}

impl YClient {
    pub async fn connect(base_http: &str, doc_id: &str, token: &str) -> Self {
        Self::connect_with(base_http, doc_id, token, "").await
    }

    pub async fn connect_with(base_http: &str, doc_id: &str, token: &str, extra: &str) -> Self {
        let url = format!(
            "{}/ws/doc/{doc_id}?token={token}{extra}",
            base_http.replace("http://", "ws://")
        );
        let ws = connect_status(&url)
            .await
            .unwrap_or_else(|s| panic!("upgrade refused: {s}"));
        let mut c = Self {
            doc: Doc::new(),
            ws,
            awareness: HashMap::new(),
            close: None,
            acks: 0,
            frames: 0,
            events: Vec::new(),
            step1s: 0,
        };
        let sv = c.doc.transact().state_vector().encode_v1();
        c.send(protocol::encode_sync_step1(&sv)).await;
        c
    }

    /// Closes the socket but keeps the document (going offline).
    pub async fn disconnect(&mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Reconnects with the same document: the standard sync exchange sends
    /// offline edits and receives what was missed.
    pub async fn reconnect(&mut self, base_http: &str, doc_id: &str, token: &str) {
        let url = format!(
            "{}/ws/doc/{doc_id}?token={token}",
            base_http.replace("http://", "ws://")
        );
        self.ws = connect_status(&url)
            .await
            .unwrap_or_else(|s| panic!("upgrade refused: {s}"));
        self.close = None;
        let sv = self.doc.transact().state_vector().encode_v1();
        self.send(protocol::encode_sync_step1(&sv)).await;
    }

    /// A local edit that is not sent (the client is offline).
    pub fn edit_offline(&mut self, f: impl FnOnce(&mut yrs::TransactionMut<'_>)) {
        let mut txn = self.doc.transact_mut();
        f(&mut txn);
    }

    /// Plain text of the `default` fragment: paragraphs' text joined by newlines.
    pub fn paragraphs(&self) -> Vec<String> {
        use yrs::types::xml::XmlOut;
        let txn = self.doc.transact();
        let Some(frag) = txn.get_xml_fragment("default") else {
            return Vec::new();
        };
        frag.children(&txn)
            .map(|c| match c {
                XmlOut::Element(e) => e
                    .children(&txn)
                    .map(|t| match t {
                        XmlOut::Text(t) => t.get_string(&txn),
                        _ => String::new(),
                    })
                    .collect::<String>(),
                XmlOut::Text(t) => t.get_string(&txn),
                XmlOut::Fragment(_) => String::new(),
            })
            .collect()
    }

    /// This client's Yjs client id (also its awareness id).
    pub fn id(&self) -> u64 {
        self.doc.client_id().get()
    }

    pub async fn send(&mut self, frame: Vec<u8>) {
        let _ = self.ws.send(Message::Binary(frame.into())).await;
    }

    /// Applies a local edit and sends it as an update.
    pub async fn edit(&mut self, f: impl FnOnce(&mut yrs::TransactionMut<'_>, &Doc)) {
        let before = self.doc.transact().state_vector();
        {
            let doc = self.doc.clone();
            let mut txn = self.doc.transact_mut();
            f(&mut txn, &doc);
        }
        let update = self.doc.transact().encode_diff_v1(&before);
        self.send(protocol::encode_update(&update)).await;
    }

    /// Appends a paragraph with `text` to the `default` fragment.
    pub async fn add_paragraph(&mut self, text: &str) {
        let text = text.to_string();
        self.edit(move |txn, _| {
            let frag = txn.get_or_insert_xml_fragment("default");
            let len = frag.len(txn);
            let p = frag.insert(txn, len, yrs::XmlElementPrelim::empty("paragraph"));
            let t = p.insert(txn, 0, yrs::XmlTextPrelim::new(""));
            t.push(txn, &text);
        })
        .await;
    }

    /// Appends to a Y.Text named `t`.
    pub async fn append_text(&mut self, s: &str) {
        let s = s.to_string();
        self.edit(move |txn, _| {
            let t = txn.get_or_insert_text("t");
            let len = t.len(txn);
            t.insert(txn, len, &s);
        })
        .await;
    }

    pub fn text(&self) -> String {
        let t = self.doc.get_or_insert_text("t");
        t.get_string(&self.doc.transact())
    }

    pub fn xml(&self) -> String {
        let f = self.doc.get_or_insert_xml_fragment("default");
        f.get_string(&self.doc.transact())
    }

    pub fn state(&self) -> Vec<u8> {
        self.doc.transact().encode_diff_v1(&StateVector::default())
    }

    /// Handles one incoming frame; false when the socket closed or timed out.
    pub async fn pump_one(&mut self, wait: Duration) -> bool {
        let msg = match tokio::time::timeout(wait, self.ws.next()).await {
            Err(_) => return false,
            Ok(None) => return false,
            Ok(Some(Err(_))) => return false,
            Ok(Some(Ok(m))) => m,
        };
        match msg {
            Message::Binary(b) => {
                self.frames += 1;
                self.handle(&b).await;
                true
            }
            Message::Close(frame) => {
                self.close = frame;
                false
            }
            _ => true,
        }
    }

    async fn handle(&mut self, b: &[u8]) {
        use quire_doc::lib0::Reader;
        let mut r = Reader::new(b);
        let Ok(kind) = r.read_var_u64() else { return };
        match kind {
            0 => {
                let sub = r.read_var_u64().unwrap_or(99);
                let payload = r.read_var_bytes().unwrap_or(&[]).to_vec();
                match sub {
                    0 => {
                        self.step1s += 1;
                        let sv = StateVector::decode_v1(&payload).unwrap_or_default();
                        let diff = self.doc.transact().encode_diff_v1(&sv);
                        self.send(protocol::encode_sync_step2(&diff)).await;
                    }
                    1 | 2 => {
                        if let Ok(u) = Update::decode_v1(&payload) {
                            let _ = self.doc.transact_mut().apply_update(u);
                        }
                    }
                    _ => {}
                }
            }
            1 => {
                let payload = r.read_var_bytes().unwrap_or(&[]);
                if let Ok(entries) = guard::decode_awareness(payload) {
                    for e in entries {
                        if e.is_removal() {
                            self.awareness.remove(&e.client_id);
                        } else {
                            self.awareness.insert(e.client_id, (e.clock, e.state));
                        }
                    }
                }
            }
            100 => self.acks += 1,
            101 => {
                let json = r.read_var_string().unwrap_or("null");
                self.events
                    .push(serde_json::from_str(json).unwrap_or(serde_json::Value::Null));
            }
            _ => {}
        }
    }

    /// Pumps frames until `pred` holds or `timeout` passes; returns pred's last value.
    pub async fn until(&mut self, timeout: Duration, mut pred: impl FnMut(&Self) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if pred(self) {
                return true;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            if !self.pump_one(left).await && self.close.is_some() {
                return pred(self);
            }
        }
    }

    /// Pumps until an event of `kind` arrives after the first `seen` events;
    /// returns it.
    pub async fn next_event(
        &mut self,
        kind: &str,
        seen: usize,
        timeout: Duration,
    ) -> Option<serde_json::Value> {
        let found = |c: &Self| c.events.iter().skip(seen).any(|e| e["type"] == kind);
        if !self.until(timeout, found).await {
            return None;
        }
        self.events
            .iter()
            .skip(seen)
            .find(|e| e["type"] == kind)
            .cloned()
    }

    /// Reads until the server closes the socket; returns the close code.
    pub async fn closed_with(&mut self, timeout: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.ws.next()).await {
                Ok(Some(Ok(Message::Close(f)))) => return f.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_))) | Ok(None) => return None,
                Err(_) => return None,
            }
        }
        None
    }

    /// Sends an awareness update for `client_id`.
    pub async fn set_awareness(&mut self, client_id: u64, clock: u64, state: &str) {
        let entry = guard::AwarenessEntry {
            client_id,
            clock,
            state: state.to_string(),
        };
        let payload = guard::encode_awareness_update(&[entry]);
        self.send(protocol::encode_awareness(&payload)).await;
    }
}
