//! Cursor movement: wrapping, control characters and scrolling.

mod common;

use common::{assert_rect, assert_text, layout, memory, pixel_rows, simple};
use console::{CHAR_HEIGHT, CHAR_WIDTH, Color, Console, DEFAULT_BG, PixelFormat};

/// Runs `text` through a fresh console of `columns` x `rows` cells, then calls
/// `check` with it.
fn on_screen(columns: usize, rows: usize, text: &str, check: impl FnOnce(&Console)) {
    let layout = simple(columns, rows);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str(text);
    check(&console);
}

fn shows(console: &Console, lines: &[&str]) {
    assert_text(console.buffer(), &console.layout(), lines);
}

#[test]
fn text_flows_left_to_right() {
    on_screen(4, 2, "abc", |c| {
        shows(c, &["abc ", "    "]);
        assert_eq!(c.cursor(), (3, 0));
    });
}

#[test]
fn a_full_line_wraps_only_when_the_next_character_arrives() {
    on_screen(3, 2, "abc", |c| {
        shows(c, &["abc", "   "]);
        assert_eq!(c.cursor(), (2, 0));
    });
    on_screen(3, 2, "abcd", |c| {
        shows(c, &["abc", "d  "]);
        assert_eq!(c.cursor(), (1, 1));
    });
    // A newline right after a full line does not add an empty line.
    on_screen(3, 3, "abc\nd", |c| shows(c, &["abc", "d  ", "   "]));
}

#[test]
fn newline_and_carriage_return() {
    on_screen(4, 3, "ab\ncd\r\nx", |c| {
        shows(c, &["ab  ", "cd  ", "x   "]);
        assert_eq!(c.cursor(), (1, 2));
    });
    on_screen(4, 1, "abc\rX", |c| {
        shows(c, &["Xbc "]);
        assert_eq!(c.cursor(), (1, 0));
    });
}

#[test]
fn tab_advances_to_the_next_multiple_of_eight() {
    on_screen(12, 2, "a\tb", |c| {
        shows(c, &["a       b   "]);
        assert_eq!(c.cursor(), (9, 0));
    });
    // The skipped cells are erased.
    on_screen(12, 1, "abcdefghijk\r\t", |c| {
        shows(c, &["        ijk "]);
        assert_eq!(c.cursor(), (8, 0));
    });
    // A tab does not cross the line end; the next character then wraps.
    on_screen(10, 2, "12345678xy\r\x1b[1;9H\tz", |c| {
        shows(c, &["12345678  ", "z         "])
    });
    on_screen(5, 2, "ab\t", |c| {
        assert_eq!(c.cursor(), (4, 0));
        shows(c, &["ab   ", "     "]);
    });
    on_screen(5, 2, "ab\tc", |c| shows(c, &["ab   ", "c    "]));
}

#[test]
fn backspace_moves_left_without_erasing() {
    on_screen(4, 1, "abc\x08", |c| {
        shows(c, &["abc "]);
        assert_eq!(c.cursor(), (2, 0));
    });
    on_screen(4, 1, "abc\x08\x08x", |c| {
        shows(c, &["axc "]);
        assert_eq!(c.cursor(), (2, 0));
    });
    on_screen(4, 1, "ab\x08\x08\x08\x08x", |c| {
        shows(c, &["xb  "]);
        assert_eq!(c.cursor(), (1, 0));
    });
    // At column 0 it does nothing, not even go back to the previous line.
    on_screen(4, 2, "ab\n\x08", |c| {
        shows(c, &["ab  ", "    "]);
        assert_eq!(c.cursor(), (0, 1));
    });
    // With a wrap pending the cursor is on the last column, so one step left
    // lands on the column before it, and the next character does not wrap.
    on_screen(3, 2, "abc\x08x", |c| {
        shows(c, &["axc", "   "]);
        assert_eq!(c.cursor(), (2, 0));
    });
}

#[test]
fn other_control_characters_and_delete_are_ignored() {
    on_screen(6, 1, "a\0\x07\x0b\x0c\x7f\x1cb", |c| {
        shows(c, &["ab    "]);
        assert_eq!(c.cursor(), (2, 0));
    });
}

#[test]
fn a_newline_on_the_last_row_scrolls_up_byte_for_byte() {
    let layout = layout(3, 3, PixelFormat::Rgb, 3, 4, 5);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("ab\ncd\nef");
    let second_row = pixel_rows(console.buffer(), &layout, CHAR_HEIGHT, CHAR_HEIGHT);
    let third_row = pixel_rows(console.buffer(), &layout, 2 * CHAR_HEIGHT, CHAR_HEIGHT);
    console.write_str("\n");

    let buffer = console.buffer();
    assert_eq!(pixel_rows(buffer, &layout, 0, CHAR_HEIGHT), second_row);
    assert_eq!(
        pixel_rows(buffer, &layout, CHAR_HEIGHT, CHAR_HEIGHT),
        third_row
    );
    assert_rect(
        buffer,
        &layout,
        (0, 2 * CHAR_HEIGHT),
        (layout.width, CHAR_HEIGHT),
        DEFAULT_BG,
    );
    assert_rect(
        buffer,
        &layout,
        (0, 3 * CHAR_HEIGHT),
        (layout.width, 4),
        DEFAULT_BG,
    );
    assert_eq!(console.cursor(), (0, 2));
    for i in common::invisible_bytes(&layout, buffer.len()) {
        assert_eq!(buffer[i], common::JUNK, "invisible byte {i} was written");
    }
    shows(&console, &["cd ", "ef ", "   "]);
}

#[test]
fn wrapping_past_the_last_row_scrolls_too() {
    on_screen(3, 2, "abcdefg", |c| {
        shows(c, &["def", "g  "]);
        assert_eq!(c.cursor(), (1, 1));
    });
    on_screen(2, 1, "abc", |c| shows(c, &["c "]));
}

#[test]
fn scrolling_clears_the_new_row_in_the_current_background() {
    let blue = Color { r: 0, g: 0, b: 200 };
    let layout = layout(3, 2, PixelFormat::Bgr, 4, 2, 0);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.set_colors(
        Color {
            r: 255,
            g: 255,
            b: 255,
        },
        blue,
    );
    console.write_str("\n\n");
    let buffer = console.buffer();
    assert_rect(
        buffer,
        &layout,
        (0, CHAR_HEIGHT),
        (3 * CHAR_WIDTH, CHAR_HEIGHT),
        blue,
    );
    assert_rect(
        buffer,
        &layout,
        (0, 0),
        (3 * CHAR_WIDTH, CHAR_HEIGHT),
        DEFAULT_BG,
    );
    // The margins are not part of any text row and keep their colour.
    assert_rect(
        buffer,
        &layout,
        (3 * CHAR_WIDTH, 0),
        (2, layout.height),
        DEFAULT_BG,
    );
}

#[test]
fn a_one_cell_console_works() {
    on_screen(1, 1, "ab\tc\x08\x1b[5D\x1b[C\x1b[K\nd", |c| {
        shows(c, &["d"]);
        assert_eq!(c.cursor(), (0, 0));
    });
}
