//! The CPU state a user thread owns beyond its general registers: the
//! FPU/SSE registers and the FS and GS bases.
//!
//! The general registers of a thread that left ring 3 are on its kernel
//! stack (the entry code pushed them). Three more pieces of state are the
//! program's and survive nowhere else, so the scheduler saves and restores
//! them on every switch away from and back to a user thread:
//!
//! - **FPU, MMX and SSE registers** (x87 stack, `xmm0`-`xmm15`, MXCSR):
//!   512 bytes that `fxsave` writes and `fxrstor` reads, in a 16-byte
//!   aligned area. Every Rust program uses SSE (floats, and `memcpy` moves
//!   16 bytes at a time). The CPU lets ring 3 use them only with CR4.OSFXSR
//!   set (the OS promises to save them with `fxsave`), and reports SIMD
//!   floating-point exceptions as `#XM` rather than `#UD` with
//!   CR4.OSXMMEXCPT: [`init`] sets both. The kernel itself is built
//!   soft-float (the `x86_64-unknown-none` target), so it never touches these
//!   registers: whatever they hold belongs to the last user thread that ran.
//! - **FS base**: where the program's thread-local storage is (`fs:[0]`
//!   points at the thread's own block). The C library sets it at start-up
//!   with `arch_prctl(ARCH_SET_FS)`. It lives in the `FS_BASE` MSR.
//! - **GS base** of the program: while the kernel runs it waits in
//!   `KERNEL_GS_BASE` (the entry code's `swapgs` put it there, see
//!   `syscall.rs`), so that is the register saved and restored.
//!
//! A new thread starts from a clean state ([`UserState::new`]): the x87
//! control word `0x37f` and MXCSR `0x1f80` (every exception masked, round to
//! nearest), the values the CPU has after `fninit` and reset, and Linux
//! gives a new program; both bases 0.

use x86_64::VirtAddr;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::model_specific::{FsBase, KernelGsBase};

/// The x87 control word of a clean state (all exceptions masked, 64-bit precision).
pub const DEFAULT_FCW: u16 = 0x37f;
/// MXCSR of a clean state (all SIMD exceptions masked, round to nearest).
pub const DEFAULT_MXCSR: u32 = 0x1f80;

/// The 512 bytes of `fxsave`, aligned as the instruction requires.
#[repr(C, align(16))]
#[derive(Clone)]
pub struct FxArea(pub [u8; 512]);

/// What [`save`](UserState::save) keeps of a user thread (see the module docs).
#[derive(Clone)]
pub struct UserState {
    fx: FxArea,
    fs_base: u64,
    gs_base: u64,
}

impl UserState {
    /// A clean state: default control words, empty registers, bases 0.
    pub fn new() -> UserState {
        let mut fx = FxArea([0; 512]);
        fx.0[0..2].copy_from_slice(&DEFAULT_FCW.to_le_bytes());
        fx.0[24..28].copy_from_slice(&DEFAULT_MXCSR.to_le_bytes());
        UserState {
            fx,
            fs_base: 0,
            gs_base: 0,
        }
    }

    /// Copies the CPU's FPU/SSE registers and user FS and GS bases in here.
    pub fn save(&mut self) {
        let area = self.fx.0.as_mut_ptr();
        // SAFETY: `area` is 512 writable bytes, 16-byte aligned (`FxArea`);
        // `fxsave` writes exactly those. CR4.OSFXSR is set by `init`.
        unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) area, options(nostack)) };
        self.fs_base = FsBase::read().as_u64();
        self.gs_base = KernelGsBase::read().as_u64();
    }

    /// Loads this state into the CPU (for ring 3: the GS base goes to
    /// `KERNEL_GS_BASE`, which the way back to ring 3 swaps in).
    pub fn restore(&self) {
        let area = self.fx.0.as_ptr();
        // SAFETY: `area` is 512 readable bytes, 16-byte aligned, made by
        // `new` (valid defaults) or by `fxsave`, so MXCSR has no reserved
        // bits set and `fxrstor` cannot fault. The kernel does not use these
        // registers, so loading a program's values cannot upset it.
        unsafe { core::arch::asm!("fxrstor64 [{}]", in(reg) area, options(nostack)) };
        FsBase::write(VirtAddr::new_truncate(self.fs_base));
        KernelGsBase::write(VirtAddr::new_truncate(self.gs_base));
    }

    /// The saved x87 control word and MXCSR (for tests and reports).
    pub fn control_words(&self) -> (u16, u32) {
        let fcw = u16::from_le_bytes([self.fx.0[0], self.fx.0[1]]);
        let mxcsr = u32::from_le_bytes(self.fx.0[24..28].try_into().expect("4 bytes"));
        (fcw, mxcsr)
    }
}

impl Default for UserState {
    fn default() -> UserState {
        UserState::new()
    }
}

/// Copies the CPU's FPU/SSE registers (the running user thread's) into
/// `area` (for a signal frame).
pub fn save_fpu(area: &mut FxArea) {
    let area = area.0.as_mut_ptr();
    // SAFETY: as in `UserState::save`: 512 writable, 16-byte aligned bytes.
    unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) area, options(nostack)) };
}

/// Loads `area` into the CPU's FPU/SSE registers (the running user
/// thread's; `rt_sigreturn`, or a clean state for a signal handler).
///
/// # Safety
///
/// `area`'s MXCSR (bytes 24..28) must have no reserved bit set
/// (`sigframe::check_fpu`), or `fxrstor` faults in the kernel.
pub unsafe fn load_fpu(area: &FxArea) {
    let area = area.0.as_ptr();
    // SAFETY: 512 readable, 16-byte aligned bytes; MXCSR valid (the
    // caller's promise). The kernel does not use these registers.
    unsafe { core::arch::asm!("fxrstor64 [{}]", in(reg) area, options(nostack)) };
}

/// A clean FPU/SSE state (what a new program, and a signal handler, start with).
pub fn clean_fpu() -> FxArea {
    UserState::new().fx
}

/// Lets ring 3 use the FPU and SSE: CR4.OSFXSR and OSXMMEXCPT on, CR0.EM
/// off (no emulation), CR0.MP on (`wait` honours TS). Runs once per CPU.
pub fn init() {
    // SAFETY: these bits only allow FPU/SSE instructions and choose how
    // their exceptions are reported; the kernel (soft-float) does not use
    // them, and `fxsave`/`fxrstor` are what OSFXSR promises.
    unsafe {
        Cr0::update(|cr0| {
            cr0.remove(Cr0Flags::EMULATE_COPROCESSOR);
            cr0.insert(Cr0Flags::MONITOR_COPROCESSOR);
        });
        Cr4::update(|cr4| {
            cr4.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
        });
    }
}
