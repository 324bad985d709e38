//! Where a signal frame goes: below the interrupted stack (past its red
//! zone), or at the top of the alternate signal stack; the FPU state first,
//! 64-byte aligned, then the frame below it, placed so that the handler
//! starts as if just called (`rsp + 8` a multiple of 16).

use crate::{FPU_ALIGN, FPU_SIZE, FRAME_SIZE, RED_ZONE};

/// The addresses of one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The frame (and the handler's `rsp`).
    pub frame: u64,
    /// The FPU state.
    pub fpu: u64,
}

/// Places a frame for a program whose stack pointer is `sp`; `alt_top` is
/// the top of the alternate stack if the handler runs there. `None` if the
/// addresses would wrap below 0.
pub fn place(sp: u64, alt_top: Option<u64>) -> Option<Placement> {
    let top = match alt_top {
        Some(top) => top,
        None => sp.checked_sub(RED_ZONE)?,
    };
    let fpu = top.checked_sub(FPU_SIZE as u64)? & !(FPU_ALIGN - 1);
    let below = fpu.checked_sub(FRAME_SIZE as u64)?;
    let frame = ((below + 8) & !15).checked_sub(8)?;
    Some(Placement { frame, fpu })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_starts_as_if_called_and_the_fpu_state_is_aligned() {
        let mut rng = xorshift::XorShift64(7);
        for _ in 0..1000 {
            let sp = 0x10_0000 + rng.below_u64(1 << 30);
            let alt = rng
                .next()
                .is_multiple_of(2)
                .then(|| 0x20_0000 + rng.below_u64(1 << 20));
            let p = place(sp, alt).expect("fits");
            assert!((p.frame + 8).is_multiple_of(16));
            assert!(p.fpu.is_multiple_of(64));
            assert!(p.frame + FRAME_SIZE as u64 <= p.fpu);
            let top = alt.unwrap_or(sp - RED_ZONE);
            assert!(p.fpu + FPU_SIZE as u64 <= top);
            // Not wasteful: at most the alignments' slack below the top.
            assert!(top - p.frame < (FRAME_SIZE + FPU_SIZE) as u64 + 64 + 16);
        }
    }

    #[test]
    fn the_red_zone_is_skipped_but_not_on_the_alternate_stack() {
        let p = place(0x8000, None).unwrap();
        assert!(p.fpu + 512 <= 0x8000 - 128);
        let q = place(0x8000, Some(0x8000)).unwrap();
        assert_eq!(q.fpu, 0x8000 - 512);
    }

    #[test]
    fn a_stack_near_zero_gives_none() {
        assert_eq!(place(100, None), None);
        assert_eq!(place(0, Some(600)), None);
    }
}
