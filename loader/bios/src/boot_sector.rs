//! The boot sector: the 512 bytes the BIOS runs first.
//!
//! After its self-test the BIOS reads the first sector of the boot disk (the
//! *master boot record*, MBR) to address 0x7c00 and jumps there, in 16-bit
//! *real mode*: addresses are `segment * 16 + offset`, 1 MiB in all, and the
//! BIOS's services are reached with software interrupts (`int 0x13` for
//! disks, `int 0x10` for the screen). The register DL holds the BIOS number
//! of the disk we were read from.
//!
//! 512 bytes hold little code: bytes 446-509 are the partition table and
//! 510-511 the signature 0x55 0xaa, which the runner writes (`src/image.rs`),
//! and at 0x1a0 sits our *boot table*, also filled in by the runner: where
//! the rest of the loader, the kernel file and the ramdisk are on the disk
//! (first sector and length). So this code only
//!
//! 1. sets the segment registers to 0 and the stack below itself,
//! 2. checks that the BIOS has the *extended* disk reads (INT 13h AH=0x42,
//!    which take a 64-bit sector number instead of cylinder/head/sector),
//! 3. reads the rest of the loader to 0x7e00, 64 sectors (32 KiB) per call,
//! 4. jumps to it (`stage2_start`, in `real_mode.rs`).
//!
//! It also holds two routines the next stage uses too: `print` (a
//! zero-terminated string to the serial port and the screen) and `fail`
//! (print "kestrel loader: cannot boot: " and the reason, then halt). The
//! loader never resets the machine: a failure stays on the screen.

core::arch::global_asm!(
    r#"
.section .boot, "awx"
.code16
.global boot_sector
boot_sector:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    # Some BIOSes jump to 07c0:0000 instead of 0000:7c00: a far jump makes
    # CS 0 whatever they did.
    .byte 0xea
    .word boot_cs_zero
    .word 0
boot_cs_zero:
    sti
    mov byte ptr [boot_drive], dl
    mov ah, 0x41
    mov bx, 0x55aa
    int 0x13
    jc boot_no_extensions
    cmp bx, 0xaa55
    jne boot_no_extensions

    # Read the rest of the loader: EAX = next sector, CX = sectors left,
    # BX = segment of the next 32 KiB.
    mov eax, dword ptr [boot_stage2_lba]
    mov cx, word ptr [boot_stage2_sectors]
    mov bx, 0x07e0
boot_read_next:
    test cx, cx
    jz boot_read_done
    mov dx, cx
    cmp dx, 64
    jbe boot_read_chunk
    mov dx, 64
boot_read_chunk:
    mov word ptr [boot_dap + 2], dx
    mov word ptr [boot_dap + 6], bx
    mov dword ptr [boot_dap + 8], eax
    pushad
    mov si, offset boot_dap
    mov dl, byte ptr [boot_drive]
    mov ah, 0x42
    int 0x13
    popad
    jc boot_disk_error
    movzx edx, dx
    add eax, edx
    sub cx, dx
    shl dx, 5
    add bx, dx
    jmp boot_read_next
boot_read_done:
    jmp stage2_start

boot_no_extensions:
    mov si, offset boot_msg_no_extensions
    jmp fail
boot_disk_error:
    mov si, offset msg_disk_error

# Prints "kestrel loader: cannot boot: " and the string at SI, then halts.
.global fail
fail:
    push si
    mov si, offset boot_msg_cannot_boot
    call print
    pop si
    call print
.global halt
halt:
    cli
    hlt
    jmp halt

# Prints the zero-terminated string at DS:SI on COM1 and on the screen.
.global print
print:
    pusha
print_next:
    lodsb
    test al, al
    jz print_done
    mov cl, al
    mov dx, 0x3fd
print_wait:
    in al, dx
    test al, 0x20
    jz print_wait
    mov dx, 0x3f8
    mov al, cl
    out dx, al
    mov ah, 0x0e
    mov bx, 7
    int 0x10
    jmp print_next
print_done:
    popa
    ret

boot_msg_cannot_boot:
    .asciz "kestrel loader: cannot boot: "
.global msg_disk_error
msg_disk_error:
    .asciz "disk read error\r\n"
boot_msg_no_extensions:
    .asciz "the BIOS has no extended disk reads (INT 13h AH=42h)\r\n"

# The disk address packet of INT 13h AH=42h: size, 0, sector count,
# buffer offset and segment, first sector (64 bits).
boot_dap:
    .byte 0x10, 0
    .word 0, 0, 0
    .quad 0
.global boot_drive
boot_drive:
    .byte 0

# The boot table, filled in by the runner (src/image.rs, BOOT_TABLE).
.org 0x1a0
.global boot_stage2_lba, boot_stage2_sectors
.global boot_kernel_lba, boot_kernel_len, boot_ramdisk_lba, boot_ramdisk_len
boot_stage2_lba:
    .long 0
boot_stage2_sectors:
    .word 0, 0
boot_kernel_lba:
    .long 0
boot_kernel_len:
    .long 0
boot_ramdisk_lba:
    .long 0
boot_ramdisk_len:
    .long 0
.org 0x1fe
    .byte 0x55, 0xaa
"#
);
