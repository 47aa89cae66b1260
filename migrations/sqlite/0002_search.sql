-- Full-text search (SQLite FTS5). Keep in step with ../postgres/0002_search.sql.
-- The FTS tables mirror documents (title + current text) and versions
-- (label + text); triggers keep them current.

CREATE VIRTUAL TABLE documents_fts USING fts5(
    document_id UNINDEXED, title, body, tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO documents_fts (document_id, title, body) SELECT id, title, content_text FROM documents;

CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts (document_id, title, body) VALUES (new.id, new.title, new.content_text);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, content_text ON documents BEGIN
    DELETE FROM documents_fts WHERE document_id = old.id;
    INSERT INTO documents_fts (document_id, title, body) VALUES (new.id, new.title, new.content_text);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    DELETE FROM documents_fts WHERE document_id = old.id;
END;

CREATE VIRTUAL TABLE versions_fts USING fts5(
    document_id UNINDEXED, number UNINDEXED, label, body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER versions_fts_insert AFTER INSERT ON document_versions BEGIN
    INSERT INTO versions_fts (document_id, number, label, body) VALUES (new.document_id, new.number, new.label, new.text);
END;
CREATE TRIGGER versions_fts_delete AFTER DELETE ON document_versions BEGIN
    DELETE FROM versions_fts WHERE document_id = old.document_id AND number = old.number;
END;
