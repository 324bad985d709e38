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
