//! The kernel's input queue: bytes from the keyboard and the serial port.
//!
//! Both input devices deliver terminal-style bytes (see the `keybytes` crate):
//! their interrupt handlers [`push`] into one queue and the shell reads from it.
//! The queue is a `ringbuf::RingBuf` behind a spinlock, and the lock is only ever
//! taken with interrupts disabled: in the handlers (the CPU disabled them) and in
//! the readers (explicitly). On our single CPU that makes a deadlock impossible:
//! no interrupt can arrive while the lock is held, so a handler never spins on a
//! lock that the code it interrupted holds. Nothing prints while holding it.
//!
//! The queue holds [`CAPACITY`] bytes, enough for a script pasted into the
//! serial port while the shell is still busy with its first lines (the shell
//! echoes every byte, so it reads no faster than the serial port writes). If it
//! does fill up, bytes are refused and the reader gets an [`Input::Lost`] at
//! the place of the gap, with how many bytes and line ends were lost (see
//! `crates/ringbuf`): nothing is lost silently, and a reader can tell a line
//! that lost its end from a whole one.
//!
//! [`next`] sleeps until there is input. Once threads run, the reader blocks on a
//! wait queue that [`push`] wakes (`tasks::wait_queue`), so other threads get the
//! CPU meanwhile. Before that (early boot, test kernels without threads) it
//! halts the CPU instead. The obvious "while empty { hlt }" has a
//! *lost wake-up* race: if the interrupt that brings the byte arrives after the
//! emptiness check but before `hlt`, the CPU sleeps although a byte is waiting,
//! until some later interrupt. We check with interrupts disabled and then execute
//! `sti; hlt` back to back: `sti` enables interrupts only after the *next*
//! instruction, so no interrupt can slip in between the check and the `hlt`, and
//! a pending one wakes the `hlt` at once. (The wait queue closes the same gap in
//! its own way: it checks and queues the reader in one step.)
//!
//! Async tasks read the same queue as a stream (`input_stream.rs`); [`push`]
//! wakes them too.
//!
//! One byte may never reach the queue: the terminal registers an
//! *interceptor* ([`set_interceptor`]) that [`push`] asks first, so that ^C
//! can end a program that is not reading (see `terminal.rs`).

use crate::tasks::{scheduler, wait_queue::WaitQueue};
use core::fmt;
use ringbuf::{Entry, RingBuf};
use spin::Mutex;
use x86_64::instructions::interrupts;

/// Room for a pasted script (64 KiB).
pub const CAPACITY: usize = 64 * 1024;

/// The bytes, and how many line ends are in the gap that has not been read.
struct Queue {
    bytes: RingBuf<CAPACITY>,
    lost_line_ends: u64,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    bytes: RingBuf::new(),
    lost_line_ends: 0,
});
/// Threads waiting in [`next`].
static READERS: WaitQueue = WaitQueue::new();

/// What a reader takes from the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// The next byte.
    Byte(u8),
    /// The queue was full, and this is where input was lost.
    Lost(Lost),
}

/// Input refused because the queue was full: `bytes` bytes, of which
/// `line_ends` were `\r` or `\n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lost {
    pub bytes: u64,
    pub line_ends: u64,
}

impl fmt::Display for Lost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Lost { bytes, line_ends } = self;
        write!(f, "input: {bytes} bytes lost here")?;
        match line_ends {
            0 => {}
            1 => write!(f, ", with 1 line end")?,
            n => write!(f, ", with {n} line ends")?,
        }
        write!(f, " (the input queue of {CAPACITY} bytes was full)")
    }
}

/// Asked by [`push`] about each byte; true if it took the byte.
static INTERCEPTOR: spin::Once<fn(u8) -> bool> = spin::Once::new();

/// Registers the interceptor: a function safe in interrupt handlers that
/// takes a byte (returns true) instead of letting it be queued.
pub fn set_interceptor(interceptor: fn(u8) -> bool) {
    INTERCEPTOR.call_once(|| interceptor);
}

/// Queues one input byte (called from interrupt handlers; safe anywhere).
pub fn push(byte: u8) {
    if INTERCEPTOR.get().is_some_and(|take| take(byte)) {
        return;
    }
    interrupts::without_interrupts(|| {
        let mut queue = QUEUE.lock();
        if !queue.bytes.push(byte) && matches!(byte, b'\r' | b'\n') {
            queue.lost_line_ends += 1;
        }
    });
    READERS.wake_all();
    crate::input_stream::wake_waiting();
    crate::fs::readiness::changed();
}

fn is_empty() -> bool {
    interrupts::without_interrupts(|| QUEUE.lock().bytes.is_empty())
}

/// Whether input is waiting to be read.
pub fn is_waiting() -> bool {
    !is_empty()
}

/// The oldest input byte, left in the queue (`None`: nothing, or lost
/// input comes first).
pub fn peek() -> Option<u8> {
    interrupts::without_interrupts(|| QUEUE.lock().bytes.peek())
}

/// Takes the oldest input, if any.
pub fn try_next() -> Option<Input> {
    interrupts::without_interrupts(|| {
        let mut queue = QUEUE.lock();
        Some(match queue.bytes.pop()? {
            Entry::Byte(byte) => Input::Byte(byte),
            Entry::Gap(bytes) => Input::Lost(Lost {
                bytes,
                line_ends: core::mem::take(&mut queue.lost_line_ends),
            }),
        })
    })
}

/// Waits for the next input, sleeping in between. Interrupts must be
/// enabled (they are, once the boot story has reached the shell).
pub fn next() -> Input {
    loop {
        if scheduler::is_running() {
            if let Some(input) = try_next() {
                return input;
            }
            READERS.wait_while(is_empty);
            continue;
        }
        interrupts::disable();
        if let Some(input) = try_next() {
            interrupts::enable();
            return input;
        }
        // `sti` takes effect after the following instruction, `hlt`: an
        // interrupt pending now wakes the `hlt` instead of being missed.
        interrupts::enable_and_hlt();
    }
}

/// Sleeps while the queue is empty and `still()` is true (a quick check:
/// it runs with the scheduler locked, see `WaitQueue::wait_while`). Wakes
/// for input and for [`wake_readers`]. Threads must be running.
pub fn wait_while_empty(mut still: impl FnMut() -> bool) {
    READERS.wait_while(|| is_empty() && still());
}

/// Wakes every reader waiting for input, to look again at why it waits.
pub fn wake_readers() {
    READERS.wake_all();
}

/// Takes the oldest input byte, if any, for readers that do not handle
/// [`Input::Lost`] themselves: a gap is reported on a line of its own.
pub fn try_read() -> Option<u8> {
    loop {
        match try_next()? {
            Input::Byte(byte) => return Some(byte),
            Input::Lost(lost) => report(lost),
        }
    }
}

/// Waits for the next input byte, like [`next`]; a gap is reported on a line
/// of its own.
pub fn read() -> u8 {
    loop {
        match next() {
            Input::Byte(byte) => return byte,
            Input::Lost(lost) => report(lost),
        }
    }
}

/// Sleeps while no input is waiting, through `wait`, which is given the
/// readers' queue and the "still empty" test (a system call passes
/// `process::signal::wait_interruptible`, so that a signal ends the wait);
/// what `wait` returns.
pub fn wait_with<E>(
    wait: impl FnOnce(&'static WaitQueue, fn() -> bool) -> Result<(), E>,
) -> Result<(), E> {
    wait(&READERS, is_empty)
}

/// Prints `lost` on a line of its own.
pub fn report(lost: Lost) {
    crate::println!("\n\x1b[33m{lost}\x1b[0m");
}

/// Discards everything queued (for tests).
pub fn clear() {
    interrupts::without_interrupts(|| {
        let mut queue = QUEUE.lock();
        queue.bytes.clear();
        queue.lost_line_ends = 0;
    });
}
