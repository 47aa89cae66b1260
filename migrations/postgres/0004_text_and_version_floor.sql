-- Keep in step with ../sqlite/0004_text_and_version_floor.sql.
--
-- Highest version number issued before versions were discarded to respect
-- the quota, so numbers are never reused.
ALTER TABLE documents ADD COLUMN version_floor BIGINT NOT NULL DEFAULT 0;

-- U+0001/U+0002 delimit matches in search snippets; stored text no longer
-- contains them (the store strips them on write). Clean rows written before.
UPDATE documents SET content_text = replace(replace(content_text, chr(1), ''), chr(2), '')
    WHERE strpos(content_text, chr(1)) > 0 OR strpos(content_text, chr(2)) > 0;
UPDATE document_versions SET text = replace(replace(text, chr(1), ''), chr(2), '')
    WHERE strpos(text, chr(1)) > 0 OR strpos(text, chr(2)) > 0;
