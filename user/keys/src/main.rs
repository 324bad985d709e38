//! `keys MODE`: the terminal at work, for people and for the runner's
//! terminal test (`tests/terminal.rs`).
//!
//! - `keys raw`: turns off canonical mode and echo (`TCSETS`, the way a line
//!   editor does), then reads one byte at a time and prints each as
//!   `key 0x61`, as soon as it is typed, no Enter needed; `q` ends it, and
//!   the settings are put back as they were.
//! - `keys timed`: raw mode with `VMIN` 4 and `VTIME` 10 (set with
//!   `TCSETSF`, which also drops what was typed before): a read returns
//!   once 4 bytes are there, or 1 s after the last byte came; each read
//!   prints `keys: N bytes "..."`. A read that has `q` ends it, and the
//!   settings are put back with `TCSETSW`.
//! - `keys spin`: a busy loop that never makes a system call; only a
//!   signal ends it (^C on the terminal).
//! - `keys lines`: reads lines and prints their lengths, for ever (^C or
//!   ^D ends it: the read is interrupted, or reaches the end of file).

use std::io::{Read, Write};

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "raw" => raw(),
        "timed" => timed(),
        "spin" => spin(),
        "lines" => lines(),
        _ => {
            eprintln!("usage: keys raw|timed|spin|lines");
            std::process::exit(2);
        }
    }
}

/// The terminal's settings on fd 0.
fn settings() -> libc::termios {
    // SAFETY: `termios` is plain integers, for which zeros are valid; the
    // call writes the struct that the pointer points to.
    unsafe {
        let mut t = std::mem::zeroed();
        if libc::ioctl(0, libc::TCGETS, &mut t) != 0 {
            eprintln!("keys: fd 0 is not a terminal");
            std::process::exit(1);
        }
        t
    }
}

fn set(t: &libc::termios) {
    set_with(libc::TCSETS, t);
}

/// Sets the terminal's settings with `request` (`TCSETS`, `TCSETSW`, `TCSETSF`).
fn set_with(request: libc::Ioctl, t: &libc::termios) {
    // SAFETY: the call only reads the struct.
    unsafe { libc::ioctl(0, request, t) };
}

fn raw() {
    let cooked = settings();
    let mut raw = cooked;
    raw.c_lflag &= !(libc::ICANON | libc::ECHO);
    raw.c_cc[libc::VMIN] = 1;
    raw.c_cc[libc::VTIME] = 0;
    set(&raw);
    println!("keys: raw mode, q ends");
    let mut byte = [0u8; 1];
    while std::io::stdin().read(&mut byte).unwrap_or(0) == 1 {
        println!("key {:#04x}", byte[0]);
        if byte[0] == b'q' {
            break;
        }
    }
    set(&cooked);
    println!("keys: cooked again");
}

fn timed() {
    let cooked = settings();
    let mut raw = cooked;
    raw.c_lflag &= !(libc::ICANON | libc::ECHO);
    raw.c_cc[libc::VMIN] = 4;
    raw.c_cc[libc::VTIME] = 10;
    set_with(libc::TCSETSF, &raw);
    println!("keys: timed reads (VMIN 4, VTIME 10)");
    let mut bytes = [0u8; 16];
    loop {
        let n = std::io::stdin().read(&mut bytes).unwrap_or(0);
        let got = String::from_utf8_lossy(&bytes[..n]);
        println!("keys: {n} bytes {got:?}");
        if n == 0 || got.contains('q') {
            break;
        }
    }
    set_with(libc::TCSETSW, &cooked);
    println!("keys: cooked again");
}

fn spin() {
    println!("keys: spinning");
    let _ = std::io::stdout().flush();
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

fn lines() {
    println!("keys: reading lines");
    let mut line = String::new();
    loop {
        line.clear();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) => break println!("keys: end of file"),
            Ok(n) => println!("keys: {n} bytes"),
            Err(e) => break println!("keys: {e}"),
        }
    }
}
