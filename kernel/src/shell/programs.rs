//! The shell's commands for programs and their files: `run`, `ls`, `cat`.
//!
//! `run PROGRAM [ARGS...]` finds the program in the ramdisk (`/bin/PROGRAM`,
//! or the path given if it has a `/`), starts it as a process
//! (`process::spawn_elf`) with the console as its standard input, output
//! and error, waits for it, and prints how it ended: its exit status, and
//! for a status of 128 + n, the signal n that ended it. While it runs it
//! has the console as its terminal (`terminal::lend_to`: ^C ends it). With a last
//! argument `&` it does not wait (see `ps`). `ls [PATH]` lists a ramdisk
//! directory, `cat PATH` prints a ramdisk file.

use super::error::{Error, Result};
use crate::fs::ramdisk;
use crate::process;
use crate::tasks::thread::ThreadError;
use crate::terminal;
use crate::{print, println};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use files::Node;

/// The environment every program gets.
const ENVIRONMENT: &[&[u8]] = &[b"PATH=/bin", b"HOME=/", b"TERM=linux"];

const RUN_USAGE: &str =
    "run PROGRAM [ARGS...] [&] (PROGRAM: a name in /bin, see `ls /bin`, or a path)";

pub fn run(args: &[&str]) -> Result {
    let Some((&program, rest)) = args.split_first() else {
        return Err(Error::Usage(RUN_USAGE));
    };
    let (rest, background) = match rest.split_last() {
        Some((&"&", before)) => (before, true),
        _ => (rest, false),
    };
    let path = if program.contains('/') {
        String::from(program)
    } else {
        format!("/bin/{program}")
    };
    let file = program_file(&path)?;
    let name = path.rsplit('/').next().unwrap_or(&path);
    let mut argv: Vec<&[u8]> = Vec::with_capacity(rest.len() + 1);
    argv.push(path.as_bytes());
    argv.extend(rest.iter().map(|arg| arg.as_bytes()));
    // A program in the foreground gets the console as its terminal, so
    // that ^C reaches it; the shell takes it back when it ends.
    let lend = |pid| {
        if !background {
            terminal::lend_to(pid);
        }
    };
    let started = process::spawn_elf_then(name, file, &argv, ENVIRONMENT, lend);
    let handle = match started {
        Ok((_, handle)) => handle,
        Err(e) => {
            if !background {
                terminal::take_back();
            }
            return Err(Error::Text(format!("cannot start {path}: {e}")));
        }
    };
    if background {
        println!("[{}] {path} started (thread {})", name, handle.id().0);
        return Ok(());
    }
    let ended = handle.join();
    terminal::take_back();
    match ended {
        Ok(()) => println!("[{name} ended]"),
        Err(ThreadError::Exited(status)) if status > 128 => println!(
            "[{name} exited with status {status}: killed by {}]",
            signal_name(status - 128)
        ),
        Err(ThreadError::Exited(status)) => println!("[{name} exited with status {status}]"),
        Err(how) => println!("[{name} {how}]"),
    }
    Ok(())
}

/// The bytes of the program at `path`, or why there is none.
fn program_file(path: &str) -> core::result::Result<&'static [u8], Error> {
    match ramdisk::lookup(path.as_bytes()) {
        Ok(Node::File(entry)) if entry.is_file() => Ok(entry.data),
        Ok(_) => Err(Error::Text(format!("{path} is not a file"))),
        Err(linux_raw_sys::errno::ENOENT) if ramdisk::archive().is_none() => Err(Error::Failed(
            "there is no ramdisk, so no programs (the runner builds one)",
        )),
        Err(linux_raw_sys::errno::ENOENT) => {
            Err(Error::Text(format!("no program {path} (see `ls /bin`)")))
        }
        Err(errno) => Err(Error::Text(format!("cannot find {path}: error {errno}"))),
    }
}

/// The usual name of signal `number`.
fn signal_name(number: i64) -> String {
    let name = match number {
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        _ => return format!("signal {number}"),
    };
    String::from(name)
}

pub fn ls(args: &[&str]) -> Result {
    let path = match args {
        [] => "/",
        [path] => path,
        _ => return Err(Error::Usage("ls [PATH]")),
    };
    let archive = ramdisk::archive().ok_or(Error::Failed("there is no ramdisk"))?;
    match ramdisk::lookup(path.as_bytes()) {
        Ok(Node::Directory { path: dir, .. }) => {
            for (name, entry) in files::path::children(&archive, &dir) {
                match entry {
                    Some(entry) if !entry.is_directory() => {
                        println!("{:>9}  {name}", entry.data.len());
                    }
                    _ => println!("{:>9}  {name}/", "-"),
                }
            }
            Ok(())
        }
        Ok(Node::File(entry)) => {
            println!("{:>9}  {path}", entry.data.len());
            Ok(())
        }
        Err(errno) => Err(Error::Text(format!("{path}: {}", describe(errno)))),
    }
}

pub fn cat(args: &[&str]) -> Result {
    let [path] = args else {
        return Err(Error::Usage("cat PATH (a ramdisk file, see `ls`)"));
    };
    match ramdisk::lookup(path.as_bytes()) {
        Ok(Node::File(entry)) => {
            for piece in entry.data.utf8_chunks() {
                print!("{}", piece.valid());
                if !piece.invalid().is_empty() {
                    print!("\u{fffd}");
                }
            }
            if !entry.data.ends_with(b"\n") {
                println!();
            }
            Ok(())
        }
        Ok(Node::Directory { .. }) => Err(Error::Text(format!("{path} is a directory"))),
        Err(errno) => Err(Error::Text(format!("{path}: {}", describe(errno)))),
    }
}

/// A few words for the errors a path lookup gives.
fn describe(errno: u32) -> &'static str {
    match errno {
        linux_raw_sys::errno::ENOENT => "no such file or directory",
        linux_raw_sys::errno::ENOTDIR => "not a directory",
        linux_raw_sys::errno::ENAMETOOLONG => "name too long",
        _ => "cannot read it",
    }
}
