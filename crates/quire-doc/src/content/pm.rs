//! Reading helpers over ProseMirror JSON (`serde_json::Value`) and the schema
//! facts Quire relies on (TipTap 3 StarterKit: node and mark names, mark
//! ranks, safe link targets).
//!
//! Everything here is total: malformed shapes read as "nothing" instead of
//! panicking, because PM JSON may come from users or from a CRDT state that
//! any client can write.

use serde_json::{Map, Value};

/// Deepest node nesting Quire reads, writes or imports. Deeper content is
/// flattened to text on import/export and rejected by `write_pm`.
pub const MAX_DEPTH: usize = 64;

/// The mark order TipTap's schema gives (link, bold, code, italic, strike,
/// underline); unknown marks sort after these, by name.
const MARK_RANK: [&str; 6] = ["link", "bold", "code", "italic", "strike", "underline"];

/// Rank of a mark name for a stable order.
pub fn mark_rank(name: &str) -> usize {
    MARK_RANK
        .iter()
        .position(|m| *m == name)
        .unwrap_or(MARK_RANK.len())
}

/// Sort marks by schema rank, then name, so output never depends on hash order.
pub fn sort_marks(marks: &mut [Value]) {
    marks.sort_by(|a, b| {
        let (na, nb) = (node_type(a), node_type(b));
        mark_rank(na).cmp(&mark_rank(nb)).then_with(|| na.cmp(nb))
    });
}

/// Whether a node type holds inline content (text runs) in Quire's schema.
pub fn is_textblock(ty: &str) -> bool {
    matches!(ty, "paragraph" | "heading" | "codeBlock")
}

/// Whether a node type is a list.
pub fn is_list(ty: &str) -> bool {
    matches!(ty, "bulletList" | "orderedList")
}

/// The `type` of a node or mark, `""` when missing.
pub fn node_type(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or("")
}

/// The `content` array of a node, empty when missing or malformed.
pub fn children(v: &Value) -> &[Value] {
    v.get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The `text` of a text node, `""` otherwise.
pub fn text_of(v: &Value) -> &str {
    v.get("text").and_then(Value::as_str).unwrap_or("")
}

/// One attribute of a node or mark.
pub fn attr<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get("attrs")
        .and_then(|a| a.get(key))
        .filter(|a| !a.is_null())
}

/// A string attribute.
pub fn attr_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    attr(v, key).and_then(Value::as_str)
}

/// An integer attribute (accepts integral floats and numeric strings, as
/// attributes may have come through HTML or another client).
pub fn attr_int(v: &Value, key: &str) -> Option<i64> {
    match attr(v, key)? {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Heading level clamped to 1..=6 (default 1).
pub fn heading_level(v: &Value) -> usize {
    attr_int(v, "level").unwrap_or(1).clamp(1, 6) as usize
}

/// Ordered list start clamped to what CommonMark allows (0..=999_999_999).
pub fn list_start(v: &Value) -> u64 {
    attr_int(v, "start").unwrap_or(1).clamp(0, 999_999_999) as u64
}

/// The marks of a text node, sorted by rank; malformed entries skipped.
pub fn marks_of(v: &Value) -> Vec<Value> {
    let mut marks: Vec<Value> = v
        .get("marks")
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .filter(|m| !node_type(m).is_empty())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    sort_marks(&mut marks);
    marks
}

/// All text below `v`, hard breaks as `\n`, walked without recursion so that
/// arbitrarily deep input cannot overflow the stack.
pub fn flatten_text(v: &Value) -> String {
    let mut out = String::new();
    let mut stack: Vec<&Value> = vec![v];
    while let Some(n) = stack.pop() {
        match node_type(n) {
            "text" => out.push_str(text_of(n)),
            "hardBreak" => out.push('\n'),
            _ => stack.extend(children(n).iter().rev()),
        }
    }
    out
}

/// Whether a link target may be rendered as a live link: `http`, `https`,
/// `mailto`, or a relative reference (`/x`, `x/y`, `#frag`, `?q`).
///
/// A target reaches a browser through layers that each decode something:
/// HTML attributes decode character references (`&#58;`, `&colon;`),
/// CommonMark decodes them and backslash escapes in link destinations, and
/// URL parsers drop tabs, newlines and leading control characters. So the
/// scheme is judged on every such reading of the target (as is, references
/// decoded, escapes removed, both, repeatedly), with control characters and
/// whitespace removed, and all of them must pass. A `&` left undecoded
/// before the first `/`, `?` or `#` (an entity this decoder does not know,
/// which might be a colon) makes the target unsafe too.
pub fn is_safe_href(href: &str) -> bool {
    if href.trim().is_empty() {
        return false;
    }
    let mut reading = href.to_string();
    if !scheme_is_safe(&reading)
        || !scheme_is_safe(&decode_char_refs(href))
        || !scheme_is_safe(&unescape_backslashes(href))
    {
        return false;
    }
    // Layers can stack (`&amp;#58;`): decode until nothing changes.
    for _ in 0..4 {
        let next = unescape_backslashes(&decode_char_refs(&reading));
        if next == reading {
            break;
        }
        if !scheme_is_safe(&next) {
            return false;
        }
        reading = next;
    }
    true
}

/// The scheme test on one reading of a target.
fn scheme_is_safe(href: &str) -> bool {
    let cleaned: String = href
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return false;
    }
    // The scheme is whatever precedes the first ':' if that ':' comes before
    // any '/', '?' or '#'; otherwise the reference is relative.
    let end = cleaned.find(['/', '?', '#']).unwrap_or(cleaned.len());
    let head = cleaned.get(..end).unwrap_or("");
    match head.find(':') {
        None => !head.contains('&'),
        Some(colon) => {
            let scheme = head.get(..colon).unwrap_or("").to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
    }
}

/// Named character references that spell URL punctuation or whitespace;
/// letters have no ASCII named references.
const NAMED_REFS: [(&str, char); 16] = [
    ("colon", ':'),
    ("tab", '\t'),
    ("newline", '\n'),
    ("nbsp", ' '),
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("sol", '/'),
    ("bsol", '\\'),
    ("quest", '?'),
    ("num", '#'),
    ("period", '.'),
    ("lpar", '('),
    ("rpar", ')'),
];

/// Decode HTML character references: numeric ones (`&#58`, `&#x3A;`, the
/// `;` optional as browsers allow) and [`NAMED_REFS`] (case-insensitive).
/// Anything else is kept as is.
pub fn decode_char_refs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(rest.get(..pos).unwrap_or(""));
        let after = rest.get(pos + 1..).unwrap_or("");
        match decode_one_ref(after) {
            Some((c, used)) => {
                out.push(c);
                rest = after.get(used..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One reference after its `&`: the character and the bytes it took.
fn decode_one_ref(after: &str) -> Option<(char, usize)> {
    let semi = |n: usize| usize::from(after.as_bytes().get(n) == Some(&b';'));
    if let Some(num) = after.strip_prefix('#') {
        let (radix, digits_at) = match num.as_bytes().first() {
            Some(b'x' | b'X') => (16, 2),
            _ => (10, 1),
        };
        let digits: String = after
            .get(digits_at..)?
            .chars()
            .take_while(|c| c.is_digit(radix))
            .take(8)
            .collect();
        if digits.is_empty() {
            return None;
        }
        let code = u32::from_str_radix(&digits, radix).ok()?;
        // Browsers turn NUL and invalid code points into U+FFFD.
        let c = char::from_u32(code)
            .filter(|c| *c != '\0')
            .unwrap_or('\u{fffd}');
        let used = digits_at + digits.len();
        return Some((c, used + semi(used)));
    }
    let name: String = after
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    let lower = name.to_ascii_lowercase();
    let (_, c) = NAMED_REFS.iter().find(|(n, _)| *n == lower)?;
    Some((*c, name.len() + semi(name.len())))
}

/// Remove CommonMark backslash escapes (a `\` before ASCII punctuation).
pub fn unescape_backslashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && next.is_ascii_punctuation()
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// A link mark carrying TipTap's Link attributes (defaults filled in the way
/// TipTap stores them).
pub fn link_mark(href: &str, title: Option<&str>) -> Value {
    let mut attrs = Map::new();
    attrs.insert("href".into(), Value::from(href));
    attrs.insert("target".into(), Value::from("_blank"));
    attrs.insert("rel".into(), Value::from("noopener noreferrer nofollow"));
    attrs.insert("class".into(), Value::Null);
    attrs.insert(
        "title".into(),
        title
            .filter(|t| !t.is_empty())
            .map(Value::from)
            .unwrap_or(Value::Null),
    );
    let mut mark = Map::new();
    mark.insert("type".into(), Value::from("link"));
    mark.insert("attrs".into(), Value::Object(attrs));
    Value::Object(mark)
}

/// A mark without attributes.
pub fn simple_mark(name: &str) -> Value {
    let mut mark = Map::new();
    mark.insert("type".into(), Value::from(name));
    Value::Object(mark)
}

/// Two marks are the same when type and (non-null) attributes match.
pub fn same_mark(a: &Value, b: &Value) -> bool {
    node_type(a) == node_type(b) && attrs_without_nulls(a) == attrs_without_nulls(b)
}

fn attrs_without_nulls(v: &Value) -> Map<String, Value> {
    v.get("attrs")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Leaf textblocks in document order, each as its plain text (hard breaks as
/// `\n`). Containers (lists, quotes, unknown wrappers) are walked; leaf
/// nodes without text (rules, images) produce nothing.
pub fn block_texts(pm: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_blocks(pm, 0, &mut out);
    out
}

fn collect_blocks(node: &Value, depth: usize, out: &mut Vec<String>) {
    let kids = children(node);
    let has_inline = kids
        .iter()
        .any(|k| matches!(node_type(k), "text" | "hardBreak"));
    if is_textblock(node_type(node)) || has_inline || depth >= MAX_DEPTH {
        out.push(flatten_text(node));
        return;
    }
    for k in kids {
        collect_blocks(k, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_hrefs() {
        for ok in [
            "https://x.org",
            "http://x",
            "mailto:a@b.c",
            "/rel",
            "rel/x:y",
            "#frag",
            "?q=1",
        ] {
            assert!(is_safe_href(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\tscript:x",
            "data:text/html,x",
            "vbscript:x",
            "",
        ] {
            assert!(!is_safe_href(bad), "{bad}");
        }
    }

    #[test]
    fn attrs_are_lenient() {
        let v = serde_json::json!({"type":"heading","attrs":{"level": 9.0}});
        assert_eq!(heading_level(&v), 6);
        let v = serde_json::json!({"type":"orderedList","attrs":{"start": "7"}});
        assert_eq!(list_start(&v), 7);
        assert_eq!(list_start(&serde_json::json!({"type":"orderedList"})), 1);
    }
}
