//! The CRDT update log and snapshots: group-commit appends (one multi-row
//! INSERT per chunk, edit activity and last editor in the same
//! transaction), loading, and compaction.

use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use super::rows;
use crate::store::{NewSnapshot, NewUpdate, Result, SNAPSHOTS_KEPT, StoredState};
use crate::util::now_ms;

/// Logs one update within the caller's transaction (a new document's
/// initial body).
pub(super) async fn insert_one(
    conn: &mut AnyConnection,
    doc_id: &str,
    data: &[u8],
    user_id: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO document_updates (document_id, data, user_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(doc_id)
    .bind(data)
    .bind(user_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends the batch in one transaction and records, per document, the
/// last editor and, per (document, user), the edit activity.
pub async fn append(pool: &AnyPool, batch: &[NewUpdate]) -> Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut tx = super::dialect::begin_write(pool).await?;
    // Multi-row INSERT in chunks: one round trip per chunk (4 parameters a
    // row keeps a chunk well under both databases' parameter limits).
    for chunk in batch.chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO document_updates (document_id, data, user_id, created_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 4;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for u in chunk {
            q = q
                .bind(u.document_id.as_str())
                .bind(u.data.as_slice())
                .bind(u.user_id.as_deref())
                .bind(u.created_at);
        }
        q.execute(&mut *tx).await?;
    }
    // Edit activity per (document, user).
    let mut per_user: std::collections::BTreeMap<(&str, &str), (i64, i64, i64)> =
        Default::default();
    for u in batch {
        if let Some(user) = u.user_id.as_deref() {
            let e = per_user.entry((u.document_id.as_str(), user)).or_insert((
                0,
                u.created_at,
                u.created_at,
            ));
            e.0 += 1;
            e.1 = e.1.min(u.created_at);
            e.2 = e.2.max(u.created_at);
        }
    }
    // Last editor per document, by the server clock.
    let mut last_edit: std::collections::BTreeMap<&str, (&str, i64)> = Default::default();
    for ((doc, user), (_, _, last)) in &per_user {
        let e = last_edit.entry(doc).or_insert((user, *last));
        if *last >= e.1 {
            *e = (user, *last);
        }
    }
    for (doc, (user, at)) in last_edit {
        sqlx::query("UPDATE documents SET last_edited_by = $1, last_edited_at = $2, updated_at = $2 WHERE id = $3")
            .bind(user)
            .bind(at)
            .bind(doc)
            .execute(&mut *tx)
            .await?;
    }
    for ((doc, user), (edits, first, last)) in per_user {
        sqlx::query(
            "INSERT INTO document_activity (document_id, user_id, edits, first_at, last_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (document_id, user_id) DO UPDATE SET \
             edits = document_activity.edits + excluded.edits, last_at = excluded.last_at",
        )
        .bind(doc)
        .bind(user)
        .bind(edits)
        .bind(first)
        .bind(last)
        .execute(&mut *tx)
        .await?;
    }
    // A body change, for the debounced `document.updated` webhook event.
    let mut changed: std::collections::BTreeMap<&str, i64> = Default::default();
    for u in batch {
        let at = changed
            .entry(u.document_id.as_str())
            .or_insert(u.created_at);
        *at = (*at).max(u.created_at);
    }
    for (doc, at) in changed {
        super::webhooks::touch(&mut tx, doc, at).await?;
    }
    tx.commit().await?;
    Ok(batch.len() as u64)
}

/// The newest `max_snapshots` snapshots (newest first) and the whole log.
pub async fn load(pool: &AnyPool, doc_id: &str, max_snapshots: i64) -> Result<StoredState> {
    let rows = sqlx::query(
        "SELECT id, state, state_vector, checksum, last_update_id FROM document_snapshots \
         WHERE document_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(doc_id)
    .bind(max_snapshots)
    .fetch_all(pool)
    .await?;
    let snapshots = rows
        .iter()
        .map(rows::snapshot)
        .collect::<Result<Vec<_>>>()?;
    // The whole log: rows older than a snapshot may still be needed (their
    // structs were waiting for dependencies when it was taken), and the
    // rows a snapshot covers are harmless to re-apply.
    let rows =
        sqlx::query("SELECT id, data FROM document_updates WHERE document_id = $1 ORDER BY id")
            .bind(doc_id)
            .fetch_all(pool)
            .await?;
    let updates = rows
        .iter()
        .map(rows::stored_update)
        .collect::<Result<Vec<_>>>()?;
    Ok(StoredState { snapshots, updates })
}

/// Writes the snapshot, prunes older snapshots and the covered log rows,
/// and stores `text` (already cleaned) as the searchable text.
pub async fn compact(pool: &AnyPool, snap: &NewSnapshot, text: &str) -> Result<()> {
    let now = now_ms();
    let mut tx = super::dialect::begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO document_snapshots (document_id, state, state_vector, checksum, last_update_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&snap.document_id)
    .bind(snap.state.as_slice())
    .bind(snap.state_vector.as_slice())
    .bind(&snap.checksum)
    .bind(snap.last_update_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // SNAPSHOTS_KEPT (two) snapshots are kept. The rows deleted are those
    // the older of the two (the previous snapshot) already covers, chosen
    // by the caller from the rows' contents. So if the newest snapshot ever
    // fails its checksum, loading falls back to the previous one plus the
    // log without losing an edit. The log stays bounded by about two
    // compaction intervals.
    let keep = sqlx::query(
        "SELECT id FROM document_snapshots WHERE document_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(&snap.document_id)
    .bind(SNAPSHOTS_KEPT)
    .fetch_all(&mut *tx)
    .await?;
    if let Some(oldest_kept) = keep.last() {
        let oldest_id: i64 = oldest_kept.try_get("id")?;
        sqlx::query("DELETE FROM document_snapshots WHERE document_id = $1 AND id < $2")
            .bind(&snap.document_id)
            .bind(oldest_id)
            .execute(&mut *tx)
            .await?;
    }
    for chunk in snap.delete_update_ids.chunks(500) {
        let mut sql =
            String::from("DELETE FROM document_updates WHERE document_id = $1 AND id IN (");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i + 2));
        }
        sql.push(')');
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(&snap.document_id);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *tx).await?;
    }
    sqlx::query("UPDATE documents SET content_text = $1 WHERE id = $2")
        .bind(text)
        .bind(&snap.document_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Logged updates after the newest snapshot's last update id.
pub async fn pending_count(pool: &AnyPool, doc_id: &str) -> Result<i64> {
    let after: Option<i64> = sqlx::query(
        "SELECT last_update_id FROM document_snapshots WHERE document_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(doc_id)
    .fetch_optional(pool)
    .await?
    .map(|r| r.try_get("last_update_id"))
    .transpose()?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM document_updates WHERE document_id = $1 AND id > $2",
    )
    .bind(doc_id)
    .bind(after.unwrap_or(0))
    .fetch_one(pool)
    .await?;
    rows::count(&row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::test_pool;

    async fn pool_with_doc() -> AnyPool {
        let pool = test_pool::migrated().await;
        sqlx::query(
            "INSERT INTO users (id, username, email, password_hash, created_at) \
             VALUES ('u1', 'alice', 'a@x', 'h', 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO documents (id, title, owner_id, created_at, updated_at) \
             VALUES ('d1', 'T', 'u1', 0, 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool
    }

    fn update(at: i64) -> NewUpdate {
        NewUpdate {
            document_id: "d1".into(),
            data: vec![at as u8],
            user_id: Some("u1".into()),
            created_at: at,
        }
    }

    fn snapshot(last_update_id: i64, delete_update_ids: Vec<i64>) -> NewSnapshot {
        NewSnapshot {
            document_id: "d1".into(),
            state: vec![1],
            state_vector: vec![2],
            checksum: format!("c{last_update_id}"),
            last_update_id,
            delete_update_ids,
        }
    }

    #[tokio::test]
    async fn compaction_keeps_the_newest_snapshots_and_drops_covered_rows() {
        let pool = pool_with_doc().await;
        assert_eq!(
            append(&pool, &[update(1), update(2), update(3)])
                .await
                .unwrap(),
            3
        );
        let ids: Vec<i64> = load(&pool, "d1", SNAPSHOTS_KEPT)
            .await
            .unwrap()
            .updates
            .iter()
            .map(|u| u.id)
            .collect();
        assert_eq!(ids.len(), 3);
        for (i, last) in ids.iter().enumerate() {
            compact(&pool, &snapshot(*last, ids[..i].to_vec()), "text")
                .await
                .unwrap();
        }
        let state = load(&pool, "d1", 10).await.unwrap();
        let kept: Vec<&str> = state
            .snapshots
            .iter()
            .map(|s| s.checksum.as_str())
            .collect();
        assert_eq!(kept.len(), SNAPSHOTS_KEPT as usize);
        assert_eq!(kept[0], format!("c{}", ids[2]));
        assert_eq!(
            state.updates.len(),
            1,
            "rows the previous snapshot covers are gone"
        );
        assert_eq!(pending_count(&pool, "d1").await.unwrap(), 0);
        append(&pool, &[update(4)]).await.unwrap();
        assert_eq!(pending_count(&pool, "d1").await.unwrap(), 1);
    }
}
