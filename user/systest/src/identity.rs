//! uname, the user and group ids, and an unknown system call.

use crate::check::Checker;
use crate::raw::{KERNEL, NULL, mut_ptr, sys};
use libc::{
    EFAULT, ENOSYS, SYS_getegid, SYS_geteuid, SYS_getgid, SYS_getuid, SYS_sysinfo, SYS_uname,
};

pub fn checks(c: &mut Checker) {
    let mut buf = [0u8; 6 * 65];
    c.equal("uname", sys(SYS_uname, &[mut_ptr(buf.as_mut_ptr())]), Ok(0));
    let field = |i: usize| {
        let bytes = &buf[i * 65..(i + 1) * 65];
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(65);
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    };
    c.check("uname: a system name", !field(0).is_empty(), field(0));
    c.equal("uname: machine", field(4), "x86_64".to_string());
    c.fails("uname(NULL)", sys(SYS_uname, &[NULL]), EFAULT);
    c.fails("uname(kernel address)", sys(SYS_uname, &[KERNEL]), EFAULT);
    let ids = [SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid].map(|n| sys(n, &[]));
    c.check("ids succeed", ids.iter().all(Result::is_ok), ids);
    c.equal("uid = euid", ids[0], ids[1]);
    c.equal("gid = egid", ids[2], ids[3]);
    if c.on_kestrel {
        c.equal("everything runs as root", ids, [Ok(0); 4]);
    }
    c.fails("system call 999", sys(999, &[]), ENOSYS);
    sysinfo(c);
}

/// `sysinfo`: the RAM is there and some of it is free, at least this
/// process runs, and a bad pointer is `EFAULT`.
fn sysinfo(c: &mut Checker) {
    // SAFETY: `sysinfo` is plain data; all zeros is a valid value.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    let ptr = std::ptr::addr_of_mut!(info);
    c.equal("sysinfo", sys(SYS_sysinfo, &[mut_ptr(ptr)]), Ok(0));
    let unit = u64::from(info.mem_unit.max(1));
    let (total, free) = (info.totalram * unit, info.freeram * unit);
    c.check(
        "sysinfo: RAM",
        total >= 1 << 20 && free > 0 && free <= total,
        (total, free),
    );
    c.check("sysinfo: processes", info.procs >= 1, info.procs);
    c.fails("sysinfo(NULL)", sys(SYS_sysinfo, &[NULL]), EFAULT);
    c.fails(
        "sysinfo(kernel address)",
        sys(SYS_sysinfo, &[KERNEL]),
        EFAULT,
    );
}
