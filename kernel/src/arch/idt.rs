//! The Interrupt Descriptor Table: where the CPU goes for each of 256 vectors.
//!
//! Each IDT entry (a *gate*) is 16 bytes: the 64-bit address of the handler split
//! into three pieces (a layout inherited from 16- and 32-bit x86), the code
//! segment selector to run it with, an Interrupt Stack Table index (0: stay on the
//! current stack; 1-7: switch to that stack from the TSS), and a type byte. We use
//! *interrupt gates* (type 0xE), which clear the interrupt flag on entry, so a
//! handler is never interrupted by another maskable interrupt. The `lidt`
//! instruction tells the CPU where the table is; it must stay in memory forever.
//!
//! Vectors 0-31 are the CPU's exceptions; the rest are free for interrupts. Every
//! vector points at its stub in [`super::entry`], so even an unexpected vector is
//! reported instead of crashing the machine.

use super::{entry, gdt};
use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::tables::lidt;
use x86_64::structures::DescriptorTablePointer;

/// One 16-byte gate, as the CPU reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Gate {
    offset_low: u16,
    selector: u16,
    /// Bits 0-2: IST index.
    ist: u8,
    /// Bit 7: present; bits 5-6: privilege level; bits 0-3: gate type.
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

const PRESENT_INTERRUPT_GATE: u8 = 0x8E;

impl Gate {
    fn new(handler: u64, selector: u16, ist: u8) -> Gate {
        Gate {
            offset_low: handler as u16,
            selector,
            ist,
            type_attr: PRESENT_INTERRUPT_GATE,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

static IDT: Once<[Gate; 256]> = Once::new();

/// Fills the IDT (every vector to its stub, some exceptions on IST stacks) and
/// loads it; makes kernel symbols available to exception reports. Call after
/// [`gdt::init`].
pub fn init(boot_info: &bootloader_api::BootInfo) {
    crate::symbols::init(boot_info);
    let idt = IDT.call_once(|| {
        let code = gdt::selectors().code.0;
        core::array::from_fn(|vector| {
            let vector = vector as u8;
            Gate::new(entry::stub_address(vector), code, gdt::ist_for(vector))
        })
    });
    let pointer = DescriptorTablePointer {
        limit: (core::mem::size_of_val(idt) - 1) as u16,
        base: VirtAddr::from_ptr(idt.as_ptr()),
    };
    // SAFETY: the table is a 'static array of valid gates whose handlers are our
    // stubs, and the code selector is the loaded GDT's kernel code segment.
    unsafe { lidt(&pointer) };
}
