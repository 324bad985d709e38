//! The visible cursor: an inverted underline in the cursor cell, which never
//! changes anything else on the screen, whatever is written.

mod common;

use common::{layout, memory};
use console::{CHAR_HEIGHT, CHAR_WIDTH, CURSOR_HEIGHT, Color, Console, PixelFormat, read_pixel};
use xorshift::XorShift64 as Rng;

/// Text that moves the cursor in every way the console knows.
const PIECES: &[&str] = &[
    "a",
    "Zz",
    "中",
    "😀",
    "\u{301}",
    " ",
    "\n",
    "\r",
    "\t",
    "\x08",
    "\x1b[2D",
    "\x1b[3C",
    "\x1b[A",
    "\x1b[2B",
    "\x1b[K",
    "\x1b[J",
    "\x1b[2;3H",
    "\x1b[2J",
    "\x1b[31m",
    "\x1b[44m",
    "\x1b[0m",
    "0123456789",
];

/// The colour `read_pixel` gives for an inverted pixel of colour `c`.
fn inverted(c: Color) -> Color {
    Color::new(!c.r, !c.g, !c.b)
}

/// Writes the same random text to a console showing its cursor and to one
/// that does not: after every write, the two screens differ exactly in the
/// underline of the cursor cell, which is the other's pixels inverted.
fn compare(format: PixelFormat, bytes_per_pixel: usize, seed: u64) {
    let layout = layout(7, 4, format, bytes_per_pixel, 3, 2);
    let (mut with, mut without) = (memory(&layout), memory(&layout));
    let mut shown = Console::new(&mut with, layout).unwrap();
    let mut plain = Console::new(&mut without, layout).unwrap();
    shown.set_cursor_visible(true);
    let mut rng = Rng(seed);
    for step in 0..3000 {
        let text: String = (0..rng.below(4))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect();
        shown.write_str(&text);
        plain.write_str(&text);
        if rng.below(40) == 0 {
            shown.clear();
            plain.clear();
        }
        let (column, row) = shown.cursor();
        assert_eq!((column, row), plain.cursor());
        let underline_top = (row + 1) * CHAR_HEIGHT - CURSOR_HEIGHT;
        for y in 0..layout.height {
            for x in 0..layout.width {
                let under_cursor = x / CHAR_WIDTH == column
                    && x < 7 * CHAR_WIDTH
                    && (underline_top..(row + 1) * CHAR_HEIGHT).contains(&y);
                let plain_pixel = read_pixel(plain.buffer(), &layout, x, y);
                let expected = match under_cursor {
                    true => inverted(plain_pixel),
                    false => plain_pixel,
                };
                assert_eq!(
                    read_pixel(shown.buffer(), &layout, x, y),
                    expected,
                    "step {step}, pixel ({x}, {y}), cursor ({column}, {row}), after {text:?}"
                );
            }
        }
    }
}

#[test]
fn the_cursor_is_an_underline_that_leaves_no_trace() {
    compare(PixelFormat::Bgr, 4, 0x9e37_79b9_7f4a_7c15);
    compare(PixelFormat::Gray, 1, 0x2545_f491_4f6c_dd1d);
}

#[test]
fn the_cursor_can_be_hidden_again() {
    let layout = layout(4, 2, PixelFormat::Rgb, 3, 0, 0);
    let (mut a, mut b) = (memory(&layout), memory(&layout));
    let mut console = Console::new(&mut a, layout).unwrap();
    console.write_str("ab");
    let before = console.buffer().to_vec();
    console.set_cursor_visible(true);
    assert_ne!(console.buffer(), before);
    console.set_cursor_visible(false);
    assert_eq!(console.buffer(), before);
    // And a fresh console does not show it.
    let mut fresh = Console::new(&mut b, layout).unwrap();
    fresh.write_str("ab");
    assert_eq!(fresh.buffer(), before);
}
