//! A thread's own part of its process's signal record: its mask, the mask
//! a wait with its own mask put aside (`rt_sigsuspend`, `ppoll`,
//! `pselect6`), its alternate signal stack, and how an interrupted call
//! goes on (`restart_syscall`, see `syscall/restart.rs`).
//!
//! Handlers (`rt_sigaction`) belong to the process, but which signals are
//! *blocked* is a property of each thread, as on Linux: `rt_sigprocmask`,
//! `rt_sigsuspend` and `sigaltstack` change the calling thread only, and a
//! handler's `sa_mask` is added to the mask of the thread that runs it. So
//! a thread that blocks everything before it ends (the C library does, in
//! `pthread_exit`) blocks nothing for the others.
//!
//! Where a thread's state comes from:
//! - a new thread of the same process (`clone(CLONE_THREAD)`): its
//!   creator's mask, no alternate stack ([`ThreadSignals::for_new_thread`]);
//! - a forked child's first thread: the forking thread's mask and
//!   alternate stack ([`ThreadSignals::for_fork`]);
//! - `execve`: the mask stays; the alternate stack was in the old memory
//!   and goes ([`ThreadSignals::after_exec`]).
//!
//! It is kept in the thread's link (`link.rs`), so a sender, holding the
//! process table's lock, can see which threads of a process block a signal
//! (`process/signal.rs` picks the thread that takes it). Signal `n` is bit
//! `n - 1` of a mask.

/// The alternate signal stack (`stack_t`); size 0 means none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    /// `SS_AUTODISARM`, if asked for.
    pub autodisarm: bool,
}

/// How an interrupted call that sleeps to a deadline goes on when it is
/// restarted (`syscall/restart.rs`); deadlines on the monotonic clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// A relative `nanosleep`/`clock_nanosleep`, and where to write the
    /// time left (0: nowhere).
    Sleep { deadline: u64, remaining: u64 },
    /// A `FUTEX_WAIT` with a timeout.
    FutexWait {
        address: u64,
        value: u32,
        deadline: u64,
    },
    /// A `poll` with a timeout.
    Poll { fds: u64, count: u64, deadline: u64 },
}

/// One thread's signal state (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadSignals {
    /// The signals this thread blocks.
    pub blocked: u64,
    /// The mask to restore after the handler that ends an `rt_sigsuspend`
    /// (which waits with another mask).
    pub saved_mask: Option<u64>,
    pub alt_stack: AltStack,
    /// How the call a signal interrupted last goes on, if it is restarted.
    pub resume: Option<Resume>,
}

impl ThreadSignals {
    /// What a new thread made by this one starts with: the mask.
    pub fn for_new_thread(&self) -> ThreadSignals {
        ThreadSignals {
            blocked: self.blocked,
            ..ThreadSignals::default()
        }
    }

    /// What the first thread of a child forked by this one starts with:
    /// the mask and the alternate stack (the child has a copy of the
    /// memory it is in).
    pub fn for_fork(&self) -> ThreadSignals {
        ThreadSignals {
            saved_mask: None,
            resume: None,
            ..*self
        }
    }

    /// What this thread keeps through `execve`: the mask.
    pub fn after_exec(&self) -> ThreadSignals {
        self.for_new_thread()
    }
}
