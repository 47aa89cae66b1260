//! Personal API tokens: stored as SHA-256 hashes, revocable, expiring.

use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::rows::{self, TOKEN_COLUMNS};
use crate::store::text::unmatchable;
use crate::store::{ApiToken, AuthenticatedToken, Result, User};
use crate::util::now_ms;

/// Stores a new token under its hash (the secret itself is never stored).
pub async fn create(
    pool: &AnyPool,
    user_id: &str,
    name: &str,
    hash: &str,
    read_only: bool,
    delivery_only: bool,
    expires_at: Option<i64>,
) -> Result<ApiToken> {
    let token = ApiToken {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_string(),
        name: name.to_string(),
        read_only,
        delivery_only,
        created_at: now_ms(),
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, read_only, created_at, expires_at, delivery_only) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&token.id)
    .bind(user_id)
    .bind(name)
    .bind(hash)
    .bind(i64::from(read_only))
    .bind(token.created_at)
    .bind(expires_at)
    .bind(i64::from(delivery_only))
    .execute(pool)
    .await?;
    Ok(token)
}

/// The user's tokens, revoked and expired ones included, newest first.
pub async fn list(pool: &AnyPool, user_id: &str) -> Result<Vec<ApiToken>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.created_at DESC"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(user_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(rows::token).collect()
}

/// Revokes the user's token; false when it is not theirs or already revoked.
pub async fn revoke(pool: &AnyPool, user_id: &str, id: &str) -> Result<bool> {
    if unmatchable(id) {
        return Ok(false);
    }
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// True while the token with this id is neither revoked nor expired.
pub async fn is_live(pool: &AnyPool, id: &str) -> Result<bool> {
    let row = sqlx::query(
        "SELECT id FROM api_tokens WHERE id = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(id)
    .bind(now_ms())
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some())
}

/// The live (not revoked, not expired) token with this hash, and its user;
/// records the use.
pub async fn authenticate(pool: &AnyPool, hash: &str) -> Result<Option<AuthenticatedToken>> {
    let now = now_ms();
    let sql = format!(
        "SELECT {TOKEN_COLUMNS}, u.username, u.email, u.created_at AS user_created_at FROM api_tokens t \
         JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2)"
    );
    let Some(r) = sqlx::query(AssertSqlSafe(sql))
        .bind(hash)
        .bind(now)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let token = rows::token(&r)?;
    let user = User {
        id: token.user_id.clone(),
        username: r.try_get("username")?,
        email: r.try_get("email")?,
        created_at: r.try_get("user_created_at")?,
    };
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&token.id)
        .execute(pool)
        .await?;
    Ok(Some(AuthenticatedToken { token, user }))
}
