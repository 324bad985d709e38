//! The console as a terminal: reading it, its `ioctl`s, readiness for `poll`.
//!
//! Reading the console (`read` on fds 0-2) goes through the terminal's line
//! discipline (`terminal`, `crates/tty`): in canonical mode the program
//! waits while the user types a line, which is echoed and can be edited,
//! and gets it when Enter is pressed (one line per read at most; a long
//! line in successive reads); with `O_NONBLOCK` (set at `open` or by
//! `fcntl`), a read that would wait is `EAGAIN` instead; Ctrl-D on an empty line is the end of file
//! (`read` returns 0). In raw mode (`ICANON` off) bytes come as typed,
//! when `VMIN` and `VTIME` say so. A read waits on the input queue's wait
//! queue, and ends with `ERESTARTSYS` when the process is killed or a
//! signal comes for it (`EINTR` for the program, or a restart under
//! `SA_RESTART`: `process::deliver`). A signal key read here (^C, when the
//! interceptor of `terminal::signal_keys` did not take it) is sent to the
//! foreground group.
//!
//! *Job control*: a process of the terminal's session whose group is not
//! the foreground group may not read. Its group is sent SIGTTIN, and since
//! Kestrel cannot stop processes yet, the read then waits as a stopped
//! process would, until its group is brought to the foreground (or it is
//! killed or interrupted). When SIGTTIN is ignored or blocked, or the group
//! is orphaned (no parent left to bring it back), the read is `EIO`.
//! Processes outside the session (started in the background by the kernel
//! shell) read freely, as before.
//!
//! `ioctl`: the settings (`TCGETS`, `TCSETS`, `TCSETSW`, which is the same
//! since output is written at once, `TCSETSF`, which also flushes the
//! input), the window (`TIOCGWINSZ`, `TIOCSWINSZ`), bytes readable
//! (`FIONREAD`), and the job-control requests of `job_control.rs`. Any
//! other request, and any request on a file that is not the console, is
//! `-ENOTTY`.

use super::{Args, Errno, job_control, user_memory};
use crate::input::{self, Input};
use crate::process::{groups, signal, wait};
use crate::tasks::thread;
use crate::terminal::{self, signal_keys};
use crate::{print, time};
use alloc::string::String;
use linux_raw_sys::errno::{EAGAIN, EIO, ENOTTY};
use linux_raw_sys::ioctl::{FIONREAD, TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGWINSZ, TIOCSWINSZ};
use tty::{Fed, ReadWait, Termios};

const SIGTTIN: u8 = 21;
/// How often a read with a `VTIME` deadline looks at the clock.
const TIMED_POLL_NS: u64 = 10_000_000;

/// Reads up to `count` bytes of the terminal into user memory at `buf`,
/// waiting as the settings say (`EAGAIN` instead if `nonblocking`); 0 at
/// the end of file.
pub fn read(buf: u64, count: u64, nonblocking: bool) -> Result<u64, Errno> {
    if count == 0 {
        return Ok(0);
    }
    let want = count.min(tty::CAPACITY as u64) as usize;
    let mut bytes = [0u8; tty::CAPACITY];
    // Check the buffer can be written before taking bytes off the line.
    user_memory::copy_to_user(buf, &bytes[..want])?;
    let mut last_input = time::now_ns();
    loop {
        if signal::interrupted() {
            return Err(Errno::ERESTARTSYS);
        }
        may_read()?;
        let how = terminal::with(|t| t.discipline.read_wait(want));
        if how == ReadWait::Now {
            let n = terminal::with(|t| t.discipline.take(&mut bytes[..want]));
            user_memory::copy_to_user(buf, &bytes[..n])?;
            return Ok(n as u64);
        }
        match input::try_next() {
            Some(Input::Byte(byte)) => {
                last_input = time::now_ns();
                if feed(byte) == Fed::EndOfFile {
                    return Ok(0);
                }
                continue;
            }
            Some(Input::Lost(lost)) => {
                input::report(lost);
                continue;
            }
            None if nonblocking => return Err(Errno(EAGAIN)),
            None => {}
        }
        match how {
            ReadWait::AtMost(tenths) => {
                let deadline = last_input + u64::from(tenths) * 100_000_000;
                let now = time::now_ns();
                if now >= deadline {
                    let n = terminal::with(|t| t.discipline.take(&mut bytes[..want]));
                    user_memory::copy_to_user(buf, &bytes[..n])?;
                    return Ok(n as u64);
                }
                thread::sleep_until(deadline.min(now + TIMED_POLL_NS));
            }
            _ => input::wait_with(signal::wait_interruptible).map_err(|_| Errno::ERESTARTSYS)?,
        }
    }
}

/// Feeds one typed byte to the line discipline, printing its echo and
/// sending the signal of a signal key.
fn feed(byte: u8) -> Fed {
    let mut echo = String::new();
    let fed = terminal::with(|t| t.discipline.feed(byte, &mut echo));
    print!("{echo}");
    if let Fed::Signal(signal) = fed {
        signal_keys::send(signal);
    }
    fed
}

/// Job control for a read (see the module docs): `Ok` when the caller may
/// read now, `EIO` when it may not, or it waits until it may.
fn may_read() -> Result<(), Errno> {
    let Some((group, session)) = groups::mine() else {
        return Ok(());
    };
    let in_background = |(owner, foreground): (Option<_>, Option<_>)| {
        owner == Some(session) && foreground.is_some_and(|f| f != group)
    };
    if !in_background(terminal::owner()) {
        return Ok(());
    }
    if groups::ignores_or_blocks(SIGTTIN) || groups::is_orphaned(group) {
        return Err(Errno(EIO));
    }
    let _ = groups::kill_group(group, u64::from(SIGTTIN));
    wait::wait_until(|| {
        let free = !in_background(terminal::owner()) || signal::interrupted();
        free.then_some(())
    });
    Ok(())
}

/// Whether a read would find bytes now (for `readv`: it ends with a line).
pub fn line_pending() -> bool {
    terminal::with(|t| t.discipline.readable() > 0)
}

/// Whether a read of the console would find input (readable bytes, or
/// keys typed that are not yet a line: readiness is per byte, not per line).
pub fn input_ready() -> bool {
    line_pending() || input::is_waiting()
}

/// `ioctl(fd, request, arg)`.
pub fn ioctl(args: &Args) -> Result<u64, Errno> {
    let [fd, request, arg, ..] = *args;
    let file = crate::process::files::get(fd).map_err(Errno)?;
    if !file.is_console() {
        return Err(Errno(ENOTTY));
    }
    match request as u32 {
        TCGETS => {
            let termios = terminal::with(|t| t.discipline.termios);
            user_memory::copy_to_user(arg, &termios.to_bytes())?;
        }
        request @ (TCSETS | TCSETSW | TCSETSF) => {
            let mut bytes = [0u8; tty::termios::SIZE];
            user_memory::copy_from_user(&mut bytes, arg)?;
            let termios = Termios::from_bytes(&bytes);
            terminal::with(|t| {
                if request == TCSETSF {
                    t.discipline.flush();
                }
                t.discipline.set_termios(termios);
            });
            if request == TCSETSF {
                input::clear();
            }
        }
        TIOCGWINSZ => user_memory::copy_to_user(arg, &terminal::window_size())?,
        TIOCSWINSZ => {
            let mut window = [0u8; 8];
            user_memory::copy_from_user(&mut window, arg)?;
            terminal::with(|t| t.window = Some(window));
        }
        FIONREAD => {
            // In raw mode every byte typed is readable: take them in first.
            while !terminal::with(|t| t.discipline.canonical()) {
                match input::try_next() {
                    Some(Input::Byte(byte)) => {
                        feed(byte);
                    }
                    Some(Input::Lost(lost)) => input::report(lost),
                    None => break,
                }
            }
            let n = terminal::with(|t| t.discipline.readable()) as i32;
            user_memory::copy_to_user(arg, &n.to_le_bytes())?;
        }
        request => return job_control::ioctl(request, arg),
    }
    Ok(0)
}
