//! In-process bus: per-document lists of subscribers in one process. With one
//! instance nobody else is listening and publishing costs a map lookup.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::{Bus, BusError, BusMessage, Subscription};

type Subscribers = HashMap<String, Vec<(u64, String, mpsc::UnboundedSender<BusMessage>)>>;

/// Shared by every instance created with the same `LocalBus` value.
#[derive(Clone, Default)]
pub struct LocalBus {
    subs: Arc<Mutex<Subscribers>>,
    next: Arc<std::sync::atomic::AtomicU64>,
    instance: String,
}

impl LocalBus {
    pub fn new(instance: &str) -> Self {
        Self {
            instance: instance.to_string(),
            ..Default::default()
        }
    }

    /// The same bus seen by another instance (tests of multi-instance logic).
    pub fn for_instance(&self, instance: &str) -> Self {
        Self {
            subs: self.subs.clone(),
            next: self.next.clone(),
            instance: instance.to_string(),
        }
    }
}

struct Unsubscribe {
    subs: Arc<Mutex<Subscribers>>,
    doc_id: String,
    id: u64,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let mut subs = self.subs.lock();
        if let Some(list) = subs.get_mut(&self.doc_id) {
            list.retain(|(id, _, _)| *id != self.id);
            if list.is_empty() {
                subs.remove(&self.doc_id);
            }
        }
    }
}

/// The key the feed's subscribers are kept under (no document id is empty).
const FEED: &str = "";

#[async_trait::async_trait]
impl Bus for LocalBus {
    async fn subscribe(&self, doc_id: &str) -> Result<Subscription, BusError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.subs
            .lock()
            .entry(doc_id.to_string())
            .or_default()
            .push((id, self.instance.clone(), tx));
        Ok(Subscription {
            rx,
            guard: Box::new(Unsubscribe {
                subs: self.subs.clone(),
                doc_id: doc_id.to_string(),
                id,
            }),
        })
    }

    async fn subscribe_feed(&self) -> Result<Subscription, BusError> {
        self.subscribe(FEED).await
    }

    fn publish_feed(&self, mut msg: BusMessage) {
        msg.doc_id = FEED.to_string();
        self.publish(msg);
    }

    fn publish(&self, msg: BusMessage) {
        let subs = self.subs.lock();
        if let Some(list) = subs.get(&msg.doc_id) {
            for (_, instance, tx) in list {
                // Like Redis, deliver to everyone but skip our own instance.
                if *instance != msg.sender {
                    let _ = tx.send(msg.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::BusPayload;
    use bytes::Bytes;

    #[tokio::test]
    async fn delivers_to_other_instances_only() {
        let a = LocalBus::new("a");
        let b = a.for_instance("b");
        let mut sa = a.subscribe("d").await.unwrap();
        let mut sb = b.subscribe("d").await.unwrap();
        a.publish(BusMessage {
            doc_id: "d".into(),
            sender: "a".into(),
            seq: 1,
            payload: BusPayload::Update(Bytes::from_static(b"x")),
        });
        assert_eq!(sb.rx.recv().await.map(|m| m.seq), Some(1));
        assert!(sa.rx.try_recv().is_err());
        drop(sb);
        assert_eq!(a.subs.lock().get("d").map(|l| l.len()), Some(1));
    }
}
