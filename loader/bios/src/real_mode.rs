//! The real-mode stage: everything that needs the BIOS.
//!
//! Still in 16-bit real mode, the loader asks the BIOS for all it will need,
//! because once the CPU is in long mode the BIOS's interrupt services are out
//! of reach. In order (`stage2_start`):
//!
//! 1. **COM1** at 115200 baud (input already waiting is kept), and the line
//!    `kestrel loader: started (BIOS)`.
//! 2. **Long mode?** CPUID leaf 0x8000_0001, EDX bit 29. Without it there is
//!    nothing to do but say so.
//! 3. **A20.** The 8086 had 20 address lines, and addresses past 1 MiB wrapped
//!    to 0; the AT kept that behaviour switchable through the *A20 gate*. We
//!    open it through "fast A20" (port 0x92, bit 1), else through the BIOS
//!    (INT 15h AX=2401h), and check it: with A20 closed, 0xffff:0x0510 is the
//!    same byte as 0x0000:0x0500.
//! 4. **The memory map**, INT 15h EAX=E820h: one call per entry (base,
//!    length, type: 1 usable RAM, 2 reserved, 3 ACPI tables, 4 ACPI NVS...),
//!    EBX carrying the BIOS's cursor until it returns 0. Entries go to the
//!    *handoff* block, where the Rust stage reads them.
//! 5. **The kernel file and the ramdisk**, to 1 MiB and the next page after
//!    the kernel. Real mode addresses only 1 MiB, so each read of 127 sectors
//!    (INT 13h AH=42h) lands in a bounce buffer at 0x60000 and is then copied
//!    up in *unreal mode*: a moment in protected mode loads DS and ES with
//!    4 GiB segments; back in real mode the CPU keeps those limits, so 32-bit
//!    addresses work. The BIOS may reload the segments during a call, so this
//!    is done again before each copy.
//! 6. **A video mode** with VESA BIOS extensions (INT 10h AX=4F00h: the
//!    controller and its list of modes; AX=4F01h: a mode's size, pixel layout
//!    and linear framebuffer address; AX=4F02h: set it). We take the largest
//!    32-bit direct-colour mode with a linear framebuffer that fits 1280x720.
//!
//! Then `enter_protected_mode` (in `long_mode.rs`). Each failure prints why,
//! on serial and on the (still text-mode) screen, and halts.

core::arch::global_asm!(
    r#"
.section .stage2, "awx"
.code16
.global stage2_start
stage2_start:
    call serial_init
    mov si, offset msg_started
    call print
    call check_long_mode
    call enable_a20
    call read_memory_map
    call load_files
    call set_video_mode
    jmp enter_protected_mode

# COM1: 115200 baud (divisor 1), 8 data bits, no parity, one stop bit. The
# FIFO control register is left alone: changing it empties the receive FIFO,
# which may already hold what someone typed.
serial_init:
    mov dx, 0x3f9
    xor al, al
    out dx, al
    mov dx, 0x3fb
    mov al, 0x80
    out dx, al
    mov dx, 0x3f8
    mov al, 1
    out dx, al
    mov dx, 0x3f9
    xor al, al
    out dx, al
    mov dx, 0x3fb
    mov al, 3
    out dx, al
    mov dx, 0x3fc
    mov al, 3
    out dx, al
    ret

check_long_mode:
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 0x20000000
    jz no_long_mode
    ret
no_long_mode:
    mov si, offset msg_no_long_mode
    jmp fail

enable_a20:
    call a20_is_on
    jnz a20_done
    in al, 0x92
    or al, 2
    and al, 0xfe
    out 0x92, al
    call a20_is_on
    jnz a20_done
    mov ax, 0x2401
    int 0x15
    call a20_is_on
    jnz a20_done
    mov si, offset msg_no_a20
    jmp fail
a20_done:
    ret

# ZF clear if A20 is on: 0000:0500 and ffff:0510 are different bytes.
a20_is_on:
    push ds
    push es
    xor ax, ax
    mov ds, ax
    not ax
    mov es, ax
    mov bl, byte ptr ds:[0x0500]
    mov bh, byte ptr es:[0x0510]
    mov byte ptr ds:[0x0500], 0x00
    mov byte ptr es:[0x0510], 0xff
    cmp byte ptr ds:[0x0500], 0xff
    mov byte ptr es:[0x0510], bh
    mov byte ptr ds:[0x0500], bl
    pop es
    pop ds
    ret

read_memory_map:
    xor ebx, ebx
    xor bp, bp
    mov di, offset handoff_e820
e820_next:
    mov eax, 0xe820
    mov edx, 0x534d4150
    mov ecx, 24
    mov dword ptr [di + 20], 1
    int 0x15
    jc e820_done
    cmp eax, 0x534d4150
    jne e820_done
    inc bp
    add di, 24
    cmp bp, 64
    jae e820_done
    test ebx, ebx
    jnz e820_next
e820_done:
    mov word ptr [handoff_e820_count], bp
    test bp, bp
    jz no_memory_map
    ret
no_memory_map:
    mov si, offset msg_no_memory_map
    jmp fail

load_files:
    mov edi, 0x100000
    mov dword ptr [handoff_kernel_addr], edi
    mov eax, dword ptr [boot_kernel_lba]
    mov ecx, dword ptr [boot_kernel_len]
    mov dword ptr [handoff_kernel_len], ecx
    call load_bytes
    mov edi, 0x100000
    add edi, dword ptr [boot_kernel_len]
    add edi, 0xfff
    and edi, 0xfffff000
    mov dword ptr [handoff_ramdisk_addr], edi
    mov eax, dword ptr [boot_ramdisk_lba]
    mov ecx, dword ptr [boot_ramdisk_len]
    mov dword ptr [handoff_ramdisk_len], ecx
    jmp load_bytes

# Reads ECX bytes from sector EAX on to the (32-bit) address EDI.
load_bytes:
    add ecx, 511
    shr ecx, 9
load_next:
    test ecx, ecx
    jz load_done
    mov edx, ecx
    cmp edx, 127
    jbe load_chunk
    mov edx, 127
load_chunk:
    mov word ptr [load_dap + 2], dx
    mov dword ptr [load_dap + 8], eax
    pushad
    mov si, offset load_dap
    mov dl, byte ptr [boot_drive]
    mov ah, 0x42
    int 0x13
    popad
    jc load_error
    push eax
    push ecx
    call unreal_mode
    mov esi, 0x60000
    mov ecx, edx
    shl ecx, 7
load_copy:
    mov eax, dword ptr [esi]
    mov dword ptr [edi], eax
    add esi, 4
    add edi, 4
    dec ecx
    jnz load_copy
    sti
    pop ecx
    pop eax
    add eax, edx
    sub ecx, edx
    jmp load_next
load_done:
    ret
load_error:
    mov si, offset msg_disk_error
    jmp fail

# DS and ES get 4 GiB limits (see the module comment); returns with
# interrupts off, so that no BIOS handler reloads them during the copy.
unreal_mode:
    cli
    push ds
    push es
    lgdt [gdt_pointer]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp unreal_protected
unreal_protected:
    mov bx, 0x10
    mov ds, bx
    mov es, bx
    and al, 0xfe
    mov cr0, eax
    pop es
    pop ds
    ret

set_video_mode:
    mov dword ptr [vbe_info], 0x32454256
    mov ax, 0x4f00
    mov di, offset vbe_info
    int 0x10
    cmp ax, 0x004f
    jne no_video_mode
    lfs si, dword ptr [vbe_info + 14]
vbe_next_mode:
    mov cx, word ptr fs:[si]
    add si, 2
    cmp cx, 0xffff
    je vbe_modes_done
    push si
    push fs
    push cx
    mov ax, 0x4f01
    mov di, offset handoff_mode_info
    int 0x10
    pop cx
    pop fs
    pop si
    cmp ax, 0x004f
    jne vbe_next_mode
    # Supported (bit 0), graphics (bit 4), linear framebuffer (bit 7).
    mov ax, word ptr [handoff_mode_info]
    and ax, 0x91
    cmp ax, 0x91
    jne vbe_next_mode
    cmp byte ptr [handoff_mode_info + 25], 32
    jne vbe_next_mode
    cmp byte ptr [handoff_mode_info + 27], 6
    jne vbe_next_mode
    movzx eax, word ptr [handoff_mode_info + 18]
    movzx edx, word ptr [handoff_mode_info + 20]
    cmp eax, 1280
    ja vbe_next_mode
    cmp edx, 720
    ja vbe_next_mode
    imul eax, edx
    cmp eax, dword ptr [vbe_best_area]
    jbe vbe_next_mode
    mov dword ptr [vbe_best_area], eax
    mov word ptr [vbe_best_mode], cx
    jmp vbe_next_mode
vbe_modes_done:
    cmp dword ptr [vbe_best_area], 0
    je no_video_mode
    mov cx, word ptr [vbe_best_mode]
    mov ax, 0x4f01
    mov di, offset handoff_mode_info
    int 0x10
    cmp ax, 0x004f
    jne no_video_mode
    mov bx, word ptr [vbe_best_mode]
    or bx, 0x4000
    mov ax, 0x4f02
    int 0x10
    cmp ax, 0x004f
    jne no_video_mode
    ret
no_video_mode:
    mov si, offset msg_no_video_mode
    jmp fail

msg_started:
    .asciz "kestrel loader: started (BIOS)\r\n"
msg_no_long_mode:
    .asciz "the CPU has no 64-bit long mode\r\n"
msg_no_a20:
    .asciz "cannot enable the A20 line\r\n"
msg_no_memory_map:
    .asciz "the BIOS gives no memory map (INT 15h E820h)\r\n"
msg_no_video_mode:
    .asciz "no usable video mode (VESA: 32 bits per pixel, linear framebuffer, at most 1280x720)\r\n"

load_dap:
    .byte 0x10, 0
    .word 0, 0, 0x6000
    .quad 0

.align 4
vbe_best_area:
    .long 0
vbe_best_mode:
    .word 0
.align 16
vbe_info:
    .space 512

# What this stage found, for the Rust stage (`handoff.rs`, same layout).
.align 8
.global handoff
handoff:
handoff_kernel_addr:
    .long 0
handoff_kernel_len:
    .long 0
handoff_ramdisk_addr:
    .long 0
handoff_ramdisk_len:
    .long 0
handoff_e820_count:
    .long 0, 0
handoff_mode_info:
    .space 256
handoff_e820:
    .space 24 * 64
"#
);
