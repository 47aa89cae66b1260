//! HTML export: every text and attribute escaped, only safe link targets
//! and image sources, a fixed PM → HTML tag map. Unknown nodes render as
//! their children (or their text), never as markup.
//!
//! The rich nodes are written the way TipTap renders them, so that TipTap
//! (and this crate's importer) read them back: tables as
//! `<table><tbody><tr><th><p>…</p></th>…` (`colspan`/`rowspan` when > 1,
//! `colwidth="100,200"`, `style="text-align: …"`), task lists as
//! `<ul data-type="taskList"><li data-type="taskItem" data-checked="true">`
//! with a disabled checkbox in a `<label>` and the content in a `<div>`,
//! images as `<img src alt title width height>` (an unsafe `src` writes the
//! alt text as a paragraph instead).

use serde_json::Value;

use super::inline::{Event, events, pieces};
use super::pm::{
    MAX_DEPTH, attr_int, attr_str, cell_align, children, colspan, colwidths, flatten_text,
    heading_level, is_checked, is_safe_href, is_safe_src, list_start, node_type, rowspan,
};

/// Render a PM doc as an HTML fragment.
pub fn pm_to_html(pm: &Value) -> String {
    let mut out = String::new();
    block_children(pm, 0, &mut out);
    out
}

/// Escape text and attribute values.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn block_children(node: &Value, depth: usize, out: &mut String) {
    for child in children(node) {
        block(child, depth + 1, out);
    }
}

fn wrap(tag: &str, node: &Value, depth: usize, out: &mut String) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    block_children(node, depth, out);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn block(node: &Value, depth: usize, out: &mut String) {
    if depth > MAX_DEPTH {
        out.push_str("<p>");
        escape(&flatten_text(node), out);
        out.push_str("</p>");
        return;
    }
    match node_type(node) {
        "paragraph" => {
            out.push_str("<p>");
            inline(children(node), out);
            out.push_str("</p>");
        }
        "heading" => {
            let tag = format!("h{}", heading_level(node));
            out.push_str(&format!("<{tag}>"));
            inline(children(node), out);
            out.push_str(&format!("</{tag}>"));
        }
        "codeBlock" => {
            out.push_str("<pre><code");
            if let Some(lang) = attr_str(node, "language").map(clean_language)
                && !lang.is_empty()
            {
                out.push_str(" class=\"language-");
                escape(&lang, out);
                out.push('"');
            }
            out.push('>');
            escape(&flatten_text(node), out);
            out.push_str("</code></pre>");
        }
        "blockquote" => wrap("blockquote", node, depth, out),
        "bulletList" => wrap("ul", node, depth, out),
        "orderedList" => {
            let start = list_start(node);
            if start == 1 {
                out.push_str("<ol>");
            } else {
                out.push_str(&format!("<ol start=\"{start}\">"));
            }
            block_children(node, depth, out);
            out.push_str("</ol>");
        }
        "listItem" => wrap("li", node, depth, out),
        "horizontalRule" => out.push_str("<hr>"),
        "taskList" => {
            out.push_str("<ul data-type=\"taskList\">");
            block_children(node, depth, out);
            out.push_str("</ul>");
        }
        "taskItem" => {
            let checked = is_checked(node);
            out.push_str(if checked {
                "<li data-type=\"taskItem\" data-checked=\"true\"><label><input type=\"checkbox\" checked disabled></label><div>"
            } else {
                "<li data-type=\"taskItem\" data-checked=\"false\"><label><input type=\"checkbox\" disabled></label><div>"
            });
            block_children(node, depth, out);
            out.push_str("</div></li>");
        }
        "table" => {
            out.push_str("<table><tbody>");
            block_children(node, depth, out);
            out.push_str("</tbody></table>");
        }
        "tableRow" => wrap("tr", node, depth, out),
        "tableHeader" => cell("th", node, depth, out),
        "tableCell" => cell("td", node, depth, out),
        "image" => image(node, out),
        "text" | "hardBreak" => {
            // Inline content where a block was expected: render it inline.
            inline(std::slice::from_ref(node), out);
        }
        _ => {
            let kids = children(node);
            if kids
                .iter()
                .any(|k| matches!(node_type(k), "text" | "hardBreak"))
            {
                out.push_str("<p>");
                inline(kids, out);
                out.push_str("</p>");
            } else {
                block_children(node, depth, out);
            }
        }
    }
}

/// A table cell with its spans, widths and alignment.
fn cell(tag: &str, node: &Value, depth: usize, out: &mut String) {
    out.push('<');
    out.push_str(tag);
    let (cols, rows) = (colspan(node), rowspan(node));
    if cols > 1 {
        out.push_str(&format!(" colspan=\"{cols}\""));
    }
    if rows > 1 {
        out.push_str(&format!(" rowspan=\"{rows}\""));
    }
    if let Some(widths) = colwidths(node) {
        let widths: Vec<String> = widths.iter().map(u64::to_string).collect();
        out.push_str(&format!(" colwidth=\"{}\"", widths.join(",")));
    }
    if let Some(align) = cell_align(node) {
        out.push_str(&format!(" style=\"text-align: {align}\""));
    }
    out.push('>');
    block_children(node, depth, out);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// `<img>` with a safe `src`, or the alt text as a paragraph.
fn image(node: &Value, out: &mut String) {
    let alt = attr_str(node, "alt").unwrap_or("");
    let Some(src) = attr_str(node, "src").filter(|s| is_safe_src(s)) else {
        if !alt.trim().is_empty() {
            out.push_str("<p>");
            escape(alt, out);
            out.push_str("</p>");
        }
        return;
    };
    out.push_str("<img src=\"");
    escape(src.trim(), out);
    out.push('"');
    if let Some(alt) = attr_str(node, "alt") {
        out.push_str(" alt=\"");
        escape(alt, out);
        out.push('"');
    }
    if let Some(title) = attr_str(node, "title").filter(|t| !t.is_empty()) {
        out.push_str(" title=\"");
        escape(title, out);
        out.push('"');
    }
    for key in ["width", "height"] {
        if let Some(n) = attr_int(node, key).filter(|n| (1..=100_000).contains(n)) {
            out.push_str(&format!(" {key}=\"{n}\""));
        }
    }
    out.push('>');
}

/// Language names are reduced to `[A-Za-z0-9_+#.-]`.
pub fn clean_language(lang: &str) -> String {
    lang.chars()
        .take_while(|c| !c.is_whitespace())
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '#' | '.' | '-'))
        .take(32)
        .collect()
}

fn mark_tag(mark: &Value) -> Option<&'static str> {
    Some(match node_type(mark) {
        "bold" => "strong",
        "italic" => "em",
        "strike" => "s",
        "underline" => "u",
        "link" => "a",
        _ => return None,
    })
}

fn inline(nodes: &[Value], out: &mut String) {
    let keep = |name: &str| matches!(name, "bold" | "italic" | "strike" | "underline" | "link");
    for ev in events(pieces(nodes, keep)) {
        match ev {
            Event::Open(m) => match mark_tag(&m) {
                Some("a") => match attr_str(&m, "href").filter(|h| is_safe_href(h)) {
                    Some(href) => {
                        out.push_str("<a href=\"");
                        escape(href.trim(), out);
                        out.push_str("\" rel=\"noopener noreferrer nofollow\">");
                    }
                    // Unsafe targets: the text stays, the link goes.
                    None => out.push_str("<span>"),
                },
                Some(tag) => out.push_str(&format!("<{tag}>")),
                None => {}
            },
            Event::Close(m) => match mark_tag(&m) {
                Some("a") if attr_str(&m, "href").is_some_and(is_safe_href) => out.push_str("</a>"),
                Some("a") => out.push_str("</span>"),
                Some(tag) => out.push_str(&format!("</{tag}>")),
                None => {}
            },
            Event::Text { text, code } => {
                if code {
                    out.push_str("<code>");
                }
                escape(&text, out);
                if code {
                    out.push_str("</code>");
                }
            }
            Event::Break => out.push_str("<br>"),
            Event::Other(v) => escape(&flatten_text(v), out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn html_export_escapes_and_maps() {
        let pm = json!({"type":"doc","content":[
            {"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":"<script>alert(1)</script>"}]},
            {"type":"paragraph","content":[
                {"type":"text","text":"b","marks":[{"type":"bold"}]},
                {"type":"text","text":"l","marks":[{"type":"link","attrs":{"href":"https://x.org/?a=1&b=\"2\""}}]},
                {"type":"text","text":"bad","marks":[{"type":"link","attrs":{"href":"javascript:alert(1)"}}]},
                {"type":"hardBreak"},
                {"type":"text","text":"c<","marks":[{"type":"code"}]}]},
            {"type":"codeBlock","attrs":{"language":"rust\" onload=x"},"content":[{"type":"text","text":"a < b"}]},
            {"type":"orderedList","attrs":{"start":3},"content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"i"}]}]}]},
            {"type":"horizontalRule"}]});
        assert_eq!(
            pm_to_html(&pm),
            "<h2>&lt;script&gt;alert(1)&lt;/script&gt;</h2>\
             <p><strong>b</strong><a href=\"https://x.org/?a=1&amp;b=&quot;2&quot;\" rel=\"noopener noreferrer nofollow\">l</a>\
             <span>bad</span><br><code>c&lt;</code></p>\
             <pre><code class=\"language-rust\">a &lt; b</code></pre>\
             <ol start=\"3\"><li><p>i</p></li></ol><hr>"
        );
    }

    #[test]
    fn rich_nodes_export() {
        let p = |t: &str| json!({"type":"paragraph","content":[{"type":"text","text":t}]});
        let pm = json!({"type":"doc","content":[
            {"type":"table","content":[
                {"type":"tableRow","content":[
                    {"type":"tableHeader","attrs":{"colspan":2,"rowspan":1,"colwidth":[10,20],"align":"center"},"content":[p("h<")]}]},
                {"type":"tableRow","content":[
                    {"type":"tableCell","attrs":{"colspan":1,"rowspan":3,"colwidth":[0],"align":"x\" onclick=\"y"},"content":[p("a")]},
                    {"type":"tableCell","attrs":{"colspan":"2\" onclick=\"x"},"content":[{"type":"paragraph"}]}]}]},
            {"type":"taskList","content":[
                {"type":"taskItem","attrs":{"checked":true},"content":[p("done")]},
                {"type":"taskItem","attrs":{"checked":"true"},"content":[p("not really")]}]},
            {"type":"image","attrs":{"src":"/api/media/1?a=1&b=\"2\"","alt":"A \"cat\"","title":"<t>","width":320,"height":"200\" onload=\"x"}},
            {"type":"image","attrs":{"src":"javascript:alert(1)","alt":"evil"}},
            {"type":"image","attrs":{"src":"data:image/png;base64,AA"}}]});
        assert_eq!(
            pm_to_html(&pm),
            "<table><tbody><tr><th colspan=\"2\" colwidth=\"10,20\" style=\"text-align: center\"><p>h&lt;</p></th></tr>\
             <tr><td rowspan=\"3\"><p>a</p></td><td><p></p></td></tr></tbody></table>\
             <ul data-type=\"taskList\">\
             <li data-type=\"taskItem\" data-checked=\"true\"><label><input type=\"checkbox\" checked disabled></label><div><p>done</p></div></li>\
             <li data-type=\"taskItem\" data-checked=\"false\"><label><input type=\"checkbox\" disabled></label><div><p>not really</p></div></li></ul>\
             <img src=\"/api/media/1?a=1&amp;b=&quot;2&quot;\" alt=\"A &quot;cat&quot;\" title=\"&lt;t&gt;\" width=\"320\">\
             <p>evil</p>"
        );
    }
}
