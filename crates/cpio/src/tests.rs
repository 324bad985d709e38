//! Tests: archives made by a small writer (the same layout GNU cpio's
//! `-H newc` writes), read back whole, damaged and random.
extern crate std;

use super::*;
use std::format;
use std::vec::Vec;
use xorshift::XorShift64;

/// Appends one entry.
fn push(archive: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]) {
    let fields = [
        archive.len() as u32 / 4, // inode: anything unique
        mode,
        0,
        0,
        1,
        0,
        data.len() as u32,
        0,
        0,
        0,
        0,
        name.len() as u32 + 1,
        0,
    ];
    archive.extend_from_slice(b"070701");
    for value in fields {
        archive.extend_from_slice(format!("{value:08X}").as_bytes());
    }
    archive.extend_from_slice(name.as_bytes());
    archive.push(0);
    archive.resize(archive.len().next_multiple_of(4), 0);
    archive.extend_from_slice(data);
    archive.resize(archive.len().next_multiple_of(4), 0);
}

fn archive(files: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut a = Vec::new();
    for (name, mode, data) in files {
        push(&mut a, name, *mode, data);
    }
    push(&mut a, "TRAILER!!!", 0, b"");
    a
}

fn sample() -> Vec<u8> {
    archive(&[
        (".", 0o040755, b""),
        ("bin", 0o040755, b""),
        ("bin/hello", 0o100755, b"\x7fELF hello"),
        ("bin/x", 0o100644, b"abc"),
        ("empty", 0o100644, b""),
    ])
}

#[test]
fn lists_every_entry_in_order() {
    let a = sample();
    let names: Vec<&str> = Archive::new(&a)
        .entries()
        .map(|e| e.unwrap().name)
        .collect();
    assert_eq!(names, [".", "bin", "bin/hello", "bin/x", "empty"]);
}

#[test]
fn finds_files_by_path() {
    let a = sample();
    let archive = Archive::new(&a);
    let hello = archive.find("/bin/hello").unwrap();
    assert_eq!(hello.data, b"\x7fELF hello");
    assert!(hello.is_file() && !hello.is_directory());
    assert_eq!(hello.mode & 0o777, 0o755);
    assert_eq!(archive.find("bin/x").unwrap().data, b"abc");
    assert_eq!(archive.find("./bin/x").unwrap().data, b"abc");
    assert_eq!(archive.find("empty").unwrap().data, b"");
    assert!(archive.find("bin").unwrap().is_directory());
    assert_eq!(archive.find("bin/hell"), Err(Error::NotFound));
    assert_eq!(archive.find("TRAILER!!!"), Err(Error::NotFound));
    assert_eq!(Error::NotFound.errno(), 2);
}

#[test]
fn nothing_after_the_trailer_is_read() {
    let mut a = sample();
    push(&mut a, "late", 0o100644, b"after the end");
    assert_eq!(Archive::new(&a).find("late"), Err(Error::NotFound));
}

#[test]
fn damaged_archives_give_errors() {
    let a = sample();
    let find = |bytes: &[u8]| Archive::new(bytes).find("missing").map(|_| ());
    assert_eq!(
        find(&a[..a.len() - 120]),
        Err(Error::Truncated),
        "no trailer"
    );
    assert_eq!(find(&a[..50]), Err(Error::Truncated));
    assert_eq!(find(&[]), Err(Error::Truncated));
    let mut bad = a.clone();
    bad[0] = b'1';
    assert_eq!(find(&bad), Err(Error::BadMagic));
    let mut bad = a.clone();
    bad[6 + 8 * 6] = b'g'; // file size of the first entry
    assert_eq!(find(&bad), Err(Error::BadNumber));
    let mut bad = a.clone();
    bad[6 + 8 * 6..6 + 8 * 7].copy_from_slice(b"FFFFFFFF");
    assert_eq!(find(&bad), Err(Error::Truncated), "a size past the end");
    let mut bad = a.clone();
    bad[6 + 8 * 11..6 + 8 * 12].copy_from_slice(b"00000001");
    assert_eq!(
        find(&bad),
        Err(Error::BadName),
        "a name that is only its NUL"
    );
    let mut bad = a.clone();
    bad[110 + 1] = b'x'; // the NUL after "."
    assert_eq!(find(&bad), Err(Error::BadName));
    let mut bad = a.clone();
    bad[110] = 0xff;
    assert_eq!(find(&bad), Err(Error::BadName), "not UTF-8");
    // The iterator stops after its first error.
    let mut bad = a.clone();
    bad[0] = b'x';
    assert_eq!(Archive::new(&bad).entries().count(), 1);
}

#[test]
fn random_and_mutated_archives_never_panic() {
    let mut rng = XorShift64(0xdead_beef_cafe_f00d);
    let good = sample();
    let mut found = 0;
    for round in 0..20_000 {
        let mut a = if round % 5 == 0 {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        } else {
            good.clone()
        };
        for _ in 0..=rng.below(3) {
            if a.is_empty() {
                break;
            }
            let at = rng.below(a.len());
            a[at] = match rng.below(3) {
                0 => rng.next() as u8,
                1 => b"0123456789ABCDEF"[rng.below(16)],
                _ => 0,
            };
        }
        if rng.below(4) == 0 {
            a.truncate(rng.below(a.len() + 1));
        }
        let archive = Archive::new(&a);
        for entry in archive.entries().flatten() {
            // Every slice handed out lies inside the archive.
            let start = entry.data.as_ptr() as usize - a.as_ptr() as usize;
            assert!(start + entry.data.len() <= a.len());
        }
        if archive.find("bin/x").is_ok() {
            found += 1;
        }
    }
    assert!(
        found > 1000,
        "mutations that miss the entry should still find it"
    );
}

#[test]
fn the_writer_round_trips_files_and_directories() {
    let mut w = Writer::new();
    w.add("bin", write::DIRECTORY, &[]);
    w.add("bin/hello", write::EXECUTABLE, b"\x7fELF and so on");
    w.add("notes.txt", write::READABLE, b"odd length!");
    let bytes = w.finish();
    assert_eq!(bytes.len() % 4, 0);
    let archive = Archive::new(&bytes);
    assert!(archive.find("bin").unwrap().is_directory());
    let hello = archive.find("bin/hello").unwrap();
    assert!(hello.is_file());
    assert_eq!(hello.data, b"\x7fELF and so on");
    assert_eq!(archive.find("notes.txt").unwrap().data, b"odd length!");
    assert_eq!(archive.find("nothing"), Err(Error::NotFound));
    assert_eq!(archive.entries().count(), 3);
}
