//! The kernel's input queue: bytes from the keyboard and the serial port.
//!
//! Both input devices deliver terminal-style bytes (see the `keybytes` crate):
//! their interrupt handlers [`push`] into one queue and the shell reads from it.
//! The queue is a `ringbuf::RingBuf` behind a spinlock, and the lock is only ever
//! taken with interrupts disabled: in the handlers (the CPU disabled them) and in
//! [`try_read`] (explicitly). On our single CPU that makes a deadlock impossible:
//! no interrupt can arrive while the lock is held, so a handler never spins on a
//! lock that the code it interrupted holds. Nothing prints while holding it.
//!
//! A full queue refuses new bytes and counts them; the reader reports the count
//! once (`input: N bytes dropped`) so lost input is never silent.
//!
//! [`read`] sleeps until a byte arrives. Once threads run, the reader blocks on a
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

use crate::tasks::{scheduler, wait_queue::WaitQueue};
use ringbuf::RingBuf;
use spin::Mutex;
use x86_64::instructions::interrupts;

/// Room for a fast paste into the serial port.
pub const CAPACITY: usize = 1024;

static QUEUE: Mutex<RingBuf<CAPACITY>> = Mutex::new(RingBuf::new());
/// Threads waiting in [`read`].
static READERS: WaitQueue = WaitQueue::new();

/// Queues one input byte (called from interrupt handlers; safe anywhere).
pub fn push(byte: u8) {
    interrupts::without_interrupts(|| {
        QUEUE.lock().push(byte);
    });
    READERS.wake_all();
    crate::input_stream::wake_waiting();
}

fn is_empty() -> bool {
    interrupts::without_interrupts(|| QUEUE.lock().is_empty())
}

/// Takes the oldest input byte, if any. Reports dropped input first.
pub fn try_read() -> Option<u8> {
    let (byte, dropped) = interrupts::without_interrupts(|| {
        let mut queue = QUEUE.lock();
        (queue.pop(), queue.take_dropped())
    });
    if dropped > 0 {
        crate::println!(
            "\n\x1b[33minput: {dropped} bytes dropped (the input queue was full)\x1b[0m"
        );
    }
    byte
}

/// Waits for the next input byte, sleeping with `hlt` in between. Interrupts
/// must be enabled (they are, once the boot story has reached the shell).
pub fn read() -> u8 {
    loop {
        if scheduler::is_running() {
            if let Some(byte) = try_read() {
                return byte;
            }
            READERS.wait_while(is_empty);
            continue;
        }
        interrupts::disable();
        if let Some(byte) = try_read() {
            interrupts::enable();
            return byte;
        }
        // `sti` takes effect after the following instruction, `hlt`: an
        // interrupt pending now wakes the `hlt` instead of being missed.
        interrupts::enable_and_hlt();
    }
}

/// Discards everything queued (for tests).
pub fn clear() {
    interrupts::without_interrupts(|| {
        let mut queue = QUEUE.lock();
        while queue.pop().is_some() {}
        queue.take_dropped();
    });
}
