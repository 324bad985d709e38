//! Building the kernel and turning it into bootable disk images.
//!
//! Three separate cargo builds, each with its own target directory:
//! - the kernel (and its test kernels) for `x86_64-unknown-none`, on the pinned
//!   stable toolchain with no special settings (`target/kernel`);
//! - `tools/imager`, a small host program around the `bootloader` crate, whose
//!   build script compiles the bootloader's BIOS and UEFI stages with cargo's
//!   unstable `-Zbuild-std`. That needs `RUSTC_BOOTSTRAP=1`, which we set for this
//!   one build only (`target/imager`); it takes about two minutes, once;
//! - the runner itself, which `cargo run` already built.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The bare-metal target the kernel is built for.
pub const KERNEL_TARGET: &str = "x86_64-unknown-none";

/// Debug or release kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    Debug,
    Release,
}

impl Profile {
    pub fn dir(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// The repository root (where the runner's Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A cargo command run from the repository root (so rust-toolchain.toml and
/// .cargo/config.toml apply), without environment settings that would change
/// how the kernel is compiled.
fn cargo(root: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root);
    for var in [
        "RUSTC_BOOTSTRAP",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// What to build of the kernel package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelTargets {
    /// The kernel binary (`kernel/src/main.rs`).
    Main,
    /// The test kernels (`kernel/tests/*.rs`).
    Tests,
}

/// Builds kernel ELF files and returns `(name, path)` for each executable.
pub fn build_kernel(
    root: &Path,
    profile: Profile,
    what: KernelTargets,
) -> Result<Vec<(String, PathBuf)>, String> {
    let mut cmd = cargo(root);
    cmd.args(["build", "--package", "kernel", "--target", KERNEL_TARGET])
        .args([
            "--target-dir",
            "target/kernel",
            "--message-format=json-render-diagnostics",
        ])
        .arg(match what {
            KernelTargets::Main => "--bins",
            KernelTargets::Tests => "--tests",
        });
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err("building the kernel failed (see the compiler messages above)".into());
    }
    let kind = match what {
        KernelTargets::Main => "bin",
        KernelTargets::Tests => "test",
    };
    let executables = executables(&String::from_utf8_lossy(&out.stdout), kind);
    if executables.is_empty() {
        return Err("cargo built no kernel executable".into());
    }
    Ok(executables)
}

/// Picks `(target name, executable path)` of the targets of `kind` (`bin`,
/// `test`) out of cargo's JSON messages. (Building tests also builds the binary,
/// which integration tests may want to run.)
pub fn executables(json_lines: &str, kind: &str) -> Vec<(String, PathBuf)> {
    json_lines
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact")
        .filter(|msg| msg["target"]["kind"][0] == kind)
        .filter_map(|msg| {
            let name = msg["target"]["name"].as_str()?.to_string();
            let path = msg["executable"].as_str()?;
            Some((name, PathBuf::from(path)))
        })
        .collect()
}

/// Builds the image tool (quick when it is already built).
pub fn build_imager(root: &Path) -> Result<PathBuf, String> {
    let target_dir = root.join("target/imager");
    let binary = target_dir.join("debug/imager");
    if !binary.exists() {
        eprintln!(
            "[build] first build of tools/imager: compiling the bootloader's BIOS and UEFI \
             stages takes about two minutes"
        );
    }
    let status = cargo(root)
        .args([
            "build",
            "--quiet",
            "--locked",
            "--manifest-path",
            "tools/imager/Cargo.toml",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // The bootloader's build script runs `cargo install -Zbuild-std ...`: allow
        // unstable cargo flags for this build, and only this one.
        .env("RUSTC_BOOTSTRAP", "1")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(binary)
    } else {
        Err("building tools/imager (the bootloader) failed; see the messages above".into())
    }
}

/// The two disk images made from one kernel.
#[derive(Clone, Debug)]
pub struct Images {
    pub bios: PathBuf,
    pub uefi: PathBuf,
}

/// Writes `<out_dir>/<stem>-bios.img` and `<stem>-uefi.img` for `kernel`.
pub fn make_images(
    imager: &Path,
    kernel: &Path,
    out_dir: &Path,
    stem: &str,
) -> Result<Images, String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let images = Images {
        bios: out_dir.join(format!("{stem}-bios.img")),
        uefi: out_dir.join(format!("{stem}-uefi.img")),
    };
    let status = Command::new(imager)
        .arg(kernel)
        .arg("--bios")
        .arg(&images.bios)
        .arg("--uefi")
        .arg(&images.uefi)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", imager.display()))?;
    if status.success() {
        Ok(images)
    } else {
        Err(format!(
            "making disk images for {} failed",
            kernel.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_are_picked_from_cargo_json() {
        let json = r#"{"reason":"compiler-artifact","target":{"name":"log","kind":["lib"]},"executable":null}
{"reason":"compiler-artifact","target":{"name":"basics","kind":["test"]},"executable":"/t/deps/basics-abc"}
not json at all
{"reason":"build-finished","success":true}
{"reason":"compiler-artifact","target":{"name":"kernel","kind":["bin"]},"executable":"/t/kernel"}"#;
        assert_eq!(
            executables(json, "test"),
            [("basics".to_string(), PathBuf::from("/t/deps/basics-abc"))]
        );
        assert_eq!(
            executables(json, "bin"),
            [("kernel".to_string(), PathBuf::from("/t/kernel"))]
        );
    }

    #[test]
    fn root_is_the_repository() {
        assert!(root().join("kernel/Cargo.toml").exists());
        assert!(root().join("tools/imager/Cargo.toml").exists());
    }
}
