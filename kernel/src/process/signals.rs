//! A process's signal record: what it asked for each signal.
//!
//! A program installs handlers (`rt_sigaction`), blocks signals
//! (`rt_sigprocmask`) and gives an alternate stack for handlers
//! (`sigaltstack`); Rust's runtime does all three at start-up to report
//! stack overflows. This record keeps the handlers, which the process's
//! threads share, and says what a signal does when it is delivered
//! ([`Signals::disposition`]): ignored, the default action
//! ([`default_action`]), or the program's handler. The mask and the
//! alternate stack are each thread's own (`tasks/thread_signals.rs`).
//! Sending is `signal.rs`, delivery `deliver.rs`. Signal `n` is bit `n - 1`
//! of a mask.

pub use crate::tasks::thread_signals::{AltStack, Resume, ThreadSignals};

/// Signals 1 to 64.
pub const COUNT: usize = 64;
/// `SIGKILL` and `SIGSTOP`: they can be neither caught nor blocked.
pub const UNCATCHABLE: u64 = 1 << (9 - 1) | 1 << (19 - 1);

/// `SIG_DFL` and `SIG_IGN`, the two handlers that are not functions.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
// `sa_flags` (Linux's values).
pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SA_RESTORER: u64 = 0x0400_0000;

/// The bit of signal `n` in a mask.
pub const fn bit(signal: u8) -> u64 {
    1 << (signal - 1)
}

/// What a signal does when nobody handles it (Linux's table in
/// `signal(7)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// The process ends with the signal.
    Terminate,
    /// The process ends with the signal and the "core dumped" bit
    /// (Kestrel writes no core file; it prints one line).
    Core,
    /// Nothing happens. SIGCONT is here too: it continues a stopped
    /// process when it is sent, not when it is delivered (`stop.rs`).
    Ignore,
    /// The process stops (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU; `stop.rs`).
    Stop,
}

/// The default action of signal `signal` (1 to 64).
pub fn default_action(signal: u8) -> DefaultAction {
    match signal {
        3..=8 | 11 | 24 | 25 | 31 => DefaultAction::Core,
        19..=22 => DefaultAction::Stop,
        17 | 18 | 23 | 28 => DefaultAction::Ignore,
        _ => DefaultAction::Terminate,
    }
}

/// What delivering a signal does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Ignore,
    /// Ends the process (`core`: with the core bit).
    End {
        core: bool,
    },
    /// Runs the program's handler.
    Handle(Action),
    /// Stops the process until SIGCONT.
    Stop,
}

/// One signal's action, in the layout of Linux's `struct sigaction` for
/// the system call (handler, flags, restorer, mask: 32 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Action {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

impl Action {
    /// The 32 bytes a program reads.
    pub fn to_bytes(self) -> [u8; 32] {
        let mut b = [0; 32];
        for (i, word) in [self.handler, self.flags, self.restorer, self.mask]
            .into_iter()
            .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
        b
    }

    /// From the 32 bytes a program wrote.
    pub fn from_bytes(b: &[u8; 32]) -> Action {
        let word = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        Action {
            handler: word(0),
            flags: word(1),
            restorer: word(2),
            mask: word(3),
        }
    }
}

/// A process's signal record (see the module docs). Cloned for a fork, as
/// Linux's child inherits the actions.
#[derive(Clone, Debug)]
pub struct Signals {
    /// The action of signal `n` at index `n - 1`.
    pub actions: [Action; COUNT],
    /// Why each pending signal was sent (signal `n` at index `n - 1`).
    pub infos: [sigframe::Info; COUNT],
}

impl Signals {
    /// What delivering `signal` does with the actions as they are.
    pub fn disposition(&self, signal: u8) -> Disposition {
        let action = self.actions[usize::from(signal) - 1];
        let by_default = match default_action(signal) {
            DefaultAction::Terminate => Disposition::End { core: false },
            DefaultAction::Core => Disposition::End { core: true },
            DefaultAction::Ignore => Disposition::Ignore,
            DefaultAction::Stop => Disposition::Stop,
        };
        match action.handler {
            _ if UNCATCHABLE & bit(signal) != 0 => by_default,
            SIG_DFL => by_default,
            SIG_IGN => Disposition::Ignore,
            _ => Disposition::Handle(action),
        }
    }

    /// What survives `execve`: handlers are gone with the old program, so a
    /// handled signal goes back to its default action; an ignored one
    /// (`SIG_IGN`, handler 1) stays ignored. (The thread keeps its mask:
    /// `ThreadSignals::after_exec`.)
    pub fn after_exec(&self) -> Signals {
        const IGNORE: u64 = 1;
        let mut next = Signals::default();
        for (new, old) in next.actions.iter_mut().zip(&self.actions) {
            if old.handler == IGNORE {
                new.handler = IGNORE;
            }
        }
        next
    }
}

impl Default for Signals {
    fn default() -> Signals {
        Signals {
            actions: [Action::default(); COUNT],
            infos: [sigframe::Info::default(); COUNT],
        }
    }
}
