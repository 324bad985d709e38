//! A directory's names in numbered slots, so that a listing can be resumed
//! from a number at O(1) cost per slot.
//!
//! `getdents64` lists a directory in several calls, and between them the
//! kernel keeps only a number, the file position. A listing by name order
//! would have to find "the n-th name" each time, which costs n steps: a
//! directory of 10,000 names took 50 million. Here every name sits in a
//! slot of a vector and keeps that slot while it exists, and the position
//! is the slot number: resuming is an index, and the next name is the next
//! occupied slot.
//!
//! ```text
//!   slots:  0      1      2      3      4
//!          [a:12] [ -- ] [c:40] [d:41] [ -- ]     free: 1 (4 trimmed)
//!   index:  a -> 0, c -> 2, d -> 3                (a name's slot)
//! ```
//!
//! A removed name leaves an empty slot, which the next new name reuses (so
//! the vector does not grow with churn), and empty slots at the end are
//! dropped. That gives what a listing promises while names come and go
//! (as POSIX's `readdir` does): a name present for the whole listing is
//! listed exactly once, because it never moves; a name added or removed
//! meanwhile may or may not be listed.

use crate::filesystem::Ino;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// One occupied slot: a name and its inode.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    name: Vec<u8>,
    ino: Ino,
}

/// The names of one directory (see the module docs).
#[derive(Debug, Default)]
pub struct DirSlots {
    slots: Vec<Option<Entry>>,
    /// Each name's slot.
    index: BTreeMap<Vec<u8>, usize>,
    /// Empty slots below `slots.len()`, to reuse.
    free: Vec<usize>,
}

impl DirSlots {
    pub fn new() -> DirSlots {
        DirSlots::default()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn contains(&self, name: &[u8]) -> bool {
        self.index.contains_key(name)
    }

    /// The inode `name` names.
    pub fn get(&self, name: &[u8]) -> Option<Ino> {
        let slot = *self.index.get(name)?;
        self.slots[slot].as_ref().map(|e| e.ino)
    }

    /// Names `ino` as `name`: a name already there points to `ino` now (it
    /// keeps its slot); a new name takes an empty slot or a new one.
    pub fn insert(&mut self, name: &[u8], ino: Ino) {
        if let Some(&slot) = self.index.get(name) {
            if let Some(entry) = self.slots[slot].as_mut() {
                entry.ino = ino;
            }
            return;
        }
        let entry = Some(Entry {
            name: name.to_vec(),
            ino,
        });
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = entry;
                slot
            }
            None => {
                self.slots.push(entry);
                self.slots.len() - 1
            }
        };
        self.index.insert(name.to_vec(), slot);
    }

    /// Removes `name`; returns the inode it named.
    pub fn remove(&mut self, name: &[u8]) -> Option<Ino> {
        let slot = self.index.remove(name)?;
        let entry = self.slots[slot].take()?;
        self.free.push(slot);
        self.trim();
        Some(entry.ino)
    }

    /// Drops the empty slots at the end (and forgets them as free).
    fn trim(&mut self) {
        let before = self.slots.len();
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        if self.slots.len() < before {
            let end = self.slots.len();
            self.free.retain(|&slot| slot < end);
        }
    }

    /// The first name at slot `from` or after: its slot, name and inode.
    pub fn next_from(&self, from: usize) -> Option<(usize, &[u8], Ino)> {
        let rest = self.slots.get(from..)?;
        rest.iter().enumerate().find_map(|(i, slot)| {
            let entry = slot.as_ref()?;
            Some((from + i, entry.name.as_slice(), entry.ino))
        })
    }

    /// Every name and its inode, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Ino)> {
        self.slots
            .iter()
            .flatten()
            .map(|e| (e.name.as_slice(), e.ino))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;
    use alloc::format;
    use xorshift::XorShift64;

    fn name(n: u64) -> Vec<u8> {
        format!("n{n}").into_bytes()
    }

    #[test]
    fn names_keep_their_slots_and_empty_ones_are_reused() {
        let mut dir = DirSlots::new();
        dir.insert(b"a", 10);
        dir.insert(b"b", 11);
        dir.insert(b"c", 12);
        assert_eq!(dir.remove(b"b"), Some(11));
        assert_eq!(dir.next_from(1), Some((2, &b"c"[..], 12)));
        dir.insert(b"d", 13);
        assert_eq!(
            dir.next_from(1),
            Some((1, &b"d"[..], 13)),
            "b's slot reused"
        );
        dir.insert(b"a", 20);
        assert_eq!(dir.next_from(0), Some((0, &b"a"[..], 20)), "same slot");
        assert_eq!(dir.remove(b"c"), Some(12));
        assert_eq!(dir.next_from(2), None);
        assert_eq!(dir.slots.len(), 2, "the empty slot at the end is dropped");
        assert_eq!(dir.remove(b"zz"), None);
        assert_eq!(dir.len(), 2);
    }

    /// Random inserts and removes against a `BTreeMap` model; the slots never
    /// outgrow the most names ever present at once.
    #[test]
    fn behaves_like_a_map() {
        let mut rng = XorShift64(7);
        let mut dir = DirSlots::new();
        let mut model = BTreeMap::new();
        let mut most = 0;
        for _ in 0..20_000 {
            let n = name(rng.next() % 300);
            if rng.next().is_multiple_of(3) {
                assert_eq!(dir.remove(&n), model.remove(&n));
            } else {
                let ino = rng.next();
                dir.insert(&n, ino);
                model.insert(n.clone(), ino);
            }
            most = most.max(model.len());
            assert_eq!(dir.len(), model.len());
            assert_eq!(dir.get(&n), model.get(&n).copied());
            assert!(dir.slots.len() <= most);
        }
        let mut listed: Vec<(Vec<u8>, Ino)> = dir.iter().map(|(n, i)| (n.to_vec(), i)).collect();
        listed.sort();
        let expected: Vec<(Vec<u8>, Ino)> = model.into_iter().collect();
        assert_eq!(listed, expected);
    }

    /// A listing resumed from slot numbers while names come and go lists
    /// every name present throughout exactly once, and nothing that was
    /// never there.
    #[test]
    fn a_listing_survives_concurrent_changes() {
        let mut rng = XorShift64(99);
        for round in 0..200 {
            let mut dir = DirSlots::new();
            let mut next = 0u64;
            for _ in 0..rng.next() % 100 {
                dir.insert(&name(next), next);
                next += 1;
            }
            let at_start: BTreeSet<Vec<u8>> = dir.iter().map(|(n, _)| n.to_vec()).collect();
            let mut ever: BTreeSet<Vec<u8>> = at_start.clone();
            let mut removed: BTreeSet<Vec<u8>> = BTreeSet::new();
            let mut seen: Vec<Vec<u8>> = Vec::new();
            let mut cursor = 0;
            while let Some((slot, n, _)) = dir.next_from(cursor) {
                seen.push(n.to_vec());
                cursor = slot + 1;
                // Between two entries, some creates and unlinks.
                for _ in 0..rng.next() % 3 {
                    if rng.next().is_multiple_of(2) {
                        dir.insert(&name(next), next);
                        ever.insert(name(next));
                        next += 1;
                    } else if !dir.is_empty() {
                        let victim = dir.iter().nth((rng.next() as usize) % dir.len());
                        let victim = victim.map(|(n, _)| n.to_vec()).unwrap();
                        dir.remove(&victim);
                        removed.insert(victim);
                    }
                }
            }
            for n in at_start.difference(&removed) {
                let times = seen.iter().filter(|s| *s == n).count();
                assert_eq!(times, 1, "round {round}: {n:?} listed {times} times");
            }
            for n in &seen {
                assert!(ever.contains(n), "round {round}: {n:?} never existed");
            }
            let unique: BTreeSet<&Vec<u8>> = seen.iter().collect();
            assert_eq!(unique.len(), seen.len(), "round {round}: a name twice");
        }
    }
}
