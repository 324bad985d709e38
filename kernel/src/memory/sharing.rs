//! Shared frames: how many mappings point at one physical frame.
//!
//! After `fork`, parent and child map the same frames (read-only, see
//! `copy_on_write`). A frame may be freed only when its *last* mapping goes,
//! so the kernel counts mappings per frame. Most user frames are mapped
//! once, so only frames mapped more than once are remembered: a frame
//! missing from the table has exactly one mapping. The table is a sorted
//! map from frame number to count (always 2 or more), which stays small and
//! is empty again (its memory given back) when no frame is shared.
//!
//! Lock order: this table's lock before the frame allocator's ([`release`]
//! frees frames while holding it).

use super::frames;
use crate::sync::{IrqMutex, IrqMutexGuard};
use alloc::collections::BTreeMap;
use x86_64::structures::paging::PhysFrame;

static SHARED: IrqMutex<BTreeMap<u64, u32>> = IrqMutex::new(BTreeMap::new());

fn number(frame: PhysFrame) -> u64 {
    frame.start_address().as_u64() / 4096
}

/// The counts, locked: for a caller that must look and change in one step.
pub struct Counts(IrqMutexGuard<'static, BTreeMap<u64, u32>>);

/// Locks the counts.
pub fn lock() -> Counts {
    Counts(SHARED.lock())
}

impl Counts {
    /// How many mappings point at `frame` (1 if it is not shared).
    pub fn count(&self, frame: PhysFrame) -> u32 {
        self.0.get(&number(frame)).copied().unwrap_or(1)
    }

    /// Notes one more mapping of `frame`.
    pub fn share(&mut self, frame: PhysFrame) {
        *self.0.entry(number(frame)).or_insert(1) += 1;
    }

    /// Notes that one mapping of `frame` went; frees the frame if it was
    /// the last. Returns whether it was.
    pub fn release(&mut self, frame: PhysFrame) -> bool {
        let n = number(frame);
        match self.0.get_mut(&n) {
            Some(count) => {
                *count -= 1;
                if *count == 1 {
                    self.0.remove(&n);
                }
                false
            }
            None => {
                frames::free(frame).expect("a user page's frame came from frames");
                true
            }
        }
    }

    /// How many frames are shared right now (for tests and reports).
    pub fn shared_frames(&self) -> usize {
        self.0.len()
    }
}

/// [`Counts::release`] with the lock taken for this one call.
pub fn release(frame: PhysFrame) -> bool {
    lock().release(frame)
}

/// How many frames are shared right now.
pub fn shared_frames() -> usize {
    lock().shared_frames()
}
