//! Markdown import via `pulldown-cmark` (CommonMark + strikethrough).
//!
//! Only the schema's nodes and marks are produced. Everything else degrades
//! to text: images become their alt text, raw HTML (block or inline) becomes
//! literal text (except `<u>`/`</u>`, which toggle underline, the form the
//! exporter writes), links with unsafe targets keep their text only.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag};
use serde_json::{Map, Value};

use super::ContentError;
use super::builder::{BlockId, Builder, MAX_IMPORT_NODES, MarkId};
use super::pm::{is_safe_href, link_mark, simple_mark};

/// What a `Start` event opened, so that its `End` undoes exactly that.
enum Opened {
    Block(BlockId),
    Mark(MarkId),
    Code(BlockId),
    Nothing,
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

/// The PM doc, and whether the node budget ran out.
fn convert(md: &str) -> (Value, bool) {
    let parser = Parser::new_ext(md, Options::ENABLE_STRIKETHROUGH);
    let mut b = Builder::new(false);
    let mut opened: Vec<Opened> = Vec::new();
    let mut code_buf: Option<String> = None;
    let mut underline: Vec<MarkId> = Vec::new();

    for event in parser {
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
        match event {
            Event::Start(tag) => {
                let o = start(&mut b, tag);
                if let Opened::Code(_) = o {
                    code_buf = Some(String::new());
                }
                opened.push(o);
            }
            Event::End(_) => match opened.pop() {
                Some(Opened::Block(id)) => b.close(id),
                Some(Opened::Mark(id)) => b.pop_mark(id),
                Some(Opened::Code(id)) => {
                    let code = code_buf.take().unwrap_or_default();
                    b.text(code.strip_suffix('\n').unwrap_or(&code));
                    b.close(id);
                }
                Some(Opened::Nothing) | None => {}
            },
            Event::Text(t) => b.text(&t),
            Event::Code(t) => {
                let id = b.push_mark(simple_mark("code"));
                b.text(&t);
                b.pop_mark(id);
            }
            Event::InlineHtml(h) => match h.trim().to_ascii_lowercase().as_str() {
                "<u>" => underline.push(b.push_mark(simple_mark("underline"))),
                "</u>" => {
                    if let Some(id) = underline.pop() {
                        b.pop_mark(id);
                    }
                }
                _ => b.text(&h),
            },
            Event::Html(h) => {
                // A raw HTML block: literal text, its lines as hard breaks.
                let h = h.strip_suffix('\n').unwrap_or(&h);
                for (i, line) in h.split('\n').enumerate() {
                    if i > 0 {
                        b.hard_break();
                    }
                    b.text(line);
                }
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => b.text(&t),
            Event::FootnoteReference(t) => b.text(&format!("[^{t}]")),
            Event::SoftBreak => b.text(" "),
            Event::HardBreak => b.hard_break(),
            Event::Rule => b.leaf_block("horizontalRule"),
            Event::TaskListMarker(done) => b.text(if done { "[x] " } else { "[ ] " }),
        }
    }
    let exhausted = b.exhausted();
    (b.finish(), exhausted)
}

fn start(b: &mut Builder, tag: Tag<'_>) -> Opened {
    let block = |b: &mut Builder, ty: &'static str, attrs: Map<String, Value>| {
        b.open(ty, attrs)
            .map(Opened::Block)
            .unwrap_or(Opened::Nothing)
    };
    match tag {
        Tag::Paragraph => block(b, "paragraph", Map::new()),
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
            block(b, "heading", attrs)
        }
        Tag::BlockQuote(_) => block(b, "blockquote", Map::new()),
        Tag::CodeBlock(kind) => {
            let mut attrs = Map::new();
            if let CodeBlockKind::Fenced(info) = kind {
                let lang = super::html::clean_language(&info);
                if !lang.is_empty() {
                    attrs.insert("language".into(), Value::from(lang));
                }
            }
            b.open("codeBlock", attrs)
                .map(Opened::Code)
                .unwrap_or(Opened::Nothing)
        }
        Tag::List(Some(start)) => {
            let mut attrs = Map::new();
            attrs.insert("start".into(), Value::from(start.min(999_999_999)));
            block(b, "orderedList", attrs)
        }
        Tag::List(None) => block(b, "bulletList", Map::new()),
        Tag::Item => block(b, "listItem", Map::new()),
        Tag::Emphasis => Opened::Mark(b.push_mark(simple_mark("italic"))),
        Tag::Strong => Opened::Mark(b.push_mark(simple_mark("bold"))),
        Tag::Strikethrough => Opened::Mark(b.push_mark(simple_mark("strike"))),
        Tag::Link {
            dest_url, title, ..
        } => {
            if is_safe_href(&dest_url) {
                Opened::Mark(b.push_mark(link_mark(dest_url.trim(), Some(&title))))
            } else {
                Opened::Nothing
            }
        }
        // Everything else (images, HTML blocks, tables, footnotes, …) is
        // unwrapped: its text flows into the surrounding block.
        _ => Opened::Nothing,
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

    #[test]
    fn images_become_alt_text() {
        let pm = markdown_to_pm("see ![alt text](http://x/y.png)");
        assert_eq!(
            pm,
            json!({"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"see alt text"}]}]})
        );
    }
}
