//! The framebuffer the bootloader set up, described in the terms of our console.
//!
//! Firmware (VESA BIOS extensions or UEFI's GOP) sets a graphics mode and gives us
//! a linear framebuffer: `height` rows of `stride` pixels each (only the first
//! `width` are visible), every pixel `bytes_per_pixel` bytes in a given colour
//! order. The bootloader maps it and passes this description in `BootInfo`; here we
//! translate it for the `console` crate, which draws text into it.

use bootloader_api::info::{FrameBuffer, FrameBufferInfo, PixelFormat as BootFormat};
use console::{Layout, PixelFormat};

/// The console layout for a framebuffer, or `None` for a pixel format we do not
/// know how to draw (the kernel then prints on serial only).
pub fn layout_of(info: &FrameBufferInfo) -> Option<Layout> {
    let format = match info.pixel_format {
        BootFormat::Rgb => PixelFormat::Rgb,
        BootFormat::Bgr => PixelFormat::Bgr,
        BootFormat::U8 => PixelFormat::Gray,
        BootFormat::Unknown {
            red_position: 0,
            green_position: 8,
            blue_position: 16,
        } => PixelFormat::Rgb,
        BootFormat::Unknown {
            red_position: 16,
            green_position: 8,
            blue_position: 0,
        } => PixelFormat::Bgr,
        _ => return None,
    };
    Some(Layout {
        width: info.width,
        height: info.height,
        stride: info.stride,
        bytes_per_pixel: info.bytes_per_pixel,
        format,
    })
}

/// A short human description such as `1280x720, 3 bytes/pixel, BGR, stride 1280`.
pub struct Describe<'a>(pub &'a FrameBufferInfo);

impl core::fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let info = self.0;
        let format = match info.pixel_format {
            BootFormat::Rgb => "RGB",
            BootFormat::Bgr => "BGR",
            BootFormat::U8 => "grey",
            _ => "unknown format",
        };
        write!(
            f,
            "{}x{}, {} bytes/pixel, {}, stride {}",
            info.width, info.height, info.bytes_per_pixel, format, info.stride
        )
    }
}

/// The framebuffer's bytes and layout, ready for `console::Console::new`.
pub fn into_parts(fb: &'static mut FrameBuffer) -> (&'static mut [u8], FrameBufferInfo) {
    let info = fb.info();
    (fb.buffer_mut(), info)
}
