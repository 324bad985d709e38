//! A few freed multi-page blocks, kept for the next request of their size.
//!
//! A block of more than one page is a run of pages of its own, from the page
//! source. Freed, it used to go straight back. But the kernel allocates and
//! frees the same large buffer again and again (a 64 KiB buffer for every
//! `read` or `write` of a file or pipe), and the kernel's source maps,
//! zeroes, unmaps and flushes from the TLB every page of it each time: a
//! quarter of a pipe benchmark's time went there. So up to [`SPARE_RUNS`]
//! freed runs of at most [`MAX_SPARE_RUN`] pages wait here, each with its
//! page count, for a request of exactly that many pages. A new one that
//! finds the slots full takes the place of the oldest, which goes back to
//! the source. The cap bounds what the heap hoards: 4 runs of up to 64
//! pages, 1 MiB. The heap's `trim` (and a failed allocation) empties it.
//!
//! Nothing is written into a kept run, so its pages keep whatever the last
//! owner left there: like any heap memory, a new block's contents are
//! undefined until written.

use core::ptr::NonNull;

/// How many freed runs are kept at most.
pub const SPARE_RUNS: usize = 4;
/// The largest run kept, in pages (larger ones go back at once).
pub const MAX_SPARE_RUN: usize = 64;

/// The kept runs, oldest first.
pub(crate) struct SpareRuns {
    runs: [Option<(NonNull<u8>, usize)>; SPARE_RUNS],
}

impl SpareRuns {
    pub(crate) const fn new() -> Self {
        SpareRuns {
            runs: [None; SPARE_RUNS],
        }
    }

    /// A kept run of exactly `count` pages (the newest such), if any.
    #[inline]
    pub(crate) fn take(&mut self, count: usize) -> Option<NonNull<u8>> {
        let slot = self
            .runs
            .iter()
            .rposition(|run| run.is_some_and(|(_, n)| n == count))?;
        let (pages, _) = self.runs[slot].take()?;
        // Keep the others in age order, the free slot at the end.
        self.runs[slot..].rotate_left(1);
        Some(pages)
    }

    /// Keeps the freed run `pages` of `count` pages. Returns the run that
    /// must go back to the source now: this one if it is too large, else the
    /// oldest kept one if every slot was taken, else none.
    #[inline]
    pub(crate) fn keep(
        &mut self,
        pages: NonNull<u8>,
        count: usize,
    ) -> Option<(NonNull<u8>, usize)> {
        if count > MAX_SPARE_RUN {
            return Some((pages, count));
        }
        let evicted = if self.runs[SPARE_RUNS - 1].is_some() {
            let oldest = self.runs[0].take();
            self.runs.rotate_left(1);
            oldest
        } else {
            None
        };
        let free = self.runs.iter().position(Option::is_none)?;
        self.runs[free] = Some((pages, count));
        evicted
    }

    /// Takes one kept run (for giving everything back), if any.
    pub(crate) fn pop(&mut self) -> Option<(NonNull<u8>, usize)> {
        let last = self.runs.iter().rposition(Option::is_some)?;
        self.runs[last].take()
    }

    /// Whether no run is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.runs.iter().all(Option::is_none)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(address: usize) -> NonNull<u8> {
        NonNull::new(address as *mut u8).unwrap()
    }

    #[test]
    fn a_run_is_taken_back_only_for_its_own_size() {
        let mut spare = SpareRuns::new();
        assert_eq!(spare.keep(at(0x10000), 16), None);
        assert_eq!(spare.take(8), None);
        assert_eq!(spare.take(16), Some(at(0x10000)));
        assert_eq!(spare.take(16), None);
        assert!(spare.is_empty());
    }

    #[test]
    fn the_oldest_goes_back_when_the_slots_are_full() {
        let mut spare = SpareRuns::new();
        for i in 0..SPARE_RUNS {
            assert_eq!(spare.keep(at(0x1000 * (i + 1)), 2 + i), None);
        }
        assert_eq!(spare.keep(at(0x9000), 3), Some((at(0x1000), 2)));
        // The newest of two runs of the same size comes first.
        assert_eq!(spare.take(3), Some(at(0x9000)));
        assert_eq!(spare.take(3), Some(at(0x2000)));
        let mut rest = Vec::new();
        while let Some(run) = spare.pop() {
            rest.push(run);
        }
        rest.sort_by_key(|&(_, n)| n);
        assert_eq!(rest, [(at(0x3000), 4), (at(0x4000), 5)]);
    }

    #[test]
    fn runs_too_large_are_not_kept() {
        let mut spare = SpareRuns::new();
        let big = MAX_SPARE_RUN + 1;
        assert_eq!(spare.keep(at(0x1000), big), Some((at(0x1000), big)));
        assert!(spare.is_empty());
    }

    /// Against a model (a list in age order) under random keeps and takes.
    #[test]
    fn random_keeps_and_takes_match_a_model() {
        let mut rng = xorshift::XorShift64(0x5a4e);
        let mut spare = SpareRuns::new();
        let mut model: Vec<(NonNull<u8>, usize)> = Vec::new();
        let mut next = 1;
        for _ in 0..10_000 {
            let count = 2 + rng.below(4);
            if rng.below(2) == 0 {
                let pages = at(next * 0x1000);
                next += 1;
                let expected = if model.len() == SPARE_RUNS {
                    Some(model.remove(0))
                } else {
                    None
                };
                model.push((pages, count));
                assert_eq!(spare.keep(pages, count), expected);
            } else {
                let expected = model
                    .iter()
                    .rposition(|&(_, n)| n == count)
                    .map(|i| model.remove(i).0);
                assert_eq!(spare.take(count), expected);
            }
        }
    }
}
