//! Account-level notices across instances: the document-list events behind
//! `GET /api/events` and session revocations.
//!
//! A notice is applied on the instance that produced it and published on
//! the bus's feed channel; every instance subscribes to that channel from
//! start to shutdown and applies what the others publish. Applying a
//! [`Notice::SessionsRevoked`] forgets those sessions in the session cache
//! and closes their sockets (4401); every notice also goes to this
//! instance's local listeners ([`Feed::listen`]), the open event streams.

use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::auth::Sessions;
use crate::bus::{Bus, BusMessage, BusPayload};
use crate::collab::hub::Hub;
use crate::store::{NotificationKind, Role};

/// Notices a slow event stream may fall behind by before it is ended (its
/// client reconnects and refetches the list).
const LISTENER_BACKLOG: usize = 1024;

/// What happened to a document, from the point of view of a list of
/// documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListChange {
    Created,
    Updated,
    Shared,
    Unshared,
    Deleted,
}

impl ListChange {
    pub fn as_str(self) -> &'static str {
        match self {
            ListChange::Created => "created",
            ListChange::Updated => "updated",
            ListChange::Shared => "shared",
            ListChange::Unshared => "unshared",
            ListChange::Deleted => "deleted",
        }
    }
}

/// Who is told of a list change, and with which role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub user_id: String,
    pub role: Option<Role>,
}

/// A change to the document lists of some users.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListEvent {
    pub change: ListChange,
    pub document_id: String,
    /// The REST document shape (for created/updated/shared); each
    /// recipient receives it with its own role.
    pub document: Option<Value>,
    pub recipients: Vec<Recipient>,
}

impl ListEvent {
    /// The `data:` JSON for `user_id`, or None when it is not a recipient.
    pub fn data_for(&self, user_id: &str) -> Option<String> {
        let recipient = self.recipients.iter().find(|r| r.user_id == user_id)?;
        let v = match &self.document {
            Some(doc) => {
                let mut doc = doc.clone();
                if let (Some(obj), Some(role)) = (doc.as_object_mut(), recipient.role) {
                    obj.insert("role".into(), Value::from(role.as_str()));
                }
                serde_json::json!({ "type": self.change.as_str(), "document": doc })
            }
            None => serde_json::json!({
                "type": self.change.as_str(),
                "document_id": self.document_id,
            }),
        };
        Some(v.to_string())
    }
}

/// A notification was recorded for a user (its bell updates at once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notified {
    pub user_id: String,
    pub kind: NotificationKind,
    pub document_id: String,
}

impl Notified {
    /// The `data:` JSON of the `notification` event.
    pub fn data(&self) -> String {
        serde_json::json!({
            "type": "notification",
            "notification": { "type": self.kind.as_str(), "document_id": self.document_id },
        })
        .to_string()
    }
}

/// One notice, as carried between instances and to local listeners.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    List(ListEvent),
    /// These sessions were revoked (sign-out, sign-out everywhere).
    SessionsRevoked {
        sids: Vec<String>,
    },
    /// New notifications, one per recipient.
    Notified {
        items: Vec<Notified>,
    },
}

pub struct Feed {
    bus: Arc<dyn Bus>,
    instance_id: String,
    hub: Arc<Hub>,
    sessions: Sessions,
    local: broadcast::Sender<Arc<Notice>>,
    /// Cancelled on shutdown: local listeners end (an open event stream
    /// would otherwise hold the HTTP drain for its whole timeout).
    closing: CancellationToken,
}

impl Feed {
    /// Creates the feed and starts applying other instances' notices.
    pub fn start(
        bus: Arc<dyn Bus>,
        instance_id: String,
        hub: Arc<Hub>,
        sessions: Sessions,
    ) -> Arc<Self> {
        let (local, _) = broadcast::channel(LISTENER_BACKLOG);
        let feed = Arc::new(Self {
            bus,
            instance_id,
            hub,
            sessions,
            local,
            closing: CancellationToken::new(),
        });
        tokio::spawn(receive(Arc::downgrade(&feed)));
        feed
    }

    /// Applies `notice` here and publishes it for every other instance.
    pub fn publish(&self, notice: Notice) {
        let bytes = serde_json::to_vec(&notice).unwrap_or_default();
        self.apply(notice);
        self.bus.publish_feed(BusMessage {
            doc_id: String::new(),
            sender: self.instance_id.clone(),
            seq: 0,
            payload: BusPayload::Feed(Bytes::from(bytes)),
        });
    }

    /// Notices from now on, for one local listener.
    pub fn listen(&self) -> broadcast::Receiver<Arc<Notice>> {
        self.local.subscribe()
    }

    /// Cancelled once the server shuts down.
    pub fn closing(&self) -> CancellationToken {
        self.closing.clone()
    }

    /// Ends every local listener (shutdown).
    pub fn close(&self) {
        self.closing.cancel();
    }

    fn apply(&self, notice: Notice) {
        if let Notice::SessionsRevoked { sids } = &notice {
            self.sessions.forget(sids);
            for sid in sids {
                self.hub.revoke_credential(sid);
            }
        }
        // No listener is not an error.
        let _ = self.local.send(Arc::new(notice));
    }
}

/// Applies what other instances publish, for as long as the feed lives.
async fn receive(feed: std::sync::Weak<Feed>) {
    let bus = match feed.upgrade() {
        Some(f) => f.bus.clone(),
        None => return,
    };
    let mut sub = match bus.subscribe_feed().await {
        Ok(sub) => sub,
        Err(e) => {
            tracing::warn!(error = %e, "feed unavailable; account notices stay on this instance");
            return;
        }
    };
    while let Some(msg) = sub.rx.recv().await {
        let Some(feed) = feed.upgrade() else { return };
        let BusPayload::Feed(bytes) = msg.payload else {
            continue;
        };
        match serde_json::from_slice::<Notice>(&bytes) {
            Ok(notice) => feed.apply(notice),
            Err(_) => crate::metrics::bus_malformed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_events_go_to_recipients_with_their_role() {
        let e = ListEvent {
            change: ListChange::Updated,
            document_id: "d".into(),
            document: Some(serde_json::json!({"id": "d", "title": "T", "role": null})),
            recipients: vec![Recipient {
                user_id: "bob".into(),
                role: Some(Role::Viewer),
            }],
        };
        let data: Value = serde_json::from_str(&e.data_for("bob").unwrap()).unwrap();
        assert_eq!(data["type"], "updated");
        assert_eq!(data["document"]["role"], "viewer");
        assert!(e.data_for("mallory").is_none());

        let gone = ListEvent {
            change: ListChange::Deleted,
            document: None,
            ..e
        };
        let data: Value = serde_json::from_str(&gone.data_for("bob").unwrap()).unwrap();
        assert_eq!(
            data,
            serde_json::json!({"type": "deleted", "document_id": "d"})
        );
    }

    #[test]
    fn notices_round_trip() {
        let n = Notice::SessionsRevoked {
            sids: vec!["s1".into()],
        };
        let bytes = serde_json::to_vec(&n).unwrap();
        assert_eq!(serde_json::from_slice::<Notice>(&bytes).unwrap(), n);
    }
}
