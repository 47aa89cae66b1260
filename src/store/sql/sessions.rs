//! Server-side sessions: one row per sign-in, named by the session JWT's
//! `sid` claim. A JWT verifies by its signature alone; the row is what makes
//! a session revocable (sign-out, sign-out everywhere).

use sqlx::{AnyPool, Row};

use crate::store::Result;
use crate::store::text::unmatchable;
use crate::util::now_ms;

/// Records a new session of `user_id` valid until `expires_at` (ms). Also
/// drops the user's sessions that ended more than a day ago, so the table
/// does not grow with every sign-in.
pub async fn create(pool: &AnyPool, id: &str, user_id: &str, expires_at: i64) -> Result<()> {
    let now = now_ms();
    let day_ago = now - 24 * 3600 * 1000;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND (expires_at < $2 OR revoked_at < $2)")
        .bind(user_id)
        .bind(day_ago)
        .execute(pool)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// True while the session is neither revoked nor expired.
pub async fn is_live(pool: &AnyPool, id: &str) -> Result<bool> {
    if unmatchable(id) {
        return Ok(false);
    }
    let row = sqlx::query(
        "SELECT id FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(id)
    .bind(now_ms())
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some())
}

/// Revokes one session of `user_id`; false when it was not live.
pub async fn revoke(pool: &AnyPool, user_id: &str, id: &str) -> Result<bool> {
    if unmatchable(id) {
        return Ok(false);
    }
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Revokes every live session of `user_id`; returns their ids.
pub async fn revoke_all(pool: &AnyPool, user_id: &str) -> Result<Vec<String>> {
    let now = now_ms();
    let mut tx = super::dialect::begin_write(pool).await?;
    let rows = sqlx::query("SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<String, _>("id"))
        .collect::<Result<Vec<_>, _>>()?;
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ids)
}
