//! The screen: the framebuffer of UEFI's Graphics Output Protocol (GOP).
//!
//! GOP describes the current video mode: width and height in pixels, the
//! *stride* (pixels per line in memory, which may exceed the width), the
//! byte order of a pixel, and the physical address of the linear
//! framebuffer. After boot services exit, GOP's functions are gone but the
//! framebuffer stays: the kernel draws into it directly, through the
//! physical-memory window.

use bootloader_api::info::{FrameBuffer, FrameBufferInfo, PixelFormat};
use uefi::boot::{self, OpenProtocolAttributes, OpenProtocolParams};
use uefi::proto::console::gop::{self, GraphicsOutput};

/// The framebuffer as GOP reports it.
pub struct Screen {
    pub phys: u64,
    pub size: usize,
    info: FrameBufferInfo,
}

/// The current GOP mode's framebuffer; `None` (serial only) without GOP or
/// with a mode that has no linear framebuffer.
pub fn find() -> Option<Screen> {
    let handle = boot::get_handle_for_protocol::<GraphicsOutput>().ok()?;
    let params = OpenProtocolParams {
        handle,
        agent: boot::image_handle(),
        controller: None,
    };
    // SAFETY: `GetProtocol` leaves the console driver connected (it keeps
    // drawing our messages); we only read the mode and the framebuffer's
    // address, and drop the protocol before exiting boot services.
    let mut gop = unsafe {
        boot::open_protocol::<GraphicsOutput>(params, OpenProtocolAttributes::GetProtocol)
    }
    .ok()?;
    let mode = gop.current_mode_info();
    let pixel_format = match mode.pixel_format() {
        gop::PixelFormat::Rgb => PixelFormat::Rgb,
        gop::PixelFormat::Bgr => PixelFormat::Bgr,
        gop::PixelFormat::Bitmask => {
            let mask = mode.pixel_bitmask()?;
            PixelFormat::Unknown {
                red_position: mask.red.trailing_zeros() as u8,
                green_position: mask.green.trailing_zeros() as u8,
                blue_position: mask.blue.trailing_zeros() as u8,
            }
        }
        gop::PixelFormat::BltOnly => return None,
    };
    let (width, height) = mode.resolution();
    let mut buffer = gop.frame_buffer();
    let info = FrameBufferInfo {
        byte_len: buffer.size(),
        width,
        height,
        pixel_format,
        bytes_per_pixel: 4,
        stride: mode.stride(),
    };
    Some(Screen {
        phys: buffer.as_mut_ptr() as u64,
        size: buffer.size(),
        info,
    })
}

impl Screen {
    /// The framebuffer as the kernel sees it: in the physical-memory window.
    pub fn for_kernel(&self, offset: u64) -> FrameBuffer {
        // SAFETY: `offset + phys` maps the framebuffer's `size` bytes (see
        // `AddressSpace::physical_window`), and the kernel gets the only
        // `FrameBuffer` for them.
        unsafe { FrameBuffer::new(offset + self.phys, self.info) }
    }
}
