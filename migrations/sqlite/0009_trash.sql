-- Keep in step with the other backend's 0009_trash.sql.
--
-- The trash: deleting a document sets `deleted_at` (and who did it); the
-- row and everything hanging off it stay, invisible to every read but the
-- owner's trash, until it is restored (cleared) or purged (the row and its
-- children deleted) by the owner or once it is older than the retention.
ALTER TABLE documents ADD COLUMN deleted_at BIGINT;
ALTER TABLE documents ADD COLUMN deleted_by TEXT;
CREATE INDEX documents_deleted_at_idx ON documents (deleted_at);
