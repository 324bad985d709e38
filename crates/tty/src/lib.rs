//! The terminal, as pure logic: its settings ([`Termios`]) and the line
//! discipline that turns typed bytes into what `read` returns
//! ([`Discipline`]), by those settings.
//!
//! A Unix terminal is more than a wire: between the keyboard and the
//! program reading it sits the *line discipline*, which collects and edits
//! lines, echoes, and turns some keys into signals (^C). Programs change
//! its rules with `ioctl`s on a `struct termios`. The kernel's console
//! (`kernel/src/syscall/console.rs`, `kernel/src/terminal.rs`) keeps one
//! [`Discipline`] and feeds it the bytes of the keyboard and serial port;
//! everything it decides is here, tested on the host.
#![no_std]
#![forbid(unsafe_code)]

pub mod discipline;
pub mod termios;

pub use discipline::{CAPACITY, Discipline, Fed, ReadWait};
pub use termios::Termios;
