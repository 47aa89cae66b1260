//! Input limits and sanitisation for metadata (titles, tags, labels, token
//! names), free text, and the shape of identifiers in paths.
//!
//! Policy per kind of input:
//! - one-line free text (titles, tags, version labels, token names): control
//!   characters (NUL included), bidi overrides/isolates/marks and zero-width
//!   characters are stripped, then the value is trimmed; empty afterwards is
//!   a 422 where a value is required;
//! - multi-line free text (Markdown/HTML bodies): NUL is stripped, nothing
//!   else (tabs and newlines are content);
//! - identifiers (ids, usernames): never rewritten. A path segment that is
//!   not shaped like one is 404 before any query; a username in a body that
//!   does not fit the allowed charset is 422.

use std::collections::HashSet;

use crate::api::error::{ApiError, ApiResult};
use crate::config::Limits;

/// Shortest and longest username (characters).
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;

/// Characters that change how surrounding text is displayed without being
/// visible themselves: bidi embeddings/overrides/isolates/marks, zero-width
/// spaces and joiners, word joiner, BOM, and the Unicode line/paragraph
/// separators (a one-line field has no line breaks).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{061C}'
            | '\u{FEFF}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Strips control and invisible characters (keeping none: these fields are
/// one line) and trims.
pub fn clean_line(s: &str) -> String {
    s.chars()
        .filter(|&c| !c.is_control() && !is_invisible(c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// Multi-line free text (a document body): NUL is removed, because no text
/// column of PostgreSQL can hold it; every other character is content.
pub fn free_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', ""))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A character that survives [`clean_line`] inside a line: the pattern
/// the OpenAPI document gives one-line fields that must not be empty.
pub const VISIBLE_PATTERN: &str = "[^\\s\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff]";

/// A clean, non-empty title of at most `max_title_chars` characters.
pub fn title(raw: &str, limits: &Limits) -> ApiResult<String> {
    line("title", raw, limits.max_title_chars)
}

/// A clean, non-empty one-line value called `field`: at most `max`
/// characters as sent (before cleaning), something visible after it.
pub fn line(field: &str, raw: &str, max: usize) -> ApiResult<String> {
    let n = raw.chars().count();
    if n > max {
        return Err(ApiError::Validation(format!(
            "{field} has {n} characters; the limit is {max}"
        )));
    }
    let t = clean_line(raw);
    if t.is_empty() {
        return Err(ApiError::Validation(format!("{field} must not be empty")));
    }
    Ok(t)
}

/// A slug exactly as sent: `[a-z0-9-]{1,100}` (never rewritten, like an
/// identifier: a slug is part of a URL someone may already use).
pub fn slug(raw: &str) -> ApiResult<String> {
    if crate::store::sql::publishing::is_slug(raw) {
        Ok(raw.to_string())
    } else {
        Err(ApiError::Validation(
            "slug must be 1–100 characters of a-z, 0-9 and -".into(),
        ))
    }
}

/// An RFC 3339 instant called `field`, as Unix milliseconds.
pub fn instant(field: &str, raw: &str) -> ApiResult<i64> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(raw.trim(), &Rfc3339).map_err(|_| {
        ApiError::Validation(format!(
            "{field} must be an RFC 3339 time such as 2026-12-24T09:00:00Z"
        ))
    })?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| ApiError::Validation(format!("{field} is out of range")))
}

/// Clean, de-duplicated tags within the count and length limits.
///
/// The count is checked on the raw list first, so an oversized list is
/// refused before any per-tag work; duplicates are found with a set.
pub fn tags(raw: &[String], limits: &Limits) -> ApiResult<Vec<String>> {
    if raw.len() > limits.max_tags {
        return Err(ApiError::Validation(format!(
            "at most {} tags ({} given)",
            limits.max_tags,
            raw.len()
        )));
    }
    let mut seen: HashSet<String> = HashSet::with_capacity(raw.len());
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for tag in raw {
        if tag.chars().count() > limits.max_tag_chars {
            return Err(ApiError::Validation(format!(
                "tag {:?} is longer than {} characters",
                tag.chars().take(20).collect::<String>(),
                limits.max_tag_chars
            )));
        }
        let t = clean_line(tag);
        if t.is_empty() {
            continue;
        }
        if seen.insert(t.clone()) {
            out.push(t);
        }
    }
    Ok(out)
}

/// True for an id as the server makes them: a UUID in canonical lower-case
/// hyphenated form (36 characters).
pub fn is_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

/// An id taken from a path: anything not shaped like one cannot exist, so
/// it is 404 without asking the database.
pub fn path_id(s: &str) -> ApiResult<&str> {
    if is_id(s) {
        Ok(s)
    } else {
        Err(ApiError::NotFound)
    }
}

/// True for a name registration accepts: 3–32 ASCII letters, digits, `_`,
/// `-` or `.`.
pub fn is_username(s: &str) -> bool {
    USERNAME_CHARS.contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A user named in a path by id or username; any other shape is 404
/// without a query.
pub fn path_user(s: &str) -> ApiResult<&str> {
    if is_id(s) || is_username(s) {
        Ok(s)
    } else {
        Err(ApiError::NotFound)
    }
}

/// A username for a new account, taken as sent: it must fit the allowed
/// charset and length, else 422 (so an invisible character never makes a
/// look-alike of another name).
pub fn username(raw: &str) -> ApiResult<String> {
    if !is_username(raw) {
        return Err(ApiError::Validation(
            "username must be 3–32 characters: letters, digits, '_', '-', '.'".into(),
        ));
    }
    Ok(raw.to_string())
}

/// Shortest query the user directory (`/api/users?q=`) answers.
pub const DIRECTORY_MIN_CHARS: usize = 2;
/// Most users one directory query returns.
pub const DIRECTORY_MAX_RESULTS: i64 = 10;

/// The username prefix a directory query searches for, or None when it is
/// too short to search (the directory must not be listable whole).
pub fn directory_prefix(q: &str) -> Option<String> {
    let prefix = q.trim().replace('\0', "");
    (prefix.chars().count() >= DIRECTORY_MIN_CHARS).then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        let l = Limits::default();
        assert_eq!(title("  a\u{0}b\tc\n ", &l).ok().as_deref(), Some("abc"));
        assert!(title("   ", &l).is_err());
        assert!(title(&"x".repeat(201), &l).is_err());
        assert!(title(&"é".repeat(200), &l).is_ok());
        assert_eq!(
            title("<script>x</script>", &l).ok().as_deref(),
            Some("<script>x</script>")
        );
    }

    #[test]
    fn tags_are_cleaned_and_limited() {
        let l = Limits::default();
        let t = tags(&["a".into(), " a ".into(), "".into(), "b".into()], &l).ok();
        assert_eq!(t, Some(vec!["a".to_string(), "b".to_string()]));
        assert!(tags(&["x".repeat(51)], &l).is_err());
        let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
        assert!(tags(&many, &l).is_err());
        assert!(tags(&["a\u{0}b".into()], &l).ok() == Some(vec!["ab".to_string()]));
    }

    #[test]
    fn too_many_raw_tags_are_refused_before_any_work() {
        let l = Limits::default();
        // 21 copies of one tag would de-duplicate to one, but the raw count
        // is over the limit: refused.
        assert!(tags(&vec!["same".to_string(); 21], &l).is_err());
        assert!(tags(&vec!["same".to_string(); 20], &l).is_ok());
        // A huge list answers at once (it used to be quadratic).
        let huge: Vec<String> = (0..50_000).map(|i| format!("t{i}")).collect();
        let started = std::time::Instant::now();
        assert!(matches!(tags(&huge, &l), Err(ApiError::Validation(_))));
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
        // A raise of the limit still de-duplicates in linear time.
        let wide = Limits {
            max_tags: 100_000,
            ..Limits::default()
        };
        let dupes: Vec<String> = (0..50_000).map(|i| format!("t{}", i % 7)).collect();
        let started = std::time::Instant::now();
        assert_eq!(tags(&dupes, &wide).map(|t| t.len()).ok(), Some(7));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn bidi_and_zero_width_characters_are_stripped() {
        let l = Limits::default();
        assert_eq!(
            title("\u{202E}evil\u{202C} \u{200B}doc\u{FEFF}", &l)
                .ok()
                .as_deref(),
            Some("evil doc")
        );
        for c in [
            '\u{202A}', '\u{202B}', '\u{202D}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{200E}', '\u{200F}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{061C}', '\u{2028}',
        ] {
            assert_eq!(clean_line(&format!("a{c}b")), "ab", "{:?}", c);
            // Only invisible characters: nothing is left, so it is refused.
            assert!(title(&format!("{c}{c}"), &l).is_err(), "{:?}", c);
            assert!(username(&format!("{c}{c}{c}")).is_err(), "{:?}", c);
            assert!(username(&format!("alice{c}")).is_err(), "{:?}", c);
        }
        assert_eq!(
            tags(&["\u{200B}".into(), "x\u{2067}y".into()], &l).ok(),
            Some(vec!["xy".to_string()])
        );
        assert_eq!(username("alice").ok().as_deref(), Some("alice"));
        assert!(username(" alice").is_err());
        // Visible non-ASCII letters are still not allowed in usernames.
        assert!(username("аlice").is_err()); // Cyrillic а
        assert!(username("a\u{0}lice").is_err());
        // Ordinary visible text is kept as is.
        assert_eq!(clean_line("שלום world"), "שלום world");
    }

    #[test]
    fn ids_and_usernames_in_paths() {
        let id = uuid::Uuid::now_v7().to_string();
        assert!(is_id(&id));
        assert!(path_id(&id).is_ok());
        for bad in [
            "",
            "a\u{0}b",
            "does-not-exist",
            &id.to_uppercase(),
            &format!("{id}x"),
            &id.replace('-', ""),
            &format!("{{{id}}}"),
            &id[..35],
        ] {
            assert!(!is_id(bad), "{bad:?}");
            assert!(matches!(path_id(bad), Err(ApiError::NotFound)));
        }
        assert!(path_user("alice").is_ok());
        assert!(path_user(&id).is_ok());
        for bad in ["a\u{0}b", "al", "a b c", &"x".repeat(33), "ali%ce", "ålice"] {
            assert!(matches!(path_user(bad), Err(ApiError::NotFound)), "{bad:?}");
        }
    }

    #[test]
    fn directory_queries_need_two_characters() {
        assert_eq!(directory_prefix(""), None);
        assert_eq!(directory_prefix(" a "), None);
        assert_eq!(directory_prefix("a\u{0}"), None);
        assert_eq!(directory_prefix(" al ").as_deref(), Some("al"));
    }

    #[test]
    fn free_text_loses_only_nul() {
        assert_eq!(free_text("a\u{0}b\n\tc\u{1}"), "ab\n\tc\u{1}");
        assert!(matches!(free_text("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
