//! Hardening: the kernel's own pages get exactly the rights they need.
//!
//! Three CPU features make memory bugs fail loudly instead of silently:
//! - **NX** (no-execute): with EFER.NXE set, a page whose entry has NO_EXECUTE
//!   cannot be run as code, so injected data is never executed.
//! - **WP** (CR0.WP): without it, ring 0 may write to read-only pages; with it,
//!   a stray kernel write to code or constants faults.
//! - **W^X**: no page is both writable and executable. The kernel's ELF file
//!   says what each of its segments needs: code is read + execute, constants are
//!   read-only, data and bss are read + write, never execute. Data that only
//!   relocation writes (the `GNU_RELRO` segment) is read-only afterwards.
//!
//! The bootloader (0.11) already sets NXE and WP and maps each ELF segment with
//! flags from its header; it also leaves two kinds of executable page behind:
//! an identity-mapped copy of its context-switch code and its GDT page, in the
//! lower half. [`apply`] checks and fixes all of it and says what it found:
//! it turns NXE and WP on if they are off, walks the kernel's program headers
//! (the ELF file is still in memory at `kernel_addr`) and corrects any page
//! whose flags differ from its segment's, and finally walks every mapping and
//! sets NO_EXECUTE on any executable page outside the kernel's code.
//!
//! One alias remains on purpose: the physical-memory window maps all RAM
//! writable (and non-executable), including the frames of kernel code. Writing
//! there needs a physical address, which stray pointers rarely are.

use super::{paging, phys_to_virt};
use bootloader_api::BootInfo;
use x86_64::registers::control::{Cr0, Cr0Flags, Efer, EferFlags};
use x86_64::structures::paging::PageTableFlags as Flags;
use x86_64::{PhysAddr, VirtAddr};
use xmas_elf::ElfFile;
use xmas_elf::program::Type;

/// What [`apply`] found and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Whether the CPU has NX at all (CPUID); without it NXE stays off and
    /// no page is made non-executable.
    pub nx: bool,
    /// Whether EFER.NXE / CR0.WP were already on (they are on afterwards).
    pub nxe_was_on: bool,
    pub wp_was_on: bool,
    /// Loadable segments of the kernel ELF and the pages they cover.
    pub segments: usize,
    pub segment_pages: usize,
    /// Kernel pages whose flags differed from their segment's and were fixed.
    pub segment_pages_fixed: usize,
    /// Executable pages outside kernel code that were made NO_EXECUTE.
    pub stray_executable_fixed: usize,
    /// Mappings that are still writable and executable (should be 0).
    pub writable_executable: usize,
    /// The pages of the kernel's code, for tests: `[start, end)`.
    pub text: (u64, u64),
}

/// ELF segment flags: writable, executable.
const PF_X: u32 = 1;
const PF_W: u32 = 2;

/// Calls `f(virtual start, virtual end, ELF flags)` for each segment of type
/// `kind` of the kernel.
fn for_each_segment(boot_info: &BootInfo, kind: Type, mut f: impl FnMut(u64, u64, u32)) {
    let elf = phys_to_virt(PhysAddr::new(boot_info.kernel_addr)).as_ptr::<u8>();
    // SAFETY: the bootloader reports the kernel ELF file at `kernel_addr`, and
    // marks that memory used (not `Usable`), so it stays intact and is never
    // written; it is mapped in the physical-memory window.
    let elf = unsafe { core::slice::from_raw_parts(elf, boot_info.kernel_len as usize) };
    let elf = ElfFile::new(elf).expect("the kernel is a valid ELF file");
    let load_offset = boot_info.kernel_image_offset;
    for ph in elf.program_iter() {
        if ph.get_type() == Ok(kind) && ph.mem_size() > 0 {
            let start = load_offset + ph.virtual_addr();
            let flags = ph.flags();
            let elf_flags =
                u32::from(flags.is_execute()) * PF_X + u32::from(flags.is_write()) * PF_W;
            f(start, start + ph.mem_size(), elf_flags);
        }
    }
}

/// The flags a page of a segment with ELF flags `elf_flags` must have.
fn wanted(elf_flags: u32) -> Flags {
    let mut flags = Flags::PRESENT;
    if elf_flags & PF_W != 0 {
        flags |= Flags::WRITABLE;
    }
    if elf_flags & PF_X == 0 {
        flags |= Flags::NO_EXECUTE;
    }
    flags
}

/// Checks and fixes the CPU settings and the kernel's mappings; see the
/// module docs.
pub fn apply(boot_info: &BootInfo) -> Report {
    let nx = paging::no_execute_supported();
    let mut report = Report {
        nx,
        nxe_was_on: Efer::read().contains(EferFlags::NO_EXECUTE_ENABLE),
        wp_was_on: Cr0::read().contains(Cr0Flags::WRITE_PROTECT),
        ..Report::default()
    };
    // SAFETY: turning on NXE only gives meaning to NO_EXECUTE bits, which the
    // bootloader set on data pages only (and only where the CPU has NX: on
    // one without, EFER.NXE cannot be set); WP only makes read-only pages
    // read-only for us too, and the kernel writes only to its data segments.
    unsafe {
        if nx {
            Efer::update(|e| *e |= EferFlags::NO_EXECUTE_ENABLE);
        }
        Cr0::update(|c| *c |= Cr0Flags::WRITE_PROTECT);
    }
    // "Relocation read-only": data that is written only while relocating (the
    // bootloader did that) and read-only afterwards. Its pages lose WRITABLE.
    let mut relro = (0, 0);
    for_each_segment(boot_info, Type::GnuRelro, |start, end, _| {
        relro = (start & !0xfff, end.next_multiple_of(4096));
    });
    let (mut text_start, mut text_end) = (u64::MAX, 0);
    for_each_segment(boot_info, Type::Load, |start, end, elf_flags| {
        report.segments += 1;
        let mut page = VirtAddr::new(start).align_down(4096u64);
        if elf_flags & PF_X != 0 {
            // Whole pages: the segment's first and last pages are code pages.
            text_start = text_start.min(page.as_u64());
            text_end = text_end.max(VirtAddr::new(end).align_up(4096u64).as_u64());
        }
        while page.as_u64() < end {
            report.segment_pages += 1;
            let mut want = paging::supported(wanted(elf_flags));
            if (relro.0..relro.1).contains(&page.as_u64()) {
                want -= Flags::WRITABLE;
            }
            let t = paging::translate(page).expect("every kernel page is mapped");
            let rights = paging::supported(Flags::WRITABLE | Flags::NO_EXECUTE);
            if t.flags & rights != want & rights {
                let flags = (t.flags - rights) | want;
                log::info!(
                    "hardening: page {page:?} had {:?}, its segment wants {want:?}",
                    t.flags
                );
                // SAFETY: the new flags are what the kernel's own ELF file asks
                // for this segment, which is what its code relies on.
                unsafe { paging::protect(page, flags) }
                    .expect("a mapped page can be changed")
                    .flush();
                report.segment_pages_fixed += 1;
            }
            page += 4096u64;
        }
    });
    report.text = (text_start, text_end);
    if !nx {
        return report;
    }
    let in_text = |a: u64| a >= text_start.min(text_end) && a < text_end;
    // SAFETY: only pages outside the kernel's code lose their execute right,
    // and no code outside the kernel's code runs any more.
    unsafe {
        paging::for_each_leaf(|addr, _, entry| {
            let flags = entry.flags();
            if flags.contains(Flags::NO_EXECUTE) {
                return;
            }
            if !in_text(addr.as_u64()) {
                entry.set_flags(flags | Flags::NO_EXECUTE);
                report.stray_executable_fixed += 1;
            } else if flags.contains(Flags::WRITABLE) {
                report.writable_executable += 1;
            }
        });
    }
    report
}
