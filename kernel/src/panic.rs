//! What happens when kernel code panics.
//!
//! There is no unwinding in this kernel (the target aborts on panic), so a panic
//! ends the current flow of control for good. We print the message and where it
//! came from on both outputs. If a kernel thread panicked in its own code, only
//! that thread ends (see `tasks::crash`). Under test, the harness takes over: it records the
//! outcome and carries on with the next test. Otherwise the CPU halts, leaving the
//! message on the screen for the person in front of it. Before printing it tells
//! the emulator, if it has a `pvpanic` device, that the kernel panicked
//! (`arch::pvpanic`): that is how the runner knows the run failed.

use crate::{arch, output, tasks, testing};
use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let interrupts_were_on = x86_64::instructions::interrupts::are_enabled();
    if let Some(failing) = tasks::crash::may_end_thread(interrupts_were_on, 0) {
        let id = failing.id.0;
        tasks::crash::name_of(failing.id, |name| {
            crate::println!(
                "\n\x1b[31mthread {id} ({name}) panicked\x1b[0m: {}\nthread {id} was ended; the kernel goes on.",
                Report(info)
            );
        });
        tasks::crash::end_current_thread();
    }
    if testing::is_running() {
        testing::on_panic(&Report(info));
    }
    // First tell the emulator (which cannot fail), then the person.
    arch::pvpanic::report_panic();
    output::emergency_print(format_args!(
        "\n\x1b[31mKERNEL PANIC\x1b[0m: {}\n",
        Report(info)
    ));
    arch::cpu::halt_forever()
}

/// `message at file:line:column`.
pub struct Report<'a>(pub &'a PanicInfo<'a>);

impl core::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0.message())?;
        if let Some(location) = self.0.location() {
            write!(
                f,
                " at {}:{}:{}",
                location.file(),
                location.line(),
                location.column()
            )?;
        }
        Ok(())
    }
}
