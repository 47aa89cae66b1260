//! Reading helpers over ProseMirror JSON (`serde_json::Value`) and the schema
//! facts Quire relies on (TipTap 3 StarterKit plus tables, task lists and
//! images: node and mark names, mark ranks, list and table structure, safe
//! link and image targets, table cell spans).
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

/// Whether a node type is a list (task lists included).
pub fn is_list(ty: &str) -> bool {
    matches!(ty, "bulletList" | "orderedList" | "taskList")
}

/// Whether a node type is a list item (`listItem` or `taskItem`).
pub fn is_item(ty: &str) -> bool {
    matches!(ty, "listItem" | "taskItem")
}

/// The item type a list holds: `taskItem` in a `taskList`, else `listItem`.
pub fn item_type_of(list: &str) -> &'static str {
    if list == "taskList" {
        "taskItem"
    } else {
        "listItem"
    }
}

/// Whether a node type is a table cell (`tableCell` or `tableHeader`).
pub fn is_cell(ty: &str) -> bool {
    matches!(ty, "tableCell" | "tableHeader")
}

/// Largest `colspan` honoured (HTML's own limit); larger values clamp.
pub const MAX_COLSPAN: u64 = 1000;
/// Largest `rowspan` honoured (HTML's own limit); larger values clamp.
pub const MAX_ROWSPAN: u64 = 65534;

/// A cell's `colspan` clamped to `1..=`[`MAX_COLSPAN`] (default 1).
pub fn colspan(cell: &Value) -> u64 {
    attr_int(cell, "colspan")
        .unwrap_or(1)
        .clamp(1, MAX_COLSPAN as i64) as u64
}

/// A cell's `rowspan` clamped to `1..=`[`MAX_ROWSPAN`] (default 1).
pub fn rowspan(cell: &Value) -> u64 {
    attr_int(cell, "rowspan")
        .unwrap_or(1)
        .clamp(1, MAX_ROWSPAN as i64) as u64
}

/// A cell's alignment when it is one TipTap knows (`left`, `right`,
/// `center`).
pub fn cell_align(cell: &Value) -> Option<&'static str> {
    match attr_str(cell, "align")? {
        "left" => Some("left"),
        "right" => Some("right"),
        "center" => Some("center"),
        _ => None,
    }
}

/// A cell's `colwidth` when it is a short array of positive integers.
pub fn colwidths(cell: &Value) -> Option<Vec<u64>> {
    let widths = attr(cell, "colwidth")?.as_array()?;
    if widths.is_empty() || widths.len() as u64 > MAX_COLSPAN {
        return None;
    }
    widths
        .iter()
        .map(|w| w.as_u64().filter(|w| (1..=100_000).contains(w)))
        .collect()
}

/// Whether a task item is ticked (`checked: true`; anything else is not).
pub fn is_checked(item: &Value) -> bool {
    attr(item, "checked").and_then(Value::as_bool) == Some(true)
}

/// A cell node's attrs as Quire's importers write them: TipTap's defaults
/// (`colspan`, `rowspan` 1) stored explicitly, as TipTap itself stores
/// them; `colwidth` and `align` only when set.
pub fn cell_attrs(colspan: u64, rowspan: u64, align: Option<&str>) -> Map<String, Value> {
    let mut attrs = Map::new();
    attrs.insert("colspan".into(), Value::from(colspan.clamp(1, MAX_COLSPAN)));
    attrs.insert("rowspan".into(), Value::from(rowspan.clamp(1, MAX_ROWSPAN)));
    if let Some(align) = align {
        attrs.insert("align".into(), Value::from(align));
    }
    attrs
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
    is_safe_url(href, &["http", "https", "mailto"])
}

/// Whether an image source may be rendered: like [`is_safe_href`] but
/// only `http`, `https` and relative references (`/api/media/…`); no
/// `mailto:`, and never `data:`, `javascript:`, `vbscript:`, `blob:` or
/// any other scheme.
pub fn is_safe_src(src: &str) -> bool {
    is_safe_url(src, &["http", "https"])
}

/// The scheme test of [`is_safe_href`] with the allowed schemes given.
fn is_safe_url(href: &str, schemes: &[&str]) -> bool {
    if href.trim().is_empty() {
        return false;
    }
    let mut reading = href.to_string();
    if !scheme_is_safe(&reading, schemes)
        || !scheme_is_safe(&decode_char_refs(href), schemes)
        || !scheme_is_safe(&unescape_backslashes(href), schemes)
    {
        return false;
    }
    // Layers can stack (`&amp;#58;`): decode until nothing changes.
    for _ in 0..4 {
        let next = unescape_backslashes(&decode_char_refs(&reading));
        if next == reading {
            break;
        }
        if !scheme_is_safe(&next, schemes) {
            return false;
        }
        reading = next;
    }
    true
}

/// The scheme test on one reading of a target.
fn scheme_is_safe(href: &str, schemes: &[&str]) -> bool {
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
            schemes.contains(&scheme.as_str())
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
/// `\n`). Containers (lists, quotes, unknown wrappers) are walked, except:
///
/// - a table row is one block: its cells' texts joined by a tab (a cell's
///   own blocks joined by a space, line breaks and tabs as spaces), so that
///   a word in a cell is found and a changed cell shows as a changed row;
/// - the first block of a task item starts with `[x] ` or `[ ] `, so that
///   ticking a task is a visible change;
/// - an image is its alt text (nothing without one: a changed `src` alone
///   is not visible here); rules produce nothing.
pub fn block_texts(pm: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_blocks(pm, 0, &mut out);
    out
}

fn collect_blocks(node: &Value, depth: usize, out: &mut Vec<String>) {
    let ty = node_type(node);
    let kids = children(node);
    let has_inline = kids
        .iter()
        .any(|k| matches!(node_type(k), "text" | "hardBreak"));
    if is_textblock(ty) || has_inline || depth >= MAX_DEPTH {
        out.push(flatten_text(node));
        return;
    }
    match ty {
        "tableRow" => out.push(row_text(node, depth)),
        "image" => {
            if let Some(alt) = attr_str(node, "alt").filter(|a| !a.trim().is_empty()) {
                out.push(alt.to_string());
            }
        }
        "taskItem" => {
            let first = out.len();
            for k in kids {
                collect_blocks(k, depth + 1, out);
            }
            let tick = if is_checked(node) { "[x] " } else { "[ ] " };
            match out.get_mut(first) {
                Some(text) => text.insert_str(0, tick),
                None => out.push(tick.trim_end().to_string()),
            }
        }
        _ => {
            for k in kids {
                collect_blocks(k, depth + 1, out);
            }
        }
    }
}

/// A table row's text: cells joined by tabs, each cell on one line.
fn row_text(row: &Value, depth: usize) -> String {
    let cells: Vec<String> = children(row)
        .iter()
        .map(|cell| {
            let mut inner = Vec::new();
            collect_blocks(cell, depth + 1, &mut inner);
            inner
                .iter()
                .map(|t| t.replace(['\n', '\r', '\t'], " "))
                .filter(|t| !t.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    cells.join("\t")
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
    fn safe_image_sources() {
        for ok in [
            "/api/media/abc",
            "https://x.org/a.png",
            "http://x/a.png",
            "img/a.png",
            "//cdn.example/a.png",
        ] {
            assert!(is_safe_src(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "DATA:image/svg+xml,<svg>",
            "vbscript:x",
            "blob:https://x/1",
            "mailto:a@b.c",
            "java&#115;cript&#58;x",
            "jav\\ascript:x",
            " ",
            "",
        ] {
            assert!(!is_safe_src(bad), "{bad}");
        }
    }

    #[test]
    fn block_texts_of_rich_nodes() {
        let p =
            |t: &str| serde_json::json!({"type":"paragraph","content":[{"type":"text","text":t}]});
        let cell = |t: &str| serde_json::json!({"type":"tableCell","content":[p(t)]});
        let pm = serde_json::json!({"type":"doc","content":[
            {"type":"table","content":[
                {"type":"tableRow","content":[cell("a"), cell("b\tc"), {"type":"tableCell","content":[p("x"), p("y")]}]},
                {"type":"tableRow","content":[cell(""), {"type":"tableHeader","content":[{"type":"paragraph","content":[
                    {"type":"text","text":"l1"},{"type":"hardBreak"},{"type":"text","text":"l2"}]}]}]}]},
            {"type":"taskList","content":[
                {"type":"taskItem","attrs":{"checked":true},"content":[p("done"),
                    {"type":"taskList","content":[{"type":"taskItem","attrs":{"checked":"yes"},"content":[p("sub")]}]}]},
                {"type":"taskItem","attrs":{"checked":false}}]},
            {"type":"image","attrs":{"src":"/x","alt":"A cat"}},
            {"type":"image","attrs":{"src":"/y"}}]});
        assert_eq!(
            block_texts(&pm),
            [
                "a\tb c\tx y",
                "\tl1 l2",
                "[x] done",
                "[ ] sub",
                "[ ]",
                "A cat"
            ]
        );
    }

    #[test]
    fn cell_spans_clamp() {
        let c = serde_json::json!({"type":"tableCell","attrs":{"colspan":1e12,"rowspan":-3,"colwidth":[10, 0]}});
        assert_eq!(colspan(&c), MAX_COLSPAN);
        assert_eq!(rowspan(&c), 1);
        assert_eq!(colwidths(&c), None);
        let c =
            serde_json::json!({"type":"tableCell","attrs":{"colwidth":[10, 20],"align":"center"}});
        assert_eq!(colwidths(&c), Some(vec![10, 20]));
        assert_eq!(cell_align(&c), Some("center"));
        assert_eq!(colspan(&c), 1);
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
