//! `user/systest` on Linux, the reference: built by the runner like every
//! user program and run natively on the host, all its checks must pass. (On
//! Kestrel it runs from the shell, `run systest`: `tests/programs.rs`.)

use kestrel::builder;
use std::process::Command;

#[test]
fn systest_passes_on_linux() {
    let root = builder::root();
    let programs = builder::build_user_programs(&root).expect("the user programs build");
    let data = std::env::temp_dir().join(format!("kestrel-systest-{}", std::process::id()));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("motd"), kestrel::ramdisk::MOTD).unwrap();
    let out = Command::new(programs.join("systest"))
        .arg(&data)
        .output()
        .expect("systest runs on the host");
    std::fs::remove_dir_all(&data).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(" checks passed"), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
}
