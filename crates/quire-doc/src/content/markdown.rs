//! Markdown export (CommonMark plus `~~strike~~`).
//!
//! Blocks are separated by a blank line; lists are tight; nested content is
//! indented by the width of its list marker; text is escaped so that it
//! reads back as the same text. Underline has no Markdown syntax and is
//! written as `<u>…</u>`, which the importer reads back. Links with unsafe
//! targets (`javascript:` and the like) are written as their text only.
//!
//! Known limits of the Markdown form (the PM/Yjs data is never affected):
//! leading spaces of a paragraph are dropped; an emphasis run that starts
//! or ends with punctuation and touches a letter outside it (`**"q"**word`)
//! does not read back as emphasis, as CommonMark's flanking rules forbid it;
//! empty paragraphs vanish.

use serde_json::Value;

use super::html::clean_language;
use super::inline::{Event, Piece, PieceKind, events, pieces};
use super::pm::{
    MAX_DEPTH, attr_str, children, flatten_text, heading_level, is_list, is_safe_href, list_start,
    node_type, same_mark,
};

/// Render a PM doc as Markdown (ends with a newline unless empty).
pub fn pm_to_markdown(pm: &Value) -> String {
    let body = blocks(children(pm), 0);
    if body.is_empty() { body } else { body + "\n" }
}

/// Render sibling blocks joined by blank lines; adjacent lists of the same
/// kind alternate their marker so that they stay separate lists.
fn blocks(nodes: &[Value], depth: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut prev_list: Option<(&str, bool)> = None;
    for node in nodes {
        let ty = node_type(node);
        let alt = match prev_list {
            Some((p, alt)) if p == ty => !alt,
            _ => false,
        };
        if let Some(s) = block(node, depth + 1, alt) {
            parts.push(s);
            prev_list = is_list(ty).then_some((ty, alt));
        }
    }
    parts.join("\n\n")
}

fn block(node: &Value, depth: usize, alt: bool) -> Option<String> {
    if depth > MAX_DEPTH {
        let text = flatten_text(node);
        return (!text.trim().is_empty())
            .then(|| escape_text(&text.replace('\n', " "), true, false));
    }
    let s = match node_type(node) {
        "paragraph" => inline(children(node), false),
        "heading" => {
            let text = inline(children(node), true);
            let hashes = "#".repeat(heading_level(node));
            if text.is_empty() {
                hashes
            } else {
                format!("{hashes} {text}")
            }
        }
        "codeBlock" => code_block(node),
        "blockquote" => prefix_lines(&blocks(children(node), depth), "> ", ">"),
        "bulletList" | "orderedList" => list(node, depth, alt),
        "horizontalRule" => "---".to_string(),
        "text" | "hardBreak" => inline(std::slice::from_ref(node), false),
        _ => {
            let kids = children(node);
            if kids
                .iter()
                .any(|k| matches!(node_type(k), "text" | "hardBreak"))
            {
                inline(kids, false)
            } else {
                blocks(kids, depth)
            }
        }
    };
    (!s.trim().is_empty()).then_some(s)
}

fn prefix_lines(body: &str, prefix: &str, empty_prefix: &str) -> String {
    body.split('\n')
        .map(|l| {
            if l.is_empty() {
                empty_prefix.to_string()
            } else {
                format!("{prefix}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn list(node: &Value, depth: usize, alt: bool) -> String {
    let ordered = node_type(node) == "orderedList";
    let mut n = list_start(node);
    let mut items = Vec::new();
    for item in children(node) {
        let marker = if ordered {
            let m = format!("{n}{} ", if alt { ')' } else { '.' });
            n = n.saturating_add(1);
            m
        } else {
            (if alt { "* " } else { "- " }).to_string()
        };
        let body = item_body(item, depth + 1);
        let indent = " ".repeat(marker.len());
        let mut lines = body.split('\n');
        let first = lines.next().unwrap_or("");
        let mut s = format!("{marker}{first}").trim_end().to_string();
        for l in lines {
            s.push('\n');
            if !l.is_empty() {
                s.push_str(&indent);
                s.push_str(l);
            }
        }
        items.push(s);
    }
    items.join("\n")
}

/// The blocks of a list item: a nested list follows its paragraph directly,
/// other blocks are separated by a blank line.
fn item_body(item: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH || node_type(item) != "listItem" {
        return block(item, depth, false).unwrap_or_default();
    }
    let mut out = String::new();
    let mut prev: Option<&str> = None;
    let mut prev_list: Option<(&str, bool)> = None;
    for child in children(item) {
        let ty = node_type(child);
        let alt = match prev_list {
            Some((p, a)) if p == ty => !a,
            _ => false,
        };
        let rendered = block(child, depth + 1, alt);
        let Some(s) = rendered.or_else(|| prev.is_none().then(String::new)) else {
            continue;
        };
        match prev {
            None => {}
            Some("paragraph") if is_list(ty) => out.push('\n'),
            Some(_) => out.push_str("\n\n"),
        }
        out.push_str(&s);
        prev = Some(ty);
        prev_list = is_list(ty).then_some((ty, alt));
    }
    out
}

fn code_block(node: &Value) -> String {
    let code = flatten_text(node);
    let longest = longest_run(&code, '`');
    let fence = "`".repeat(longest.max(2) + 1);
    let lang = attr_str(node, "language")
        .map(clean_language)
        .unwrap_or_default();
    if code.is_empty() {
        format!("{fence}{lang}\n{fence}")
    } else {
        format!("{fence}{lang}\n{code}\n{fence}")
    }
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

fn is_emphasis(name: &str) -> bool {
    matches!(name, "bold" | "italic" | "strike")
}

/// Move whitespace at the edges of emphasised runs outside the delimiters
/// (`**a **b` would not parse as bold): leading whitespace keeps only the
/// marks the previous run has, trailing whitespace only those of the next.
fn split_edges(ps: Vec<Piece<'_>>) -> Vec<Piece<'_>> {
    let marks_at = |ps: &[Piece<'_>], i: Option<usize>| -> Vec<Value> {
        i.and_then(|i| ps.get(i))
            .and_then(|p| p.marks.clone())
            .unwrap_or_default()
    };
    let common = |marks: &[Value], other: &[Value]| -> Vec<Value> {
        marks
            .iter()
            .filter(|m| {
                !is_emphasis(super::pm::node_type(m)) || other.iter().any(|o| same_mark(m, o))
            })
            .cloned()
            .collect()
    };
    let mut out = Vec::with_capacity(ps.len());
    for i in 0..ps.len() {
        let Some(p) = ps.get(i) else { continue };
        let (PieceKind::Text { text, code: false }, Some(marks)) = (&p.kind, &p.marks) else {
            out.push(p.clone());
            continue;
        };
        if !marks.iter().any(|m| is_emphasis(node_type(m))) {
            out.push(p.clone());
            continue;
        }
        let core = text.trim();
        let lead = text
            .get(..text.len() - text.trim_start().len())
            .unwrap_or("");
        let trail = text.get(text.trim_end().len()..).unwrap_or("");
        let piece = |t: &str, m: Vec<Value>| Piece {
            kind: PieceKind::Text {
                text: t.to_string(),
                code: false,
            },
            marks: Some(m),
        };
        if core.is_empty() {
            out.push(piece(text, common(marks, &marks_at(&ps, i.checked_sub(1)))));
            continue;
        }
        if !lead.is_empty() {
            out.push(piece(lead, common(marks, &marks_at(&ps, i.checked_sub(1)))));
        }
        out.push(piece(core, marks.clone()));
        if !trail.is_empty() {
            out.push(piece(trail, common(marks, &marks_at(&ps, Some(i + 1)))));
        }
    }
    out
}

fn inline(nodes: &[Value], heading: bool) -> String {
    let keep = |name: &str| matches!(name, "bold" | "italic" | "strike" | "underline" | "link");
    let ps = split_edges(pieces(nodes, keep));
    let evs = events(ps);
    let mut out = String::new();
    let mut line_start = true;
    for (i, ev) in evs.iter().enumerate() {
        match ev {
            Event::Open(m) => {
                out.push_str(match node_type(m) {
                    "bold" => "**",
                    "italic" => "*",
                    "strike" => "~~",
                    "underline" => "<u>",
                    "link" if link_href(m).is_some() => "[",
                    _ => "",
                });
                line_start = false;
            }
            Event::Close(m) => match node_type(m) {
                "bold" => out.push_str("**"),
                "italic" => out.push('*'),
                "strike" => out.push_str("~~"),
                "underline" => out.push_str("</u>"),
                "link" => {
                    if let Some(href) = link_href(m) {
                        out.push_str("](");
                        out.push_str(&escape_url(href));
                        if let Some(title) = attr_str(m, "title").filter(|t| !t.is_empty()) {
                            out.push_str(" \"");
                            for c in title.chars() {
                                if matches!(c, '"' | '\\') {
                                    out.push('\\');
                                }
                                out.push(if c == '\n' { ' ' } else { c });
                            }
                            out.push('"');
                        }
                        out.push(')');
                    }
                }
                _ => {}
            },
            Event::Text { text, code: true } => {
                out.push_str(&code_span(text));
                line_start = false;
            }
            Event::Text { text, code: false } => {
                let text = text.replace(['\n', '\r'], " ");
                let t = if line_start { text.trim_start() } else { &text };
                out.push_str(&escape_text(t, line_start, heading));
                line_start = line_start && t.is_empty();
            }
            Event::Break => {
                // A break at the very end of a block has no Markdown form.
                let last = evs.get(i + 1..).is_none_or(|rest| {
                    rest.iter()
                        .all(|e| matches!(e, Event::Close(_) | Event::Break))
                });
                if heading || last {
                    out.push(' ');
                } else {
                    out.push_str("\\\n");
                    line_start = true;
                }
            }
            Event::Other(v) => {
                let t = flatten_text(v).replace('\n', " ");
                out.push_str(&escape_text(&t, line_start, heading));
                line_start = line_start && t.is_empty();
            }
        }
    }
    out.trim_end_matches([' ', '\t']).to_string()
}

fn link_href(mark: &Value) -> Option<&str> {
    attr_str(mark, "href").filter(|h| is_safe_href(h))
}

/// Write a (safe) link target so that CommonMark reads it back as exactly
/// this string: `\`, `(`, `)` and `&` are backslash-escaped (a bare `&`
/// could start a character reference, and `\&` keeps query strings
/// intact where `%26` would change them); whitespace, controls, `<` and `>`
/// are percent-encoded.
fn escape_url(url: &str) -> String {
    let mut out = String::new();
    for c in url.trim().chars() {
        match c {
            '(' | ')' | '\\' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_whitespace() || c.is_control() || c == '<' || c == '>' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn code_span(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    if pad {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Backslash-escape what Markdown would read as syntax.
fn escape_text(text: &str, line_start: bool, heading: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let at_start = line_start && i == 0;
        let escape = match c {
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '~' => true,
            '&' => next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#'),
            '#' => at_start || heading,
            '-' | '+' | '=' => at_start,
            '.' | ')' => {
                // "12. " at the start of a line would start a list.
                line_start && i > 0 && chars.iter().take(i).all(char::is_ascii_digit)
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn para(content: Value) -> Value {
        json!({"type":"doc","content":[{"type":"paragraph","content":content}]})
    }

    #[test]
    fn escapes_specials() {
        let pm = para(json!([{"type":"text","text":"1. *not* [a](b) # x_y `c` <b> &amp;"}]));
        assert_eq!(
            pm_to_markdown(&pm),
            "1\\. \\*not\\* \\[a\\](b) # x\\_y \\`c\\` \\<b\\> \\&amp;\n"
        );
        let pm = para(json!([{"type":"text","text":"# not a heading"}]));
        assert_eq!(pm_to_markdown(&pm), "\\# not a heading\n");
    }

    #[test]
    fn whitespace_moves_out_of_emphasis() {
        let pm = para(json!([
            {"type":"text","text":"a "},
            {"type":"text","text":"bold ","marks":[{"type":"bold"}]},
            {"type":"text","text":"b"}]));
        assert_eq!(pm_to_markdown(&pm), "a **bold** b\n");
    }

    #[test]
    fn code_spans_and_unsafe_links() {
        let pm = para(json!([
            {"type":"text","text":"a`b","marks":[{"type":"code"}]},
            {"type":"text","text":" "},
            {"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":"javascript:alert(1)"}}]},
            {"type":"text","text":" "},
            {"type":"text","text":"y","marks":[{"type":"link","attrs":{"href":"https://e.org/a b(c)","title":"T \"q\""}}]}]));
        assert_eq!(
            pm_to_markdown(&pm),
            "``a`b`` x [y](https://e.org/a%20b\\(c\\) \"T \\\"q\\\"\")\n"
        );
    }

    #[test]
    fn adjacent_lists_stay_separate() {
        let item = json!({"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"a"}]}]});
        let pm = json!({"type":"doc","content":[
            {"type":"bulletList","content":[item.clone()]},
            {"type":"bulletList","content":[item.clone()]},
            {"type":"orderedList","attrs":{"start":2},"content":[item.clone()]},
            {"type":"orderedList","content":[item]}]});
        assert_eq!(pm_to_markdown(&pm), "- a\n\n* a\n\n2. a\n\n1) a\n");
    }
}
