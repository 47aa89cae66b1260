//! Row mapping: the column lists the queries select and the functions that
//! turn those rows into the store's data types. A value the schema does not
//! allow (an unknown role or status, tags that are not a JSON list) is a
//! [`StoreError::Corrupt`] rather than a panic.

use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::{
    ApiToken, AuditEntry, Document, EditActivity, Member, Result, Role, Snapshot, StoreError,
    StoredUpdate, User, Version,
};

/// Columns of `users` that [`user`] reads.
pub const USER_COLUMNS: &str = "id, username, email, created_at";

/// Columns [`document`] reads, over `documents d` joined with [`DOC_JOINS`].
pub const DOC_COLUMNS: &str = "d.id, d.title, d.status, d.tags, d.owner_id, ou.username AS owner_username, \
     d.version, d.created_at, d.updated_at, d.last_edited_by, le.username AS last_edited_by_username, \
     d.last_edited_at, d.updated_by, ub.username AS updated_by_username, d.slug, d.visibility, \
     d.published_version, d.published_at, d.publish_at, d.unpublish_at";
/// The owner's, the last editor's and the last metadata editor's names for
/// [`DOC_COLUMNS`].
pub const DOC_JOINS: &str = "JOIN users ou ON ou.id = d.owner_id LEFT JOIN users le ON le.id = d.last_edited_by \
     LEFT JOIN users ub ON ub.id = d.updated_by";

/// Columns [`version`] reads, over `document_versions v` left-joined with
/// `users u` on the author.
pub const VERSION_COLUMNS: &str =
    "v.number, v.label, v.created_by, u.username AS created_by_username, v.created_at, v.auto";

/// Columns [`token`] reads, over `api_tokens t`.
pub const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.name, t.read_only, t.delivery_only, t.created_at, t.expires_at, t.last_used_at, t.revoked_at";

/// Parses a stored enumeration value (role, status).
fn parsed<T: FromStr>(row: &AnyRow, column: &str) -> Result<T> {
    let raw: String = row.try_get(column)?;
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} {raw}")))
}

/// A BIGINT 0/1 column as a flag.
fn flag(row: &AnyRow, column: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

pub fn user(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A document; `with_role` when the row also has the viewer's `role`.
pub fn document(row: &AnyRow, with_role: bool) -> Result<Document> {
    let tags: String = row.try_get("tags")?;
    Ok(Document {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        status: parsed(row, "status")?,
        tags: serde_json::from_str(&tags).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        owner_id: row.try_get("owner_id")?,
        owner_username: row.try_get("owner_username")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        last_edited_by: row.try_get("last_edited_by")?,
        last_edited_by_username: row.try_get("last_edited_by_username")?,
        last_edited_at: row.try_get("last_edited_at")?,
        updated_by: row.try_get("updated_by")?,
        updated_by_username: row.try_get("updated_by_username")?,
        role: if with_role {
            Some(parsed(row, "role")?)
        } else {
            None
        },
        slug: row.try_get("slug")?,
        visibility: parsed(row, "visibility")?,
        published_version: row.try_get("published_version")?,
        published_at: row.try_get("published_at")?,
        publish_at: row.try_get("publish_at")?,
        unpublish_at: row.try_get("unpublish_at")?,
    })
}

/// A membership role where an unknown value means "no role".
pub fn role_lenient(row: &AnyRow) -> Result<Option<Role>> {
    let raw: String = row.try_get("role")?;
    Ok(raw.parse().ok())
}

pub fn member(row: &AnyRow) -> Result<Member> {
    Ok(Member {
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        role: parsed(row, "role")?,
    })
}

/// An audit entry; details that are not JSON read as `null`.
pub fn audit_entry(row: &AnyRow) -> Result<AuditEntry> {
    let details: String = row.try_get("details")?;
    Ok(AuditEntry {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        action: row.try_get("action")?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
        created_at: row.try_get("created_at")?,
    })
}

pub fn activity(row: &AnyRow) -> Result<EditActivity> {
    Ok(EditActivity {
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        edits: row.try_get("edits")?,
        first_at: row.try_get("first_at")?,
        last_at: row.try_get("last_at")?,
    })
}

pub fn snapshot(row: &AnyRow) -> Result<Snapshot> {
    Ok(Snapshot {
        id: row.try_get("id")?,
        state: row.try_get("state")?,
        state_vector: row.try_get("state_vector")?,
        checksum: row.try_get("checksum")?,
        last_update_id: row.try_get("last_update_id")?,
    })
}

pub fn stored_update(row: &AnyRow) -> Result<StoredUpdate> {
    Ok(StoredUpdate {
        id: row.try_get("id")?,
        data: row.try_get("data")?,
    })
}

pub fn version(row: &AnyRow) -> Result<Version> {
    Ok(Version {
        number: row.try_get("number")?,
        label: row.try_get("label")?,
        created_by: row.try_get("created_by")?,
        created_by_username: row.try_get("created_by_username")?,
        created_at: row.try_get("created_at")?,
        auto: flag(row, "auto")?,
    })
}

pub fn token(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        read_only: flag(row, "read_only")?,
        delivery_only: flag(row, "delivery_only")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// The integer `COUNT(*) AS n` of a counting query.
pub fn count(row: &AnyRow) -> Result<i64> {
    Ok(row.try_get("n")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Status;
    use crate::store::sql::test_pool;

    async fn one(sql: &'static str) -> AnyRow {
        let pool = test_pool::empty().await;
        sqlx::query(sql).fetch_one(&pool).await.unwrap()
    }

    #[tokio::test]
    async fn maps_a_document_with_and_without_role() {
        let row = one(
            "SELECT 'd1' AS id, 'Title' AS title, 'review' AS status, '[\"a\",\"b\"]' AS tags, \
             'u1' AS owner_id, 'alice' AS owner_username, 3 AS version, 10 AS created_at, \
             20 AS updated_at, 'u2' AS last_edited_by, 'bob' AS last_edited_by_username, \
             30 AS last_edited_at, 'u1' AS updated_by, 'alice' AS updated_by_username, 'editor' AS role, \
             'hello' AS slug, 'public' AS visibility, 2 AS published_version, 40 AS published_at, \
             50 AS publish_at, NULL AS unpublish_at",
        )
        .await;
        let doc = document(&row, true).unwrap();
        assert_eq!(doc.status, Status::Review);
        assert_eq!(doc.tags, ["a", "b"]);
        assert_eq!(doc.version, 3);
        assert_eq!(doc.last_edited_by_username.as_deref(), Some("bob"));
        assert_eq!(doc.last_edited_at, Some(30));
        assert_eq!(doc.updated_by_username.as_deref(), Some("alice"));
        assert_eq!(doc.role, Some(Role::Editor));
        assert_eq!(document(&row, false).unwrap().role, None);
        assert_eq!(doc.slug.as_deref(), Some("hello"));
        assert_eq!(doc.visibility, crate::store::Visibility::Public);
        assert_eq!(
            (
                doc.published_version,
                doc.published_at,
                doc.publish_at,
                doc.unpublish_at
            ),
            (Some(2), Some(40), Some(50), None)
        );

        let row = one(
            "SELECT 'd1' AS id, 'Title' AS title, 'draft' AS status, '[]' AS tags, \
             'u1' AS owner_id, 'alice' AS owner_username, 1 AS version, 10 AS created_at, \
             20 AS updated_at, NULL AS last_edited_by, NULL AS last_edited_by_username, \
             NULL AS last_edited_at, NULL AS updated_by, NULL AS updated_by_username, \
             NULL AS slug, 'private' AS visibility, NULL AS published_version, NULL AS published_at, \
             NULL AS publish_at, NULL AS unpublish_at",
        )
        .await;
        let doc = document(&row, false).unwrap();
        assert_eq!(doc.last_edited_by, None);
        assert_eq!(doc.last_edited_at, None);
    }

    #[tokio::test]
    async fn unknown_values_are_corrupt_rows() {
        let bad_status = one(
            "SELECT 'd1' AS id, 'T' AS title, 'lost' AS status, '[]' AS tags, 'u1' AS owner_id, \
             'alice' AS owner_username, 1 AS version, 1 AS created_at, 1 AS updated_at, \
             NULL AS last_edited_by, NULL AS last_edited_by_username, NULL AS last_edited_at, \
             NULL AS updated_by, NULL AS updated_by_username",
        )
        .await;
        assert!(matches!(
            document(&bad_status, false),
            Err(StoreError::Corrupt(m)) if m == "status lost"
        ));
        let bad_tags = one(
            "SELECT 'd1' AS id, 'T' AS title, 'draft' AS status, 'x' AS tags, 'u1' AS owner_id, \
             'alice' AS owner_username, 1 AS version, 1 AS created_at, 1 AS updated_at, \
             NULL AS last_edited_by, NULL AS last_edited_by_username, NULL AS last_edited_at, \
             NULL AS updated_by, NULL AS updated_by_username",
        )
        .await;
        assert!(matches!(
            document(&bad_tags, false),
            Err(StoreError::Corrupt(_))
        ));
        let row = one("SELECT 'u1' AS user_id, 'alice' AS username, 'king' AS role").await;
        assert!(matches!(member(&row), Err(StoreError::Corrupt(m)) if m == "role king"));
        assert_eq!(role_lenient(&row).unwrap(), None);
    }

    #[tokio::test]
    async fn maps_flags_and_lenient_details() {
        let row = one(
            "SELECT 2 AS number, 'v' AS label, NULL AS created_by, NULL AS created_by_username, \
             5 AS created_at, 1 AS auto",
        )
        .await;
        let v = version(&row).unwrap();
        assert!(v.auto);
        assert_eq!((v.number, v.created_by), (2, None));

        let row = one(
            "SELECT 't1' AS id, 'u1' AS user_id, 'ci' AS name, 0 AS read_only, 1 AS delivery_only, \
             1 AS created_at, NULL AS expires_at, 7 AS last_used_at, NULL AS revoked_at",
        )
        .await;
        let t = token(&row).unwrap();
        assert!(!t.read_only);
        assert!(t.delivery_only);
        assert_eq!(t.last_used_at, Some(7));

        let row = one(
            "SELECT 1 AS id, NULL AS user_id, NULL AS username, 'a' AS action, \
             'not json' AS details, 9 AS created_at",
        )
        .await;
        let e = audit_entry(&row).unwrap();
        assert_eq!(e.details, serde_json::Value::Null);
        assert_eq!(e.user_id, None);
    }
}
