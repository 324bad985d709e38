//! The signal keys: ^C (SIGINT), ^\ (SIGQUIT) and ^Z (SIGTSTP) reach the
//! foreground process group even while no program reads the terminal.
//!
//! The line discipline turns those keys into signals when it is fed them
//! (`crates/tty`), but bytes wait in the input queue until a program reads,
//! and a program in a busy loop never does. So the terminal asks to see
//! every byte as it arrives: `input::push` calls [`intercept`] from the
//! keyboard's and serial port's interrupt handlers. If the terminal has a
//! foreground group and its settings (`ISIG`, `VINTR`...) make the byte a
//! signal key, the byte is taken: what was typed is flushed (unless
//! `NOFLSH`) and the signal is noted. Sending it means ending processes,
//! which an interrupt handler must not do (it frees memory and takes
//! locks), so a kernel thread, `tty-signals`, does that: it wakes, echoes
//! `^C`, and sends the signal to every member of the foreground group
//! through `process::signal::kill`.
//!
//! Without a foreground group (the kernel shell reads the console itself)
//! the bytes go to the input queue as before: the shell's ^C cancels its
//! line.

use super::with;
use crate::process::groups;
use crate::tasks::thread;
use crate::tasks::wait_queue::WaitQueue;
use crate::{input, print};
use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};
use tty::termios;

/// Signals noted and not sent yet (bit n-1 for signal n).
static PENDING: AtomicU64 = AtomicU64::new(0);
/// Input to flush before sending them (a key without `NOFLSH`).
static FLUSH: AtomicU64 = AtomicU64::new(0);
/// Where `tty-signals` sleeps.
static WAKE: WaitQueue = WaitQueue::new();
static STARTED: spin::Once<()> = spin::Once::new();

/// Registers the interceptor and starts `tty-signals`, once.
pub fn start() {
    STARTED.call_once(|| {
        input::set_interceptor(intercept);
        match thread::spawn("tty-signals", run) {
            Ok(handle) => drop(handle),
            Err(e) => crate::println!("terminal: no thread for ^C and ^\\: {e}"),
        }
    });
}

/// Takes `byte` if it is a signal key for the foreground group (see the
/// module docs). Safe in interrupt handlers: no printing, no allocation.
fn intercept(byte: u8) -> bool {
    let Some((signal, flush)) = with(|t| {
        t.foreground?;
        let termios = t.discipline.termios;
        let signal = termios.signal_for(byte)?;
        let flush = !termios.local(termios::NOFLSH);
        if flush {
            t.discipline.flush();
        }
        Some((signal, flush))
    }) else {
        return false;
    };
    if flush {
        FLUSH.store(1, Ordering::SeqCst);
    }
    PENDING.fetch_or(1 << (signal - 1), Ordering::SeqCst);
    WAKE.wake_all();
    true
}

/// `tty-signals`: sends the noted signals, for ever.
fn run() {
    loop {
        WAKE.wait_while(|| PENDING.load(Ordering::SeqCst) == 0);
        if FLUSH.swap(0, Ordering::SeqCst) != 0 {
            input::clear();
        }
        let signals = PENDING.swap(0, Ordering::SeqCst);
        for signal in 1..=64u8 {
            if signals & (1 << (signal - 1)) != 0 {
                echo_key(signal);
                send(signal);
            }
        }
    }
}

/// Echoes the key of `signal` as the line discipline would (`^C`).
fn echo_key(signal: u8) {
    let mut echo = String::new();
    with(|t| {
        let termios = t.discipline.termios;
        let key = [termios::VINTR, termios::VQUIT, termios::VSUSP]
            .into_iter()
            .map(|index| termios.cc[index])
            .find(|&key| termios.signal_for(key) == Some(signal));
        if let Some(key) = key {
            t.discipline.echo_byte(key, &mut echo);
        }
    });
    print!("{echo}");
}

/// Sends `signal` to the foreground group, if there is one.
pub fn send(signal: u8) {
    if let (_, Some(group)) = super::owner() {
        let _ = groups::kill_group(group, u64::from(signal));
    }
}
