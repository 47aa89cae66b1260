//! The trash: moving a document there and back, the owner's list of
//! trashed documents, and purging (the owner's "delete forever", or the
//! retention job). A trashed row keeps everything that belongs to it; the
//! reads elsewhere skip it by `deleted_at IS NULL`.

use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::rows::{self, DOC_COLUMNS, DOC_JOINS};
use super::{audit, constraint, documents};
use crate::store::text::unmatchable;
use crate::store::{Result, StoreError, TrashedDocument};

/// Moves the document to the trash; false when it is not there to move
/// (unknown, or already trashed).
pub async fn trash(pool: &AnyPool, id: &str, actor: &str, now: i64) -> Result<bool> {
    if unmatchable(id) {
        return Ok(false);
    }
    let mut tx = super::dialect::begin_write(pool).await?;
    let done = sqlx::query(
        "UPDATE documents SET deleted_at = $2, deleted_by = $3 WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    audited_if_changed(
        tx,
        done.rows_affected() > 0,
        id,
        actor,
        "document.trash",
        now,
    )
    .await
}

/// Brings one of the owner's trashed documents back as it was.
pub async fn restore(pool: &AnyPool, owner_id: &str, id: &str, now: i64) -> Result<bool> {
    if unmatchable(id) || unmatchable(owner_id) {
        return Ok(false);
    }
    let mut tx = super::dialect::begin_write(pool).await?;
    let done = sqlx::query(
        "UPDATE documents SET deleted_at = NULL, deleted_by = NULL \
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NOT NULL",
    )
    .bind(id)
    .bind(owner_id)
    .execute(&mut *tx)
    .await?;
    audited_if_changed(
        tx,
        done.rows_affected() > 0,
        id,
        owner_id,
        "document.restore",
        now,
    )
    .await
}

/// Commits the move with its audit entry when the update changed the
/// document; rolls back and answers false when it did not.
async fn audited_if_changed(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    changed: bool,
    id: &str,
    actor: &str,
    action: &str,
    now: i64,
) -> Result<bool> {
    if !changed {
        tx.rollback().await?;
        return Ok(false);
    }
    audit::write(&mut tx, id, Some(actor), action, serde_json::json!({}), now).await?;
    tx.commit().await?;
    Ok(true)
}

fn trashed(row: &sqlx::any::AnyRow) -> Result<TrashedDocument> {
    Ok(TrashedDocument {
        document: rows::document(row, false)?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

/// The owner's trashed documents, most recently trashed first.
pub async fn list(pool: &AnyPool, owner_id: &str) -> Result<Vec<TrashedDocument>> {
    let sql = format!(
        "SELECT {DOC_COLUMNS}, d.deleted_at FROM documents d {DOC_JOINS} \
         WHERE d.owner_id = $1 AND d.deleted_at IS NOT NULL ORDER BY d.deleted_at DESC, d.id"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(owner_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(trashed)
        .collect()
}

/// One of the owner's trashed documents.
pub async fn get(pool: &AnyPool, owner_id: &str, id: &str) -> Result<Option<TrashedDocument>> {
    if unmatchable(id) || unmatchable(owner_id) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {DOC_COLUMNS}, d.deleted_at FROM documents d {DOC_JOINS} \
         WHERE d.id = $1 AND d.owner_id = $2 AND d.deleted_at IS NOT NULL"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .bind(owner_id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(trashed)
        .transpose()
}

/// Purges a trashed document (only the owner's when `owner_id` is given;
/// only one trashed at or before `trashed_before` when that is given),
/// with everything that belongs to it. Exactly one caller wins: the
/// claiming update locks the row, and a second finds it gone.
///
/// On PostgreSQL the purge can deadlock with a write still landing for the
/// document (its last updates, a compaction, which lock the document row
/// and then rows the purge deletes); the victim wrote nothing, so the
/// purge runs again (a few times, briefly apart).
pub async fn purge(
    pool: &AnyPool,
    id: &str,
    owner_id: Option<&str>,
    trashed_before: Option<i64>,
    actor: Option<&str>,
) -> Result<bool> {
    if unmatchable(id) || owner_id.is_some_and(unmatchable) {
        return Ok(false);
    }
    let mut attempt = 0u64;
    loop {
        match purge_once(pool, id, owner_id, trashed_before, actor).await {
            Err(StoreError::Database(e)) if constraint::is_conflict(&e) && attempt < 5 => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(10 * attempt)).await;
            }
            done => return done,
        }
    }
}

async fn purge_once(
    pool: &AnyPool,
    id: &str,
    owner_id: Option<&str>,
    trashed_before: Option<i64>,
    actor: Option<&str>,
) -> Result<bool> {
    let mut tx = super::dialect::begin_write(pool).await?;
    let claimed = sqlx::query(
        "UPDATE documents SET deleted_by = deleted_by WHERE id = $1 AND deleted_at IS NOT NULL \
         AND ($2 IS NULL OR owner_id = $2) AND ($3 IS NULL OR deleted_at <= $3)",
    )
    .bind(id)
    .bind(owner_id)
    .bind(trashed_before)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    documents::delete_in(&mut tx, id, actor).await?;
    tx.commit().await?;
    Ok(true)
}

/// Documents trashed at or before `before`, oldest first.
pub async fn expired(pool: &AnyPool, before: i64, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM documents WHERE deleted_at IS NOT NULL AND deleted_at <= $1 \
         ORDER BY deleted_at LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}
