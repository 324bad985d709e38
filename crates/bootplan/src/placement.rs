//! Where the loader puts what the kernel did not place itself.
//!
//! Besides the kernel's own segments, the loader maps three things at
//! addresses of its choosing: the window onto all physical memory, the
//! kernel's boot stack, and (through that window) the boot information. A
//! kernel built with `bootloader_api` may give a *dynamic range* for them
//! (`dynamic_range_start`/`_end` in its `BootloaderConfig`). Kestrel does, in
//! the higher half, because once it runs user programs the lower half of
//! every address space belongs to a process: a boot stack or a physical-
//! memory window down there would vanish whenever a process's tables are
//! loaded.
//!
//! Inside the range: the window at its start (rounded up to 1 GiB), the stack
//! in its last 512 GiB (one level-4 slot). Without a range: two fixed
//! lower-half slots, as before there were processes.

/// One level-4 slot: 512 GiB.
const SLOT: u64 = 1 << 39;
const GIB: u64 = 1 << 30;

/// The physical-memory window and the stack area chosen by [`place`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Virtual address of physical address 0 (when the kernel asked for a
    /// window at an address of our choosing).
    pub phys_offset: u64,
    /// Where the boot stack goes: [`crate::paging::Stack::plan`]'s area.
    pub stack_area: u64,
}

/// Without a dynamic range: PML4 slot 128 for the window, slot 96 for the stack.
pub const LOWER_HALF: Placement = Placement {
    phys_offset: 0x0000_4000_0000_0000,
    stack_area: 0x0000_3000_0000_0000,
};

/// Chooses the window and the stack area for a dynamic range (inclusive
/// ends, as `bootloader_api` states them). A range too small for a window
/// slot and a separate stack slot is refused.
pub fn place(range: Option<(u64, u64)>) -> Result<Placement, &'static str> {
    let Some((start, end)) = range else {
        return Ok(LOWER_HALF);
    };
    let phys_offset = start
        .checked_next_multiple_of(GIB)
        .ok_or("dynamic range too high")?;
    let stack_area = end.checked_add(1).map_or(u64::MAX - SLOT + 1, |e| e - SLOT);
    let stack_area = stack_area & !(SLOT - 1);
    if end <= start || stack_area < phys_offset.saturating_add(SLOT) {
        return Err("the kernel's dynamic range is smaller than two 512 GiB slots");
    }
    Ok(Placement {
        phys_offset,
        stack_area,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_range_keeps_the_lower_half_slots() {
        assert_eq!(place(None), Ok(LOWER_HALF));
    }

    #[test]
    fn kestrels_range_puts_both_in_the_higher_half() {
        let p = place(Some((0xffff_8000_0000_0000, 0xffff_8fff_ffff_ffff))).unwrap();
        assert_eq!(p.phys_offset, 0xffff_8000_0000_0000);
        assert_eq!(p.stack_area, 0xffff_8f80_0000_0000);
    }

    #[test]
    fn an_unaligned_range_is_rounded_inwards() {
        let p = place(Some((0xffff_8000_0000_1000, 0xffff_8fff_ffff_f000))).unwrap();
        assert_eq!(p.phys_offset, 0xffff_8000_4000_0000);
        // The last whole slot inside the range.
        assert_eq!(p.stack_area, 0xffff_8f00_0000_0000);
        assert!(p.stack_area >= p.phys_offset + SLOT);
    }

    #[test]
    fn the_range_may_end_at_the_top_of_memory() {
        let p = place(Some((0xffff_c000_0000_0000, u64::MAX))).unwrap();
        assert_eq!(p.stack_area, 0xffff_ff80_0000_0000);
    }

    #[test]
    fn small_or_backwards_ranges_are_refused() {
        assert!(place(Some((0xffff_8000_0000_0000, 0xffff_8000_ffff_ffff))).is_err());
        assert!(place(Some((0xffff_9000_0000_0000, 0xffff_8000_0000_0000))).is_err());
        assert!(place(Some((u64::MAX - 10, u64::MAX))).is_err());
    }
}
