//! The shell's commands for programs and their files: `run`, `ls`, `cat`.
//!
//! `run PROGRAM [ARGS...]` finds the program in the VFS (`/bin/PROGRAM`,
//! or the path given if it has a `/`), starts it as a process
//! (`process::spawn_elf`) with the console as its standard input, output
//! and error, waits for it, and prints how it ended: its exit status, and
//! for a status of 128 + n, the signal n that ended it. While it runs it
//! has the console as its terminal (`terminal::lend_to`: ^C ends it). With a
//! last argument `&` it does not wait (see `ps`). `ls [PATH]` lists a
//! directory of the VFS (a link with its target, a mount point as what is
//! mounted), `cat PATH` prints a file. The shell has a directory of its own
//! (`cd`, `pwd`), where relative paths start.

use super::error::{Error, Result};
use crate::fs::{ramdisk, vfs};
use crate::process;
use crate::sync::IrqMutex;
use crate::tasks::thread::ThreadError;
use crate::terminal;
use crate::{print, println};
use ::vfs::{Follow, Kind};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use linux_raw_sys::errno::ENOENT;

/// The shell's directory (`None`: `/`).
static SHELL_DIR: IrqMutex<Option<::vfs::Location>> = IrqMutex::new(None);

/// Where the shell's relative paths start.
fn here(mounts: &::vfs::Mounts) -> ::vfs::Location {
    SHELL_DIR.lock().unwrap_or_else(|| mounts.root())
}

/// What `path` names, from the shell's directory.
fn find(path: &str) -> core::result::Result<(Arc<::vfs::Mounts>, ::vfs::Location), Error> {
    let mounts = vfs::mounts();
    let at = mounts
        .resolve(here(&mounts), path.as_bytes(), Follow::Yes)
        .map_err(|errno| Error::Text(format!("{path}: {}", describe(errno))))?;
    Ok((mounts, at))
}

pub fn cd(args: &[&str]) -> Result {
    let path = match args {
        [] => "/",
        [path] => path,
        _ => return Err(Error::Usage("cd [PATH]")),
    };
    let (mounts, at) = find(path)?;
    if mounts.kind(at).ok() != Some(Kind::Directory) {
        return Err(Error::Text(format!("{path}: not a directory")));
    }
    *SHELL_DIR.lock() = Some(at);
    Ok(())
}

pub fn pwd(args: &[&str]) -> Result {
    if !args.is_empty() {
        return Err(Error::Usage("pwd"));
    }
    let mounts = vfs::mounts();
    match mounts.path_of(here(&mounts)) {
        Ok(path) => println!("{}", String::from_utf8_lossy(&path)),
        Err(errno) => return Err(Error::Text(format!("pwd: {}", describe(errno)))),
    }
    Ok(())
}

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
    let path = if program.starts_with('/') {
        String::from(program)
    } else if program.contains('/') {
        // Relative to the shell's directory.
        let mounts = vfs::mounts();
        let dir = mounts
            .path_of(here(&mounts))
            .unwrap_or_else(|_| b"/".to_vec());
        let dir = String::from_utf8_lossy(&dir).into_owned();
        format!("{}/{program}", dir.trim_end_matches('/'))
    } else {
        format!("/bin/{program}")
    };
    let program = program_file(&path)?;
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
    let started = process::spawn_elf_then(name, &program.bytes, &argv, ENVIRONMENT, lend);
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

/// The program at `path`, or why there is none.
fn program_file(path: &str) -> core::result::Result<process::programs::Program, Error> {
    match process::programs::find(path.as_bytes()) {
        Ok(program) => Ok(program),
        Err(ENOENT) if ramdisk::archive().is_none() => Err(Error::Failed(
            "there is no ramdisk, so no programs (the runner builds one)",
        )),
        Err(ENOENT) => Err(Error::Text(format!("no program {path} (see `ls /bin`)"))),
        Err(linux_raw_sys::errno::EACCES) => {
            let mounts = vfs::mounts();
            let at = mounts.resolve(mounts.root(), path.as_bytes(), Follow::Yes);
            match at.and_then(|at| mounts.kind(at)) {
                Ok(Kind::File) => Err(Error::Text(format!("{path} is not executable"))),
                _ => Err(Error::Text(format!("{path} is not a file"))),
            }
        }
        Err(errno) => Err(Error::Text(format!("{path}: {}", describe(errno)))),
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
        [] => ".",
        [path] => path,
        _ => return Err(Error::Usage("ls [PATH]")),
    };
    let fail = |errno| Error::Text(format!("{path}: {}", describe(errno)));
    let (mounts, at) = find(path)?;
    let fs = mounts.fs(at.mount);
    if mounts.kind(at).map_err(fail)? != Kind::Directory {
        let meta = fs.metadata(at.ino).map_err(fail)?;
        println!("{:>9}  {path}", meta.size);
        return Ok(());
    }
    let mut cursor = 0;
    while let Some((entry, next)) = fs.readdir(at.ino, cursor).map_err(fail)? {
        cursor = next;
        if entry.name == b"." || entry.name == b".." {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.name);
        // A mount point shows what is mounted on it.
        let place = mounts.step(at, &entry.name).unwrap_or(::vfs::Location {
            mount: at.mount,
            ino: entry.ino,
        });
        let meta = mounts.fs(place.mount).metadata(place.ino).ok();
        match meta.and_then(|m| m.kind().map(|k| (k, m))) {
            Some((Kind::Directory, _)) => println!("{:>9}  {name}/", "-"),
            Some((Kind::Symlink, _)) => {
                let target = fs.readlink(entry.ino).unwrap_or_default();
                println!("{:>9}  {name} -> {}", "-", String::from_utf8_lossy(&target));
            }
            Some((Kind::File, meta)) => println!("{:>9}  {name}", meta.size),
            _ => println!("{:>9}  {name}", "-"),
        }
    }
    Ok(())
}

pub fn cat(args: &[&str]) -> Result {
    let [path] = args else {
        return Err(Error::Usage("cat PATH (a file, see `ls`)"));
    };
    let fail = |errno| Error::Text(format!("{path}: {}", describe(errno)));
    let (mounts, at) = find(path)?;
    if mounts.kind(at).map_err(fail)? == Kind::Directory {
        return Err(Error::Text(format!("{path} is a directory")));
    }
    let fs = mounts.fs(at.mount);
    let mut buffer = alloc::vec![0u8; 4096];
    let mut offset = 0;
    let mut last = b'\n';
    loop {
        let n = fs.read(at.ino, offset, &mut buffer).map_err(fail)?;
        if n == 0 {
            break;
        }
        for piece in buffer[..n].utf8_chunks() {
            print!("{}", piece.valid());
            if !piece.invalid().is_empty() {
                print!("\u{fffd}");
            }
        }
        last = buffer[n - 1];
        offset += n as u64;
    }
    if last != b'\n' {
        println!();
    }
    Ok(())
}

/// A few words for the errors a path lookup gives.
fn describe(errno: u32) -> &'static str {
    match errno {
        ENOENT => "no such file or directory",
        linux_raw_sys::errno::ENOTDIR => "not a directory",
        linux_raw_sys::errno::ENAMETOOLONG => "name too long",
        linux_raw_sys::errno::ELOOP => "too many symbolic links",
        linux_raw_sys::errno::EACCES => "permission denied (not executable?)",
        linux_raw_sys::errno::EISDIR => "is a directory",
        linux_raw_sys::errno::EIO => "input/output error (EIO)",
        linux_raw_sys::errno::EUCLEAN => "the file system is damaged here (EUCLEAN)",
        _ => "cannot read it",
    }
}
