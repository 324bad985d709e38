//! The kernel shell: a prompt, a line editor, and commands.
//!
//! The shell reads input bytes from the kernel's input queue (keyboard and
//! serial alike, see `input.rs`), feeds them to the host-tested line editor of
//! the `shell` crate, which echoes what the screen must show, and when a line is
//! finished splits it into words (`shell::split_args`) and runs the command named
//! by the first word from the table in [`commands`]. Errors (an unknown command,
//! a bad argument, a quote left open, a line longer than the editor holds) are
//! one line starting with `error:`, and a new prompt follows.
//!
//! The editor lays long lines out in rows as wide as the screen (80 columns
//! without a screen). If the input queue overflowed, the shell reports where
//! on a line of its own, then shows the prompt and the line being edited
//! again.
//!
//! (Inside the kernel this module is `kernel::shell`; `::shell` is the crate
//! with the pure logic.)

pub mod commands;
pub mod disk;
pub mod error;
pub mod filesystems;
pub mod programs;
pub mod threads;

use crate::input::{self, Input};
use crate::{output, print, println};
use ::shell::{LINE_CAPACITY, LineEditor, Outcome, split_args};
use bootloader_api::BootInfo;
use core::fmt;
use spin::Once;

/// What the shell shows when it is ready for a line.
pub const PROMPT: &str = "\x1b[32mkestrel>\x1b[0m ";
/// How many columns [`PROMPT`] takes on the screen ("kestrel> ").
const PROMPT_COLUMNS: usize = 9;
/// The width the editor assumes when there is no screen (serial only).
const SERIAL_COLUMNS: usize = 80;

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
    let columns = output::screen_columns().unwrap_or(SERIAL_COLUMNS);
    editor.set_layout(columns, PROMPT_COLUMNS);
    loop {
        print!("{PROMPT}");
        loop {
            let byte = next_byte(&editor);
            match editor.feed(byte, &mut Screen) {
                None => continue,
                Some(Outcome::Cancelled) => break,
                Some(Outcome::Line) => {
                    execute(editor.line());
                    break;
                }
                Some(Outcome::TooLong { refused }) => {
                    println!(
                        "error: line too long: {refused} more characters did not fit \
                         (the limit is {LINE_CAPACITY} bytes); not run"
                    );
                    break;
                }
            }
        }
    }
}

/// Waits for the next input byte. Lost input is reported below the line
/// being edited, which is then shown again after a new prompt.
fn next_byte(editor: &LineEditor) -> u8 {
    loop {
        match input::next() {
            Input::Byte(byte) => return byte,
            Input::Lost(lost) => {
                editor.leave(&mut Screen);
                println!("\x1b[33m{lost}\x1b[0m");
                print!("{PROMPT}");
                editor.redraw(&mut Screen);
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
