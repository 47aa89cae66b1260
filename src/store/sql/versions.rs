//! Named versions: immutable, numbered 1, 2, … per document.
//!
//! Numbers are never reused: when versions are discarded to respect the
//! quota, the highest number issued so far is kept in
//! `documents.version_floor`, and the next number is above both it and
//! every remaining version.

use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::audit;
use super::constraint::{Unique, Violated, is_busy, unique_violation};
use super::rows::{self, VERSION_COLUMNS};
use crate::store::{NewVersion, Result, StoreError, StoredVersion, Version};
use crate::util::now_ms;

/// Attempts at inserting a version before giving up on a contended number.
const CREATE_ATTEMPTS: usize = 5;

/// The highest number ever issued for document `$1` before its versions
/// were last pruned (0 when none were).
const FLOOR: &str = "SELECT version_floor FROM documents WHERE id = $1";

/// The highest version number of document `$1`.
const MAX_NUMBER: &str = "(SELECT MAX(number) FROM document_versions WHERE document_id = $1)";

/// Inserts with the next number; a concurrent insert of the same number
/// fails on the primary key and is retried. `text` and `label` are the
/// values to store (the caller has cleaned them).
pub async fn create(pool: &AnyPool, new: &NewVersion, text: &str, label: &str) -> Result<Version> {
    let now = now_ms();
    for _ in 0..CREATE_ATTEMPTS {
        let mut tx = super::dialect::begin_write(pool).await?;
        // One statement computes the number and inserts, so SQLite takes the
        // write lock at once (a read-then-write transaction could fail with
        // SQLITE_BUSY on the upgrade); PostgreSQL races end in a unique
        // violation and are retried.
        let sql = format!(
            "INSERT INTO document_versions (document_id, number, label, state, text, created_by, created_at, auto) \
             SELECT $1, CASE WHEN COALESCE(MAX(number), 0) > COALESCE(({FLOOR}), 0) \
             THEN COALESCE(MAX(number), 0) ELSE COALESCE(({FLOOR}), 0) END + 1, $2, $3, $4, $5, $6, $7 \
             FROM document_versions WHERE document_id = $1 RETURNING number"
        );
        let inserted = sqlx::query(AssertSqlSafe(sql))
            .bind(&new.document_id)
            .bind(label)
            .bind(new.state.as_slice())
            .bind(text)
            .bind(new.created_by.as_deref())
            .bind(now)
            .bind(i64::from(new.auto))
            .fetch_one(&mut *tx)
            .await
            .and_then(|row| row.try_get::<i64, _>("number"));
        match inserted {
            Ok(next) => {
                let details =
                    serde_json::json!({ "number": next, "label": label, "auto": new.auto });
                audit::write(
                    &mut tx,
                    &new.document_id,
                    new.created_by.as_deref(),
                    "version.create",
                    details,
                    now,
                )
                .await?;
                let number_text = next.to_string();
                super::webhooks::record(
                    &mut tx,
                    &new.document_id,
                    crate::store::EVENT_VERSION_CREATED,
                    Some(&number_text),
                    now,
                )
                .await?;
                tx.commit().await?;
                return get(pool, &new.document_id, next)
                    .await?
                    .map(|v| v.version)
                    .ok_or_else(|| StoreError::Corrupt("version vanished".into()));
            }
            // Another writer took this number: compute the next one again.
            Err(e) if unique_violation(&e) == Some(Violated::Known(Unique::VersionNumber)) => {
                let _ = tx.rollback().await;
                continue;
            }
            // SQLite under write contention: wait a little and try again.
            Err(e) if is_busy(&e) => {
                let _ = tx.rollback().await;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Duplicate("version number"))
}

/// Newest first, without states.
pub async fn list(pool: &AnyPool, doc_id: &str) -> Result<Vec<Version>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM document_versions v LEFT JOIN users u ON u.id = v.created_by \
         WHERE v.document_id = $1 ORDER BY v.number DESC"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(doc_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(rows::version).collect()
}

/// The version with its state and text.
pub async fn get(pool: &AnyPool, doc_id: &str, number: i64) -> Result<Option<StoredVersion>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS}, v.state, v.text FROM document_versions v LEFT JOIN users u ON u.id = v.created_by \
         WHERE v.document_id = $1 AND v.number = $2"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(doc_id)
        .bind(number)
        .fetch_optional(pool)
        .await?;
    row.map(|r| {
        Ok(StoredVersion {
            version: rows::version(&r)?,
            state: r.try_get("state")?,
            text: r.try_get("text")?,
        })
    })
    .transpose()
}

/// See [`crate::store::Store::make_room_for_version`].
pub async fn make_room(pool: &AnyPool, doc_id: &str, max: i64) -> Result<()> {
    if max <= 0 {
        return Ok(());
    }
    let mut tx = super::dialect::begin_write(pool).await?;
    // Written first so SQLite takes the write lock at once; it also records
    // the highest number issued, so discarding the newest version below
    // cannot make its number come back.
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE documents SET version_floor = CASE \
           WHEN version_floor > COALESCE({MAX_NUMBER}, 0) THEN version_floor \
           ELSE COALESCE({MAX_NUMBER}, 0) END WHERE id = $1"
    )))
    .bind(doc_id)
    .execute(&mut *tx)
    .await?;
    let count = rows::count(
        &sqlx::query("SELECT COUNT(*) AS n FROM document_versions WHERE document_id = $1")
            .bind(doc_id)
            .fetch_one(&mut *tx)
            .await?,
    )?;
    if count < max {
        tx.commit().await?;
        return Ok(());
    }
    let excess = count - max + 1;
    let victims: Vec<i64> = sqlx::query(
        "SELECT number FROM document_versions WHERE document_id = $1 AND auto = 1 \
         ORDER BY number LIMIT $2",
    )
    .bind(doc_id)
    .bind(excess)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| r.try_get::<i64, _>("number"))
    .collect::<std::result::Result<_, _>>()?;
    if (victims.len() as i64) < excess {
        tx.rollback().await?;
        return Err(StoreError::QuotaExceeded(format!(
            "the document already holds {count} versions (the limit is {max}) and none of \
             them is an automatic one that could be discarded"
        )));
    }
    for number in &victims {
        sqlx::query("DELETE FROM document_versions WHERE document_id = $1 AND number = $2")
            .bind(doc_id)
            .bind(number)
            .execute(&mut *tx)
            .await?;
    }
    let details = serde_json::json!({ "discarded": victims, "reason": "version quota" });
    audit::write(&mut tx, doc_id, None, "version.prune", details, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}
