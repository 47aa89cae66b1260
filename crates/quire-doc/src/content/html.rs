//! HTML export: every text and attribute escaped, only safe link targets,
//! a fixed PM → HTML tag map. Unknown nodes render as their children (or
//! their text), never as markup.

use serde_json::Value;

use super::inline::{Event, events, pieces};
use super::pm::{
    MAX_DEPTH, attr_str, children, flatten_text, heading_level, is_safe_href, list_start, node_type,
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
}
