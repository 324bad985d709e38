//! From real mode to long mode, in two jumps.
//!
//! **Protected mode.** The CPU finds its segments in the *global descriptor
//! table* (GDT), whose address `lgdt` loads: here a null entry, flat 4 GiB
//! code (selector 0x08) and data (0x10) segments for 32-bit code, and a
//! 64-bit code segment (0x18, its L bit set). Setting CR0.PE and far-jumping
//! to selector 0x08 enters 32-bit protected mode.
//!
//! **Long mode** needs paging, and paging needs tables. The 32-bit stage
//! writes the simplest that will do: the first 4 GiB mapped to themselves
//! (an *identity map*) with 2 MiB pages: one level-4 table at 0x1000, one
//! level-3 table at 0x2000 and four level-2 tables at 0x3000-0x6fff. Then it
//! turns on PAE (CR4 bit 5), loads CR3, sets EFER.LME (bit 8 of MSR
//! 0xC000_0080), turns on paging (CR0 bit 31), and far-jumps to selector
//! 0x18: 64-bit mode.
//!
//! These tables are only the loader's: the Rust stage builds the kernel's
//! own with `bootplan` and switches to them at the handover. EFER.NXE stays
//! off here; the handover turns it on if the CPU has NX.
//!
//! The 64-bit code sets a stack (0x70000-0x7ffff) and calls `loader_main`
//! with the address of the handoff block in RDI.

core::arch::global_asm!(
    r#"
.section .stage2, "awx"
.code16
.global enter_protected_mode
enter_protected_mode:
    cli
    lgdt [gdt_pointer]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    # jmp dword 0x08:protected_mode
    .byte 0x66, 0xea
    .long protected_mode
    .word 0x08

.code32
protected_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x7c00
    cld
    # Zero the six tables, then link them.
    mov edi, 0x1000
    mov ecx, 0x6000 / 4
    xor eax, eax
    rep stosd
    mov dword ptr [0x1000], 0x2003
    mov dword ptr [0x2000], 0x3003
    mov dword ptr [0x2008], 0x4003
    mov dword ptr [0x2010], 0x5003
    mov dword ptr [0x2018], 0x6003
    # 2048 level-2 entries: 2 MiB pages, present + writable + large (0x83).
    mov edi, 0x3000
    mov eax, 0x83
    mov ecx, 2048
identity_next:
    mov dword ptr [edi], eax
    add eax, 0x200000
    add edi, 8
    dec ecx
    jnz identity_next
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, 0x1000
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, 1 << 31
    mov cr0, eax
    # jmp 0x18:long_mode
    .byte 0xea
    .long long_mode
    .word 0x18

.code64
long_mode:
    xor eax, eax
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x80000
    mov edi, offset handoff
    call loader_main
long_mode_halt:
    cli
    hlt
    jmp long_mode_halt

.align 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
    .quad 0x00af9a000000ffff
gdt_end:
.global gdt_pointer
gdt_pointer:
    .word gdt_end - gdt - 1
    .long gdt
"#
);
