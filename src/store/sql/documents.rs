//! Documents and their metadata: creation (with the owner's membership, the
//! tags, the audit entry and the initial body in one transaction), reads as
//! seen by one member, filtered and sorted lists, optimistic-locking
//! patches, deletion (the trash is in `trash`), and the searchable text of
//! the current content.

use sqlx::{AnyConnection, AnyPool, AssertSqlSafe};

use super::constraint::{Unique, Violated, unique_violation};
use super::rows::{self, DOC_COLUMNS, DOC_JOINS};
use super::{audit, members, updates};
use crate::store::text::{escape_like, searchable, unmatchable};
use crate::store::{
    Document, DocumentPatch, ListQuery, NewDocument, Page, PatchOutcome, Result, SortField,
    StoreError,
};
use crate::util::now_ms;

/// Tables holding rows of one document, deleted before the document.
const CHILD_TABLES: [&str; 13] = [
    "media",
    "published_versions",
    "webhook_outbox",
    "webhook_pending",
    "comments",
    "comment_threads",
    "notifications",
    "document_tags",
    "document_members",
    "document_snapshots",
    "document_updates",
    "document_versions",
    "document_activity",
];

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// Replaces the document's rows in the tag index.
async fn write_tags(conn: &mut AnyConnection, doc_id: &str, tags: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM document_tags WHERE document_id = $1")
        .bind(doc_id)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        sqlx::query(
            "INSERT INTO document_tags (document_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(doc_id)
        .bind(tag)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// See [`crate::store::Store::create_document`].
pub async fn create(pool: &AnyPool, new: NewDocument) -> Result<Document> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let mut tx = super::dialect::begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO documents (id, title, status, tags, owner_id, version, created_at, updated_at, content_text) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)",
    )
    .bind(&id)
    .bind(&new.title)
    .bind(new.status.as_str())
    .bind(tags_json(&new.tags))
    .bind(&new.owner_id)
    .bind(now)
    .bind(searchable(&new.initial_text).as_ref())
    .execute(&mut *tx)
    .await?;
    write_tags(&mut tx, &id, &new.tags).await?;
    members::add_owner(&mut tx, &id, &new.owner_id, now).await?;
    if let Some(update) = &new.initial_update {
        updates::insert_one(&mut tx, &id, update, &new.owner_id, now).await?;
    }
    let details =
        serde_json::json!({ "title": new.title, "status": new.status.as_str(), "tags": new.tags });
    audit::write(
        &mut tx,
        &id,
        Some(&new.owner_id),
        "document.create",
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    get_for(pool, &id, &new.owner_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("document vanished after create".into()))
}

/// The document with `user_id`'s role, or None when it does not exist or
/// the user is not a member.
pub async fn get_for(pool: &AnyPool, id: &str, user_id: &str) -> Result<Option<Document>> {
    if unmatchable(id) || unmatchable(user_id) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {DOC_COLUMNS}, m.role FROM documents d {DOC_JOINS} \
         JOIN document_members m ON m.document_id = d.id AND m.user_id = $2 \
         WHERE d.id = $1 AND d.deleted_at IS NULL"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(|r| rows::document(r, true)).transpose()
}

pub async fn exists(pool: &AnyPool, id: &str) -> Result<bool> {
    if unmatchable(id) {
        return Ok(false);
    }
    let row = sqlx::query("SELECT 1 FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.is_some())
}

pub async fn owned_count(pool: &AnyPool, user_id: &str) -> Result<i64> {
    // What the trash holds does not count: deleting frees a place.
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM documents WHERE owner_id = $1 AND deleted_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    rows::count(&row)
}

/// The `FROM … WHERE …` of a list and the values its placeholders take,
/// `$1` being the member's id. Built from fixed fragments; every value is
/// bound.
fn list_filter(user_id: &str, q: &ListQuery) -> (String, Vec<String>) {
    let mut filters = String::new();
    let mut binds: Vec<String> = vec![user_id.to_string()];
    if let Some(status) = q.status {
        binds.push(status.as_str().into());
        filters.push_str(&format!(" AND d.status = ${}", binds.len()));
    }
    if let Some(tag) = &q.tag {
        binds.push(tag.clone());
        filters.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM document_tags t WHERE t.document_id = d.id AND t.tag = ${})",
            binds.len()
        ));
    }
    if let Some(owner) = &q.owner {
        binds.push(owner.clone());
        let n = binds.len();
        filters.push_str(&format!(
            " AND (d.owner_id = ${n} OR LOWER(ou.username) = LOWER(${n}))"
        ));
    }
    if let Some(t) = &q.title_contains {
        let t = t.replace('\0', "");
        binds.push(format!("%{}%", escape_like(&t.to_lowercase())));
        let n = binds.len();
        filters.push_str(&format!(
            " AND (LOWER(d.title) LIKE ${n} ESCAPE '\\' OR LOWER(d.content_text) LIKE ${n} ESCAPE '\\')"
        ));
    }
    let from = format!(
        "FROM documents d {DOC_JOINS} JOIN document_members m ON m.document_id = d.id AND m.user_id = $1 \
         WHERE d.deleted_at IS NULL{filters}"
    );
    (from, binds)
}

/// One page of the documents `user_id` is a member of, filtered and sorted
/// as `q` asks (ties broken by id), and how many match in all.
pub async fn list(pool: &AnyPool, user_id: &str, q: &ListQuery) -> Result<Page<Document>> {
    // A tag or owner with NUL matches nothing stored.
    let hopeless = [q.tag.as_deref(), q.owner.as_deref()]
        .into_iter()
        .flatten()
        .any(unmatchable);
    if hopeless {
        return Ok(Page {
            items: Vec::new(),
            total: 0,
        });
    }
    let (from, binds) = list_filter(user_id, q);
    let order = match q.sort {
        SortField::UpdatedAt => "d.updated_at",
        SortField::CreatedAt => "d.created_at",
        SortField::Title => "LOWER(d.title)",
    };
    let dir = if q.descending { "DESC" } else { "ASC" };
    let list_sql = format!(
        "SELECT {DOC_COLUMNS}, m.role {from} ORDER BY {order} {dir}, d.id {dir} LIMIT ${} OFFSET ${}",
        binds.len() + 1,
        binds.len() + 2
    );
    let mut list = sqlx::query(AssertSqlSafe(list_sql));
    for b in &binds {
        list = list.bind(b.clone());
    }
    let found = list.bind(q.limit).bind(q.offset).fetch_all(pool).await?;
    let items = found
        .iter()
        .map(|r| rows::document(r, true))
        .collect::<Result<Vec<_>>>()?;
    let mut count = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n {from}")));
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total = rows::count(&count.fetch_one(pool).await?)?;
    Ok(Page { items, total })
}

/// What a patch changed, for the audit entry: `{field: {from, to}}` for
/// each field whose value differs.
fn changes(
    before: &Document,
    title: &str,
    status: crate::store::Status,
    tags: &[String],
    patch: &DocumentPatch,
) -> serde_json::Map<String, serde_json::Value> {
    let mut changes = serde_json::Map::new();
    let mut record = |field: &str, from: serde_json::Value, to: serde_json::Value| {
        if from != to {
            changes.insert(field.into(), serde_json::json!({ "from": from, "to": to }));
        }
    };
    if let Some(slug) = &patch.slug {
        record("slug", before.slug.clone().into(), slug.clone().into());
    }
    if let Some(v) = patch.visibility {
        record(
            "visibility",
            before.visibility.as_str().into(),
            v.as_str().into(),
        );
    }
    if let Some(at) = patch.publish_at {
        record("publish_at", before.publish_at.into(), at.into());
    }
    if let Some(at) = patch.unpublish_at {
        record("unpublish_at", before.unpublish_at.into(), at.into());
    }
    if title != before.title {
        changes.insert(
            "title".into(),
            serde_json::json!({ "from": before.title, "to": title }),
        );
    }
    if status != before.status {
        changes.insert(
            "status".into(),
            serde_json::json!({ "from": before.status.as_str(), "to": status.as_str() }),
        );
    }
    if tags != before.tags {
        changes.insert(
            "tags".into(),
            serde_json::json!({ "from": before.tags, "to": tags }),
        );
    }
    changes
}

/// See [`crate::store::Store::patch_document`]: applies only when the
/// document is still at `patch.expected_version`, bumping it by one.
pub async fn patch(
    pool: &AnyPool,
    id: &str,
    actor: &str,
    patch: &DocumentPatch,
) -> Result<PatchOutcome> {
    let Some(current) = get_for(pool, id, actor).await? else {
        return Ok(PatchOutcome::NotFound);
    };
    let now = now_ms();
    let title = patch.title.clone().unwrap_or_else(|| current.title.clone());
    let status = patch.status.unwrap_or(current.status);
    let tags = patch.tags.clone().unwrap_or_else(|| current.tags.clone());
    let slug = patch.slug.clone().unwrap_or_else(|| current.slug.clone());
    let visibility = patch.visibility.unwrap_or(current.visibility);
    let publish_at = patch.publish_at.unwrap_or(current.publish_at);
    let unpublish_at = patch.unpublish_at.unwrap_or(current.unpublish_at);
    let mut tx = super::dialect::begin_write(pool).await?;
    let done = sqlx::query(
        "UPDATE documents SET title = $1, status = $2, tags = $3, version = version + 1, updated_at = $4, \
         updated_by = $7, slug = $8, visibility = $9, publish_at = $10, unpublish_at = $11 \
         WHERE id = $5 AND version = $6",
    )
    .bind(&title)
    .bind(status.as_str())
    .bind(tags_json(&tags))
    .bind(now)
    .bind(id)
    .bind(patch.expected_version)
    .bind(actor)
    .bind(&slug)
    .bind(visibility.as_str())
    .bind(publish_at)
    .bind(unpublish_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| match unique_violation(&e) {
        Some(Violated::Known(Unique::Slug)) => StoreError::Duplicate("slug"),
        _ => e.into(),
    })?;
    if done.rows_affected() == 0 {
        tx.rollback().await?;
        return match get_for(pool, id, actor).await? {
            Some(doc) => Ok(PatchOutcome::Conflict(doc)),
            None => Ok(PatchOutcome::NotFound),
        };
    }
    if patch.tags.is_some() {
        write_tags(&mut tx, id, &tags).await?;
    }
    let details = serde_json::json!({
        "version": patch.expected_version + 1,
        "changes": changes(&current, &title, status, &tags, patch),
    });
    audit::write(&mut tx, id, Some(actor), "document.update", details, now).await?;
    super::webhooks::touch(&mut tx, id, now).await?;
    tx.commit().await?;
    match get_for(pool, id, actor).await? {
        Some(doc) => Ok(PatchOutcome::Updated(doc)),
        None => Ok(PatchOutcome::NotFound),
    }
}

/// Deletes the document and everything that belongs to it; the deletion
/// itself is audited. False when there was no such document.
pub async fn delete(pool: &AnyPool, id: &str, actor: &str) -> Result<bool> {
    let mut tx = super::dialect::begin_write(pool).await?;
    let deleted = delete_in(&mut tx, id, Some(actor)).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// [`delete`] inside the caller's transaction (`actor` None: the retention
/// job). Webhook deliveries not yet sent are dropped; the log of those
/// sent stays with the hook.
pub async fn delete_in(conn: &mut AnyConnection, id: &str, actor: Option<&str>) -> Result<bool> {
    // Children first: ON DELETE CASCADE needs foreign_keys on SQLite,
    // which is set, but explicit deletes keep both backends identical.
    for table in CHILD_TABLES {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE document_id = $1"
        )))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM webhook_deliveries WHERE document_id = $1 AND status = 'pending'")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM documents WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    audit::write(
        &mut *conn,
        id,
        actor,
        "document.delete",
        serde_json::json!({}),
        now_ms(),
    )
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets the searchable text of the current content (already cleaned by
/// the caller).
pub async fn set_text(pool: &AnyPool, doc_id: &str, text: &str) -> Result<()> {
    sqlx::query("UPDATE documents SET content_text = $1 WHERE id = $2")
        .bind(text)
        .bind(doc_id)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Status;

    #[test]
    fn list_filter_binds_every_value() {
        let q = ListQuery {
            status: Some(Status::Review),
            tag: Some("t".into()),
            owner: Some("bob".into()),
            title_contains: Some("50%\0".into()),
            ..ListQuery::default()
        };
        let (from, binds) = list_filter("u1", &q);
        assert_eq!(binds, ["u1", "review", "t", "bob", "%50\\%%"]);
        for n in 1..=5 {
            assert!(from.contains(&format!("${n}")), "{from}");
        }
        assert!(!from.contains("bob") && !from.contains("review"));
        let (from, binds) = list_filter("u1", &ListQuery::default());
        assert_eq!(binds, ["u1"]);
        assert!(from.ends_with("WHERE d.deleted_at IS NULL"));
    }
}
