//! Background upkeep of live rooms, every 2 s: idle compaction, search-text
//! refresh, automatic versions, presence reports, eviction of empty rooms
//! whose updates are durable; every 10 s for open rooms: permission
//! re-checks and anti-entropy.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::hub::Hub;
use super::room::Room;

/// Every few seconds: idle compaction, eviction of empty rooms whose updates
/// are durable, permission re-checks and anti-entropy.
pub(super) async fn ticker(hub: std::sync::Weak<Hub>) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        n += 1;
        let Some(hub) = hub.upgrade() else { return };
        let rooms: Vec<Arc<Room>> = hub.rooms.lock().values().cloned().collect();
        let idle_after = Duration::from_secs(hub.config.persistence.compact_idle_secs);
        for room in rooms {
            let (needs_compaction, evictable) = {
                let inner = room.inner.lock();
                if !inner.loaded {
                    continue;
                }
                let quiet = inner.last_edit.is_none_or(|t| t.elapsed() >= idle_after);
                let empty = inner.peers.is_empty() && inner.in_flight == 0;
                let every = hub.config.persistence.compact_every_updates;
                let backlog = inner.since_snapshot > 0 || inner.reclaimable_rows > 0;
                (
                    (backlog && (quiet || empty)) || inner.reclaimable_rows >= every,
                    empty,
                )
            };
            if needs_compaction && hub.compact(&room).await.is_err() {
                continue;
            }
            refresh_text(&hub, &room).await;
            auto_version(&hub, &room).await;
            hub.bus.report_presence(&room.id, room.presence_records());
            if evictable {
                evict_if_idle(&hub, &room);
            } else if n.is_multiple_of(5) {
                recheck_permissions(&hub, &room).await;
                room.request_sync();
            }
        }
    }
}

/// Keeps the searchable text of an open document a few seconds fresh.
async fn refresh_text(hub: &Arc<Hub>, room: &Arc<Room>) {
    let text = {
        let mut inner = room.inner.lock();
        if !inner.text_dirty {
            return;
        }
        inner.text_dirty = false;
        super::content::plain_text(&inner.doc)
    };
    if let Err(e) = hub.store.update_text(&room.id, &text).await {
        tracing::warn!(doc = %room.id, error = %e, "search text refresh failed");
        room.inner.lock().text_dirty = true;
    }
}

/// Automatic version after `auto_version_idle_mins` without edits, when
/// the document changed since the last version.
async fn auto_version(hub: &Arc<Hub>, room: &Arc<Room>) {
    let mins = hub.config.persistence.auto_version_idle_mins;
    if mins == 0 {
        return;
    }
    let due = {
        let inner = room.inner.lock();
        inner.auto_version_due
            && inner
                .last_edit
                .is_some_and(|t| t.elapsed() >= Duration::from_secs(mins * 60))
    };
    if !due {
        return;
    }
    // The per-document version quota holds for automatic versions too: the
    // oldest automatic one makes room; a document full of named versions
    // gets no automatic one (and is not retried until edited again).
    let max = hub.config.limits.max_versions_per_document;
    if max > 0
        && let Err(e) = hub.store.make_room_for_version(&room.id, max as i64).await
    {
        if matches!(e, crate::store::StoreError::QuotaExceeded(_)) {
            room.inner.lock().auto_version_due = false;
        }
        tracing::warn!(doc = %room.id, error = %e, "automatic version skipped");
        return;
    }
    if let Err(e) = hub
        .save_version(&room.id, "Automatic version", None, true)
        .await
    {
        tracing::warn!(doc = %room.id, error = %e, "automatic version failed");
    }
}

fn evict_if_idle(hub: &Arc<Hub>, room: &Arc<Room>) {
    let mut rooms = hub.rooms.lock();
    let mut inner = room.inner.lock();
    let auto_pending = inner.auto_version_due && hub.config.persistence.auto_version_idle_mins > 0;
    if inner.peers.is_empty()
        && inner.in_flight == 0
        && !inner.compacting
        && inner.since_snapshot == 0
        && inner.reclaimable_rows == 0
        && !inner.text_dirty
        && !auto_pending
    {
        inner.closed = true;
        hub.bus.report_presence(&room.id, Vec::new());
        if rooms.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
            rooms.remove(&room.id);
            room.stop.cancel();
            metrics::gauge!("quire_rooms_active").decrement(1.0);
        }
    }
}

/// Membership changed elsewhere (another instance, the database): apply it.
async fn recheck_permissions(hub: &Arc<Hub>, room: &Arc<Room>) {
    let Ok(members) = hub.store.members(&room.id).await else {
        return;
    };
    let roles: HashMap<String, crate::store::Role> =
        members.into_iter().map(|m| (m.user_id, m.role)).collect();
    let (users, credentials): (Vec<String>, Vec<String>) = {
        let inner = room.inner.lock();
        let mut users: Vec<String> = inner.peers.values().map(|p| p.user_id.clone()).collect();
        users.sort();
        users.dedup();
        let mut creds: Vec<String> = inner
            .peers
            .values()
            .filter_map(|p| p.credential.clone())
            .collect();
        creds.sort();
        creds.dedup();
        (users, creds)
    };
    for user in users {
        room.set_role(&user, roles.get(&user).copied());
    }
    // A token revoked (or expired) through another instance.
    for credential in credentials {
        if matches!(hub.store.api_token_is_live(&credential).await, Ok(false)) {
            room.revoke_credential(&credential);
        }
    }
}
