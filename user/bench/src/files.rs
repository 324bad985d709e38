//! Measures of a file system: small files, sequential writing and reading,
//! and listing a large directory.
//!
//! They run in a directory given on the command line (`--fs DIR`), and only
//! when a file can be created, written and removed there; otherwise each
//! prints "skipped: no writable fs". Everything they create is removed
//! again (untimed).

use crate::measure::Failure;
use crate::sys;
use crate::tsc;

/// Checks that `dir` takes a new file: `Err` says why not.
pub fn probe(dir: &str) -> Result<(), String> {
    let path = format!("{dir}/.bench-probe");
    let written = sys::open(&path, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC)
        .and_then(|file| file.write_all(b"probe").and_then(|()| file.close()));
    match written {
        Ok(()) => sys::unlink(&path).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// The name of the file system `dir` is on, from the type number `statfs`
/// gives, or the number itself. ext2, ext3 and ext4 share theirs; on
/// Kestrel (`os`) it can only be ext2.
pub fn kind_of(dir: &str, os: &str) -> String {
    match sys::statfs_type(dir) {
        Ok(magic) => fs_name(magic, os),
        Err(e) => format!("unknown ({e})"),
    }
}

fn fs_name(magic: i64, os: &str) -> String {
    match magic {
        0xEF53 if os == "Kestrel" => "ext2".into(),
        0xEF53 => "ext2/3/4".into(),
        0x0102_1994 => "tmpfs".into(),
        0x8584_58f6 => "ramfs".into(),
        other => format!("magic {other:#x}"),
    }
}

/// The bytes each small file gets: one 4 KiB block.
const SMALL_FILE: usize = 4096;

/// Small files per second: each is created, written (4 KiB), fsync'ed and
/// closed.
pub fn small_files(dir: &str, count: usize, tsc_hz: f64) -> Result<Vec<f64>, Failure> {
    let data = vec![0xa5u8; SMALL_FILE];
    let path = |i: usize| format!("{dir}/small-{i}");
    let start = tsc::now();
    for i in 0..count {
        let file = sys::open(&path(i), libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC)?;
        file.write_all(&data)?;
        file.fsync()?;
        file.close()?;
    }
    let seconds = (tsc::now() - start) as f64 / tsc_hz;
    for i in 0..count {
        sys::unlink(&path(i))?;
    }
    Ok(vec![count as f64 / seconds])
}

/// The size of each `write` and `read` of the sequential measures.
const CHUNK: usize = 64 * 1024;

/// MB/s of writing a file of `bytes` in 64 KiB writes (fsync'ed before the
/// clock stops), then of reading it back after asking the kernel to drop the
/// file's cached pages (so the read comes from the disk where the kernel
/// honours that hint; Linux does).
pub fn sequential(dir: &str, bytes: usize, tsc_hz: f64) -> Result<Vec<f64>, Failure> {
    let path = format!("{dir}/sequential");
    let chunk = vec![0x3cu8; CHUNK];
    let start = tsc::now();
    let file = sys::open(&path, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC)?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK);
        file.write_all(&chunk[..n])?;
        left -= n;
    }
    file.fsync()?;
    let _ = file.drop_cache();
    file.close()?;
    let written = tsc::now();
    let file = sys::open(&path, libc::O_RDONLY)?;
    let mut buf = vec![0u8; CHUNK];
    let mut read = 0;
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => read += n,
        }
    }
    file.close()?;
    let done = tsc::now();
    sys::unlink(&path)?;
    if read != bytes {
        return Err(Failure::Failed(format!(
            "read {read} of {bytes} bytes back"
        )));
    }
    let rate = |cycles: u64| bytes as f64 / (cycles as f64 / tsc_hz) / 1e6;
    Ok(vec![rate(written - start), rate(done - written)])
}

/// A directory of `entries` empty files, for [`list`].
pub struct BigDir {
    path: String,
    entries: usize,
}

impl BigDir {
    pub fn create(dir: &str, entries: usize) -> Result<BigDir, Failure> {
        let path = format!("{dir}/big");
        sys::mkdir(&path)?;
        let mut big = BigDir { path, entries: 0 };
        for i in 0..entries {
            sys::open(&big.entry(i), libc::O_CREAT | libc::O_WRONLY)?.close()?;
            big.entries += 1;
        }
        Ok(big)
    }

    fn entry(&self, i: usize) -> String {
        format!("{}/entry-{i:05}", self.path)
    }

    /// Cycles per entry of listing the whole directory with `getdents64`
    /// (opening and closing it included).
    pub fn list(&self) -> Result<Vec<f64>, Failure> {
        let mut buf = vec![0u8; 32 * 1024];
        let start = tsc::now();
        let dir = sys::open(&self.path, libc::O_RDONLY | libc::O_DIRECTORY)?;
        let mut seen = 0;
        loop {
            match dir.getdents64(&mut buf)? {
                0 => break,
                n => seen += count_entries(&buf[..n]),
            }
        }
        dir.close()?;
        let cycles = tsc::now() - start;
        // The files plus "." and "..".
        if seen != self.entries + 2 {
            return Err(Failure::Failed(format!(
                "listed {seen} entries, expected {}",
                self.entries + 2
            )));
        }
        Ok(vec![cycles as f64 / seen as f64])
    }
}

impl Drop for BigDir {
    fn drop(&mut self) {
        for i in 0..self.entries {
            let _ = sys::unlink(&self.entry(i));
        }
        let _ = sys::rmdir(&self.path);
    }
}

/// The number of `linux_dirent64` records in a `getdents64` result: each
/// has its length as a 16-bit number at offset 16.
fn count_entries(mut bytes: &[u8]) -> usize {
    let mut count = 0;
    while bytes.len() >= 19 {
        let length = usize::from(u16::from_ne_bytes([bytes[16], bytes[17]]));
        if length == 0 || length > bytes.len() {
            break;
        }
        count += 1;
        bytes = &bytes[length..];
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_systems_are_named_by_their_magic() {
        assert_eq!(fs_name(0xEF53, "Kestrel"), "ext2");
        assert_eq!(fs_name(0xEF53, "Linux"), "ext2/3/4");
        assert_eq!(fs_name(0x0102_1994, "Kestrel"), "tmpfs");
        assert_eq!(fs_name(0x1234, "Linux"), "magic 0x1234");
    }

    #[test]
    fn records_are_counted_by_their_lengths() {
        let mut bytes = vec![0u8; 24 + 32];
        bytes[16] = 24;
        bytes[24 + 16] = 32;
        assert_eq!(count_entries(&bytes), 2);
        assert_eq!(
            count_entries(&bytes[..30]),
            1,
            "a cut record is not counted"
        );
    }
}
