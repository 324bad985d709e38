//! The console as a terminal: reading lines, `ioctl`, readiness for `poll`.
//!
//! Reading the console (`read` on fds 0-2) works as on a Linux terminal in
//! canonical mode: the program waits while the user types a line, which is
//! echoed and can be edited (`crates/tty` has the rules), and gets it when
//! Enter is pressed; Ctrl-D on an empty line is the end of file (`read`
//! returns 0). A line longer than the program's buffer is handed over by
//! successive reads. The input is the kernel's one input queue (keyboard
//! and serial), which the shell does not read while a program runs in the
//! foreground.
//!
//! `ioctl` knows two requests, the ones C libraries and Rust's standard
//! library make: `TCGETS` (the terminal's settings, a sane fixed `struct
//! termios`) and `TIOCGWINSZ` (the screen's rows and columns, 24 x 80 on
//! serial only). Any other request, and any request on a file that is not
//! the console, is `-ENOTTY`.

use super::{Args, Errno, user_memory};
use crate::process::files;
use crate::{input, output, print};
use linux_raw_sys::errno::ENOTTY;
use linux_raw_sys::ioctl::{TCGETS, TIOCGWINSZ};
use spin::Mutex;

/// The line being typed, or the finished one being read.
static LINE: Mutex<tty::Line> = Mutex::new(tty::Line::new());

/// Sends the line's echo to the screen and serial port.
struct Echo;

impl core::fmt::Write for Echo {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        print!("{s}");
        Ok(())
    }
}

/// Reads up to `count` bytes of the current line into user memory at `buf`,
/// waiting for a line if none is pending; 0 at the end of file.
pub fn read(buf: u64, count: u64) -> Result<u64, Errno> {
    if count == 0 {
        return Ok(0);
    }
    let want = count.min(tty::CAPACITY as u64) as usize;
    let mut bytes = [0u8; tty::CAPACITY];
    // Check the buffer can be written before taking bytes off the line.
    user_memory::copy_to_user(buf, &bytes[..want])?;
    loop {
        {
            let mut line = LINE.lock();
            if line.has_pending() {
                let n = line.take(&mut bytes[..want]);
                drop(line);
                user_memory::copy_to_user(buf, &bytes[..n])?;
                return Ok(n as u64);
            }
        }
        // Sleeps until a key arrives, or a signal: `ERESTARTSYS`. The
        // line's lock is not held.
        input::wait_with(crate::process::signal::wait_interruptible)
            .map_err(|_| Errno::ERESTARTSYS)?;
        let byte = match input::try_next() {
            Some(input::Input::Byte(byte)) => byte,
            Some(input::Input::Lost(lost)) => {
                input::report(lost);
                continue;
            }
            None => continue,
        };
        if LINE.lock().feed(byte, &mut Echo) == tty::Fed::EndOfFile {
            return Ok(0);
        }
    }
}

/// Whether the finished line has bytes left to read.
pub fn line_pending() -> bool {
    LINE.lock().has_pending()
}

/// Whether a read of the console would find input (a finished line, or
/// keys typed that are not yet a line: readiness is per byte, not per line).
pub fn input_ready() -> bool {
    LINE.lock().has_pending() || input::is_waiting()
}

/// `ioctl(fd, request, arg)`.
pub fn ioctl(args: &Args) -> Result<u64, Errno> {
    let [fd, request, arg, ..] = *args;
    let file = files::get(fd).map_err(Errno)?;
    if !file.is_console() {
        return Err(Errno(ENOTTY));
    }
    match request as u32 {
        TCGETS => user_memory::copy_to_user(arg, &termios())?,
        TIOCGWINSZ => user_memory::copy_to_user(arg, &window_size())?,
        _ => return Err(Errno(ENOTTY)),
    }
    Ok(0)
}

/// The kernel's `struct termios` (36 bytes): four flag words, the line
/// discipline, 19 control characters. The settings of a cooked terminal.
fn termios() -> [u8; 36] {
    const ICRNL: u32 = 0o400;
    const IXON: u32 = 0o2000;
    const OPOST: u32 = 0o1;
    const ONLCR: u32 = 0o4;
    const B38400: u32 = 0o17;
    const CS8: u32 = 0o60;
    const CREAD: u32 = 0o200;
    const ISIG: u32 = 0o1;
    const ICANON: u32 = 0o2;
    const ECHO: u32 = 0o10;
    const ECHOE: u32 = 0o20;
    const ECHOK: u32 = 0o40;
    const IEXTEN: u32 = 0o100000;
    let flags = [
        ICRNL | IXON,
        OPOST | ONLCR,
        B38400 | CS8 | CREAD,
        ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN,
    ];
    let mut out = [0u8; 36];
    for (i, flag) in flags.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&flag.to_le_bytes());
    }
    // c_line (16) = 0; c_cc from 17: VINTR ^C, VQUIT ^\, VERASE DEL,
    // VKILL ^U, VEOF ^D, VTIME 0, VMIN 1.
    out[17..24].copy_from_slice(&[0x03, 0x1c, 0x7f, 0x15, 0x04, 0, 1]);
    out
}

/// `struct winsize`: rows, columns, and two pixel sizes we leave 0.
fn window_size() -> [u8; 8] {
    let rows = output::screen_rows().unwrap_or(24) as u16;
    let columns = output::screen_columns().unwrap_or(80) as u16;
    let mut out = [0u8; 8];
    out[..2].copy_from_slice(&rows.to_le_bytes());
    out[2..4].copy_from_slice(&columns.to_le_bytes());
    out
}
