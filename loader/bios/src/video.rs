//! The video mode the real-mode stage set, described for the kernel.
//!
//! VESA's *mode information block* (256 bytes, from INT 10h AX=4F01h) gives
//! the resolution (offsets 18 and 20), bytes per line (16, or 50 from VBE
//! 3.0 on), bits per pixel (25), where each colour channel sits in a pixel
//! (the mask sizes and positions at 31-36) and the physical address of the
//! linear framebuffer (40). `bootloader_api` wants the same facts as a
//! `FrameBufferInfo`.

use bootloader_api::info::{FrameBufferInfo, PixelFormat};

/// The framebuffer: its physical address and shape.
#[derive(Clone, Copy)]
pub struct Screen {
    pub phys: u64,
    pub info: FrameBufferInfo,
}

fn u16_at(block: &[u8; 256], at: usize) -> u16 {
    u16::from_le_bytes([block[at], block[at + 1]])
}

/// The screen described by a mode information block; `None` if the block
/// is empty (no mode was set) or makes no sense.
pub fn screen(block: &[u8; 256]) -> Option<Screen> {
    let phys = u32::from_le_bytes([block[40], block[41], block[42], block[43]]) as u64;
    let (width, height) = (u16_at(block, 18) as usize, u16_at(block, 20) as usize);
    let bytes_per_pixel = block[25].div_ceil(8) as usize;
    let line = match u16_at(block, 50) {
        0 => u16_at(block, 16),
        bytes => bytes,
    } as usize;
    if phys == 0 || width == 0 || height == 0 || bytes_per_pixel == 0 {
        return None;
    }
    let (red, green, blue) = (block[32], block[34], block[36]);
    let pixel_format = match (red, green, blue) {
        (0, 8, 16) => PixelFormat::Rgb,
        (16, 8, 0) => PixelFormat::Bgr,
        _ => PixelFormat::Unknown {
            red_position: red,
            green_position: green,
            blue_position: blue,
        },
    };
    let stride = line / bytes_per_pixel;
    Some(Screen {
        phys,
        info: FrameBufferInfo {
            byte_len: line * height,
            width,
            height,
            pixel_format,
            bytes_per_pixel,
            stride,
        },
    })
}
