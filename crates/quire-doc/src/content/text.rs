//! Plain-text export: one line per block, for search and diffs. A table
//! row is one line with its cells separated by tabs, a task item's line
//! starts with `[x] ` or `[ ] `, an image is its alt text (see
//! [`block_texts`]).

use serde_json::Value;

use super::pm::block_texts;

/// Plain text of a PM doc: textblocks in order, separated by `\n` (list
/// items each on their own line, hard breaks as `\n`, table rows as
/// tab-separated cells). No trailing newline.
pub fn pm_to_text(pm: &Value) -> String {
    block_texts(pm).join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_of_nested_doc() {
        let pm = json!({"type":"doc","content":[
            {"type":"heading","attrs":{"level":1},"content":[{"type":"text","text":"T"}]},
            {"type":"bulletList","content":[
                {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"a"}]}]},
                {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"b"},{"type":"hardBreak"},{"type":"text","text":"c"}]}]}]},
            {"type":"horizontalRule"},
            {"type":"paragraph","content":[{"type":"text","text":"end","marks":[{"type":"bold"}]}]}]});
        assert_eq!(pm_to_text(&pm), "T\na\nb\nc\nend");
        assert_eq!(pm_to_text(&json!(null)), "");
        let md = "| Item | Qty |\n| --- | --- |\n| needle | 3 |\n\n- [x] done\n- [ ] todo\n\n![A cat](/c.png)";
        let text = pm_to_text(&crate::content::markdown_to_pm(md));
        assert_eq!(text, "Item\tQty\nneedle\t3\n[x] done\n[ ] todo\nA cat");
        // A word only in a cell is found as a word of its own.
        assert!(text.split_whitespace().any(|w| w == "needle"));
        assert_eq!(pm_to_text(&json!({"type":"doc","content":"x"})), "");
    }
}
