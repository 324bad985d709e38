//! The floors: the fastest boot each firmware allows, for `bench-boot`.
//!
//! A loader cannot be faster than the firmware that starts it. To know how
//! much of a boot is ours, `bench-boot` also boots the smallest program each
//! firmware will run, one that only writes a line to COM1, and times it the
//! same way. Both are written here byte by byte, because they are small
//! enough to read in full and show what the firmware really asks for:
//!
//! - BIOS loads the first sector of the disk at 0x7c00 and jumps to it in
//!   real mode, if it ends with the signature `55 aa`;
//! - UEFI loads a PE32+ file (the Windows executable format) from the EFI
//!   system partition, at an address of its choosing, and calls its entry
//!   point in long mode; the file's *subsystem* says it is an EFI
//!   application.

use std::path::{Path, PathBuf};

/// The line the floor boot sector ([`boot_sector`]) prints.
pub const BIOS_LINE: &str = "boot sector floor";

/// A disk whose boot sector only writes [`BIOS_LINE`] to COM1 and halts:
/// the fastest any BIOS boot can be (`bench-boot` times it). Hand-assembled:
///
/// ```text
/// mov dx, 0x3f8 ; mov si, line ; next: lodsb ; test al, al ; jz stop
/// out dx, al ; jmp next ; stop: hlt ; jmp stop ; line: db "...", 10, 0
/// ```
pub fn boot_sector() -> Vec<u8> {
    let mut sector = vec![
        0xba, 0xf8, 0x03, // mov dx, 0x3f8
        0xbe, 0x11, 0x7c, // mov si, 0x7c11 (the line, at offset 17)
        0xac, // lodsb
        0x84, 0xc0, // test al, al
        0x74, 0x03, // jz stop (+3)
        0xee, // out dx, al
        0xeb, 0xf8, // jmp lodsb (-8)
        0xf4, // stop: hlt
        0xeb, 0xfd, // jmp stop (-3)
    ];
    sector.extend_from_slice(BIOS_LINE.as_bytes());
    sector.extend_from_slice(b"\n\0");
    sector.resize(512, 0);
    sector[510..512].copy_from_slice(&[0x55, 0xaa]);
    sector
}

/// The line the floor EFI application ([`efi_application`]) prints.
pub const UEFI_LINE: &str = "efi application floor";

/// Where the application's code goes in the file and in memory. PE files
/// keep a file alignment (512 bytes) and a section alignment (a page).
const CODE_FILE_OFFSET: usize = 0x200;
const CODE_RVA: u32 = 0x1000;

/// A PE32+ EFI application that writes [`UEFI_LINE`] to COM1 and spins.
///
/// The file is four headers and one section:
///
/// ```text
/// 0x000  DOS header: "MZ", and at 0x3c the offset of the PE header (0x40)
/// 0x040  "PE\0\0", then the COFF header: machine x86-64, 1 section
/// 0x058  the "optional" header (PE32+): entry point, image base,
///        alignments, sizes, subsystem 10 = EFI application
/// 0x148  the section header: .text, code, readable and executable
/// 0x200  the code, position-independent (the firmware may load it anywhere
///        and the file has no relocations to apply):
///        lea rsi, [rip + line] ; mov dx, 0x3f8
///        next: lodsb ; test al, al ; jz spin ; out dx, al ; jmp next
///        spin: pause ; jmp spin ; line: db "...", 10, 0
/// ```
pub fn efi_application() -> Vec<u8> {
    let mut code = vec![
        0x48, 0x8d, 0x35, 0x10, 0x00, 0x00, 0x00, // lea rsi, [rip + 16]
        0x66, 0xba, 0xf8, 0x03, // mov dx, 0x3f8
        0xac, // next: lodsb
        0x84, 0xc0, // test al, al
        0x74, 0x03, // jz spin (+3)
        0xee, // out dx, al
        0xeb, 0xf8, // jmp next (-8)
        0xf3, 0x90, // spin: pause
        0xeb, 0xfc, // jmp spin (-4)
    ];
    code.extend_from_slice(UEFI_LINE.as_bytes());
    code.extend_from_slice(b"\n\0");
    let code_size = code.len().next_multiple_of(0x200);
    code.resize(code_size, 0);

    let mut file = vec![0u8; CODE_FILE_OFFSET];
    let mut put = |at: usize, bytes: &[u8]| file[at..at + bytes.len()].copy_from_slice(bytes);
    // DOS header: the signature and where the PE header is.
    put(0x00, b"MZ");
    put(0x3c, &0x40u32.to_le_bytes());
    // PE signature and COFF header.
    put(0x40, b"PE\0\0");
    put(0x44, &0x8664u16.to_le_bytes()); // machine: x86-64
    put(0x46, &1u16.to_le_bytes()); // one section
    put(0x54, &0xf0u16.to_le_bytes()); // size of the optional header
    put(0x56, &0x0022u16.to_le_bytes()); // executable, large-address aware
    // Optional header, PE32+.
    let opt = 0x58;
    put(opt, &0x20bu16.to_le_bytes()); // magic: PE32+
    put(opt + 4, &(code_size as u32).to_le_bytes()); // size of code
    put(opt + 16, &CODE_RVA.to_le_bytes()); // entry point
    put(opt + 20, &CODE_RVA.to_le_bytes()); // base of code
    put(opt + 24, &0x1000_0000u64.to_le_bytes()); // preferred image base
    put(opt + 32, &0x1000u32.to_le_bytes()); // section alignment
    put(opt + 36, &0x200u32.to_le_bytes()); // file alignment
    let image_size = CODE_RVA + (code_size as u32).next_multiple_of(0x1000);
    put(opt + 56, &image_size.to_le_bytes()); // size of the image in memory
    put(opt + 60, &(CODE_FILE_OFFSET as u32).to_le_bytes()); // size of headers
    put(opt + 68, &10u16.to_le_bytes()); // subsystem: EFI application
    put(opt + 72, &0x10000u64.to_le_bytes()); // stack reserve
    put(opt + 80, &0x1000u64.to_le_bytes()); // stack commit
    put(opt + 108, &16u32.to_le_bytes()); // 16 data directories, all empty
    // Section header.
    let section = opt + 0xf0;
    put(section, b".text\0\0\0");
    put(section + 8, &(code_size as u32).to_le_bytes()); // size in memory
    put(section + 12, &CODE_RVA.to_le_bytes()); // address in memory
    put(section + 16, &(code_size as u32).to_le_bytes()); // size in the file
    put(section + 20, &(CODE_FILE_OFFSET as u32).to_le_bytes()); // place in the file
    put(section + 36, &0x6000_0020u32.to_le_bytes()); // code, execute, read
    file.extend_from_slice(&code);
    file
}

/// Writes both floors as disk images into `dir`: the BIOS one and the UEFI
/// one, in that order.
pub fn write_images(dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    let bios = dir.join("floor-bios.img");
    // Padded to a whole MiB, as our BIOS images are: SeaBIOS does not boot
    // a one-sector AHCI disk.
    let mut disk = boot_sector();
    disk.resize(1 << 20, 0);
    std::fs::write(&bios, disk).map_err(|e| format!("{}: {e}", bios.display()))?;
    let uefi = dir.join("floor-uefi.img");
    let application = efi_application();
    crate::image::write_gpt_image(&uefi, &[("EFI/BOOT/BOOTX64.EFI", &application)])?;
    Ok((bios, uefi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::pe::{IMAGE_FILE_MACHINE_AMD64, IMAGE_SUBSYSTEM_EFI_APPLICATION};
    use object::read::pe::{ImageNtHeaders, PeFile64};
    use object::{Object, ObjectSection};

    /// The floor's boot sector is one sector with the signature and its line.
    #[test]
    fn the_boot_sector_holds_its_line() {
        let sector = boot_sector();
        assert_eq!(sector.len(), 512);
        assert_eq!(&sector[510..512], [0x55, 0xaa]);
        let line = &sector[17..17 + BIOS_LINE.len() + 2];
        assert_eq!(line, [BIOS_LINE.as_bytes(), b"\n\0"].concat());
        // `mov si, 0x7c11` points at it.
        assert_eq!(&sector[3..6], [0xbe, 0x11, 0x7c]);
    }

    #[test]
    fn the_efi_application_reads_back_as_one() {
        let bytes = efi_application();
        let pe = PeFile64::parse(&*bytes).expect("a valid PE32+ file");
        let header = pe.nt_headers();
        assert_eq!(
            header.file_header().machine.get(object::LittleEndian),
            IMAGE_FILE_MACHINE_AMD64
        );
        let optional = header.optional_header();
        assert_eq!(
            optional.subsystem.get(object::LittleEndian),
            IMAGE_SUBSYSTEM_EFI_APPLICATION
        );
        assert!(header.is_valid_optional_magic());
        let text = pe.section_by_name(".text").expect("a .text section");
        assert_eq!(
            text.address(),
            pe.relative_address_base() + u64::from(CODE_RVA)
        );
        assert_eq!(pe.entry(), text.address(), "execution starts at the code");
        let code = text.data().unwrap();
        // The `lea` displacement (bytes 3..7) is measured from the next
        // instruction (offset 7) and must land on the line.
        let displacement = i32::from_le_bytes(code[3..7].try_into().unwrap()) as usize;
        assert_eq!(
            &code[7 + displacement..][..UEFI_LINE.len()],
            UEFI_LINE.as_bytes()
        );
    }
}
