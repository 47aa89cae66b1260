//! Cross-instance fan-out over Redis pub/sub, one channel per document
//! (`doc:{id}:updates`), subscribed only while this instance holds the
//! document.
//!
//! Redis pub/sub is at-most-once: messages published while a subscriber is
//! slow or disconnected are lost. Rooms heal that themselves: every message
//! carries its sender and a per-sender sequence (gaps trigger a state-vector
//! exchange), rooms ask for a sync periodically, and after a reconnect every
//! subscriber receives [`BusPayload::Reconnected`] and resynchronises at once.
//!
//! The feed ([`FEED_CHANNEL`]) is one more channel, subscribed from start to
//! shutdown.
//!
//! Wire format of a message: `b'Q', 1, kind, sender_len, sender, varuint seq,
//! payload`; kind 0 = update, 1 = awareness, 2 = sync request, 4 = repair,
//! 5 = document event, 6 = feed message.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;
use quire_doc::lib0::{Reader, write_var_u64};
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc;

use super::{Bus, BusError, BusMessage, BusPayload, PresenceRecord, Subscription};
use crate::metrics;
use conn::RedisConn;

pub mod conn;

type Subscribers = HashMap<String, Vec<(u64, mpsc::UnboundedSender<BusMessage>)>>;

enum Control {
    Subscribe(String),
    Unsubscribe(String),
    /// The connection dropped: reconnect, then tell every room.
    Reconnect,
}

pub struct RedisBus {
    instance: String,
    /// For presence reads (ZRANGEBYSCORE).
    conn: RedisConn,
    presence_tx: mpsc::UnboundedSender<(String, Vec<PresenceRecord>)>,
    subs: Arc<Mutex<Subscribers>>,
    next: AtomicU64,
    publish_tx: mpsc::UnboundedSender<(String, Vec<u8>)>,
    control_tx: mpsc::UnboundedSender<Control>,
}

/// The channel of account-level notices (no document's channel looks like it).
pub const FEED_CHANNEL: &str = "quire:feed";
/// Where feed subscribers are kept among the per-document subscribers.
const FEED_KEY: &str = "";

pub fn channel(doc_id: &str) -> String {
    if doc_id == FEED_KEY {
        return FEED_CHANNEL.to_string();
    }
    format!("doc:{doc_id}:updates")
}

fn doc_of_channel(channel: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(channel).ok()?;
    if s == FEED_CHANNEL {
        return Some(FEED_KEY.to_string());
    }
    Some(
        s.strip_prefix("doc:")?
            .strip_suffix(":updates")?
            .to_string(),
    )
}

impl RedisBus {
    /// Connects (RESP3, automatic resubscription; a single Redis or a
    /// Redis Cluster, see [`conn`]) and starts the publisher, subscriber and
    /// push-dispatch tasks.
    pub async fn connect(url: &str, instance: &str) -> Result<Arc<Self>, BusError> {
        let (push_tx, push_rx) = mpsc::unbounded_channel::<PushInfo>();
        let conn::Connections {
            sub: sub_conn,
            cmd: pub_conn,
        } = conn::connect(url, push_tx).await?;
        let (publish_tx, publish_rx) = mpsc::unbounded_channel();
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let (presence_tx, presence_rx) = mpsc::unbounded_channel();
        tokio::spawn(presence_writer(
            pub_conn.clone(),
            instance.to_string(),
            presence_rx,
        ));
        let bus = Arc::new(Self {
            instance: instance.to_string(),
            conn: pub_conn.clone(),
            presence_tx,
            subs: Arc::new(Mutex::new(HashMap::new())),
            next: AtomicU64::new(1),
            publish_tx,
            control_tx,
        });
        tokio::spawn(publisher(pub_conn, publish_rx));
        tokio::spawn(subscriber(sub_conn, control_rx, bus.subs.clone()));
        tokio::spawn(dispatcher(
            bus.subs.clone(),
            bus.instance.clone(),
            push_rx,
            bus.control_tx.clone(),
        ));
        Ok(bus)
    }
}

struct Unsubscribe {
    subs: Arc<Mutex<Subscribers>>,
    control_tx: mpsc::UnboundedSender<Control>,
    doc_id: String,
    id: u64,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let mut subs = self.subs.lock();
        if let Some(list) = subs.get_mut(&self.doc_id) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                subs.remove(&self.doc_id);
                let _ = self
                    .control_tx
                    .send(Control::Unsubscribe(self.doc_id.clone()));
            }
        }
    }
}

#[async_trait::async_trait]
impl Bus for RedisBus {
    async fn subscribe(&self, doc_id: &str) -> Result<Subscription, BusError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let first = {
            let mut subs = self.subs.lock();
            let list = subs.entry(doc_id.to_string()).or_default();
            list.push((id, tx));
            list.len() == 1
        };
        if first {
            let _ = self.control_tx.send(Control::Subscribe(doc_id.to_string()));
        }
        Ok(Subscription {
            rx,
            guard: Box::new(Unsubscribe {
                subs: self.subs.clone(),
                control_tx: self.control_tx.clone(),
                doc_id: doc_id.to_string(),
                id,
            }),
        })
    }

    fn publish(&self, msg: BusMessage) {
        let _ = self.publish_tx.send((channel(&msg.doc_id), encode(&msg)));
    }

    async fn subscribe_feed(&self) -> Result<Subscription, BusError> {
        self.subscribe(FEED_KEY).await
    }

    fn publish_feed(&self, mut msg: BusMessage) {
        msg.doc_id = FEED_KEY.to_string();
        self.publish(msg);
    }

    fn report_presence(&self, doc_id: &str, users: Vec<PresenceRecord>) {
        let _ = self.presence_tx.send((doc_id.to_string(), users));
    }

    async fn presence(&self, doc_id: &str) -> Option<Vec<PresenceRecord>> {
        let since = crate::util::now_ms() - PRESENCE_TTL_MS;
        let mut conn = self.conn.clone();
        let rows: Vec<(String, f64)> = redis::cmd("ZRANGEBYSCORE")
            .arg(presence_key(doc_id))
            .arg(since)
            .arg("+inf")
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await
            .ok()?;
        let mut merged: HashMap<String, PresenceRecord> = HashMap::new();
        for (member, score) in rows {
            let mut parts = member.splitn(4, '\t');
            let (Some(_instance), Some(user_id), Some(conns), Some(username)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let entry = merged
                .entry(user_id.to_string())
                .or_insert_with(|| PresenceRecord {
                    user_id: user_id.to_string(),
                    username: username.to_string(),
                    connections: 0,
                    last_seen_ms: 0,
                });
            entry.connections += conns.parse::<usize>().unwrap_or(0);
            entry.last_seen_ms = entry.last_seen_ms.max(score as i64);
        }
        Some(merged.into_values().collect())
    }
}

/// A report older than this is ignored (instances refresh every 2 s).
const PRESENCE_TTL_MS: i64 = 15_000;

pub fn presence_key(doc_id: &str) -> String {
    format!("doc:{doc_id}:active_users")
}

/// Keeps `doc:{id}:active_users` (a sorted set scored by last-seen time, one
/// member per instance and user) current for this instance.
async fn presence_writer(
    mut conn: RedisConn,
    instance: String,
    mut rx: mpsc::UnboundedReceiver<(String, Vec<PresenceRecord>)>,
) {
    let mut reported: HashMap<String, Vec<String>> = HashMap::new();
    while let Some((doc_id, users)) = rx.recv().await {
        let key = presence_key(&doc_id);
        let now = crate::util::now_ms();
        let members: Vec<String> = users
            .iter()
            .map(|u| {
                format!(
                    "{instance}\t{}\t{}\t{}",
                    u.user_id, u.connections, u.username
                )
            })
            .collect();
        let mut pipe = redis::pipe();
        for old in reported.get(&doc_id).into_iter().flatten() {
            if !members.contains(old) {
                pipe.cmd("ZREM").arg(&key).arg(old).ignore();
            }
        }
        for m in &members {
            pipe.cmd("ZADD").arg(&key).arg(now).arg(m).ignore();
        }
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(&key)
            .arg("-inf")
            .arg(now - 4 * PRESENCE_TTL_MS)
            .ignore();
        pipe.cmd("PEXPIRE")
            .arg(&key)
            .arg(4 * PRESENCE_TTL_MS)
            .ignore();
        let done: redis::RedisResult<()> = pipe.query_async(&mut conn).await;
        if done.is_err() {
            metrics::bus_publish_failure();
        }
        if members.is_empty() {
            reported.remove(&doc_id);
        } else {
            reported.insert(doc_id, members);
        }
    }
}

pub fn encode(msg: &BusMessage) -> Vec<u8> {
    let (kind, payload): (u8, &[u8]) = match &msg.payload {
        BusPayload::Update(b) => (0, b),
        BusPayload::Awareness(b) => (1, b),
        BusPayload::SyncRequest(b) => (2, b),
        BusPayload::Reconnected => (3, &[]),
        BusPayload::Repair(b) => (4, b),
        BusPayload::Event(b) => (5, b),
        BusPayload::Feed(b) => (6, b),
    };
    let sender = msg.sender.as_bytes();
    let sender = &sender[..sender.len().min(255)];
    let mut out = Vec::with_capacity(payload.len() + sender.len() + 16);
    out.extend_from_slice(&[b'Q', 1, kind, sender.len() as u8]);
    out.extend_from_slice(sender);
    write_var_u64(&mut out, msg.seq);
    out.extend_from_slice(payload);
    out
}

pub fn decode(doc_id: &str, bytes: &[u8]) -> Option<BusMessage> {
    let mut r = Reader::new(bytes);
    if r.read_u8().ok()? != b'Q' || r.read_u8().ok()? != 1 {
        return None;
    }
    let kind = r.read_u8().ok()?;
    let len = r.read_u8().ok()? as usize;
    let sender = std::str::from_utf8(r.read_bytes(len).ok()?)
        .ok()?
        .to_string();
    let seq = r.read_var_u64().ok()?;
    let rest = Bytes::copy_from_slice(r.read_bytes(r.remaining()).ok()?);
    let payload = match kind {
        0 => BusPayload::Update(rest),
        1 => BusPayload::Awareness(rest),
        2 => BusPayload::SyncRequest(rest),
        4 => BusPayload::Repair(rest),
        5 => BusPayload::Event(rest),
        6 => BusPayload::Feed(rest),
        _ => return None,
    };
    Some(BusMessage {
        doc_id: doc_id.to_string(),
        sender,
        seq,
        payload,
    })
}

async fn publisher(mut conn: RedisConn, mut rx: mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    while let Some((channel, payload)) = rx.recv().await {
        let sent = conn.publish(&channel, &payload).await;
        if let Err(e) = sent {
            // Lost; anti-entropy heals it once Redis is back.
            metrics::bus_publish_failure();
            tracing::debug!(error = %e, "redis publish failed");
        }
    }
}

async fn subscriber(
    mut conn: RedisConn,
    mut rx: mpsc::UnboundedReceiver<Control>,
    subs: Arc<Mutex<Subscribers>>,
) {
    while let Some(ctl) = rx.recv().await {
        let (what, result) = match &ctl {
            Control::Subscribe(doc) => ("subscribe", conn.subscribe(&channel(doc)).await),
            Control::Unsubscribe(doc) => ("unsubscribe", conn.unsubscribe(&channel(doc)).await),
            Control::Reconnect => {
                // Drive the reconnection (the manager resubscribes by itself),
                // then let every room exchange state vectors.
                loop {
                    let pong: redis::RedisResult<String> =
                        redis::cmd("PING").query_async(&mut conn).await;
                    if pong.is_ok() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                tracing::info!("redis connection restored; resynchronising rooms");
                notify_all(&subs, BusPayload::Reconnected);
                continue;
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "redis {what} failed");
        }
    }
}

fn notify_all(subs: &Mutex<Subscribers>, payload: BusPayload) {
    for (doc_id, list) in subs.lock().iter() {
        for (_, tx) in list {
            let _ = tx.send(BusMessage {
                doc_id: doc_id.clone(),
                sender: String::new(),
                seq: 0,
                payload: payload.clone(),
            });
        }
    }
}

/// Routes pushed messages to the local subscribers of their document.
async fn dispatcher(
    subs: Arc<Mutex<Subscribers>>,
    instance: String,
    mut rx: mpsc::UnboundedReceiver<PushInfo>,
    control_tx: mpsc::UnboundedSender<Control>,
) {
    while let Some(push) = rx.recv().await {
        match push.kind {
            // Sharded pub/sub on a Redis Cluster delivers `smessage`.
            PushKind::Message | PushKind::SMessage => {
                let [Value::BulkString(ch), Value::BulkString(payload)] = push.data.as_slice()
                else {
                    continue;
                };
                let Some(doc_id) = doc_of_channel(ch) else {
                    continue;
                };
                let Some(msg) = decode(&doc_id, payload) else {
                    metrics::bus_malformed();
                    continue;
                };
                if msg.sender == instance {
                    continue;
                }
                if let Some(list) = subs.lock().get(&doc_id) {
                    for (_, tx) in list {
                        let _ = tx.send(msg.clone());
                    }
                }
            }
            PushKind::Disconnection => {
                metrics::bus_reconnect();
                tracing::warn!("redis connection lost; serving local clients until it is back");
                let _ = control_tx.send(Control::Reconnect);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_and_garbage() {
        let msg = BusMessage {
            doc_id: "d1".into(),
            sender: "inst-a".into(),
            seq: 300,
            payload: BusPayload::Update(Bytes::from_static(&[1, 2, 3])),
        };
        assert_eq!(decode("d1", &encode(&msg)), Some(msg));
        for payload in [
            BusPayload::Event(Bytes::from_static(b"{}")),
            BusPayload::Feed(Bytes::from_static(b"[]")),
        ] {
            let msg = BusMessage {
                doc_id: "d1".into(),
                sender: "i".into(),
                seq: 0,
                payload,
            };
            assert_eq!(decode("d1", &encode(&msg)), Some(msg));
        }
        assert_eq!(doc_of_channel(FEED_CHANNEL.as_bytes()).as_deref(), Some(""));
        assert_eq!(channel(""), FEED_CHANNEL);
        assert_eq!(decode("d1", b"junk"), None);
        assert_eq!(decode("d1", &[b'Q', 1, 9, 0, 0]), None);
        assert_eq!(doc_of_channel(b"doc:abc:updates").as_deref(), Some("abc"));
        assert_eq!(doc_of_channel(b"other"), None);
    }
}
