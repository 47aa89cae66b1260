//! What REST handlers tell live clients after a change is stored: the
//! document's open sockets (a [`DocEvent`], on every instance) and the
//! document lists of the users concerned (a [`ListEvent`] on the feed).
//!
//! The change is already durable when these run, so nothing here fails the
//! request: when the member list needed to address an event cannot be
//! read, the event is skipped and logged (open clients catch up when they
//! reconnect or reload).

use crate::api::documents::DocumentView;
use crate::api::members::MemberView;
use crate::collab::events::{DocEvent, VersionView};
use crate::feed::{ListChange, ListEvent, Notice, Notified, Recipient};
use crate::state::AppState;
use crate::store::{Document, Member, NewNotification, Role, Version};

/// The document's members, or None (logged) when they cannot be read.
async fn members(state: &AppState, doc_id: &str) -> Option<Vec<Member>> {
    match state.store.members(doc_id).await {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(doc = %doc_id, error = %e, "live event skipped: members unavailable");
            None
        }
    }
}

fn recipients(members: &[Member]) -> Vec<Recipient> {
    members
        .iter()
        .map(|m| Recipient {
            user_id: m.user_id.clone(),
            role: Some(m.role),
        })
        .collect()
}

fn list_event(
    change: ListChange,
    doc_id: &str,
    doc: Option<&Document>,
    recipients: Vec<Recipient>,
) -> Notice {
    Notice::List(ListEvent {
        change,
        document_id: doc_id.to_string(),
        document: doc.map(|d| DocumentView::from(d.clone()).to_json()),
        recipients,
    })
}

/// A new document: its creator's lists.
pub fn created(state: &AppState, doc: &Document) {
    let owner = Recipient {
        user_id: doc.owner_id.clone(),
        role: Some(Role::Owner),
    };
    state.feed.publish(list_event(
        ListChange::Created,
        &doc.id,
        Some(doc),
        vec![owner],
    ));
}

/// Metadata changed: the open sockets and every member's list.
pub async fn metadata_changed(state: &AppState, doc: &Document) {
    let document = DocumentView::from(doc.clone()).to_json();
    state
        .hub
        .publish_event(&doc.id, &DocEvent::Metadata { document });
    if let Some(members) = members(state, &doc.id).await {
        let to = recipients(&members);
        state
            .feed
            .publish(list_event(ListChange::Updated, &doc.id, Some(doc), to));
    }
}

/// The document was published (or republished) or unpublished: a
/// `published` / `unpublished` event and the metadata change it brings.
pub async fn publication_changed(state: &AppState, doc: &Document, published: bool) {
    let event = serde_json::json!({
        "type": if published { "published" } else { "unpublished" },
        "document": DocumentView::from(doc.clone()).to_json(),
    });
    state
        .hub
        .publish_event(&doc.id, &DocEvent::Notice { event });
    metadata_changed(state, doc).await;
}

/// `user_id`'s role changed from `before` to `after` (None: not a member).
/// Their sockets switch role at once; everyone open sees the new member
/// list; their list gains, updates or loses the document.
pub async fn membership_changed(
    state: &AppState,
    doc_id: &str,
    user_id: &str,
    before: Option<Role>,
    after: Option<Role>,
) {
    state.hub.publish_event(
        doc_id,
        &DocEvent::Role {
            user_id: user_id.to_string(),
            role: after,
        },
    );
    let Some(members) = members(state, doc_id).await else {
        return;
    };
    let list: Vec<MemberView> = members
        .iter()
        .map(|m| MemberView {
            user_id: m.user_id.clone(),
            username: m.username.clone(),
            role: m.role,
        })
        .collect();
    let members_json = serde_json::to_value(list).unwrap_or_default();
    state.hub.publish_event(
        doc_id,
        &DocEvent::Members {
            members: members_json,
        },
    );
    let change = match (before, after) {
        (None, Some(_)) => ListChange::Shared,
        (Some(_), None) => ListChange::Unshared,
        (Some(b), Some(a)) if b != a => ListChange::Updated,
        _ => return,
    };
    let doc = match after {
        Some(_) => match state.store.document_for(doc_id, user_id).await {
            Ok(Some(d)) => Some(d),
            _ => return,
        },
        None => None,
    };
    let to = vec![Recipient {
        user_id: user_id.to_string(),
        role: after,
    }];
    state
        .feed
        .publish(list_event(change, doc_id, doc.as_ref(), to));
}

/// The document was deleted: its sockets close (4404) on every instance
/// and it leaves the lists of `members` (read before the deletion).
pub fn deleted(state: &AppState, doc_id: &str, members: &[Member]) {
    state.hub.publish_event(doc_id, &DocEvent::Deleted);
    state.feed.publish(list_event(
        ListChange::Deleted,
        doc_id,
        None,
        recipients(members),
    ));
}

/// The document came back from the trash: each member's list shows it
/// again, with their role.
pub async fn restored(state: &AppState, doc_id: &str, members: &[Member]) {
    for m in members {
        if let Ok(Some(doc)) = state.store.document_for(doc_id, &m.user_id).await {
            let to = vec![Recipient {
                user_id: m.user_id.clone(),
                role: Some(m.role),
            }];
            state
                .feed
                .publish(list_event(ListChange::Shared, doc_id, Some(&doc), to));
        }
    }
}

/// A version was saved (`restored_from`: as the backup of that restore).
pub fn version_saved(
    state: &AppState,
    doc_id: &str,
    version: &Version,
    restored_from: Option<i64>,
) {
    state.hub.publish_event(
        doc_id,
        &DocEvent::Version {
            version: VersionView::from(version.clone()),
            restored_from,
        },
    );
}

/// Records notifications and tells each recipient's open event streams, on
/// every instance. A failure to record is logged: the comment or share that
/// caused it is already stored and must not fail.
pub async fn notify(state: &AppState, items: &[NewNotification]) {
    if items.is_empty() {
        return;
    }
    if let Err(e) = state.store.notify(items).await {
        tracing::warn!(error = %e, "notifications not recorded");
        return;
    }
    let items = items
        .iter()
        .map(|n| Notified {
            user_id: n.user_id.clone(),
            kind: n.kind,
            document_id: n.document_id.clone(),
        })
        .collect();
    state.feed.publish(Notice::Notified { items });
}
