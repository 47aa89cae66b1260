//! Background upkeep of live rooms, every 2 s: idle compaction, search-text
//! refresh, automatic versions, presence reports, eviction of empty rooms
//! whose updates are durable; every 10 s for open rooms: permission
//! re-checks and anti-entropy.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::events::DocEvent;
use super::hub::Hub;
use super::room::{Credential, Room};

/// Every few seconds: idle compaction, eviction of empty rooms whose updates
/// are durable, permission re-checks and anti-entropy.
pub(super) async fn ticker(hub: std::sync::Weak<Hub>) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        n += 1;
        let Some(hub) = hub.upgrade() else { return };
        for room in hub.rooms() {
            if !room.is_ready() {
                continue;
            }
            let upkeep = room.upkeep(Instant::now());
            if upkeep.compact {
                hub.request_compaction(&room);
            }
            if upkeep.refresh_text {
                refresh_text(&hub, &room).await;
            }
            if upkeep.auto_version {
                auto_version(&hub, &room).await;
            }
            hub.bus.report_presence(&room.id, room.presence_records());
            if upkeep.evictable {
                hub.evict_if_idle(&room);
            } else if n.is_multiple_of(5) {
                recheck_permissions(&hub, &room).await;
                room.request_sync();
            }
        }
    }
}

/// Keeps the searchable text of an open document a few seconds fresh.
async fn refresh_text(hub: &Arc<Hub>, room: &Arc<Room>) {
    let Some(text) = room.take_dirty_text() else {
        return;
    };
    if let Err(e) = hub.log.update_text(&room.id, &text).await {
        tracing::warn!(doc = %room.id, error = %e, "search text refresh failed");
        room.text_write_failed();
    }
}

/// Automatic version after `auto_version_idle_mins` without edits, when
/// the document changed since the last version.
async fn auto_version(hub: &Arc<Hub>, room: &Arc<Room>) {
    // The per-document version quota holds for automatic versions too: the
    // oldest automatic one makes room; a document full of named versions
    // gets no automatic one (and is not retried until edited again).
    let max = hub.config.limits.max_versions_per_document;
    if max > 0
        && let Err(e) = hub.log.make_room_for_version(&room.id, max as i64).await
    {
        if matches!(e, crate::store::StoreError::QuotaExceeded(_)) {
            room.version_saved();
        }
        tracing::warn!(doc = %room.id, error = %e, "automatic version skipped");
        return;
    }
    match hub
        .save_version(&room.id, "Automatic version", None, true)
        .await
    {
        Ok(version) => hub.publish_event(
            &room.id,
            &DocEvent::Version {
                version: version.into(),
                restored_from: None,
            },
        ),
        Err(e) => tracing::warn!(doc = %room.id, error = %e, "automatic version failed"),
    }
}

/// Membership changed elsewhere (another instance, the database): apply it.
async fn recheck_permissions(hub: &Arc<Hub>, room: &Arc<Room>) {
    let Ok(members) = hub.store.members(&room.id).await else {
        return;
    };
    let roles: HashMap<String, crate::store::Role> =
        members.into_iter().map(|m| (m.user_id, m.role)).collect();
    let (users, credentials) = room.users_and_credentials();
    for user in users {
        room.set_role(&user, roles.get(&user).copied());
    }
    // A token or session revoked (or expired) through another instance,
    // in case the bus did not carry the revocation.
    for credential in credentials {
        let live = match &credential {
            Credential::ApiToken(id) => hub.store.api_token_is_live(id).await,
            Credential::Session(id) => hub.store.session_is_live(id).await,
        };
        if matches!(live, Ok(false)) {
            room.revoke_credential(credential.id());
        }
    }
}
