-- Keep in step with the other backend's 0008_webhooks.sql.
--
-- Webhooks. A user's hooks (`events` is a JSON array of event types) get
-- the events of the documents the user owns. The secret signs each
-- delivery, so it is kept; the API never shows it after creation.
CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_user_idx ON webhooks (user_id);

-- The outbox: one row per event, written in the same transaction as the
-- change it reports, when the owner has a hook that wants it. `subject`
-- names what the event is about besides the document (a version number,
-- a comment); `document` is the document as the change left it (JSON), so
-- that the event shows that state even when the relay sends it after a
-- later change. A relay turns each row into one delivery per hook.
CREATE TABLE webhook_outbox (
    id          TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    type        TEXT NOT NULL,
    subject     TEXT,
    document    TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_outbox_created_idx ON webhook_outbox (created_at);

-- `document.updated` is debounced: a body or metadata change records (or
-- moves forward) the time of the document's last change here; the event
-- is raised once that time is far enough in the past.
CREATE TABLE webhook_pending (
    document_id TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    changed_at  BIGINT NOT NULL
);
CREATE INDEX webhook_pending_changed_idx ON webhook_pending (changed_at);

-- One event for one hook, with the exact body every attempt sends.
-- `lease_until` is held by the instance sending an attempt, so that two
-- never send at once; `expires_at` ends the retries.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    type            TEXT NOT NULL,
    document_id     TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    lease_until     BIGINT,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook_idx ON webhook_deliveries (webhook_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id     TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    n               BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    response_status BIGINT,
    error           TEXT,
    PRIMARY KEY (delivery_id, n)
);
