//! What `rt_sigreturn` refuses to restore.
//!
//! The frame is in the program's memory, so a program can forge one. The
//! kernel returns to it with `iretq`, which would fault *in the kernel* on a
//! non-canonical RIP or a bad segment, and whose RFLAGS could hand the
//! program I/O ports (IOPL) or virtual-8086 mode. So before restoring:
//! - RIP must be a user address (below the lower half's end, so canonical);
//! - CS and SS must be exactly the user code and data selectors;
//! - RFLAGS may hold only the flags a program may set itself (arithmetic
//!   flags, TF, DF, AC, ID, RF); IOPL, NT, VM, VIF, VIP or a reserved bit
//!   is refused. Interrupts stay on whatever the frame says.
//! - the FPU state must not set reserved MXCSR bits (`fxrstor` would fault).
//!
//! Any refusal is a SIGSEGV for the program, as on Linux.

use crate::Restored;

/// The first address above the user half.
const USER_END: u64 = 0x0000_8000_0000_0000;
/// The flags a program may set (CF, bit 1, PF, AF, ZF, SF, TF, IF, DF, OF,
/// RF, AC, ID).
const USER_FLAGS: u64 = 0x1
    | 0x2
    | 0x4
    | 0x10
    | 0x40
    | 0x80
    | 0x100
    | 0x200
    | 0x400
    | 0x800
    | 0x1_0000
    | 0x4_0000
    | 0x20_0000;
const INTERRUPTS: u64 = 0x200;
const ALWAYS_ONE: u64 = 0x2;
/// MXCSR bits `fxrstor` accepts on every CPU with SSE2 but without DAZ.
const MXCSR_VALID: u32 = 0xffbf;

/// The user selectors a restored context must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selectors {
    pub code: u16,
    pub data: u16,
}

/// Why a frame was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bad {
    /// RIP is not a user address (non-canonical, or in the kernel's half).
    Rip,
    /// CS is not the user code selector.
    CodeSegment,
    /// SS is not the user data selector.
    StackSegment,
    /// RFLAGS has a privileged or reserved bit.
    Flags,
    /// The FPU state is not 16-byte aligned, or sets reserved MXCSR bits.
    Fpu,
}

/// Checks a frame read back by `parse`; the registers to restore (RFLAGS
/// with interrupts on).
pub fn check(restored: &Restored, user: Selectors) -> Result<crate::Registers, Bad> {
    let mut registers = restored.registers;
    if registers.rip >= USER_END {
        return Err(Bad::Rip);
    }
    if restored.cs != user.code {
        return Err(Bad::CodeSegment);
    }
    if restored.ss != user.data {
        return Err(Bad::StackSegment);
    }
    if registers.rflags & !USER_FLAGS != 0 {
        return Err(Bad::Flags);
    }
    registers.rflags |= INTERRUPTS | ALWAYS_ONE;
    Ok(registers)
}

/// Checks the FPU state's address and its 512 bytes (`fxsave` layout).
pub fn check_fpu(address: u64, area: &[u8; crate::FPU_SIZE]) -> Result<(), Bad> {
    let mxcsr = u32::from_le_bytes(area[24..28].try_into().expect("4 bytes"));
    if !address.is_multiple_of(16) || mxcsr & !MXCSR_VALID != 0 {
        return Err(Bad::Fpu);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Registers, Stack};

    const USER: Selectors = Selectors {
        code: 0x23,
        data: 0x1b,
    };

    fn good() -> Restored {
        Restored {
            registers: Registers {
                rip: 0x40_1000,
                rflags: 0x246,
                rcx: 5,
                r11: 6,
                ..Registers::default()
            },
            cs: 0x23,
            ss: 0x1b,
            mask: 0,
            fpu: 0x7000,
            stack: Stack::default(),
        }
    }

    #[test]
    fn a_good_frame_is_restored_as_it_is() {
        assert_eq!(check(&good(), USER), Ok(good().registers));
    }

    #[test]
    fn interrupts_stay_on() {
        let mut r = good();
        r.registers.rflags = 0x46;
        assert_eq!(check(&r, USER).unwrap().rflags, 0x246);
    }

    #[test]
    fn bad_rips_are_refused() {
        for rip in [
            0x0000_8000_0000_0000,
            0x1234_5678_9abc_def0,
            0xffff_8000_0000_0000,
            u64::MAX,
        ] {
            let mut r = good();
            r.registers.rip = rip;
            assert_eq!(check(&r, USER), Err(Bad::Rip), "{rip:#x}");
        }
        let mut r = good();
        r.registers.rip = 0x7fff_ffff_ffff;
        assert!(check(&r, USER).is_ok());
    }

    #[test]
    fn kernel_segments_are_refused() {
        let mut r = good();
        r.cs = 0x8;
        assert_eq!(check(&r, USER), Err(Bad::CodeSegment));
        let mut r = good();
        r.ss = 0x10;
        assert_eq!(check(&r, USER), Err(Bad::StackSegment));
        let mut r = good();
        r.cs = 0x33; // Linux's user CS: not ours
        assert_eq!(check(&r, USER), Err(Bad::CodeSegment));
    }

    #[test]
    fn privileged_flags_are_refused() {
        for flag in [
            0x1000,
            0x3000,
            0x4000,
            0x2_0000,
            0x8_0000,
            0x10_0000,
            0x8,
            1 << 40,
        ] {
            let mut r = good();
            r.registers.rflags |= flag;
            assert_eq!(check(&r, USER), Err(Bad::Flags), "{flag:#x}");
        }
        for flag in [0x1, 0x100, 0x400, 0x800, 0x4_0000, 0x20_0000] {
            let mut r = good();
            r.registers.rflags |= flag;
            assert!(check(&r, USER).is_ok(), "{flag:#x}");
        }
    }

    #[test]
    fn fpu_state_checks() {
        let mut area = [0u8; crate::FPU_SIZE];
        area[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        assert_eq!(check_fpu(0x7000, &area), Ok(()));
        assert_eq!(check_fpu(0x7008, &area), Err(Bad::Fpu));
        area[24..28].copy_from_slice(&0x1_1f80u32.to_le_bytes());
        assert_eq!(check_fpu(0x7000, &area), Err(Bad::Fpu));
    }
}
