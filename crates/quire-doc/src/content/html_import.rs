//! Sanitising HTML import (html5ever through `scraper`).
//!
//! Only the schema's nodes and marks survive. `<script>`, `<style>` and
//! other active or invisible elements are dropped with their content;
//! every attribute is dropped except a safe `href` (and `title`) on links,
//! `start` on ordered lists and a code block's language class; unknown tags
//! are unwrapped to their content, with block-level ones (`div`, `section`,
//! tables, …) ending the current paragraph. Whitespace collapses as a
//! browser would show it, except inside `<pre>`.

use ego_tree::NodeRef;
use scraper::{Html, Node};
use serde_json::{Map, Value};

use super::builder::Builder;
use super::html::clean_language;
use super::pm::{is_safe_href, link_mark, simple_mark};

/// DOM nesting walked recursively; deeper content is taken as flat text.
const MAX_DOM_DEPTH: usize = 256;

/// Parse an HTML fragment into a PM doc (never fails, never panics).
pub fn html_to_pm(html: &str) -> Value {
    let dom = Html::parse_fragment(html);
    let mut st = State {
        b: Builder::new(true),
        prev_space: true,
    };
    for child in dom.tree.root().children() {
        st.walk(child, 0);
    }
    st.b.finish()
}

struct State {
    b: Builder,
    /// The last inline text pushed ended with a space (collapse the next).
    prev_space: bool,
}

fn is_dropped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "template"
            | "noscript"
            | "iframe"
            | "frame"
            | "frameset"
            | "object"
            | "embed"
            | "applet"
            | "svg"
            | "math"
            | "head"
            | "title"
            | "meta"
            | "link"
            | "base"
            | "textarea"
            | "select"
            | "option"
            | "datalist"
            | "canvas"
            | "audio"
            | "video"
            | "source"
            | "track"
            | "input"
            | "button"
    )
}

fn is_block_boundary(name: &str) -> bool {
    matches!(
        name,
        "div"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "main"
            | "aside"
            | "nav"
            | "figure"
            | "figcaption"
            | "address"
            | "dl"
            | "dt"
            | "dd"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "caption"
            | "details"
            | "summary"
            | "center"
            | "form"
            | "fieldset"
            | "legend"
            | "body"
            | "html"
    )
}

fn mark_for(name: &str) -> Option<&'static str> {
    Some(match name {
        "b" | "strong" => "bold",
        "i" | "em" | "cite" | "var" | "dfn" => "italic",
        "s" | "strike" | "del" => "strike",
        "u" | "ins" => "underline",
        "code" | "kbd" | "samp" | "tt" => "code",
        _ => return None,
    })
}

/// Collapse HTML whitespace runs to one space.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// All text below `node`, iteratively, dropped elements excluded.
fn raw_text(node: NodeRef<'_, Node>) -> String {
    let mut out = String::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) if is_dropped(e.name()) => {}
            Node::Element(e) if e.name() == "br" => out.push('\n'),
            _ => {
                let kids: Vec<_> = n.children().collect();
                stack.extend(kids.into_iter().rev());
            }
        }
    }
    out
}

fn code_language(pre: NodeRef<'_, Node>) -> Option<String> {
    let class_of = |n: NodeRef<'_, Node>| match n.value() {
        Node::Element(e) => e.attr("class").map(str::to_string),
        _ => None,
    };
    let from_pre = class_of(pre);
    let from_code = pre
        .children()
        .find(|c| matches!(c.value(), Node::Element(e) if e.name() == "code"))
        .and_then(class_of);
    let data_lang = match pre.value() {
        Node::Element(e) => e.attr("data-language").map(str::to_string),
        _ => None,
    };
    let from_class = [from_code, from_pre]
        .into_iter()
        .flatten()
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|w| {
                    w.strip_prefix("language-")
                        .or_else(|| w.strip_prefix("lang-"))
                })
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .next();
    from_class
        .or(data_lang)
        .map(|l| clean_language(&l))
        .filter(|l| !l.is_empty())
}

impl State {
    fn text(&mut self, raw: &str) {
        if self.b.in_code() {
            self.b.text(raw);
            return;
        }
        let mut t = collapse(raw);
        if !self.b.in_inline() {
            if t.trim().is_empty() {
                return;
            }
            self.prev_space = true;
        }
        if self.prev_space && t.starts_with(' ') {
            t.remove(0);
        }
        if t.is_empty() {
            return;
        }
        self.prev_space = t.ends_with(' ');
        self.b.text(&t);
    }

    fn children(&mut self, node: NodeRef<'_, Node>, depth: usize) {
        for child in node.children() {
            self.walk(child, depth + 1);
        }
    }

    fn block(
        &mut self,
        ty: &'static str,
        attrs: Map<String, Value>,
        node: NodeRef<'_, Node>,
        depth: usize,
    ) {
        let id = self.b.open(ty, attrs);
        self.prev_space = true;
        self.children(node, depth);
        if let Some(id) = id {
            self.b.close(id);
        }
        self.prev_space = true;
    }

    fn walk(&mut self, node: NodeRef<'_, Node>, depth: usize) {
        if depth > MAX_DOM_DEPTH {
            let t = raw_text(node);
            self.text(&t);
            return;
        }
        let el = match node.value() {
            Node::Text(t) => {
                self.text(t);
                return;
            }
            Node::Element(e) => e,
            Node::Document | Node::Fragment => {
                self.children(node, depth);
                return;
            }
            _ => return, // comments, doctypes, processing instructions
        };
        let name = el.name();
        if is_dropped(name) {
            return;
        }
        if self.b.in_code() {
            // Markup inside a code block: keep its text only.
            self.children(node, depth);
            return;
        }
        match name {
            "p" => self.block("paragraph", Map::new(), node, depth),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level: u64 = name.get(1..).and_then(|l| l.parse().ok()).unwrap_or(1);
                let mut attrs = Map::new();
                attrs.insert("level".into(), Value::from(level));
                self.block("heading", attrs, node, depth);
            }
            "blockquote" => self.block("blockquote", Map::new(), node, depth),
            "ul" | "menu" => self.block("bulletList", Map::new(), node, depth),
            "ol" => {
                let mut attrs = Map::new();
                let start = el
                    .attr("start")
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .unwrap_or(1)
                    .min(999_999_999);
                attrs.insert("start".into(), Value::from(start));
                self.block("orderedList", attrs, node, depth);
            }
            "li" => self.block("listItem", Map::new(), node, depth),
            "pre" => {
                let mut attrs = Map::new();
                if let Some(lang) = code_language(node) {
                    attrs.insert("language".into(), Value::from(lang));
                }
                let id = self.b.open("codeBlock", attrs);
                let code = raw_text(node);
                self.b.text(code.strip_suffix('\n').unwrap_or(&code));
                if let Some(id) = id {
                    self.b.close(id);
                }
                self.prev_space = true;
            }
            "hr" => {
                self.b.leaf_block("horizontalRule");
                self.prev_space = true;
            }
            "br" => {
                if self.b.in_inline() {
                    self.b.hard_break();
                    self.prev_space = true;
                }
            }
            "img" => {
                if let Some(alt) = el.attr("alt") {
                    self.text(alt);
                }
            }
            "a" => match el.attr("href").filter(|h| is_safe_href(h)) {
                Some(href) => {
                    let id = self.b.push_mark(link_mark(href.trim(), el.attr("title")));
                    self.children(node, depth);
                    self.b.pop_mark(id);
                }
                None => self.children(node, depth),
            },
            "td" | "th" => {
                self.children(node, depth);
                self.text(" ");
            }
            _ => {
                if let Some(mark) = mark_for(name) {
                    let id = self.b.push_mark(simple_mark(mark));
                    self.children(node, depth);
                    self.b.pop_mark(id);
                } else if is_block_boundary(name) {
                    self.b.break_block();
                    self.prev_space = true;
                    self.children(node, depth);
                    self.b.break_block();
                    self.prev_space = true;
                } else {
                    self.children(node, depth);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sanitises_the_classic_attack() {
        let pm = html_to_pm(
            r#"<script>alert(1)</script><p onclick=x>hi <a href="javascript:alert(1)">x</a></p>"#,
        );
        assert_eq!(
            pm,
            json!({"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"hi x"}]}]})
        );
    }

    #[test]
    fn maps_schema_elements() {
        let pm = html_to_pm(
            "<h2>T</h2><p><b>b</b> <em>i</em><br><a href=\"/rel\" title=\"t\">l</a></p>\
             <ol start=\"4\"><li>one</li><li><p>two</p><ul><li>n</li></ul></li></ol>\
             <pre><code class=\"language-rust\">fn x() {}\n</code></pre><hr><blockquote>q</blockquote>",
        );
        let want = json!({"type":"doc","content":[
            {"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":"T"}]},
            {"type":"paragraph","content":[
                {"type":"text","text":"b","marks":[{"type":"bold"}]},
                {"type":"text","text":" "},
                {"type":"text","text":"i","marks":[{"type":"italic"}]},
                {"type":"hardBreak"},
                {"type":"text","text":"l","marks":[{"type":"link","attrs":{"href":"/rel","target":"_blank","rel":"noopener noreferrer nofollow","class":null,"title":"t"}}]}]},
            {"type":"orderedList","attrs":{"start":4},"content":[
                {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"one"}]}]},
                {"type":"listItem","content":[
                    {"type":"paragraph","content":[{"type":"text","text":"two"}]},
                    {"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"n"}]}]}]}]}]},
            {"type":"codeBlock","attrs":{"language":"rust"},"content":[{"type":"text","text":"fn x() {}"}]},
            {"type":"horizontalRule"},
            {"type":"blockquote","content":[{"type":"paragraph","content":[{"type":"text","text":"q"}]}]}]});
        assert_eq!(pm, want);
    }

    #[test]
    fn unknown_tags_unwrap_and_divs_split() {
        let pm = html_to_pm(
            "<div>a <span>b</span></div><div><custom-x>c</custom-x></div><style>p{}</style>",
        );
        assert_eq!(
            pm,
            json!({"type":"doc","content":[
                {"type":"paragraph","content":[{"type":"text","text":"a b"}]},
                {"type":"paragraph","content":[{"type":"text","text":"c"}]}]})
        );
    }
}
