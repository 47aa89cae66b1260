//! Full-text search over titles and current text (or saved versions),
//! limited to documents the caller is a member of. SQLite uses FTS5 with
//! bm25 (title weighted 10×), PostgreSQL a weighted `tsvector` with a GIN
//! index and `ts_rank`. Both match every word as a prefix and mark the
//! matches in the snippet between `\u{1}` and `\u{2}`.

use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::rows::{self, DOC_COLUMNS, DOC_JOINS};
use crate::store::{Backend, Page, Result, SearchHit, SearchQuery, SearchScope, VersionLabel};

/// Words of a user's query: letters and digits only (no query syntax gets
/// through), lower-cased, at most 10 words of 64 characters.
pub fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(64).collect::<String>().to_lowercase())
        .take(10)
        .collect()
}

/// The backend's full-text query for `words`: every word required, each
/// as a prefix. The words are letters and digits only (see [`words`]).
fn match_expr(backend: Backend, words: &[String]) -> String {
    match backend {
        Backend::Sqlite => words
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND "),
        Backend::Postgres => words
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & "),
    }
}

/// One page of hits among the documents `user_id` is a member of, best
/// first (then the most recently updated), and how many match in all.
pub async fn search(
    pool: &AnyPool,
    backend: Backend,
    user_id: &str,
    q: &SearchQuery,
) -> Result<Page<SearchHit>> {
    if q.words.is_empty() {
        return Ok(Page {
            items: Vec::new(),
            total: 0,
        });
    }
    let expr = match_expr(backend, &q.words);
    // Membership, and never a document in the trash.
    let member = "JOIN document_members m ON m.document_id = d.id AND m.user_id = $1 \
                  AND d.deleted_at IS NULL";
    let (from, select_extra) = match (backend, q.scope) {
        (Backend::Sqlite, SearchScope::Documents) => (
            format!(
                "FROM documents_fts JOIN documents d ON d.id = documents_fts.document_id {DOC_JOINS} {member} \
                 WHERE documents_fts MATCH $2"
            ),
            "-bm25(documents_fts, 0.0, 10.0, 1.0) AS score, \
             snippet(documents_fts, -1, char(1), char(2), '…', 16) AS snippet, \
             NULL AS vnumber, NULL AS vlabel",
        ),
        (Backend::Sqlite, SearchScope::Versions) => (
            format!(
                "FROM versions_fts JOIN documents d ON d.id = versions_fts.document_id {DOC_JOINS} {member} \
                 JOIN document_versions v ON v.document_id = versions_fts.document_id AND v.number = versions_fts.number \
                 WHERE versions_fts MATCH $2"
            ),
            "-bm25(versions_fts, 0.0, 0.0, 10.0, 1.0) AS score, \
             snippet(versions_fts, -1, char(1), char(2), '…', 16) AS snippet, \
             v.number AS vnumber, v.label AS vlabel",
        ),
        (Backend::Postgres, SearchScope::Documents) => (
            format!(
                "FROM documents d {DOC_JOINS} {member}, to_tsquery('simple', $2) tq WHERE d.search @@ tq"
            ),
            "CAST(ts_rank(d.search, tq) AS DOUBLE PRECISION) AS score, \
             ts_headline('simple', d.title || ' — ' || d.content_text, tq, \
               'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet, \
             CAST(NULL AS BIGINT) AS vnumber, CAST(NULL AS TEXT) AS vlabel",
        ),
        (Backend::Postgres, SearchScope::Versions) => (
            format!(
                "FROM document_versions v JOIN documents d ON d.id = v.document_id {DOC_JOINS} {member}, \
                 to_tsquery('simple', $2) tq WHERE v.search @@ tq"
            ),
            "CAST(ts_rank(v.search, tq) AS DOUBLE PRECISION) AS score, \
             ts_headline('simple', v.label || ' — ' || v.text, tq, \
               'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet, \
             v.number AS vnumber, v.label AS vlabel",
        ),
    };
    // PostgreSQL counts in the page's own query. SQLite cannot combine a
    // window function with the FTS5 ranking functions, so it counts apart.
    let window_total = match backend {
        Backend::Postgres => ", COUNT(*) OVER () AS n",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT {DOC_COLUMNS}, m.role, {select_extra}{window_total} {from} ORDER BY score DESC, d.updated_at DESC LIMIT $3 OFFSET $4"
    );
    // One transaction, so that on SQLite (WAL) the page and the count read
    // the same snapshot: a search-text refresh between two bare statements
    // could leave a page without the hit the count includes, or the reverse.
    let mut tx = pool.begin().await?;
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(user_id)
        .bind(&expr)
        .bind(q.limit)
        .bind(q.offset)
        .fetch_all(&mut *tx)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let number: Option<i64> = r.try_get("vnumber")?;
        let label: Option<String> = r.try_get("vlabel")?;
        items.push(SearchHit {
            document: rows::document(r, true)?,
            snippet: r
                .try_get::<Option<String>, _>("snippet")?
                .unwrap_or_default(),
            score: r.try_get("score")?,
            version: number
                .zip(label)
                .map(|(number, label)| VersionLabel { number, label }),
        });
    }
    // On PostgreSQL the total comes from the same query as the page, so
    // the two agree while the index changes underneath (its default
    // isolation gives each statement its own snapshot). A page past the
    // end, and SQLite, count with a second query in the same transaction.
    let total = match rows.first() {
        Some(r) if backend == Backend::Postgres => rows::count(r)?,
        None if backend == Backend::Postgres && q.offset == 0 => 0,
        _ => rows::count(
            &sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n {from}")))
                .bind(user_id)
                .bind(&expr)
                .fetch_one(&mut *tx)
                .await?,
        )?,
    };
    tx.commit().await?;
    Ok(Page { items, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_strip_query_syntax() {
        assert_eq!(
            words("  Hello, \"wörld\"* OR -x:y "),
            ["hello", "wörld", "or", "x", "y"]
        );
        assert!(words("\"*:&|!()").is_empty());
        assert_eq!(
            match_expr(Backend::Sqlite, &words("a b")),
            "\"a\"* AND \"b\"*"
        );
        assert_eq!(match_expr(Backend::Postgres, &words("a b")), "a:* & b:*");
    }
}
