//! A forgiving ProseMirror document builder shared by the Markdown and HTML
//! importers.
//!
//! Importers drive it with a flat stream of "open block", "close block",
//! "push mark", "text" calls. It keeps the result valid for TipTap's schema
//! whatever the input order: text outside a textblock gets an implicit
//! paragraph, a block inside a list gets an implicit list item (a
//! `taskItem` in a `taskList`: an item opened in a list of the other kind
//! takes the list's item type), a block inside a table gets an implicit row
//! and cell, a row or cell outside a table an implicit table, list items
//! always start with a paragraph, empty containers are filled (cells and
//! quotes get an empty paragraph) or dropped (lists, rows, tables), a leaf
//! block such as an image inside a textblock splits it (an empty part is
//! dropped), the code mark excludes all others, and container nesting is
//! capped at [`MAX_DEPTH`] (deeper containers are flattened into their
//! parent).
//!
//! Work is bounded too: after [`MAX_IMPORT_NODES`] nodes the builder is
//! *exhausted* and the rest of the input is kept as plain text in the
//! current block, without marks or new blocks (2 MiB of `*a* ` would
//! otherwise become ~365,000 marked text nodes, seconds of work and
//! hundreds of MB, before the document is even written). Importers report
//! this as [`super::ContentError::TooManyNodes`] from their `try_` forms.

use serde_json::{Map, Value, json};

/// Most nodes (blocks, text runs, breaks) one import may create. Prose
/// takes one node per 30 to 100 bytes, so a 2 MiB document of real text
/// stays well below this.
pub const MAX_IMPORT_NODES: usize = 100_000;

use super::pm::{
    MAX_DEPTH, cell_attrs, is_cell, is_item, is_list, is_textblock, item_type_of, node_type,
    same_mark, sort_marks,
};

/// Frames one `open` may push: up to three implicit wrappers (list item,
/// table, row), the block itself and a paragraph in it.
const OPEN_ROOM: usize = 5;

/// Handle for an opened block; closing an already-closed block is a no-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockId(u64);

/// Handle for a pushed mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkId(u64);

struct Frame {
    id: u64,
    ty: &'static str,
    attrs: Map<String, Value>,
    content: Vec<Value>,
    implicit: bool,
}

/// Builds a `{"type":"doc"}` value; see the module docs.
pub struct Builder {
    stack: Vec<Frame>,
    marks: Vec<(u64, Value)>,
    next_id: u64,
    /// Trim leading/trailing whitespace of textblocks when they close (HTML).
    trim_blocks: bool,
    /// Nodes created so far.
    nodes: usize,
    /// The node budget is spent: only plain text is added from now on.
    exhausted: bool,
    /// A leaf block (image, rule) was just added: leading whitespace and
    /// line breaks before the next text are dropped.
    after_leaf: bool,
    /// A textblock split by a leaf block: the text after the leaf goes into
    /// a block of the same type and handle, so closing it still works.
    resume: Option<(u64, &'static str, Map<String, Value>)>,
}

impl Builder {
    /// A builder with an open `doc`.
    pub fn new(trim_blocks: bool) -> Self {
        Builder {
            stack: vec![Frame {
                id: 0,
                ty: "doc",
                attrs: Map::new(),
                content: Vec::new(),
                implicit: false,
            }],
            marks: Vec::new(),
            next_id: 1,
            trim_blocks,
            nodes: 0,
            exhausted: false,
            after_leaf: false,
            resume: None,
        }
    }

    /// Whether the node budget ran out (see the module docs).
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// Count one more node; `false` once the budget is spent.
    fn spend(&mut self) -> bool {
        if self.nodes >= MAX_IMPORT_NODES {
            self.exhausted = true;
            return false;
        }
        self.nodes += 1;
        true
    }

    fn top_ty(&self) -> &'static str {
        self.stack.last().map(|f| f.ty).unwrap_or("doc")
    }

    fn push_frame(&mut self, ty: &'static str, attrs: Map<String, Value>, implicit: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.stack.push(Frame {
            id,
            ty,
            attrs,
            content: Vec::new(),
            implicit,
        });
        id
    }

    /// Pop the top frame into its parent, applying schema fix-ups.
    fn pop_frame(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if let Some(node) = self.finish_frame(frame)
            && let Some(parent) = self.stack.last_mut()
        {
            parent.content.push(node);
        }
    }

    fn finish_frame(&self, mut f: Frame) -> Option<Value> {
        if is_textblock(f.ty) && self.trim_blocks && f.ty != "codeBlock" {
            trim_inline(&mut f.content);
        }
        match f.ty {
            ty if is_textblock(ty) && f.implicit && f.content.is_empty() => return None,
            ty if is_item(ty)
                && node_type(f.content.first().unwrap_or(&Value::Null)) != "paragraph" =>
            {
                f.content.insert(0, json!({"type": "paragraph"}));
            }
            ty if (ty == "blockquote" || is_cell(ty)) && f.content.is_empty() => {
                f.content.push(json!({"type": "paragraph"}));
            }
            ty if (is_list(ty) || ty == "tableRow" || ty == "table") && f.content.is_empty() => {
                return None;
            }
            _ => {}
        }
        if f.ty == "taskItem" && !f.attrs.get("checked").is_some_and(Value::is_boolean) {
            f.attrs.insert("checked".into(), Value::Bool(false));
        }
        let mut node = Map::new();
        node.insert("type".into(), Value::from(f.ty));
        if !f.attrs.is_empty() {
            node.insert("attrs".into(), Value::Object(f.attrs));
        }
        if !f.content.is_empty() {
            node.insert("content".into(), Value::Array(f.content));
        }
        Some(Value::Object(node))
    }

    /// Close implicit frames and any open textblock so a block of type `ty`
    /// can start (an implicit list stays open for a following list item).
    fn close_inline_context(&mut self, ty: &str) {
        while let Some(top) = self.stack.last() {
            // An implicit list stays open for a following item, an implicit
            // item for a following non-item block; likewise an implicit
            // table for a row, row for a cell, cell for any other block.
            let block = !ty.is_empty();
            let keep = (is_item(ty) && is_list(top.ty))
                || (is_item(top.ty) && block && !is_item(ty))
                || (ty == "tableRow" && top.ty == "table")
                || (is_cell(ty) && top.ty == "tableRow")
                || (is_cell(top.ty) && block && !is_cell(ty) && ty != "tableRow");
            if self.stack.len() <= 1 || keep || !(top.implicit || is_textblock(top.ty)) {
                break;
            }
            if block && is_textblock(top.ty) && top.ty != "codeBlock" {
                // A block starts inside a textblock (an image in a
                // paragraph): the part before it ends here, without the
                // whitespace and breaks at its end; an empty part goes.
                if let Some(f) = self.stack.last_mut() {
                    self.resume = Some((f.id, f.ty, f.attrs.clone()));
                    trim_inline_end(&mut f.content);
                    if f.content.is_empty() {
                        self.stack.pop();
                        continue;
                    }
                }
            }
            self.pop_frame();
        }
    }

    /// Push an implicit frame; cells and task items get TipTap's defaults.
    fn push_implicit(&mut self, ty: &'static str) {
        let attrs = if is_cell(ty) {
            cell_attrs(1, 1, None)
        } else if ty == "taskItem" {
            let mut a = Map::new();
            a.insert("checked".into(), Value::Bool(false));
            a
        } else {
            Map::new()
        };
        self.push_frame(ty, attrs, true);
    }

    /// Push the implicit wrappers a block of type `ty` needs at the current
    /// position; returns the type to open (an item takes its list's type).
    fn wrap_for(&mut self, ty: &'static str) -> &'static str {
        let top = self.top_ty();
        if (ty == "tableRow" && top == "table") || (is_cell(ty) && top == "tableRow") {
            return ty;
        }
        if is_cell(ty) && top == "table" {
            self.push_implicit("tableRow");
            return ty;
        }
        let table_part = ty == "tableRow" || is_cell(ty);
        if self.top_ty() == "table" {
            self.push_implicit("tableRow");
        }
        if self.top_ty() == "tableRow" {
            self.push_implicit("tableCell");
        }
        if is_item(ty) {
            if !is_list(self.top_ty()) {
                self.push_implicit(if ty == "taskItem" {
                    "taskList"
                } else {
                    "bulletList"
                });
            }
            return item_type_of(self.top_ty());
        }
        if is_list(self.top_ty()) {
            self.push_implicit(item_type_of(self.top_ty()));
        }
        if table_part {
            self.push_implicit("table");
            if is_cell(ty) {
                self.push_implicit("tableRow");
            }
        }
        ty
    }

    /// Whether text would currently land in an open textblock.
    pub fn in_inline(&self) -> bool {
        is_textblock(self.top_ty())
    }

    /// Whether the innermost textblock is a code block.
    pub fn in_code(&self) -> bool {
        self.top_ty() == "codeBlock"
    }

    /// Open a block of type `ty` (one of the schema's block types). Returns
    /// `None` when the block was flattened away by the depth cap.
    pub fn open(&mut self, ty: &'static str, attrs: Map<String, Value>) -> Option<BlockId> {
        if self.exhausted || !self.spend() {
            // Keep words apart where a block would have started.
            self.text(" ");
            return None;
        }
        self.close_inline_context(ty);
        self.after_leaf = false;
        self.resume = None;
        let container = !is_textblock(ty);
        // Room for implicit wrappers, the container and a paragraph, so
        // that the result always fits `write_pm`'s depth limit.
        if container && self.stack.len() + OPEN_ROOM > MAX_DEPTH {
            return None;
        }
        let opened = self.wrap_for(ty);
        let attrs = if opened == ty {
            attrs
        } else if opened == "taskItem" {
            // A list item in a task list: not ticked.
            let mut a = Map::new();
            a.insert("checked".into(), Value::Bool(false));
            a
        } else {
            Map::new()
        };
        Some(BlockId(self.push_frame(opened, attrs, false)))
    }

    /// Set an attribute of the open block `id` (e.g. a task item's
    /// `checked`, known only after the item started); no-op once closed.
    pub fn set_attr(&mut self, id: BlockId, key: &str, value: Value) {
        if let Some(f) = self.stack.iter_mut().find(|f| f.id == id.0) {
            f.attrs.insert(key.into(), value);
        }
    }

    /// Close the block `id` and everything opened inside it.
    pub fn close(&mut self, id: BlockId) {
        if self.resume.as_ref().is_some_and(|r| r.0 == id.0) {
            self.resume = None;
        }
        if let Some(pos) = self.stack.iter().position(|f| f.id == id.0) {
            while self.stack.len() > pos.max(1) {
                self.pop_frame();
            }
        }
    }

    /// End the current paragraph (implicit or not) without opening anything,
    /// as a `<div>` boundary does in HTML.
    pub fn break_block(&mut self) {
        if self.exhausted {
            self.text(" ");
            return;
        }
        self.resume = None;
        self.close_inline_context("");
    }

    /// Add a leaf block such as `horizontalRule`.
    pub fn leaf_block(&mut self, ty: &'static str) {
        self.leaf_block_with(ty, Map::new());
    }

    /// Add a leaf block with attributes (an `image`). Inside a textblock it
    /// splits it: the text after it goes into a new paragraph.
    pub fn leaf_block_with(&mut self, ty: &'static str, attrs: Map<String, Value>) -> bool {
        if self.exhausted || !self.spend() {
            return false;
        }
        self.close_inline_context(ty);
        self.wrap_for(ty);
        let mut node = Map::new();
        node.insert("type".into(), Value::from(ty));
        if !attrs.is_empty() {
            node.insert("attrs".into(), Value::Object(attrs));
        }
        if let Some(top) = self.stack.last_mut() {
            top.content.push(Value::Object(node));
        }
        self.after_leaf = true;
        true
    }

    /// Make sure the top frame accepts inline content.
    fn ensure_inline(&mut self) {
        if self.in_inline() {
            return;
        }
        // Implicit blocks count too; past the budget they are still made
        // (at most one per block closed, which was counted).
        self.spend();
        self.wrap_for("paragraph");
        match self.resume.take() {
            Some((id, ty, attrs)) => self.stack.push(Frame {
                id,
                ty,
                attrs,
                content: Vec::new(),
                implicit: true,
            }),
            None => {
                self.push_frame("paragraph", Map::new(), true);
            }
        }
    }

    /// Activate a mark for following text.
    pub fn push_mark(&mut self, mark: Value) -> MarkId {
        let id = self.next_id;
        self.next_id += 1;
        self.marks.push((id, mark));
        MarkId(id)
    }

    /// Deactivate a mark (and nothing else).
    pub fn pop_mark(&mut self, id: MarkId) {
        self.marks.retain(|(mid, _)| *mid != id.0);
    }

    fn current_marks(&self) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for (_, m) in &self.marks {
            // One mark per type (the innermost wins, as for nested links).
            out.retain(|o| node_type(o) != node_type(m));
            out.push(m.clone());
        }
        if out.iter().any(|m| node_type(m) == "code") {
            out.retain(|m| node_type(m) == "code");
        }
        sort_marks(&mut out);
        out
    }

    /// Append text with the active marks (none inside code blocks).
    pub fn text(&mut self, text: &str) {
        let text = if self.after_leaf && !self.in_inline() {
            text.trim_start()
        } else {
            text
        };
        if text.is_empty() {
            return;
        }
        self.after_leaf = false;
        self.ensure_inline();
        let exhausted = self.exhausted;
        let marks = if self.in_code() || exhausted {
            Vec::new()
        } else {
            self.current_marks()
        };
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        if let Some(Value::Object(last)) = top.content.last_mut()
            && last.get("type").and_then(Value::as_str) == Some("text")
            && (exhausted || marks_equal(last.get("marks"), &marks))
            && let Some(Value::String(s)) = last.get_mut("text")
        {
            s.push_str(text);
            return;
        }
        // Past the budget one plain node per block is still allowed, so the
        // text is kept.
        if !exhausted && !self.spend() {
            return self.text(text);
        }
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        let mut node = Map::new();
        node.insert("type".into(), Value::from("text"));
        node.insert("text".into(), Value::from(text));
        if !marks.is_empty() {
            node.insert("marks".into(), Value::Array(marks));
        }
        top.content.push(Value::Object(node));
    }

    /// A hard line break (`\n` inside code blocks).
    pub fn hard_break(&mut self) {
        if self.in_code() {
            self.text("\n");
            return;
        }
        if self.after_leaf && !self.in_inline() {
            // A line break right after an image or rule means nothing.
            return;
        }
        if self.exhausted || !self.spend() {
            self.text(" ");
            return;
        }
        self.ensure_inline();
        if let Some(top) = self.stack.last_mut() {
            top.content.push(json!({"type": "hardBreak"}));
        }
    }

    /// Close everything and return the document (never empty: an empty
    /// document gets one empty paragraph, as TipTap requires `block+`).
    pub fn finish(mut self) -> Value {
        while self.stack.len() > 1 {
            self.pop_frame();
        }
        let mut content = self.stack.pop().map(|f| f.content).unwrap_or_default();
        if content.is_empty() {
            content.push(json!({"type": "paragraph"}));
        }
        // Built by hand: `json!` would serialise (deep-copy) `content`.
        let mut doc = Map::new();
        doc.insert("type".into(), Value::from("doc"));
        doc.insert("content".into(), Value::Array(content));
        Value::Object(doc)
    }
}

fn marks_equal(existing: Option<&Value>, marks: &[Value]) -> bool {
    let existing = existing
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    existing.len() == marks.len() && existing.iter().zip(marks).all(|(a, b)| same_mark(a, b))
}

/// Trim whitespace at the start and end of a textblock's inline content and
/// around hard breaks; drop text nodes left empty.
fn trim_inline(content: &mut Vec<Value>) {
    let n = content.len();
    for i in 0..n {
        let prev_break = i == 0 || content.get(i - 1).map(node_type) == Some("hardBreak");
        let next_break = i + 1 == n || content.get(i + 1).map(node_type) == Some("hardBreak");
        if let Some(Value::Object(node)) = content.get_mut(i)
            && let Some(Value::String(s)) = node.get_mut("text")
        {
            let mut t: &str = s;
            if prev_break {
                t = t.trim_start();
            }
            if next_break {
                t = t.trim_end();
            }
            if t.len() != s.len() {
                *s = t.to_string();
            }
        }
    }
    content.retain(|v| node_type(v) != "text" || v.get("text").and_then(Value::as_str) != Some(""));
}

/// Drop trailing hard breaks and whitespace of a textblock's inline
/// content (where a leaf block splits it).
fn trim_inline_end(content: &mut Vec<Value>) {
    while let Some(last) = content.last_mut() {
        match node_type(last) {
            "hardBreak" => {}
            "text" => {
                if let Some(Value::String(s)) = last.get_mut("text") {
                    let kept = s.trim_end().len();
                    s.truncate(kept);
                    if !s.is_empty() {
                        return;
                    }
                }
            }
            _ => return,
        }
        content.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::pm::simple_mark;

    #[test]
    fn implicit_structure_is_schema_valid() {
        let mut b = Builder::new(false);
        b.text("loose");
        let list = b.open("bulletList", Map::new());
        b.text("in list");
        let q = b.open("blockquote", Map::new());
        if let Some(q) = q {
            b.close(q);
        }
        if let Some(l) = list {
            b.close(l);
        }
        let doc = b.finish();
        assert_eq!(
            doc,
            json!({"type":"doc","content":[
                {"type":"paragraph","content":[{"type":"text","text":"loose"}]},
                {"type":"bulletList","content":[{"type":"listItem","content":[
                    {"type":"paragraph","content":[{"type":"text","text":"in list"}]},
                    {"type":"blockquote","content":[{"type":"paragraph"}]}]}]}]})
        );
    }

    #[test]
    fn code_mark_excludes_others_and_text_merges() {
        let mut b = Builder::new(false);
        let bold = b.push_mark(simple_mark("bold"));
        b.text("a");
        b.text("b");
        let code = b.push_mark(simple_mark("code"));
        b.text("c");
        b.pop_mark(code);
        b.pop_mark(bold);
        b.text("d");
        assert_eq!(
            b.finish(),
            json!({"type":"doc","content":[{"type":"paragraph","content":[
                {"type":"text","text":"ab","marks":[{"type":"bold"}]},
                {"type":"text","text":"c","marks":[{"type":"code"}]},
                {"type":"text","text":"d"}]}]})
        );
    }

    #[test]
    fn tables_and_task_lists_get_their_structure() {
        let mut b = Builder::new(false);
        // A cell outside a table, a block inside a table, an item of the
        // wrong kind in a task list.
        let cell = b.open("tableCell", cell_attrs(2, 1, None));
        b.text("c");
        if let Some(c) = cell {
            b.close(c);
        }
        b.text("loose in row");
        b.break_block();
        let list = b.open("taskList", Map::new());
        let item = b.open("listItem", Map::new());
        b.text("t");
        if let Some(i) = item {
            b.set_attr(i, "checked", Value::Bool(true));
            b.close(i);
        }
        if let Some(l) = list {
            b.close(l);
        }
        let table = b.open("table", Map::new());
        let row = b.open("tableRow", Map::new());
        if let Some(r) = row {
            b.close(r);
        }
        if let Some(t) = table {
            b.close(t);
        }
        let cell_p = |t: &str| json!({"type":"tableCell","attrs":{"colspan":1,"rowspan":1},"content":[{"type":"paragraph","content":[{"type":"text","text":t}]}]});
        assert_eq!(
            b.finish(),
            json!({"type":"doc","content":[
                {"type":"table","content":[{"type":"tableRow","content":[
                    {"type":"tableCell","attrs":{"colspan":2,"rowspan":1},"content":[{"type":"paragraph","content":[{"type":"text","text":"c"}]}]},
                    cell_p("loose in row")]}]},
                {"type":"taskList","content":[{"type":"taskItem","attrs":{"checked":true},"content":[
                    {"type":"paragraph","content":[{"type":"text","text":"t"}]}]}]}]})
        );
    }

    #[test]
    fn leaf_blocks_split_textblocks() {
        let mut b = Builder::new(false);
        let p = b.open("paragraph", Map::new());
        b.text("before ");
        b.hard_break();
        let mut attrs = Map::new();
        attrs.insert("src".into(), Value::from("/a.png"));
        assert!(b.leaf_block_with("image", attrs));
        b.hard_break();
        b.text(" after");
        if let Some(p) = p {
            b.close(p);
        }
        let p = b.open("paragraph", Map::new());
        b.leaf_block("horizontalRule");
        if let Some(p) = p {
            b.close(p);
        }
        assert_eq!(
            b.finish(),
            json!({"type":"doc","content":[
                {"type":"paragraph","content":[{"type":"text","text":"before"}]},
                {"type":"image","attrs":{"src":"/a.png"}},
                {"type":"paragraph","content":[{"type":"text","text":"after"}]},
                {"type":"horizontalRule"}]})
        );
    }

    #[test]
    fn depth_is_capped() {
        let mut b = Builder::new(false);
        let mut opened = 0;
        for _ in 0..10_000 {
            if b.open("blockquote", Map::new()).is_some() {
                opened += 1;
            }
        }
        b.text("deep");
        assert!(opened < MAX_DEPTH);
        let doc = b.finish();
        assert!(serde_json::to_string(&doc).is_ok_and(|s| s.contains("deep")));
    }
}
