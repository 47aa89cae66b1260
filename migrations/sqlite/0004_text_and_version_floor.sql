-- Keep in step with ../postgres/0004_text_and_version_floor.sql.
--
-- Highest version number issued before versions were discarded to respect
-- the quota, so numbers are never reused.
ALTER TABLE documents ADD COLUMN version_floor BIGINT NOT NULL DEFAULT 0;

-- U+0001/U+0002 delimit matches in search snippets; stored text no longer
-- contains them (the store strips them on write). Clean rows written before.
-- documents_fts follows content_text through its update trigger;
-- versions_fts has no update trigger, so its changed rows are rewritten.
UPDATE documents SET content_text = replace(replace(content_text, char(1), ''), char(2), '')
    WHERE instr(content_text, char(1)) > 0 OR instr(content_text, char(2)) > 0;
CREATE TEMP TABLE marked_versions AS
    SELECT document_id, number FROM document_versions
    WHERE instr(text, char(1)) > 0 OR instr(text, char(2)) > 0;
DELETE FROM versions_fts WHERE rowid IN (
    SELECT f.rowid FROM versions_fts f JOIN marked_versions m
        ON m.document_id = f.document_id AND m.number = f.number);
UPDATE document_versions SET text = replace(replace(text, char(1), ''), char(2), '')
    WHERE instr(text, char(1)) > 0 OR instr(text, char(2)) > 0;
INSERT INTO versions_fts (document_id, number, label, body)
    SELECT v.document_id, v.number, v.label, v.text FROM document_versions v
    JOIN marked_versions m ON m.document_id = v.document_id AND m.number = v.number;
DROP TABLE marked_versions;
