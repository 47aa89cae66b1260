//! Sanitising HTML import (html5ever through `scraper`).
//!
//! Only the schema's nodes and marks survive. `<script>`, `<style>` and
//! other active or invisible elements (form controls such as checkboxes
//! included) are dropped with their content; every attribute is dropped
//! except a safe `href` (and `title`) on links, `start` on ordered lists, a
//! code block's language class, cell spans, widths and alignment, task
//! states, and an image's safe `src`, `alt`, `title`, `width` and `height`;
//! unknown tags are unwrapped to their content, with block-level ones
//! (`div`, `section`, …) ending the current paragraph. Whitespace collapses
//! as a browser would show it, except inside `<pre>`.
//!
//! - `table`/`thead`/`tbody`/`tfoot`/`tr`/`th`/`td` become a `table` of
//!   `tableRow`s of `tableHeader`/`tableCell`s (`colspan`, `rowspan`,
//!   TipTap's `colwidth="100,200"`, `text-align` or `align`).
//! - A list is a `taskList` when it is TipTap's (`ul[data-type=taskList]`)
//!   or every item is a task: TipTap's `li[data-type=taskItem]` /
//!   `li[data-checked]`, or GitHub's `li.task-list-item` or an item starting
//!   with a checkbox (`input[type=checkbox]`, ticked when `checked`). In any
//!   other list a task item stays a list item whose text starts with
//!   `[ ] ` / `[x] `, as in Markdown import.
//! - `<img>` with a safe `src` ([`is_safe_src`]) becomes a block `image`
//!   (splitting a paragraph it is in); otherwise its alt text is kept.

use std::borrow::Cow;

use ego_tree::NodeRef;
use scraper::{Html, Node};
use serde_json::{Map, Value};

use super::ContentError;
use super::builder::{Builder, MAX_IMPORT_NODES};
use super::html::clean_language;
use super::pm::{MAX_COLSPAN, cell_attrs, is_safe_href, is_safe_src, link_mark, simple_mark};

/// DOM nesting walked recursively; deeper content is taken as flat text.
const MAX_DOM_DEPTH: usize = 256;

/// Deepest element nesting accepted by [`try_html_to_pm`]. html5ever's
/// tree building scans the stack of open elements for many tags, so its
/// cost grows with depth times size (200 KB of nested `<div>` took seconds,
/// 1.5 MB never finished); with the depth bounded first it is linear.
pub const MAX_HTML_NESTING: usize = 512;

/// Most formatting elements (`<b>`, `<a>`, …) left open across block
/// ends at once; beyond it the HTML counts as too deep.
const MAX_REOPENED_FORMATTING: usize = 64;

/// Parse an HTML fragment into a PM doc (never fails, never panics).
/// Elements nested deeper than [`MAX_HTML_NESTING`] are unwrapped (their
/// text kept) before parsing, and past [`MAX_IMPORT_NODES`] nodes the rest
/// is kept as plain text; [`try_html_to_pm`] refuses such input instead.
pub fn html_to_pm(html: &str) -> Value {
    if !prescan(html, false, MAX_REOPENED_FORMATTING).too_deep {
        return convert(html).0;
    }
    // Hostile input: unwrap what is too deep, and keep few formatting
    // elements open across blocks so re-opening them stays cheap.
    convert(&prescan(html, true, 4).html).0
}

/// [`html_to_pm`], or a clear error for HTML nested deeper than
/// [`MAX_HTML_NESTING`] ([`ContentError::HtmlTooDeep`], found by a linear
/// scan before parsing) or needing more than [`MAX_IMPORT_NODES`] nodes
/// ([`ContentError::TooManyNodes`]).
pub fn try_html_to_pm(html: &str) -> Result<Value, ContentError> {
    if prescan(html, false, MAX_REOPENED_FORMATTING).too_deep {
        return Err(ContentError::HtmlTooDeep(MAX_HTML_NESTING));
    }
    match convert(html) {
        (_, true) => Err(ContentError::TooManyNodes(MAX_IMPORT_NODES)),
        (pm, false) => Ok(pm),
    }
}

fn convert(html: &str) -> (Value, bool) {
    let dom = Html::parse_fragment(html);
    let mut st = State {
        b: Builder::new(true),
        prev_space: true,
        lists: Vec::new(),
    };
    for child in dom.tree.root().children() {
        st.walk(child, 0);
    }
    let exhausted = st.b.exhausted();
    (st.b.finish(), exhausted)
}

/// Result of [`prescan`].
struct Prescan<'a> {
    /// Some element would open deeper than [`MAX_HTML_NESTING`].
    too_deep: bool,
    /// The input, or (when `rewrite` was asked and it was too deep) the
    /// input without the tags that went too deep.
    html: Cow<'a, str>,
}

/// Elements without content (no end tag).
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements whose content is text up to their end tag.
fn is_raw_text(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "plaintext"
    )
}

/// Elements a new one of the same name closes (`<li>` after `<li>`, …), as
/// HTML's implied end tags do, so unclosed lists and paragraphs are not
/// counted as nesting.
fn closes_same(name: &str) -> bool {
    matches!(
        name,
        "p" | "li"
            | "dt"
            | "dd"
            | "option"
            | "optgroup"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "rb"
            | "rt"
            | "rp"
    )
}

fn is_formatting(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// An entry of the list of active formatting elements.
struct Active {
    id: usize,
    name: String,
    /// The whole start tag: elements with equal tags are "the same" for
    /// the at-most-three rule.
    key: String,
    open: bool,
}

/// A linear approximation of HTML tree building's nesting: the stack of
/// open elements (end tags pop to their match, implied end tags of
/// [`closes_same`] elements, void and raw-text elements) plus the
/// formatting elements (`<b>`, `<a>`, …) closed implicitly (at most
/// `reopen_cap` of them are accepted), which a parser
/// re-opens around the next text (`<p><b id=1>x</p><p><b id=2>x</p>…`
/// nests one level deeper per paragraph: 100 KB of it took 7 s). Comments
/// and quoted attribute values are skipped. Each tag costs at most a few
/// passes over [`MAX_HTML_NESTING`] entries, so the scan is linear.
fn prescan(html: &str, rewrite: bool, reopen_cap: usize) -> Prescan<'_> {
    let bytes = html.as_bytes();
    let mut stack: Vec<(String, Option<usize>)> = Vec::new();
    let mut active: Vec<Active> = Vec::new();
    let mut closed_active = 0usize;
    let mut next_id = 0usize;
    let mut too_deep = false;
    // Byte ranges of tags to leave out when rewriting.
    let mut dropped: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    // Pop the stack down to `len`, marking formatting entries closed.
    let truncate = |stack: &mut Vec<(String, Option<usize>)>,
                    active: &mut Vec<Active>,
                    closed: &mut usize,
                    len: usize| {
        while stack.len() > len {
            if let Some((_, Some(id))) = stack.pop()
                && let Some(a) = active.iter_mut().rev().find(|a| a.id == id)
                && a.open
            {
                a.open = false;
                *closed += 1;
            }
        }
    };
    while let Some(off) = bytes
        .get(i..)
        .and_then(|b| b.iter().position(|&c| c == b'<'))
    {
        let start = i + off;
        let rest = bytes.get(start + 1..).unwrap_or(&[]);
        if rest.starts_with(b"!--") {
            i = find(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        if matches!(rest.first(), Some(b'!' | b'?')) {
            i = find(bytes, start + 1, b">").map_or(bytes.len(), |e| e + 1);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_at = start + 1 + usize::from(closing);
        let name_len = bytes
            .get(name_at..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':'))
            .count();
        if name_len == 0 || !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            // Not a tag: a literal `<`.
            i = start + 1;
            continue;
        }
        let name = html
            .get(name_at..name_at + name_len)
            .unwrap_or("")
            .to_ascii_lowercase();
        let end = tag_end(bytes, name_at + name_len);
        i = end;
        if closing {
            match stack.iter().rposition(|(n, _)| *n == name) {
                Some(pos) => {
                    let id = stack.get(pos).and_then(|(_, id)| *id);
                    truncate(&mut stack, &mut active, &mut closed_active, pos);
                    if let Some(id) = id
                        && let Some(k) = active.iter().rposition(|a| a.id == id)
                    {
                        let a = active.remove(k);
                        closed_active -= usize::from(!a.open);
                    }
                }
                None => {
                    if let Some(k) = active.iter().rposition(|a| a.name == name) {
                        let a = active.remove(k);
                        closed_active -= usize::from(!a.open);
                    }
                    dropped.push((start, end));
                }
            }
            continue;
        }
        if is_void(&name) {
            continue;
        }
        if closes_same(&name)
            && let Some(pos) = stack.iter().rposition(|(n, _)| *n == name)
            && stack.len() - pos <= 2
        {
            truncate(&mut stack, &mut active, &mut closed_active, pos);
        }
        // A parser re-opens every implicitly closed formatting element
        // around each later run of text, so many of them cost per run.
        if stack.len() + closed_active >= MAX_HTML_NESTING
            || (closed_active >= reopen_cap && is_formatting(&name))
        {
            too_deep = true;
            if !rewrite {
                break;
            }
            dropped.push((start, end));
            continue;
        }
        if is_raw_text(&name) {
            // Skip to the matching end tag; its content is not markup.
            let close = format!("</{name}");
            i = find_ascii_ci(bytes, end, close.as_bytes()).unwrap_or(bytes.len());
            continue;
        }
        let mut id = None;
        if is_formatting(&name) {
            let key = html.get(start..end).unwrap_or("").to_ascii_lowercase();
            // At most three equal entries are kept: the oldest goes.
            if active.iter().filter(|a| a.key == key).count() >= 3
                && let Some(k) = active.iter().position(|a| a.key == key)
            {
                let a = active.remove(k);
                closed_active -= usize::from(!a.open);
            }
            active.push(Active {
                id: next_id,
                name: name.clone(),
                key,
                open: true,
            });
            id = Some(next_id);
            next_id += 1;
        }
        stack.push((name, id));
    }
    let html = if rewrite && too_deep {
        let mut out = String::with_capacity(html.len());
        let mut at = 0;
        for (s, e) in dropped {
            out.push_str(html.get(at..s).unwrap_or(""));
            at = e;
        }
        out.push_str(html.get(at..).unwrap_or(""));
        Cow::Owned(out)
    } else {
        Cow::Borrowed(html)
    };
    Prescan { too_deep, html }
}

/// Index just past the `>` ending a tag whose name ends at `from`, honouring
/// quoted attribute values.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut i = from;
    while let Some(&c) = bytes.get(i) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return i + 1,
            None => {}
        }
        i += 1;
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn find_ascii_ci(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

struct State {
    b: Builder,
    /// The last inline text pushed ended with a space (collapse the next).
    prev_space: bool,
    /// Open lists, innermost last: whether each is a task list.
    lists: Vec<bool>,
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

fn has_class(el: &scraper::node::Element, class: &str) -> bool {
    el.attr("class")
        .is_some_and(|c| c.split_ascii_whitespace().any(|w| w == class))
}

/// A checkbox before any text of `li` (GitHub's task items), looked for
/// among its first few descendants.
fn leading_checkbox(li: NodeRef<'_, Node>) -> Option<bool> {
    for n in li.descendants().skip(1).take(8) {
        match n.value() {
            Node::Text(t) if !t.trim().is_empty() => return None,
            Node::Element(e) if e.name() == "input" => {
                let checkbox = e
                    .attr("type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("checkbox"));
                return checkbox.then(|| e.attr("checked").is_some());
            }
            _ => {}
        }
    }
    None
}

/// Whether an `<li>` is a task item, and then whether it is ticked.
fn task_state(li: NodeRef<'_, Node>) -> Option<bool> {
    let Node::Element(el) = li.value() else {
        return None;
    };
    if el.attr("data-type") == Some("taskItem") || el.attr("data-checked").is_some() {
        return Some(matches!(
            el.attr("data-checked").map(str::trim),
            Some("" | "true")
        ));
    }
    match leading_checkbox(li) {
        Some(checked) => Some(checked),
        None => has_class(el, "task-list-item").then_some(false),
    }
}

/// Whether a `<ul>`/`<ol>` is a task list (see the module docs).
fn is_task_list(list: NodeRef<'_, Node>) -> bool {
    if let Node::Element(el) = list.value()
        && el.attr("data-type") == Some("taskList")
    {
        return true;
    }
    let mut items = list
        .children()
        .filter(|c| matches!(c.value(), Node::Element(e) if e.name() == "li"))
        .peekable();
    items.peek().is_some() && items.all(|li| task_state(li).is_some())
}

/// A positive integer attribute (spans, sizes), clamped to `max`.
fn int_attr(el: &scraper::node::Element, name: &str, max: u64) -> Option<u64> {
    let n: u64 = el.attr(name)?.trim().parse().ok()?;
    (n >= 1).then_some(n.min(max))
}

/// The attrs of a `<td>`/`<th>`.
fn cell_attrs_of(el: &scraper::node::Element) -> Map<String, Value> {
    let cols = int_attr(el, "colspan", MAX_COLSPAN).unwrap_or(1);
    let rows = int_attr(el, "rowspan", super::pm::MAX_ROWSPAN).unwrap_or(1);
    let style_align = el.attr("style").and_then(|s| {
        s.split(';').find_map(|decl| {
            let (k, v) = decl.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("text-align")
                .then(|| v.trim().to_ascii_lowercase())
        })
    });
    let align = style_align
        .or_else(|| el.attr("align").map(|a| a.trim().to_ascii_lowercase()))
        .and_then(|a| match a.as_str() {
            "left" => Some("left"),
            "right" => Some("right"),
            "center" => Some("center"),
            _ => None,
        });
    let mut attrs = cell_attrs(cols, rows, align);
    // TipTap's `colwidth="100,200"`: one positive width per column.
    if let Some(widths) = el.attr("colwidth") {
        let widths: Option<Vec<u64>> = widths
            .split(',')
            .take(MAX_COLSPAN as usize + 1)
            .map(|w| {
                w.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|w| (1..=100_000).contains(w))
            })
            .collect();
        if let Some(widths) = widths.filter(|w| w.len() as u64 == cols) {
            attrs.insert("colwidth".into(), Value::from(widths));
        }
    }
    attrs
}

/// The attrs of an `<img>` with a safe `src`.
fn image_attrs(el: &scraper::node::Element) -> Option<Map<String, Value>> {
    let src = el.attr("src").map(str::trim).filter(|s| is_safe_src(s))?;
    let mut attrs = Map::new();
    attrs.insert("src".into(), Value::from(src));
    // An empty `alt` (a decorative image) is kept, as TipTap keeps it.
    if let Some(alt) = el.attr("alt") {
        attrs.insert("alt".into(), Value::from(alt));
    }
    if let Some(title) = el.attr("title").filter(|v| !v.trim().is_empty()) {
        attrs.insert("title".into(), Value::from(title));
    }
    for key in ["width", "height"] {
        if let Some(n) = int_attr(el, key, 100_000) {
            attrs.insert(key.into(), Value::from(n));
        }
    }
    Some(attrs)
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

    /// An `<li>`: a task item in a task list; elsewhere a list item, a
    /// task's state kept as `[ ] ` / `[x] ` text.
    fn item(&mut self, node: NodeRef<'_, Node>, depth: usize) {
        let task = task_state(node);
        let id = if self.lists.last() == Some(&true) {
            let mut attrs = Map::new();
            attrs.insert("checked".into(), Value::Bool(task.unwrap_or(false)));
            self.b.open("taskItem", attrs)
        } else {
            let id = self.b.open("listItem", Map::new());
            self.prev_space = true;
            if let Some(checked) = task {
                self.text(if checked { "[x] " } else { "[ ] " });
            }
            id
        };
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
            "ul" | "menu" | "ol" if is_task_list(node) => {
                self.lists.push(true);
                self.block("taskList", Map::new(), node, depth);
                self.lists.pop();
            }
            "ul" | "menu" => {
                self.lists.push(false);
                self.block("bulletList", Map::new(), node, depth);
                self.lists.pop();
            }
            "ol" => {
                let mut attrs = Map::new();
                let start = el
                    .attr("start")
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .unwrap_or(1)
                    .min(999_999_999);
                attrs.insert("start".into(), Value::from(start));
                self.lists.push(false);
                self.block("orderedList", attrs, node, depth);
                self.lists.pop();
            }
            "li" => self.item(node, depth),
            "table" => self.block("table", Map::new(), node, depth),
            "thead" | "tbody" | "tfoot" => self.children(node, depth),
            "tr" => self.block("tableRow", Map::new(), node, depth),
            "th" => self.block("tableHeader", cell_attrs_of(el), node, depth),
            "td" => self.block("tableCell", cell_attrs_of(el), node, depth),
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
                let added = image_attrs(el).is_some_and(|a| self.b.leaf_block_with("image", a));
                if added {
                    self.prev_space = true;
                } else if let Some(alt) = el.attr("alt") {
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

    fn p(t: &str) -> Value {
        json!({"type":"paragraph","content":[{"type":"text","text":t}]})
    }

    #[test]
    fn tables() {
        let pm = html_to_pm(
            "<table><colgroup><col></colgroup><thead><tr><th colspan=\"2\" colwidth=\"10,20\">H</th></tr></thead>\
             <tbody>\n<tr>\n<td rowspan=\"2\" style=\"color: red; text-align: RIGHT\"> a <img src=\"/i.png\" alt=\"i\"> b </td>\
             <td align=\"center\" colspan=\"9999999\" colwidth=\"5\"></td></tr></tbody></table>",
        );
        assert_eq!(
            pm,
            json!({"type":"doc","content":[{"type":"table","content":[
                {"type":"tableRow","content":[
                    {"type":"tableHeader","attrs":{"colspan":2,"rowspan":1,"colwidth":[10,20]},"content":[p("H")]}]},
                {"type":"tableRow","content":[
                    {"type":"tableCell","attrs":{"colspan":1,"rowspan":2,"align":"right"},"content":[
                        p("a"), {"type":"image","attrs":{"src":"/i.png","alt":"i"}}, p("b")]},
                    {"type":"tableCell","attrs":{"colspan":1000,"rowspan":1,"align":"center"},"content":[{"type":"paragraph"}]}]}]}]})
        );
    }

    #[test]
    fn task_lists_tiptap_and_github() {
        let item =
            |c: bool, t: &str| json!({"type":"taskItem","attrs":{"checked":c},"content":[p(t)]});
        let tiptap = html_to_pm(
            "<ul data-type=\"taskList\"><li data-type=\"taskItem\" data-checked=\"true\"><label><input type=\"checkbox\" checked=\"checked\"><span></span></label><div><p>done</p></div></li>\
             <li data-type=\"taskItem\" data-checked=\"false\"><label><input type=\"checkbox\"><span></span></label><div><p>todo</p></div></li></ul>",
        );
        assert_eq!(
            tiptap,
            json!({"type":"doc","content":[{"type":"taskList","content":[item(true,"done"), item(false,"todo")]}]})
        );
        let github = html_to_pm(
            "<ul class=\"contains-task-list\"><li class=\"task-list-item\"><input type=\"checkbox\" disabled checked> a</li>\
             <li class=\"task-list-item\"><input type=\"checkbox\" disabled> b</li></ul>",
        );
        assert_eq!(
            github,
            json!({"type":"doc","content":[{"type":"taskList","content":[item(true,"a"), item(false,"b")]}]})
        );
        // Mixed: a plain list, the task states kept as text.
        let mixed = html_to_pm(
            "<ul class=\"contains-task-list\"><li class=\"task-list-item\"><input type=\"checkbox\" checked> a</li><li>b</li></ul>",
        );
        let li = |t: &str| json!({"type":"listItem","content":[p(t)]});
        assert_eq!(
            mixed,
            json!({"type":"doc","content":[{"type":"bulletList","content":[li("[x] a"), li("b")]}]})
        );
    }

    #[test]
    fn images_need_a_safe_src() {
        let pm = html_to_pm(
            "<p>x <img src=\" https://e.org/a.png \" alt=\"A\" title=\"T\" width=\"320\" height=\"-1\" onerror=\"alert(1)\"> y</p>\
             <img src=\"javascript:alert(1)\" alt=\"evil\"><img src=\"data:image/png;base64,AA\"><img>",
        );
        assert_eq!(
            pm,
            json!({"type":"doc","content":[
                p("x"),
                {"type":"image","attrs":{"src":"https://e.org/a.png","alt":"A","title":"T","width":320}},
                p("y"),
                p("evil")]})
        );
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
