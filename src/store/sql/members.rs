//! Document memberships: who may see or edit a document, and as what.
//! Every change is audited in its transaction.

use sqlx::{AnyConnection, AnyPool};

use super::{audit, rows};
use crate::store::text::unmatchable;
use crate::store::{Member, Result, Role};
use crate::util::now_ms;

/// The user's role on the document; None when not a member (or when the
/// stored role is unknown).
pub async fn role_of(pool: &AnyPool, doc_id: &str, user_id: &str) -> Result<Option<Role>> {
    if unmatchable(doc_id) || unmatchable(user_id) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT m.role FROM document_members m JOIN documents d ON d.id = m.document_id \
             AND d.deleted_at IS NULL WHERE m.document_id = $1 AND m.user_id = $2",
    )
    .bind(doc_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.as_ref().map(rows::role_lenient).transpose()?.flatten())
}

/// Members in the order they were added (then by name).
pub async fn list(pool: &AnyPool, doc_id: &str) -> Result<Vec<Member>> {
    let rows = sqlx::query(
        "SELECT m.user_id, u.username, m.role FROM document_members m JOIN users u ON u.id = m.user_id \
         WHERE m.document_id = $1 ORDER BY m.created_at, u.username",
    )
    .bind(doc_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(rows::member).collect()
}

/// Adds the member or changes the role of an existing one.
pub async fn set(
    pool: &AnyPool,
    doc_id: &str,
    user_id: &str,
    role: Role,
    actor: &str,
) -> Result<()> {
    let now = now_ms();
    let mut tx = super::dialect::begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO document_members (document_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (document_id, user_id) DO UPDATE SET role = excluded.role",
    )
    .bind(doc_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let details = serde_json::json!({ "user_id": user_id, "role": role.as_str() });
    audit::write(&mut tx, doc_id, Some(actor), "member.set", details, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the member; false (and nothing audited) when there was none.
pub async fn remove(pool: &AnyPool, doc_id: &str, user_id: &str, actor: &str) -> Result<bool> {
    let now = now_ms();
    let mut tx = super::dialect::begin_write(pool).await?;
    let done = sqlx::query("DELETE FROM document_members WHERE document_id = $1 AND user_id = $2")
        .bind(doc_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() > 0 {
        let details = serde_json::json!({ "user_id": user_id });
        audit::write(&mut tx, doc_id, Some(actor), "member.remove", details, now).await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// The owner's membership of a new document, within its transaction.
pub(super) async fn add_owner(
    conn: &mut AnyConnection,
    doc_id: &str,
    owner_id: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO document_members (document_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
    )
    .bind(doc_id)
    .bind(owner_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
