-- Keep in step with ../postgres/0006_comments.sql.
--
-- Comment threads: an optional anchor (two encoded Yjs relative positions
-- into the `default` fragment, stored as sent) with the quoted text, and
-- the thread's comments, the first of which opened it. Notifications:
-- mentions, replies and shares, per user.
CREATE TABLE comment_threads (
    id           TEXT PRIMARY KEY,
    document_id  TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    anchor_start TEXT,
    anchor_end   TEXT,
    quote        TEXT,
    created_by   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    resolved_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    resolved_at  BIGINT
);
CREATE INDEX comment_threads_document_idx ON comment_threads (document_id);

CREATE TABLE comments (
    id          TEXT PRIMARY KEY,
    thread_id   TEXT NOT NULL REFERENCES comment_threads (id) ON DELETE CASCADE,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    author_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    edited_at   BIGINT
);
CREATE INDEX comments_thread_idx ON comments (thread_id, created_at);
CREATE INDEX comments_document_idx ON comments (document_id);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    thread_id   TEXT,
    comment_id  TEXT,
    actor_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at);
CREATE INDEX notifications_document_idx ON notifications (document_id);
