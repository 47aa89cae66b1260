//! Inline content as a flat event stream with properly nested marks, shared
//! by the Markdown and HTML exporters.
//!
//! PM stores marks per text node; markup needs open/close tags. Walking the
//! runs, the marks shared with the previous run stay open (as a stack in
//! rank order), the others are closed and reopened as needed.

use serde_json::Value;

use super::pm::{marks_of, node_type, same_mark, text_of};

/// One inline item after preprocessing.
#[derive(Debug, Clone)]
pub struct Piece<'a> {
    /// What it is.
    pub kind: PieceKind<'a>,
    /// Its marks in rank order (without `code`, which `code` carries);
    /// `None` keeps whatever is open (hard breaks).
    pub marks: Option<Vec<Value>>,
}

/// The kind of an inline item.
#[derive(Debug, Clone)]
pub enum PieceKind<'a> {
    /// A text run; `code` when it has the code mark.
    Text { text: String, code: bool },
    /// A hard break.
    Break,
    /// Any other inline node (rendered by the caller as it sees fit).
    Other(&'a Value),
}

/// Events in document order.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// Open a mark.
    Open(Value),
    /// Close a mark.
    Close(Value),
    /// A text run.
    Text { text: String, code: bool },
    /// A hard break.
    Break,
    /// Another inline node.
    Other(&'a Value),
}

/// Inline nodes to pieces; `keep` selects the marks the format can express.
pub fn pieces<'a>(nodes: &'a [Value], keep: impl Fn(&str) -> bool) -> Vec<Piece<'a>> {
    nodes
        .iter()
        .map(|n| match node_type(n) {
            "text" => {
                let all = marks_of(n);
                let code = all.iter().any(|m| node_type(m) == "code");
                let marks = all
                    .into_iter()
                    .filter(|m| node_type(m) != "code" && keep(node_type(m)))
                    .collect();
                Piece {
                    kind: PieceKind::Text {
                        text: text_of(n).to_string(),
                        code,
                    },
                    marks: Some(marks),
                }
            }
            "hardBreak" => Piece {
                kind: PieceKind::Break,
                marks: None,
            },
            _ => Piece {
                kind: PieceKind::Other(n),
                marks: Some(Vec::new()),
            },
        })
        .collect()
}

/// Marks of a hard break: those its neighbours share, so a break never
/// holds a mark open that the following text does not have.
fn settle_breaks(pieces: &mut [Piece<'_>]) {
    for i in 0..pieces.len() {
        if pieces.get(i).is_some_and(|p| p.marks.is_some()) {
            continue;
        }
        let find = |range: &mut dyn Iterator<Item = usize>| -> Vec<Value> {
            range
                .filter_map(|j| pieces.get(j).and_then(|p| p.marks.clone()))
                .next()
                .unwrap_or_default()
        };
        let before = find(&mut (0..i).rev());
        let after = find(&mut (i + 1..pieces.len()));
        let shared: Vec<Value> = before
            .iter()
            .zip(after.iter())
            .take_while(|(a, b)| same_mark(a, b))
            .map(|(a, _)| a.clone())
            .collect();
        if let Some(p) = pieces.get_mut(i) {
            p.marks = Some(shared);
        }
    }
}

/// Turn pieces into nested open/close events.
pub fn events<'a>(mut pieces: Vec<Piece<'a>>) -> Vec<Event<'a>> {
    settle_breaks(&mut pieces);
    let mut out = Vec::new();
    let mut open: Vec<Value> = Vec::new();
    for p in pieces {
        if let Some(marks) = &p.marks {
            let keep = open
                .iter()
                .zip(marks.iter())
                .take_while(|(a, b)| same_mark(a, b))
                .count();
            while open.len() > keep {
                if let Some(m) = open.pop() {
                    out.push(Event::Close(m));
                }
            }
            for m in marks.iter().skip(keep) {
                open.push(m.clone());
                out.push(Event::Open(m.clone()));
            }
        }
        out.push(match p.kind {
            PieceKind::Text { text, code } => Event::Text { text, code },
            PieceKind::Break => Event::Break,
            PieceKind::Other(v) => Event::Other(v),
        });
    }
    while let Some(m) = open.pop() {
        out.push(Event::Close(m));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marks_nest() {
        let nodes = vec![
            json!({"type":"text","text":"a","marks":[{"type":"bold"}]}),
            json!({"type":"text","text":"b","marks":[{"type":"italic"},{"type":"bold"}]}),
            json!({"type":"text","text":"c","marks":[{"type":"italic"}]}),
        ];
        let evs = events(pieces(&nodes, |_| true));
        let s: Vec<String> = evs
            .iter()
            .map(|e| match e {
                Event::Open(m) => format!("<{}>", node_type(m)),
                Event::Close(m) => format!("</{}>", node_type(m)),
                Event::Text { text, .. } => text.clone(),
                Event::Break => "|".into(),
                Event::Other(_) => "?".into(),
            })
            .collect();
        assert_eq!(
            s.concat(),
            "<bold>a<italic>b</italic></bold><italic>c</italic>"
        );
    }
}
