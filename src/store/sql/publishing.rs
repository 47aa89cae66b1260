//! Publishing: which saved version readers get (`published_version`), the
//! slug that names it, every version that was ever the published one (its
//! permanent URL), the published documents a reader may list, and the
//! schedule (`publish_at` / `unpublish_at`) the scheduler fires under a lease.

use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use super::constraint::{Unique, Violated, unique_violation};
use super::rows::{self, DOC_COLUMNS, DOC_JOINS};
use super::{audit, dialect};
use crate::store::text::escape_like;
use crate::store::{
    DeliveryItem, DeliveryQuery, Document, EVENT_DOCUMENT_PUBLISHED, EVENT_DOCUMENT_UNPUBLISHED,
    Page, Result, Schedule, StoreError,
};
use crate::util::now_ms;

/// Longest slug (characters of `[a-z0-9-]`).
pub const SLUG_MAX: usize = 100;

/// Whether `s` is a valid slug: 1–100 of `a-z`, `0-9` and `-`.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= SLUG_MAX
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A slug suggested by a title: lower-case ASCII letters and digits, every
/// other run of characters one `-`, trimmed; `document` when nothing is left.
/// Letters with accents lose them where the decomposition is simple.
pub fn slug_from_title(title: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in title.chars() {
        let c = fold(c);
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
        if out.len() >= SLUG_MAX - 8 {
            break;
        }
    }
    if out.is_empty() {
        "document".into()
    } else {
        out
    }
}

/// The plain letter of a common accented Latin letter.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ß' => 's',
        c => c,
    }
}

/// The document without a viewer's role.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Document>> {
    let sql = format!(
        "SELECT {DOC_COLUMNS} FROM documents d {DOC_JOINS} WHERE d.id = $1 AND d.deleted_at IS NULL"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(|r| rows::document(r, false)).transpose()
}

/// The first of `base`, `base-2`, `base-3`, … that no document uses.
async fn free_slug(conn: &mut AnyConnection, base: &str) -> Result<String> {
    for n in 1..=1000u32 {
        let candidate = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        let taken = sqlx::query("SELECT 1 FROM documents WHERE slug = $1")
            .bind(&candidate)
            .fetch_optional(&mut *conn)
            .await?
            .is_some();
        if !taken {
            return Ok(candidate);
        }
    }
    Ok(format!("{base}-{}", uuid::Uuid::now_v7().simple()))
}

/// Makes version `number` the published revision: status `published`,
/// `published_at` now, a slug from the title when there is none, the
/// metadata version bumped (a stale PATCH then conflicts), the version
/// remembered as once published, audited. None when the document is gone.
pub async fn publish(
    pool: &AnyPool,
    id: &str,
    actor: Option<&str>,
    number: i64,
) -> Result<Option<Document>> {
    // Two publishers choosing the same free slug at once: the unique index
    // refuses the second, which tries again with the next free one.
    for _ in 0..3 {
        match try_publish(pool, id, actor, number).await {
            Err(StoreError::Duplicate("slug")) => continue,
            other => return other,
        }
    }
    try_publish(pool, id, actor, number).await
}

async fn try_publish(
    pool: &AnyPool,
    id: &str,
    actor: Option<&str>,
    number: i64,
) -> Result<Option<Document>> {
    let mut tx = dialect::begin_write(pool).await?;
    let Some(current) = get(&mut tx, id).await? else {
        return Ok(None);
    };
    let slug = match current.slug {
        Some(s) => s,
        None => free_slug(&mut tx, &slug_from_title(&current.title)).await?,
    };
    let now = now_ms();
    sqlx::query(
        "UPDATE documents SET published_version = $2, published_at = $3, status = 'published', slug = $4, \
         version = version + 1, updated_at = $3, updated_by = COALESCE($5, updated_by), \
         publish_at = CASE WHEN $5 IS NULL THEN NULL ELSE publish_at END, \
         schedule_lease = CASE WHEN $5 IS NULL THEN NULL ELSE schedule_lease END WHERE id = $1",
    )
    .bind(id)
    .bind(number)
    .bind(now)
    .bind(&slug)
    .bind(actor)
    .execute(&mut *tx)
    .await
    .map_err(|e| match unique_violation(&e) {
        Some(Violated::Known(Unique::Slug)) => StoreError::Duplicate("slug"),
        _ => e.into(),
    })?;
    sqlx::query(
        "INSERT INTO published_versions (document_id, number, published_at) VALUES ($1, $2, $3) \
         ON CONFLICT (document_id, number) DO NOTHING",
    )
    .bind(id)
    .bind(number)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let details =
        serde_json::json!({ "version": number, "slug": slug, "scheduled": actor.is_none() });
    audit::write(&mut tx, id, actor, "document.publish", details, now).await?;
    let number_text = number.to_string();
    super::webhooks::record(
        &mut tx,
        id,
        EVENT_DOCUMENT_PUBLISHED,
        Some(&number_text),
        now,
    )
    .await?;
    let doc = get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(doc)
}

/// Takes the published revision down (status `draft`); the version stays
/// in the history. Returns the document, changed or not (unpublishing a
/// document that is not published changes nothing), None when it is gone.
pub async fn unpublish(pool: &AnyPool, id: &str, actor: Option<&str>) -> Result<Option<Document>> {
    let mut tx = dialect::begin_write(pool).await?;
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE documents SET published_version = NULL, published_at = NULL, status = 'draft', \
         version = version + 1, updated_at = $2, updated_by = COALESCE($3, updated_by) \
         WHERE id = $1 AND published_version IS NOT NULL",
    )
    .bind(id)
    .bind(now)
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() > 0 {
        let details = serde_json::json!({ "scheduled": actor.is_none() });
        audit::write(&mut tx, id, actor, "document.unpublish", details, now).await?;
        super::webhooks::record(&mut tx, id, EVENT_DOCUMENT_UNPUBLISHED, None, now).await?;
    }
    if actor.is_none() {
        // The scheduler fired `unpublish_at`: cleared even when there was
        // nothing to take down.
        sqlx::query(
            "UPDATE documents SET unpublish_at = NULL, schedule_lease = NULL, version = version + 1 \
             WHERE id = $1 AND unpublish_at IS NOT NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    let doc = get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(doc)
}

pub async fn by_slug(pool: &AnyPool, slug: &str) -> Result<Option<Document>> {
    if !is_slug(slug) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {DOC_COLUMNS} FROM documents d {DOC_JOINS} WHERE d.slug = $1 AND d.deleted_at IS NULL"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(slug)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(|r| rows::document(r, false)).transpose()
}

/// Whether version `number` of the document was ever its published one.
pub async fn was_published(pool: &AnyPool, id: &str, number: i64) -> Result<bool> {
    let row =
        sqlx::query("SELECT 1 FROM published_versions WHERE document_id = $1 AND number = $2")
            .bind(id)
            .bind(number)
            .fetch_optional(pool)
            .await?;
    Ok(row.is_some())
}

/// Published documents `reader` may read (public ones, and those the
/// reader is a member of), newest publication first, with an excerpt of
/// the published text.
pub async fn list(
    pool: &AnyPool,
    reader: Option<&str>,
    q: &DeliveryQuery,
) -> Result<Page<DeliveryItem>> {
    let mut filter = String::from(
        "d.published_version IS NOT NULL AND d.deleted_at IS NULL AND (d.visibility = 'public' OR EXISTS \
         (SELECT 1 FROM document_members m WHERE m.document_id = d.id AND m.user_id = $1))",
    );
    let mut binds: Vec<String> = vec![reader.unwrap_or("").to_string()];
    if let Some(tag) = &q.tag {
        binds.push(tag.clone());
        filter.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM document_tags t WHERE t.document_id = d.id AND t.tag = ${})",
            binds.len()
        ));
    }
    if let Some(words) = &q.title_contains {
        binds.push(format!("%{}%", escape_like(&words.to_lowercase())));
        filter.push_str(&format!(
            " AND LOWER(d.title) LIKE ${} ESCAPE '\\'",
            binds.len()
        ));
    }
    let sql = format!(
        "SELECT d.slug, d.title, d.tags, d.published_at, SUBSTR(v.text, 1, 300) AS excerpt \
         FROM documents d JOIN document_versions v ON v.document_id = d.id AND v.number = d.published_version \
         WHERE {filter} ORDER BY d.published_at DESC, d.id LIMIT {} OFFSET {}",
        q.limit, q.offset
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for b in &binds {
        query = query.bind(b.clone());
    }
    let mut items = Vec::new();
    for r in query.fetch_all(pool).await? {
        let tags: String = r.try_get("tags")?;
        items.push(DeliveryItem {
            slug: r.try_get::<Option<String>, _>("slug")?.unwrap_or_default(),
            title: r.try_get("title")?,
            tags: serde_json::from_str(&tags).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            published_at: r.try_get::<Option<i64>, _>("published_at")?.unwrap_or(0),
            excerpt: r
                .try_get::<Option<String>, _>("excerpt")?
                .unwrap_or_default(),
        });
    }
    let mut count = sqlx::query(AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM documents d WHERE {filter}"
    )));
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total = rows::count(&count.fetch_one(pool).await?)?;
    Ok(Page { items, total })
}

/// Documents with a publish or unpublish due at `now` (ms) whose lease is
/// free, oldest first.
pub async fn due(pool: &AnyPool, now: i64, limit: i64) -> Result<Vec<Schedule>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT id, publish_at, unpublish_at FROM documents \
         WHERE ((publish_at IS NOT NULL AND publish_at <= $1) OR (unpublish_at IS NOT NULL AND unpublish_at <= $1)) \
         AND (schedule_lease IS NULL OR schedule_lease < $1) AND deleted_at IS NULL \
         ORDER BY COALESCE(publish_at, unpublish_at) LIMIT {limit}"
    )))
    .bind(now)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Schedule {
                document_id: r.try_get("id")?,
                publish_at: r.try_get("publish_at")?,
                unpublish_at: r.try_get("unpublish_at")?,
            })
        })
        .collect()
}

/// Takes the lease on the document's due schedule until `until` (ms): true
/// for exactly one caller while the lease is free and something is due.
pub async fn lease(pool: &AnyPool, id: &str, now: i64, until: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE documents SET schedule_lease = $3 WHERE id = $1 \
         AND (schedule_lease IS NULL OR schedule_lease < $2) \
         AND ((publish_at IS NOT NULL AND publish_at <= $2) OR (unpublish_at IS NOT NULL AND unpublish_at <= $2))",
    )
    .bind(id)
    .bind(now)
    .bind(until)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(is_slug("a-b-1"));
        assert!(!is_slug(""));
        assert!(!is_slug("A"));
        assert!(!is_slug("a b"));
        assert!(!is_slug("ü"));
        assert!(!is_slug(&"a".repeat(101)));
        assert_eq!(slug_from_title("  Hello, Wörld! 2026 "), "hello-world-2026");
        assert_eq!(slug_from_title("日本語"), "document");
        assert_eq!(slug_from_title("--a--b--"), "a-b");
        assert!(slug_from_title(&"x".repeat(500)).len() <= SLUG_MAX);
    }
}
