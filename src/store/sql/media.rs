//! Uploaded images: stored once per distinct content per document, read
//! back with their bytes while the document is not in the trash. Deleting
//! the document deletes them (`documents::delete_in`).

use sqlx::{AnyPool, Row};

use crate::store::text::unmatchable;
use crate::store::{Media, NewMedia, Result, StoredMedia};

const COLUMNS: &str =
    "m.id, m.document_id, m.content_type, m.bytes, m.width, m.height, m.created_at";

fn media(row: &sqlx::any::AnyRow) -> Result<Media> {
    Ok(Media {
        id: row.try_get("id")?,
        document_id: row.try_get("document_id")?,
        content_type: row.try_get("content_type")?,
        bytes: row.try_get("bytes")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts the upload unless the document already holds the same bytes,
/// and answers the stored row either way (None: the document is gone).
pub async fn put(pool: &AnyPool, new: &NewMedia) -> Result<Option<Media>> {
    let bytes = i64::try_from(new.data.len()).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO media (id, document_id, sha256, content_type, bytes, width, height, data, \
         uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (document_id, sha256) DO NOTHING",
    )
    .bind(&new.id)
    .bind(&new.document_id)
    .bind(&new.sha256)
    .bind(&new.content_type)
    .bind(bytes)
    .bind(new.width)
    .bind(new.height)
    .bind(&new.data)
    .bind(&new.uploaded_by)
    .bind(new.created_at)
    .execute(pool)
    .await?;
    let sql = format!("SELECT {COLUMNS} FROM media m WHERE m.document_id = $1 AND m.sha256 = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&new.document_id)
        .bind(&new.sha256)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(media)
        .transpose()
}

/// One image with its bytes, unless unknown or its document is trashed.
pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<StoredMedia>> {
    if unmatchable(id) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {COLUMNS}, m.data FROM media m JOIN documents d ON d.id = m.document_id \
         WHERE m.id = $1 AND d.deleted_at IS NULL"
    );
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(StoredMedia {
        media: media(&row)?,
        data: row.try_get("data")?,
    }))
}
