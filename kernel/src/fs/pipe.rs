//! Pipes: a byte queue in the kernel between a write end and a read end.
//!
//! `pipe2` makes a [`Pipe`] (a 64 KiB `pipe::PipeBuffer`, whose rules are
//! in `crates/pipe`) and two open files, [`PipeEnd`]s, one that reads and
//! one that writes. Descriptors share open files (`Arc<OpenFile>`), so an
//! end is open as long as some descriptor in some process (copied by
//! `fork`, `dup`) holds it: the pipe counts its open ends when an end is
//! made and when it is dropped, never by descriptor. That is how a reader
//! learns that the last writer has gone (end of file), and a writer that
//! the last reader has (`EPIPE`).
//!
//! A read with nothing to read, or a write without room, is told to wait
//! (`None`); the system call (`syscall::pipes`) then sleeps on the pipe's
//! wait queue for that side, which the other side wakes when it takes
//! bytes, puts bytes, or closes, or returns `EAGAIN` for `O_NONBLOCK`.
//! Every change also tells a sleeping `poll` (`fs::readiness`).
//!
//! The buffer's lock keeps interrupts off while held (`IrqMutex`): the wait
//! queues look at the buffer with the scheduler locked, so it must never be
//! held by a thread that was preempted. Bytes are copied to and from user
//! memory outside it (see `syscall::pipes`).

use crate::fs::readiness;
use crate::sync::IrqMutex;
use crate::tasks::wait_queue::WaitQueue;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use files::Errno;
use linux_raw_sys::errno::EPIPE;
use linux_raw_sys::general::{POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use pipe::{PipeBuffer, ReadOutcome, WriteOutcome, read_outcome, write_outcome};

/// `st_mode` of a pipe: a FIFO, readable and writable by its owner.
pub const PIPE_MODE: u32 = 0o010600;

/// The shared part of a pipe.
pub struct Pipe {
    state: IrqMutex<State>,
    /// Readers wait here for bytes or for the last writer to close.
    readers_wait: WaitQueue,
    /// Writers wait here for room or for the last reader to close.
    writers_wait: WaitQueue,
}

struct State {
    buffer: PipeBuffer,
    readers: usize,
    writers: usize,
}

/// One end of a pipe, the thing an `OpenFile::Pipe` holds.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    writes: bool,
    nonblocking: AtomicBool,
}

/// A new pipe: its read end and its write end.
pub fn new_pipe(nonblocking: bool) -> (PipeEnd, PipeEnd) {
    let pipe = Arc::new(Pipe {
        state: IrqMutex::new(State {
            buffer: PipeBuffer::new(),
            readers: 0,
            writers: 0,
        }),
        readers_wait: WaitQueue::new(),
        writers_wait: WaitQueue::new(),
    });
    (
        PipeEnd::open(pipe.clone(), false, nonblocking),
        PipeEnd::open(pipe, true, nonblocking),
    )
}

impl PipeEnd {
    fn open(pipe: Arc<Pipe>, writes: bool, nonblocking: bool) -> PipeEnd {
        {
            let mut state = pipe.state.lock();
            *state.ends(writes) += 1;
        }
        PipeEnd {
            pipe,
            writes,
            nonblocking: AtomicBool::new(nonblocking),
        }
    }

    /// Another open end of the same pipe (`open` of `/proc/<pid>/fd/<n>`).
    pub fn another(&self, writes: bool, nonblocking: bool) -> PipeEnd {
        PipeEnd::open(self.pipe.clone(), writes, nonblocking)
    }

    /// Whether this is the write end.
    pub fn writes(&self) -> bool {
        self.writes
    }

    pub fn nonblocking(&self) -> bool {
        self.nonblocking.load(Ordering::Relaxed)
    }

    /// `fcntl(F_SETFL)`'s `O_NONBLOCK`.
    pub fn set_nonblocking(&self, on: bool) {
        self.nonblocking.store(on, Ordering::Relaxed);
    }

    /// An address naming the pipe (both ends give the same), for `st_ino`.
    pub fn id(&self) -> u64 {
        Arc::as_ptr(&self.pipe) as u64
    }

    /// Moves bytes into `out` if the pipe has some: how many
    /// (0 at the end of file), or `None` if the reader must wait (on
    /// [`read_queue`](Self::read_queue), while [`must_wait`](Self::must_wait)).
    /// The bytes are appended to `out`, at most `most` (not 0) of them.
    pub fn try_read(&self, out: &mut Vec<u8>, most: usize) -> Option<usize> {
        let pipe = &*self.pipe;
        let outcome = {
            let mut state = pipe.state.lock();
            let outcome = read_outcome(most, state.buffer.len(), state.writers);
            if let ReadOutcome::Take(n) = outcome {
                state.buffer.read_append(out, n);
            }
            outcome
        };
        match outcome {
            ReadOutcome::Take(n) => {
                pipe.writers_wait.wake_all();
                readiness::changed();
                Some(n)
            }
            ReadOutcome::End => Some(0),
            ReadOutcome::Wait => None,
        }
    }

    /// Puts the first bytes of `bytes` (not empty) in if there is room: how
    /// many, or `None` if the writer must wait (on
    /// [`write_queue`](Self::write_queue), while [`must_wait`](Self::must_wait)).
    /// `total` is the size of the whole `write` (at most `PIPE_BUF`: all of
    /// `bytes` at once). `EPIPE` without readers.
    pub fn try_write(&self, total: usize, bytes: &[u8]) -> Result<Option<usize>, Errno> {
        let pipe = &*self.pipe;
        let outcome = {
            let mut state = pipe.state.lock();
            let room = state.buffer.room();
            let outcome = write_outcome(total, bytes.len(), room, state.readers);
            if let WriteOutcome::Put(n) = outcome {
                state.buffer.write(&bytes[..n]);
            }
            outcome
        };
        match outcome {
            WriteOutcome::Put(n) => {
                pipe.readers_wait.wake_all();
                readiness::changed();
                Ok(Some(n))
            }
            WriteOutcome::Broken => Err(EPIPE),
            WriteOutcome::Wait => Ok(None),
        }
    }

    /// Whether a read, or a write of `left` bytes of a `write` of `total`,
    /// would still have to wait. Quick, with a lock that keeps interrupts
    /// off: fit for a wait queue's condition.
    pub fn must_wait(&self, total: usize, left: usize) -> bool {
        let state = self.pipe.state.lock();
        if self.writes {
            write_outcome(total, left, state.buffer.room(), state.readers) == WriteOutcome::Wait
        } else {
            state.buffer.is_empty() && state.writers > 0
        }
    }

    /// Where readers of this pipe wait.
    pub fn read_queue(&self) -> &WaitQueue {
        &self.pipe.readers_wait
    }

    /// Where writers of this pipe wait.
    pub fn write_queue(&self) -> &WaitQueue {
        &self.pipe.writers_wait
    }

    /// What `poll` finds, as Linux: the read end is `POLLIN` with bytes
    /// waiting and `POLLHUP` once every writer has closed; the write end is
    /// `POLLOUT` with room for `PIPE_BUF` bytes and `POLLERR` once every
    /// reader has closed.
    pub fn poll_events(&self) -> u32 {
        let state = self.pipe.state.lock();
        let mut events = 0;
        if self.writes {
            if state.buffer.room() >= pipe::PIPE_BUF {
                events |= POLLOUT | POLLWRNORM;
            }
            if state.readers == 0 {
                events |= POLLERR;
            }
        } else {
            if !state.buffer.is_empty() {
                events |= POLLIN | POLLRDNORM;
            }
            if state.writers == 0 {
                events |= POLLHUP;
            }
        }
        events
    }

    /// Bytes waiting to be read (`st_size` on Linux is 0; `FIONREAD`).
    pub fn waiting(&self) -> usize {
        self.pipe.state.lock().buffer.len()
    }
}

impl State {
    fn ends(&mut self, writes: bool) -> &mut usize {
        if writes {
            &mut self.writers
        } else {
            &mut self.readers
        }
    }
}

impl Drop for PipeEnd {
    /// The last descriptor of this end closed (or its process ended): the
    /// other side learns it (end of file, or `EPIPE`).
    fn drop(&mut self) {
        {
            let mut state = self.pipe.state.lock();
            *state.ends(self.writes) -= 1;
        }
        self.pipe.readers_wait.wake_all();
        self.pipe.writers_wait.wake_all();
        readiness::changed();
    }
}
