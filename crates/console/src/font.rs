//! The font, and turning its glyphs into coloured pixels.
//!
//! Every character is a fixed-size *raster*: [`CHAR_HEIGHT`] rows of
//! [`CHAR_WIDTH`] bytes, each byte saying how much of that pixel the letter
//! covers (0 = not at all, 255 = fully). Partly covered pixels at a letter's edges
//! are what make it look smooth ("anti-aliased"): we paint them a mix of
//! foreground and background in proportion to the coverage.
//!
//! A coverage byte has only 256 possible values, so for the current pair of
//! colours we compute all 256 mixed pixels once ([`Shades`]) and then drawing a
//! letter is just a table lookup and a copy per pixel.

use crate::pixel::{Color, Pixel, PixelFormat};
use noto_sans_mono_bitmap::{FontWeight, RasterHeight, get_raster, get_raster_width};

const WEIGHT: FontWeight = FontWeight::Regular;
const SIZE: RasterHeight = RasterHeight::Size16;

/// Width of one character cell in pixels.
pub const CHAR_WIDTH: usize = get_raster_width(WEIGHT, SIZE);
/// Height of one character cell in pixels.
pub const CHAR_HEIGHT: usize = SIZE.val();

/// The raster for `c`. Characters the font lacks are shown as the replacement
/// character '\u{FFFD}' (or '?'); `None` only if even those were missing.
pub(crate) fn glyph(c: char) -> Option<&'static [&'static [u8]]> {
    let raster = |c| get_raster(c, WEIGHT, SIZE);
    raster(c)
        .or_else(|| raster(char::REPLACEMENT_CHARACTER))
        .or_else(|| raster('?'))
        .map(|glyph| glyph.raster())
}

/// All 256 blends of a foreground over a background colour, already encoded as
/// framebuffer pixels: `table()[coverage]` is the pixel to write.
pub(crate) struct Shades {
    format: PixelFormat,
    fg: Color,
    bg: Color,
    table: [Pixel; 256],
}

impl Shades {
    pub(crate) fn new(format: PixelFormat, fg: Color, bg: Color) -> Self {
        let mut shades = Shades {
            format,
            fg,
            bg,
            table: [[0; 4]; 256],
        };
        shades.fill();
        shades
    }

    /// The table for `fg` over `bg`, recomputed only when the colours changed
    /// since the last call (which, for ordinary text, is rare).
    pub(crate) fn table(&mut self, fg: Color, bg: Color) -> &[Pixel; 256] {
        if (fg, bg) != (self.fg, self.bg) {
            self.fg = fg;
            self.bg = bg;
            self.fill();
        }
        &self.table
    }

    fn fill(&mut self) {
        for (coverage, pixel) in (0..=u8::MAX).zip(self.table.iter_mut()) {
            *pixel = self.format.encode(Color::blend(self.fg, self.bg, coverage));
        }
    }
}
