//! The hardware steps both of Kestrel's loaders share.
//!
//! The BIOS and UEFI loaders get to the kernel along different roads (real
//! mode and INT 13h; boot services and the ESP), but they end the same way:
//! the kernel file is loaded, page tables are built (`bootplan` decided
//! them), and all that is left is to write progress lines to COM1 and
//! switch to the kernel's tables and stack. Those two steps touch the CPU
//! directly, so they live here, once, behind safe functions.
#![no_std]

pub mod handover;
pub mod serial;
