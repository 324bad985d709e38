//! `ls [-l] [-a] [PATH...]`: lists directories (`open` + `getdents64`, in
//! name order) and names files. `-a` shows names starting with `.` too.
//! `-l` adds what `stat` (`newfstatat`, without following a symbolic link)
//! says about each: the mode as a string (`drwxr-xr-x`), the link count,
//! owner and group ids, size, and modification time (UTC), then the name,
//! and for a symbolic link its target (`readlink`).

use std::fs::{self, Metadata};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

const USAGE: &str = "ls [-l] [-a] [PATH...]";

pub fn main(args: Vec<String>) {
    let (flags, mut paths) = tools::options("ls", USAGE, &args, "la");
    let long = flags.contains(&'l');
    let all = flags.contains(&'a');
    if paths.is_empty() {
        paths.push(".".into());
    }
    let mut failed = false;
    let (dirs, files): (Vec<_>, Vec<_>) = paths.iter().partition(|p| Path::new(p).is_dir());
    for file in &files {
        match fs::symlink_metadata(file) {
            Ok(meta) => print_entry(Path::new(file), file, &meta, long),
            Err(e) => {
                tools::report("ls", file, tools::why(&e));
                failed = true;
            }
        }
    }
    for (i, dir) in dirs.iter().enumerate() {
        if paths.len() > 1 {
            let gap = if i > 0 || !files.is_empty() { "\n" } else { "" };
            println!("{gap}{dir}:");
        }
        if let Err(e) = list(Path::new(dir), long, all) {
            tools::report("ls", dir, tools::why(&e));
            failed = true;
        }
    }
    std::process::exit(failed as i32);
}

/// Lists directory `dir`, sorted by name.
fn list(dir: &Path, long: bool, all: bool) -> std::io::Result<()> {
    let mut names: Vec<String> = Vec::new();
    for entry in fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    if all {
        names.extend([".".to_string(), "..".to_string()]);
    } else {
        names.retain(|n| !n.starts_with('.'));
    }
    names.sort();
    for name in names {
        let path = dir.join(&name);
        match fs::symlink_metadata(&path) {
            Ok(meta) => print_entry(&path, &name, &meta, long),
            Err(e) => tools::report("ls", &path.display().to_string(), tools::why(&e)),
        }
    }
    Ok(())
}

/// Prints one name, with `-l` its details.
fn print_entry(path: &Path, name: &str, meta: &Metadata, long: bool) {
    if !long {
        println!("{name}");
        return;
    }
    let link = if meta.file_type().is_symlink() {
        fs::read_link(path)
            .map(|t| format!(" -> {}", t.display()))
            .unwrap_or_default()
    } else {
        String::new()
    };
    println!(
        "{} {:>3} {:>4} {:>4} {:>8} {} {name}{link}",
        mode_string(meta.mode()),
        meta.nlink(),
        meta.uid(),
        meta.gid(),
        meta.size(),
        date(meta.mtime()),
    );
}

/// `drwxr-xr-x`: the type, then read/write/execute for owner, group, others.
fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    };
    let mut text = String::from(kind);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    text
}

/// Seconds since 1970 as `YYYY-MM-DD HH:MM` in UTC.
fn date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        in_day / 3600,
        in_day / 60 % 60
    )
}

/// The calendar date `days` after 1970-01-01 (Gregorian calendar). Counts
/// in 400-year eras of 146,097 days that start on 1 March, so that the leap
/// day is the last day of a year and needs no special case.
fn civil(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
