//! Building the kernel and turning it into bootable disk images.
//!
//! Three separate cargo builds, each with its own target directory:
//! - the kernel (and its test kernels) for `x86_64-unknown-none`, on the pinned
//!   stable toolchain with no special settings (`target/kernel`);
//! - `tools/imager`, a small host program around the `bootloader` crate, whose
//!   build script compiles the bootloader's BIOS and UEFI stages with cargo's
//!   unstable `-Zbuild-std`. That needs `RUSTC_BOOTSTRAP=1`, which we set for this
//!   one build only (`target/imager`); it takes about two minutes, once;
//! - the runner itself, which `cargo run` already built;
//! - the user programs (`user/`, a workspace of its own) for
//!   `x86_64-unknown-linux-musl`, in release mode (`target/user`), before the
//!   test kernels: those may embed them (`include_bytes!` of a path under the
//!   `KESTREL_USER_PROGRAMS` directory, which [`build_kernel`] passes on); the
//!   main kernel does not, so it builds at the same time as them;
//! - with `--loader kestrel`, our own loaders (`loader/bios`, and `loader/uefi`
//!   for `x86_64-unknown-uefi`) instead of `tools/imager` (`target/loader`),
//!   on the same stable toolchain with no special settings.
//!
//! These builds run with their output piped through [`crate::pipeline`], each
//! line labelled (`[user]`, `[kernel]`, `[loader]`), so that they can run side
//! by side ([`crate::build_with`] arranges that).
//!
//! The disk images go to `target/images`. `target/` stands for cargo's target
//! directory: `CARGO_TARGET_DIR` when it is set (so a read-only checkout can be
//! built elsewhere), else `target/` in the repository ([`target_dir`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// Where every build output of the runner goes (see the module comment).
pub fn target_dir(root: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| root.to_path_buf());
    target_dir_from(root, std::env::var_os("CARGO_TARGET_DIR"), &cwd)
}

/// [`target_dir`] for a given value of `CARGO_TARGET_DIR`, which cargo reads
/// relative to the current directory `cwd`.
pub fn target_dir_from(root: &Path, cargo_target_dir: Option<OsString>, cwd: &Path) -> PathBuf {
    match cargo_target_dir {
        Some(dir) if !dir.is_empty() => cwd.join(dir),
        _ => root.join("target"),
    }
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

/// The target the user programs are built for: Linux's x86_64 ABI, with musl
/// as the C library, linked statically.
pub const USER_TARGET: &str = "x86_64-unknown-linux-musl";

/// Builds the user programs (`user/`) and returns the directory that holds
/// them, one executable per program, named after it.
pub fn build_user_programs(root: &Path) -> Result<PathBuf, String> {
    let target_dir = target_dir(root).join("user");
    let mut cmd = cargo(root);
    cmd.args(["build", "--release", "--target", USER_TARGET])
        .arg("--manifest-path")
        .arg(root.join("user").join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    crate::pipeline::run("user", "building the user programs (user/)", &mut cmd)?;
    Ok(user_programs_dir(root))
}

/// Where [`build_user_programs`] leaves the programs.
pub fn user_programs_dir(root: &Path) -> PathBuf {
    target_dir(root)
        .join("user")
        .join(USER_TARGET)
        .join("release")
}

/// The environment variable that tells kernel builds where the user programs are.
pub const USER_PROGRAMS_VAR: &str = "KESTREL_USER_PROGRAMS";

/// Builds kernel ELF files and returns `(name, path)` for each executable.
/// The test kernels need the user programs: build those first
/// ([`build_user_programs`]; see the module comment).
pub fn build_kernel(
    root: &Path,
    profile: Profile,
    what: KernelTargets,
) -> Result<Vec<(String, PathBuf)>, String> {
    let mut cmd = cargo(root);
    cmd.env(USER_PROGRAMS_VAR, user_programs_dir(root));
    cmd.args(["build", "--package", "kernel", "--target", KERNEL_TARGET])
        .arg("--target-dir")
        .arg(target_dir(root).join("kernel"))
        .arg("--message-format=json-render-diagnostics")
        .arg(match what {
            KernelTargets::Main => "--bins",
            KernelTargets::Tests => "--tests",
        });
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    let out = crate::pipeline::run("kernel", "building the kernel", &mut cmd)?;
    let kind = match what {
        KernelTargets::Main => "bin",
        KernelTargets::Tests => "test",
    };
    let executables = executables(&String::from_utf8_lossy(&out), kind);
    if executables.is_empty() {
        return Err("cargo built no kernel executable".into());
    }
    Ok(executables)
}

/// Picks `(target name, executable path)` of the targets of `kind` (`bin`,
/// `test`) out of cargo's JSON messages, sorted by name (cargo reports them in
/// the order they finish building). (Building tests also builds the binary,
/// which integration tests may want to run.)
pub fn executables(json_lines: &str, kind: &str) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = json_lines
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact")
        .filter(|msg| msg["target"]["kind"][0] == kind)
        .filter_map(|msg| {
            let name = msg["target"]["name"].as_str()?.to_string();
            let path = msg["executable"].as_str()?;
            Some((name, PathBuf::from(path)))
        })
        .collect();
    found.sort();
    found
}

/// Builds the image tool (quick when it is already built).
pub fn build_imager(root: &Path) -> Result<PathBuf, String> {
    let target_dir = target_dir(root).join("imager");
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

/// Copies `elf` to `out` without its debug sections ([`crate::strip`]). The
/// symbol table stays, so the kernel can still name functions in crash
/// reports; GDB uses the unstripped file on the host.
///
/// This matters for boot time: a debug kernel is ~2 MiB, almost all DWARF, and a
/// BIOS loader reads the kernel file through real-mode disk calls, which are slow
/// under emulation (measured with the `bootloader` crate: 9.4 s instead of 2.3 s
/// to the first kernel line).
pub fn strip_debug(_root: &Path, elf: &Path, out: &Path) -> Result<(), String> {
    let bytes = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let stripped =
        crate::strip::strip_debug(&bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
    std::fs::write(out, stripped).map_err(|e| format!("{}: {e}", out.display()))
}

/// Which bootloader goes into the images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loader {
    /// The `bootloader` crate (0.11), through `tools/imager`: BIOS and UEFI.
    BootloaderCrate,
    /// Our own loaders (`loader/bios`, `loader/uefi`): the default.
    Kestrel,
}

impl Loader {
    pub fn name(self) -> &'static str {
        match self {
            Loader::BootloaderCrate => "bootloader-crate",
            Loader::Kestrel => "kestrel",
        }
    }
}

/// Builds our UEFI loader (optimized: it is small and builds in seconds,
/// and the debug build's unoptimized copying and table building would be the
/// loader's slowest part); returns the path of its `.efi` file.
pub fn build_uefi_loader(root: &Path) -> Result<PathBuf, String> {
    let target_dir = target_dir(root).join("loader");
    let mut cmd = cargo(root);
    cmd.args(["build", "--quiet", "--release", "--package", "uefi_loader"])
        .args(["--target", "x86_64-unknown-uefi", "--target-dir"])
        .arg(&target_dir);
    crate::pipeline::run("loader", "building our UEFI loader (loader/uefi)", &mut cmd)?;
    Ok(target_dir.join("x86_64-unknown-uefi/release/kestrel-uefi.efi"))
}

/// Where the BIOS loader is linked (`loader/bios/link.ld`): where the BIOS
/// puts the boot sector.
pub const BIOS_LOADER_BASE: u64 = 0x7c00;

/// Builds our BIOS loader (`loader/bios`, optimized, for the kernel's own
/// bare-metal target: its 16- and 32-bit parts are `global_asm!`), and
/// returns it flattened: the bytes from 0x7c00 on, boot sector first.
pub fn build_bios_loader(root: &Path) -> Result<Vec<u8>, String> {
    let target_dir = target_dir(root).join("loader");
    let mut cmd = cargo(root);
    cmd.args(["build", "--quiet", "--release", "--package", "bios_loader"])
        .args(["--target", KERNEL_TARGET, "--target-dir"])
        .arg(&target_dir);
    crate::pipeline::run("loader", "building our BIOS loader (loader/bios)", &mut cmd)?;
    let elf = target_dir.join(KERNEL_TARGET).join("release/kestrel-bios");
    let bytes = std::fs::read(&elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    crate::image::flatten(&bytes, BIOS_LOADER_BASE)
}

/// `path` with a temporary extension of this process's, for files written
/// there and then renamed into place.
fn temporary(path: &Path) -> PathBuf {
    path.with_extension(format!("tmp-{}", std::process::id()))
}

/// Reads `path`, with the path in the error.
fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The bytes of `kernel` without its debug sections (stripped through a
/// temporary file `<out_dir>/<stem>-kestrel.elf.tmp-PID`).
fn stripped_kernel(
    root: &Path,
    kernel: &Path,
    out_dir: &Path,
    stem: &str,
) -> Result<Vec<u8>, String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let stripped = temporary(&out_dir.join(format!("{stem}-kestrel.elf")));
    strip_debug(root, kernel, &stripped)?;
    let bytes = read(&stripped);
    let _ = std::fs::remove_file(&stripped);
    bytes
}

/// Writes `<out_dir>/<stem>-kestrel-bios.img`: our BIOS loader, then the
/// kernel without its debug sections, then the ramdisk if there is one
/// (see [`crate::image::bios_image`]).
pub fn make_kestrel_bios_image(
    root: &Path,
    loader: &[u8],
    kernel: &Path,
    ramdisk: Option<&Path>,
    out_dir: &Path,
    stem: &str,
) -> Result<PathBuf, String> {
    let kernel_bytes = stripped_kernel(root, kernel, out_dir, stem)?;
    let ramdisk_bytes = ramdisk.map(read).transpose()?;
    let disk = crate::image::bios_image(loader, &kernel_bytes, ramdisk_bytes.as_deref())?;
    let image = out_dir.join(format!("{stem}-kestrel-bios.img"));
    let partial = temporary(&image);
    std::fs::write(&partial, disk).map_err(|e| format!("{}: {e}", partial.display()))?;
    std::fs::rename(&partial, &image).map_err(|e| format!("{}: {e}", image.display()))?;
    Ok(image)
}

/// Writes `<out_dir>/<stem>-kestrel-uefi.img`: a GPT disk whose EFI system
/// partition holds our loader as `\EFI\BOOT\BOOTX64.EFI`, the kernel,
/// without its debug sections, as `\kernel.elf`, and the ramdisk if there is
/// one as `\ramdisk` (see [`crate::image`]).
pub fn make_kestrel_uefi_image(
    root: &Path,
    loader: &Path,
    kernel: &Path,
    ramdisk: Option<&Path>,
    out_dir: &Path,
    stem: &str,
) -> Result<PathBuf, String> {
    let kernel_bytes = stripped_kernel(root, kernel, out_dir, stem)?;
    let loader_bytes = read(loader)?;
    let ramdisk_bytes = ramdisk.map(read).transpose()?;
    let mut files = vec![
        ("EFI/BOOT/BOOTX64.EFI", &loader_bytes[..]),
        ("kernel.elf", &kernel_bytes[..]),
    ];
    if let Some(bytes) = &ramdisk_bytes {
        files.push(("ramdisk", bytes));
    }
    let image = out_dir.join(format!("{stem}-kestrel-uefi.img"));
    let partial = temporary(&image);
    crate::image::write_gpt_image(&partial, &files)?;
    std::fs::rename(&partial, &image).map_err(|e| format!("{}: {e}", image.display()))?;
    Ok(image)
}

/// The disk images made from one kernel.
#[derive(Clone, Debug)]
pub struct Images {
    pub bios: PathBuf,
    /// `None` when the build was for BIOS only ([`crate::build_for`]): a
    /// plain `cargo run` skips our UEFI loader, whose first build alone takes
    /// longer than the BIOS loader's and the image's together.
    pub uefi: Option<PathBuf>,
}

/// Writes `<out_dir>/<stem>-bios.img` and `<stem>-uefi.img` for `kernel`, whose
/// debug information is left out of the images (see [`strip_debug`]), with
/// `ramdisk` (see [`crate::ramdisk`]) as the bootloader's ramdisk if given.
///
/// Each file is written under a temporary name and then renamed into place, so a
/// QEMU that is still booting the previous image keeps reading the old file
/// instead of one that changes under it.
pub fn make_images(
    root: &Path,
    imager: &Path,
    kernel: &Path,
    ramdisk: Option<&Path>,
    out_dir: &Path,
    stem: &str,
) -> Result<Images, String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let (bios_image, uefi_image) = (
        out_dir.join(format!("{stem}-bios.img")),
        out_dir.join(format!("{stem}-uefi.img")),
    );
    let stripped = temporary(&out_dir.join(format!("{stem}.elf")));
    let (bios, uefi) = (temporary(&bios_image), temporary(&uefi_image));
    strip_debug(root, kernel, &stripped)?;
    let mut cmd = Command::new(imager);
    cmd.arg(&stripped);
    if let Some(ramdisk) = ramdisk {
        cmd.arg("--ramdisk").arg(ramdisk);
    }
    let status = cmd
        .arg("--bios")
        .arg(&bios)
        .arg("--uefi")
        .arg(&uefi)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", imager.display()))?;
    let _ = std::fs::remove_file(&stripped);
    if !status.success() {
        return Err(format!(
            "making disk images for {} failed",
            kernel.display()
        ));
    }
    for (from, to) in [(&bios, &bios_image), (&uefi, &uefi_image)] {
        std::fs::rename(from, to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    Ok(Images {
        bios: bios_image,
        uefi: Some(uefi_image),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_are_picked_from_cargo_json() {
        let json = r#"{"reason":"compiler-artifact","target":{"name":"log","kind":["lib"]},"executable":null}
{"reason":"compiler-artifact","target":{"name":"tasks","kind":["test"]},"executable":"/t/deps/tasks-def"}
{"reason":"compiler-artifact","target":{"name":"basics","kind":["test"]},"executable":"/t/deps/basics-abc"}
not json at all
{"reason":"build-finished","success":true}
{"reason":"compiler-artifact","target":{"name":"kernel","kind":["bin"]},"executable":"/t/kernel"}"#;
        assert_eq!(
            executables(json, "test"),
            [
                ("basics".to_string(), PathBuf::from("/t/deps/basics-abc")),
                ("tasks".to_string(), PathBuf::from("/t/deps/tasks-def"))
            ],
            "sorted by name, whatever order cargo finished them in"
        );
        assert_eq!(
            executables(json, "bin"),
            [("kernel".to_string(), PathBuf::from("/t/kernel"))]
        );
    }

    #[test]
    fn kernel_builds_never_see_bootstrap_or_rustflags() {
        let cmd = cargo(Path::new("/"));
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(key, _)| key.to_string_lossy().into_owned())
            .collect();
        assert!(
            removed.contains(&"RUSTC_BOOTSTRAP".to_string()),
            "{removed:?}"
        );
        assert!(removed.contains(&"RUSTFLAGS".to_string()), "{removed:?}");
    }

    #[test]
    fn strip_debug_keeps_symbols_and_drops_dwarf() {
        // The test binary itself has debug info and symbols.
        let me = std::env::current_exe().unwrap();
        let out = std::env::temp_dir().join(format!("kestrel-strip-{}", std::process::id()));
        strip_debug(&root(), &me, &out).unwrap();
        let stripped = std::fs::read(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        let report = crate::inspect::inspect(&stripped).unwrap();
        // Debug sections stay named in the section table, without bytes.
        use object::{Object, ObjectSection};
        let file = object::File::parse(&stripped[..]).unwrap();
        let debug: Vec<_> = file
            .sections()
            .filter(|s| s.name().unwrap().starts_with(".debug"))
            .collect();
        assert!(!debug.is_empty());
        assert!(debug.iter().all(|s| s.file_range().is_none()));
        assert!(report.sections.iter().any(|s| s.name == ".symtab"));
        assert!(report.entry_symbol.is_some());
    }

    #[test]
    fn cargo_target_dir_moves_every_output() {
        let (root, cwd) = (Path::new("/src/kestrel"), Path::new("/home/me"));
        assert_eq!(
            target_dir_from(root, None, cwd),
            Path::new("/src/kestrel/target")
        );
        assert_eq!(
            target_dir_from(root, Some("".into()), cwd),
            Path::new("/src/kestrel/target")
        );
        assert_eq!(
            target_dir_from(root, Some("/tmp/t".into()), cwd),
            Path::new("/tmp/t")
        );
        assert_eq!(
            target_dir_from(root, Some("out".into()), cwd),
            Path::new("/home/me/out"),
            "relative to the current directory, as cargo reads it"
        );
    }

    #[test]
    fn root_is_the_repository() {
        assert!(root().join("kernel/Cargo.toml").exists());
        assert!(root().join("tools/imager/Cargo.toml").exists());
    }
}
