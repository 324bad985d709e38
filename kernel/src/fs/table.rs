//! A process's table of file descriptors, as the kernel uses it.
//!
//! The table itself is `crates/files`' `FdTable` (lowest free number first,
//! a limit, then `EMFILE`), of `Arc<OpenFile>`: copying a table (for `fork`)
//! shares each open file, and so its position, between the copies, as on
//! Linux. A new process's table has the console on 0, 1 and 2. The table
//! sits in the process's record; `process::files` works on the calling
//! process's.

use crate::fs::file::OpenFile;
use alloc::sync::Arc;
use files::FdTable;
use linux_raw_sys::general::O_RDWR;

/// The most files a process may have open (Linux's usual soft limit is 1,024).
pub const MAX_FILES: usize = 256;

/// A process's descriptor table.
pub type FileTable = FdTable<Arc<OpenFile>>;

/// A new process's table: the console on 0, 1 and 2.
pub fn console_table() -> FileTable {
    let console = Arc::new(OpenFile::console(crate::fs::devices::CONSOLE, O_RDWR));
    let mut table = FileTable::new(MAX_FILES);
    for _ in 0..3 {
        // Three slots of 256 are free in a new table.
        let _ = table.insert(console.clone(), false);
    }
    table
}
