//! Failure messages on the screen.
//!
//! By the time the Rust stage runs, the real-mode stage has switched to a
//! graphics mode, so the BIOS's text output is gone; a message is drawn into
//! the framebuffer with the kernel's own text console (`crates/console`),
//! which the loader's identity map reaches (QEMU's framebuffer is below
//! 4 GiB).

use crate::video::{self, Screen};
use bootloader_api::info::PixelFormat as Format;
use console::{Console, Layout, PixelFormat};
use core::fmt::{Display, Write};

/// The screen, once `loader_main` has found it.
static mut SCREEN: Option<Screen> = None;

/// Remembers the screen for [`show_failure`].
pub fn set(screen: Option<Screen>) {
    // SAFETY: the loader runs on one CPU without interrupts; this is written
    // once, before any failure could read it.
    unsafe { SCREEN = screen };
}

/// Draws `why` on the screen, if there is one the console can draw on.
pub fn show_failure(why: &dyn Display) {
    // SAFETY: as in `set`: one CPU, no interrupts, no reference kept.
    let Some(screen) = (unsafe { SCREEN }) else {
        return;
    };
    let format = match screen.info.pixel_format {
        Format::Rgb => PixelFormat::Rgb,
        Format::Bgr => PixelFormat::Bgr,
        _ => return,
    };
    let layout = Layout {
        width: screen.info.width,
        height: screen.info.height,
        stride: screen.info.stride,
        bytes_per_pixel: screen.info.bytes_per_pixel,
        format,
    };
    // SAFETY: the mode's framebuffer is `byte_len` bytes at `phys`, mapped
    // by the loader's identity map, and nothing else draws on it now.
    let buffer =
        unsafe { core::slice::from_raw_parts_mut(screen.phys as *mut u8, screen.info.byte_len) };
    if let Ok(mut console) = Console::new(buffer, layout) {
        let _ = write!(Writer(&mut console), "kestrel loader: cannot boot: {why}");
    }
}

struct Writer<'a, 'b>(&'a mut Console<'b>);

impl Write for Writer<'_, '_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.write_str(s);
        Ok(())
    }
}

/// The screen the real-mode stage set up.
pub fn find(handoff: &crate::handoff::Handoff) -> Option<Screen> {
    video::screen(&handoff.mode_info)
}
