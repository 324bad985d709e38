//! Wait status words: how a parent learns how its child ended.
//!
//! `wait4` stores one 32-bit word, and C's `WIFEXITED`, `WEXITSTATUS`,
//! `WIFSIGNALED`, `WTERMSIG` and `WCOREDUMP` macros take it apart. Linux
//! packs it like this:
//!
//! ```text
//! exited with code c (0..=255):   c << 8        (low 7 bits zero)
//! ended by signal s (1..=127):    s             (| 0x80 if a core was dumped)
//! ```

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitStatus {
    /// It called `exit`/`exit_group` with this code (only the low 8 bits
    /// of the argument count).
    Exited(u8),
    /// A signal ended it; `core` if that signal dumps core by default.
    Signaled { signal: u8, core: bool },
}

impl WaitStatus {
    /// The word `wait4` stores (see the module docs).
    pub fn word(self) -> u32 {
        match self {
            WaitStatus::Exited(code) => u32::from(code) << 8,
            WaitStatus::Signaled { signal, core } => {
                u32::from(signal & 0x7f) | if core { 0x80 } else { 0 }
            }
        }
    }

    /// The number a shell shows: the code, or `128 + signal`.
    pub fn shell_code(self) -> i64 {
        match self {
            WaitStatus::Exited(code) => i64::from(code),
            WaitStatus::Signaled { signal, .. } => 128 + i64::from(signal),
        }
    }
}
