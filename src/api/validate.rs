//! Input limits and sanitisation of SPEC §7 for metadata: titles and tags.

use crate::config::Limits;
use crate::error::{ApiError, ApiResult};

/// Strips control characters (keeping none: titles are one line) and trims.
pub fn clean_line(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// A clean, non-empty title of at most `max_title_chars` characters.
pub fn title(raw: &str, limits: &Limits) -> ApiResult<String> {
    let t = clean_line(raw);
    if t.is_empty() {
        return Err(ApiError::Validation("title must not be empty".into()));
    }
    let n = t.chars().count();
    if n > limits.max_title_chars {
        return Err(ApiError::Validation(format!(
            "title has {n} characters; the limit is {}",
            limits.max_title_chars
        )));
    }
    Ok(t)
}

/// Clean, de-duplicated tags within the count and length limits.
pub fn tags(raw: &[String], limits: &Limits) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in raw {
        let t = clean_line(tag);
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > limits.max_tag_chars {
            return Err(ApiError::Validation(format!(
                "tag {:?} is longer than {} characters",
                t.chars().take(20).collect::<String>(),
                limits.max_tag_chars
            )));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > limits.max_tags {
        return Err(ApiError::Validation(format!(
            "at most {} tags",
            limits.max_tags
        )));
    }
    Ok(out)
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
    }
}
