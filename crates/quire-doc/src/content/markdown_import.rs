//! Markdown import via `pulldown-cmark` (CommonMark + GFM strikethrough,
//! tables and task lists).
//!
//! Only the schema's nodes and marks are produced. Raw HTML (block or
//! inline) becomes literal text, except `<u>`/`</u>`, which toggle
//! underline, and `<br>`, a line break (the forms the exporter writes);
//! links with unsafe targets keep their text only.
//!
//! - GFM tables become `table`s: the header row's cells are `tableHeader`s,
//!   the others `tableCell`s, each holding one paragraph (empty cells an
//!   empty one); column alignment becomes the cells' `align`.
//! - A list whose items *all* start with a task marker (`[ ]`, `[x]`;
//!   bullet or ordered) becomes a `taskList` of `taskItem{checked}`s. In a
//!   list mixing task and plain items every item stays a list item and a
//!   marker stays in the text as `[ ] ` / `[x] `, so nothing is lost.
//! - `![alt](src "title")` becomes a block `image{src, alt, title}`; inside
//!   a paragraph (or heading, or cell) it splits it around the image. An
//!   image whose `src` is not safe ([`is_safe_src`]: only `http(s)` and
//!   relative references) is dropped and its alt text kept as text.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde_json::{Map, Value};

use super::ContentError;
use super::builder::{BlockId, Builder, MAX_IMPORT_NODES, MarkId};
use super::pm::{cell_attrs, is_safe_href, is_safe_src, link_mark, simple_mark};

/// What a `Start` event opened, so that its `End` undoes exactly that.
enum Opened {
    Block(BlockId),
    Mark(MarkId),
    Code(BlockId),
    /// A list (a task list when `true`), whatever was opened for it.
    List(Option<BlockId>, bool),
    /// A list item.
    Item(Option<BlockId>),
    /// A table, its header row, a row.
    Table(Option<BlockId>),
    Head(Option<BlockId>),
    Row(Option<BlockId>),
    Nothing,
}

/// An image being read: its target and title, and its alt text so far.
struct PendingImage {
    src: String,
    title: String,
    alt: String,
    /// Images nested in the alt text (their text joins the alt).
    depth: usize,
}

/// Converter state besides the builder.
struct State {
    b: Builder,
    opened: Vec<Opened>,
    underline: Vec<MarkId>,
    /// For each list in document order, whether all its items are tasks.
    task_lists: Vec<bool>,
    lists_seen: usize,
    /// Innermost open list items.
    items: Vec<(Option<BlockId>, bool)>,
    /// Column alignments of the open tables.
    aligns: Vec<Vec<Alignment>>,
    in_head: bool,
    column: usize,
}

/// Parse Markdown into a PM doc (never fails, never panics). Past
/// [`MAX_IMPORT_NODES`] nodes the rest of the input is kept as plain text;
/// [`try_markdown_to_pm`] refuses such input instead.
pub fn markdown_to_pm(md: &str) -> Value {
    convert(md).0
}

/// [`markdown_to_pm`], or [`ContentError::TooManyNodes`] when the input
/// would need more than [`MAX_IMPORT_NODES`] nodes. Linear in the input:
/// pulldown-cmark parses 2 MiB in well under a second, and the node budget
/// bounds the document built from it.
pub fn try_markdown_to_pm(md: &str) -> Result<Value, ContentError> {
    match convert(md) {
        (_, true) => Err(ContentError::TooManyNodes(MAX_IMPORT_NODES)),
        (pm, false) => Ok(pm),
    }
}

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS
}

/// For each list in document order, whether every item has a task marker
/// (a first pass over the events: the list's kind is needed at its start).
fn scan_task_lists(md: &str) -> Vec<bool> {
    let mut all_tasks: Vec<bool> = Vec::new();
    if !md.contains('[') {
        return all_tasks;
    }
    // (index into `all_tasks`, whether the current item has a marker)
    let mut stack: Vec<(usize, bool)> = Vec::new();
    for event in Parser::new_ext(md, options()) {
        match event {
            Event::Start(Tag::List(_)) => {
                stack.push((all_tasks.len(), false));
                all_tasks.push(true);
            }
            Event::Start(Tag::Item) => {
                if let Some(top) = stack.last_mut() {
                    top.1 = false;
                }
            }
            Event::TaskListMarker(_) => {
                if let Some(top) = stack.last_mut() {
                    top.1 = true;
                }
            }
            Event::End(TagEnd::Item) => {
                if let Some(&(i, false)) = stack.last()
                    && let Some(all) = all_tasks.get_mut(i)
                {
                    *all = false;
                }
            }
            Event::End(TagEnd::List(_)) => {
                stack.pop();
            }
            _ => {}
        }
    }
    all_tasks
}

/// The PM doc, and whether the node budget ran out.
fn convert(md: &str) -> (Value, bool) {
    let mut st = State {
        b: Builder::new(false),
        opened: Vec::new(),
        underline: Vec::new(),
        task_lists: scan_task_lists(md),
        lists_seen: 0,
        items: Vec::new(),
        aligns: Vec::new(),
        in_head: false,
        column: 0,
    };
    let mut code_buf: Option<String> = None;
    let mut image: Option<PendingImage> = None;

    for event in Parser::new_ext(md, options()) {
        if let Some(buf) = code_buf.as_mut() {
            match event {
                Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => {
                    buf.push_str(&t);
                    continue;
                }
                Event::End(_) => {}
                _ => continue,
            }
        }
        if let Some(img) = image.as_mut() {
            match event {
                Event::Start(Tag::Image { .. }) => img.depth += 1,
                Event::End(TagEnd::Image) if img.depth > 0 => img.depth -= 1,
                Event::End(TagEnd::Image) => {
                    if let Some(img) = image.take() {
                        st.image(img);
                    }
                }
                Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                    img.alt.push_str(&t)
                }
                Event::SoftBreak | Event::HardBreak => img.alt.push(' '),
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                image = Some(PendingImage {
                    src: dest_url.trim().to_string(),
                    title: title.to_string(),
                    alt: String::new(),
                    depth: 0,
                });
            }
            Event::Start(tag) => {
                let o = st.start(tag);
                if let Opened::Code(_) = o {
                    code_buf = Some(String::new());
                }
                st.opened.push(o);
            }
            Event::End(_) => {
                let code = code_buf.take();
                st.end(code);
            }
            Event::Text(t) => st.b.text(&t),
            Event::Code(t) => {
                let id = st.b.push_mark(simple_mark("code"));
                st.b.text(&t);
                st.b.pop_mark(id);
            }
            Event::InlineHtml(h) => st.inline_html(&h),
            Event::Html(h) => {
                // A raw HTML block: literal text, its lines as hard breaks.
                let h = h.strip_suffix('\n').unwrap_or(&h);
                for (i, line) in h.split('\n').enumerate() {
                    if i > 0 {
                        st.b.hard_break();
                    }
                    st.b.text(line);
                }
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => st.b.text(&t),
            Event::FootnoteReference(t) => st.b.text(&format!("[^{t}]")),
            Event::SoftBreak => st.b.text(" "),
            Event::HardBreak => st.b.hard_break(),
            Event::Rule => st.b.leaf_block("horizontalRule"),
            Event::TaskListMarker(done) => st.task_marker(done),
        }
    }
    // An image left open by the end of input still counts.
    if let Some(img) = image.take() {
        st.image(img);
    }
    let exhausted = st.b.exhausted();
    (st.b.finish(), exhausted)
}

impl State {
    fn block(&mut self, ty: &'static str, attrs: Map<String, Value>) -> Opened {
        self.b
            .open(ty, attrs)
            .map(Opened::Block)
            .unwrap_or(Opened::Nothing)
    }

    fn start(&mut self, tag: Tag<'_>) -> Opened {
        match tag {
            Tag::Paragraph => self.block("paragraph", Map::new()),
            Tag::Heading { level, .. } => {
                let level = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                let mut attrs = Map::new();
                attrs.insert("level".into(), Value::from(level));
                self.block("heading", attrs)
            }
            Tag::BlockQuote(_) => self.block("blockquote", Map::new()),
            Tag::CodeBlock(kind) => {
                let mut attrs = Map::new();
                if let CodeBlockKind::Fenced(info) = kind {
                    let lang = super::html::clean_language(&info);
                    if !lang.is_empty() {
                        attrs.insert("language".into(), Value::from(lang));
                    }
                }
                self.b
                    .open("codeBlock", attrs)
                    .map(Opened::Code)
                    .unwrap_or(Opened::Nothing)
            }
            Tag::List(start) => {
                let task = self
                    .task_lists
                    .get(self.lists_seen)
                    .copied()
                    .unwrap_or(false);
                self.lists_seen += 1;
                let (ty, mut attrs) = (
                    match (task, start) {
                        (true, _) => "taskList",
                        (false, Some(_)) => "orderedList",
                        (false, None) => "bulletList",
                    },
                    Map::new(),
                );
                if let (false, Some(start)) = (task, start) {
                    attrs.insert("start".into(), Value::from(start.min(999_999_999)));
                }
                Opened::List(self.b.open(ty, attrs), task)
            }
            Tag::Item => {
                let task = matches!(self.opened.last(), Some(Opened::List(_, true)));
                let ty = if task { "taskItem" } else { "listItem" };
                let id = self.b.open(ty, Map::new());
                self.items.push((id, task));
                Opened::Item(id)
            }
            Tag::Table(aligns) => {
                self.aligns.push(aligns);
                Opened::Table(self.b.open("table", Map::new()))
            }
            Tag::TableHead => {
                self.in_head = true;
                self.column = 0;
                Opened::Head(self.b.open("tableRow", Map::new()))
            }
            Tag::TableRow => {
                self.column = 0;
                Opened::Row(self.b.open("tableRow", Map::new()))
            }
            Tag::TableCell => {
                let align = self
                    .aligns
                    .last()
                    .and_then(|a| a.get(self.column))
                    .and_then(|a| match a {
                        Alignment::Left => Some("left"),
                        Alignment::Right => Some("right"),
                        Alignment::Center => Some("center"),
                        Alignment::None => None,
                    });
                self.column += 1;
                let ty = if self.in_head {
                    "tableHeader"
                } else {
                    "tableCell"
                };
                match self.b.open(ty, cell_attrs(1, 1, align)) {
                    Some(id) => Opened::Block(id),
                    None => {
                        // Flattened (depth cap): keep cells' words apart.
                        self.b.text(" ");
                        Opened::Nothing
                    }
                }
            }
            Tag::Emphasis => Opened::Mark(self.b.push_mark(simple_mark("italic"))),
            Tag::Strong => Opened::Mark(self.b.push_mark(simple_mark("bold"))),
            Tag::Strikethrough => Opened::Mark(self.b.push_mark(simple_mark("strike"))),
            Tag::Link {
                dest_url, title, ..
            } => {
                if is_safe_href(&dest_url) {
                    Opened::Mark(self.b.push_mark(link_mark(dest_url.trim(), Some(&title))))
                } else {
                    Opened::Nothing
                }
            }
            // Everything else (HTML blocks, footnotes, …) is unwrapped: its
            // text flows into the surrounding block.
            _ => Opened::Nothing,
        }
    }

    fn end(&mut self, code: Option<String>) {
        let close = |b: &mut Builder, id: Option<BlockId>| {
            if let Some(id) = id {
                b.close(id);
            }
        };
        match self.opened.pop() {
            Some(Opened::Block(id)) => self.b.close(id),
            Some(Opened::Mark(id)) => self.b.pop_mark(id),
            Some(Opened::Code(id)) => {
                let code = code.unwrap_or_default();
                self.b.text(code.strip_suffix('\n').unwrap_or(&code));
                self.b.close(id);
            }
            Some(Opened::List(id, _)) => close(&mut self.b, id),
            Some(Opened::Item(id)) => {
                self.items.pop();
                close(&mut self.b, id);
            }
            Some(Opened::Table(id)) => {
                self.aligns.pop();
                close(&mut self.b, id);
            }
            Some(Opened::Head(id)) => {
                self.in_head = false;
                close(&mut self.b, id);
            }
            Some(Opened::Row(id)) => close(&mut self.b, id),
            Some(Opened::Nothing) | None => {}
        }
    }

    fn inline_html(&mut self, h: &str) {
        match h.trim().to_ascii_lowercase().as_str() {
            "<u>" => self
                .underline
                .push(self.b.push_mark(simple_mark("underline"))),
            "</u>" => {
                if let Some(id) = self.underline.pop() {
                    self.b.pop_mark(id);
                }
            }
            "<br>" | "<br/>" | "<br />" => self.b.hard_break(),
            _ => self.b.text(h),
        }
    }

    /// A task marker: the item's `checked`, or literal text in a list that
    /// is not a task list (or whose item was flattened away).
    fn task_marker(&mut self, done: bool) {
        match self.items.last() {
            Some((Some(id), true)) => self.b.set_attr(*id, "checked", Value::Bool(done)),
            _ => self.b.text(if done { "[x] " } else { "[ ] " }),
        }
    }

    /// A finished image: a block `image`, or its alt text when its source
    /// is unsafe or the node budget is spent.
    fn image(&mut self, img: PendingImage) {
        let alt = img.alt.trim();
        if is_safe_src(&img.src) {
            let mut attrs = Map::new();
            attrs.insert("src".into(), Value::from(img.src.as_str()));
            if !alt.is_empty() {
                attrs.insert("alt".into(), Value::from(alt));
            }
            if !img.title.is_empty() {
                attrs.insert("title".into(), Value::from(img.title.as_str()));
            }
            if self.b.leaf_block_with("image", attrs) {
                return;
            }
        }
        self.b.text(alt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn heading_and_paragraph() {
        assert_eq!(
            markdown_to_pm("# Hello\n\nWorld"),
            json!({"type":"doc","content":[
                {"type":"heading","attrs":{"level":1},"content":[{"type":"text","text":"Hello"}]},
                {"type":"paragraph","content":[{"type":"text","text":"World"}]}]})
        );
    }

    #[test]
    fn empty_input_is_one_empty_paragraph() {
        assert_eq!(
            markdown_to_pm(""),
            json!({"type":"doc","content":[{"type":"paragraph"}]})
        );
    }

    #[test]
    fn raw_html_is_text() {
        let pm =
            markdown_to_pm("<script>alert(1)</script>\n\nhi <b>x</b> [l](javascript:alert(1))");
        let s = pm.to_string();
        assert!(s.contains("<script>alert(1)</script>"), "{s}");
        assert!(!s.contains("javascript"), "{s}");
        assert!(!s.contains("\"bold\""), "{s}");
    }

    fn p(t: &str) -> Value {
        json!({"type":"paragraph","content":[{"type":"text","text":t}]})
    }

    #[test]
    fn images_are_blocks_that_split_paragraphs() {
        let pm = markdown_to_pm(
            "see ![alt *text*](http://x/y.png \"T\") and more\n\n![](/api/media/m1)",
        );
        assert_eq!(
            pm,
            json!({"type":"doc","content":[
                p("see"),
                {"type":"image","attrs":{"src":"http://x/y.png","alt":"alt text","title":"T"}},
                p("and more"),
                {"type":"image","attrs":{"src":"/api/media/m1"}}]})
        );
    }

    #[test]
    fn images_split_headings_and_cells() {
        let pm =
            markdown_to_pm("## a ![i](/i.png) b\n\n| x ![j](/j.png) |\n| - |\n| ![k](/k.png) |");
        let img = |s: &str, a: &str| json!({"type":"image","attrs":{"src":s,"alt":a}});
        let h = |t: &str| json!({"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":t}]});
        let cell = |ty: &str, content: Value| json!({"type":ty,"attrs":{"colspan":1,"rowspan":1},"content":content});
        assert_eq!(
            pm,
            json!({"type":"doc","content":[
                h("a"), img("/i.png", "i"), h("b"),
                {"type":"table","content":[
                    {"type":"tableRow","content":[cell("tableHeader", json!([p("x"), img("/j.png", "j")]))]},
                    {"type":"tableRow","content":[cell("tableCell", json!([img("/k.png", "k")]))]}]}]})
        );
    }

    #[test]
    fn unsafe_image_sources_keep_only_alt_text() {
        for src in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "vbscript:x",
            "jav&#x61;script:x",
            "mailto:a@b.c",
        ] {
            let pm = markdown_to_pm(&format!("a ![pic]({src}) b"));
            assert_eq!(pm, json!({"type":"doc","content":[p("a pic b")]}), "{src}");
        }
        let pm = markdown_to_pm("![](javascript:x)");
        assert_eq!(pm, json!({"type":"doc","content":[{"type":"paragraph"}]}));
    }

    #[test]
    fn gfm_tables() {
        let pm =
            markdown_to_pm("| A | **B** | C |\n|:--|:-:|--:|\n| 1 | [l](/x) |\n| a \\| b | |  |");
        let cell = |ty: &str, align: &str, content: Value| {
            let mut c = json!({"type":ty,"attrs":{"colspan":1,"rowspan":1,"align":align},"content":[content]});
            if align.is_empty() {
                c["attrs"].as_object_mut().map(|a| a.remove("align"));
            }
            c
        };
        let empty = json!({"type":"paragraph"});
        let want = json!({"type":"doc","content":[{"type":"table","content":[
            {"type":"tableRow","content":[
                cell("tableHeader","left",p("A")),
                cell("tableHeader","center",json!({"type":"paragraph","content":[{"type":"text","text":"B","marks":[{"type":"bold"}]}]})),
                cell("tableHeader","right",p("C"))]},
            {"type":"tableRow","content":[
                cell("tableCell","left",p("1")),
                cell("tableCell","center",json!({"type":"paragraph","content":[{"type":"text","text":"l","marks":[{"type":"link","attrs":{"href":"/x","target":"_blank","rel":"noopener noreferrer nofollow","class":null,"title":null}}]}]})),
                cell("tableCell","right",empty.clone())]},
            {"type":"tableRow","content":[
                cell("tableCell","left",p("a | b")),
                cell("tableCell","center",empty.clone()),
                cell("tableCell","right",empty)]}]}]});
        assert_eq!(pm, want);
    }

    #[test]
    fn task_lists() {
        let item = |checked: bool, t: &str| json!({"type":"taskItem","attrs":{"checked":checked},"content":[p(t)]});
        let pm = markdown_to_pm("- [ ] a\n- [x] b\n  - [X] c\n");
        assert_eq!(
            pm,
            json!({"type":"doc","content":[{"type":"taskList","content":[
                item(false, "a"),
                {"type":"taskItem","attrs":{"checked":true},"content":[p("b"),
                    {"type":"taskList","content":[item(true, "c")]}]}]}]})
        );
        // Mixed: a plain list, the markers kept as text.
        let pm = markdown_to_pm("- [ ] a\n- b\n- [x] c");
        let li = |t: &str| json!({"type":"listItem","content":[p(t)]});
        assert_eq!(
            pm,
            json!({"type":"doc","content":[{"type":"bulletList","content":[li("[ ] a"), li("b"), li("[x] c")]}]})
        );
        // Ordered task lists become task lists too.
        let pm = markdown_to_pm("1. [x] one\n2. [ ] two");
        assert_eq!(
            pm,
            json!({"type":"doc","content":[{"type":"taskList","content":[item(true, "one"), item(false, "two")]}]})
        );
    }

    #[test]
    fn rules_and_breaks() {
        let pm = markdown_to_pm("a<br>b\n\n---");
        assert_eq!(
            pm,
            json!({"type":"doc","content":[
                {"type":"paragraph","content":[{"type":"text","text":"a"},{"type":"hardBreak"},{"type":"text","text":"b"}]},
                {"type":"horizontalRule"}]})
        );
    }
}
