-- Quire schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql:
-- same tables, same columns; only types and id generation differ.
-- Timestamps are unix milliseconds (BIGINT); ids are UUID text.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (LOWER(username));
CREATE UNIQUE INDEX users_email_key ON users (LOWER(email));

CREATE TABLE documents (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'draft',
    tags            TEXT NOT NULL DEFAULT '[]',
    owner_id        TEXT NOT NULL REFERENCES users (id),
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_edited_by  TEXT REFERENCES users (id),
    last_edited_at  BIGINT,
    content_text    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX documents_updated_idx ON documents (updated_at DESC);
CREATE INDEX documents_owner_idx ON documents (owner_id);
CREATE INDEX documents_status_idx ON documents (status);

CREATE TABLE document_tags (
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (document_id, tag)
);
CREATE INDEX document_tags_tag_idx ON document_tags (tag);

CREATE TABLE document_members (
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (document_id, user_id)
);
CREATE INDEX document_members_user_idx ON document_members (user_id);

CREATE TABLE document_snapshots (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id    TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    state          BLOB NOT NULL,
    state_vector   BLOB NOT NULL,
    checksum       TEXT NOT NULL,
    last_update_id BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX document_snapshots_doc_idx ON document_snapshots (document_id, id DESC);

CREATE TABLE document_updates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    data        BLOB NOT NULL,
    user_id     TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX document_updates_doc_idx ON document_updates (document_id, id);

CREATE TABLE document_versions (
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    number      BIGINT NOT NULL,
    label       TEXT NOT NULL,
    state       BLOB NOT NULL,
    text        TEXT NOT NULL DEFAULT '',
    created_by  TEXT REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    auto        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (document_id, number)
);

CREATE TABLE document_activity (
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    edits       BIGINT NOT NULL DEFAULT 0,
    first_at    BIGINT NOT NULL,
    last_at     BIGINT NOT NULL,
    PRIMARY KEY (document_id, user_id)
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT,
    user_id     TEXT,
    action      TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_log_doc_idx ON audit_log (document_id, id);
