//! Pixels: how a colour becomes bytes in framebuffer memory.
//!
//! A framebuffer is a grid of pixels laid out row after row in plain memory. Each
//! pixel takes `bytes_per_pixel` bytes, and the order of those bytes is the
//! [`PixelFormat`]: red first ([`PixelFormat::Rgb`]), blue first
//! ([`PixelFormat::Bgr`], the most common on PCs), or a single brightness byte
//! ([`PixelFormat::Gray`]). Bytes after the colour channels (the fourth byte of a
//! 4-byte pixel, say) are unused padding; we write them as zero.
//!
//! Because the format is only known at run time, we *encode* a colour once into a
//! small byte pattern (a [`Pixel`]) and then copy that pattern around, instead of
//! deciding the byte order again for every pixel we draw.
//!
//! [`Layout`] describes the whole grid, and [`Layout::validate`] checks that a
//! buffer really is big enough for it, so that drawing code can index the buffer
//! without ever going out of bounds.

use crate::font::{CHAR_HEIGHT, CHAR_WIDTH};
use core::fmt;

/// A colour with 8 bits per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Color {
    /// A colour from its red, green and blue intensities.
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b }
    }

    /// Mixes `fg` over `bg`: `coverage` 255 gives `fg`, 0 gives `bg`, and values
    /// in between give the matching share of each, channel by channel.
    pub(crate) fn blend(fg: Color, bg: Color, coverage: u8) -> Color {
        let mix = |f: u8, b: u8| {
            let (f, b, i) = (u32::from(f), u32::from(b), u32::from(coverage));
            // At most 255 * 255 / 255, so the result always fits in a u8.
            ((f * i + b * (255 - i)) / 255) as u8
        };
        Color::new(mix(fg.r, bg.r), mix(fg.g, bg.g), mix(fg.b, bg.b))
    }

    /// Perceived brightness (luma): green looks brightest, blue darkest. The
    /// weights 77 + 150 + 29 add up to 256, so white stays 255.
    pub(crate) fn luma(self) -> u8 {
        let sum = 77 * u32::from(self.r) + 150 * u32::from(self.g) + 29 * u32::from(self.b);
        (sum / 256) as u8
    }
}

/// The order of a pixel's bytes in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// Red, green, blue, then any padding bytes.
    Rgb,
    /// Blue, green, red, then any padding bytes.
    Bgr,
    /// One brightness byte (the luma of the colour), then any padding bytes.
    Gray,
}

/// One colour already encoded in a framebuffer's byte order, followed by zeros
/// for the padding bytes. Pixels wider than 4 bytes get more zero padding.
pub(crate) type Pixel = [u8; 4];

impl PixelFormat {
    /// How many bytes the colour channels themselves need.
    pub(crate) const fn channel_bytes(self) -> usize {
        match self {
            PixelFormat::Rgb | PixelFormat::Bgr => 3,
            PixelFormat::Gray => 1,
        }
    }

    /// The bytes that represent `color` in this format.
    pub(crate) fn encode(self, color: Color) -> Pixel {
        let Color { r, g, b } = color;
        match self {
            PixelFormat::Rgb => [r, g, b, 0],
            PixelFormat::Bgr => [b, g, r, 0],
            PixelFormat::Gray => [color.luma(), 0, 0, 0],
        }
    }

    /// The colour stored in `bytes` (which hold at least the channel bytes).
    fn decode(self, bytes: &[u8]) -> Color {
        match self {
            PixelFormat::Rgb => Color::new(bytes[0], bytes[1], bytes[2]),
            PixelFormat::Bgr => Color::new(bytes[2], bytes[1], bytes[0]),
            PixelFormat::Gray => Color::new(bytes[0], bytes[0], bytes[0]),
        }
    }
}

/// The shape of a framebuffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Visible pixels per row.
    pub width: usize,
    /// Number of rows.
    pub height: usize,
    /// Pixels from the start of one row to the start of the next (`>= width`):
    /// memory may hold invisible pixels at the end of each row.
    pub stride: usize,
    /// Bytes per pixel, padding included.
    pub bytes_per_pixel: usize,
    /// Byte order of the colour channels.
    pub format: PixelFormat,
}

impl Layout {
    /// Byte offset of pixel (`x`, `y`) in the buffer.
    pub(crate) fn offset(&self, x: usize, y: usize) -> usize {
        (y * self.stride + x) * self.bytes_per_pixel
    }

    /// Bytes a buffer needs: every row up to the last visible pixel of the last
    /// row (the stride padding after it may be missing). `None` on overflow.
    fn required_len(&self) -> Option<usize> {
        let row = self.stride.checked_mul(self.bytes_per_pixel)?;
        let last_row = self.width.checked_mul(self.bytes_per_pixel)?;
        row.checked_mul(self.height.checked_sub(1)?)?
            .checked_add(last_row)
    }

    /// Checks that this layout makes sense and fits in `buffer_len` bytes.
    pub(crate) fn validate(&self, buffer_len: usize) -> Result<(), LayoutError> {
        if self.bytes_per_pixel < self.format.channel_bytes() {
            return Err(LayoutError::BytesPerPixelTooSmall {
                format: self.format,
                bytes_per_pixel: self.bytes_per_pixel,
            });
        }
        if self.stride < self.width {
            return Err(LayoutError::StrideTooSmall {
                stride: self.stride,
                width: self.width,
            });
        }
        if self.width < CHAR_WIDTH || self.height < CHAR_HEIGHT {
            return Err(LayoutError::ScreenTooSmall {
                width: self.width,
                height: self.height,
            });
        }
        let required = self.required_len().unwrap_or(usize::MAX);
        if buffer_len < required {
            return Err(LayoutError::BufferTooSmall {
                required,
                actual: buffer_len,
            });
        }
        Ok(())
    }
}

/// Why a buffer and [`Layout`] cannot become a console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// The buffer is shorter than the layout says the screen is.
    BufferTooSmall { required: usize, actual: usize },
    /// Pixels too small for their format (RGB and BGR need 3 bytes, gray 1).
    BytesPerPixelTooSmall {
        format: PixelFormat,
        bytes_per_pixel: usize,
    },
    /// A row would overlap the next one.
    StrideTooSmall { stride: usize, width: usize },
    /// Not even one character cell fits on the screen.
    ScreenTooSmall { width: usize, height: usize },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LayoutError::BufferTooSmall { required, actual } => {
                write!(
                    f,
                    "buffer has {actual} bytes but the layout needs {required}"
                )
            }
            LayoutError::BytesPerPixelTooSmall {
                format,
                bytes_per_pixel,
            } => write!(
                f,
                "{bytes_per_pixel} bytes per pixel is too few for {format:?}"
            ),
            LayoutError::StrideTooSmall { stride, width } => {
                write!(f, "stride {stride} is smaller than width {width}")
            }
            LayoutError::ScreenTooSmall { width, height } => write!(
                f,
                "{width}x{height} pixels cannot hold one {CHAR_WIDTH}x{CHAR_HEIGHT} character"
            ),
        }
    }
}

/// Reads back the colour of pixel (`x`, `y`); for [`PixelFormat::Gray`] all three
/// channels are the stored brightness. Meant for tests and screenshots.
///
/// # Panics
///
/// If (`x`, `y`) lies outside the layout or the buffer is too short for it.
pub fn read_pixel(buffer: &[u8], layout: &Layout, x: usize, y: usize) -> Color {
    assert!(
        x < layout.width && y < layout.height,
        "pixel ({x}, {y}) is outside the {}x{} screen",
        layout.width,
        layout.height
    );
    let start = layout.offset(x, y);
    let end = start + layout.format.channel_bytes();
    layout.format.decode(&buffer[start..end])
}
