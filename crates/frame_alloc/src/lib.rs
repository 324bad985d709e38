//! A physical frame allocator: which 4 KiB frames of RAM are free?
//!
//! # The data structure: a two-level bitmap
//!
//! Physical memory is handed out in *frames* of [`FRAME_SIZE`] bytes, numbered
//! from 0 (frame `n` starts at physical address `n * 4096`). The allocator keeps
//! one bit per frame: **1 = free**, 0 = used or not RAM at all. Bits are packed
//! into `u64` words, so frame `n` is bit `n % 64` of word `n / 64`.
//!
//! Searching a flat bitmap for a free frame can mean reading every word. A second,
//! much smaller bitmap (the *summary*) fixes that: bit `w` of the summary is 1
//! exactly when word `w` of the bitmap has at least one free frame. One summary
//! word therefore covers 64 × 64 = 4096 frames (16 MiB), and finding a free frame
//! takes one scan of the summary (9 words for 128 MiB of RAM, 576 words for 9 GiB)
//! followed by `trailing_zeros` on two words. A hint remembers the lowest summary
//! word that may have a free frame, so the common case reads a single word.
//! Freeing sets one bit in each level: O(1).
//!
//! Contiguous runs (for DMA buffers and 2 MiB huge pages) are found by trying
//! aligned start frames and jumping past the first used frame in each candidate
//! run. Whole words are checked at once, so a free 512-frame run costs 8 words.
//!
//! # Why a bitmap
//!
//! It needs no heap and no pointers into the free memory itself: its storage is
//! one plain `&mut [u64]` whose size depends only on the highest frame number
//! ([`storage_words`]: 32 KiB of bitmap plus 512 bytes of summary per GiB of
//! physical address space, so 4 KiB for 64 MiB and 290 KiB for 9 GiB). The kernel
//! carves that storage out of the first large-enough free RAM before anything
//! else runs. A buddy allocator
//! would give O(log n) contiguous runs of any power-of-two size, but runs are
//! rare in this kernel and the bitmap is easier to check.
//!
//! # Invariants
//!
//! - `summary` bit `w` is set if and only if `words[w] != 0`.
//! - `free` is the number of set bits in `words`; `usable` is the number of
//!   frames ever made free by [`FrameAllocator::add_free`], minus reservations.
//! - Bits beyond `frames` are always 0, so they can never be handed out.
//! - [`FrameAllocator::free`] refuses frames that are not allocated (double frees
//!   and frames that were never RAM), so no frame can be handed out twice.
#![no_std]
#![forbid(unsafe_code)]

use core::ops::Range;

/// Bytes per frame.
pub const FRAME_SIZE: u64 = 4096;

const BITS: usize = u64::BITS as usize;

/// How many `u64`s of storage a bitmap for frames `0..frames` needs.
pub const fn storage_words(frames: usize) -> usize {
    let words = frames.div_ceil(BITS);
    words + words.div_ceil(BITS)
}

/// Why [`FrameAllocator::free`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The frame is already free (a double free) or was never usable RAM.
    NotAllocated(usize),
    /// The frame number is beyond the end of the bitmap.
    OutOfRange(usize),
}

/// The storage slice passed to [`FrameAllocator::new`] is too short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageTooSmall {
    pub needed: usize,
    pub given: usize,
}

/// Counters for reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Frames the allocator manages (free or handed out).
    pub usable: usize,
    /// Frames free right now.
    pub free: usize,
}

/// The bitmap allocator over frames `0..frames`. See the module documentation.
pub struct FrameAllocator<'a> {
    words: &'a mut [u64],
    summary: &'a mut [u64],
    frames: usize,
    free: usize,
    usable: usize,
    /// No summary word below this index has a set bit.
    hint: usize,
}

impl<'a> FrameAllocator<'a> {
    /// An allocator for frames `0..frames` in which every frame is used; call
    /// [`add_free`](Self::add_free) for each range of usable RAM.
    pub fn new(storage: &'a mut [u64], frames: usize) -> Result<Self, StorageTooSmall> {
        let needed = storage_words(frames);
        if storage.len() < needed {
            return Err(StorageTooSmall {
                needed,
                given: storage.len(),
            });
        }
        let (words, rest) = storage[..needed].split_at_mut(frames.div_ceil(BITS));
        words.fill(0);
        rest.fill(0);
        Ok(FrameAllocator {
            words,
            summary: rest,
            frames,
            free: 0,
            usable: 0,
            hint: 0,
        })
    }

    /// Marks `range` free (clamped to the bitmap). Frames that are already free
    /// stay free and are not counted twice.
    pub fn add_free(&mut self, range: Range<usize>) {
        let changed = self.set_range(range, true);
        self.free += changed;
        self.usable += changed;
    }

    /// Takes the free frames in `range` out of the allocator for good (for the
    /// bitmap's own storage, say). Returns how many were free.
    pub fn reserve(&mut self, range: Range<usize>) -> usize {
        let changed = self.set_range(range, false);
        self.free -= changed;
        self.usable -= changed;
        changed
    }

    /// The lowest free frame, now allocated; `None` when no frame is free.
    pub fn alloc(&mut self) -> Option<usize> {
        let frame = self.next_free(self.hint * BITS * BITS)?;
        self.take(frame);
        Some(frame)
    }

    /// `count` consecutive free frames whose first frame number is a multiple of
    /// `align` (a power of two), now allocated. `None` if there is no such run.
    pub fn alloc_contiguous(&mut self, count: usize, align: usize) -> Option<usize> {
        assert!(
            align.is_power_of_two(),
            "alignment {align} is not a power of two"
        );
        if count == 0 {
            return None;
        }
        let mut from = self.hint * BITS * BITS;
        loop {
            let start = self.next_free(from)?.checked_next_multiple_of(align)?;
            let end = start.checked_add(count)?;
            if end > self.frames {
                return None;
            }
            match self.first_used(start..end) {
                None => {
                    self.set_range(start..end, false);
                    self.free -= count;
                    return Some(start);
                }
                Some(used) => from = used + 1,
            }
        }
    }

    /// Gives `frame` back.
    pub fn free(&mut self, frame: usize) -> Result<(), FreeError> {
        self.free_contiguous(frame, 1)
    }

    /// Gives back `count` frames starting at `start`. Nothing changes unless all
    /// of them are allocated.
    pub fn free_contiguous(&mut self, start: usize, count: usize) -> Result<(), FreeError> {
        let end = start.saturating_add(count);
        if end > self.frames {
            return Err(FreeError::OutOfRange(end - 1));
        }
        if let Some(free) = (start..end).find(|&f| self.is_free(f)) {
            return Err(FreeError::NotAllocated(free));
        }
        self.set_range(start..end, true);
        self.free += count;
        Ok(())
    }

    /// Whether `frame` is free right now.
    pub fn is_free(&self, frame: usize) -> bool {
        frame < self.frames && self.words[frame / BITS] & (1 << (frame % BITS)) != 0
    }

    /// Free and usable frame counts.
    pub fn stats(&self) -> Stats {
        Stats {
            usable: self.usable,
            free: self.free,
        }
    }

    /// The number of frames the bitmap covers (free or not).
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Marks one free frame allocated.
    fn take(&mut self, frame: usize) {
        let w = frame / BITS;
        self.words[w] &= !(1 << (frame % BITS));
        self.free -= 1;
        if self.words[w] == 0 {
            self.summary[w / BITS] &= !(1 << (w % BITS));
        }
    }

    /// The lowest free frame at or above `from`.
    fn next_free(&mut self, from: usize) -> Option<usize> {
        if from >= self.frames {
            return None;
        }
        // First the word holding `from`, masked to frames >= from.
        let w = from / BITS;
        let bits = self.words[w] & (!0 << (from % BITS));
        if bits != 0 {
            return Some(w * BITS + bits.trailing_zeros() as usize);
        }
        // Then the summary, from the word after `w` on.
        let mut s = (w + 1) / BITS;
        let mut mask = !0u64 << ((w + 1) % BITS);
        let scanned_from_hint = from <= self.hint * BITS * BITS;
        while s < self.summary.len() {
            let bits = self.summary[s] & mask;
            if bits != 0 {
                if scanned_from_hint {
                    self.hint = s;
                }
                let word = s * BITS + bits.trailing_zeros() as usize;
                return Some(word * BITS + self.words[word].trailing_zeros() as usize);
            }
            mask = !0;
            s += 1;
        }
        if scanned_from_hint {
            self.hint = self.summary.len();
        }
        None
    }

    /// The first used frame in `range`, if any.
    fn first_used(&self, range: Range<usize>) -> Option<usize> {
        let mut frame = range.start;
        while frame < range.end {
            let (w, bit) = (frame / BITS, frame % BITS);
            let span = (BITS - bit).min(range.end - frame);
            let used = !self.words[w] & mask(bit, span);
            if used != 0 {
                return Some(w * BITS + used.trailing_zeros() as usize);
            }
            frame += span;
        }
        None
    }

    /// Sets (free) or clears (used) the bits of `range`, clamped to the bitmap,
    /// keeping the summary and hint in step. Returns how many bits changed.
    fn set_range(&mut self, range: Range<usize>, free: bool) -> usize {
        let end = range.end.min(self.frames);
        let mut frame = range.start;
        let mut changed = 0;
        while frame < end {
            let (w, bit) = (frame / BITS, frame % BITS);
            let span = (BITS - bit).min(end - frame);
            let m = mask(bit, span);
            let old = self.words[w];
            let new = if free { old | m } else { old & !m };
            changed += (old ^ new).count_ones() as usize;
            self.words[w] = new;
            let summary_bit = 1 << (w % BITS);
            if new == 0 {
                self.summary[w / BITS] &= !summary_bit;
            } else {
                self.summary[w / BITS] |= summary_bit;
                self.hint = self.hint.min(w / BITS);
            }
            frame += span;
        }
        changed
    }
}

/// `span` one-bits starting at bit `bit` (`bit + span <= 64`, `span >= 1`).
fn mask(bit: usize, span: usize) -> u64 {
    let ones = if span == BITS { !0 } else { (1u64 << span) - 1 };
    ones << bit
}
