//! Tree checks of an update against the document it is about to enter.
//!
//! The structural walk ([`super::walk`]) sees one update in isolation. Two
//! failures only show against the document:
//!
//! - **Nesting depth.** yrs deletes and garbage-collects a shared type by
//!   recursing once per nested type, so a chain of ~10,000 nested types
//!   overflows a 2 MiB thread stack (an abort `catch_unwind` cannot stop),
//!   either in the update that builds the chain or in a later, honest
//!   delete. Every shared type the update adds must end up at most
//!   [`MAX_TYPE_DEPTH`] levels deep. Root types are depth 0, a type directly
//!   in a root is depth 1, so the `default` fragment's paragraphs are 1,
//!   their `XmlText`s 2.
//! - **Parents that are not types.** An item naming a non-type item (a
//!   string, say) as its parent makes yrs fail with `InvalidParent` after
//!   part of the update is integrated, so the whole document would have to
//!   be dropped. Such an update is refused before anything is applied.
//!
//! An item's parent is either named (a root, or the id of a type item) or
//! implied: yrs takes the parent of its left neighbour (`origin`), or of
//! its right neighbour when the left one is gone. Neighbours and parents are
//! looked up in the update itself and in the document; yrs keeps the document
//! winning for clocks it already holds, and so does this check.
//!
//! **Pending items.** yrs parks items whose dependencies are missing and
//! integrates them later, inside whichever update supplies the dependency,
//! without asking anyone. So the parked items (the document's pending
//! update) are part of what is looked up, and:
//!
//! - a shared type whose chain of parents ends at a missing item is
//!   accepted only if the levels above that item, counted within the
//!   update and the parked items, stay within the limit (the missing item
//!   counts as depth 0);
//! - when an update would let parked shared types integrate deeper than the
//!   limit, the parked items are dropped before it is applied (the update
//!   itself, which may be an honest edit that happens to supply the missing
//!   item, is applied). Parked content is rare (dependencies delivered out
//!   of order) and a client that still has it sends it again in its next
//!   sync step 2; [`super::ApplyOutcome::dropped_pending`] reports it.
//! - a parked item whose named parent was missing, and turns out to be a
//!   non-type when it arrives, makes yrs fail while it retries the parked
//!   items, after the update itself was integrated (cargo-fuzz);
//!   [`super::apply_update_bytes`] reports that as a success with the parked
//!   items dropped (yrs has already let go of them), not as a corrupt
//!   document.
//!
//! Cost: nothing for an update without shared types and without explicit
//! parent ids (ordinary typing; the walk tells). Otherwise one parse of the
//! update (and of the parked items, when there are any) plus, per shared
//! type, a walk up its ancestors in the document
//! (one step per level, plus the left siblings of a non-XML ancestor). Only
//! when a reference lands on a garbage-collected, deleted or gap block of
//! the document is a diff encoded to see what is there (a few per update at
//! most).

use std::collections::HashMap;

use yrs::branch::BranchPtr;
use yrs::types::xml::XmlOut;
use yrs::{Assoc, BranchID, ClientID, ID, ReadTxn, StateVector, StickyIndex, XmlFragmentRef};

use super::GuardError;
use super::walk;
use crate::lib0::Reader;

/// Deepest shared-type nesting accepted (roots are depth 0). yrs recurses
/// once per level when it deletes or collects a subtree; 256 levels stay far
/// below a 2 MiB stack, and no editor schema nests anywhere near that.
pub const MAX_TYPE_DEPTH: u32 = 256;

const INFO_GC: u8 = 0;
const INFO_SKIP: u8 = 10;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;
const CONTENT_DELETED: u8 = 1;
const CONTENT_STRING: u8 = 4;
const CONTENT_TYPE: u8 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Id {
    client: u64,
    clock: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gc,
    Skip,
    Item(u8),
}

#[derive(Debug, Clone, Copy)]
enum Parent {
    Implied,
    Root,
    Id(Id),
}

#[derive(Debug, Clone, Copy)]
struct Struct {
    client: u64,
    clock: u32,
    len: u32,
    kind: Kind,
    origin: Option<Id>,
    right: Option<Id>,
    parent: Parent,
}

/// Structs of one encoded update, indexed by client and clock.
#[derive(Default)]
struct Parsed {
    structs: Vec<Struct>,
    /// Per client, indices into `structs` in clock order.
    by_client: HashMap<u64, Vec<usize>>,
}

impl Parsed {
    /// The struct holding `id`, if any.
    fn find(&self, id: Id) -> Option<usize> {
        let list = self.by_client.get(&id.client)?;
        let pos =
            list.partition_point(|&i| self.structs.get(i).is_some_and(|s| s.clock <= id.clock));
        let i = *list.get(pos.checked_sub(1)?)?;
        let s = self.structs.get(i)?;
        (u64::from(id.clock) < u64::from(s.clock) + u64::from(s.len)).then_some(i)
    }
}

fn read_id(r: &mut Reader<'_>) -> Result<Id, GuardError> {
    let client = walk::read_client(r)?;
    let clock = r.read_var_u32()?;
    Ok(Id { client, clock })
}

/// Parse a v1 update that already passed [`walk::check_update`].
fn parse(bytes: &[u8]) -> Result<Parsed, GuardError> {
    let mut r = Reader::new(bytes);
    let mut out = Parsed::default();
    let clients = walk::read_count(&mut r, 3)?;
    for _ in 0..clients {
        let n = walk::read_count(&mut r, 2)?;
        let client = walk::read_client(&mut r)?;
        let mut clock = r.read_var_u32()?;
        let list = out.by_client.entry(client).or_default();
        for _ in 0..n {
            let info = r.read_u8()?;
            let mut s = Struct {
                client,
                clock,
                len: 0,
                kind: Kind::Gc,
                origin: None,
                right: None,
                parent: Parent::Implied,
            };
            match info {
                INFO_GC | INFO_SKIP => {
                    s.len = r.read_var_u32()?;
                    if info == INFO_SKIP {
                        s.kind = Kind::Skip;
                    }
                }
                _ => {
                    if info & HAS_ORIGIN != 0 {
                        s.origin = Some(read_id(&mut r)?);
                    }
                    if info & HAS_RIGHT_ORIGIN != 0 {
                        s.right = Some(read_id(&mut r)?);
                    }
                    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
                        s.parent = if r.read_var_u32()? == 1 {
                            r.read_var_string()?;
                            Parent::Root
                        } else {
                            Parent::Id(read_id(&mut r)?)
                        };
                        if info & HAS_PARENT_SUB != 0 {
                            r.read_var_string()?;
                        }
                    }
                    let content = info & 0b1111;
                    s.kind = Kind::Item(content);
                    s.len = if content == CONTENT_STRING {
                        // Clocks count UTF-16 units, as in Yjs.
                        let text = r.read_var_string()?;
                        u32::try_from(text.encode_utf16().count())
                            .map_err(|_| GuardError::Malformed("clock_overflow"))?
                    } else {
                        u32::try_from(walk::check_content(&mut r, content)?)
                            .map_err(|_| GuardError::Malformed("clock_overflow"))?
                    };
                }
            }
            clock = clock
                .checked_add(s.len)
                .ok_or(GuardError::Malformed("clock_overflow"))?;
            list.push(out.structs.len());
            out.structs.push(s);
        }
    }
    Ok(out)
}

/// Where an item ends up: under a type at some depth, nowhere (its parent
/// or neighbour is garbage-collected, so yrs turns it into a GC block), or
/// not yet known (a dependency is missing: yrs keeps it pending), with the
/// depth counted from the missing item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Depth(u32),
    Dead,
    Missing(u32),
}

/// Most document blocks one update may make the check look at directly
/// (each costs an encoding of the rest of that client's blocks).
const MAX_PROBES: usize = 32;

/// Depths are counted up to one past the limit.
const DEPTH_CAP: u32 = MAX_TYPE_DEPTH + 1;

impl Place {
    /// The place of a child of a type at this place.
    fn below(self) -> Place {
        match self {
            Place::Depth(d) => Place::Depth(d.saturating_add(1).min(DEPTH_CAP)),
            Place::Missing(d) => Place::Missing(d.saturating_add(1).min(DEPTH_CAP)),
            Place::Dead => Place::Dead,
        }
    }
}

#[derive(Clone, Copy)]
enum Memo {
    Todo,
    Busy,
    Done(Place),
}

/// One step of evaluating a struct: its place, or another struct of the
/// update that must be evaluated first.
enum Step {
    Ready(Place),
    Need(usize),
}

/// What a document lookup found.
enum DocHit {
    Place(Place),
    /// The document has a gap (skip block) there: look in the update.
    Gap,
}

struct Checker<'t, T: ReadTxn> {
    txn: &'t T,
    sv: StateVector,
    update: Parsed,
    /// The document's parked (pending) items; indices continue after the
    /// update's.
    pending: Parsed,
    /// Blocks of the document looked at so far ([`Checker::probe_kind`]).
    probes: Vec<(Id, Option<Kind>)>,
    memo: Vec<Memo>,
}

/// What the check decided about an acceptable update.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// The parked items would integrate too deep: drop them first.
    pub drop_pending: bool,
}

/// Refuse `bytes` (already walked) if applying them to the document of
/// `txn` would nest a shared type deeper than [`MAX_TYPE_DEPTH`] or name a
/// non-type item as a parent (see the module docs).
pub(crate) fn check<T: ReadTxn>(txn: &T, bytes: &[u8]) -> Result<Verdict, GuardError> {
    let update = parse(bytes)?;
    let pending = match txn.store().pending_update() {
        Some(p) => {
            use yrs::updates::encoder::Encode;
            parse(&p.update.encode_v1())?
        }
        None => Parsed::default(),
    };
    let n = update.structs.len();
    let total = n + pending.structs.len();
    let mut c = Checker {
        txn,
        sv: txn.state_vector(),
        update,
        pending,
        probes: Vec::new(),
        memo: vec![Memo::Todo; total],
    };
    for i in 0..n {
        let Some(s) = c.get(i) else {
            continue;
        };
        let Kind::Item(content) = s.kind else {
            continue;
        };
        // Blocks the document already holds are dropped by yrs unread.
        if u64::from(s.clock) + u64::from(s.len) <= u64::from(c.doc_clock(s.client)) {
            continue;
        }
        let is_type = content == CONTENT_TYPE;
        if !is_type && !matches!(s.parent, Parent::Id(_)) {
            continue;
        }
        // Evaluating validates every named parent on the way.
        let place = c.place_of(i)?;
        if is_type {
            match place.below() {
                Place::Depth(d) | Place::Missing(d) if d > MAX_TYPE_DEPTH => {
                    return Err(GuardError::TypeTooDeep(MAX_TYPE_DEPTH));
                }
                _ => {}
            }
        }
    }
    // Parked shared types whose parent may now arrive must still land
    // within the limit. Lookups that fail are ignored here: yrs' encoding
    // of its pending update is not always aligned (overlapping skip blocks
    // shift the implied clocks), so a wrong answer must not drop anything.
    let mut verdict = Verdict::default();
    for j in n..total {
        if c.get(j).is_some_and(|s| s.kind == Kind::Item(CONTENT_TYPE))
            && let Ok(Place::Depth(d)) = c.place_of(j).map(Place::below)
            && d > MAX_TYPE_DEPTH
        {
            verdict.drop_pending = true;
            break;
        }
    }
    Ok(verdict)
}

impl<T: ReadTxn> Checker<'_, T> {
    /// Struct `i` of the update, or of the parked items past its end.
    fn get(&self, i: usize) -> Option<Struct> {
        let n = self.update.structs.len();
        if i < n {
            self.update.structs.get(i).copied()
        } else {
            self.pending.structs.get(i - n).copied()
        }
    }

    /// The struct holding `id`, in the update first, then the parked items.
    fn find(&self, id: Id) -> Option<usize> {
        self.update
            .find(id)
            .or_else(|| self.pending.find(id).map(|j| j + self.update.structs.len()))
    }

    fn doc_clock(&self, client: u64) -> u32 {
        self.sv.get(&ClientID::new(client))
    }

    /// Whether the document holds a block at `id`. The state vector stops
    /// at the first gap of a client (blocks integrated out of order sit
    /// after a skip block), while yrs resolves ids up to the client's last
    /// block, so blocks past a gap are looked up directly.
    fn in_doc(&self, id: Id) -> bool {
        id.clock < self.doc_clock(id.client)
            || BranchID::get_nested(self.txn, &Self::yid(id)).is_some()
            || StickyIndex::from_id(Self::yid(id), Assoc::After)
                .get_offset(self.txn)
                .is_some()
    }

    fn yid(id: Id) -> ID {
        ID::new(ClientID::new(id.client), id.clock)
    }

    /// The place (parent depth) of update struct `i`, evaluated without
    /// recursion: update-internal chains may be as long as the update.
    fn place_of(&mut self, i: usize) -> Result<Place, GuardError> {
        if let Some(Memo::Done(p)) = self.memo.get(i) {
            return Ok(*p);
        }
        let mut stack = vec![i];
        if let Some(m) = self.memo.get_mut(i) {
            *m = Memo::Busy;
        }
        while let Some(&top) = stack.last() {
            match self.step(top)? {
                Step::Ready(p) => {
                    if let Some(m) = self.memo.get_mut(top) {
                        *m = Memo::Done(p);
                    }
                    stack.pop();
                }
                Step::Need(j) => {
                    if let Some(m) = self.memo.get_mut(j) {
                        *m = Memo::Busy;
                    }
                    stack.push(j);
                }
            }
        }
        Ok(match self.memo.get(i) {
            Some(Memo::Done(p)) => *p,
            _ => Place::Missing(0),
        })
    }

    /// The memoised place of update struct `j`; a struct still being
    /// evaluated is a cycle, which yrs cannot integrate either.
    fn memo_of(&self, j: usize) -> Option<Place> {
        match self.memo.get(j) {
            Some(Memo::Done(p)) => Some(*p),
            Some(Memo::Busy) => Some(Place::Missing(0)),
            _ => None,
        }
    }

    fn step(&mut self, i: usize) -> Result<Step, GuardError> {
        let Some(s) = self.get(i) else {
            return Ok(Step::Ready(Place::Missing(0)));
        };
        match s.parent {
            Parent::Root => Ok(Step::Ready(Place::Depth(0))),
            Parent::Id(p) => self.type_depth(p),
            Parent::Implied => {
                let left = match s.origin {
                    Some(o) => match self.neighbour(o)? {
                        Step::Ready(p) => Some(p),
                        need => return Ok(need),
                    },
                    None => None,
                };
                let right = match s.right {
                    Some(o) => match self.neighbour(o)? {
                        Step::Ready(p) => Some(p),
                        need => return Ok(need),
                    },
                    None => None,
                };
                // yrs waits for both neighbours, then takes the left one's
                // parent, or the right one's when the left is gone.
                let missing = |p: Option<Place>| match p {
                    Some(Place::Missing(d)) => Some(d),
                    _ => None,
                };
                let place = match (left, right) {
                    _ if missing(left).is_some() || missing(right).is_some() => {
                        Place::Missing(missing(left).unwrap_or(0).max(missing(right).unwrap_or(0)))
                    }
                    (Some(Place::Depth(d)), _) | (_, Some(Place::Depth(d))) => Place::Depth(d),
                    _ => Place::Dead,
                };
                Ok(Step::Ready(place))
            }
        }
    }

    /// The depth of the type item named as a parent by `p`.
    fn type_depth(&mut self, p: Id) -> Result<Step, GuardError> {
        if self.in_doc(p) {
            match self.doc_type_depth(p)? {
                DocHit::Place(place) => return Ok(Step::Ready(place)),
                DocHit::Gap => {}
            }
        }
        let Some(j) = self.find(p) else {
            return Ok(Step::Ready(Place::Missing(0)));
        };
        let kind = self.get(j).map(|s| s.kind);
        match kind {
            Some(Kind::Item(CONTENT_TYPE)) => match self.memo_of(j) {
                Some(place) => Ok(Step::Ready(place.below())),
                None => Ok(Step::Need(j)),
            },
            Some(Kind::Item(CONTENT_DELETED) | Kind::Gc) => Ok(Step::Ready(Place::Dead)),
            Some(Kind::Skip) | None => Ok(Step::Ready(Place::Missing(0))),
            // A parked item is not trusted to be what it seems (see
            // `check`): it stays unknown.
            Some(Kind::Item(_)) if j >= self.update.structs.len() => {
                Ok(Step::Ready(Place::Missing(0)))
            }
            Some(Kind::Item(_)) => Err(GuardError::Malformed("invalid_parent")),
        }
    }

    /// The place of the item holding `o` (an item's left or right origin).
    fn neighbour(&mut self, o: Id) -> Result<Step, GuardError> {
        if self.in_doc(o) {
            match self.doc_parent_depth(o)? {
                DocHit::Place(place) => return Ok(Step::Ready(place)),
                DocHit::Gap => {}
            }
        }
        let Some(j) = self.find(o) else {
            return Ok(Step::Ready(Place::Missing(0)));
        };
        match self.get(j).map(|s| s.kind) {
            Some(Kind::Item(_)) => match self.memo_of(j) {
                Some(place) => Ok(Step::Ready(place)),
                None => Ok(Step::Need(j)),
            },
            Some(Kind::Gc) => Ok(Step::Ready(Place::Dead)),
            Some(Kind::Skip) | None => Ok(Step::Ready(Place::Missing(0))),
        }
    }

    /// Depth of the document's type item at `p`, or why there is none.
    fn doc_type_depth(&mut self, p: Id) -> Result<DocHit, GuardError> {
        if let Some(branch) = BranchID::get_nested(self.txn, &Self::yid(p)) {
            return Ok(DocHit::Place(Place::Depth(self.branch_depth(branch))));
        }
        match self.probe_kind(p)? {
            Some(Kind::Skip) => Ok(DocHit::Gap),
            // yrs turns children of a collected type into GC blocks.
            Some(Kind::Gc | Kind::Item(CONTENT_DELETED | CONTENT_TYPE)) | None => {
                Ok(DocHit::Place(Place::Dead))
            }
            Some(Kind::Item(_)) => Err(GuardError::Malformed("invalid_parent")),
        }
    }

    /// Depth of the parent of the document's item holding `o`.
    fn doc_parent_depth(&mut self, o: Id) -> Result<DocHit, GuardError> {
        let offset = StickyIndex::from_id(Self::yid(o), Assoc::After).get_offset(self.txn);
        if let Some(offset) = offset {
            return Ok(DocHit::Place(Place::Depth(
                self.branch_depth(offset.branch),
            )));
        }
        match self.probe_kind(o)? {
            Some(Kind::Skip) => Ok(DocHit::Gap),
            _ => Ok(DocHit::Place(Place::Dead)),
        }
    }

    /// Nesting depth of a document branch (roots are 0), counted up to
    /// `MAX_TYPE_DEPTH + 1`.
    fn branch_depth(&self, mut branch: BranchPtr) -> u32 {
        let mut depth = 0;
        while depth <= MAX_TYPE_DEPTH {
            let BranchID::Nested(id) = branch.id() else {
                return depth;
            };
            depth += 1;
            match self.parent_branch(branch, id) {
                Some(parent) => branch = parent,
                // Detached (its ancestry was collected): no deeper than this.
                None => return depth,
            }
        }
        depth
    }

    /// The branch a nested type lives in. XML parents are one pointer away;
    /// any other parent is found through a sticky index on the type's item.
    fn parent_branch(&self, branch: BranchPtr, id: ID) -> Option<BranchPtr> {
        let xml_parent = XmlFragmentRef::from(branch).parent().map(|p| match p {
            XmlOut::Element(e) => BranchPtr::from(AsRef::<yrs::branch::Branch>::as_ref(&e)),
            XmlOut::Fragment(f) => BranchPtr::from(AsRef::<yrs::branch::Branch>::as_ref(&f)),
            XmlOut::Text(t) => BranchPtr::from(AsRef::<yrs::branch::Branch>::as_ref(&t)),
        });
        xml_parent.or_else(|| {
            StickyIndex::from_id(id, Assoc::After)
                .get_offset(self.txn)
                .map(|o| o.branch)
        })
    }

    /// What kind of block the document holds at `id`: the first struct of
    /// a diff against the document's own state vector with `id`'s client
    /// set back to `id`'s clock, which yrs writes starting exactly at that
    /// clock. (Only that first struct is trusted: yrs does not always keep
    /// the blocks after a gap aligned in an encoding.) Made only for
    /// references to collected, deleted or missing blocks, which ordinary
    /// edits do not make; at most [`MAX_PROBES`] per update.
    fn probe_kind(&mut self, id: Id) -> Result<Option<Kind>, GuardError> {
        if let Some((_, kind)) = self.probes.iter().find(|(p, _)| *p == id) {
            return Ok(*kind);
        }
        if self.probes.len() >= MAX_PROBES {
            return Err(GuardError::TooLarge("dead_references"));
        }
        let mut sv = self.sv.clone();
        sv.set_min(ClientID::new(id.client), id.clock);
        let diff = self.txn.encode_diff_v1(&sv);
        let parsed = parse(&diff)?;
        let mut kind = parsed
            .by_client
            .get(&id.client)
            .and_then(|list| list.first())
            .and_then(|&i| parsed.structs.get(i))
            .filter(|s| s.clock == id.clock)
            .map(|s| s.kind);
        if kind.is_none() {
            // Past a gap the diff has nothing (it starts from the state
            // vector); the full encoding lists every block of the client.
            let full = parse(&self.txn.encode_diff_v1(&StateVector::default()))?;
            kind = full
                .find(id)
                .and_then(|i| full.structs.get(i))
                .map(|s| s.kind);
        }
        self.probes.push((id, kind));
        Ok(kind)
    }
}

#[cfg(test)]
mod tests;
