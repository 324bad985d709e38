//! The Kestrel runner as a library: `main.rs` drives it from the command line, and
//! the integration tests in `tests/` use the same functions to build the kernel,
//! boot it in QEMU and look at what it did.
#![forbid(unsafe_code)]

pub mod bench;
pub mod bench_user;
pub mod builder;
pub mod busybox;
pub mod cli;
pub mod disk;
pub mod disk_image;
pub mod events;
pub mod floors;
pub mod image;
pub mod inspect;
pub mod kernel_options;
pub mod multicall;
pub mod outcome;
pub mod pipeline;
pub mod ppm;
pub mod qemu;
pub mod qmp;
pub mod ramdisk;
pub mod screenshot;
pub mod setup;
pub mod soak;
pub mod strip;
pub mod test_kernels;
pub mod testlog;
pub mod toolchain;

use builder::{Images, KernelTargets, Loader, Profile};
use kernel_options::KernelOptions;
use qemu::{Boot, Firmware, Serial, Session, Watch, tempdir::TempDir};
use std::path::{Path, PathBuf};

/// A built kernel and its disk images.
#[derive(Clone, Debug)]
pub struct Built {
    pub name: String,
    pub elf: PathBuf,
    pub images: Images,
}

/// Builds the kernel (`KernelTargets::Main`) or the test kernels and makes disk
/// images for each with our own loaders, after checking the Rust toolchain has
/// what it needs.
pub fn build(profile: Profile, what: KernelTargets) -> Result<Vec<Built>, String> {
    build_with(Loader::Kestrel, profile, what)
}

/// Like [`build`], with the images made by `loader`.
pub fn build_with(
    loader: Loader,
    profile: Profile,
    what: KernelTargets,
) -> Result<Vec<Built>, String> {
    build_for(loader, profile, what, &[Firmware::Bios, Firmware::Uefi])
}

/// Like [`build_with`], with images for `firmwares` only (our loader; the
/// `bootloader` crate always makes both).
pub fn build_for(
    loader: Loader,
    profile: Profile,
    what: KernelTargets,
    firmwares: &[Firmware],
) -> Result<Vec<Built>, String> {
    let root = builder::root();
    if loader == Loader::Kestrel {
        setup::ensure_rust_parts(&root)?;
        let uefi = firmwares.contains(&Firmware::Uefi);
        return build_with_our_loader(&root, profile, what, uefi);
    }
    setup::ensure_rust_parts_and(&root, &setup::BOOTLOADER_CRATE_COMPONENTS)?;
    let imager = builder::build_imager(&root)?;
    builder::build_user_programs(&root)?;
    let kernels = builder::build_kernel(&root, profile, what)?;
    let out_dir = builder::target_dir(&root)
        .join("images")
        .join(profile.dir());
    let ramdisk = ramdisk::pack(&builder::user_programs_dir(&root), &out_dir)?;
    kernels
        .into_iter()
        .map(|(name, elf)| {
            let stem = stem(what, &name);
            let images =
                builder::make_images(&root, &imager, &elf, Some(&ramdisk), &out_dir, &stem)?;
            Ok(Built { name, elf, images })
        })
        .collect()
}

/// The file-name stem of a kernel's images.
fn stem(what: KernelTargets, name: &str) -> String {
    match what {
        KernelTargets::Main => "kestrel".to_string(),
        KernelTargets::Tests => format!("test-{name}"),
    }
}

/// What [`build_parts`] built.
struct Parts {
    /// Our UEFI loader's `.efi` file, if it was asked for.
    uefi_loader: Option<PathBuf>,
    /// Our BIOS loader, flattened.
    bios_loader: Vec<u8>,
    /// `(name, ELF file)` of each kernel.
    kernels: Vec<(String, PathBuf)>,
}

/// The loaders (our UEFI loader only if `uefi`), the user programs and the
/// kernels, built side by side ([`pipeline`]): the loaders next to the rest;
/// the user programs next to the main kernel, but before the test kernels,
/// which may embed them.
fn build_parts(
    root: &Path,
    profile: Profile,
    what: KernelTargets,
    uefi: bool,
) -> Result<Parts, String> {
    let loaders = || {
        let uefi = uefi.then(|| builder::build_uefi_loader(root)).transpose()?;
        Ok((uefi, builder::build_bios_loader(root)?))
    };
    let kernels = || match what {
        KernelTargets::Main => {
            let (programs, kernels) = pipeline::concurrently(
                || builder::build_user_programs(root),
                || builder::build_kernel(root, profile, what),
            );
            pipeline::both(programs, kernels).map(|(_, kernels)| kernels)
        }
        KernelTargets::Tests => {
            builder::build_user_programs(root)?;
            builder::build_kernel(root, profile, what)
        }
    };
    let (loaders, kernels) = pipeline::concurrently(loaders, kernels);
    let ((uefi_loader, bios_loader), kernels) = pipeline::both(loaders, kernels)?;
    Ok(Parts {
        uefi_loader,
        bios_loader,
        kernels,
    })
}

fn build_with_our_loader(
    root: &Path,
    profile: Profile,
    what: KernelTargets,
    uefi: bool,
) -> Result<Vec<Built>, String> {
    let parts = build_parts(root, profile, what, uefi)?;
    let out_dir = builder::target_dir(root).join("images").join(profile.dir());
    let programs = ramdisk::pack(&builder::user_programs_dir(root), &out_dir)?;
    parts
        .kernels
        .into_iter()
        .map(|(name, elf)| {
            let ramdisk = ramdisk_for(what, &name, &programs, &out_dir)?;
            let ramdisk = Some(ramdisk.as_path());
            let uefi = parts
                .uefi_loader
                .as_ref()
                .map(|loader| {
                    builder::make_kestrel_uefi_image(
                        root,
                        loader,
                        &elf,
                        ramdisk,
                        &out_dir,
                        &stem(what, &name),
                    )
                })
                .transpose()?;
            let bios = builder::make_kestrel_bios_image(
                root,
                &parts.bios_loader,
                &elf,
                ramdisk,
                &out_dir,
                &stem(what, &name),
            )?;
            let images = Images { bios, uefi };
            Ok(Built { name, elf, images })
        })
        .collect()
}

/// The ramdisk our loaders put in a kernel's images: the user programs'
/// archive (`programs`), except for the `basics` test kernel, which gets a
/// file of known bytes ([`image::test_ramdisk`]) and checks every one of
/// them, so that a loader that loses or shifts a byte shows.
fn ramdisk_for(
    what: KernelTargets,
    name: &str,
    programs: &Path,
    out_dir: &Path,
) -> Result<PathBuf, String> {
    if what == KernelTargets::Main || name != "basics" {
        return Ok(programs.to_path_buf());
    }
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let path = out_dir.join("test-ramdisk.bin");
    let bytes = image::test_ramdisk();
    if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
        std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(path)
}

/// The image for `firmware`.
///
/// # Panics
///
/// If there is no UEFI image: the kernel was built for BIOS only
/// ([`build_for`]), and asking for its UEFI image is a mistake in the runner.
pub fn image_for(images: &Images, firmware: Firmware) -> &Path {
    match firmware {
        Firmware::Bios => &images.bios,
        Firmware::Uefi => images
            .uefi
            .as_deref()
            .expect("a UEFI image, but the kernel was built for BIOS only"),
    }
}

/// A scratch directory for one QEMU run, and the OVMF files it needs for UEFI (a
/// private copy of the variable store, which the firmware writes to).
pub fn scratch_for(firmware: Firmware) -> Result<(TempDir, Option<(PathBuf, PathBuf)>), String> {
    let dir = TempDir::new(&std::env::temp_dir().join("kestrel"))
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let ovmf = match firmware {
        Firmware::Bios => None,
        Firmware::Uefi => {
            let ovmf = setup::ovmf()?;
            let vars = dir.path().join("OVMF_VARS.fd");
            std::fs::copy(&ovmf.vars, &vars)
                .map_err(|e| format!("cannot copy {}: {e}", ovmf.vars.display()))?;
            Some((ovmf.code, vars))
        }
    };
    Ok((dir, ovmf))
}

/// Options for a QEMU run whose serial output the runner captures.
#[derive(Clone, Debug, Default)]
pub struct CaptureOptions {
    /// Open a QMP socket (for screendump and sendkey).
    pub qmp: bool,
    pub extra: Vec<String>,
}

/// Boots `image` headless with the serial port captured, to the kernel
/// monitor (the boot option `monitor`: tests and runner commands drive the
/// kernel shell). Returns the session and the QMP socket path if one was
/// asked for.
pub fn boot_captured(
    firmware: Firmware,
    image: &Path,
    options: &CaptureOptions,
) -> Result<(Session, Option<PathBuf>), String> {
    boot_captured_to(firmware, image, options, &KernelOptions::monitor())
}

/// [`boot_captured`] with the kernel's boot options `kernel`
/// ([`KernelOptions::init`]: to init and the user shell, as `cargo run`).
pub fn boot_captured_to(
    firmware: Firmware,
    image: &Path,
    options: &CaptureOptions,
    kernel: &KernelOptions,
) -> Result<(Session, Option<PathBuf>), String> {
    let mut extra = kernel.qemu_args();
    extra.extend(options.extra.iter().cloned());
    let qemu = setup::qemu()?;
    let (scratch, ovmf) = scratch_for(firmware)?;
    let qmp = options.qmp.then(|| scratch.path().join("qmp.sock"));
    let boot = Boot {
        firmware,
        image: image.to_path_buf(),
        ovmf,
        window: false,
        serial: Serial::Captured,
        gdb: false,
        qmp: qmp.clone(),
        watch: Watch::in_dir(scratch.path()),
        extra,
    };
    let session = Session::start(&qemu, &boot, Some(scratch))?;
    Ok((session, qmp))
}
