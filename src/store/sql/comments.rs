//! Comment threads and their comments, and the notifications they (and
//! sharing) produce. Every lookup is scoped to its document, so a thread id
//! from another document finds nothing.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::store::text::unmatchable;
use crate::store::{
    Comment, NewNotification, NewThread, Notification, Result, StoreError, Thread, UserRef,
};
use crate::util::now_ms;

const THREAD_COLUMNS: &str = "t.id, t.document_id, t.anchor_start, t.anchor_end, t.quote, \
     t.created_by, cu.username AS created_by_username, t.created_at, \
     t.resolved_by, ru.username AS resolved_by_username, t.resolved_at";
const THREAD_JOINS: &str =
    "JOIN users cu ON cu.id = t.created_by LEFT JOIN users ru ON ru.id = t.resolved_by";
const COMMENT_COLUMNS: &str = "c.id, c.thread_id, c.author_id, u.username AS author_username, \
     c.body, c.created_at, c.edited_at";

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn thread_row(r: &AnyRow) -> Result<Thread> {
    let start: Option<String> = r.try_get("anchor_start")?;
    let end: Option<String> = r.try_get("anchor_end")?;
    let resolved_by: Option<String> = r.try_get("resolved_by")?;
    Ok(Thread {
        id: r.try_get("id")?,
        document_id: r.try_get("document_id")?,
        anchor: start.zip(end),
        quote: r.try_get("quote")?,
        created_by: UserRef {
            id: r.try_get("created_by")?,
            username: r.try_get("created_by_username")?,
        },
        created_at: r.try_get("created_at")?,
        resolved_by: match resolved_by {
            Some(id) => Some(UserRef {
                id,
                username: r
                    .try_get::<Option<String>, _>("resolved_by_username")?
                    .unwrap_or_default(),
            }),
            None => None,
        },
        resolved_at: r.try_get("resolved_at")?,
        comments: Vec::new(),
    })
}

fn comment_row(r: &AnyRow) -> Result<Comment> {
    Ok(Comment {
        id: r.try_get("id")?,
        thread_id: r.try_get("thread_id")?,
        author: UserRef {
            id: r.try_get("author_id")?,
            username: r.try_get("author_username")?,
        },
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
        edited_at: r.try_get("edited_at")?,
    })
}

/// Opens a thread with its first comment.
pub async fn create_thread(pool: &AnyPool, new: &NewThread) -> Result<Thread> {
    let id = new_id();
    let comment_id = new_id();
    let now = now_ms();
    let (start, end) = match &new.anchor {
        Some((s, e)) => (Some(s.as_str()), Some(e.as_str())),
        None => (None, None),
    };
    let mut tx = super::dialect::begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO comment_threads (id, document_id, anchor_start, anchor_end, quote, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&new.document_id)
    .bind(start)
    .bind(end)
    .bind(new.quote.as_deref())
    .bind(&new.author_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO comments (id, thread_id, document_id, author_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&comment_id)
    .bind(&id)
    .bind(&new.document_id)
    .bind(&new.author_id)
    .bind(&new.body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let subject = format!("{id}/{comment_id}");
    super::webhooks::record(
        &mut tx,
        &new.document_id,
        crate::store::EVENT_COMMENT_CREATED,
        Some(&subject),
        now,
    )
    .await?;
    tx.commit().await?;
    thread(pool, &new.document_id, &id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("thread vanished after insert".into()))
}

/// Every thread of the document with its comments, oldest first.
pub async fn threads(pool: &AnyPool, doc_id: &str) -> Result<Vec<Thread>> {
    if unmatchable(doc_id) {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {THREAD_COLUMNS} FROM comment_threads t {THREAD_JOINS} \
         WHERE t.document_id = $1 ORDER BY t.created_at, t.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(doc_id)
        .fetch_all(pool)
        .await?;
    let mut threads = rows.iter().map(thread_row).collect::<Result<Vec<_>>>()?;
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN users u ON u.id = c.author_id \
         WHERE c.document_id = $1 ORDER BY c.created_at, c.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(doc_id)
        .fetch_all(pool)
        .await?;
    let mut by_thread: HashMap<String, Vec<Comment>> = HashMap::new();
    for r in &rows {
        let c = comment_row(r)?;
        by_thread.entry(c.thread_id.clone()).or_default().push(c);
    }
    for t in &mut threads {
        t.comments = by_thread.remove(&t.id).unwrap_or_default();
    }
    Ok(threads)
}

/// One thread of the document with its comments.
pub async fn thread(pool: &AnyPool, doc_id: &str, thread_id: &str) -> Result<Option<Thread>> {
    if unmatchable(doc_id) || unmatchable(thread_id) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {THREAD_COLUMNS} FROM comment_threads t {THREAD_JOINS} \
         WHERE t.document_id = $1 AND t.id = $2"
    );
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(doc_id)
        .bind(thread_id)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let mut t = thread_row(&row)?;
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN users u ON u.id = c.author_id \
         WHERE c.thread_id = $1 ORDER BY c.created_at, c.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(thread_id)
        .fetch_all(pool)
        .await?;
    t.comments = rows.iter().map(comment_row).collect::<Result<Vec<_>>>()?;
    Ok(Some(t))
}

/// Adds a reply; None when the thread is not the document's.
pub async fn add_comment(
    pool: &AnyPool,
    doc_id: &str,
    thread_id: &str,
    author_id: &str,
    body: &str,
) -> Result<Option<Comment>> {
    if thread(pool, doc_id, thread_id).await?.is_none() {
        return Ok(None);
    }
    let id = new_id();
    let now = now_ms();
    let mut tx = super::dialect::begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO comments (id, thread_id, document_id, author_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(thread_id)
    .bind(doc_id)
    .bind(author_id)
    .bind(body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let subject = format!("{thread_id}/{id}");
    super::webhooks::record(
        &mut tx,
        doc_id,
        crate::store::EVENT_COMMENT_CREATED,
        Some(&subject),
        now,
    )
    .await?;
    tx.commit().await?;
    comment(pool, doc_id, thread_id, &id).await
}

/// One comment of a thread of the document.
pub async fn comment(
    pool: &AnyPool,
    doc_id: &str,
    thread_id: &str,
    comment_id: &str,
) -> Result<Option<Comment>> {
    if unmatchable(comment_id) || unmatchable(thread_id) || unmatchable(doc_id) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN users u ON u.id = c.author_id \
         WHERE c.document_id = $1 AND c.thread_id = $2 AND c.id = $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(doc_id)
        .bind(thread_id)
        .bind(comment_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(comment_row).transpose()
}

/// Resolves (`by` set) or reopens (`None`) a thread; false when absent.
pub async fn set_resolved(
    pool: &AnyPool,
    doc_id: &str,
    thread_id: &str,
    by: Option<&str>,
) -> Result<bool> {
    if unmatchable(doc_id) || unmatchable(thread_id) {
        return Ok(false);
    }
    let at = by.map(|_| now_ms());
    let done = sqlx::query(
        "UPDATE comment_threads SET resolved_by = $1, resolved_at = $2 WHERE document_id = $3 AND id = $4",
    )
    .bind(by)
    .bind(at)
    .bind(doc_id)
    .bind(thread_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Replaces a comment's body; false when absent.
pub async fn edit_comment(
    pool: &AnyPool,
    doc_id: &str,
    thread_id: &str,
    comment_id: &str,
    body: &str,
) -> Result<bool> {
    if unmatchable(doc_id) || unmatchable(thread_id) || unmatchable(comment_id) {
        return Ok(false);
    }
    let done = sqlx::query(
        "UPDATE comments SET body = $1, edited_at = $2 WHERE document_id = $3 AND thread_id = $4 AND id = $5",
    )
    .bind(body)
    .bind(now_ms())
    .bind(doc_id)
    .bind(thread_id)
    .bind(comment_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes one comment; false when absent.
pub async fn delete_comment(
    pool: &AnyPool,
    doc_id: &str,
    thread_id: &str,
    comment_id: &str,
) -> Result<bool> {
    if unmatchable(doc_id) || unmatchable(thread_id) || unmatchable(comment_id) {
        return Ok(false);
    }
    let done =
        sqlx::query("DELETE FROM comments WHERE document_id = $1 AND thread_id = $2 AND id = $3")
            .bind(doc_id)
            .bind(thread_id)
            .bind(comment_id)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a thread and its comments; false when absent.
pub async fn delete_thread(pool: &AnyPool, doc_id: &str, thread_id: &str) -> Result<bool> {
    if unmatchable(doc_id) || unmatchable(thread_id) {
        return Ok(false);
    }
    let mut tx = super::dialect::begin_write(pool).await?;
    sqlx::query("DELETE FROM comments WHERE document_id = $1 AND thread_id = $2")
        .bind(doc_id)
        .bind(thread_id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM comment_threads WHERE document_id = $1 AND id = $2")
        .bind(doc_id)
        .bind(thread_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Records notifications, in one transaction.
pub async fn notify(pool: &AnyPool, items: &[NewNotification]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut tx = super::dialect::begin_write(pool).await?;
    for n in items {
        sqlx::query(
            "INSERT INTO notifications (id, user_id, kind, document_id, thread_id, comment_id, actor_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(&n.user_id)
        .bind(n.kind.as_str())
        .bind(&n.document_id)
        .bind(n.thread_id.as_deref())
        .bind(n.comment_id.as_deref())
        .bind(&n.actor_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The user's notifications, newest first, at most `limit`.
pub async fn notifications(
    pool: &AnyPool,
    user_id: &str,
    unread_only: bool,
    limit: i64,
) -> Result<Vec<Notification>> {
    let unread = if unread_only {
        " AND n.read_at IS NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT n.id, n.kind, n.document_id, n.thread_id, n.comment_id, n.actor_id, \
         u.username AS actor_username, n.created_at, n.read_at FROM notifications n \
         JOIN users u ON u.id = n.actor_id WHERE n.user_id = $1{unread} \
         ORDER BY n.created_at DESC, n.id DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(Notification {
                id: r.try_get("id")?,
                kind: kind
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("notification kind {kind}")))?,
                document_id: r.try_get("document_id")?,
                thread_id: r.try_get("thread_id")?,
                comment_id: r.try_get("comment_id")?,
                actor: UserRef {
                    id: r.try_get("actor_id")?,
                    username: r.try_get("actor_username")?,
                },
                created_at: r.try_get("created_at")?,
                read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
            })
        })
        .collect()
}

/// Marks the user's notifications `ids` (all of them when None) read.
pub async fn mark_read(pool: &AnyPool, user_id: &str, ids: Option<&[String]>) -> Result<()> {
    let now = now_ms();
    match ids {
        None => {
            sqlx::query(
                "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
            )
            .bind(now)
            .bind(user_id)
            .execute(pool)
            .await?;
        }
        Some(ids) => {
            let mut tx = super::dialect::begin_write(pool).await?;
            for id in ids.iter().filter(|id| !unmatchable(id)) {
                sqlx::query(
                    "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND id = $3 AND read_at IS NULL",
                )
                .bind(now)
                .bind(user_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}
