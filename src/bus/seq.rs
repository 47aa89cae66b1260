//! Per-document message sequences: the numbers a room stamps on what it
//! publishes, and gap detection on what it receives from each instance.

use std::collections::HashMap;

/// What receiving a message says about the sender's sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// The first message seen from this sender, or the next one.
    InOrder,
    /// Messages were lost (or reordered) in between: the receiver asks for
    /// a state-vector exchange, answered with a repair.
    Gap,
}

/// One room's side of the sequences: its own counter and the last sequence
/// seen from every other instance.
#[derive(Default)]
pub struct Sequences {
    next: u64,
    seen: HashMap<String, u64>,
}

impl Sequences {
    /// The sequence of the next message this room publishes (from 1).
    pub fn next_seq(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// Records `seq` from `sender`.
    pub fn receive(&mut self, sender: &str, seq: u64) -> Received {
        let last = self.seen.insert(sender.to_string(), seq).unwrap_or(0);
        if last != 0 && seq != last + 1 {
            Received::Gap
        } else {
            Received::InOrder
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_sequence_starts_at_one() {
        let mut s = Sequences::default();
        assert_eq!(s.next_seq(), 1);
        assert_eq!(s.next_seq(), 2);
    }

    #[test]
    fn a_skipped_number_is_a_gap_per_sender() {
        let mut s = Sequences::default();
        // Joining mid-stream: the first number seen is never a gap.
        assert_eq!(s.receive("a", 7), Received::InOrder);
        assert_eq!(s.receive("a", 8), Received::InOrder);
        assert_eq!(s.receive("b", 1), Received::InOrder);
        assert_eq!(s.receive("a", 10), Received::Gap);
        // Counting resumes from the number seen.
        assert_eq!(s.receive("a", 11), Received::InOrder);
        assert_eq!(s.receive("b", 2), Received::InOrder);
        // A repeat or a number going back is a gap too.
        assert_eq!(s.receive("b", 2), Received::Gap);
    }
}
