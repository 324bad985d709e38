//! `user/memtest` checks the memory system calls against Linux's results;
//! this test runs it natively, on the host's Linux, where every check must
//! pass too (the kernel tests run the same binary on Kestrel). Its modes
//! that end by a signal or by running out of memory are Kestrel's tests
//! only; `deep-stack` and `use-after-munmap` behave the same here.

use kestrel::builder::{build_user_programs, root};
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

fn memtest() -> Command {
    let dir = build_user_programs(&root()).expect("the user programs build");
    Command::new(dir.join("memtest"))
}

#[test]
fn memtest_passes_on_linux() {
    let out = memtest().output().expect("memtest runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", out.status);
    assert!(stdout.contains("memtest: all "), "{stdout}");
}

#[test]
fn memtest_modes_behave_on_linux_as_on_kestrel() {
    let out = memtest().arg("deep-stack").output().unwrap();
    assert!(out.status.success());
    let out = memtest().arg("use-after-munmap").output().unwrap();
    assert_eq!(out.status.signal(), Some(11), "SIGSEGV");
}
