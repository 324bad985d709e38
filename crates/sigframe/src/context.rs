//! The frame's bytes: the saved context (ucontext, sigcontext) written by
//! [`build`] for a handler and read back by [`parse`] for `rt_sigreturn`.
//!
//! The sigcontext holds the general registers in Linux's order (`r8` to
//! `r15`, `rdi`, `rsi`, `rbp`, `rbx`, `rdx`, `rax`, `rcx`, `rsp`, `rip`,
//! `eflags`: the C library's `gregs[REG_R8..=REG_EFL]`), then the segments
//! as four 16-bit words (cs, gs, fs, ss), then error code, trap number, the
//! old mask, cr2 and the address of the FPU state.

use crate::{FRAME_SIZE, Info, Placement, SIGCONTEXT, SIGINFO, SIGMASK, UC_FLAGS, UCONTEXT};

/// The general registers, in the sigcontext's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Registers {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub rflags: u64,
}

impl Registers {
    const COUNT: usize = 18;

    fn to_words(self) -> [u64; Self::COUNT] {
        [
            self.r8,
            self.r9,
            self.r10,
            self.r11,
            self.r12,
            self.r13,
            self.r14,
            self.r15,
            self.rdi,
            self.rsi,
            self.rbp,
            self.rbx,
            self.rdx,
            self.rax,
            self.rcx,
            self.rsp,
            self.rip,
            self.rflags,
        ]
    }

    fn from_words(w: [u64; Self::COUNT]) -> Registers {
        let [
            r8,
            r9,
            r10,
            r11,
            r12,
            r13,
            r14,
            r15,
            rdi,
            rsi,
            rbp,
            rbx,
            rdx,
            rax,
            rcx,
            rsp,
            rip,
            rflags,
        ] = w;
        Registers {
            r8,
            r9,
            r10,
            r11,
            r12,
            r13,
            r14,
            r15,
            rdi,
            rsi,
            rbp,
            rbx,
            rdx,
            rax,
            rcx,
            rsp,
            rip,
            rflags,
        }
    }
}

/// An alternate signal stack as `stack_t` says it: base, flags, size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stack {
    pub sp: u64,
    pub flags: i32,
    pub size: u64,
}

/// What the kernel saves of the interrupted program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub registers: Registers,
    pub cs: u16,
    pub ss: u16,
    /// The exception's error code and vector (0 for a signal not from a fault).
    pub error_code: u64,
    pub trap: u64,
    /// The faulting address of a page fault.
    pub cr2: u64,
    /// The signal mask to restore when the handler returns.
    pub mask: u64,
    /// The alternate stack as it was.
    pub stack: Stack,
}

/// What `rt_sigreturn` reads back (before checking it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restored {
    pub registers: Registers,
    pub cs: u16,
    pub ss: u16,
    pub mask: u64,
    /// Where the FPU state is (0: none).
    pub fpu: u64,
    pub stack: Stack,
}

fn put(b: &mut [u8], at: usize, value: u64) {
    b[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn get(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn get16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Offsets inside the sigcontext.
const SEGMENTS: usize = 144;
const ERR: usize = 152;
const TRAPNO: usize = 160;
const OLDMASK: usize = 168;
const CR2: usize = 176;
const FPSTATE: usize = 184;
/// Offsets inside the ucontext.
const UC_STACK: usize = 16;

/// The frame's bytes for `context` and `info`, with return address
/// `restorer`, at `place` (the FPU state's address goes into it).
pub fn build(context: &Context, info: &Info, restorer: u64, place: &Placement) -> [u8; FRAME_SIZE] {
    let mut b = [0u8; FRAME_SIZE];
    put(&mut b, 0, restorer);
    put(&mut b, UCONTEXT, UC_FLAGS);
    let stack = UCONTEXT + UC_STACK;
    put(&mut b, stack, context.stack.sp);
    b[stack + 8..stack + 12].copy_from_slice(&context.stack.flags.to_le_bytes());
    put(&mut b, stack + 16, context.stack.size);
    for (i, word) in context.registers.to_words().into_iter().enumerate() {
        put(&mut b, SIGCONTEXT + 8 * i, word);
    }
    let segments = SIGCONTEXT + SEGMENTS;
    b[segments..segments + 2].copy_from_slice(&context.cs.to_le_bytes());
    b[segments + 6..segments + 8].copy_from_slice(&context.ss.to_le_bytes());
    put(&mut b, SIGCONTEXT + ERR, context.error_code);
    put(&mut b, SIGCONTEXT + TRAPNO, context.trap);
    put(&mut b, SIGCONTEXT + OLDMASK, context.mask);
    put(&mut b, SIGCONTEXT + CR2, context.cr2);
    put(&mut b, SIGCONTEXT + FPSTATE, place.fpu);
    put(&mut b, SIGMASK, context.mask);
    b[SIGINFO..].copy_from_slice(&info.to_bytes());
    b
}

/// Reads back a frame (what the program left there; see `check`).
pub fn parse(b: &[u8; FRAME_SIZE]) -> Restored {
    let mut words = [0u64; Registers::COUNT];
    for (i, word) in words.iter_mut().enumerate() {
        *word = get(b, SIGCONTEXT + 8 * i);
    }
    let stack = UCONTEXT + UC_STACK;
    Restored {
        registers: Registers::from_words(words),
        cs: get16(b, SIGCONTEXT + SEGMENTS),
        ss: get16(b, SIGCONTEXT + SEGMENTS + 6),
        mask: get(b, SIGMASK),
        fpu: get(b, SIGCONTEXT + FPSTATE),
        stack: Stack {
            sp: get(b, stack),
            flags: i32::from_le_bytes(b[stack + 8..stack + 12].try_into().expect("4 bytes")),
            size: get(b, stack + 16),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Detail, SIGINFO_SIZE};
    use core::mem::offset_of;

    /// The C library's `ucontext_t` starts as the kernel's.
    #[test]
    fn layout_matches_the_c_library() {
        assert_eq!(offset_of!(libc::ucontext_t, uc_stack), UC_STACK);
        assert_eq!(
            UCONTEXT + offset_of!(libc::ucontext_t, uc_mcontext),
            SIGCONTEXT
        );
        assert_eq!(UCONTEXT + offset_of!(libc::ucontext_t, uc_sigmask), SIGMASK);
        assert_eq!(offset_of!(libc::mcontext_t, fpregs), FPSTATE);
        assert_eq!(libc::REG_R8 as usize, 0);
        assert_eq!(libc::REG_RAX as usize, 13);
        assert_eq!(libc::REG_RSP as usize, 15);
        assert_eq!(libc::REG_RIP as usize * 8, 16 * 8);
        assert_eq!(libc::REG_EFL as usize, 17);
        assert_eq!(libc::REG_CSGSFS as usize * 8, SEGMENTS);
        assert_eq!(libc::REG_ERR as usize * 8, ERR);
        assert_eq!(libc::REG_TRAPNO as usize * 8, TRAPNO);
        assert_eq!(libc::REG_OLDMASK as usize * 8, OLDMASK);
        assert_eq!(libc::REG_CR2 as usize * 8, CR2);
        assert_eq!(SIGINFO + SIGINFO_SIZE, FRAME_SIZE);
    }

    fn random_context(rng: &mut xorshift::XorShift64) -> Context {
        let mut words = [0u64; Registers::COUNT];
        for w in &mut words {
            *w = rng.next();
        }
        Context {
            registers: Registers::from_words(words),
            cs: rng.next() as u16,
            ss: rng.next() as u16,
            error_code: rng.next(),
            trap: rng.below_u64(32),
            cr2: rng.next(),
            mask: rng.next(),
            stack: Stack {
                sp: rng.next(),
                flags: rng.next() as i32,
                size: rng.next(),
            },
        }
    }

    #[test]
    fn what_is_built_parses_back() {
        let mut rng = xorshift::XorShift64(99);
        for _ in 0..500 {
            let context = random_context(&mut rng);
            let place = Placement {
                frame: rng.next(),
                fpu: rng.next(),
            };
            let info = Info {
                signal: 11,
                code: 1,
                detail: Detail::Fault {
                    address: rng.next(),
                },
            };
            let b = build(&context, &info, 0x1234, &place);
            let r = parse(&b);
            assert_eq!(r.registers, context.registers);
            assert_eq!(
                (r.cs, r.ss, r.mask, r.fpu),
                (context.cs, context.ss, context.mask, place.fpu)
            );
            assert_eq!(r.stack, context.stack);
            assert_eq!(get(&b, 0), 0x1234);
            assert_eq!(
                get(&b, SIGCONTEXT + 8 * libc::REG_RIP as usize),
                context.registers.rip
            );
            assert_eq!(get(&b, SIGCONTEXT + OLDMASK), context.mask);
            assert_eq!(b[SIGINFO..], info.to_bytes());
        }
    }
}
