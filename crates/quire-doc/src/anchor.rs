//! Comment anchors: Yjs relative positions (`Y.encodeRelativePosition`,
//! yrs `StickyIndex` v1 encoding) into the `default` fragment, resolved
//! against a live document to ProseMirror-style absolute positions.
//!
//! The absolute position of a point counts, from the start of the
//! fragment, one per character of text and one for each element's opening
//! and closing token, as y-prosemirror does. Positions are used to order
//! anchors in the document and to tell when the anchored range collapsed
//! (its text was deleted): a relative position whose type was deleted, or
//! that points outside `default`, does not resolve at all.

use std::collections::HashMap;

use yrs::branch::{Branch, BranchID};
use yrs::types::xml::XmlOut;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StickyIndex, Text, Transact, XmlFragment};

/// The fragment comment anchors point into (TipTap's default).
pub const FRAGMENT: &str = "default";

/// Why an anchor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    #[error("not an encoded relative position")]
    Malformed,
    #[error("the position does not resolve inside the document's text")]
    Unresolved,
}

/// Decodes one encoded relative position.
pub fn decode(bytes: &[u8]) -> Result<StickyIndex, AnchorError> {
    // yrs decodes from a cursor; trailing bytes mean it was something else.
    let idx = StickyIndex::decode_v1(bytes).map_err(|_| AnchorError::Malformed)?;
    Ok(idx)
}

/// Where each node of the `default` fragment starts, for resolving many
/// anchors against one state of the document.
pub struct Positions {
    nodes: HashMap<BranchID, Node>,
}

enum Node {
    /// Text starting at this absolute position.
    Text(u32),
    /// An element or the fragment: where each child starts, then where
    /// its content ends.
    Container(Vec<u32>),
}

impl Positions {
    /// Walks the `default` fragment of `doc` (empty when it has none).
    pub fn of(doc: &Doc) -> Self {
        let txn = doc.transact();
        let mut nodes = HashMap::new();
        if let Some(fragment) = txn.get_xml_fragment(FRAGMENT) {
            let mut starts = Vec::new();
            let mut pos = 0;
            for child in fragment.children(&txn) {
                starts.push(pos);
                pos += walk(&txn, child, pos, &mut nodes);
            }
            starts.push(pos);
            nodes.insert(branch_id(&fragment), Node::Container(starts));
        }
        Self { nodes }
    }

    /// The absolute position `idx` points at, or None when it does not
    /// resolve inside `default` (its type was deleted, or it is elsewhere).
    pub fn resolve(&self, doc: &Doc, idx: &StickyIndex) -> Option<u32> {
        let txn = doc.transact();
        let offset = idx.get_offset(&txn)?;
        match self.nodes.get(&offset.branch.id())? {
            Node::Text(start) => Some(start + offset.index),
            Node::Container(starts) => {
                let i = (offset.index as usize).min(starts.len() - 1);
                Some(starts[i])
            }
        }
    }
}

fn branch_id<T: AsRef<Branch>>(node: &T) -> BranchID {
    node.as_ref().id()
}

/// Records `node` (starting at `pos`) and its descendants; returns its size.
fn walk<T: ReadTxn>(txn: &T, node: XmlOut, pos: u32, nodes: &mut HashMap<BranchID, Node>) -> u32 {
    match node {
        XmlOut::Text(text) => {
            nodes.insert(branch_id(&text), Node::Text(pos));
            text.len(txn)
        }
        XmlOut::Element(el) => {
            let mut starts = Vec::new();
            let mut cur = pos + 1;
            for child in el.children(txn) {
                starts.push(cur);
                cur += walk(txn, child, cur, nodes);
            }
            starts.push(cur);
            nodes.insert(branch_id(&el), Node::Container(starts));
            cur - pos + 1
        }
        XmlOut::Fragment(f) => {
            let f_ref = &f;
            let mut starts = Vec::new();
            let mut cur = pos;
            for child in f.children(txn) {
                starts.push(cur);
                cur += walk(txn, child, cur, nodes);
            }
            starts.push(cur);
            nodes.insert(branch_id(f_ref), Node::Container(starts));
            cur - pos
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::encoder::Encode;
    use yrs::{Assoc, IndexedSequence, WriteTxn, XmlElementPrelim, XmlTextPrelim, XmlTextRef};

    /// `<p>hello world</p><p>second</p>` and its two texts.
    fn doc() -> (Doc, XmlTextRef, XmlTextRef) {
        let doc = crate::guard::new_doc();
        let (a, b) = {
            let mut txn = doc.transact_mut();
            let f = txn.get_or_insert_xml_fragment(FRAGMENT);
            let p1 = f.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            let a = p1.push_back(&mut txn, XmlTextPrelim::new("hello world"));
            let p2 = f.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            let b = p2.push_back(&mut txn, XmlTextPrelim::new("second"));
            (a, b)
        };
        (doc, a, b)
    }

    fn at(doc: &Doc, text: &XmlTextRef, i: u32, assoc: Assoc) -> StickyIndex {
        let txn = doc.transact();
        let idx = text.sticky_index(&txn, i, assoc).unwrap();
        decode(&idx.encode_v1()).unwrap()
    }

    #[test]
    fn positions_follow_prosemirror_counting_and_edits() {
        let (doc, a, b) = doc();
        // "world" in the first paragraph: 1 (opening) + 6 .. 1 + 11.
        let start = at(&doc, &a, 6, Assoc::After);
        let end = at(&doc, &a, 11, Assoc::Before);
        let p = Positions::of(&doc);
        assert_eq!(p.resolve(&doc, &start), Some(7));
        assert_eq!(p.resolve(&doc, &end), Some(12));
        // Second paragraph's text starts after "<p>hello world</p><p>".
        let s2 = at(&doc, &b, 0, Assoc::After);
        assert_eq!(p.resolve(&doc, &s2), Some(14));
        // Text inserted before the anchor moves it.
        a.insert(&mut doc.transact_mut(), 0, ">> ");
        let p = Positions::of(&doc);
        assert_eq!(p.resolve(&doc, &start), Some(10));
        assert_eq!(p.resolve(&doc, &end), Some(15));
        // Deleting the anchored text collapses the range.
        a.remove_range(&mut doc.transact_mut(), 9, 5);
        let p = Positions::of(&doc);
        let (s, e) = (p.resolve(&doc, &start), p.resolve(&doc, &end));
        assert!(s >= e, "{s:?} {e:?}");
    }

    #[test]
    fn a_deleted_paragraph_or_a_foreign_type_does_not_resolve() {
        let (doc, _a, b) = doc();
        let in_second = at(&doc, &b, 2, Assoc::After);
        {
            let mut txn = doc.transact_mut();
            let f = txn.get_or_insert_xml_fragment(FRAGMENT);
            f.remove_range(&mut txn, 1, 1);
        }
        assert_eq!(Positions::of(&doc).resolve(&doc, &in_second), None);
        // A position in another root type.
        let other = doc.get_or_insert_text("other");
        other.insert(&mut doc.transact_mut(), 0, "abc");
        let idx = {
            let txn = doc.transact();
            other.sticky_index(&txn, 1, Assoc::After).unwrap()
        };
        assert_eq!(Positions::of(&doc).resolve(&doc, &idx), None);
        assert_eq!(decode(&[0xff, 0xff]), Err(AnchorError::Malformed));
    }
}
