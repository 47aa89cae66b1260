-- Keep in step with ../sqlite/0005_sessions.sql.
--
-- Server-side sessions: a session JWT names its row (claim `sid`); signing
-- out revokes the row, and a revoked or expired session is refused even
-- though its JWT still verifies.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Who made the last metadata change (title, status, tags), as opposed to
-- last_edited_by, the last editor of the body.
ALTER TABLE documents ADD COLUMN updated_by TEXT;
