//! Block- and word-level diff of two documents (or texts), for the version
//! diff view.
//!
//! Blocks (textblocks of a PM doc, or lines of a text) are diffed first; a
//! run of changed blocks pairs each new block with its closest old
//! counterpart ("modify", with word-level runs), the rest are plain inserts
//! and deletes. Words are runs of letters/digits (with inner `'`, `-`, `_`);
//! whitespace runs and single punctuation marks are tokens of their own,
//! and only words are counted in the stats. A unified line diff of the
//! plain text comes along for tools that want one.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use similar::{Algorithm, DiffOp, TextDiff, capture_diff_slices_deadline};

use crate::content::block_texts;

/// Time budget for each diff computation (similar falls back to a coarser
/// diff when it runs out, so huge inputs cannot stall a request).
const DEADLINE: Duration = Duration::from_millis(500);

/// How far ahead among the deleted blocks a changed block looks for its
/// counterpart, and how similar it must be.
const PAIR_WINDOW: usize = 8;
const PAIR_MIN_RATIO: f32 = 0.4;

/// What happened to a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockOp {
    /// Unchanged.
    Equal,
    /// Only in the new document.
    Insert,
    /// Only in the old document.
    Delete,
    /// Changed: see its word runs.
    Modify,
}

/// What happened to a run of words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WordOp {
    /// Unchanged.
    Equal,
    /// Added.
    Insert,
    /// Removed.
    Delete,
}

/// A run of consecutive tokens with the same op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordRun {
    /// Equal, insert or delete.
    pub op: WordOp,
    /// The tokens' text, concatenated.
    pub text: String,
}

/// One block of the diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockDiff {
    /// What happened to the block.
    pub op: BlockOp,
    /// Its content as runs (one run for equal/insert/delete blocks).
    pub words: Vec<WordRun>,
}

/// Word counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DiffStats {
    /// Words added.
    pub inserted_words: usize,
    /// Words removed.
    pub deleted_words: usize,
    /// Blocks that are not equal.
    pub blocks_changed: usize,
}

/// The whole diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocDiff {
    /// Blocks in order (deleted blocks before what replaced them).
    pub blocks: Vec<BlockDiff>,
    /// Word counts.
    pub stats: DiffStats,
    /// Unified diff of the plain text (empty when equal).
    pub unified: String,
}

impl DocDiff {
    /// The words of all runs with `op` (for tests and summaries).
    pub fn words(&self, op: WordOp) -> Vec<String> {
        self.blocks
            .iter()
            .flat_map(|b| b.words.iter())
            .filter(|r| r.op == op)
            .flat_map(|r| tokenize(&r.text))
            .filter(|t| is_word(t))
            .map(str::to_string)
            .collect()
    }
}

/// Diff two PM docs block by block, then word by word.
pub fn diff_pm(old: &Value, new: &Value, old_label: &str, new_label: &str) -> DocDiff {
    diff_blocks(&block_texts(old), &block_texts(new), old_label, new_label)
}

/// Diff two plain texts; blocks are lines.
pub fn diff_text(old: &str, new: &str, old_label: &str, new_label: &str) -> DocDiff {
    let lines = |s: &str| -> Vec<String> {
        if s.is_empty() {
            Vec::new()
        } else {
            s.lines().map(str::to_string).collect()
        }
    };
    diff_blocks(&lines(old), &lines(new), old_label, new_label)
}

fn diff_blocks(old: &[String], new: &[String], old_label: &str, new_label: &str) -> DocDiff {
    let mut blocks = Vec::new();
    let ops =
        capture_diff_slices_deadline(Algorithm::Myers, old, new, Some(Instant::now() + DEADLINE));
    let mut pending_old: Vec<&str> = Vec::new();
    let mut pending_new: Vec<&str> = Vec::new();
    for op in ops {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                flush_changes(&mut pending_old, &mut pending_new, &mut blocks);
                for t in old.iter().skip(old_index).take(len) {
                    blocks.push(whole(BlockOp::Equal, WordOp::Equal, t));
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => pending_old.extend(old.iter().skip(old_index).take(old_len).map(String::as_str)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => pending_new.extend(new.iter().skip(new_index).take(new_len).map(String::as_str)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                pending_old.extend(old.iter().skip(old_index).take(old_len).map(String::as_str));
                pending_new.extend(new.iter().skip(new_index).take(new_len).map(String::as_str));
            }
        }
    }
    flush_changes(&mut pending_old, &mut pending_new, &mut blocks);

    let mut stats = DiffStats::default();
    for b in &blocks {
        if b.op != BlockOp::Equal {
            stats.blocks_changed += 1;
        }
        for r in &b.words {
            let n = tokenize(&r.text).filter(|t| is_word(t)).count();
            match r.op {
                WordOp::Insert => stats.inserted_words += n,
                WordOp::Delete => stats.deleted_words += n,
                WordOp::Equal => {}
            }
        }
    }
    DocDiff {
        blocks,
        stats,
        unified: unified(old, new, old_label, new_label),
    }
}

fn whole(op: BlockOp, word_op: WordOp, text: &str) -> BlockDiff {
    BlockDiff {
        op,
        words: if text.is_empty() {
            Vec::new()
        } else {
            vec![WordRun {
                op: word_op,
                text: text.to_string(),
            }]
        },
    }
}

/// Pair a run of changed blocks, in order: each new block takes the most
/// similar of the next few unpaired old blocks if it is similar enough.
fn flush_changes(old: &mut Vec<&str>, new: &mut Vec<&str>, out: &mut Vec<BlockDiff>) {
    let mut next_old = 0;
    for n in new.iter() {
        let best = old
            .iter()
            .enumerate()
            .skip(next_old)
            .take(PAIR_WINDOW)
            .map(|(i, o)| (i, similarity(o, n)))
            .filter(|(_, r)| *r >= PAIR_MIN_RATIO)
            // On a tie the earliest block wins (a changed table cell and
            // an unrelated block sharing a word must not swap partners).
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((i, _)) => {
                for o in old.iter().take(i).skip(next_old) {
                    out.push(whole(BlockOp::Delete, WordOp::Delete, o));
                }
                let o = old.get(i).copied().unwrap_or("");
                out.push(BlockDiff {
                    op: BlockOp::Modify,
                    words: word_runs(o, n),
                });
                next_old = i + 1;
            }
            None => out.push(whole(BlockOp::Insert, WordOp::Insert, n)),
        }
    }
    for o in old.iter().skip(next_old) {
        out.push(whole(BlockOp::Delete, WordOp::Delete, o));
    }
    old.clear();
    new.clear();
}

fn similarity(a: &str, b: &str) -> f32 {
    // Words only: shared spaces and punctuation say nothing about kinship.
    let ta: Vec<&str> = tokenize(a).filter(|t| is_word(t)).collect();
    let tb: Vec<&str> = tokenize(b).filter(|t| is_word(t)).collect();
    if ta.is_empty() && tb.is_empty() {
        return 1.0;
    }
    TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DEADLINE)
        .diff_slices(&ta, &tb)
        .ratio()
}

fn word_runs(old: &str, new: &str) -> Vec<WordRun> {
    let ta: Vec<&str> = tokenize(old).collect();
    let tb: Vec<&str> = tokenize(new).collect();
    let ops =
        capture_diff_slices_deadline(Algorithm::Myers, &ta, &tb, Some(Instant::now() + DEADLINE));
    let mut runs: Vec<WordRun> = Vec::new();
    let mut push = |op: WordOp, toks: &[String]| {
        if toks.is_empty() {
            return;
        }
        let text = toks.concat();
        match runs.last_mut() {
            Some(last) if last.op == op => last.text.push_str(&text),
            _ => runs.push(WordRun { op, text }),
        }
    };
    let part = |toks: &[&'_ str], from: usize, len: usize| -> Vec<String> {
        toks.iter()
            .skip(from)
            .take(len)
            .map(|t| t.to_string())
            .collect()
    };
    for op in ops {
        let (old_part, new_part) = match op {
            DiffOp::Equal { old_index, len, .. } => {
                push(WordOp::Equal, &part(&ta, old_index, len));
                continue;
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => (part(&ta, old_index, old_len), Vec::new()),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (Vec::new(), part(&tb, new_index, new_len)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (part(&ta, old_index, old_len), part(&tb, new_index, new_len)),
        };
        push(WordOp::Delete, &old_part);
        push(WordOp::Insert, &new_part);
    }
    runs
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// A token counts as a word when it contains a letter or digit.
fn is_word(token: &str) -> bool {
    token.chars().any(is_word_char)
}

/// Split into words (letters/digits, with `'`, `’`, `-`, `_` inside a word),
/// whitespace runs, and single other characters.
pub fn tokenize(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let mut end = first.len_utf8();
        if is_word_char(first) {
            let mut chars = rest.char_indices().peekable();
            end = rest.len();
            while let Some((i, c)) = chars.next() {
                if is_word_char(c) {
                    continue;
                }
                let joiner = matches!(c, '\'' | '’' | '-' | '_');
                let next_is_word = chars.peek().is_some_and(|(_, n)| is_word_char(*n));
                if !(joiner && next_is_word) {
                    end = i;
                    break;
                }
            }
        } else if first.is_whitespace() {
            end = rest
                .char_indices()
                .find(|(_, c)| !c.is_whitespace())
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
        }
        let (tok, tail) = rest.split_at_checked(end).unwrap_or((rest, ""));
        rest = tail;
        Some(tok)
    })
}

fn unified(old: &[String], new: &[String], old_label: &str, new_label: &str) -> String {
    let join = |v: &[String]| -> String {
        let mut s = v.join("\n");
        if !s.is_empty() {
            s.push('\n');
        }
        s
    };
    let (a, b) = (join(old), join(new));
    if a == b {
        return String::new();
    }
    TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DEADLINE)
        .diff_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn acceptance_quick_brown_fox() {
        let d = diff_text(
            "The quick brown fox jumps",
            "The quick red fox leaps high",
            "v1",
            "v2",
        );
        assert_eq!(d.words(WordOp::Delete), ["brown", "jumps"]);
        assert_eq!(d.words(WordOp::Insert), ["red", "leaps", "high"]);
        assert_eq!(d.stats.deleted_words, 2);
        assert_eq!(d.stats.inserted_words, 3);
        assert_eq!(d.stats.blocks_changed, 1);
        assert_eq!(d.blocks.len(), 1);
        assert_eq!(d.blocks.first().map(|b| b.op), Some(BlockOp::Modify));
        assert!(d.unified.starts_with("--- v1\n+++ v2\n@@"), "{}", d.unified);
        assert!(d.unified.contains("-The quick brown fox jumps\n"));
        assert!(d.unified.contains("+The quick red fox leaps high\n"));
    }

    #[test]
    fn pm_blocks_pair_and_serialise() {
        let p = |t: &str| json!({"type":"paragraph","content":[{"type":"text","text":t}]});
        let old = json!({"type":"doc","content":[p("Intro stays"), p("The quick brown fox jumps"), p("Removed entirely here")]});
        let new = json!({"type":"doc","content":[p("Intro stays"), p("Brand new block"), p("The quick red fox leaps high")]});
        let d = diff_pm(&old, &new, "a", "b");
        let ops: Vec<BlockOp> = d.blocks.iter().map(|b| b.op).collect();
        assert_eq!(
            ops,
            [
                BlockOp::Equal,
                BlockOp::Insert,
                BlockOp::Modify,
                BlockOp::Delete
            ]
        );
        assert_eq!(d.stats.blocks_changed, 3);
        assert_eq!(d.stats.inserted_words, 3 + 3);
        assert_eq!(d.stats.deleted_words, 2 + 3);
        let v = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(
            v["blocks"][0],
            json!({"op":"equal","words":[{"op":"equal","text":"Intro stays"}]})
        );
        assert_eq!(v["blocks"][1]["op"], "insert");
        assert_eq!(
            v["blocks"][2]["words"][0],
            json!({"op":"equal","text":"The quick "})
        );
        assert!(v["stats"]["inserted_words"].is_u64());
        assert!(v["unified"].is_string());
    }

    #[test]
    fn equal_docs_have_no_changes() {
        let d = diff_text("a\nb", "a\nb", "x", "y");
        assert_eq!(d.stats, DiffStats::default());
        assert!(d.unified.is_empty());
        assert!(d.blocks.iter().all(|b| b.op == BlockOp::Equal));
    }

    #[test]
    fn cell_edits_and_ticked_tasks_show_up() {
        let p = |t: &str| json!({"type":"paragraph","content":[{"type":"text","text":t}]});
        let cell = |t: &str| json!({"type":"tableCell","attrs":{"colspan":1,"rowspan":1},"content":[p(t)]});
        let doc = |qty: &str, done: bool| {
            json!({"type":"doc","content":[
                {"type":"table","content":[
                    {"type":"tableRow","content":[cell("Item"), cell("Qty")]},
                    {"type":"tableRow","content":[cell("apples"), cell(qty)]}]},
                {"type":"taskList","content":[
                    {"type":"taskItem","attrs":{"checked":done},"content":[p("buy apples")]}]},
                {"type":"image","attrs":{"src":"/api/media/1","alt":"basket"}}]})
        };
        let d = diff_pm(&doc("3", false), &doc("12", true), "v1", "v2");
        let ops: Vec<BlockOp> = d.blocks.iter().map(|b| b.op).collect();
        assert_eq!(
            ops,
            [
                BlockOp::Equal,
                BlockOp::Modify,
                BlockOp::Modify,
                BlockOp::Equal
            ]
        );
        assert_eq!(d.words(WordOp::Delete), ["3"]);
        assert_eq!(d.words(WordOp::Insert), ["12", "x"]);
        assert_eq!(
            d.blocks.get(1).map(|b| b.words.clone()),
            Some(vec![
                WordRun {
                    op: WordOp::Equal,
                    text: "apples\t".into()
                },
                WordRun {
                    op: WordOp::Delete,
                    text: "3".into()
                },
                WordRun {
                    op: WordOp::Insert,
                    text: "12".into()
                }
            ])
        );
        assert!(
            d.unified.contains("-[ ] buy apples\n") && d.unified.contains("+[x] buy apples\n"),
            "{}",
            d.unified
        );
        // Equal documents: nothing changed.
        let same = diff_pm(&doc("3", true), &doc("3", true), "a", "b");
        assert_eq!(same.stats, DiffStats::default());
    }

    #[test]
    fn tokenizer() {
        let toks: Vec<&str> = tokenize("don't  stop-me, now! é").collect();
        assert_eq!(
            toks,
            ["don't", "  ", "stop-me", ",", " ", "now", "!", " ", "é"]
        );
    }
}
