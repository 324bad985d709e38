//! Kernel tests for the interrupts chapter: the boot steps, exceptions (and the
//! harness surviving them), the APIC timer and clock, the input queue.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::arch::{acpi, apic, entry, gdt, guard, idt, interrupts, irq, pit};
use kernel::input::{Input, Lost};
use kernel::{drivers, input, println, should_panic, symbols, test, testing, time};
use x86_64::instructions::interrupts::without_interrupts;
use x86_64::{PhysAddr, VirtAddr};

kernel::test_kernel![
    test!(boot_steps_succeed),
    test!(stubs_are_where_the_idt_points),
    test!(acpi_describes_the_machine),
    test!(guard_pages_are_unmapped),
    test!(breakpoint_returns),
    // First among the exceptions: later tests run on a fresh kernel stack too,
    // but this one checks the stack the bootloader gave us.
    should_panic!(stack_overflow_is_caught, "stack overflow: the kernel stack"),
    should_panic!(
        page_fault_reports_the_address,
        "page fault at 0x5555deadb000"
    ),
    should_panic!(divide_error_is_reported, "divide error"),
    should_panic!(invalid_opcode_is_reported, "invalid opcode"),
    test!(interrupts_are_on_again_after_an_exception),
    test!(timer_ticks_advance),
    test!(timer_ticks_during_the_heap_benchmark),
    test!(clock_agrees_with_the_pit),
    test!(self_interrupts_are_delivered_and_counted),
    test!(input_queue_is_fifo_and_reports_gaps),
    test!(read_wakes_up_for_interrupt_input),
    test!(symbols_name_kernel_functions),
];

/// The boot story of `main.rs`, up to the shell.
fn boot_steps_succeed() {
    let boot_info = testing::boot_info();
    gdt::init(boot_info);
    idt::init(boot_info);
    acpi::init(boot_info).expect("ACPI tables");
    irq::init();
    time::init();
    drivers::keyboard::init(input::push);
    drivers::serial::enable_input(input::push);
    interrupts::enable();
    println!(
        "TSC {} MHz, APIC timer {} kHz",
        time::tsc_hz() / 1_000_000,
        time::apic_timer_hz() / 1000
    );
    assert!(time::tsc_hz() > 10_000_000, "TSC runs at more than 10 MHz");
}

fn stubs_are_where_the_idt_points() {
    // A stub without a CPU error code starts `push 0; push VECTOR` (6a 00 6a NN);
    // one with an error code (14, page fault) starts `push 14` directly.
    let bytes = |vector: u8| {
        let at = entry::stub_address(vector) as *const [u8; 4];
        // SAFETY: the stubs are kernel code, mapped readable.
        unsafe { *at }
    };
    assert_eq!(bytes(3), [0x6a, 0x00, 0x6a, 3]);
    assert_eq!(bytes(0x30), [0x6a, 0x00, 0x6a, 0x30]);
    assert_eq!(bytes(14)[..2], [0x6a, 14]);
    assert_eq!(bytes(8)[..2], [0x6a, 8]);
}

fn acpi_describes_the_machine() {
    let platform = acpi::platform().expect("acpi::init succeeded");
    assert_eq!(platform.local_apic, PhysAddr::new(0xFEE0_0000));
    assert!(!platform.io_apic.is_null());
    // QEMU wires the PIT (ISA IRQ 0) to I/O APIC input 2, and says so in the MADT.
    assert_eq!(platform.isa_routes[0].gsi, 2);
    assert!(platform.pm1a_control.is_some());
    let s5 = aml_s5::find_s5(acpi::dsdt_bytes().expect("a DSDT"));
    println!("PM1a control {:?}, \\_S5 {s5:?}", platform.pm1a_control);
    assert!(s5.is_some(), "QEMU's DSDT has a constant \\_S5");
}

fn guard_pages_are_unmapped() {
    let mut names = [""; 8];
    let mut count = 0;
    guard::for_each(|start, name| {
        assert!(!guard::is_mapped(start), "guard of {name} is mapped");
        assert!(
            guard::is_mapped(start + 4096u64),
            "the {name} itself is mapped"
        );
        names[count] = name;
        count += 1;
    });
    for expected in [
        "kernel stack",
        "double-fault stack",
        "NMI stack",
        "machine-check stack",
    ] {
        assert!(
            names[..count].contains(&expected),
            "{expected} has no guard: {names:?}"
        );
    }
}

fn breakpoint_returns() {
    let before = interrupts::count(3);
    // The breakpoint exception's handler returns.
    x86_64::instructions::interrupts::int3();
    assert_eq!(interrupts::count(3), before + 1);
}

const UNMAPPED: u64 = 0x5555_dead_b000;

fn page_fault_reports_the_address() {
    assert!(
        !guard::is_mapped(VirtAddr::new(UNMAPPED)),
        "test address must be unmapped"
    );
    // SAFETY: deliberately faulting; the handler ends this test.
    let value = unsafe { (UNMAPPED as *const u64).read_volatile() };
    println!("read {value} from an unmapped page?!");
}

#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let mut buffer = [depth; 64];
    // Keep the buffer alive so the frame cannot be optimised away.
    core::hint::black_box(&mut buffer);
    recurse(depth + 1) + buffer[3]
}

fn stack_overflow_is_caught() {
    println!("recursing: {}", recurse(0));
}

fn divide_error_is_reported() {
    // SAFETY: deliberately dividing by zero (`div` with a zero divisor).
    unsafe {
        core::arch::asm!("xor ecx, ecx", "div ecx", out("eax") _, out("edx") _, out("ecx") _)
    };
}

fn invalid_opcode_is_reported() {
    // SAFETY: `ud2` is the official invalid instruction.
    unsafe { core::arch::asm!("ud2") };
}

fn interrupts_are_on_again_after_an_exception() {
    assert!(x86_64::instructions::interrupts::are_enabled());
    assert_eq!(interrupts::count(14), 1, "one page fault so far");
    assert_eq!(interrupts::count(8), 1, "one double fault so far");
}

static HEARD_TICKS: AtomicU64 = AtomicU64::new(0);

/// The tick advances at 100 Hz, and a tick listener hears every tick.
fn timer_ticks_advance() {
    // Interrupts off: no tick falls between registering and reading.
    let (start, heard) = without_interrupts(|| {
        time::add_tick_listener(|| {
            HEARD_TICKS.fetch_add(1, Ordering::SeqCst);
        });
        (time::ticks(), HEARD_TICKS.load(Ordering::SeqCst))
    });
    // 20 ticks are expected in 200 ms. On a loaded host QEMU's virtual CPU
    // can be descheduled and a window may lose ticks, so a few windows are
    // tried: a wrong timer rate fails them all.
    let (mut end, mut heard_end) = (start, heard);
    let mut window_start = start;
    let counts = (0..5).map(|_| {
        let until = time::now_ns() + 200_000_000;
        while time::now_ns() < until {
            x86_64::instructions::hlt();
        }
        (end, heard_end) =
            without_interrupts(|| (time::ticks(), HEARD_TICKS.load(Ordering::SeqCst)));
        let ticks = end - window_start;
        window_start = end;
        ticks
    });
    let counts = first_within(counts, 15..=25);
    println!("ticks in 200 ms windows of uptime: {counts:?}");
    let ticks = end - start;
    assert_eq!(heard_end - heard, ticks, "the listener heard every tick");
    assert_eq!(interrupts::name(irq::TIMER_VECTOR), "APIC timer");
    assert!(interrupts::count(irq::TIMER_VECTOR) >= ticks);
}

/// The heap benchmark takes the heap's lock (and so turns interrupts off)
/// per allocator call, not for its whole run: once a run has lasted ten
/// timer periods, ticks must have come in during it. (With interrupts off
/// throughout, the APIC keeps one tick pending, delivered at the end: at
/// most 1.)
fn timer_ticks_during_the_heap_benchmark() {
    let period_ns = 1_000_000_000 / time::TICK_HZ;
    let mut ops = 1000;
    // Long enough runs first (ten periods at least).
    while time::cycles_to_ns(kernel::memory::heap::bench(ops, 3).1) < 10 * period_ns {
        ops *= 2;
    }
    // A descheduled virtual CPU can lose ticks in one run, so a few runs
    // are tried; with interrupts off throughout, every run would see one
    // tick at most.
    let runs = (0..5).map(|_| {
        let before = time::ticks();
        let (result, cycles) = kernel::memory::heap::bench(ops, 3);
        let ticks = time::ticks() - before;
        println!(
            "{} allocator calls in {} us: {ticks} ticks",
            result.ops,
            time::cycles_to_ns(cycles) / 1000
        );
        ticks
    });
    first_within(runs, 2..=u64::MAX);
}

/// 50 ms on the PIT is 50 ms of uptime (the TSC calibrated at boot). A
/// descheduled virtual CPU can make one PIT wait overshoot, so a few waits
/// are tried: a wrong calibration fails them all.
fn clock_agrees_with_the_pit() {
    let waits = (0..5).map(|_| {
        let before = time::uptime();
        pit::wait_micros(50_000);
        (time::uptime() - before).as_micros() as u64
    });
    let waits = first_within(waits, 45_000..=60_000);
    println!("50 ms on the PIT took these microseconds of uptime: {waits:?}");
}

/// Takes `samples` until one lies in `range` and returns those taken;
/// panics, listing them, if none does.
fn first_within(
    samples: impl Iterator<Item = u64>,
    range: core::ops::RangeInclusive<u64>,
) -> Vec<u64> {
    let mut taken = Vec::new();
    for sample in samples {
        taken.push(sample);
        if range.contains(&sample) {
            return taken;
        }
    }
    panic!("no sample in {range:?}: {taken:?}");
}

static BENCH_HITS: AtomicU64 = AtomicU64::new(0);
static EXIT_HOOK_CALLS: AtomicU64 = AtomicU64::new(0);

/// Interrupts that arrived on vectors 32-255 so far.
fn device_interrupts() -> u64 {
    (32..=255u8).map(interrupts::count).sum()
}

/// Self-IPIs arrive and are counted; the dispatcher's exit hook (where the
/// scheduler preempts) runs once after every device interrupt, and not after
/// an exception.
fn self_interrupts_are_delivered_and_counted() {
    interrupts::set_exit_hook(|| {
        EXIT_HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
    });
    let before =
        without_interrupts(|| (EXIT_HOOK_CALLS.load(Ordering::SeqCst), device_interrupts()));
    interrupts::register(irq::BENCH_VECTOR, "test IPI", |_| {
        BENCH_HITS.fetch_add(1, Ordering::SeqCst);
    });
    for _ in 0..10 {
        apic::send_self(irq::BENCH_VECTOR);
    }
    x86_64::instructions::interrupts::int3();
    let after =
        without_interrupts(|| (EXIT_HOOK_CALLS.load(Ordering::SeqCst), device_interrupts()));
    let devices = after.1 - before.1;
    assert!(devices >= 10, "{devices} device interrupts");
    assert_eq!(after.0 - before.0, devices, "exit hook calls");
    assert_eq!(BENCH_HITS.load(Ordering::SeqCst), 10);
    assert_eq!(interrupts::count(irq::BENCH_VECTOR), 10);
    let mut listed = false;
    interrupts::for_each_count(|vector, name, count| {
        if vector == irq::BENCH_VECTOR {
            listed = name == "test IPI" && count == 10;
        }
    });
    assert!(listed);
}

fn input_queue_is_fifo_and_reports_gaps() {
    input::clear();
    for byte in b"hello" {
        input::push(*byte);
    }
    let mut got = [0u8; 5];
    for slot in got.iter_mut() {
        *slot = input::try_read().expect("queued");
    }
    assert_eq!(&got, b"hello");
    assert_eq!(input::try_read(), None);
    for i in 0..input::CAPACITY + 3 {
        input::push(if i == input::CAPACITY + 1 {
            b'\r'
        } else {
            i as u8
        });
    }
    // The oldest bytes are intact, then the gap says what was lost, where.
    for i in 0..input::CAPACITY {
        assert_eq!(input::try_next(), Some(Input::Byte(i as u8)));
    }
    let lost = Lost {
        bytes: 3,
        line_ends: 1,
    };
    assert_eq!(input::try_next(), Some(Input::Lost(lost)));
    assert_eq!(input::try_next(), None);
    // What the shell prints for it ("input: 3 bytes lost here, with 1 line
    // end ..."), for the runner's test to see on serial.
    input::report(lost);
    input::push(b'x');
    assert_eq!(input::try_read(), Some(b'x'));
    input::clear();
}

fn read_wakes_up_for_interrupt_input() {
    input::clear();
    interrupts::register(irq::BENCH_VECTOR, "test IPI", |_| input::push(b'k'));
    apic::send_self(irq::BENCH_VECTOR);
    assert_eq!(input::read(), b'k');
}

struct Text {
    bytes: [u8; 128],
    len: usize,
}

impl Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = (self.len + s.len()).min(self.bytes.len());
        self.bytes[self.len..end].copy_from_slice(&s.as_bytes()[..end - self.len]);
        self.len = end;
        Ok(())
    }
}

fn symbols_name_kernel_functions() {
    let mut text = Text {
        bytes: [0; 128],
        len: 0,
    };
    let address = symbols_name_kernel_functions as *const () as u64;
    write!(text, "{}", symbols::At(address + 4)).unwrap();
    let text = core::str::from_utf8(&text.bytes[..text.len]).unwrap();
    println!("symbol:{text}");
    assert!(text.contains("symbols_name_kernel_functions+0x4"), "{text}");
}
