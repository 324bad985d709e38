//! The kernel shell: a prompt, a line editor, and commands.
//!
//! The shell reads input bytes from the kernel's input queue (keyboard and
//! serial alike, see `input.rs`), feeds them to the host-tested line editor of
//! the `shell` crate, which echoes what the screen must show, and when a line is
//! finished splits it into words (`shell::split_args`) and runs the command named
//! by the first word from the table in [`commands`]. Errors (an unknown command,
//! a bad argument, a quote left open) are one line starting with `error:`, and
//! a new prompt follows.
//!
//! (Inside the kernel this module is `kernel::shell`; `::shell` is the crate
//! with the pure logic.)

pub mod commands;
pub mod error;
pub mod threads;

use crate::{input, print, println};
use ::shell::{LineEditor, Outcome, split_args};
use bootloader_api::BootInfo;
use core::fmt;
use spin::Once;

/// What the shell shows when it is ready for a line.
pub const PROMPT: &str = "\x1b[32mkestrel>\x1b[0m ";

/// The most words a command line may have.
const MAX_WORDS: usize = 16;

static BOOT_INFO: Once<&'static BootInfo> = Once::new();

/// The boot information, for commands that report it.
pub fn boot_info() -> Option<&'static BootInfo> {
    BOOT_INFO.get().copied()
}

/// Sends the editor's echo to the screen and the serial port.
struct Screen;

impl fmt::Write for Screen {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        print!("{s}");
        Ok(())
    }
}

/// Runs the shell forever. Needs interrupts enabled (input arrives by interrupt).
pub fn run(boot_info: &'static BootInfo) -> ! {
    BOOT_INFO.call_once(|| boot_info);
    println!("Type `help` for the list of commands.");
    // The editor (line + history) is ~9 KiB; a static keeps it off the stack.
    static EDITOR: spin::Mutex<LineEditor> = spin::Mutex::new(LineEditor::new());
    let mut editor = EDITOR.lock();
    loop {
        print!("{PROMPT}");
        loop {
            let byte = input::read();
            match editor.feed(byte, &mut Screen) {
                None => continue,
                Some(Outcome::Cancelled) => break,
                Some(Outcome::Line) => {
                    execute(editor.line());
                    break;
                }
            }
        }
    }
}

/// Splits `line` into words and runs the command it names.
pub fn execute(line: &str) {
    let mut words = [""; MAX_WORDS];
    let count = match split_args(line, &mut words) {
        Ok(count) => count,
        Err(e) => return println!("error: {e}"),
    };
    let Some((&name, args)) = words[..count].split_first() else {
        return; // an empty line
    };
    match commands::find(name) {
        Some(command) => {
            if let Err(e) = (command.run)(args) {
                println!("error: {name}: {e}");
            }
        }
        None => println!("error: unknown command `{name}` (type `help` for the list)"),
    }
}
