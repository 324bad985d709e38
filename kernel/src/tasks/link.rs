//! The link from a running thread to its process: what the system-call path
//! needs on every call, reachable without looking anything up.
//!
//! Every system call asks two questions about the caller: "which process is
//! this?" (`getpid`, and every call that works on the process's record) and,
//! on the way in and out, "may a kill end this thread now, or must it wait
//! for the thread to leave the kernel?" (see `signal.rs`). Answering them
//! through the process table costs two locks and a map lookup each time.
//!
//! So each user thread carries a [`Link`]: its pid and tid, and two flag
//! words that the thread and a killer share:
//!
//! - `in_kernel`: the thread is in kernel code that may hold resources (a
//!   system call, the end after a fault), so a killer only posts the kill;
//! - `kill`: the terminating signal posted for it (0: none), which the
//!   thread acts on at its next way back to ring 3;
//! - `attention`: a signal may be waiting for the thread (one was sent to
//!   its process or to it, and it has not seen the process with nothing
//!   pending since). The way back to ring 3 tests this one word and looks
//!   at the process's record (a lock and a lookup) only when it is set;
//! - `signals`: the signals sent to this thread alone (`tkill`,
//!   `tgkill`), one bit each, which this thread takes on its way out.
//!
//! It also holds the thread's own signal state, its mask above all
//! (`thread_signals.rs`): the thread changes it and senders read it, both
//! holding the process table's lock.
//!
//! The process's record holds the same `Arc` as the thread (so a killer
//! finds the flags of each thread of the process), and the scheduler keeps
//! a pointer to the running thread's link ([`scheduler::with_link`]), so the
//! per-call cost is one load. The flags are atomics: on one CPU a killer runs
//! with interrupts off, so it sees the flags either before or after the
//! thread's store, and either way the thread ends (see
//! `process::syscall_leaving`).
//!
//! It lives with the scheduler, which keeps it for each thread, rather than
//! with processes, which fill it in: the scheduler must not depend on the
//! process layer above it.
//!
//! [`scheduler::with_link`]: crate::tasks::scheduler::with_link

use super::thread::ThreadId;
use super::thread_signals::ThreadSignals;
use super::wait_queue::WaitQueue;
use crate::sync::IrqMutex;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use ptable::Pid;

/// What a user thread carries about its process (see the module docs).
pub struct Link {
    /// The process.
    pub pid: Pid,
    /// The thread's own id (`gettid`): the pid for a process's first thread.
    pub tid: u32,
    /// The kernel thread that runs it.
    pub thread: ThreadId,
    in_kernel: AtomicBool,
    kill: AtomicU8,
    attention: AtomicBool,
    signals: AtomicU64,
    /// Where 0 is stored when the thread ends (`CLONE_CHILD_CLEARTID`,
    /// `set_tid_address`) for threads other than the first (whose address
    /// is the process's `clear_child_tid`).
    pub clear_tid: AtomicU64,
    /// A futex wake chose this thread (see `futex.rs`).
    pub futex_woken: AtomicBool,
    /// Where the thread sleeps in `futex` waits.
    pub futex_queue: WaitQueue,
    /// Its mask, saved mask and alternate stack (see the module docs).
    own: IrqMutex<ThreadSignals>,
}

impl Link {
    /// The link of thread `tid` of process `pid`: in the kernel (it is
    /// starting; it leaves with [`leave`](Self::leave) right before its
    /// first entry into ring 3), not killed, and with its attention raised
    /// (its process may already have signals pending), with signal state
    /// `own`.
    pub fn new(pid: Pid, tid: u32, thread: ThreadId, own: ThreadSignals) -> Link {
        Link {
            pid,
            tid,
            thread,
            in_kernel: AtomicBool::new(true),
            kill: AtomicU8::new(0),
            attention: AtomicBool::new(true),
            signals: AtomicU64::new(0),
            clear_tid: AtomicU64::new(0),
            futex_woken: AtomicBool::new(false),
            futex_queue: WaitQueue::new(),
            own: IrqMutex::new(own),
        }
    }

    /// Runs `f` on the thread's own signal state. The caller holds the
    /// process table's lock (see the module docs).
    pub fn with_own<R>(&self, f: impl FnOnce(&mut ThreadSignals) -> R) -> R {
        f(&mut self.own.lock())
    }

    /// The signals the thread blocks (bit n-1 for signal n).
    pub fn blocked(&self) -> u64 {
        self.own.lock().blocked
    }

    /// Notes that the thread entered the kernel.
    pub fn enter(&self) {
        self.in_kernel.store(true, Ordering::SeqCst);
    }

    /// Notes that the thread leaves for ring 3; the kill posted for it, if
    /// any (then it must end instead).
    pub fn leave(&self) -> Option<u8> {
        self.in_kernel.store(false, Ordering::SeqCst);
        self.posted()
    }

    /// Whether the thread is in the kernel (a kill must wait for it).
    pub fn in_kernel(&self) -> bool {
        self.in_kernel.load(Ordering::SeqCst)
    }

    /// Posts terminating signal `signal` (not 0); the first one posted
    /// stays. A thread asleep in `futex` is woken to act on it.
    pub fn post_kill(&self, signal: u8) {
        let _ = self
            .kill
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        self.futex_queue.wake_all();
    }

    /// The terminating signal posted, if any.
    pub fn posted(&self) -> Option<u8> {
        match self.kill.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }

    /// Notes that a signal may be waiting for the thread (see the module
    /// docs). The sender holds the process table's lock.
    pub fn raise_attention(&self) {
        self.attention.store(true, Ordering::Release);
    }

    /// Whether a signal may be waiting for the thread: one load, no lock.
    pub fn attention(&self) -> bool {
        self.attention.load(Ordering::Acquire)
    }

    /// The thread itself, holding the process table's lock, found nothing
    /// pending for it (`waiting` false), or something (true).
    pub fn settle_attention(&self, waiting: bool) {
        self.attention.store(waiting, Ordering::Release);
    }

    /// Makes signal bit `bit` pending for this thread alone and raises its
    /// attention. The sender holds the process table's lock.
    pub fn post_signal(&self, bit: u64) {
        self.signals.fetch_or(bit, Ordering::AcqRel);
        self.raise_attention();
    }

    /// The signals pending for this thread alone (bit n-1 for signal n).
    pub fn signals(&self) -> u64 {
        self.signals.load(Ordering::Acquire)
    }

    /// Takes signal bit `bit` off this thread's own pending set.
    pub fn take_signal(&self, bit: u64) {
        self.signals.fetch_and(!bit, Ordering::AcqRel);
    }
}
