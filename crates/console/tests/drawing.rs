//! Glyphs land at the right place, in the right colours and byte order, and
//! nothing else in the framebuffer changes.

mod common;

use common::{JUNK, assert_cell, assert_rect, cell_of_byte, layout, memory, raster, simple};
use console::{
    CHAR_HEIGHT, CHAR_WIDTH, Color, Console, DEFAULT_BG, DEFAULT_FG, Layout, PixelFormat,
    read_pixel,
};
use core::fmt::Write as _;

const WHITE: Color = Color {
    r: 255,
    g: 255,
    b: 255,
};
const BLACK: Color = Color { r: 0, g: 0, b: 0 };

/// Asserts that `before` and `after` differ only inside cell `cell`.
fn assert_only_cell_changed(layout: &Layout, before: &[u8], after: &[u8], cell: (usize, usize)) {
    assert_eq!(before.len(), after.len());
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        if cell_of_byte(layout, i) != Some(cell) {
            assert_eq!(b, a, "byte {i} (outside cell {cell:?}) changed");
        }
    }
}

#[test]
fn the_cell_size_is_the_font_raster_size() {
    let a = raster('A');
    assert_eq!((a[0].len(), a.len()), (CHAR_WIDTH, CHAR_HEIGHT));
}

#[test]
fn a_letter_at_the_origin_is_the_blended_font_raster() {
    let layout = layout(4, 2, PixelFormat::Bgr, 4, 5, 3);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    let before = console.buffer().to_vec();
    console.write_str("A");
    assert_cell(
        console.buffer(),
        &layout,
        (0, 0),
        Some('A'),
        DEFAULT_FG,
        DEFAULT_BG,
    );
    assert_only_cell_changed(&layout, &before, console.buffer(), (0, 0));
    assert_eq!(console.cursor(), (1, 0));
}

#[test]
fn a_letter_in_a_later_cell_lands_at_its_offset() {
    let layout = layout(10, 3, PixelFormat::Rgb, 3, 4, 2);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("\n\t");
    assert_eq!(console.cursor(), (8, 1));
    let before = console.buffer().to_vec();
    console.write_str("A");
    assert_cell(
        console.buffer(),
        &layout,
        (8, 1),
        Some('A'),
        DEFAULT_FG,
        DEFAULT_BG,
    );
    assert_only_cell_changed(&layout, &before, console.buffer(), (8, 1));
}

#[test]
fn white_on_black_stores_the_coverage_itself() {
    // With these colours the blend formula gives exactly the font's coverage,
    // a check that does not depend on the test's own blending code.
    let layout = layout(2, 1, PixelFormat::Rgb, 3, 0, 0);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.set_colors(WHITE, BLACK);
    console.write_str("g");
    let glyph = raster('g');
    assert!(
        glyph
            .iter()
            .flat_map(|row| row.iter())
            .any(|&c| c > 0 && c < 255)
    );
    for (y, row) in glyph.iter().enumerate() {
        for (x, &coverage) in row.iter().enumerate() {
            let offset = (y * layout.stride + x) * 3;
            assert_eq!(console.buffer()[offset..offset + 3], [coverage; 3]);
        }
    }
}

/// The bytes `color` should occupy in `format`, up to `bytes_per_pixel`.
fn raw_bytes(format: PixelFormat, bytes_per_pixel: usize, color: Color) -> Vec<u8> {
    let mut bytes = match format {
        PixelFormat::Rgb => vec![color.r, color.g, color.b],
        PixelFormat::Bgr => vec![color.b, color.g, color.r],
        PixelFormat::Gray => vec![common::luma(color)],
    };
    bytes.resize(bytes_per_pixel, 0);
    bytes
}

fn check_format(format: PixelFormat, bytes_per_pixel: usize) {
    let fg = Color {
        r: 10,
        g: 200,
        b: 30,
    };
    let bg = Color {
        r: 220,
        g: 40,
        b: 90,
    };
    let layout = layout(3, 2, format, bytes_per_pixel, 2, 5);
    let mut memory = memory(&layout);
    memory.extend([JUNK; 7]);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.set_colors(fg, bg);
    console.write_str("H");
    let buffer = console.buffer();

    assert_cell(buffer, &layout, (0, 0), Some('H'), fg, bg);
    assert_cell(buffer, &layout, (1, 0), None, DEFAULT_FG, DEFAULT_BG);
    // Exact bytes of a fully covered and an uncovered pixel.
    let glyph = raster('H');
    for (coverage, color) in [(255, fg), (0, bg)] {
        let y = glyph
            .iter()
            .position(|row| row.contains(&coverage))
            .unwrap();
        let x = glyph[y].iter().position(|&c| c == coverage).unwrap();
        let offset = (y * layout.stride + x) * bytes_per_pixel;
        let expected = raw_bytes(format, bytes_per_pixel, color);
        assert_eq!(
            buffer[offset..offset + bytes_per_pixel],
            expected,
            "{format:?}/{bytes_per_pixel}"
        );
    }
    // Margins are background; memory outside visible pixels is untouched.
    assert_rect(
        buffer,
        &layout,
        (3 * CHAR_WIDTH, 0),
        (2, layout.height),
        DEFAULT_BG,
    );
    assert_rect(
        buffer,
        &layout,
        (0, 2 * CHAR_HEIGHT),
        (layout.width, 2),
        DEFAULT_BG,
    );
    for i in common::invisible_bytes(&layout, buffer.len()) {
        assert_eq!(
            buffer[i], JUNK,
            "invisible byte {i} was written ({format:?}/{bytes_per_pixel})"
        );
    }
}

#[test]
fn every_pixel_format_and_size_is_drawn_correctly() {
    for (format, bytes_per_pixel) in [
        (PixelFormat::Rgb, 3),
        (PixelFormat::Rgb, 4),
        (PixelFormat::Bgr, 3),
        (PixelFormat::Bgr, 4),
        (PixelFormat::Gray, 1),
        (PixelFormat::Gray, 2),
        (PixelFormat::Gray, 4),
        (PixelFormat::Bgr, 6),
    ] {
        check_format(format, bytes_per_pixel);
    }
}

#[test]
fn read_pixel_decodes_each_format() {
    let bytes = [1, 2, 3, 4, 5, 6, 7, 8];
    let at = |format, bytes_per_pixel, x| {
        let layout = Layout {
            width: 2,
            height: 1,
            stride: 2,
            bytes_per_pixel,
            format,
        };
        read_pixel(&bytes, &layout, x, 0)
    };
    assert_eq!(at(PixelFormat::Rgb, 4, 1), Color { r: 5, g: 6, b: 7 });
    assert_eq!(at(PixelFormat::Bgr, 3, 1), Color { r: 6, g: 5, b: 4 });
    assert_eq!(at(PixelFormat::Gray, 1, 1), Color { r: 2, g: 2, b: 2 });
}

#[test]
fn a_character_missing_from_the_font_shows_the_replacement_character() {
    let mut memory = memory(&simple(3, 1));
    let mut console = Console::new(&mut memory, simple(3, 1)).unwrap();
    console.write_str("\u{2603}\u{fffd}");
    let (buffer, layout) = (console.buffer(), console.layout());
    assert_cell(
        buffer,
        &layout,
        (0, 0),
        Some('\u{fffd}'),
        DEFAULT_FG,
        DEFAULT_BG,
    );
    assert_cell(
        buffer,
        &layout,
        (1, 0),
        Some('\u{fffd}'),
        DEFAULT_FG,
        DEFAULT_BG,
    );
}

#[test]
fn latin_1_letters_are_drawn_with_their_own_glyph() {
    let mut memory = memory(&simple(3, 1));
    let mut console = Console::new(&mut memory, simple(3, 1)).unwrap();
    console.write_str("\u{e9}");
    assert_ne!(raster('\u{e9}'), raster('\u{fffd}'));
    assert_cell(
        console.buffer(),
        &simple(3, 1),
        (0, 0),
        Some('\u{e9}'),
        DEFAULT_FG,
        DEFAULT_BG,
    );
}

#[test]
fn new_clears_everything_visible_to_the_default_background() {
    let layout = layout(2, 2, PixelFormat::Rgb, 4, 3, 2);
    let mut memory = memory(&layout);
    let console = Console::new(&mut memory, layout).unwrap();
    assert_eq!(console.cursor(), (0, 0));
    assert_eq!((console.columns(), console.rows()), (2, 2));
    assert_eq!(console.layout(), layout);
    assert_rect(
        console.buffer(),
        &layout,
        (0, 0),
        (layout.width, layout.height),
        DEFAULT_BG,
    );
}

#[test]
fn clear_paints_the_current_background_and_homes_the_cursor() {
    let layout = layout(3, 2, PixelFormat::Bgr, 4, 3, 0);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("ab\ncd");
    console.set_colors(WHITE, Color { r: 0, g: 0, b: 160 });
    console.clear();
    assert_eq!(console.cursor(), (0, 0));
    let everything = (layout.width, layout.height);
    assert_rect(
        console.buffer(),
        &layout,
        (0, 0),
        everything,
        Color { r: 0, g: 0, b: 160 },
    );
}

#[test]
fn the_fmt_write_trait_works_and_never_fails() {
    let mut memory = memory(&simple(4, 1));
    let mut console = Console::new(&mut memory, simple(4, 1)).unwrap();
    assert!(write!(console, "{}{}", 4, 2).is_ok());
    assert!(core::fmt::Write::write_char(&mut console, '!').is_ok());
    common::assert_text(console.buffer(), &simple(4, 1), &["42! "]);
}
