//! A process's user memory: its regions, its heap's break, and pages filled
//! in on demand.
//!
//! What a program may touch is written down in a `vmas::Map` (see
//! `crates/vmas`): regions with rights (read, write, execute) and a kind.
//! What it *has* touched is in its page tables. The two differ on purpose:
//! `mmap`, `brk` and the stack only write regions down, and a page gets a
//! frame the first time the program touches it (**demand-zero**): the
//! access faults, [`resolve`] finds a region that allows it, maps a fresh
//! zeroed frame there, and the program repeats the instruction, unaware.
//! A program that reserves a gigabyte and touches three pages uses three
//! frames.
//!
//! ```text
//! STACK_TOP  0x7fff_ff00_0000 ┬ stack (8 MiB at most, grows down on demand)
//!                             ┼ guard gap (1 MiB, no access: touching it is
//!                             │ a stack overflow, never another mapping)
//! MMAP_TOP                    ┼ mmap: new regions from here down
//!                             ┆
//!                             ┆ heap (brk), up from the program's end
//! 0x40_0000 (or PIE_BIAS)     ┴ program segments
//! ```
//!
//! A fault that no region allows ends the process (`process::on_user_fault`
//! prints the line). So does a page that cannot get a frame: user pages
//! leave [`RESERVED_FRAMES`] to the kernel, so that running out of memory
//! ends the greedy program, not the kernel. Before a mapping is made, the
//! writable memory the process has asked for must fit in the machine's
//! frames ([`UserMemory::may_commit`]), so a program that maps and maps gets
//! `ENOMEM` from `mmap` or `brk` instead. (The frames the kernel itself
//! uses are not counted there, so a program that touches what it maps
//! meets the reserve first and is ended.)
//!
//! **Fork.** [`UserMemory`] is the whole per-process memory state besides
//! the page tables, and it derives `Clone`: a child gets a clone of the
//! parent's (same regions, same break); its page tables are the fork's own
//! business (copy-on-write), and [`resolve`] has the place marked where a
//! write to a shared page gets its copy.

use crate::memory::address_space::AddressSpace;
use crate::memory::frames;
use fault::PageFaultCode;
use vmas::{Access, Kind, Map, PAGE, Region, Rights};
use x86_64::VirtAddr;
use x86_64::structures::paging::{Page, PageTableFlags as Flags};

/// The most stack a process may have (Linux's default `ulimit -s`).
pub const STACK_LIMIT: u64 = 8 << 20;
/// The gap below the stack that nothing is mapped into (Linux: 256 pages).
pub const STACK_GUARD_GAP: u64 = 1 << 20;
/// The end of the user addresses a program may map: Linux's `TASK_SIZE`,
/// one page below the end of the lower half.
pub const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// The lowest address `mmap` hands out (Linux's `mmap_min_addr`), so that
/// a null pointer never points at memory.
pub const MMAP_MIN: u64 = 0x1_0000;
/// Where `mmap` looks for room first, going down.
pub const MMAP_TOP: u64 = super::STACK_TOP - STACK_LIMIT - STACK_GUARD_GAP;
/// Frames user pages never take: the kernel's own reserve.
pub const RESERVED_FRAMES: usize = 256;

/// A process's memory besides its page tables (see the module docs).
#[derive(Clone, Debug)]
pub struct UserMemory {
    /// What the program may touch.
    pub map: Map,
    /// Where the heap begins: the first page after the program.
    pub brk_start: u64,
    /// The current break: the heap is `brk_start..brk`, its pages up to
    /// `brk` rounded up to a page are a [`Kind::Heap`] region.
    pub brk: u64,
}

/// Why a fault could not be resolved: the process ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No region holds the address.
    Unmapped,
    /// The region does not allow this access.
    NotAllowed,
    /// The address is in the guard gap below the stack.
    StackOverflow,
    /// No frame is left for the page.
    OutOfMemory,
}

impl Refusal {
    /// In words, for the line that reports the end of the process.
    pub fn describe(self) -> &'static str {
        match self {
            Refusal::Unmapped => "nothing is mapped there",
            Refusal::NotAllowed => "the mapping does not allow this access",
            Refusal::StackOverflow => "stack overflow into the guard gap",
            Refusal::OutOfMemory => "out of memory for the page",
        }
    }
}

/// Rounds `x` up to a page (`None` if that overflows).
pub fn page_up(x: u64) -> Option<u64> {
    Some(x.checked_add(PAGE - 1)? & !(PAGE - 1))
}

/// The page-table flags for a region's rights (PRESENT and USER are the
/// caller's business). Reading cannot be refused on x86, so every right
/// implies it.
pub fn flags_for(rights: Rights) -> Flags {
    let mut flags = Flags::empty();
    if rights.write {
        flags |= Flags::WRITABLE;
    }
    if !rights.execute {
        flags |= Flags::NO_EXECUTE;
    }
    flags
}

/// The access a page fault's error code describes.
pub fn access_of(code: PageFaultCode) -> Access {
    if code.instruction_fetch() {
        Access::Execute
    } else if code.write() {
        Access::Write
    } else {
        Access::Read
    }
}

impl UserMemory {
    /// A new program's memory: the stack region (up to [`STACK_LIMIT`]
    /// below `STACK_TOP`) and its guard gap; the heap starts at `brk_start`
    /// (page-aligned), empty. The program's segments are added with
    /// [`add_program`](Self::add_program).
    pub fn new(brk_start: u64) -> UserMemory {
        let stack_bottom = super::STACK_TOP - STACK_LIMIT;
        let mut map = Map::new();
        let stack = Region {
            start: stack_bottom,
            end: super::STACK_TOP,
            rights: Rights::READ_WRITE,
            kind: Kind::Stack,
        };
        let guard = Region {
            start: stack_bottom - STACK_GUARD_GAP,
            end: stack_bottom,
            rights: Rights::NONE,
            kind: Kind::Guard,
        };
        map.insert(stack).expect("an empty map has room");
        map.insert(guard).expect("below the stack");
        UserMemory {
            map,
            brk_start,
            brk: brk_start,
        }
    }

    /// Records a program segment's pages `start..end` with `rights`.
    pub fn add_program(&mut self, start: u64, end: u64, rights: Rights) -> Result<(), vmas::Error> {
        self.map.insert(Region {
            start,
            end,
            rights,
            kind: Kind::Program,
        })
    }

    /// Pages of writable memory the process has asked for (`mmap`, `brk`),
    /// and so may need frames for. (Not the stack, which is reserved at
    /// its limit but mostly never used, nor the program's own pages.)
    fn committed_pages(&self) -> u64 {
        self.map
            .iter()
            .filter(|r| {
                r.rights.write
                    && matches!(r.kind, Kind::Anonymous | Kind::SharedAnonymous | Kind::Heap)
            })
            .map(|r| r.len() / PAGE)
            .sum()
    }

    /// Whether `extra` more bytes of writable memory still fit in the
    /// machine's frames, counting all the process has already.
    pub fn may_commit(&self, extra: u64) -> bool {
        let usable = frames::stats().map_or(0, |f| f.usable as u64);
        self.committed_pages() + extra / PAGE <= usable
    }

    /// Removes everything in `start..end` (page-aligned): the regions and
    /// their pages, whose frames are freed.
    pub fn unmap(&mut self, space: &mut AddressSpace, start: u64, end: u64) {
        if self.map.remove(start, end).is_ok() {
            space.unmap_range(start, end);
        }
    }

    /// Maps `region`, after removing whatever was in its range if `replace`
    /// (`MAP_FIXED`). Its pages are filled in on demand.
    pub fn map(
        &mut self,
        space: &mut AddressSpace,
        region: Region,
        replace: bool,
    ) -> Result<(), vmas::Error> {
        if replace {
            self.unmap(space, region.start, region.end);
        }
        self.map.insert(region)
    }

    /// Gives `start..end` (page-aligned, all mapped) new rights, in the
    /// map and in the pages already there.
    pub fn protect(
        &mut self,
        space: &mut AddressSpace,
        start: u64,
        end: u64,
        rights: Rights,
    ) -> Result<(), vmas::Error> {
        self.map.protect(start, end, rights)?;
        space.protect_range(start, end, flags_for(rights), rights != Rights::NONE);
        Ok(())
    }

    /// Where `len` bytes (page-aligned) may go: at `hint` (rounded down to
    /// a page, and up to [`MMAP_MIN`]) if that is free and in range, else
    /// the highest free gap below [`MMAP_TOP`].
    pub fn place(&self, hint: u64, len: u64) -> Option<u64> {
        let hint = hint & !(PAGE - 1);
        if hint != 0 {
            let hint = hint.max(MMAP_MIN);
            let fits = TASK_SIZE.checked_sub(len).is_some_and(|top| hint <= top);
            if fits && self.map.is_free(hint, hint + len) {
                return Some(hint);
            }
        }
        self.map.find_free(len, MMAP_MIN, MMAP_TOP)
    }

    /// Moves the break to `new` if it can (Linux's `brk`): not below the
    /// heap's start, not into another region, not past what memory allows.
    /// Returns the break, moved or not.
    pub fn set_break(&mut self, space: &mut AddressSpace, new: u64) -> u64 {
        if new < self.brk_start || new > MMAP_TOP {
            return self.brk;
        }
        let (Some(old_end), Some(new_end)) = (page_up(self.brk), page_up(new)) else {
            return self.brk;
        };
        if new_end > old_end {
            let grow = Region {
                start: old_end,
                end: new_end,
                rights: Rights::READ_WRITE,
                kind: Kind::Heap,
            };
            if !self.may_commit(new_end - old_end) || self.map.insert(grow).is_err() {
                return self.brk;
            }
        } else if new_end < old_end {
            self.unmap(space, new_end, old_end);
        }
        self.brk = new;
        self.brk
    }
}

/// Fills in the page at `address` for `access` if the process's regions
/// allow it (see the module docs); otherwise says why not.
pub fn resolve(
    space: &mut AddressSpace,
    memory: &UserMemory,
    address: u64,
    access: Access,
) -> Result<(), Refusal> {
    let region = memory.map.lookup(address).ok_or(Refusal::Unmapped)?;
    if region.kind == Kind::Guard {
        return Err(Refusal::StackOverflow);
    }
    if !region.rights.allow(access) {
        return Err(Refusal::NotAllowed);
    }
    if space.has_page(address) {
        // The page is there and the region allows the access, but its entry
        // does not: after a fork, a write to a copy-on-write page, which now
        // gets its own copy (or its frame back, if no one else has it).
        let copied = access == Access::Write
            && space.is_active()
            && crate::memory::copy_on_write::resolve_write_fault(VirtAddr::new(address));
        return if copied {
            Ok(())
        } else {
            Err(Refusal::NotAllowed)
        };
    }
    let free = frames::stats().map_or(0, |f| f.free);
    if free <= RESERVED_FRAMES {
        return Err(Refusal::OutOfMemory);
    }
    let page = Page::containing_address(VirtAddr::new(address));
    space
        .map_new(page, flags_for(region.rights))
        .map(|_| ())
        .map_err(|_| Refusal::OutOfMemory)
}
