//! Live document events: what an open document learns besides its body.
//!
//! A [`DocEvent`] is produced where the change happens (a REST handler, a
//! restore, the automatic-version upkeep), delivered to the document's room
//! on this instance and published on the document's bus channel for every
//! other instance ([`super::hub::Hub::publish_event`]). The room renders it
//! for each socket that asked for events (`?events=1`) as message type 101
//! ([`quire_doc::protocol::MSG_QUIRE_EVENT`]), a varstring of JSON with a
//! `type` field, and enforces what it implies (a role change, a deletion).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::store::{Role, Version};
use crate::util::rfc3339;

/// One change to a document, as carried between instances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DocEvent {
    /// Title, status, tags (or other metadata) changed. `document` is the
    /// REST document shape; each receiver gets it with its own `role`.
    Metadata { document: Value },
    /// `user_id`'s role is now `role` (None: no longer a member). Enforced
    /// on that user's sockets at once and announced to them as `role`.
    Role { user_id: String, role: Option<Role> },
    /// The member list after a change (the `GET …/members` array).
    Members { members: Value },
    /// A version was saved, or (with `restored_from`) a restore happened
    /// and `version` is the automatic "before restore" version.
    Version {
        version: VersionView,
        restored_from: Option<i64>,
    },
    /// The document is gone: every socket closes with 4404.
    Deleted,
    /// Any other event, sent as is (comments, publishing).
    Notice { event: Value },
}

impl DocEvent {
    /// The bus form.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// From the bus form; None for what this build does not know.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }

    /// The JSON a socket receives for this event, or None when the event
    /// is not announced as such (a role change goes to its user only, as a
    /// `role` event; a deletion is a close code).
    pub fn client_json(&self, receiver_role: Role) -> Option<String> {
        let v = match self {
            DocEvent::Metadata { document } => {
                let mut document = document.clone();
                if let Some(obj) = document.as_object_mut() {
                    obj.insert("role".into(), Value::from(receiver_role.as_str()));
                }
                serde_json::json!({ "type": "metadata", "document": document })
            }
            DocEvent::Members { members } => {
                serde_json::json!({ "type": "members", "members": members })
            }
            DocEvent::Version {
                version,
                restored_from,
            } => {
                let mut v = serde_json::json!({ "type": "version", "version": version });
                if let Some(n) = restored_from {
                    v["restored_from"] = Value::from(*n);
                }
                v
            }
            DocEvent::Notice { event } => event.clone(),
            DocEvent::Role { .. } | DocEvent::Deleted => return None,
        };
        Some(v.to_string())
    }
}

/// The `role` event a socket receives when its role changed.
pub fn role_json(role: Role) -> String {
    serde_json::json!({ "type": "role", "role": role.as_str() }).to_string()
}

/// A saved version as clients see it (REST and `version` events).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VersionView {
    pub number: i64,
    pub label: String,
    pub created_by: Option<String>,
    pub created_by_username: Option<String>,
    pub created_at: String,
    /// Saved automatically (idle auto-save, before a restore).
    pub auto: bool,
}

impl From<Version> for VersionView {
    fn from(v: Version) -> Self {
        Self {
            number: v.number,
            label: v.label,
            created_by: v.created_by,
            created_by_username: v.created_by_username,
            created_at: rfc3339(v.created_at),
            auto: v.auto,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_form_round_trips_and_unknown_is_none() {
        let events = [
            DocEvent::Metadata {
                document: serde_json::json!({"id": "d", "title": "T"}),
            },
            DocEvent::Role {
                user_id: "u".into(),
                role: None,
            },
            DocEvent::Deleted,
            DocEvent::Notice {
                event: serde_json::json!({"type": "comment"}),
            },
        ];
        for e in events {
            assert_eq!(DocEvent::from_bytes(&e.to_bytes()), Some(e));
        }
        assert_eq!(DocEvent::from_bytes(br#"{"kind":"future"}"#), None);
        assert_eq!(DocEvent::from_bytes(b"\xff"), None);
    }

    #[test]
    fn metadata_carries_the_receivers_role() {
        let e = DocEvent::Metadata {
            document: serde_json::json!({"id": "d", "role": "owner"}),
        };
        let json: Value = serde_json::from_str(&e.client_json(Role::Viewer).unwrap()).unwrap();
        assert_eq!(json["type"], "metadata");
        assert_eq!(json["document"]["role"], "viewer");
        assert_eq!(json["document"]["id"], "d");
        assert!(DocEvent::Deleted.client_json(Role::Owner).is_none());
    }

    #[test]
    fn a_restore_names_the_version_it_restored() {
        let version = VersionView {
            number: 4,
            label: "Before restore to 2".into(),
            created_by: None,
            created_by_username: None,
            created_at: "2026-12-02T00:00:00Z".into(),
            auto: true,
        };
        let e = DocEvent::Version {
            version,
            restored_from: Some(2),
        };
        let json: Value = serde_json::from_str(&e.client_json(Role::Editor).unwrap()).unwrap();
        assert_eq!(json["version"]["number"], 4);
        assert_eq!(json["restored_from"], 2);
    }
}
