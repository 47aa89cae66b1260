-- Full-text search (PostgreSQL tsvector + GIN). Keep in step with ../sqlite/0002_search.sql.
-- 'simple' configuration: no stemming, language-neutral; titles weigh more (A) than text (B).

ALTER TABLE documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(content_text, '')), 'B')
) STORED;
CREATE INDEX documents_search_idx ON documents USING GIN (search);

ALTER TABLE document_versions ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(label, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(text, '')), 'B')
) STORED;
CREATE INDEX document_versions_search_idx ON document_versions USING GIN (search);
