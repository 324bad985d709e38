//! Helpers shared by the test files: building framebuffers, and computing what a
//! cell should look like straight from the font, independently of the crate.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use console::{CHAR_HEIGHT, CHAR_WIDTH, Color, Layout, PixelFormat, read_pixel};
use noto_sans_mono_bitmap::{FontWeight, RasterHeight, get_raster};

/// What fresh framebuffer memory holds in the tests, so that we can tell which
/// bytes the console wrote.
pub const JUNK: u8 = 0xa5;

/// A layout of `columns` x `rows` cells, plus `margin` extra pixels right and
/// below, with `padding` invisible pixels at the end of each row.
pub fn layout(
    columns: usize,
    rows: usize,
    format: PixelFormat,
    bytes_per_pixel: usize,
    margin: usize,
    padding: usize,
) -> Layout {
    let width = columns * CHAR_WIDTH + margin;
    Layout {
        width,
        height: rows * CHAR_HEIGHT + margin,
        stride: width + padding,
        bytes_per_pixel,
        format,
    }
}

/// A plain BGR, 4 bytes per pixel layout with no margins.
pub fn simple(columns: usize, rows: usize) -> Layout {
    layout(columns, rows, PixelFormat::Bgr, 4, 0, 0)
}

/// Full-size framebuffer memory for `layout`, filled with [`JUNK`].
pub fn memory(layout: &Layout) -> Vec<u8> {
    vec![JUNK; layout.stride * layout.height * layout.bytes_per_pixel]
}

/// The font raster the console should use for `c`.
pub fn raster(c: char) -> &'static [&'static [u8]] {
    let get = |c| get_raster(c, FontWeight::Regular, RasterHeight::Size16);
    get(c)
        .or_else(|| get('\u{fffd}'))
        .expect("the font has a replacement character")
        .raster()
}

pub fn blend(fg: Color, bg: Color, coverage: u8) -> Color {
    let mix = |f: u8, b: u8| {
        let i = u32::from(coverage);
        ((u32::from(f) * i + u32::from(b) * (255 - i)) / 255) as u8
    };
    Color {
        r: mix(fg.r, bg.r),
        g: mix(fg.g, bg.g),
        b: mix(fg.b, bg.b),
    }
}

pub fn luma(c: Color) -> u8 {
    ((77 * u32::from(c.r) + 150 * u32::from(c.g) + 29 * u32::from(c.b)) / 256) as u8
}

/// What `read_pixel` gives back after `color` was written in `format`.
pub fn stored(format: PixelFormat, color: Color) -> Color {
    match format {
        PixelFormat::Gray => {
            let l = luma(color);
            Color { r: l, g: l, b: l }
        }
        _ => color,
    }
}

/// Asserts that cell (`column`, `row`) shows `c` (or is blank, for `None`) in
/// `fg` on `bg`, pixel for pixel.
pub fn assert_cell(
    buffer: &[u8],
    layout: &Layout,
    (column, row): (usize, usize),
    c: Option<char>,
    fg: Color,
    bg: Color,
) {
    let glyph = c.map(raster);
    for dy in 0..CHAR_HEIGHT {
        for dx in 0..CHAR_WIDTH {
            let coverage = glyph.map_or(0, |g| g[dy][dx]);
            let expected = stored(layout.format, blend(fg, bg, coverage));
            let (x, y) = (column * CHAR_WIDTH + dx, row * CHAR_HEIGHT + dy);
            let actual = read_pixel(buffer, layout, x, y);
            assert_eq!(
                actual, expected,
                "cell ({column}, {row}) should show {c:?}; pixel ({dx}, {dy}) of it differs"
            );
        }
    }
}

/// Asserts that every pixel of the rectangle has `color` (as stored).
pub fn assert_rect(
    buffer: &[u8],
    layout: &Layout,
    (x, y): (usize, usize),
    (w, h): (usize, usize),
    color: Color,
) {
    let expected = stored(layout.format, color);
    for py in y..y + h {
        for px in x..x + w {
            assert_eq!(
                read_pixel(buffer, layout, px, py),
                expected,
                "pixel ({px}, {py})"
            );
        }
    }
}

/// The bytes of pixel rows `y` to `y + h` (their visible part only).
pub fn pixel_rows(buffer: &[u8], layout: &Layout, y: usize, h: usize) -> Vec<u8> {
    let row_bytes = layout.width * layout.bytes_per_pixel;
    (y..y + h)
        .flat_map(|py| {
            let start = py * layout.stride * layout.bytes_per_pixel;
            buffer[start..start + row_bytes].iter().copied()
        })
        .collect()
}

/// Indices of the bytes that belong to no visible pixel (stride padding and
/// anything after the last row).
pub fn invisible_bytes(layout: &Layout, buffer_len: usize) -> impl Iterator<Item = usize> {
    let bpp = layout.bytes_per_pixel;
    let row_bytes = layout.stride * bpp;
    let visible = layout.width * bpp;
    (0..buffer_len).filter(move |i| i / row_bytes >= layout.height || i % row_bytes >= visible)
}

/// The text cell that byte `index` of the buffer belongs to, if any.
pub fn cell_of_byte(layout: &Layout, index: usize) -> Option<(usize, usize)> {
    let pixel = index / layout.bytes_per_pixel;
    let (x, y) = (pixel % layout.stride, pixel / layout.stride);
    let (columns, rows) = (layout.width / CHAR_WIDTH, layout.height / CHAR_HEIGHT);
    let cell = (x / CHAR_WIDTH, y / CHAR_HEIGHT);
    (x < layout.width && cell.0 < columns && cell.1 < rows).then_some(cell)
}

/// Asserts that the screen shows `lines` (one string per text row, a space for
/// a blank cell) in the default colours.
pub fn assert_text(buffer: &[u8], layout: &Layout, lines: &[&str]) {
    for (row, line) in lines.iter().enumerate() {
        for (column, c) in line.chars().enumerate() {
            let c = (c != ' ').then_some(c);
            assert_cell(
                buffer,
                layout,
                (column, row),
                c,
                console::DEFAULT_FG,
                console::DEFAULT_BG,
            );
        }
    }
}
