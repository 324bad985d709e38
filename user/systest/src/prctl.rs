//! `prctl`: a process's name (`PR_SET_NAME`, `PR_GET_NAME`), and an
//! unknown option.

use crate::check::Checker;
use crate::raw::{KERNEL, NULL, mut_ptr, ptr, sys};
use libc::{EFAULT, EINVAL, PR_GET_NAME, PR_SET_NAME, SYS_prctl};

pub fn checks(c: &mut Checker) {
    names(c);
    c.fails(
        "prctl(unknown option)",
        sys(SYS_prctl, &[0x7fff_0000]),
        EINVAL,
    );
}

/// The name is cut to 15 bytes, `/proc/self/stat` shows it, bad pointers
/// are `EFAULT`; the old name comes back at the end.
fn names(c: &mut Checker) {
    let mut old = [0u8; 16];
    let get = |out: &mut [u8; 16]| sys(SYS_prctl, &[PR_GET_NAME as u64, mut_ptr(out.as_mut_ptr())]);
    c.equal("PR_GET_NAME", get(&mut old), Ok(0));
    let long = b"systest-prctl-long-name\0";
    let set = |name: &[u8]| sys(SYS_prctl, &[PR_SET_NAME as u64, ptr(name.as_ptr())]);
    c.equal("PR_SET_NAME", set(long), Ok(0));
    let mut now = [0u8; 16];
    c.equal("PR_GET_NAME after", get(&mut now), Ok(0));
    c.equal(
        "the name, cut to 15 bytes",
        &now[..],
        &b"systest-prctl-l\0"[..],
    );
    // Where /proc is mounted (not on the monitor's ramdisk root), its stat
    // line shows the same name.
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        c.check(
            "/proc/self/stat shows the name",
            stat.is_empty() || stat.contains("(systest-prctl-l)"),
            &stat,
        );
    }
    c.fails(
        "PR_SET_NAME(NULL)",
        sys(SYS_prctl, &[PR_SET_NAME as u64, NULL]),
        EFAULT,
    );
    c.fails(
        "PR_GET_NAME(kernel address)",
        sys(SYS_prctl, &[PR_GET_NAME as u64, KERNEL]),
        EFAULT,
    );
    c.equal("PR_SET_NAME back", set(&old), Ok(0));
}
