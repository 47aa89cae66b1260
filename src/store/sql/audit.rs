//! Who did what to a document: the audit log (written in the same
//! transaction as the change it records) and the per-user edit activity
//! that appending CRDT updates keeps.

use sqlx::{AnyConnection, AnyPool};

use super::rows;
use crate::store::{AuditEntry, EditActivity, Result};
use crate::util::now_ms;

/// Appends an entry within the caller's transaction. `user_id` is None for
/// what the server does on its own (such as pruning versions).
pub async fn write(
    conn: &mut AnyConnection,
    doc_id: &str,
    user_id: Option<&str>,
    action: &str,
    details: serde_json::Value,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (document_id, user_id, action, details, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(doc_id)
    .bind(user_id)
    .bind(action)
    .bind(details.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends an entry on its own, by the server clock.
pub async fn append(
    pool: &AnyPool,
    doc_id: &str,
    user_id: &str,
    action: &str,
    details: serde_json::Value,
) -> Result<()> {
    let mut tx = super::dialect::begin_write(pool).await?;
    write(&mut tx, doc_id, Some(user_id), action, details, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// The newest `limit` entries of a document, newest first.
pub async fn entries(pool: &AnyPool, doc_id: &str, limit: i64) -> Result<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT a.id, a.user_id, u.username, a.action, a.details, a.created_at FROM audit_log a \
         LEFT JOIN users u ON u.id = a.user_id WHERE a.document_id = $1 ORDER BY a.id DESC LIMIT $2",
    )
    .bind(doc_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(rows::audit_entry).collect()
}

/// Edit counts per user, the most recent editor first.
pub async fn activity(pool: &AnyPool, doc_id: &str) -> Result<Vec<EditActivity>> {
    let rows = sqlx::query(
        "SELECT a.user_id, u.username, a.edits, a.first_at, a.last_at FROM document_activity a \
         LEFT JOIN users u ON u.id = a.user_id WHERE a.document_id = $1 ORDER BY a.last_at DESC",
    )
    .bind(doc_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(rows::activity).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::test_pool;

    #[tokio::test]
    async fn entries_newest_first_with_parsed_details() {
        let pool = test_pool::migrated().await;
        append(&pool, "d1", "u1", "first", serde_json::json!({ "n": 1 }))
            .await
            .unwrap();
        let mut tx = super::super::dialect::begin_write(&pool).await.unwrap();
        write(&mut tx, "d1", None, "second", serde_json::json!([]), 5)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let got = entries(&pool, "d1", 10).await.unwrap();
        assert_eq!(
            got.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["second", "first"]
        );
        assert_eq!(got[0].user_id, None);
        assert_eq!(got[1].details, serde_json::json!({ "n": 1 }));
        assert_eq!(entries(&pool, "d1", 1).await.unwrap().len(), 1);
    }
}
