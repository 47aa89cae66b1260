-- Keep in step with the other backend's 0007_publishing.sql.
--
-- Publishing: a document's published revision is one of its versions
-- (`published_version`), separate from the live draft. `slug` names it in
-- the delivery API and on the reader page (unique; NULLs do not collide),
-- `visibility` says whether anonymous readers may see it, `publish_at` /
-- `unpublish_at` schedule a change (cleared once fired; `schedule_lease`
-- is held, until the time it holds, by the instance firing it, so that a
-- crashed instance's work is taken over and two never fire together). Every version that
-- was ever the published one is remembered, so its permanent URL keeps
-- working while the document stays published, and no other version leaks.
ALTER TABLE documents ADD COLUMN slug TEXT;
ALTER TABLE documents ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private';
ALTER TABLE documents ADD COLUMN published_version BIGINT;
ALTER TABLE documents ADD COLUMN published_at BIGINT;
ALTER TABLE documents ADD COLUMN publish_at BIGINT;
ALTER TABLE documents ADD COLUMN unpublish_at BIGINT;
ALTER TABLE documents ADD COLUMN schedule_lease BIGINT;
CREATE UNIQUE INDEX documents_slug_idx ON documents (slug);
CREATE INDEX documents_publish_at_idx ON documents (publish_at);
CREATE INDEX documents_unpublish_at_idx ON documents (unpublish_at);

CREATE TABLE published_versions (
    document_id  TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    number       BIGINT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (document_id, number)
);

-- A personal API token created with `scopes: ["delivery"]` reads the
-- delivery API only (for the documents its owner is a member of).
ALTER TABLE api_tokens ADD COLUMN delivery_only BIGINT NOT NULL DEFAULT 0;
