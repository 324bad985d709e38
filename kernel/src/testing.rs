//! The kernel test harness: many named tests in one bootable kernel.
//!
//! Rust's built-in test harness needs `std`, and the `custom_test_frameworks`
//! feature needs a nightly compiler, so we keep our own small registry instead.
//! Each file in `kernel/tests/` is a kernel of its own that lists its tests with
//! [`test_kernel!`]. The harness boots the output devices, runs the tests in order
//! and prints one line per test over serial:
//!
//! ```text
//! test scrolls_many_lines ... ok
//! test panic_is_reported ... ok (panicked: boom at kernel/tests/basics.rs:30:5)
//! 2 passed, 0 failed
//! ```
//!
//! It then tells QEMU to exit with success or failure (see `arch::qemu`), which the
//! runner turns into its own exit status. A panic does not unwind, so when a test
//! panics the panic handler calls back into the harness, which records the result
//! and continues with the next test on the panic handler's stack; the abandoned
//! frames of the failed test are never returned to. That is how a test can expect
//! a panic, or a CPU exception: the fault policy (`fault_policy`) hands those
//! to [`end_test_after_exception`], which continues at the top of the kernel
//! stack.

use crate::arch::entry::InterruptFrame;
use crate::arch::interrupts;
use crate::arch::qemu::{self, ExitCode};
use crate::{drivers, fault_policy, logger, output, print, println};
use bootloader_api::BootInfo;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use spin::{Mutex, Once};

/// What a test is expected to do.
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    /// Return normally.
    Pass,
    /// Panic with a message containing this text.
    Panic(&'static str),
}

/// One registered test.
pub struct Test {
    pub name: &'static str,
    pub func: fn(),
    pub expect: Expect,
}

/// Registers a test that must return normally: `test!(my_test)`.
#[macro_export]
macro_rules! test {
    ($func:path) => {
        $crate::testing::Test {
            name: stringify!($func),
            func: $func,
            expect: $crate::testing::Expect::Pass,
        }
    };
}

/// Registers a test that must panic with a message containing `$text`:
/// `should_panic!(my_test, "index out of bounds")`.
#[macro_export]
macro_rules! should_panic {
    ($func:path, $text:expr) => {
        $crate::testing::Test {
            name: stringify!($func),
            func: $func,
            expect: $crate::testing::Expect::Panic($text),
        }
    };
}

/// Makes the current file a test kernel running the listed tests:
/// `test_kernel![test!(a), should_panic!(b, "boom")];`
#[macro_export]
macro_rules! test_kernel {
    ($($test:expr),* $(,)?) => {
        $crate::bootloader_api::entry_point!(
            __kernel_test_main,
            config = &$crate::boot::BOOTLOADER_CONFIG
        );
        fn __kernel_test_main(boot_info: &'static mut $crate::bootloader_api::BootInfo) -> ! {
            static TESTS: &[$crate::testing::Test] = &[$($test),*];
            $crate::testing::run(boot_info, TESTS)
        }
    };
}

static TESTS: Once<&'static [Test]> = Once::new();
static BOOT_INFO: Once<&'static BootInfo> = Once::new();
static RUNNING: AtomicBool = AtomicBool::new(false);
/// Index of the next test to start; the current one is `NEXT - 1`.
static NEXT: AtomicUsize = AtomicUsize::new(0);
static PASSED: AtomicUsize = AtomicUsize::new(0);
static FAILED: AtomicUsize = AtomicUsize::new(0);

/// Whether the harness is running tests (the panic handler asks).
pub fn is_running() -> bool {
    RUNNING.load(Ordering::SeqCst)
}

/// The boot information, for tests that need it (minus the framebuffer, which
/// belongs to the console).
pub fn boot_info() -> &'static BootInfo {
    BOOT_INFO
        .get()
        .expect("boot info is recorded before tests run")
}

/// Sets up the output devices and memory as `main.rs` does, then runs `tests` and exits QEMU.
pub fn run(boot_info: &'static mut BootInfo, tests: &'static [Test]) -> ! {
    drivers::serial::init();
    output::init_screen(boot_info.framebuffer.take());
    logger::init();
    let boot_info = BOOT_INFO.call_once(|| boot_info);
    crate::memory::init(boot_info);
    // Exceptions end the running test (once `idt::init` has run).
    fault_policy::init();
    TESTS.call_once(|| tests);
    println!("running {} tests", tests.len());
    RUNNING.store(true, Ordering::SeqCst);
    run_remaining()
}

fn run_remaining() -> ! {
    let tests = TESTS.get().copied().unwrap_or(&[]);
    loop {
        let index = NEXT.fetch_add(1, Ordering::SeqCst);
        let Some(test) = tests.get(index) else { break };
        print!("test {} ... ", test.name);
        (test.func)();
        match test.expect {
            Expect::Pass => record(true, format_args!("ok")),
            Expect::Panic(_) => record(false, format_args!("FAILED (did not panic)")),
        }
    }
    finish()
}

fn record(passed: bool, line: fmt::Arguments) {
    let counter = if passed { &PASSED } else { &FAILED };
    counter.fetch_add(1, Ordering::SeqCst);
    println!("{line}");
}

fn finish() -> ! {
    RUNNING.store(false, Ordering::SeqCst);
    let passed = PASSED.load(Ordering::SeqCst);
    let failed = FAILED.load(Ordering::SeqCst);
    println!("{passed} passed, {failed} failed");
    qemu::exit(if failed == 0 {
        ExitCode::Success
    } else {
        ExitCode::Failure
    })
}

/// Called by the panic handler while tests run with the panic's `report`:
/// judges the current test by its expectation, then continues with the next
/// one. Never returns.
pub fn on_panic(report: &dyn fmt::Display) -> ! {
    let mut message = MessageBuf::new();
    let _ = write!(message, "{report}");
    end_current_test("panicked", message.as_str())
}

/// Ends the running test abruptly because of `what` (`"panicked"`, or
/// `"exception"` from [`end_test_after_exception`]) with `message`, and runs
/// the remaining tests.
pub fn end_current_test(what: &str, message: &str) -> ! {
    // The test may have died in the middle of printing; take the locks back.
    output::emergency_print(format_args!(""));
    // That left interrupts off; the next tests run as the kernel normally does.
    if interrupts::enabled_by_kernel() {
        x86_64::instructions::interrupts::enable();
    }
    let tests = TESTS.get().copied().unwrap_or(&[]);
    let Some(test) = NEXT
        .load(Ordering::SeqCst)
        .checked_sub(1)
        .and_then(|i| tests.get(i))
    else {
        println!("\n{what} outside any test: {message}");
        FAILED.fetch_add(1, Ordering::SeqCst);
        finish()
    };
    match test.expect {
        Expect::Panic(text) if message.contains(text) => {
            record(true, format_args!("ok ({what}: {message})"))
        }
        Expect::Panic(text) => record(
            false,
            format_args!("FAILED ({what} with `{message}`, expected `{text}`)"),
        ),
        Expect::Pass => record(false, format_args!("FAILED ({what}: {message})")),
    }
    run_remaining()
}

// --- Ending a test that faulted --------------------------------------------------

/// The summary of the exception that ended the current test.
static EXCEPTION: Mutex<MessageBuf> = Mutex::new(MessageBuf::new());

/// Ends the current test after an exception (called by the fault policy from
/// the exception handler): records `summary` as the verdict's message and
/// makes the `iretq` "return" into `resume_test_run` at the top of the
/// kernel stack instead of into the faulting code (whose stack may be the one
/// that overflowed). Everything on the kernel stack belongs to the test run,
/// which never returns, so starting over at its top abandons only dead frames.
/// Leaving the handler by `iretq` (rather than continuing inside it) ends the
/// exception cleanly; interrupts are switched back on if the kernel had
/// enabled them (a double fault's saved flags may have them off).
pub fn end_test_after_exception(frame: &mut InterruptFrame, summary: &dyn fmt::Display) {
    let mut message = EXCEPTION.lock();
    message.len = 0;
    let _ = write!(message, "{summary}");
    let info = boot_info();
    let top = (info.kernel_stack_bottom + info.kernel_stack_len) & !0xf;
    frame.rip = resume_test_run as *const () as u64;
    // As if `resume_test_run` had been called: the return-address slot below a
    // 16-byte aligned stack top.
    frame.rsp = top - 8;
    frame.rflags &= !(1 << 8 | 1 << 10); // clear the trap and direction flags
    if interrupts::enabled_by_kernel() {
        frame.rflags |= 1 << 9; // the interrupt flag
    }
}

extern "C" fn resume_test_run() -> ! {
    let mut copy = MessageBuf::new();
    x86_64::instructions::interrupts::without_interrupts(|| {
        let message = EXCEPTION.lock();
        copy.bytes = message.bytes;
        copy.len = message.len;
    });
    end_current_test("exception", copy.as_str())
}

/// A fixed-size text buffer (it works before the heap is set up, and in a
/// panic while the heap is out of memory); silently truncates.
struct MessageBuf {
    bytes: [u8; 256],
    len: usize,
}

impl MessageBuf {
    const fn new() -> Self {
        MessageBuf {
            bytes: [0; 256],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole UTF-8 characters are ever appended (see write_str).
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl Write for MessageBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let mut utf8 = [0; 4];
            let encoded = c.encode_utf8(&mut utf8).as_bytes();
            let end = self.len + encoded.len();
            if end > self.bytes.len() {
                break;
            }
            self.bytes[self.len..end].copy_from_slice(encoded);
            self.len = end;
        }
        Ok(())
    }
}
