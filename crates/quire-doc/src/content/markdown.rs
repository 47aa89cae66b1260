//! Markdown export (CommonMark plus GFM `~~strike~~`, tables and task
//! lists).
//!
//! Blocks are separated by a blank line; lists are tight; nested content is
//! indented by the width of its list marker; text is escaped so that it
//! reads back as the same text. Underline has no Markdown syntax and is
//! written as `<u>…</u>`, which the importer reads back. Links with unsafe
//! targets (`javascript:` and the like) are written as their text only.
//!
//! - Task lists are `- [ ] ` / `- [x] ` items (bullet and task lists count
//!   as one kind for the alternating `-`/`*` markers that keep adjacent
//!   lists apart).
//! - Images are `![alt](src "title")`; `width`/`height` have no Markdown
//!   form and are not written; an image whose `src` is unsafe (or missing)
//!   is written as its alt text only.
//! - Tables are GFM tables. The first row is always the header row, whether
//!   its cells are `tableHeader`s or not (GFM has no header-less table; a
//!   header cell in a later row is written as a plain cell). A cell spanning
//!   columns is followed by empty cells for the columns it covers, and
//!   columns covered by a cell spanning rows get an empty cell in the rows
//!   below, so every row has the table's width; the delimiter row takes
//!   each column's alignment from the first cell that has one. A cell is one
//!   line: its paragraphs are joined by `<br>` (read back as line breaks in
//!   one paragraph), images in it are written inline, other blocks (lists,
//!   code, nested tables) as their text; `|` is escaped as `\|`.
//!
//! The export is a fixed point of import and export
//! (`export(import(export(d))) == export(d)`, tested on random documents
//! with every node). Known limits of the Markdown form (the PM/Yjs data is
//! never affected): leading spaces of a paragraph and spaces next to a line
//! break are dropped; an emphasis run that starts or ends with punctuation
//! and touches a letter outside it (`**"q"**word`) does not read back as
//! emphasis, as CommonMark's flanking rules forbid it; empty paragraphs
//! vanish (a list item's empty first paragraph reads back only when a
//! non-paragraph block follows it); a table cell's blocks become one
//! paragraph; image sizes, cell widths and row/column spans are not kept.

use serde_json::{Value, json};

use super::html::clean_language;
use super::inline::{Event, Piece, PieceKind, events, pieces};
use super::pm::{
    MAX_COLSPAN, MAX_DEPTH, attr_str, cell_align, children, colspan, flatten_text, heading_level,
    is_checked, is_item, is_list, is_safe_href, is_safe_src, list_start, node_type, rowspan,
    same_mark,
};

/// Which lists share a marker family (`-`/`*` or `.`/`)`): adjacent lists
/// of one family alternate their marker so that they stay separate.
fn list_family(ty: &str) -> &str {
    match ty {
        "taskList" => "bulletList",
        ty => ty,
    }
}

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
        let ty = list_family(node_type(node));
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
            .then(|| escape_text(&text.replace('\n', " "), true, false, false));
    }
    let s = match node_type(node) {
        "paragraph" => inline(children(node), false, false),
        "heading" => {
            let text = inline(children(node), true, false);
            let hashes = "#".repeat(heading_level(node));
            if text.is_empty() {
                hashes
            } else {
                format!("{hashes} {text}")
            }
        }
        "codeBlock" => code_block(node),
        "blockquote" => prefix_lines(&blocks(children(node), depth), "> ", ">"),
        "bulletList" | "orderedList" | "taskList" => list(node, depth, alt),
        "horizontalRule" => "---".to_string(),
        "image" => image(node, false),
        "table" => table(node),
        "text" | "hardBreak" => inline(std::slice::from_ref(node), false, false),
        _ => {
            let kids = children(node);
            if kids
                .iter()
                .any(|k| matches!(node_type(k), "text" | "hardBreak"))
            {
                inline(kids, false, false)
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
        // Nested content is indented to the item's content, which for a
        // task item starts at the `[`.
        let indent = " ".repeat(marker.len());
        let marker = if node_type(node) == "taskList" {
            format!("{marker}[{}] ", if is_checked(item) { 'x' } else { ' ' })
        } else {
            marker
        };
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
    if depth > MAX_DEPTH || !is_item(node_type(item)) {
        return block(item, depth, false).unwrap_or_default();
    }
    let task = node_type(item) == "taskItem";
    let mut out = String::new();
    let mut prev: Option<&str> = None;
    let mut prev_list: Option<(&str, bool)> = None;
    for child in children(item) {
        let ty = list_family(node_type(child));
        let alt = match prev_list {
            Some((p, a)) if p == ty => !a,
            _ => false,
        };
        let rendered = if task && ty == "horizontalRule" && prev.is_some() && out.is_empty() {
            // `[ ]` over `---` would be a setext heading.
            Some("***".to_string())
        } else {
            block(child, depth + 1, alt)
        };
        let Some(s) = rendered.or_else(|| prev.is_none().then(String::new)) else {
            continue;
        };
        match prev {
            None => {}
            Some("paragraph") if is_list(ty) => out.push('\n'),
            // After an empty first paragraph the item's line is empty (or
            // only `[ ]`), and a blank line would end the item: a paragraph
            // goes on the marker's line (it reads back as the item's first
            // paragraph), other blocks on the next line.
            Some(_) if out.is_empty() && renders_as_paragraph(child) => {}
            Some(_) if out.is_empty() => out.push('\n'),
            Some(_) => out.push_str("\n\n"),
        }
        out.push_str(&s);
        prev = Some(ty);
        prev_list = is_list(ty).then_some((ty, alt));
    }
    out
}

/// Whether a block is written as a paragraph of text (a paragraph, an
/// image without a safe source, stray inline content).
fn renders_as_paragraph(node: &Value) -> bool {
    match node_type(node) {
        "paragraph" | "text" | "hardBreak" => true,
        "image" => !attr_str(node, "src").is_some_and(is_safe_src),
        "heading" | "codeBlock" | "blockquote" | "horizontalRule" | "table" => false,
        ty if is_list(ty) => false,
        _ => children(node)
            .iter()
            .any(|k| matches!(node_type(k), "text" | "hardBreak")),
    }
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

/// Drop plain whitespace runs next to a hard break: a new line drops them
/// when read back, and left in they would decide which marks the break
/// keeps open (`[a](x)\\␤ [a](x)` reads back as one link around a break).
fn drop_spaces_at_breaks(ps: Vec<Piece<'_>>) -> Vec<Piece<'_>> {
    let space = |p: &Piece<'_>| matches!(&p.kind, PieceKind::Text { text, code: false } if text.trim().is_empty());
    let brk = |p: &Piece<'_>| matches!(p.kind, PieceKind::Break);
    let mut fwd: Vec<Piece<'_>> = Vec::with_capacity(ps.len());
    for p in ps {
        if !(space(&p) && fwd.last().is_some_and(brk)) {
            fwd.push(p);
        }
    }
    let mut back: Vec<Piece<'_>> = Vec::with_capacity(fwd.len());
    for p in fwd.into_iter().rev() {
        if !(space(&p) && back.last().is_some_and(brk)) {
            back.push(p);
        }
    }
    back.reverse();
    back
}

/// Inline content on one line; `cell` writes it for a table cell (`|`
/// escaped, line breaks as `<br>`).
fn inline(nodes: &[Value], heading: bool, cell: bool) -> String {
    let keep = |name: &str| matches!(name, "bold" | "italic" | "strike" | "underline" | "link");
    let mut ps = split_edges(pieces(nodes, keep));
    if !heading {
        ps = drop_spaces_at_breaks(ps);
    }
    let evs = events(ps);
    let mut out = String::new();
    let mut line_start = true;
    // Whether any text came yet (a cell drops breaks before it).
    let mut wrote = false;
    for (i, ev) in evs.iter().enumerate() {
        match ev {
            Event::Open(m) => {
                // `!` right before a link would make it an image. (Every
                // `\` from text is escaped, so this `!` is a bare one.)
                if node_type(m) == "link" && link_href(m).is_some() && out.ends_with('!') {
                    out.pop();
                    out.push_str("\\!");
                }
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
                        out.push_str(&escape_url(href, cell));
                        push_title(attr_str(m, "title"), cell, &mut out);
                        out.push(')');
                    }
                }
                _ => {}
            },
            Event::Text { text, code: true } => {
                let span = code_span(text);
                out.push_str(&if cell { span.replace('|', "\\|") } else { span });
                line_start = false;
                wrote = true;
            }
            Event::Text { text, code: false } => {
                let text = text.replace(['\n', '\r'], " ");
                let t = if line_start { text.trim_start() } else { &text };
                out.push_str(&escape_text(t, line_start, heading, cell));
                line_start = line_start && t.is_empty();
                wrote = wrote || !t.is_empty();
            }
            Event::Break => {
                // A break at the very end of a block (only whitespace after
                // it, which a new line drops) has no Markdown form.
                let last = evs.get(i + 1..).is_none_or(|rest| {
                    rest.iter().all(|e| match e {
                        Event::Close(_) | Event::Break => true,
                        Event::Text { text, code: false } => text.trim().is_empty(),
                        _ => false,
                    })
                });
                if heading || last {
                    out.push(' ');
                } else if cell && !wrote {
                    // A break opening a cell's paragraph means nothing:
                    // paragraphs are already joined by `<br>`.
                } else if cell {
                    // Read back as a break before text that starts a line
                    // of its own, as a cell's second paragraph does.
                    out.push_str("<br>");
                    line_start = true;
                } else {
                    // Spaces before a hard break do not read back.
                    let kept = out.trim_end_matches([' ', '\t']).len();
                    out.truncate(kept);
                    out.push_str("\\\n");
                    line_start = true;
                }
            }
            Event::Other(v) => {
                let t = flatten_text(v).replace('\n', " ");
                out.push_str(&escape_text(&t, line_start, heading, cell));
                line_start = line_start && t.is_empty();
                wrote = wrote || !t.is_empty();
            }
        }
    }
    out.trim_end_matches([' ', '\t']).to_string()
}

fn link_href(mark: &Value) -> Option<&str> {
    attr_str(mark, "href").filter(|h| is_safe_href(h))
}

/// ` "title"` of a link or image (nothing when empty), `"` and `\`
/// escaped, newlines as spaces (and `|` escaped in a cell).
fn push_title(title: Option<&str>, cell: bool, out: &mut String) {
    let Some(title) = title.filter(|t| !t.is_empty()) else {
        return;
    };
    out.push_str(" \"");
    for c in title.chars() {
        if matches!(c, '"' | '\\') || (cell && c == '|') {
            out.push('\\');
        }
        out.push(if matches!(c, '\n' | '\r') { ' ' } else { c });
    }
    out.push('"');
}

/// `![alt](src "title")`, or the alt text alone when `src` is unsafe.
fn image(node: &Value, cell: bool) -> String {
    let alt = attr_str(node, "alt")
        .unwrap_or("")
        .replace(['\n', '\r'], " ");
    let alt = alt.trim();
    let Some(src) = attr_str(node, "src").filter(|s| is_safe_src(s)) else {
        return escape_text(alt, true, false, cell);
    };
    let mut out = String::from("![");
    out.push_str(&escape_text(alt, false, false, cell));
    out.push_str("](");
    out.push_str(&escape_url(src, cell));
    push_title(attr_str(node, "title"), cell, &mut out);
    out.push(')');
    out
}

/// A table cell's content on one line: its paragraphs as one run of
/// inline content joined by line breaks (`<br>`, exactly what the importer
/// reads back), safe images inline between runs (set off by spaces), other
/// blocks (and unsafe images) as their text.
fn cell_text(cell: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Vec<Value> = Vec::new();
    let mut in_run = false;
    let flush = |run: &mut Vec<Value>, in_run: &mut bool, parts: &mut Vec<String>| {
        if *in_run {
            parts.push(inline(run, false, true));
        }
        run.clear();
        *in_run = false;
    };
    for child in children(cell) {
        let ty = node_type(child);
        if ty == "image" && attr_str(child, "src").is_some_and(is_safe_src) {
            flush(&mut run, &mut in_run, &mut parts);
            parts.push(image(child, true));
            continue;
        }
        if in_run {
            run.push(json!({"type": "hardBreak"}));
        }
        in_run = true;
        match ty {
            "paragraph" | "heading" => run.extend(children(child).iter().cloned()),
            _ => {
                let text = if ty == "image" {
                    attr_str(child, "alt").unwrap_or("").to_string()
                } else {
                    flatten_text(child)
                };
                let text = text.replace(['\n', '\r'], " ");
                if !text.trim().is_empty() {
                    run.push(json!({"type": "text", "text": text.trim()}));
                }
            }
        }
    }
    flush(&mut run, &mut in_run, &mut parts);
    parts.retain(|p| !p.is_empty());
    parts.join(" ")
}

/// A GFM table (see the module docs for spans and header rows).
fn table(node: &Value) -> String {
    let max_cols = MAX_COLSPAN as usize;
    let mut grid: Vec<Vec<String>> = Vec::new();
    let mut aligns: Vec<Option<&str>> = Vec::new();
    // Rows still covered by a cell above, per column.
    let mut carry: Vec<u64> = Vec::new();
    for row in children(node) {
        let mut cells = children(row).iter();
        let mut out: Vec<String> = Vec::new();
        loop {
            while carry.get(out.len()).is_some_and(|c| *c > 0) {
                if let Some(c) = carry.get_mut(out.len()) {
                    *c -= 1;
                }
                out.push(String::new());
            }
            let Some(cell) = cells.next() else {
                break;
            };
            let col = out.len();
            out.push(cell_text(cell));
            if aligns.len() <= col {
                aligns.resize(col + 1, None);
            }
            if let Some(slot) = aligns.get_mut(col)
                && slot.is_none()
            {
                *slot = cell_align(cell);
            }
            let span = (colspan(cell) as usize)
                .min(max_cols.saturating_sub(col))
                .max(1);
            if carry.len() < col + span {
                carry.resize(col + span, 0);
            }
            for c in carry.iter_mut().skip(col).take(span) {
                *c = rowspan(cell) - 1;
            }
            out.extend(std::iter::repeat_n(String::new(), span - 1));
        }
        // Covered columns past the row's last cell.
        for c in carry.iter_mut().skip(out.len()) {
            *c = c.saturating_sub(1);
        }
        grid.push(out);
    }
    let width = grid.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let line = |cells: &[String]| -> String {
        let mut s = String::from("|");
        for i in 0..width {
            match cells.get(i).filter(|c| !c.is_empty()) {
                Some(c) => {
                    s.push(' ');
                    s.push_str(c);
                    s.push_str(" |");
                }
                None => s.push_str(" |"),
            }
        }
        s
    };
    let mut lines = Vec::with_capacity(grid.len() + 1);
    let mut rows = grid.iter();
    lines.push(line(rows.next().map(Vec::as_slice).unwrap_or(&[])));
    let mut delim = String::from("|");
    for i in 0..width {
        delim.push_str(match aligns.get(i).copied().flatten() {
            Some("left") => " :-- |",
            Some("center") => " :-: |",
            Some("right") => " --: |",
            _ => " --- |",
        });
    }
    lines.push(delim);
    lines.extend(rows.map(|r| line(r)));
    lines.join("\n")
}

/// Write a (safe) link target so that CommonMark reads it back as exactly
/// this string: `\`, `(`, `)` and `&` are backslash-escaped (a bare `&`
/// could start a character reference, and `\&` keeps query strings
/// intact where `%26` would change them); whitespace, controls, `<` and `>`
/// are percent-encoded.
fn escape_url(url: &str, cell: bool) -> String {
    let mut out = String::new();
    for c in url.trim().chars() {
        match c {
            '(' | ')' | '\\' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_whitespace()
                || c.is_control()
                || c == '<'
                || c == '>'
                || (cell && c == '|') =>
            {
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

/// Backslash-escape what Markdown would read as syntax (`|` too in a
/// table cell).
fn escape_text(text: &str, line_start: bool, heading: bool, cell: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let chars: Vec<char> = text.chars().collect();
    // A line like `|-|` or `:-:` after a line break would make the line
    // before it a GFM table header.
    let delimiter_like = line_start
        && chars.contains(&'-')
        && chars
            .iter()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'));
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let at_start = line_start && i == 0;
        let escape = match c {
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '~' => true,
            '|' => cell || (at_start && delimiter_like),
            ':' => at_start && delimiter_like,
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

#[cfg(test)]
mod rich_tests {
    use super::*;
    use crate::content::markdown_to_pm;
    use serde_json::json;

    fn p(t: &str) -> Value {
        json!({"type":"paragraph","content":[{"type":"text","text":t}]})
    }

    fn cell(ty: &str, attrs: Value, content: Vec<Value>) -> Value {
        json!({"type":ty,"attrs":attrs,"content":content})
    }

    fn doc(content: Vec<Value>) -> Value {
        json!({"type":"doc","content":content})
    }

    /// Export, and check that the export is a fixed point of import+export.
    fn md(pm: &Value) -> String {
        let out = pm_to_markdown(pm);
        assert_eq!(
            pm_to_markdown(&markdown_to_pm(&out)),
            out,
            "not stable: {out}"
        );
        out
    }

    #[test]
    fn tables_export_as_gfm() {
        let one = json!({"colspan":1,"rowspan":1});
        let pm = doc(vec![json!({"type":"table","content":[
            {"type":"tableRow","content":[
                cell("tableHeader", one.clone(), vec![p("A")]),
                cell("tableHeader", json!({"align":"center"}), vec![p("B|C")]),
                cell("tableHeader", one.clone(), vec![json!({"type":"paragraph"})])]},
            {"type":"tableRow","content":[
                cell("tableCell", json!({"rowspan":2}), vec![p("tall")]),
                cell("tableCell", json!({"colspan":2}), vec![p("wide"), p("second"),
                    json!({"type":"image","attrs":{"src":"/api/media/1","alt":"pic"}})])]},
            {"type":"tableRow","content":[
                cell("tableCell", json!({"align":"right"}), vec![json!({"type":"paragraph","content":[
                    {"type":"text","text":"x"},{"type":"hardBreak"},{"type":"text","text":"a`|`b","marks":[{"type":"code"}]}]})])]}]})]);
        assert_eq!(
            md(&pm),
            "| A | B\\|C | |\n| --- | :-: | --- |\n| tall | wide<br>second ![pic](/api/media/1) | |\n| | x<br>``a`\\|`b`` | |\n"
        );
        // The cells read back (pipes, breaks and the image included).
        let back = markdown_to_pm(&pm_to_markdown(&pm));
        let text = crate::content::pm_to_text(&back);
        assert!(
            text.contains("B|C") && text.contains("a`|`b") && text.contains("pic"),
            "{text}"
        );
    }

    #[test]
    fn header_less_tables_take_the_first_row_as_header() {
        let pm = doc(vec![json!({"type":"table","content":[
            {"type":"tableRow","content":[cell("tableCell", json!({}), vec![p("a")]), cell("tableCell", json!({}), vec![p("- b")])]},
            {"type":"tableRow","content":[cell("tableHeader", json!({}), vec![p("c")])]}]})]);
        assert_eq!(md(&pm), "| a | \\- b |\n| --- | --- |\n| c | |\n");
        let back = markdown_to_pm(&pm_to_markdown(&pm));
        assert_eq!(
            back["content"][0]["content"][0]["content"][0]["type"],
            "tableHeader"
        );
        assert_eq!(
            back["content"][0]["content"][1]["content"][0]["type"],
            "tableCell"
        );
    }

    #[test]
    fn task_lists_export() {
        let item = |c: bool, kids: Vec<Value>| json!({"type":"taskItem","attrs":{"checked":c},"content":kids});
        let pm = doc(vec![
            json!({"type":"taskList","content":[
                item(true, vec![p("done")]),
                item(false, vec![p("todo"), json!({"type":"taskList","content":[item(false, vec![p("sub")])]})])]}),
            json!({"type":"bulletList","content":[{"type":"listItem","content":[p("[ ] not a task")]}]}),
            json!({"type":"taskList","content":[item(false, vec![p("after")])]}),
        ]);
        assert_eq!(
            md(&pm),
            "- [x] done\n- [ ] todo\n  - [ ] sub\n\n* \\[ \\] not a task\n\n- [ ] after\n"
        );
        assert_eq!(markdown_to_pm(&pm_to_markdown(&pm)), pm);
    }

    #[test]
    fn empty_task_items_stay_tasks() {
        let pm = doc(vec![json!({"type":"taskList","content":[
            {"type":"taskItem","attrs":{"checked":true},"content":[{"type":"paragraph"}]},
            {"type":"taskItem","attrs":{"checked":false},"content":[p("b")]}]})]);
        let out = md(&pm);
        assert_eq!(markdown_to_pm(&out), pm, "{out}");
    }

    #[test]
    fn items_whose_first_paragraph_is_empty() {
        let empty = json!({"type":"paragraph"});
        let blocks = [
            json!({"type":"image","attrs":{"src":"/i.png","alt":"i"}}),
            json!({"type":"blockquote","content":[p("q")]}),
            json!({"type":"codeBlock","content":[{"type":"text","text":"c"}]}),
            json!({"type":"horizontalRule"}),
            json!({"type":"bulletList","content":[{"type":"listItem","content":[p("n")]}]}),
            json!({"type":"table","content":[{"type":"tableRow","content":[
                {"type":"tableHeader","attrs":{"colspan":1,"rowspan":1},"content":[p("h")]}]}]}),
        ];
        for (list, item) in [
            ("bulletList", json!({"type":"listItem"})),
            (
                "taskList",
                json!({"type":"taskItem","attrs":{"checked":true}}),
            ),
        ] {
            for b in &blocks {
                let mut it = item.clone();
                it["content"] = json!([empty.clone(), b.clone()]);
                let pm = doc(vec![json!({"type":list,"content":[it]})]);
                let out = md(&pm);
                assert_eq!(markdown_to_pm(&out), pm, "{out}");
            }
            // A paragraph after the empty one takes its place.
            let mut it = item.clone();
            it["content"] = json!([empty.clone(), p("text")]);
            let out = md(&doc(vec![json!({"type":list,"content":[it]})]));
            assert!(out.ends_with("] text\n") || out == "- text\n", "{out}");
        }
    }

    #[test]
    fn images_export() {
        let pm = doc(vec![
            json!({"type":"image","attrs":{"src":"https://e.org/a b.png","alt":"a [b] *c*","title":"T \"q\"","width":5}}),
            json!({"type":"image","attrs":{"src":"javascript:alert(1)","alt":"evil"}}),
            json!({"type":"image","attrs":{"src":"data:image/png;base64,AA"}}),
            json!({"type":"horizontalRule"}),
        ]);
        assert_eq!(
            md(&pm),
            "![a \\[b\\] \\*c\\*](https://e.org/a%20b.png \"T \\\"q\\\"\")\n\nevil\n\n---\n"
        );
    }
}
