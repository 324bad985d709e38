//! `struct termios`: the settings a program reads and changes on its terminal.
//!
//! A terminal's behaviour is a handful of flag words and control characters
//! that programs read with `ioctl(TCGETS)` and write with `ioctl(TCSETS)`.
//! A shell's line editor, or `vi`, turns off canonical mode (`ICANON`) and
//! echo (`ECHO`) to see each key as it is typed, and puts the settings back
//! when it ends. [`Termios`] is the kernel's copy, in the byte layout of
//! Linux's x86_64 `struct termios` (36 bytes: `c_iflag`, `c_oflag`,
//! `c_cflag`, `c_lflag`, `c_line`, `c_cc[19]`), so a C library or Rust's
//! standard library can use it unchanged.
//!
//! The flags the line discipline honours (see `discipline.rs`):
//! - input (`c_iflag`): `ICRNL` (Enter's `\r` becomes `\n`), `INLCR`, `IGNCR`;
//! - local (`c_lflag`): `ICANON` (line by line), `ECHO`, `ECHOE` (erase
//!   visibly), `ECHOK`/`ECHOKE` (kill-line), `ECHONL`, `ECHOCTL` (echo
//!   control bytes as `^C`), `ISIG` (the signal keys), `NOFLSH`;
//! - control characters (`c_cc`): `VINTR` ^C, `VQUIT` ^\, `VSUSP` ^Z,
//!   `VERASE` DEL, `VKILL` ^U, `VEOF` ^D, `VEOL`/`VEOL2`, and in
//!   non-canonical mode `VMIN` and `VTIME`. A control character of 0 is
//!   disabled (`_POSIX_VDISABLE`).
//!
//! The others (`OPOST`, baud rates, `IXON`...) are stored and reported but
//! change nothing: the console always turns `\n` into `\r\n` on serial.

// Input flags.
pub const INLCR: u32 = 0o100;
pub const IGNCR: u32 = 0o200;
pub const ICRNL: u32 = 0o400;
pub const IXON: u32 = 0o2000;
// Output flags.
pub const OPOST: u32 = 0o1;
pub const ONLCR: u32 = 0o4;
// Control flags.
pub const B38400: u32 = 0o17;
pub const CS8: u32 = 0o60;
pub const CREAD: u32 = 0o200;
pub const HUPCL: u32 = 0o2000;
// Local flags.
pub const ISIG: u32 = 0o1;
pub const ICANON: u32 = 0o2;
pub const ECHO: u32 = 0o10;
pub const ECHOE: u32 = 0o20;
pub const ECHOK: u32 = 0o40;
pub const ECHONL: u32 = 0o100;
pub const NOFLSH: u32 = 0o200;
pub const TOSTOP: u32 = 0o400;
pub const ECHOCTL: u32 = 0o1000;
pub const ECHOKE: u32 = 0o4000;
pub const IEXTEN: u32 = 0o100000;

/// How many control characters (`NCCS`).
pub const NCCS: usize = 19;
// Indices into `c_cc`.
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSUSP: usize = 10;
pub const VEOL: usize = 11;
pub const VEOL2: usize = 16;

/// The size of `struct termios` in bytes.
pub const SIZE: usize = 36;

// The signals the keys send.
pub const SIGINT: u8 = 2;
pub const SIGQUIT: u8 = 3;
pub const SIGTSTP: u8 = 20;

/// A terminal's settings; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; NCCS],
}

impl Default for Termios {
    fn default() -> Self {
        Termios::new()
    }
}

impl Termios {
    /// A cooked terminal, as Linux sets up a new one.
    pub const fn new() -> Termios {
        let mut cc = [0; NCCS];
        cc[VINTR] = 0x03;
        cc[VQUIT] = 0x1c;
        cc[VERASE] = 0x7f;
        cc[VKILL] = 0x15;
        cc[VEOF] = 0x04;
        cc[VTIME] = 0;
        cc[VMIN] = 1;
        cc[VSUSP] = 0x1a;
        Termios {
            iflag: ICRNL | IXON,
            oflag: OPOST | ONLCR,
            cflag: B38400 | CS8 | CREAD | HUPCL,
            lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            line: 0,
            cc,
        }
    }

    /// Whether local flag(s) `flag` are all on.
    pub fn local(&self, flag: u32) -> bool {
        self.lflag & flag == flag
    }

    /// Whether input flag(s) `flag` are all on.
    pub fn input(&self, flag: u32) -> bool {
        self.iflag & flag == flag
    }

    /// Whether `byte` is the (enabled) control character at `index`.
    pub fn is(&self, index: usize, byte: u8) -> bool {
        self.cc[index] != 0 && self.cc[index] == byte
    }

    /// The signal that typing `byte` sends to the foreground group, if
    /// `ISIG` is on and `byte` is `VINTR`, `VQUIT` or `VSUSP`.
    pub fn signal_for(&self, byte: u8) -> Option<u8> {
        if !self.local(ISIG) {
            return None;
        }
        [(VINTR, SIGINT), (VQUIT, SIGQUIT), (VSUSP, SIGTSTP)]
            .into_iter()
            .find(|&(index, _)| self.is(index, byte))
            .map(|(_, signal)| signal)
    }

    /// The 36 bytes a program reads.
    pub fn to_bytes(&self) -> [u8; SIZE] {
        let mut out = [0; SIZE];
        for (i, flag) in [self.iflag, self.oflag, self.cflag, self.lflag]
            .iter()
            .enumerate()
        {
            out[i * 4..i * 4 + 4].copy_from_slice(&flag.to_le_bytes());
        }
        out[16] = self.line;
        out[17..].copy_from_slice(&self.cc);
        out
    }

    /// From the 36 bytes a program wrote.
    pub fn from_bytes(bytes: &[u8; SIZE]) -> Termios {
        let word = |i: usize| {
            u32::from_le_bytes([
                bytes[i * 4],
                bytes[i * 4 + 1],
                bytes[i * 4 + 2],
                bytes[i * 4 + 3],
            ])
        };
        let mut cc = [0; NCCS];
        cc.copy_from_slice(&bytes[17..]);
        Termios {
            iflag: word(0),
            oflag: word(1),
            cflag: word(2),
            lflag: word(3),
            line: bytes[16],
            cc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_raw_sys::general as linux;

    #[test]
    fn constants_are_linuxs() {
        let pairs = [
            (INLCR, linux::INLCR),
            (IGNCR, linux::IGNCR),
            (ICRNL, linux::ICRNL),
            (IXON, linux::IXON),
            (OPOST, linux::OPOST),
            (ONLCR, linux::ONLCR),
            (B38400, linux::B38400),
            (CS8, linux::CS8),
            (CREAD, linux::CREAD),
            (HUPCL, linux::HUPCL),
            (ISIG, linux::ISIG),
            (ICANON, linux::ICANON),
            (ECHO, linux::ECHO),
            (ECHOE, linux::ECHOE),
            (ECHOK, linux::ECHOK),
            (ECHONL, linux::ECHONL),
            (NOFLSH, linux::NOFLSH),
            (TOSTOP, linux::TOSTOP),
            (ECHOCTL, linux::ECHOCTL),
            (ECHOKE, linux::ECHOKE),
            (IEXTEN, linux::IEXTEN),
        ];
        for (ours, theirs) in pairs {
            assert_eq!(ours, theirs);
        }
        let indices = [
            (VINTR, linux::VINTR),
            (VQUIT, linux::VQUIT),
            (VERASE, linux::VERASE),
            (VKILL, linux::VKILL),
            (VEOF, linux::VEOF),
            (VTIME, linux::VTIME),
            (VMIN, linux::VMIN),
            (VSUSP, linux::VSUSP),
            (VEOL, linux::VEOL),
            (VEOL2, linux::VEOL2),
            (NCCS, linux::NCCS),
        ];
        for (ours, theirs) in indices {
            assert_eq!(ours, theirs as usize);
        }
        assert_eq!(SIZE, core::mem::size_of::<linux::termios>());
    }

    #[test]
    fn the_layout_is_linuxs() {
        let mut t = Termios::new();
        t.line = 7;
        let bytes = t.to_bytes();
        let lflag = u32::from_le_bytes(bytes[12..16].try_into().unwrap());
        assert_eq!(lflag, t.lflag);
        assert_eq!(bytes[16], 7, "c_line");
        assert_eq!(bytes[17 + VMIN], 1);
        assert_eq!(&bytes[17..22], b"\x03\x1c\x7f\x15\x04");
        assert_eq!(Termios::from_bytes(&bytes), t);
    }

    #[test]
    fn the_signal_keys() {
        let mut t = Termios::new();
        assert_eq!(t.signal_for(0x03), Some(SIGINT));
        assert_eq!(t.signal_for(0x1c), Some(SIGQUIT));
        assert_eq!(t.signal_for(0x1a), Some(SIGTSTP));
        assert_eq!(t.signal_for(b'c'), None);
        assert_eq!(t.signal_for(0), None, "0 is a disabled key, not a NUL key");
        t.cc[VINTR] = 0;
        assert_eq!(t.signal_for(0x03), None);
        t.lflag &= !ISIG;
        assert_eq!(t.signal_for(0x1c), None);
    }
}
