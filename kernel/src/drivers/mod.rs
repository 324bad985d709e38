//! Device drivers: the hardware the kernel talks to directly.

pub mod framebuffer;
pub mod keyboard;
pub mod rtc;
pub mod serial;
