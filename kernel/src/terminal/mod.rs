//! The console as a terminal: one line discipline, its settings, its
//! window size, and who it belongs to.
//!
//! Keyboard and serial bytes (`input.rs`) reach programs through one
//! [`tty::Discipline`] (canonical editing or raw mode, by its `termios`;
//! `crates/tty` has the rules). The console reads of `syscall/console.rs`
//! feed it as they need bytes, so echo happens when a program reads.
//!
//! A terminal belongs to at most one *session* (it is that session's
//! *controlling terminal*), and one process group of the session is its
//! *foreground* group: the one that may read it, and the one ^C and ^\
//! signal (`signal_keys.rs`). A process of the session outside that group
//! that reads gets SIGTTIN, or EIO (`syscall/console.rs`).
//!
//! The kernel shell's `run` lends the console to the program it runs in the
//! foreground ([`lend_to`]: the program leads a new session, which gets the
//! console, its group in the foreground) and takes it back when the program
//! ends ([`take_back`], which also restores the default settings, as a
//! shell does after a program that left the terminal in raw mode). A
//! session leader may also claim a free console with `TIOCSCTTY`.

pub mod signal_keys;

use crate::process::Pid;
use crate::sync::IrqMutex;

/// The console's terminal state.
pub struct Terminal {
    pub discipline: tty::Discipline,
    /// `struct winsize` as a program set it (`TIOCSWINSZ`), if it did.
    pub window: Option<[u8; 8]>,
    /// The session whose controlling terminal this is.
    pub session: Option<Pid>,
    /// The foreground process group.
    pub foreground: Option<Pid>,
}

/// Taken with interrupts off: the interceptor of `signal_keys.rs` looks at
/// the settings from the keyboard's and serial port's interrupt handlers.
static TERMINAL: IrqMutex<Terminal> = IrqMutex::new(Terminal {
    discipline: tty::Discipline::new(),
    window: None,
    session: None,
    foreground: None,
});

/// Runs `f` on the terminal (quick: interrupts are off meanwhile; no printing).
pub fn with<R>(f: impl FnOnce(&mut Terminal) -> R) -> R {
    f(&mut TERMINAL.lock())
}

/// The session and foreground group.
pub fn owner() -> (Option<Pid>, Option<Pid>) {
    with(|t| (t.session, t.foreground))
}

/// Makes the console the controlling terminal of the session that `pid`
/// leads, with `pid`'s group in the foreground (see the module docs).
pub fn lend_to(pid: Pid) {
    signal_keys::start();
    with(|t| {
        t.session = Some(pid);
        t.foreground = Some(pid);
    });
}

/// Takes the console back from the session it was lent to: no session, no
/// foreground group, default settings, nothing typed kept.
pub fn take_back() {
    with(|t| {
        t.session = None;
        t.foreground = None;
        t.discipline = tty::Discipline::new();
    });
}

/// `struct winsize` (rows, columns, two pixel sizes we leave 0): as set by
/// `TIOCSWINSZ`, or the screen's text size (24 x 80 on serial only).
pub fn window_size() -> [u8; 8] {
    if let Some(window) = with(|t| t.window) {
        return window;
    }
    let rows = crate::output::screen_rows().unwrap_or(24) as u16;
    let columns = crate::output::screen_columns().unwrap_or(80) as u16;
    let mut out = [0u8; 8];
    out[..2].copy_from_slice(&rows.to_le_bytes());
    out[2..4].copy_from_slice(&columns.to_le_bytes());
    out
}
