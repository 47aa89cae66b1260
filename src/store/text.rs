//! What the store does to text before it reaches a TEXT column.
//!
//! PostgreSQL text cannot hold U+0000 (SQLite can, but both backends must
//! behave alike), and the search snippets mark matches with U+0001/U+0002.
//! Text derived from document content (search text, version text, the text
//! written at compaction) loses all three, so a document containing them
//! can still be saved, indexed and compacted, and cannot fake a highlight.
//! A lookup key containing NUL cannot match any stored value, so lookups
//! answer "not found" for it without asking the database. Text matched with
//! `LIKE` has its wildcards escaped, so it matches only itself.

use std::borrow::Cow;

/// The snippet delimiters: start and end of a match.
pub const MARK_START: char = '\u{1}';
pub const MARK_END: char = '\u{2}';

/// Text of document content as stored for search and display: without NUL
/// and without the snippet delimiters.
pub fn searchable(s: &str) -> Cow<'_, str> {
    let drop = |c: char| c == '\0' || c == MARK_START || c == MARK_END;
    if s.contains(drop) {
        Cow::Owned(s.chars().filter(|&c| !drop(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// True when `key` cannot name a stored row (it contains NUL).
pub fn unmatchable(key: &str) -> bool {
    key.contains('\0')
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searchable_drops_nul_and_marks_only() {
        assert_eq!(
            searchable("a\u{0}b \u{1}evil\u{2} c\n\td"),
            "ab evil c\n\td"
        );
        assert!(matches!(searchable("plain text"), Cow::Borrowed(_)));
        assert!(unmatchable("a\u{0}b"));
        assert!(!unmatchable("ab"));
    }

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(escape_like("plain"), "plain");
    }
}
