-- Keep in step with the other backend's 0010_media.sql.
--
-- Media uploaded to a document (images): the bytes live in the database so
-- that one backup holds everything. One row per distinct content per
-- document (the SHA-256 of the bytes): uploading the same file twice gives
-- the same id. Rows go with their document (deleted before it).
CREATE TABLE media (
    id           TEXT PRIMARY KEY,
    document_id  TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    sha256       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    data         BLOB NOT NULL,
    uploaded_by  TEXT,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX media_document_sha256_idx ON media (document_id, sha256);
