extern crate std;
use super::*;
use crate::termios::*;
use std::collections::VecDeque;
use std::string::String;
use std::vec::Vec;

const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const CTRL_U: u8 = 0x15;

fn type_keys(d: &mut Discipline, keys: &[u8], echo: &mut String) -> Fed {
    let mut last = Fed::More;
    for &key in keys {
        last = d.feed(key, echo);
    }
    last
}

fn read_all(d: &mut Discipline, piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buffer = std::vec![0; piece];
    loop {
        let n = d.take(&mut buffer);
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buffer[..n]);
    }
}

fn raw() -> Discipline {
    let mut d = Discipline::new();
    d.termios.lflag &= !(ICANON | ECHO);
    d
}

#[test]
fn a_line_is_echoed_and_handed_over_on_enter() {
    let mut d = Discipline::new();
    let mut echo = String::new();
    assert_eq!(type_keys(&mut d, b"hi the", &mut echo), Fed::More);
    assert_eq!(d.readable(), 0);
    assert_eq!(d.take(&mut [0; 8]), 0, "nothing before Enter");
    assert_eq!(d.read_wait(8), ReadWait::Wait);
    assert_eq!(type_keys(&mut d, b"re\r", &mut echo), Fed::Ready);
    assert_eq!(echo, "hi there\n");
    assert_eq!(d.read_wait(8), ReadWait::Now);
    assert_eq!(read_all(&mut d, 3), b"hi there\n", "in pieces of 3");
    assert_eq!(d.readable(), 0);
}

#[test]
fn erase_and_kill() {
    let mut d = Discipline::new();
    let mut echo = String::new();
    type_keys(&mut d, "abé\x7f\x7fX\x08Y\n".as_bytes(), &mut echo);
    assert_eq!(read_all(&mut d, 64), b"aY\n");
    assert_eq!(echo, "abé\x08 \x08\x08 \x08X\x08 \x08Y\n");
    echo.clear();
    type_keys(&mut d, b"ju\x15ok\n", &mut echo);
    assert_eq!(read_all(&mut d, 64), b"ok\n");
    assert_eq!(echo, "ju\x08 \x08\x08 \x08ok\n", "ECHOKE erases visibly");
    let mut quiet = String::new();
    type_keys(&mut d, b"\x7f\x7fz\n", &mut quiet);
    assert_eq!(quiet, "z\n", "erasing nothing echoes nothing");
}

#[test]
fn kill_without_echoke_echoes_the_key_and_a_newline() {
    let mut d = Discipline::new();
    d.termios.lflag &= !(ECHOKE | ECHOE);
    let mut echo = String::new();
    type_keys(&mut d, b"ab\x15c\n", &mut echo);
    assert_eq!(echo, "ab^U\nc\n");
    assert_eq!(read_all(&mut d, 64), b"c\n");
}

#[test]
fn ctrl_d_ends_the_file_or_the_line() {
    let mut d = Discipline::new();
    let mut echo = String::new();
    assert_eq!(d.feed(CTRL_D, &mut echo), Fed::EndOfFile);
    assert_eq!(type_keys(&mut d, b"abc\x04", &mut echo), Fed::Ready);
    assert_eq!(read_all(&mut d, 64), b"abc", "no newline");
    assert_eq!(d.feed(CTRL_D, &mut echo), Fed::EndOfFile);
    assert_eq!(echo, "abc", "^D is not echoed");
}

#[test]
fn a_full_line_ignores_more_text_but_ends() {
    let mut d = Discipline::new();
    let mut echo = String::new();
    for _ in 0..CAPACITY * 2 {
        d.feed(b'x', &mut echo);
    }
    d.feed(0x1b, &mut echo);
    assert_eq!(d.feed(b'\r', &mut echo), Fed::Ready);
    let read = read_all(&mut d, 100);
    assert_eq!(read.len(), CAPACITY);
    assert_eq!(read.last(), Some(&b'\n'));
}

#[test]
fn a_read_returns_one_line_at_most() {
    let mut d = Discipline::new();
    let mut echo = String::new();
    type_keys(&mut d, b"one\ntwo\nthr", &mut echo);
    let mut buffer = [0; 64];
    let n = d.take(&mut buffer);
    assert_eq!(&buffer[..n], b"one\n");
    type_keys(&mut d, b"\x7f\x7f\x7f\x7f\x7f\x7fee\n", &mut echo);
    let n = d.take(&mut buffer);
    assert_eq!(
        &buffer[..n],
        b"two\n",
        "erasing stopped at the readable line"
    );
    let n = d.take(&mut buffer);
    assert_eq!(&buffer[..n], b"ee\n");
}

#[test]
fn control_bytes_are_kept_and_echoed_as_caret_letters() {
    let mut d = Discipline::new();
    let mut echo = String::new();
    type_keys(&mut d, b"a\x1b[A\x01\n", &mut echo);
    assert_eq!(echo, "a^[[A^A\n");
    assert_eq!(read_all(&mut d, 64), b"a\x1b[A\x01\n");
    echo.clear();
    type_keys(&mut d, b"x\x01\x7f\x7f\n", &mut echo);
    assert_eq!(
        echo, "x^A\x08 \x08\x08 \x08\x08 \x08\n",
        "^A takes two columns"
    );
    d.termios.lflag &= !ECHOCTL;
    echo.clear();
    type_keys(&mut d, b"\x02\n", &mut echo);
    assert_eq!(echo, "\x02\n", "without ECHOCTL the byte itself is echoed");
}

#[test]
fn signal_keys_flush_the_line_and_say_which_signal() {
    let mut d = Discipline::new();
    let mut echo = String::new();
    type_keys(&mut d, b"ready\nhalf", &mut echo);
    assert_eq!(d.feed(CTRL_C, &mut echo), Fed::Signal(SIGINT));
    assert!(echo.ends_with("half^C"));
    assert_eq!(d.readable(), 0, "the readable line went too");
    assert_eq!(d.feed(0x1c, &mut echo), Fed::Signal(SIGQUIT));
    assert_eq!(d.feed(0x1a, &mut echo), Fed::Signal(SIGTSTP));
    type_keys(&mut d, b"x\n", &mut echo);
    assert_eq!(read_all(&mut d, 64), b"x\n");

    d.termios.lflag |= NOFLSH;
    type_keys(&mut d, b"kept", &mut echo);
    assert_eq!(d.feed(CTRL_C, &mut echo), Fed::Signal(SIGINT));
    type_keys(&mut d, b"\n", &mut echo);
    assert_eq!(read_all(&mut d, 64), b"kept\n", "NOFLSH keeps the line");

    d.termios.lflag &= !ISIG;
    assert_eq!(type_keys(&mut d, b"\x03\n", &mut echo), Fed::Ready);
    assert_eq!(read_all(&mut d, 64), b"\x03\n", "without ISIG ^C is a byte");
}

#[test]
fn carriage_returns_follow_the_input_flags() {
    let mut d = raw();
    let mut echo = String::new();
    type_keys(&mut d, b"\r", &mut echo);
    assert_eq!(read_all(&mut d, 8), b"\n", "ICRNL");
    d.termios.iflag &= !ICRNL;
    type_keys(&mut d, b"\r", &mut echo);
    assert_eq!(read_all(&mut d, 8), b"\r");
    d.termios.iflag |= IGNCR;
    assert_eq!(d.feed(b'\r', &mut echo), Fed::More);
    d.termios.iflag = INLCR;
    type_keys(&mut d, b"\n", &mut echo);
    assert_eq!(read_all(&mut d, 8), b"\r", "INLCR");
}

#[test]
fn raw_mode_hands_over_every_byte_at_once() {
    let mut d = raw();
    let mut echo = String::new();
    assert_eq!(d.feed(b'q', &mut echo), Fed::Ready);
    assert_eq!(d.feed(0x7f, &mut echo), Fed::Ready, "no erase in raw mode");
    assert_eq!(
        d.feed(CTRL_D, &mut echo),
        Fed::Ready,
        "no end of file either"
    );
    assert_eq!(echo, "", "ECHO is off");
    assert_eq!(read_all(&mut d, 1), b"q\x7f\x04");
    d.termios.lflag |= ECHO;
    d.feed(0x1b, &mut echo);
    d.feed(b'x', &mut echo);
    assert_eq!(echo, "^[x");
}

#[test]
fn vmin_and_vtime_decide_when_a_raw_read_returns() {
    let mut d = raw();
    let mut echo = String::new();
    let set = |d: &mut Discipline, min: u8, time: u8| {
        d.termios.cc[VMIN] = min;
        d.termios.cc[VTIME] = time;
    };
    set(&mut d, 1, 0);
    assert_eq!(d.read_wait(10), ReadWait::Wait);
    set(&mut d, 0, 0);
    assert_eq!(d.read_wait(10), ReadWait::Now, "a poll");
    set(&mut d, 0, 5);
    assert_eq!(d.read_wait(10), ReadWait::AtMost(5), "a timed read");
    set(&mut d, 3, 5);
    assert_eq!(
        d.read_wait(10),
        ReadWait::Wait,
        "the timer starts with a byte"
    );
    type_keys(&mut d, b"ab", &mut echo);
    assert_eq!(d.read_wait(10), ReadWait::AtMost(5), "between bytes");
    assert_eq!(d.read_wait(2), ReadWait::Now, "the read wants no more");
    set(&mut d, 3, 0);
    assert_eq!(d.read_wait(10), ReadWait::Wait);
    type_keys(&mut d, b"c", &mut echo);
    assert_eq!(d.read_wait(10), ReadWait::Now);
    set(&mut d, 0, 5);
    assert_eq!(d.read_wait(10), ReadWait::Now);
}

#[test]
fn flush_forgets_everything() {
    let mut d = Discipline::new();
    let mut echo = String::new();
    type_keys(&mut d, b"a\nb", &mut echo);
    d.flush();
    assert_eq!(d.readable(), 0);
    type_keys(&mut d, b"\n", &mut echo);
    assert_eq!(read_all(&mut d, 8), b"\n");
}

/// Random keys and reads against a model of the canonical rules: a queue
/// of readable bytes and the line being edited.
#[test]
fn random_keys_match_a_model() {
    let keys = [
        b'a', b'b', 0x7f, 0x08, CTRL_U, b'\r', CTRL_D, CTRL_C, 0x1b, 0xc3, 0xa9,
    ];
    let mut rng = xorshift::XorShift64(3);
    let mut d = Discipline::new();
    let mut readable: VecDeque<u8> = VecDeque::new();
    let mut edit: Vec<u8> = Vec::new();
    let mut echo = String::new();
    for round in 0..200_000 {
        if rng.below(3) == 0 {
            let mut buffer = [0u8; 8];
            let want = 1 + rng.below(8);
            let n = d.take(&mut buffer[..want]);
            let mut expected = Vec::new();
            while expected.len() < want {
                let Some(b) = readable.pop_front() else { break };
                expected.push(b);
                if b == b'\n' {
                    break;
                }
            }
            assert_eq!(&buffer[..n], &expected[..], "round {round}");
            continue;
        }
        let key = keys[rng.below(keys.len())];
        let total = readable.len() + edit.len();
        let expected = match key {
            b'\r' if total < CAPACITY => {
                edit.push(b'\n');
                readable.extend(edit.drain(..));
                Fed::Ready
            }
            b'\r' => Fed::More,
            CTRL_D if edit.is_empty() => Fed::EndOfFile,
            CTRL_D => {
                readable.extend(edit.drain(..));
                Fed::Ready
            }
            CTRL_C => {
                readable.clear();
                edit.clear();
                Fed::Signal(SIGINT)
            }
            0x7f | 0x08 => {
                while let Some(b) = edit.pop() {
                    if b & 0xc0 != 0x80 {
                        break;
                    }
                }
                Fed::More
            }
            CTRL_U => {
                edit.clear();
                Fed::More
            }
            _ if total < CAPACITY - 1 => {
                edit.push(key);
                Fed::More
            }
            _ => Fed::More,
        };
        assert_eq!(d.feed(key, &mut echo), expected, "round {round}");
        assert_eq!(d.readable(), readable.len(), "round {round}");
        echo.clear();
    }
}

#[test]
fn leaving_canonical_mode_hands_over_the_line_being_edited() {
    let mut d = Discipline::new();
    let mut echo = String::new();
    type_keys(&mut d, b"abc", &mut echo);
    let mut t = d.termios;
    t.lflag &= !ICANON;
    d.set_termios(t);
    assert_eq!(d.readable(), 3);
    assert_eq!(read_all(&mut d, 8), b"abc");
}
