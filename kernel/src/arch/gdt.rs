//! The Global Descriptor Table and the Task State Segment.
//!
//! In 64-bit mode segmentation is mostly switched off, but the CPU still needs a
//! GDT: the code segment descriptor says "this is 64-bit code at privilege 0",
//! and a special *system* descriptor points at the Task State Segment (TSS). The
//! TSS no longer switches tasks; in 64-bit mode it holds stack pointers, among
//! them the seven *Interrupt Stack Table* (IST) entries. An IDT gate that names
//! an IST entry makes the CPU switch to that stack before pushing anything.
//!
//! That is what saves us when the kernel stack itself is the problem. If the
//! stack overflows into its guard page, the page fault cannot be delivered on the
//! same stack (the push faults again), which the CPU turns into a double fault;
//! with its own IST stack the double-fault handler still runs and can tell the
//! user what happened. NMI and machine check get their own stacks too, because
//! they can arrive at any moment, even halfway through a stack switch.
//!
//! Each IST stack is a static array whose lowest page is unmapped (a guard page,
//! see [`super::guard`]), so an overflowing handler faults instead of silently
//! overwriting whatever lies below.
//!
//! User mode adds two descriptors and one stack pointer:
//! - user data and user code segments (privilege 3). `sysret` does not read
//!   them from the table: it computes the selectors from the STAR register,
//!   user SS = base + 8 and user CS = base + 16. So the order is fixed:
//!   kernel code (0x08), kernel data (0x10), user data (0x18, selector 0x1b
//!   with privilege 3), user code (0x20, selector 0x23), then the TSS;
//! - `rsp0` of the TSS: when an interrupt or exception arrives while ring 3
//!   runs, the CPU switches to this stack before pushing anything. Each
//!   thread has its own kernel stack, so the scheduler calls
//!   [`set_kernel_stack`] on every switch (`syscall` uses the same value,
//!   see `syscall.rs`).

use super::guard;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;

/// The IST numbers as the IDT gate spells them (1-7; 0 means "no switch").
pub const DOUBLE_FAULT_IST: u8 = 1;
pub const NMI_IST: u8 = 2;
pub const MACHINE_CHECK_IST: u8 = 3;

const PAGE: usize = 4096;
/// Usable bytes of each IST stack (the diagnostics format numbers and look up
/// symbols, which takes a few KiB in a debug build).
pub const IST_STACK_SIZE: usize = 32 * 1024;

/// A stack with a guard page below it: the first page is unmapped at init.
#[repr(C, align(4096))]
pub struct GuardedStack<const N: usize> {
    guard: [u8; PAGE],
    stack: [u8; N],
}

impl<const N: usize> GuardedStack<N> {
    pub const fn new() -> Self {
        GuardedStack {
            guard: [0; PAGE],
            stack: [0; N],
        }
    }
}

impl<const N: usize> Default for GuardedStack<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Unmaps the guard page of `stack` and returns the stack's top (the stack grows
/// down from there), 16-byte aligned.
///
/// # Safety
/// `stack` must not be used by anything else, and this must be called once.
pub unsafe fn prepare<const N: usize>(stack: *mut GuardedStack<N>, name: &'static str) -> VirtAddr {
    let base = VirtAddr::from_ptr(stack);
    // SAFETY: the caller gives us the stack; its lowest page is the guard
    // array, which nothing uses.
    unsafe { guard::protect(base, name) };
    (base + (PAGE + N) as u64).align_down(16u64)
}

static mut DOUBLE_FAULT_STACK: GuardedStack<IST_STACK_SIZE> = GuardedStack::new();
static mut NMI_STACK: GuardedStack<IST_STACK_SIZE> = GuardedStack::new();
static mut MACHINE_CHECK_STACK: GuardedStack<IST_STACK_SIZE> = GuardedStack::new();

/// The selectors the rest of the kernel needs.
#[derive(Clone, Copy, Debug)]
pub struct Selectors {
    pub code: SegmentSelector,
    pub data: SegmentSelector,
    /// Ring 3 data (also the stack segment); right after `data`, as `sysret` needs.
    pub user_data: SegmentSelector,
    /// Ring 3 64-bit code; right after `user_data`.
    pub user_code: SegmentSelector,
    pub tss: SegmentSelector,
}

/// The TSS. The CPU reads it (IST entries, `rsp0`) behind the compiler's back,
/// and [`set_kernel_stack`] changes `rsp0`: so it lives in an `UnsafeCell`.
struct Tss(UnsafeCell<TaskStateSegment>);

// SAFETY: one CPU; the only change after `init` is the store of `rsp0` in
// `set_kernel_stack`, which the CPU reads only when it enters ring 0 from
// ring 3 (never while ring-0 code is storing it).
unsafe impl Sync for Tss {}

static TSS: Tss = Tss(UnsafeCell::new(TaskStateSegment::new()));
static TSS_READY: Once<()> = Once::new();
static GDT: Once<(GlobalDescriptorTable, Selectors)> = Once::new();
/// The stack the CPU enters ring 0 on (the TSS's `rsp0`), also for `syscall`.
pub(super) static KERNEL_STACK: AtomicU64 = AtomicU64::new(0);

/// Builds and loads the GDT and TSS (IST stacks with guard pages), and reloads
/// the segment registers. Needs the page-table API (`memory::init`).
pub fn init(boot_info: &bootloader_api::BootInfo) {
    guard::init(VirtAddr::new(boot_info.kernel_stack_bottom));
    TSS_READY.call_once(|| {
        // SAFETY: each stack is used by exactly one IST entry, and `Once` runs
        // this closure once, before the TSS is loaded, so nothing else reads
        // or writes the TSS now. `&raw mut` takes the address without a reference.
        unsafe {
            let tss = &mut *TSS.0.get();
            tss.interrupt_stack_table[usize::from(DOUBLE_FAULT_IST - 1)] =
                prepare(&raw mut DOUBLE_FAULT_STACK, "double-fault stack");
            tss.interrupt_stack_table[usize::from(NMI_IST - 1)] =
                prepare(&raw mut NMI_STACK, "NMI stack");
            tss.interrupt_stack_table[usize::from(MACHINE_CHECK_IST - 1)] =
                prepare(&raw mut MACHINE_CHECK_STACK, "machine-check stack");
        }
    });
    let (gdt, selectors) = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let code = gdt.append(Descriptor::kernel_code_segment());
        let data = gdt.append(Descriptor::kernel_data_segment());
        let user_data = gdt.append(Descriptor::user_data_segment());
        let user_code = gdt.append(Descriptor::user_code_segment());
        // SAFETY: the TSS is a static, so it lives as long as the GDT.
        let tss = gdt.append(unsafe { Descriptor::tss_segment_unchecked(TSS.0.get()) });
        let selectors = Selectors {
            code,
            data,
            user_data,
            user_code,
            tss,
        };
        (gdt, selectors)
    });
    gdt.load();
    // SAFETY: the selectors index the GDT just loaded, which lives forever; the
    // code segment is 64-bit ring-0 code like the one we are running in.
    unsafe {
        CS::set_reg(selectors.code);
        SS::set_reg(selectors.data);
        DS::set_reg(selectors.data);
        ES::set_reg(selectors.data);
        load_tss(selectors.tss);
    }
}

/// Makes `top` the stack the CPU switches to when ring 3 is interrupted or
/// calls `syscall` (the TSS's `rsp0`). The scheduler calls it on every switch
/// with the next thread's kernel stack.
pub fn set_kernel_stack(top: VirtAddr) {
    KERNEL_STACK.store(top.as_u64(), Ordering::Relaxed);
    // SAFETY: a store into the static TSS, which nothing holds a reference to
    // (see `Tss`). The TSS is packed, so the field is only 4-byte aligned.
    unsafe { (&raw mut (*TSS.0.get()).privilege_stack_table[0]).write_unaligned(top) };
}

/// The TSS's `rsp0`: the stack ring 3 enters the kernel on.
pub fn kernel_stack() -> VirtAddr {
    // SAFETY: a read of the static TSS (see `Tss`); the field is only 4-byte
    // aligned.
    unsafe { (&raw const (*TSS.0.get()).privilege_stack_table[0]).read_unaligned() }
}

/// The segment selectors (after [`init`]).
pub fn selectors() -> Selectors {
    GDT.get().expect("gdt::init runs first").1
}

/// Which IST stack the IDT gate for `vector` uses (0: the current stack).
pub fn ist_for(vector: u8) -> u8 {
    match vector {
        2 => NMI_IST,
        8 => DOUBLE_FAULT_IST,
        18 => MACHINE_CHECK_IST,
        _ => 0,
    }
}
