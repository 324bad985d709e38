//! Device drivers: the hardware the kernel talks to directly.

pub mod framebuffer;
pub mod fw_cfg;
pub mod keyboard;
pub mod pci;
pub mod rtc;
pub mod serial;
pub mod virtio_blk;
pub mod virtio_pci;
