//! The handover: from the loader's world to the kernel's, in one step.
//!
//! EFER.NXE (bit 11 of MSR 0xC000_0080) makes the NO_EXECUTE bit of page
//! entries count; on a CPU without NX that bit is reserved, so the tables
//! were built without it and NXE stays off. CR0.WP (bit 16) makes read-only
//! pages read-only for the kernel too. Interrupts go off: under UEFI the
//! firmware's handlers were in memory that is now the kernel's (the BIOS
//! loader never turned them back on). Then: load CR3 with the kernel's
//! level-4 table (the next instruction is fetched through the new tables,
//! which is why the loader is identity-mapped there), switch to the kernel's
//! stack, push a zero return address (the stack is then aligned as after a
//! `call`, and a backtrace ends there), and jump to the entry point with the
//! boot info's address in `rdi`, the first argument in the System V ABI.

use core::arch::asm;

const EFER: u32 = 0xc000_0080;
const EFER_NXE: u64 = 1 << 11;
const CR0_WP: u64 = 1 << 16;

/// Whether the CPU has NX: CPUID leaf 0x8000_0001, EDX bit 20.
pub fn cpu_has_nx() -> bool {
    extended_feature(20)
}

/// Whether the CPU has 1 GiB pages (`pdpe1gb`): CPUID leaf 0x8000_0001,
/// EDX bit 26. QEMU's default `qemu64` CPU does not.
pub fn cpu_has_huge_pages() -> bool {
    extended_feature(26)
}

/// Bit `bit` of EDX in CPUID leaf 0x8000_0001, if the CPU has that leaf.
fn extended_feature(bit: u32) -> bool {
    let highest = core::arch::x86_64::__cpuid(0x8000_0000).eax;
    highest >= 0x8000_0001 && core::arch::x86_64::__cpuid(0x8000_0001).edx & (1 << bit) != 0
}

/// Switches to the kernel's tables and stack and jumps to its entry.
pub fn jump(root: u64, stack_top: u64, entry: u64, boot_info: u64, nx: bool) -> ! {
    // SAFETY: the MSR and CR0 bits only enable protections the kernel's
    // tables were built for (NXE only where the CPU has NX).
    unsafe {
        if nx {
            let (low, high): (u32, u32);
            asm!("rdmsr", in("ecx") EFER, out("eax") low, out("edx") high, options(nomem, nostack));
            let efer = (u64::from(high) << 32 | u64::from(low)) | EFER_NXE;
            asm!("wrmsr", in("ecx") EFER, in("eax") efer as u32, in("edx") (efer >> 32) as u32, options(nomem, nostack));
        }
        asm!("cli", options(nomem, nostack));
        let cr0: u64;
        asm!("mov {}, cr0", out(reg) cr0, options(nomem, nostack));
        asm!("mov cr0, {}", in(reg) cr0 | CR0_WP, options(nomem, nostack));
    }
    // SAFETY: `root` is a complete set of tables that map this code
    // (identity), the stack (top exclusive, writable) and the kernel; the
    // kernel's entry expects exactly `rdi` = &'static mut BootInfo.
    unsafe {
        asm!(
            "mov cr3, {root}",
            "mov rsp, {stack}",
            "xor ebp, ebp",
            "push 0",
            "jmp {entry}",
            root = in(reg) root,
            stack = in(reg) stack_top,
            entry = in(reg) entry,
            in("rdi") boot_info,
            options(noreturn)
        )
    }
}
