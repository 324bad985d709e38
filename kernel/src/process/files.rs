//! The calling process's open files: its file-descriptor table.
//!
//! A process starts with the console on descriptors 0, 1 and 2 (standard
//! input, output and error; `fs::table`). `open` adds files at the lowest
//! free number, up to [`MAX_FILES`] (then `EMFILE`); `close` removes them;
//! the table goes with the process when it ends, and the files with the
//! last descriptor that shares them.
//!
//! The table sits in the process's record; these functions work on the
//! calling process's (the record of the running thread). A kernel thread
//! has none: every descriptor is `EBADF` there.
//!
//! Beside the table, the record holds the process's place in the file
//! tree (`fs::context`): its current directory, umask and program path,
//! read and set by the functions at the end.

use super::table;
use crate::fs::file::OpenFile;
use alloc::sync::Arc;
use files::Errno;
use linux_raw_sys::errno::EBADF;

pub use crate::fs::table::{FileTable, MAX_FILES};

/// Runs `f` on the calling process's table (`EBADF` for a kernel thread).
fn with_table<R>(f: impl FnOnce(&mut FileTable) -> Result<R, Errno>) -> Result<R, Errno> {
    table::with_current(|_, process| f(&mut process.files)).unwrap_or(Err(EBADF))
}

/// The file that descriptor `fd` of the calling process stands for. (The
/// table's lock is released on return: a read may block.)
pub fn get(fd: u64) -> Result<Arc<OpenFile>, Errno> {
    with_table(|table| table.get(fd).cloned())
}

/// Gives `file` the lowest free descriptor of the calling process.
pub fn insert(file: OpenFile, close_on_exec: bool) -> Result<usize, Errno> {
    let file = Arc::new(file);
    with_table(|table| table.insert(file, close_on_exec))
}

/// Closes descriptor `fd` of the calling process. The file itself goes when
/// no descriptor (and no read in progress) holds it any more; that drop
/// happens here, after the table's lock is released.
pub fn close(fd: u64) -> Result<(), Errno> {
    let file = with_table(|table| table.remove(fd))?;
    drop(file);
    Ok(())
}

/// How many descriptors the calling process has open.
pub fn count() -> Result<usize, Errno> {
    with_table(|table| Ok(table.len()))
}

/// The calling process's current directory (`/` for a kernel thread).
pub fn cwd() -> vfs::Location {
    let cwd = table::with_current(|_, process| process.fs.cwd.as_ref().map(|held| held.at()));
    cwd.flatten()
        .unwrap_or_else(|| crate::fs::vfs::mounts().root())
}

/// Moves the calling process's current directory to `at`, holding it.
pub fn set_cwd(at: vfs::Location) {
    let fs = crate::fs::vfs::mounts().fs(at.mount).clone();
    let held = alloc::sync::Arc::new(crate::fs::held::Held::new(fs, at));
    let old = table::with_current(|_, process| process.fs.cwd.replace(held));
    // Dropped outside the table's lock: a release may free an inode on disk.
    drop(old);
}

/// The calling process's umask (`0o022` for a kernel thread).
pub fn umask() -> u32 {
    table::with_current(|_, process| process.fs.umask).unwrap_or(crate::fs::context::DEFAULT_UMASK)
}

/// Sets the calling process's umask; the one before.
pub fn set_umask(mask: u32) -> u32 {
    table::with_current(|_, process| core::mem::replace(&mut process.fs.umask, mask & 0o777))
        .unwrap_or(crate::fs::context::DEFAULT_UMASK)
}

/// Records the path of the program the calling process now runs.
pub fn set_exe_path(path: alloc::vec::Vec<u8>) {
    table::with_current(|_, process| process.fs.exe = Some(path));
}

/// Gives `file` the lowest free descriptor numbered `min` or more (`fcntl`'s
/// `F_DUPFD`; `EINVAL` if `min` is not below the limit, `EMFILE`).
pub fn insert_from(min: u64, file: Arc<OpenFile>, close_on_exec: bool) -> Result<usize, Errno> {
    with_table(|table| table.insert_from(min, file, close_on_exec))
}

/// Makes descriptor `fd` stand for `file`, closing what it stood for
/// (`dup2`); the closed file is dropped after the table's lock is released.
pub fn replace(fd: u64, file: Arc<OpenFile>, close_on_exec: bool) -> Result<(), Errno> {
    let old = with_table(|table| table.replace(fd, file, close_on_exec))?;
    drop(old);
    Ok(())
}

/// Whether descriptor `fd` is closed by `execve` (`F_GETFD`).
pub fn close_on_exec(fd: u64) -> Result<bool, Errno> {
    with_table(|table| table.close_on_exec(fd))
}

/// Sets descriptor `fd`'s close-on-exec flag (`F_SETFD`).
pub fn set_close_on_exec(fd: u64, on: bool) -> Result<(), Errno> {
    with_table(|table| table.set_close_on_exec(fd, on))
}
