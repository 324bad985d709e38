//! Multi-call programs: one program file under many names.
//!
//! Each Rust program for musl carries its own copy of the standard library,
//! so eleven small tools made eleven files of about 390 KB each. Now they are
//! one program, `user/tools`, that picks the tool by the name it was run by
//! (`argv[0]`), and `/bin/ls`, `/bin/cat`, ... are hard links to `/bin/tools`:
//! in the cpio ramdisk (entries sharing one inode number, the data stored
//! once, see `crates/cpio`) and in the disk image's ext2 (one inode, link
//! count 12). The kernel's copy of the ramdisk into its RAM root keeps them
//! links too (`kernel/src/fs/ramdisk.rs`).
//!
//! [`LINKS`] says which names each multi-call program answers to; the program
//! prints its own list with `--list`, and `tests/userland.rs` checks that the
//! two agree.

use std::path::Path;

/// Each multi-call program and the names linked to it (in the same directory).
pub const LINKS: &[(&str, &[&str])] = &[(
    "tools",
    &[
        "cat", "echo", "free", "kill", "ls", "mkdir", "mv", "ps", "rm", "sleep", "uptime",
    ],
)];

/// The names linked to `program` (none for an ordinary program).
pub fn links_of(program: &str) -> &'static [&'static str] {
    LINKS
        .iter()
        .find(|(name, _)| *name == program)
        .map_or(&[], |(_, links)| links)
}

/// Whether `name` is a link to a multi-call program rather than a program
/// of its own. (A file of that name among the built programs is left over
/// from before the tools were one program, and is not packed.)
pub fn is_link(name: &str) -> bool {
    LINKS.iter().any(|(_, links)| links.contains(&name))
}

/// Fills `dir` with a symbolic link per program of `programs_dir` (as
/// [`crate::ramdisk::programs_in`] finds them) and per name of a multi-call
/// program, each to the program's file: a `/bin` for running the programs
/// natively on the host (`tests/userland.rs`). Links there already are
/// made again.
pub fn link_dir(programs_dir: &Path, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (program, file) in crate::ramdisk::programs_in(programs_dir)? {
        for name in std::iter::once(program.as_str()).chain(links_of(&program).iter().copied()) {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&file, &link)
                .map_err(|e| format!("{}: {e}", link.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_answer_to_their_names_and_others_to_none() {
        assert!(links_of("tools").contains(&"ls"));
        assert!(links_of("hello").is_empty());
        assert!(is_link("cat") && !is_link("tools") && !is_link("sh"));
    }
}
