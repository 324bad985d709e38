//! The kernel's entry point: the boot story, one step per line.
//!
//! The bootloader (BIOS or UEFI flavour) has already switched the CPU to 64-bit
//! long mode, loaded this ELF file, set up page tables that map the kernel, a stack,
//! the framebuffer and all of physical memory, and jumped here with interrupts off.
//! It passes a `BootInfo` describing what it found. From here on the machine is ours:
//! we set up output, then the CPU's tables and the interrupt hardware, and hand
//! over to the shell.
#![no_std]
#![no_main]

use bootloader_api::BootInfo;
use kernel::{
    arch, block, boot, boot_options, boot_report, drivers, fault_policy, first_process, fs, input,
    logger, memory, output, println, syscall, tasks, time,
};

// Tell the bootloader where to jump and how we want memory mapped; the macro stores
// the config in a special ELF section that the bootloader reads before loading us.
bootloader_api::entry_point!(kernel_main, config = &boot::BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    // 0. The clock's zero: time is counted from here (read the TSC).
    time::mark_kernel_start();
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
    // 4b. The CPU must have what the kernel relies on (cpuid); else stop here.
    if arch::features::missing().next().is_some() {
        boot_report::stop_for_missing_features(arch::features::missing());
    }
    // 5. Memory: frame allocator, page tables, NX/W^X hardening, the heap.
    memory::init(boot_info);
    // 6. CPU tables: the GDT with a TSS whose IST stacks have guard pages.
    arch::gdt::init(boot_info);
    // 7. The IDT: every vector to our entry stubs; exceptions print a report,
    //    and the fault policy decides what follows (end a thread, or halt).
    arch::idt::init(boot_info);
    fault_policy::init();
    // 8. ACPI: interrupt controllers and CPUs (MADT), power registers (FADT).
    arch::acpi::init(boot_info).expect("the APIC setup needs the ACPI tables");
    // 9. Report what the bootloader handed us: firmware, screen, memory, CPUs.
    boot_report::print(boot_info);
    // 9b. The runner's boot options (QEMU's fw_cfg), a bad word reported.
    boot_options::get();
    fs::ramdisk::init(boot_info);
    // 10. Interrupt controllers: 8259s remapped and masked, local and I/O APIC on.
    arch::irq::init();
    // 11. Time: TSC and APIC timer calibrated on the PIT; a 100 Hz tick.
    time::init();
    // 12. The PS/2 keyboard interrupt (IRQ 1) feeds the input queue.
    drivers::keyboard::init(input::push);
    // 13. So does the serial port's receive interrupt (IRQ 4).
    drivers::serial::enable_input(input::push);
    // 14. Threads: this code becomes thread 1, `main`; the timer preempts.
    tasks::init();
    // 14b. System calls: `syscall` enters the kernel on the thread's stack.
    arch::syscall::init();
    syscall::init();
    // 15. Async tasks: one executor, polled by the kernel thread `async`.
    tasks::executor::init();
    // 16. Everything is in place: let interrupts in.
    arch::interrupts::enable();
    // 16b. PCI devices, and the virtio disk if one is attached (its requests
    //      complete by interrupt, so this comes after step 16).
    block::init(&drivers::pci::scan());
    // 16c. The disk's ext2 file system, if it has one (replaying its journal).
    fs::ext2_mount::mount_at_boot();
    // 17. Tell the user (and the runner, which waits for this line) we are up.
    boot_report::print_boot_complete();
    // 18. The first process, init (pid 1), from /sbin/init; thread `main`
    //     waits for it. The kernel shell (the monitor) runs if init ends, or
    //     instead of it with the boot option `monitor` (fw_cfg, see
    //     `boot_options.rs`).
    first_process::run(boot_info)
}
