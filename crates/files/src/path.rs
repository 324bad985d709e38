//! Finding a path in the ramdisk, with the errors Linux gives.
//!
//! The ramdisk is a cpio archive: a flat list of entries named by their full
//! path without the leading `/` (`bin/hello`). A directory is there if it
//! has an entry of its own or if some entry's path goes through it; `/` is
//! always there. Every process's working directory is `/`, so a relative
//! path is read from `/`.
//!
//! [`lookup`] walks the path one component at a time, like Linux:
//! - `.` stays, `..` goes up (and stays at `/`);
//! - a component under a regular file is `ENOTDIR` (so is a trailing `/`
//!   after a file's name);
//! - a missing component is `ENOENT`, and so is the empty path;
//! - a path of [`PATH_MAX`] bytes or more, or a component longer than
//!   [`NAME_MAX`], is `ENAMETOOLONG`.

use crate::Errno;
use alloc::string::String;
use cpio::{Archive, Entry};
use linux_raw_sys::errno::{EIO, ENAMETOOLONG, ENOENT, ENOTDIR};

/// The longest path, counting its terminating NUL (as Linux's `PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// The longest component of a path.
pub const NAME_MAX: usize = 255;

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node<'a> {
    /// A regular file (or another entry that is not a directory).
    File(Entry<'a>),
    /// A directory, by its path without leading or trailing `/` (`""` is `/`).
    Directory { path: String, inode: u32 },
}

/// Finds `path` in `archive` (see the module docs).
pub fn lookup<'a>(archive: &Archive<'a>, path: &[u8]) -> Result<Node<'a>, Errno> {
    if path.len() >= PATH_MAX {
        return Err(ENAMETOOLONG);
    }
    if path.is_empty() {
        return Err(ENOENT);
    }
    let path = core::str::from_utf8(path).map_err(|_| ENOENT)?;
    let mut here = String::new();
    let mut is_directory = true;
    for component in path.split('/') {
        if component.len() > NAME_MAX {
            return Err(ENAMETOOLONG);
        }
        // Anything after a file's name, even a trailing `/`, needs a directory.
        if !is_directory {
            return Err(ENOTDIR);
        }
        if component.is_empty() || component == "." {
            continue;
        }
        if component == ".." {
            match here.rfind('/') {
                Some(at) => here.truncate(at),
                None => here.clear(),
            }
            continue;
        }
        if !here.is_empty() {
            here.push('/');
        }
        here.push_str(component);
        is_directory = kind(archive, &here)?;
    }
    if is_directory {
        let inode = directory_inode(archive, &here);
        return Ok(Node::Directory { path: here, inode });
    }
    archive.find(&here).map(Node::File).map_err(|_| EIO)
}

/// Whether `path` (which must exist) is a directory; `ENOENT` if it does not exist.
fn kind(archive: &Archive, path: &str) -> Result<bool, Errno> {
    for entry in archive.entries() {
        let entry = entry.map_err(|_| EIO)?;
        let name = entry.name.trim_start_matches("./").trim_start_matches('/');
        if name == path {
            return Ok(entry.is_directory());
        }
        if name.len() > path.len() && name.starts_with(path) && name.as_bytes()[path.len()] == b'/'
        {
            return Ok(true);
        }
    }
    Err(ENOENT)
}

/// The inode number of a directory: its entry's, or one made up from its
/// path for `/` and for directories the archive only implies.
fn directory_inode(archive: &Archive, path: &str) -> u32 {
    match archive.find(path) {
        Ok(entry) if !path.is_empty() => entry.inode,
        _ => {
            // FNV-1a of the path, above the archive's own small numbers.
            let hash = path.bytes().fold(0x811c_9dc5u32, |h, b| {
                (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
            });
            hash | 0x8000_0000
        }
    }
}

/// The names directly inside directory `path` (as [`Node::Directory`]
/// gives it), with each one's entry, in archive order; an implied
/// subdirectory appears once, as `None`.
pub fn children<'a>(
    archive: &Archive<'a>,
    path: &str,
) -> alloc::vec::Vec<(String, Option<Entry<'a>>)> {
    let mut found: alloc::vec::Vec<(String, Option<Entry<'a>>)> = alloc::vec::Vec::new();
    for entry in archive.entries().map_while(Result::ok) {
        let name = entry.name.trim_start_matches("./").trim_start_matches('/');
        let rest = if path.is_empty() {
            Some(name)
        } else {
            name.strip_prefix(path).and_then(|r| r.strip_prefix('/'))
        };
        let Some(rest) = rest.filter(|r| !r.is_empty() && *r != ".") else {
            continue;
        };
        let (child, entry) = match rest.split_once('/') {
            Some((dir, _)) => (dir, None),
            None => (rest, Some(entry)),
        };
        match found.iter_mut().find(|(name, _)| name == child) {
            Some((_, known)) => {
                if known.is_none() {
                    *known = entry;
                }
            }
            None => found.push((String::from(child), entry)),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn archive() -> Vec<u8> {
        let mut writer = cpio::Writer::new();
        writer.add("bin", cpio::write::DIRECTORY, &[]);
        writer.add("bin/hello", cpio::write::EXECUTABLE, b"hi");
        writer.add("etc/motd", cpio::write::READABLE, b"welcome\n");
        writer.finish()
    }

    fn file_data<'a>(node: Result<Node<'a>, Errno>) -> &'a [u8] {
        match node {
            Ok(Node::File(entry)) => entry.data,
            other => panic!("not a file: {other:?}"),
        }
    }

    fn dir_path(node: Result<Node, Errno>) -> String {
        match node {
            Ok(Node::Directory { path, .. }) => path,
            other => panic!("not a directory: {other:?}"),
        }
    }

    #[test]
    fn files_by_absolute_relative_and_roundabout_paths() {
        let bytes = archive();
        let a = Archive::new(&bytes);
        for path in [
            "/bin/hello",
            "bin/hello",
            "./bin/hello",
            "//bin//hello",
            "/etc/../bin/./hello",
            "/../../bin/hello",
        ] {
            assert_eq!(file_data(lookup(&a, path.as_bytes())), b"hi", "{path}");
        }
        assert_eq!(file_data(lookup(&a, b"/etc/motd")), b"welcome\n");
    }

    #[test]
    fn directories_listed_or_implied() {
        let bytes = archive();
        let a = Archive::new(&bytes);
        assert_eq!(dir_path(lookup(&a, b"/")), "");
        assert_eq!(dir_path(lookup(&a, b".")), "");
        assert_eq!(dir_path(lookup(&a, b"/bin/")), "bin");
        assert_eq!(dir_path(lookup(&a, b"etc")), "etc", "only implied");
        assert_eq!(dir_path(lookup(&a, b"/etc/..")), "");
        let names: Vec<String> = children(&a, "").into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["bin", "etc"]);
        let bin = children(&a, "bin");
        assert_eq!(bin.len(), 1);
        assert_eq!(bin[0].0, "hello");
        assert_eq!(bin[0].1.unwrap().data, b"hi");
        assert!(children(&a, "nothing").is_empty());
    }

    #[test]
    fn linux_errors() {
        let bytes = archive();
        let a = Archive::new(&bytes);
        assert_eq!(lookup(&a, b""), Err(ENOENT));
        assert_eq!(lookup(&a, b"/bin/nope"), Err(ENOENT));
        assert_eq!(lookup(&a, b"/nope/hello"), Err(ENOENT));
        assert_eq!(
            lookup(&a, b"/bi"),
            Err(ENOENT),
            "a prefix is not a directory"
        );
        assert_eq!(lookup(&a, b"/bin/hello/"), Err(ENOTDIR));
        assert_eq!(lookup(&a, b"/bin/hello/x"), Err(ENOTDIR));
        assert_eq!(lookup(&a, b"/bin/hello/."), Err(ENOTDIR));
        let long = [b'a'; NAME_MAX + 1];
        assert_eq!(lookup(&a, &long), Err(ENAMETOOLONG));
        assert_eq!(lookup(&a, &[b'a'; NAME_MAX]), Err(ENOENT));
        let mut deep = Vec::new();
        while deep.len() < PATH_MAX {
            deep.extend_from_slice(b"./");
        }
        assert_eq!(lookup(&a, &deep), Err(ENAMETOOLONG));
        assert_eq!(dir_path(lookup(&a, &deep[..PATH_MAX - 2])), "");
    }

    #[test]
    fn random_paths_never_panic() {
        let bytes = archive();
        let a = Archive::new(&bytes);
        let alphabet = b"/.binhelo\xff";
        let mut rng = xorshift::XorShift64(5);
        for _ in 0..20_000 {
            let len = rng.below(16);
            let path: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let _ = lookup(&a, &path);
        }
    }
}
