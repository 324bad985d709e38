//! Signals, first step: what a program asks is written down.
//!
//! A program installs handlers (`rt_sigaction`), blocks signals
//! (`rt_sigprocmask`) and gives an alternate stack for handlers
//! (`sigaltstack`) at start-up: Rust's runtime does all three to report
//! stack overflows. Kestrel does not deliver signals to handlers yet (a
//! fault ends the process with its signal), but it keeps what was asked, so
//! that each call answers as Linux would: the old action, the old mask, the
//! old stack. Signal `n` is bit `n - 1` of a mask.

/// Signals 1 to 64.
pub const COUNT: usize = 64;
/// `SIGKILL` and `SIGSTOP`: they can be neither caught nor blocked.
pub const UNCATCHABLE: u64 = 1 << (9 - 1) | 1 << (19 - 1);

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

/// The alternate signal stack (`stack_t`); size 0 means none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    /// `SS_AUTODISARM`, if asked for.
    pub autodisarm: bool,
}

/// A process's signal record (see the module docs). Cloned for a fork, as
/// Linux's child inherits actions, mask and alternate stack.
#[derive(Clone, Debug)]
pub struct Signals {
    /// The action of signal `n` at index `n - 1`.
    pub actions: [Action; COUNT],
    /// The blocked signals.
    pub blocked: u64,
    pub alt_stack: AltStack,
}

impl Signals {
    /// What survives `execve`: handlers are gone with the old program, so a
    /// handled signal goes back to its default action; an ignored one
    /// (`SIG_IGN`, handler 1) stays ignored, and the mask stays. The
    /// alternate stack was in the old memory: none.
    pub fn after_exec(&self) -> Signals {
        const IGNORE: u64 = 1;
        let mut next = Signals {
            blocked: self.blocked,
            ..Signals::default()
        };
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
            blocked: 0,
            alt_stack: AltStack::default(),
        }
    }
}
