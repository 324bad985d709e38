//! Drawing primitives on the framebuffer: filling rectangles, drawing a glyph,
//! and moving pixel rows (for scrolling).
//!
//! Everything here works one pixel row at a time. A row of a rectangle is one
//! contiguous run of bytes, so we can hand it out as a slice and write its pixels
//! in a simple loop; the remaining rows of a plain-coloured rectangle are then
//! byte-for-byte copies of the first (`copy_within`, a fast `memmove`).
//!
//! The callers guarantee that rectangles lie inside the layout, which
//! [`Layout::validate`] has checked against the buffer length, so the slicing
//! here never goes out of bounds.

use crate::font::{CHAR_HEIGHT, CHAR_WIDTH};
use crate::pixel::{Layout, Pixel};
use core::iter;
use core::ops::Range;

/// A framebuffer together with its (validated) layout.
pub(crate) struct Surface<'a> {
    buffer: &'a mut [u8],
    layout: Layout,
}

impl<'a> Surface<'a> {
    /// `layout` must already have passed [`Layout::validate`] for `buffer`.
    pub(crate) fn new(buffer: &'a mut [u8], layout: Layout) -> Self {
        Surface { buffer, layout }
    }

    pub(crate) fn layout(&self) -> Layout {
        self.layout
    }

    pub(crate) fn buffer(&self) -> &[u8] {
        self.buffer
    }

    /// The bytes of `width` pixels starting at pixel (`x`, `y`).
    fn row(&self, x: usize, y: usize, width: usize) -> Range<usize> {
        let start = self.layout.offset(x, y);
        start..start + width * self.layout.bytes_per_pixel
    }

    /// Paints the rectangle of `width` x `height` pixels at (`x`, `y`).
    pub(crate) fn fill_rect(
        &mut self,
        x: usize,
        y: usize,
        width: usize,
        height: usize,
        pixel: Pixel,
    ) {
        if width == 0 || height == 0 {
            return;
        }
        let first = self.row(x, y, width);
        write_pixels(
            &mut self.buffer[first.clone()],
            self.layout.bytes_per_pixel,
            iter::repeat(pixel),
        );
        for dy in 1..height {
            let dest = self.layout.offset(x, y + dy);
            self.buffer.copy_within(first.clone(), dest);
        }
    }

    /// Draws a glyph raster into the cell whose top-left pixel is (`x`, `y`),
    /// looking up each coverage byte in `shades`.
    pub(crate) fn draw_glyph(
        &mut self,
        x: usize,
        y: usize,
        raster: &[&[u8]],
        shades: &[Pixel; 256],
    ) {
        for (dy, coverage) in raster.iter().take(CHAR_HEIGHT).enumerate() {
            let row = self.row(x, y + dy, CHAR_WIDTH);
            let pixels = coverage.iter().map(|&c| shades[usize::from(c)]);
            write_pixels(&mut self.buffer[row], self.layout.bytes_per_pixel, pixels);
        }
    }

    /// Inverts the colour channels of the `width` x `height` pixels at
    /// (`x`, `y`): each channel byte `b` becomes `255 - b` (so inverting twice
    /// restores them). Padding bytes are left alone.
    pub(crate) fn invert_rect(&mut self, x: usize, y: usize, width: usize, height: usize) {
        let (size, channels) = (
            self.layout.bytes_per_pixel,
            self.layout.format.channel_bytes(),
        );
        for dy in 0..height {
            let row = self.row(x, y + dy, width);
            for pixel in self.buffer[row].chunks_exact_mut(size) {
                pixel[..channels].iter_mut().for_each(|b| *b = !*b);
            }
        }
    }

    /// Moves the `width` x `height` pixel area at the top left up by `distance`
    /// rows; the bottom `distance` rows keep their old contents.
    pub(crate) fn move_up(&mut self, width: usize, height: usize, distance: usize) {
        for y in 0..height.saturating_sub(distance) {
            let source = self.row(0, y + distance, width);
            let dest = self.layout.offset(0, y);
            self.buffer.copy_within(source, dest);
        }
    }
}

/// Writes `pixels` one after another into `row`, `bytes_per_pixel` bytes each,
/// until either runs out.
///
/// For the usual sizes we call a copy of the loop in which the pixel size is a
/// compile-time constant: the compiler then turns each pixel copy into a single
/// store instead of a call to a general-purpose `memcpy`.
fn write_pixels(row: &mut [u8], bytes_per_pixel: usize, pixels: impl Iterator<Item = Pixel>) {
    match bytes_per_pixel {
        1 => write_fixed::<1>(row, pixels),
        2 => write_fixed::<2>(row, pixels),
        3 => write_fixed::<3>(row, pixels),
        4 => write_fixed::<4>(row, pixels),
        // Unusually wide pixels: the 4 bytes we have, then zero padding.
        _ => {
            for (dest, pixel) in row.chunks_exact_mut(bytes_per_pixel).zip(pixels) {
                let (used, padding) = dest.split_at_mut(4);
                used.copy_from_slice(&pixel);
                padding.fill(0);
            }
        }
    }
}

/// [`write_pixels`] for pixels of exactly `N` (at most 4) bytes.
fn write_fixed<const N: usize>(row: &mut [u8], pixels: impl Iterator<Item = Pixel>) {
    for (dest, pixel) in row.chunks_exact_mut(N).zip(pixels) {
        dest.copy_from_slice(&pixel[..N]);
    }
}
