//! Linux in the same QEMU: getting Debian's cloud kernel, packing the
//! benchmark as `/init` of an initramfs, a disk for the file measures, and
//! the QEMU command line.
//!
//! The kernel comes from Debian's `linux-image-cloud-amd64`, a metapackage
//! that depends on the current kernel package (`linux-image-6.1.0-NN-cloud-
//! amd64`). `apt-get download` fetches that `.deb` and `dpkg-deb -x` unpacks
//! it into `target/linux/PACKAGE/`; nothing is installed on the host, and
//! the unpacked kernel is reused by later runs. The cloud kernel was chosen
//! because its `vmlinuz` is not XZ-compressed (the generic one boots ≈ 5 s
//! slower under TCG); it has ext4 built in but the virtio drivers as
//! modules, so the initramfs carries those, in dependency order, which is
//! read from each module's `.modinfo` section (`depends=...`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The metapackage that names the current cloud kernel.
pub const METAPACKAGE: &str = "linux-image-cloud-amd64";

/// The modules the benchmark's disk needs (the PCI transport and the block
/// driver); their dependencies are found and loaded first.
pub const DISK_MODULES: [&str; 2] = ["virtio_pci", "virtio_blk"];

/// An unpacked kernel: its image and the modules for the disk, in the order
/// to load them.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub package: String,
    pub vmlinuz: PathBuf,
    pub modules: Vec<PathBuf>,
}

/// The kernel package `linux-image-cloud-amd64` depends on, from the output
/// of `apt-cache depends`.
pub fn dependency(apt_cache_depends: &str) -> Option<String> {
    apt_cache_depends.lines().find_map(|line| {
        let package = line.trim().strip_prefix("Depends: ")?.trim();
        (package.starts_with("linux-image-") && package != METAPACKAGE).then(|| package.to_string())
    })
}

/// Gets the kernel into `dir` (`target/linux`) unless it is there already.
pub fn fetch(dir: &Path) -> Result<Kernel, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let remembered = dir.join("package");
    let package = match resolve() {
        Ok(package) => package,
        Err(why) => std::fs::read_to_string(&remembered)
            .map(|p| p.trim().to_string())
            .map_err(|_| why)?,
    };
    let unpacked = dir.join(&package);
    if !unpacked.join("boot").is_dir() {
        download(dir, &package, &unpacked)?;
    }
    std::fs::write(&remembered, &package).map_err(|e| format!("{}: {e}", remembered.display()))?;
    let vmlinuz = find_vmlinuz(&unpacked)?;
    let modules = disk_modules(&unpacked)?;
    Ok(Kernel {
        package,
        vmlinuz,
        modules,
    })
}

/// Asks apt which kernel package the metapackage depends on now (after an
/// `apt-get update` if apt knows nothing yet and we may run it).
fn resolve() -> Result<String, String> {
    let ask = || {
        Command::new("apt-cache")
            .args(["depends", METAPACKAGE])
            .output()
            .ok()
            .and_then(|out| dependency(&String::from_utf8_lossy(&out.stdout)))
    };
    if let Some(package) = ask() {
        return Ok(package);
    }
    if crate::setup::is_root() {
        eprintln!("[bench-user] apt knows no {METAPACKAGE}: running apt-get update");
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        if let Some(package) = ask() {
            return Ok(package);
        }
    }
    Err(format!(
        "cannot find Debian's {METAPACKAGE} with apt-cache (is this Debian, with apt-get and \
         its package lists? try `sudo apt-get update`)"
    ))
}

/// `apt-get download` and `dpkg-deb -x` into `unpacked`.
fn download(dir: &Path, package: &str, unpacked: &Path) -> Result<(), String> {
    eprintln!(
        "[bench-user] downloading {package} (never installed; unpacked into {})",
        unpacked.display()
    );
    let fetched = Command::new("apt-get")
        .args(["download", "-q", package])
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run apt-get ({e}): the Linux side needs Debian's apt-get"))?;
    if !fetched.success() {
        return Err(format!("`apt-get download {package}` failed (offline?)"));
    }
    let deb = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .find(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(&format!("{package}_")) && name.ends_with(".deb")
        })
        .ok_or(format!("apt-get download left no {package}_*.deb"))?;
    let partial = unpacked.with_extension("partial");
    let _ = std::fs::remove_dir_all(&partial);
    let extracted = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&partial)
        .status()
        .map_err(|e| format!("cannot run dpkg-deb: {e}"))?;
    let _ = std::fs::remove_file(&deb);
    if !extracted.success() {
        return Err(format!("`dpkg-deb -x {}` failed", deb.display()));
    }
    std::fs::rename(&partial, unpacked).map_err(|e| format!("{}: {e}", unpacked.display()))
}

fn find_vmlinuz(unpacked: &Path) -> Result<PathBuf, String> {
    let boot = unpacked.join("boot");
    std::fs::read_dir(&boot)
        .map_err(|e| format!("{}: {e}", boot.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .find(|p| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .starts_with("vmlinuz-")
        })
        .ok_or(format!("no vmlinuz-* in {}", boot.display()))
}

/// The `.ko` files for [`DISK_MODULES`] and what they depend on, in load order.
fn disk_modules(unpacked: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = BTreeMap::new();
    collect_modules(&unpacked.join("lib/modules"), &mut files);
    let mut depends = BTreeMap::new();
    for (name, path) in &files {
        if DISK_MODULES.contains(&name.as_str()) || name.starts_with("virtio") {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            depends.insert(name.clone(), modinfo_depends(&bytes)?);
        }
    }
    // A module built into the kernel has no file: nothing to load for it.
    let order = load_order(&depends, &DISK_MODULES)?;
    Ok(order.iter().map(|name| files[name].clone()).collect())
}

/// Every `NAME.ko` below `dir`, by module name.
fn collect_modules(dir: &Path, into: &mut BTreeMap<String, PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| Some(e.ok()?.path())) {
        if path.is_dir() {
            collect_modules(&path, into);
        } else if path.extension().is_some_and(|e| e == "ko") {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .replace('-', "_");
            into.insert(name, path);
        }
    }
}

/// The `depends=` list of a module file (in its `.modinfo` section).
pub fn modinfo_depends(module: &[u8]) -> Result<Vec<String>, String> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(module).map_err(|e| format!("not an ELF module: {e}"))?;
    let section = file
        .section_by_name(".modinfo")
        .ok_or("a module without .modinfo")?;
    Ok(depends(section.data().map_err(|e| e.to_string())?))
}

/// The `depends=` list of a `.modinfo` section: NUL-separated `key=value`
/// strings; module names are spelled with `_` (a file may use `-`).
pub fn depends(modinfo: &[u8]) -> Vec<String> {
    let list = modinfo
        .split(|&b| b == 0)
        .find_map(|entry| entry.strip_prefix(b"depends="))
        .unwrap_or_default();
    String::from_utf8_lossy(list)
        .split(',')
        .filter(|name| !name.is_empty())
        .map(|name| name.replace('-', "_"))
        .collect()
}

/// The modules to load for `wanted`, each after everything it depends on.
/// Names absent from `depends` are built into the kernel: skipped.
pub fn load_order(
    depends: &BTreeMap<String, Vec<String>>,
    wanted: &[&str],
) -> Result<Vec<String>, String> {
    fn visit(
        name: &str,
        depends: &BTreeMap<String, Vec<String>>,
        path: &mut Vec<String>,
        order: &mut Vec<String>,
    ) -> Result<(), String> {
        if order.iter().any(|n| n == name) {
            return Ok(());
        }
        let Some(needs) = depends.get(name) else {
            return Ok(());
        };
        if path.iter().any(|n| n == name) {
            return Err(format!(
                "modules depend on each other in a loop: {}",
                path.join(" -> ")
            ));
        }
        path.push(name.to_string());
        for need in needs {
            visit(need, depends, path, order)?;
        }
        path.pop();
        order.push(name.to_string());
        Ok(())
    }
    let mut order = Vec::new();
    for name in wanted {
        visit(name, depends, &mut Vec::new(), &mut order)?;
    }
    Ok(order)
}

/// The initramfs: `/init` is the benchmark, `/bin/exit0` its exec target,
/// `/dev/console` the console Linux opens for `/init`, the disk modules in
/// `/modules` named so that they sort in load order, and the mount points.
pub fn initramfs(bench: &[u8], exit0: &[u8], modules: &[(String, Vec<u8>)]) -> Vec<u8> {
    use cpio::write::{CHAR_DEVICE, DIRECTORY, EXECUTABLE, READABLE};
    let mut archive = cpio::Writer::new();
    for dir in ["dev", "proc", "mnt", "bin", "modules"] {
        archive.add(dir, DIRECTORY, &[]);
    }
    archive.add_device("dev/console", CHAR_DEVICE, 5, 1);
    archive.add("init", EXECUTABLE, bench);
    archive.add("bin/exit0", EXECUTABLE, exit0);
    for (i, (name, bytes)) in modules.iter().enumerate() {
        archive.add(&format!("modules/{i:02}-{name}.ko"), READABLE, bytes);
    }
    archive.finish()
}

/// The disk image's size: room for the 64 MiB file and the small files.
pub const DISK_MIB: u64 = 256;

/// Makes a fresh ext4 image at `path` with `mke2fs`.
pub fn make_disk(mke2fs: &Path, path: &Path) -> Result<(), String> {
    let _ = std::fs::remove_file(path);
    let out = Command::new(mke2fs)
        .args(["-q", "-F", "-t", "ext4", "-L", "bench"])
        .arg(path)
        .arg(format!("{DISK_MIB}M"))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", mke2fs.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "mke2fs failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The kernel command line: the serial console, few messages, and after
/// `--` the arguments Linux passes on to `/init`.
pub fn append(init_args: &[String]) -> String {
    let mut line = String::from("console=ttyS0 quiet");
    if !init_args.is_empty() {
        line.push_str(" -- ");
        line.push_str(&init_args.join(" "));
    }
    line
}

/// QEMU's arguments for booting `vmlinuz` with `initrd`, as Linux's
/// reference figures were measured (TCG, one vCPU, 512 MiB), and the disk
/// as a virtio-blk device if there is one, with the very options Kestrel's
/// disk gets (`disk::qemu_args`: modern virtio only, QEMU's default cache
/// mode), so that both file systems sit on the same emulated disk.
pub fn qemu_args(
    vmlinuz: &Path,
    initrd: &Path,
    disk: Option<&Path>,
    init_args: &[String],
) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-kernel".into(),
        vmlinuz.display().to_string(),
        "-initrd".into(),
        initrd.display().to_string(),
        "-append".into(),
        append(init_args),
        "-nographic".into(),
        "-m".into(),
        "512M".into(),
        // A kernel panic would reboot: end QEMU instead.
        "-no-reboot".into(),
    ];
    if let Some(disk) = disk {
        args.extend(crate::disk::qemu_args(disk));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metapackage_names_its_kernel() {
        let out = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-57-cloud-amd64\n";
        assert_eq!(
            dependency(out).as_deref(),
            Some("linux-image-6.1.0-57-cloud-amd64")
        );
        assert_eq!(dependency("linux-image-cloud-amd64\n"), None);
        assert_eq!(dependency("W: Unable to locate package\n"), None);
    }

    fn map(entries: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        entries
            .iter()
            .map(|(n, d)| (n.to_string(), d.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn dependencies_load_first_and_once() {
        // As in Debian's 6.1 cloud kernel.
        let depends = map(&[
            ("virtio_blk", &["virtio", "virtio_ring"]),
            (
                "virtio_pci",
                &[
                    "virtio_ring",
                    "virtio_pci_modern_dev",
                    "virtio_pci_legacy_dev",
                    "virtio",
                ],
            ),
            ("virtio", &["virtio_ring"]),
            ("virtio_ring", &[]),
            ("virtio_pci_modern_dev", &[]),
            ("virtio_pci_legacy_dev", &[]),
        ]);
        let order = load_order(&depends, &DISK_MODULES).unwrap();
        assert_eq!(
            order,
            [
                "virtio_ring",
                "virtio_pci_modern_dev",
                "virtio_pci_legacy_dev",
                "virtio",
                "virtio_pci",
                "virtio_blk"
            ]
        );
        for (i, name) in order.iter().enumerate() {
            for need in &depends[name] {
                assert!(order[..i].contains(need), "{need} before {name}");
            }
        }
    }

    #[test]
    fn built_in_modules_are_skipped_and_loops_refused() {
        let built_in = map(&[("virtio_blk", &["virtio"])]);
        assert_eq!(
            load_order(&built_in, &["virtio_blk"]).unwrap(),
            ["virtio_blk"]
        );
        let looped = map(&[("a", &["b"]), ("b", &["a"])]);
        assert!(load_order(&looped, &["a"]).unwrap_err().contains("loop"));
    }

    #[test]
    fn modinfo_gives_the_dependencies() {
        let modinfo = b"license=GPL\0depends=virtio,virtio-ring\0name=x\0";
        assert_eq!(depends(modinfo), ["virtio", "virtio_ring"]);
        assert!(depends(b"license=GPL\0depends=\0").is_empty());
        assert!(depends(b"").is_empty());
        assert!(modinfo_depends(b"not elf").is_err());
    }

    #[test]
    fn initramfs_has_init_console_and_ordered_modules() {
        let modules = vec![
            ("virtio_ring".to_string(), vec![1u8]),
            ("virtio".to_string(), vec![2u8]),
        ];
        let bytes = initramfs(b"BENCH", b"EXIT", &modules);
        let archive = cpio::Archive::new(&bytes);
        assert_eq!(archive.find("init").unwrap().data, b"BENCH");
        assert_eq!(archive.find("bin/exit0").unwrap().data, b"EXIT");
        assert!(archive.find("dev/console").is_ok());
        assert!(archive.find("mnt").unwrap().is_directory());
        let names: Vec<String> = archive
            .entries()
            .filter_map(|e| e.ok())
            .map(|e| e.name.to_string())
            .filter(|n| n.starts_with("modules/"))
            .collect();
        assert_eq!(names, ["modules/00-virtio_ring.ko", "modules/01-virtio.ko"]);
    }

    #[test]
    fn qemu_runs_linux_as_measured() {
        let args = qemu_args(
            Path::new("/k/vmlinuz"),
            Path::new("/t/init.cpio"),
            Some(Path::new("/t/disk.img")),
            &["--disk".into(), "/dev/vda".into()],
        );
        let line = args.join(" ");
        assert!(
            line.starts_with("-kernel /k/vmlinuz -initrd /t/init.cpio -append"),
            "{line}"
        );
        assert!(
            args.contains(&"console=ttyS0 quiet -- --disk /dev/vda".to_string()),
            "{line}"
        );
        assert!(line.contains("-nographic -m 512M"), "{line}");
        assert!(
            line.contains(&crate::disk::qemu_args(Path::new("/t/disk.img")).join(" ")),
            "the same disk options as Kestrel's: {line}"
        );
        assert!(
            !line.contains("-smp") && !line.contains("kvm"),
            "one vCPU, TCG: {line}"
        );
        assert_eq!(append(&[]), "console=ttyS0 quiet");
    }
}
