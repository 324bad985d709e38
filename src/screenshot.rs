//! Saving the screen of a running kernel.
//!
//! QEMU's QMP command `screendump` writes what the emulated display shows to a
//! file. Two things could go wrong, and both are checked rather than waited out:
//! - the file cannot be written. QEMU would only say so at the end of the boot, as
//!   a raw QMP error; [`writable_file`] checks the path before anything is built;
//! - the kernel is still drawing. [`settled_screen`] takes screendumps until two
//!   in a row are the same, with a deadline.

use crate::ppm;
use crate::qmp::Qmp;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The absolute path of `file` if a file can be written there: its directory
/// exists and accepts a new file (tried with a probe file, since permission bits
/// do not tell for root or on a read-only file system).
pub fn writable_file(file: &str) -> Result<PathBuf, String> {
    let path = std::path::absolute(file).map_err(|e| format!("{file}: {e}"))?;
    if path.is_dir() {
        return Err(format!(
            "cannot save to {}: it is a directory",
            path.display()
        ));
    }
    let dir = path
        .parent()
        .ok_or_else(|| format!("cannot save to {}: no directory", path.display()))?;
    if !dir.is_dir() {
        return Err(format!(
            "cannot save to {}: the directory {} does not exist",
            path.display(),
            dir.display()
        ));
    }
    let probe = dir.join(format!(".kestrel-probe-{}", std::process::id()));
    match std::fs::File::create_new(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(path)
        }
        Err(e) => Err(format!(
            "cannot save to {}: cannot write in {}: {e}",
            path.display(),
            dir.display()
        )),
    }
}

/// How long to wait between two screendumps of a screen that is still changing.
const POLL: Duration = Duration::from_millis(50);

/// Takes screendumps (as `scratch/settle.ppm`) until two in a row are equal and
/// returns that screen; fails if the screen still changes after `timeout`.
pub fn settled_screen(
    qmp: &mut Qmp,
    scratch: &Path,
    timeout: Duration,
) -> Result<ppm::Image, String> {
    let deadline = Instant::now() + timeout;
    let dump = scratch.join("settle.ppm");
    let mut last: Option<ppm::Image> = None;
    loop {
        qmp.screendump(&dump)?;
        let bytes = std::fs::read(&dump).map_err(|e| format!("{}: {e}", dump.display()))?;
        let screen = ppm::parse(&bytes)?;
        if last.as_ref() == Some(&screen) {
            return Ok(screen);
        }
        if Instant::now() > deadline {
            return Err(format!("the screen was still changing after {timeout:?}"));
        }
        last = Some(screen);
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_unwritable_directory_is_refused() {
        let missing = writable_file("/nonexistent-dir/x.png").unwrap_err();
        assert!(
            missing.contains("/nonexistent-dir does not exist"),
            "{missing}"
        );
        let dir = std::env::temp_dir();
        let is_dir = writable_file(dir.to_str().unwrap()).unwrap_err();
        assert!(is_dir.contains("is a directory"), "{is_dir}");
        // /proc accepts no new files, even from root.
        let proc = writable_file("/proc/x.png").unwrap_err();
        assert!(proc.contains("cannot write in /proc"), "{proc}");
    }

    #[test]
    fn a_file_in_a_writable_directory_is_accepted_and_not_created() {
        let path = std::env::temp_dir().join(format!("kestrel-shot-{}.png", std::process::id()));
        let checked = writable_file(path.to_str().unwrap()).unwrap();
        assert_eq!(checked, path);
        assert!(!path.exists(), "the check leaves nothing behind");
        let relative = writable_file("shot.png").unwrap();
        assert!(relative.is_absolute());
    }
}
