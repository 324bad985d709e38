//! Disk images for our own loader: GPT with a FAT EFI system partition.
//!
//! UEFI firmware boots from a disk with a GUID partition table (GPT): the
//! first sector is a *protective* MBR (one partition of type 0xEE covering
//! the disk, so that old tools leave it alone), the second the GPT header,
//! then the partition entries; a backup copy sits at the end of the disk.
//! The firmware looks for a partition of type "EFI system", reads its FAT
//! file system and starts `\EFI\BOOT\BOOTX64.EFI`. Our loader then reads the
//! kernel from the same partition (`\kernel.elf`).
//!
//! The `gpt` and `fatfs` crates write both structures; the tests read the
//! image back with the same crates.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Cursor, Seek, SeekFrom, Write};
use std::path::Path;

const MIB: u64 = 1024 * 1024;
/// The ESP starts 1 MiB into the disk (the usual alignment).
const ESP_START_LBA: u64 = 2048;

/// A FAT volume holding `files` (`(path, bytes)`, paths with `/`), in memory.
pub fn fat_volume(files: &[(&str, &[u8])]) -> Result<Vec<u8>, String> {
    let needed: u64 = files.iter().map(|(_, bytes)| bytes.len() as u64).sum();
    // Room for the FAT, directories and cluster slack; whole MiBs.
    let size = (needed + needed / 8 + MIB).div_ceil(MIB) * MIB;
    let mut volume = vec![0u8; size as usize];
    let fat_error = |e: std::io::Error| format!("writing the FAT file system: {e}");
    let options = fatfs::FormatVolumeOptions::new().volume_label(*b"KESTREL    ");
    fatfs::format_volume(Cursor::new(&mut volume[..]), options).map_err(fat_error)?;
    {
        let fs = fatfs::FileSystem::new(Cursor::new(&mut volume[..]), fatfs::FsOptions::new())
            .map_err(fat_error)?;
        for (path, bytes) in files {
            let root = fs.root_dir();
            // Make the parent directories, one level at a time.
            let parts: Vec<&str> = path.split('/').collect();
            for depth in 1..parts.len() {
                let dir = parts[..depth].join("/");
                if root.open_dir(&dir).is_err() {
                    root.create_dir(&dir).map_err(fat_error)?;
                }
            }
            let mut file = root.create_file(path).map_err(fat_error)?;
            file.truncate().map_err(fat_error)?;
            file.write_all(bytes).map_err(fat_error)?;
        }
        fs.unmount().map_err(fat_error)?;
    }
    Ok(volume)
}

/// Writes a GPT disk image at `out` whose only partition, the EFI system
/// partition, holds `files`.
pub fn write_gpt_image(out: &Path, files: &[(&str, &[u8])]) -> Result<(), String> {
    let fat = fat_volume(files)?;
    let io = |e: std::io::Error| format!("{}: {e}", out.display());
    // 1 MiB before the partition, 1 MiB after it for the backup GPT.
    let total = ESP_START_LBA * 512 + fat.len() as u64 + MIB;
    let mut disk = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(out)
        .map_err(io)?;
    disk.set_len(total).map_err(io)?;
    let sectors = u32::try_from(total / 512 - 1).unwrap_or(u32::MAX);
    gpt::mbr::ProtectiveMBR::with_lb_size(sectors)
        .overwrite_lba0(&mut disk)
        .map_err(io)?;
    let block = gpt::disk::LogicalBlockSize::Lb512;
    let mut table = gpt::GptConfig::new()
        .writable(true)
        .initialized(false)
        .logical_block_size(block)
        .create_from_device(Box::new(&mut disk), None)
        .map_err(io)?;
    table.update_partitions(BTreeMap::new()).map_err(io)?;
    let id = table
        .add_partition(
            "EFI system partition",
            fat.len() as u64,
            gpt::partition_types::EFI,
            0,
            Some(ESP_START_LBA),
        )
        .map_err(io)?;
    let start = table.partitions()[&id].bytes_start(block).map_err(io)?;
    table.write().map_err(io)?;
    disk.seek(SeekFrom::Start(start)).map_err(io)?;
    disk.write_all(&fat).map_err(io)?;
    disk.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Writes an image, then reads it back with the same crates: one EFI
    /// system partition at 1 MiB whose FAT holds exactly our files.
    #[test]
    fn gpt_image_reads_back() {
        let loader: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
        let kernel = b"\x7fELF pretend kernel".repeat(5000);
        let path = std::env::temp_dir().join(format!("kestrel-gpt-{}.img", std::process::id()));
        write_gpt_image(
            &path,
            &[("EFI/BOOT/BOOTX64.EFI", &loader), ("kernel.elf", &kernel)],
        )
        .unwrap();

        let disk = gpt::GptConfig::new().open(&path).unwrap();
        let parts: Vec<_> = disk.partitions().values().collect();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].part_type_guid, gpt::partition_types::EFI);
        assert_eq!(parts[0].first_lba, ESP_START_LBA);
        let block = gpt::disk::LogicalBlockSize::Lb512;
        let (start, len) = (
            parts[0].bytes_start(block).unwrap(),
            parts[0].bytes_len(block).unwrap(),
        );
        let mut image = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(&image[510..512], [0x55, 0xaa], "protective MBR");
        assert_eq!(image[446 + 4], 0xee, "protective MBR partition type");

        let esp = &mut image[start as usize..(start + len) as usize];
        let fs = fatfs::FileSystem::new(Cursor::new(esp), fatfs::FsOptions::new()).unwrap();
        let read = |path: &str| {
            let mut bytes = Vec::new();
            fs.root_dir()
                .open_file(path)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        };
        assert_eq!(read("EFI/BOOT/BOOTX64.EFI"), loader);
        assert_eq!(read("efi/boot/bootx64.efi"), loader, "FAT ignores case");
        assert_eq!(read("kernel.elf"), kernel);
        let names: Vec<String> = fs
            .root_dir()
            .iter()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["EFI", "kernel.elf"]);
    }
}

/// The ramdisk the runner gives test kernels: a header line, then byte `i`
/// of the rest is `(31 * i + 7) % 251`; 70,001 bytes, not a whole number of
/// sectors or pages, so that a loader that rounds the length shows. The
/// `basics` test kernel checks every byte (`kernel/tests/basics.rs`).
pub fn test_ramdisk() -> Vec<u8> {
    const HEADER: &[u8] = b"KESTREL TEST RAMDISK\n";
    let mut bytes = HEADER.to_vec();
    bytes.extend((0..70_001 - HEADER.len()).map(|i| ((31 * i + 7) % 251) as u8));
    bytes
}

/// Where our BIOS loader's boot sector keeps its *boot table*
/// (`loader/bios/src/boot_sector.rs`): six little-endian numbers telling it
/// where the rest of the loader, the kernel file and the ramdisk are.
pub const BOOT_TABLE: usize = 0x1a0;
/// Where the partition table starts in a master boot record.
const PARTITION_TABLE: usize = 446;
/// The partition type we give the loader's area: 0xda, "non-file-system
/// data", which partitioning tools leave alone.
pub const PARTITION_TYPE: u8 = 0xda;
const SECTOR: usize = 512;

/// Where the parts of a BIOS image are, in sectors (and bytes for files).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootTable {
    pub stage2_lba: u32,
    pub stage2_sectors: u16,
    pub kernel_lba: u32,
    pub kernel_len: u32,
    pub ramdisk_lba: u32,
    pub ramdisk_len: u32,
}

impl BootTable {
    /// The table's 24 bytes, as the boot sector reads them.
    fn bytes(&self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[0..4].copy_from_slice(&self.stage2_lba.to_le_bytes());
        out[4..6].copy_from_slice(&self.stage2_sectors.to_le_bytes());
        out[8..12].copy_from_slice(&self.kernel_lba.to_le_bytes());
        out[12..16].copy_from_slice(&self.kernel_len.to_le_bytes());
        out[16..20].copy_from_slice(&self.ramdisk_lba.to_le_bytes());
        out[20..24].copy_from_slice(&self.ramdisk_len.to_le_bytes());
        out
    }

    /// Reads the table back out of a boot sector.
    pub fn read(sector: &[u8]) -> BootTable {
        let u32_at = |at: usize| {
            u32::from_le_bytes(
                sector[BOOT_TABLE + at..BOOT_TABLE + at + 4]
                    .try_into()
                    .unwrap(),
            )
        };
        BootTable {
            stage2_lba: u32_at(0),
            stage2_sectors: u16::from_le_bytes([sector[BOOT_TABLE + 4], sector[BOOT_TABLE + 5]]),
            kernel_lba: u32_at(8),
            kernel_len: u32_at(12),
            ramdisk_lba: u32_at(16),
            ramdisk_len: u32_at(20),
        }
    }
}

/// One primary partition entry of an MBR, as read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MbrPartition {
    pub bootable: bool,
    pub kind: u8,
    pub first_lba: u32,
    pub sectors: u32,
}

/// Reads the four partition entries of a master boot record.
pub fn read_mbr_partitions(sector: &[u8]) -> [MbrPartition; 4] {
    std::array::from_fn(|i| {
        let e = &sector[PARTITION_TABLE + 16 * i..PARTITION_TABLE + 16 * (i + 1)];
        MbrPartition {
            bootable: e[0] == 0x80,
            kind: e[4],
            first_lba: u32::from_le_bytes(e[8..12].try_into().unwrap()),
            sectors: u32::from_le_bytes(e[12..16].try_into().unwrap()),
        }
    })
}

/// The sectors `bytes` fill, the last one padded with zeros.
fn sectors(bytes: &[u8]) -> usize {
    bytes.len().div_ceil(SECTOR)
}

/// A BIOS disk image for our own loader, in memory. `loader` is the loader
/// as one flat block from 0x7c00 (see [`flatten`]): its first sector is the
/// boot sector, the rest follows from sector 1. Then the kernel file and
/// the ramdisk, each from a new sector. The boot sector gets the boot table
/// and one bootable partition of type [`PARTITION_TYPE`] covering
/// everything after it, so that the disk does not look empty to tools.
pub fn bios_image(loader: &[u8], kernel: &[u8], ramdisk: Option<&[u8]>) -> Result<Vec<u8>, String> {
    if loader.len() < SECTOR || loader[510..512] != [0x55, 0xaa] {
        return Err("the BIOS loader does not start with a boot sector".into());
    }
    let ramdisk = ramdisk.unwrap_or(&[]);
    let stage2 = &loader[SECTOR..];
    let stage2_sectors = u16::try_from(sectors(stage2))
        .map_err(|_| format!("the BIOS loader is too large ({} bytes)", loader.len()))?;
    let too_large = |what: &str| format!("the {what} is too large for a BIOS image (4 GiB)");
    let kernel_lba = 1 + stage2_sectors as usize;
    let ramdisk_lba = kernel_lba + sectors(kernel);
    // Whole MiBs: SeaBIOS does not boot an AHCI disk of a few hundred
    // sectors (measured: a 113 KiB image printed nothing, the same padded to
    // 1 MiB booted).
    let total = (ramdisk_lba + sectors(ramdisk)).next_multiple_of(2048);
    let table = BootTable {
        stage2_lba: 1,
        stage2_sectors,
        kernel_lba: kernel_lba as u32,
        kernel_len: u32::try_from(kernel.len()).map_err(|_| too_large("kernel file"))?,
        ramdisk_lba: ramdisk_lba as u32,
        ramdisk_len: u32::try_from(ramdisk.len()).map_err(|_| too_large("ramdisk"))?,
    };
    let mut disk = vec![0u8; total * SECTOR];
    disk[..BOOT_TABLE].copy_from_slice(&loader[..BOOT_TABLE]);
    disk[BOOT_TABLE..BOOT_TABLE + 24].copy_from_slice(&table.bytes());
    let entry = &mut disk[PARTITION_TABLE..PARTITION_TABLE + 16];
    entry[0] = 0x80;
    // CHS addresses 1023/254/63: "use the LBA fields".
    entry[1..4].copy_from_slice(&[0xfe, 0xff, 0xff]);
    entry[4] = PARTITION_TYPE;
    entry[5..8].copy_from_slice(&[0xfe, 0xff, 0xff]);
    entry[8..12].copy_from_slice(&1u32.to_le_bytes());
    entry[12..16].copy_from_slice(&(total as u32 - 1).to_le_bytes());
    disk[510..512].copy_from_slice(&[0x55, 0xaa]);
    let mut put = |lba: usize, bytes: &[u8]| {
        disk[lba * SECTOR..lba * SECTOR + bytes.len()].copy_from_slice(bytes)
    };
    put(1, stage2);
    put(kernel_lba, kernel);
    put(ramdisk_lba, ramdisk);
    Ok(disk)
}

/// The loaded bytes of an ELF file linked at `base` as one block, as they
/// are in memory from `base` on (segments at their addresses, gaps zeroed).
/// This is what `objcopy -O binary` does, for our BIOS loader.
pub fn flatten(elf: &[u8], base: u64) -> Result<Vec<u8>, String> {
    use object::{Object, ObjectSegment};
    let file = object::File::parse(elf).map_err(|e| format!("the BIOS loader's ELF file: {e}"))?;
    let mut flat = Vec::new();
    for segment in file.segments() {
        let data = segment
            .data()
            .map_err(|e| format!("the BIOS loader's ELF file: {e}"))?;
        let at = segment
            .address()
            .checked_sub(base)
            .ok_or("the BIOS loader has a segment below its base")? as usize;
        // Bytes past the file's part of a segment (`.bss`) are zeros.
        let len = (segment.size() as usize).max(data.len());
        if flat.len() < at + len {
            flat.resize(at + len, 0);
        }
        flat[at..at + data.len()].copy_from_slice(data);
    }
    Ok(flat)
}

#[cfg(test)]
mod bios_tests {
    use super::*;

    /// A pretend loader: a boot sector (code, then the signature) and three
    /// more sectors and a bit.
    fn loader() -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..2000u32).map(|i| (i % 253) as u8 + 1).collect();
        bytes[510..512].copy_from_slice(&[0x55, 0xaa]);
        bytes
    }

    /// Writes an image and reads every part back: the boot code, the boot
    /// table, the one partition, and the loader, kernel and ramdisk bytes
    /// where the table says they are.
    #[test]
    fn bios_image_reads_back() {
        let loader = loader();
        let kernel = b"\x7fELF pretend kernel".repeat(1000);
        let ramdisk = test_ramdisk();
        let disk = bios_image(&loader, &kernel, Some(&ramdisk)).unwrap();
        assert_eq!(disk.len() % (1 << 20), 0, "whole MiBs");
        assert_eq!(&disk[..BOOT_TABLE], &loader[..BOOT_TABLE], "boot code");
        assert_eq!(&disk[510..512], [0x55, 0xaa]);
        let table = BootTable::read(&disk[..512]);
        assert_eq!(
            table,
            BootTable {
                stage2_lba: 1,
                stage2_sectors: 3,
                kernel_lba: 4,
                kernel_len: kernel.len() as u32,
                ramdisk_lba: 4 + kernel.len().div_ceil(512) as u32,
                ramdisk_len: ramdisk.len() as u32,
            }
        );
        let at = |lba: u32, len: usize| &disk[lba as usize * 512..lba as usize * 512 + len];
        assert_eq!(at(1, loader.len() - 512), &loader[512..]);
        assert_eq!(at(table.kernel_lba, kernel.len()), &kernel[..]);
        assert_eq!(at(table.ramdisk_lba, ramdisk.len()), &ramdisk[..]);
        let parts = read_mbr_partitions(&disk[..512]);
        assert_eq!(
            parts[0],
            MbrPartition {
                bootable: true,
                kind: PARTITION_TYPE,
                first_lba: 1,
                sectors: (disk.len() / 512 - 1) as u32,
            }
        );
        assert!(parts[1..].iter().all(|p| p.kind == 0 && p.sectors == 0));
    }

    #[test]
    fn without_a_ramdisk_the_table_says_zero_bytes() {
        let disk = bios_image(&loader(), b"kernel", None).unwrap();
        let table = BootTable::read(&disk[..512]);
        assert_eq!((table.kernel_len, table.ramdisk_len), (6, 0));
        assert_eq!(disk.len(), 1 << 20, "padded to a MiB");
    }

    #[test]
    fn a_loader_without_a_boot_signature_is_refused() {
        let mut bad = loader();
        bad[511] = 0;
        assert!(bios_image(&bad, b"kernel", None).is_err());
        assert!(bios_image(&[0; 100], b"kernel", None).is_err());
    }

    /// Flattening puts segments at their addresses from the base, zeroes the
    /// gaps, and refuses a segment below the base. Checked on a small ELF
    /// file written here by hand.
    #[test]
    fn flatten_places_segments_at_their_addresses() {
        let elf = two_segment_elf(0x7c00, &[(0x7c00, b"boot"), (0x7e00, b"rest")]);
        let flat = flatten(&elf, 0x7c00).unwrap();
        assert_eq!(flat.len(), 0x204);
        assert_eq!(&flat[..4], b"boot");
        assert!(flat[4..0x200].iter().all(|&b| b == 0));
        assert_eq!(&flat[0x200..], b"rest");
        assert!(flatten(&elf, 0x8000).is_err());
        assert!(flatten(b"not an ELF file", 0).is_err());
    }

    /// A minimal ELF64 executable with one PT_LOAD per `(address, bytes)`.
    fn two_segment_elf(entry: u64, segments: &[(u64, &[u8])]) -> Vec<u8> {
        let (header, phdr) = (64usize, 56usize);
        let mut data_at = header + phdr * segments.len();
        let mut out = vec![0u8; data_at];
        out[..4].copy_from_slice(b"\x7fELF");
        out[4] = 2; // 64-bit
        out[5] = 1; // little-endian
        out[6] = 1; // version
        out[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        out[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86_64
        out[20..24].copy_from_slice(&1u32.to_le_bytes());
        out[24..32].copy_from_slice(&entry.to_le_bytes());
        out[32..40].copy_from_slice(&(header as u64).to_le_bytes()); // phoff
        out[52..54].copy_from_slice(&(header as u16).to_le_bytes());
        out[54..56].copy_from_slice(&(phdr as u16).to_le_bytes());
        out[56..58].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        out[58..60].copy_from_slice(&64u16.to_le_bytes()); // shentsize
        for (i, (address, bytes)) in segments.iter().enumerate() {
            let p = header + i * phdr;
            out[p..p + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
            out[p + 4..p + 8].copy_from_slice(&7u32.to_le_bytes());
            out[p + 8..p + 16].copy_from_slice(&(data_at as u64).to_le_bytes());
            out[p + 16..p + 24].copy_from_slice(&address.to_le_bytes());
            out[p + 24..p + 32].copy_from_slice(&address.to_le_bytes());
            out[p + 32..p + 40].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
            out[p + 40..p + 48].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
            out[p + 48..p + 56].copy_from_slice(&1u64.to_le_bytes());
            data_at += bytes.len();
        }
        for (_, bytes) in segments {
            out.extend_from_slice(bytes);
        }
        out
    }
}
