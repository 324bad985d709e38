//! `imager KERNEL_ELF [--ramdisk FILE] --bios OUT.img --uefi OUT.img`
//!
//! The `bootloader` crate carries precompiled boot stages (a BIOS boot sector and
//! second stage, a UEFI application) and, at run time, writes them together with our
//! kernel ELF into a disk image: an MBR-partitioned image for BIOS, a GPT image with an
//! EFI system partition for UEFI. With `--ramdisk`, the image also carries that file,
//! which the bootloader loads into memory and announces in `BootInfo.ramdisk_addr`. This tiny program is the only place the project
//! touches that crate; the runner builds it once and calls it for every image.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut kernel = None;
    let mut bios = None;
    let mut uefi = None;
    let mut ramdisk = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bios" => bios = args.next().map(PathBuf::from),
            "--uefi" => uefi = args.next().map(PathBuf::from),
            "--ramdisk" => ramdisk = args.next().map(PathBuf::from),
            _ if kernel.is_none() => kernel = Some(PathBuf::from(arg)),
            _ => return usage(&format!("unexpected argument `{arg}`")),
        }
    }
    let Some(kernel) = kernel else {
        return usage("no kernel ELF given");
    };
    let mut builder = bootloader::DiskImageBuilder::new(kernel);
    if let Some(path) = ramdisk {
        builder.set_ramdisk(path);
    }
    if let Some(path) = bios {
        if let Err(e) = builder.create_bios_image(&path) {
            eprintln!("imager: cannot write BIOS image {}: {e:#}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if let Some(path) = uefi {
        if let Err(e) = builder.create_uefi_image(&path) {
            eprintln!("imager: cannot write UEFI image {}: {e:#}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("imager: {problem}\nusage: imager KERNEL_ELF [--ramdisk FILE] [--bios OUT.img] [--uefi OUT.img]");
    ExitCode::FAILURE
}
