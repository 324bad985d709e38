//! Finding (and where possible installing) what the runner needs beyond cargo.
//!
//! - The Rust parts come from `rust-toolchain.toml`: rustup installs the pinned
//!   toolchain with its targets and components on first use, but not the missing
//!   parts of a toolchain that is already installed, so we ask rustup what is
//!   there and add the rest (`toolchain.rs` has the comparison).
//! - QEMU and OVMF (UEFI firmware for QEMU) are Debian/Ubuntu packages. As root,
//!   or with password-less sudo, we install them with apt-get; otherwise we stop
//!   and print the exact command.
//! - e2fsprogs (`mke2fs`, `e2fsck`, `debugfs`) is a Debian package too: the
//!   `ext2` crate's tests check its disks with the real tools.
//! - busybox-static (Debian's `/bin/busybox`, glibc-static) is a Debian
//!   package too, installed with the others: the runner copies it onto
//!   Kestrel's disk and `tests/busybox.rs` runs it on both systems.
//! - Tools that only one command wants are found or installed the same way,
//!   but their absence is not an error ([`optional_tool`]).

use crate::toolchain::{self, Missing, Wanted};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Debian/Ubuntu packages the runner and the tests need.
pub const PACKAGES: [&str; 4] = ["qemu-system-x86", "ovmf", "e2fsprogs", "busybox-static"];

/// The e2fsprogs tools the ext2 tests run (Debian puts them in /sbin).
pub const E2FSPROGS: [&str; 3] = ["mke2fs", "e2fsck", "debugfs"];

/// The QEMU binary we boot with.
pub const QEMU: &str = "qemu-system-x86_64";

/// Where Debian and Ubuntu put OVMF's firmware code and variable-store template
/// (4 MiB flash layout first; the 2 MiB one on older releases).
pub const OVMF_CANDIDATES: [(&str, &str); 2] = [
    (
        "/usr/share/OVMF/OVMF_CODE_4M.fd",
        "/usr/share/OVMF/OVMF_VARS_4M.fd",
    ),
    (
        "/usr/share/OVMF/OVMF_CODE.fd",
        "/usr/share/OVMF/OVMF_VARS.fd",
    ),
];

/// OVMF's firmware image and the template for its variable store.
#[derive(Clone, Debug)]
pub struct Ovmf {
    pub code: PathBuf,
    pub vars: PathBuf,
}

/// Makes sure the pinned toolchain has every target and component that
/// `rust-toolchain.toml` names: adds the missing ones with rustup, checks again,
/// and if something is still missing, stops with the exact command to run.
pub fn ensure_rust_parts(root: &Path) -> Result<(), String> {
    ensure_rust_parts_and(root, &[])
}

/// The components only the `bootloader` crate needs (`--loader
/// bootloader-crate`): it compiles its boot stages with `-Zbuild-std`
/// (rust-src) and converts them with `llvm-objcopy` (llvm-tools). The default
/// path does not need them, so `rust-toolchain.toml` does not name them; the
/// runner adds them the first time that loader is asked for.
pub const BOOTLOADER_CRATE_COMPONENTS: [&str; 2] = ["rust-src", "llvm-tools"];

/// [`ensure_rust_parts`], with `components` wanted besides the file's.
pub fn ensure_rust_parts_and(root: &Path, components: &[&str]) -> Result<(), String> {
    let file = root.join("rust-toolchain.toml");
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut wanted = toolchain::parse(&text)?;
    wanted
        .components
        .extend(components.iter().map(|c| c.to_string()));
    let host = host_triple(root)?;
    let missing = missing_parts(root, &wanted, &host)?;
    if missing.is_empty() {
        return Ok(());
    }
    let channel = &wanted.channel;
    eprintln!(
        "[setup] toolchain {channel} lacks {}; running: {}",
        missing.names(),
        missing.shell_line(channel)
    );
    for words in missing.commands(channel) {
        let ran = Command::new("rustup")
            .args(&words)
            .current_dir(root)
            .status();
        if !ran.is_ok_and(|s| s.success()) {
            break;
        }
    }
    let still = missing_parts(root, &wanted, &host)?;
    if still.is_empty() {
        eprintln!("[setup] toolchain {channel} is complete");
        Ok(())
    } else {
        Err(format!(
            "the Rust toolchain {channel} still lacks {}. Add it with:\n    {}",
            still.names(),
            still.shell_line(channel)
        ))
    }
}

/// Asks rustup which of the wanted parts the pinned toolchain lacks.
fn missing_parts(root: &Path, wanted: &Wanted, host: &str) -> Result<Missing, String> {
    let list = |what: &str| -> Result<String, String> {
        let out = Command::new("rustup")
            .args([what, "list", "--installed", "--toolchain", &wanted.channel])
            .current_dir(root)
            .output()
            .map_err(|e| {
                format!(
                    "cannot run rustup ({e}); Kestrel builds with rustup's toolchain {}: \
                     install rustup from https://rustup.rs",
                    wanted.channel
                )
            })?;
        if !out.status.success() {
            return Err(format!(
                "`rustup {what} list --installed --toolchain {}` failed: {}",
                wanted.channel,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    Ok(toolchain::missing(
        wanted,
        &list("target")?,
        &list("component")?,
        host,
    ))
}

fn rustc_output(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("rustc")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run rustc ({e}); install Rust with rustup first"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
fn rustc_sysroot(root: &Path) -> Result<PathBuf, String> {
    rustc_output(root, &["--print", "sysroot"]).map(PathBuf::from)
}

pub(crate) fn host_triple(root: &Path) -> Result<String, String> {
    let verbose = rustc_output(root, &["-vV"])?;
    verbose
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .ok_or_else(|| "cannot tell the host triple from `rustc -vV`".into())
}

/// Finds QEMU, installing the packages first if it is missing.
pub fn qemu() -> Result<PathBuf, String> {
    if !on_path(QEMU) {
        install_packages()?;
    }
    if on_path(QEMU) {
        Ok(PathBuf::from(QEMU))
    } else {
        Err(format!(
            "`{QEMU}` is still missing after installing {PACKAGES:?}"
        ))
    }
}

/// Finds OVMF, installing the packages first if it is missing. The environment
/// variables `KESTREL_OVMF_CODE` and `KESTREL_OVMF_VARS` override the search.
pub fn ovmf() -> Result<Ovmf, String> {
    if let (Some(code), Some(vars)) = (
        std::env::var_os("KESTREL_OVMF_CODE"),
        std::env::var_os("KESTREL_OVMF_VARS"),
    ) {
        return Ok(Ovmf {
            code: code.into(),
            vars: vars.into(),
        });
    }
    if find_ovmf().is_none() {
        install_packages()?;
    }
    find_ovmf().ok_or_else(|| {
        "OVMF firmware not found in /usr/share/OVMF; set KESTREL_OVMF_CODE and \
         KESTREL_OVMF_VARS to its CODE and VARS files"
            .into()
    })
}

/// Finds e2fsprogs' tools, installing the package first if one is missing.
pub fn e2fsprogs() -> Result<(), String> {
    if !has_e2fsprogs() {
        install_packages()?;
    }
    if has_e2fsprogs() {
        Ok(())
    } else {
        Err(format!(
            "e2fsprogs ({}) is still missing after installing {PACKAGES:?}",
            E2FSPROGS.join(", ")
        ))
    }
}

/// Finds Debian's static busybox at [`crate::busybox::HOST_PATH`],
/// installing the packages first if it is missing.
pub fn busybox() -> Result<PathBuf, String> {
    let path = PathBuf::from(crate::busybox::HOST_PATH);
    if !path.is_file() {
        install_packages()?;
    }
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is still missing after installing {PACKAGES:?}",
            path.display()
        ))
    }
}

/// Whether every e2fsprogs tool is on the PATH or in /sbin, /usr/sbin.
fn has_e2fsprogs() -> bool {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/sbin", "/usr/sbin"].map(PathBuf::from));
    E2FSPROGS
        .iter()
        .all(|tool| dirs.iter().any(|d| d.join(tool).is_file()))
}

fn find_ovmf() -> Option<Ovmf> {
    OVMF_CANDIDATES
        .iter()
        .map(|(code, vars)| Ovmf {
            code: code.into(),
            vars: vars.into(),
        })
        .find(|o| o.code.exists() && o.vars.exists())
}

fn on_path(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The shell command that installs the packages, for messages.
pub fn install_hint() -> String {
    format!(
        "sudo apt-get update && sudo apt-get install -y {}",
        PACKAGES.join(" ")
    )
}

fn install_packages() -> Result<(), String> {
    let hint = install_hint();
    let prefix: &[&str] = if is_root() {
        &[]
    } else if Command::new("sudo")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        &["sudo", "-n"]
    } else {
        return Err(format!(
            "QEMU/OVMF/e2fsprogs/busybox-static are missing. Install them with:\n    {hint}"
        ));
    };
    if !on_path("apt-get") {
        return Err(format!(
            "QEMU/OVMF/e2fsprogs/busybox-static are missing and this is not a Debian/Ubuntu \
             system; install `qemu-system-x86_64`, OVMF, e2fsprogs and a static busybox with your package manager (on Debian/Ubuntu: {hint})"
        ));
    }
    eprintln!("[setup] installing {} with apt-get", PACKAGES.join(" "));
    let run = |args: &[&str]| {
        let mut words: Vec<&str> = prefix.to_vec();
        words.extend(args);
        Command::new(words[0])
            .args(&words[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    let mut install = vec!["apt-get", "install", "-y", "-q"];
    install.extend(PACKAGES);
    if run(&["apt-get", "update", "-q"]) && run(&install) {
        Ok(())
    } else {
        Err(format!(
            "installing QEMU/OVMF/e2fsprogs/busybox-static failed. Try:\n    {hint}"
        ))
    }
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Finds `program` (also in the `sbin` directories, which a user's PATH may
/// lack), installing the Debian package `package` first if it is missing and
/// we may (root, or password-less sudo). `None` if it is still missing: for
/// tools that only some commands want (`mke2fs` for the benchmark's disk).
pub fn optional_tool(program: &str, package: &str) -> Option<PathBuf> {
    let find = || {
        ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
            .iter()
            .map(|dir| Path::new(dir).join(program))
            .find(|path| path.exists())
    };
    if let Some(path) = find() {
        return Some(path);
    }
    let sudo = !is_root();
    if sudo
        && !Command::new("sudo")
            .args(["-n", "true"])
            .output()
            .is_ok_and(|o| o.status.success())
    {
        return None;
    }
    eprintln!("[setup] installing {package} with apt-get (for {program})");
    let mut words: Vec<&str> = if sudo { vec!["sudo", "-n"] } else { vec![] };
    words.extend(["apt-get", "install", "-y", "-q", package]);
    let _ = Command::new(words[0])
        .args(&words[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    find()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_hint_names_every_package() {
        let hint = install_hint();
        assert!(hint.contains("apt-get install -y qemu-system-x86 ovmf e2fsprogs busybox-static"));
    }

    /// On this machine (as after `cargo run -- setup` on a new one) the
    /// e2fsprogs tools are there: the ext2 tests need them.
    #[test]
    fn e2fsprogs_is_found_or_installed() {
        e2fsprogs().unwrap();
        assert!(has_e2fsprogs());
    }

    /// The same for busybox-static: the disk image and tests/busybox.rs want it.
    #[test]
    fn busybox_is_found_or_installed() {
        let path = busybox().unwrap();
        assert!(crate::busybox::Busybox::load(&path).is_ok());
    }

    /// Runs the real check against this machine's rustup: afterwards the
    /// toolchain has everything rust-toolchain.toml names (on a new machine this
    /// test adds the parts itself, as `cargo run` would).
    #[test]
    fn ensuring_the_rust_parts_leaves_none_missing() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        ensure_rust_parts(root).unwrap();
        let text = std::fs::read_to_string(root.join("rust-toolchain.toml")).unwrap();
        let wanted = toolchain::parse(&text).unwrap();
        let host = host_triple(root).unwrap();
        let missing = missing_parts(root, &wanted, &host).unwrap();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn rust_parts_of_this_toolchain_are_found() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sysroot = rustc_sysroot(root).unwrap();
        assert!(sysroot.join("lib/rustlib").is_dir(), "{sysroot:?}");
        assert!(host_triple(root).unwrap().starts_with("x86_64-"));
    }
}
