//! Webhooks: the hooks themselves, the outbox that records an event in the
//! same transaction as the change it reports, the debounce state of
//! `document.updated`, and the deliveries with their attempts.
//!
//! The path of an event is one way: a change writes an outbox row (or
//! moves a document's pending change time forward); the relay claims the
//! row by deleting it and writes one delivery per interested hook in the
//! same transaction; a sender leases a due delivery, sends it and records
//! the attempt. Every claim is a conditional statement only one instance
//! can win, so several instances share the work without sending an
//! attempt twice.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::store::text::unmatchable;
use crate::store::{
    DeliveryAttempt, DeliveryStatus, NewWebhook, OutboxEvent, Result, StoreError, Webhook,
    WebhookDelivery,
};
use crate::util::now_ms;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The `LIKE` pattern that finds an event type in a hook's JSON array.
fn wants(kind: &str) -> String {
    format!("%\"{kind}\"%")
}

fn events_json(events: &[String]) -> String {
    serde_json::to_string(events).unwrap_or_else(|_| "[]".into())
}

fn webhook(row: &AnyRow) -> Result<Webhook> {
    let events: String = row.try_get("events")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        url: row.try_get("url")?,
        events: serde_json::from_str(&events)
            .map_err(|e| StoreError::Corrupt(format!("webhook events: {e}")))?,
        secret: row.try_get("secret")?,
        created_at: row.try_get("created_at")?,
    })
}

// --- hooks ----------------------------------------------------------------

pub async fn create(pool: &AnyPool, new: &NewWebhook) -> Result<Webhook> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO webhooks (id, user_id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&new.user_id)
    .bind(&new.url)
    .bind(events_json(&new.events))
    .bind(&new.secret)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(Webhook {
        id,
        user_id: new.user_id.clone(),
        url: new.url.clone(),
        events: new.events.clone(),
        secret: new.secret.clone(),
        created_at: now,
    })
}

/// The user's hooks, oldest first.
pub async fn list(pool: &AnyPool, user_id: &str) -> Result<Vec<Webhook>> {
    sqlx::query("SELECT * FROM webhooks WHERE user_id = $1 ORDER BY created_at, id")
        .bind(user_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(webhook)
        .collect()
}

/// One of the user's hooks.
pub async fn get(pool: &AnyPool, user_id: &str, id: &str) -> Result<Option<Webhook>> {
    if unmatchable(id) {
        return Ok(None);
    }
    sqlx::query("SELECT * FROM webhooks WHERE user_id = $1 AND id = $2")
        .bind(user_id)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(webhook)
        .transpose()
}

/// Deletes one of the user's hooks with its deliveries.
pub async fn delete(pool: &AnyPool, user_id: &str, id: &str) -> Result<bool> {
    if unmatchable(id) {
        return Ok(false);
    }
    let done = sqlx::query("DELETE FROM webhooks WHERE user_id = $1 AND id = $2")
        .bind(user_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn count(pool: &AnyPool, user_id: &str) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM webhooks WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await?;
    super::rows::count(&row)
}

// --- recording events (inside the change's transaction) -------------------

/// Writes an outbox row for `kind` about the document, with the document as
/// it is now in this transaction, when its owner has a hook that wants it;
/// nothing otherwise.
pub async fn record(
    conn: &mut AnyConnection,
    document_id: &str,
    kind: &str,
    subject: Option<&str>,
    at: i64,
) -> Result<()> {
    let wanted = sqlx::query(
        "SELECT 1 AS one FROM documents d WHERE d.id = $1 AND d.deleted_at IS NULL AND EXISTS \
         (SELECT 1 FROM webhooks w WHERE w.user_id = d.owner_id AND w.events LIKE $2)",
    )
    .bind(document_id)
    .bind(wants(kind))
    .fetch_optional(&mut *conn)
    .await?;
    if wanted.is_none() {
        return Ok(());
    }
    let document = super::publishing::get(&mut *conn, document_id)
        .await?
        .and_then(|d| serde_json::to_string(&d).ok());
    sqlx::query(
        "INSERT INTO webhook_outbox (id, document_id, type, subject, document, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(document_id)
    .bind(kind)
    .bind(subject)
    .bind(document)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a body or metadata change for the debounced `document.updated`
/// (the latest change time wins), when the owner has a hook that wants it.
pub async fn touch(conn: &mut AnyConnection, document_id: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_pending (document_id, changed_at) \
         SELECT d.id, $2 FROM documents d WHERE d.id = $1 AND EXISTS \
         (SELECT 1 FROM webhooks w WHERE w.user_id = d.owner_id AND w.events LIKE $3) \
         ON CONFLICT (document_id) DO UPDATE SET changed_at = CASE \
         WHEN excluded.changed_at > webhook_pending.changed_at THEN excluded.changed_at \
         ELSE webhook_pending.changed_at END",
    )
    .bind(document_id)
    .bind(at)
    .bind(wants(crate::store::EVENT_DOCUMENT_UPDATED))
    .execute(conn)
    .await?;
    Ok(())
}

// --- the relay ---------------------------------------------------------------

/// Documents whose last change is at or before `quiet_since`.
pub async fn settled(pool: &AnyPool, quiet_since: i64, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT document_id FROM webhook_pending WHERE changed_at <= $1 ORDER BY changed_at LIMIT $2",
    )
    .bind(quiet_since)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("document_id")?)).collect()
}

/// Turns a settled pending change into a `document.updated` outbox row,
/// once: the delete only succeeds for one instance, and only when no
/// change came in since `quiet_since`.
pub async fn settle(pool: &AnyPool, document_id: &str, quiet_since: i64) -> Result<bool> {
    let mut tx = super::dialect::begin_write(pool).await?;
    let done =
        sqlx::query("DELETE FROM webhook_pending WHERE document_id = $1 AND changed_at <= $2")
            .bind(document_id)
            .bind(quiet_since)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    record(
        &mut tx,
        document_id,
        crate::store::EVENT_DOCUMENT_UPDATED,
        None,
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The oldest outbox rows.
pub async fn outbox(pool: &AnyPool, limit: i64) -> Result<Vec<OutboxEvent>> {
    let rows = sqlx::query("SELECT * FROM webhook_outbox ORDER BY created_at, id LIMIT $1")
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(OutboxEvent {
                id: r.try_get("id")?,
                document_id: r.try_get("document_id")?,
                kind: r.try_get("type")?,
                subject: r.try_get("subject")?,
                document: r
                    .try_get::<Option<String>, _>("document")?
                    .and_then(|j| serde_json::from_str(&j).ok()),
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Claims an outbox row and, in the same transaction, writes one delivery
/// of `body` for each of `owner_id`'s hooks that wants the event. `body`
/// None drops the event (what it was about is gone). False when another
/// instance claimed it first.
pub async fn dispatch(
    pool: &AnyPool,
    event: &OutboxEvent,
    owner_id: &str,
    body: Option<&str>,
    expires_at: i64,
) -> Result<bool> {
    let mut tx = super::dialect::begin_write(pool).await?;
    let done = sqlx::query("DELETE FROM webhook_outbox WHERE id = $1")
        .bind(&event.id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    if let Some(body) = body {
        let hooks = sqlx::query("SELECT id FROM webhooks WHERE user_id = $1 AND events LIKE $2")
            .bind(owner_id)
            .bind(wants(&event.kind))
            .fetch_all(&mut *tx)
            .await?;
        let now = now_ms();
        for hook in hooks {
            let hook_id: String = hook.try_get("id")?;
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, document_id, body, status, \
                 attempts, next_attempt_at, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $7) \
                 ON CONFLICT (webhook_id, event_id) DO NOTHING",
            )
            .bind(new_id())
            .bind(&hook_id)
            .bind(&event.id)
            .bind(&event.kind)
            .bind(&event.document_id)
            .bind(body)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

// --- deliveries ----------------------------------------------------------------

const DELIVERY_COLUMNS: &str = "d.id, d.webhook_id, d.event_id, d.type, d.document_id, d.body, d.status, \
    d.attempts, d.next_attempt_at, d.expires_at, d.created_at, w.url, w.secret";

fn delivery(row: &AnyRow) -> Result<WebhookDelivery> {
    let status: String = row.try_get("status")?;
    Ok(WebhookDelivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        event_id: row.try_get("event_id")?,
        kind: row.try_get("type")?,
        document_id: row.try_get("document_id")?,
        body: row.try_get("body")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery status {status}")))?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        log: Vec::new(),
    })
}

/// Pending deliveries due at `now` and not leased, the most overdue first.
pub async fn due(pool: &AnyPool, now: i64, limit: i64) -> Result<Vec<WebhookDelivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
         AND (d.lease_until IS NULL OR d.lease_until <= $1) ORDER BY d.next_attempt_at LIMIT $2"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(pool)
        .await?
        .iter()
        .map(delivery)
        .collect()
}

/// When the next pending delivery not leased at `now` falls due.
pub async fn next_due(pool: &AnyPool, now: i64) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending' \
         AND (lease_until IS NULL OR lease_until <= $1)",
    )
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok(row.try_get("at")?)
}

/// Leases a due delivery until `until`; false when another instance holds
/// it or it is no longer due.
pub async fn lease(pool: &AnyPool, id: &str, now: i64, until: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = $3 WHERE id = $1 AND status = 'pending' \
         AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)",
    )
    .bind(id)
    .bind(now)
    .bind(until)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records an attempt and what follows it: `next` Some(time) to retry,
/// None when done (`status` says how). Releases the lease.
pub async fn finish(
    pool: &AnyPool,
    id: &str,
    attempt: &DeliveryAttempt,
    status: DeliveryStatus,
    next: Option<i64>,
) -> Result<()> {
    let mut tx = super::dialect::begin_write(pool).await?;
    let row = sqlx::query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, status = $2, next_attempt_at = $3, \
         lease_until = NULL WHERE id = $1 RETURNING attempts",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(next)
    .fetch_optional(&mut *tx)
    .await?;
    // The hook was deleted meanwhile: nothing to record.
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(());
    };
    let n: i64 = row.try_get("attempts")?;
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery_id, n, at, response_status, error) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(n)
    .bind(attempt.at)
    .bind(attempt.response_status)
    .bind(attempt.error.as_deref())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The hook's newest deliveries with their attempts.
pub async fn deliveries(
    pool: &AnyPool,
    webhook_id: &str,
    limit: i64,
) -> Result<Vec<WebhookDelivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.webhook_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2"
    );
    let mut items: Vec<WebhookDelivery> = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(pool)
        .await?
        .iter()
        .map(delivery)
        .collect::<Result<_>>()?;
    for d in &mut items {
        d.log = attempts(pool, &d.id).await?;
    }
    Ok(items)
}

async fn attempts(pool: &AnyPool, delivery_id: &str) -> Result<Vec<DeliveryAttempt>> {
    sqlx::query(
        "SELECT at, response_status, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY n",
    )
    .bind(delivery_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        Ok(DeliveryAttempt {
            at: r.try_get("at")?,
            response_status: r.try_get("response_status")?,
            error: r.try_get("error")?,
        })
    })
    .collect()
}

/// Sends a delivery again (same event, a new attempt) now, with a new
/// retry window; None when it is not one of the hook's.
pub async fn redeliver(
    pool: &AnyPool,
    webhook_id: &str,
    id: &str,
    now: i64,
    expires_at: i64,
) -> Result<Option<WebhookDelivery>> {
    if unmatchable(id) || unmatchable(webhook_id) {
        return Ok(None);
    }
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, expires_at = $4 \
         WHERE id = $1 AND webhook_id = $2",
    )
    .bind(id)
    .bind(webhook_id)
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1"
    );
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let mut d = delivery(&row)?;
    d.log = attempts(pool, id).await?;
    Ok(Some(d))
}

/// Forgets finished deliveries created before `before`.
pub async fn prune(pool: &AnyPool, before: i64) -> Result<u64> {
    let done =
        sqlx::query("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1")
            .bind(before)
            .execute(pool)
            .await?;
    Ok(done.rows_affected())
}
