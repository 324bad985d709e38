//! The kernel's entry point: the boot story, one step per line.
//!
//! The bootloader (BIOS or UEFI flavour) has already switched the CPU to 64-bit
//! long mode, loaded this ELF file, set up page tables that map the kernel, a stack,
//! the framebuffer and all of physical memory, and jumped here with interrupts off.
//! It passes a `BootInfo` describing what it found. From here on the machine is ours.
#![no_std]
#![no_main]

use bootloader_api::BootInfo;
use kernel::{arch, boot, boot_report, drivers, logger, memory, output, println};

// Tell the bootloader where to jump and how we want memory mapped; the macro stores
// the config in a special ELF section that the bootloader reads before loading us.
bootloader_api::entry_point!(kernel_main, config = &boot::BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    // 1. Serial port COM1: the simplest output device, so it comes first.
    drivers::serial::init();
    // 2. The framebuffer becomes a text console; from now on print! shows on both.
    output::init_screen(boot_info.framebuffer.take());
    // 3. The `log` crate's macros (info!, warn!, ...) go to the same outputs.
    logger::init();
    // 4. Say hello: the first line the kernel itself prints.
    println!(
        "Hello World! This is Kestrel {}.",
        env!("CARGO_PKG_VERSION")
    );
    // 5. Memory: frame allocator, page tables, NX/W^X hardening, the heap.
    memory::init(boot_info);
    // 6. Report what the bootloader handed us: firmware, screen, memory.
    boot_report::print(boot_info);
    // 7. Nothing else to do yet: sleep until the end of time.
    println!("{}", boot_report::IDLE_LINE);
    arch::cpu::halt_forever()
}
