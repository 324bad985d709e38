//! ANSI escape sequences: colours (SGR), clearing, cursor movement, and
//! everything else being swallowed without drawing.

mod common;

use common::{assert_cell, assert_rect, assert_text, memory, simple};
use console::{Color, Console, DEFAULT_BG, DEFAULT_FG, PALETTE};

/// Writes each of `pieces` in turn into a fresh 8 x 3 console, then checks
/// that cell (0, 0) shows `c` in `fg` on `bg`.
fn first_cell(pieces: &[&str], c: char, fg: Color, bg: Color) {
    let layout = simple(8, 3);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    for piece in pieces {
        console.write_str(piece);
    }
    assert_cell(console.buffer(), &layout, (0, 0), Some(c), fg, bg);
}

#[test]
fn sgr_sets_basic_and_bright_colours() {
    first_cell(&["\x1b[31mX"], 'X', PALETTE[1], DEFAULT_BG);
    first_cell(&["\x1b[92mX"], 'X', PALETTE[10], DEFAULT_BG);
    first_cell(&["\x1b[44mX"], 'X', DEFAULT_FG, PALETTE[4]);
    first_cell(&["\x1b[103mX"], 'X', DEFAULT_FG, PALETTE[11]);
    first_cell(&["\x1b[37;40mX"], 'X', PALETTE[7], PALETTE[0]);
}

#[test]
fn bold_brightens_the_basic_colours_in_either_order() {
    first_cell(&["\x1b[1;31mX"], 'X', PALETTE[9], DEFAULT_BG);
    first_cell(&["\x1b[32;1mX"], 'X', PALETTE[10], DEFAULT_BG);
    first_cell(&["\x1b[1;31m\x1b[22mX"], 'X', PALETTE[1], DEFAULT_BG);
    // Bold affects neither the default colour nor backgrounds.
    first_cell(&["\x1b[1;42mX"], 'X', DEFAULT_FG, PALETTE[2]);
}

#[test]
fn sgr_resets() {
    first_cell(&["\x1b[31;44m\x1b[0mX"], 'X', DEFAULT_FG, DEFAULT_BG);
    first_cell(&["\x1b[1;31;44m\x1b[mX"], 'X', DEFAULT_FG, DEFAULT_BG);
    first_cell(&["\x1b[31;44m\x1b[39mX"], 'X', DEFAULT_FG, PALETTE[4]);
    first_cell(&["\x1b[31;44m\x1b[49mX"], 'X', PALETTE[1], DEFAULT_BG);
    // An empty parameter is a 0.
    first_cell(&["\x1b[31;44;;35mX"], 'X', PALETTE[5], DEFAULT_BG);
    // Reset also ends bold.
    first_cell(&["\x1b[1m\x1b[0;31mX"], 'X', PALETTE[1], DEFAULT_BG);
}

#[test]
fn unknown_and_extended_sgr_parameters_change_nothing_else() {
    first_cell(&["\x1b[4;7;58mX"], 'X', DEFAULT_FG, DEFAULT_BG);
    // The 31 and 44 here are parts of a 256-colour choice, not red or blue.
    first_cell(&["\x1b[38;5;31mX"], 'X', DEFAULT_FG, DEFAULT_BG);
    first_cell(&["\x1b[48;2;1;44;3;32mX"], 'X', PALETTE[2], DEFAULT_BG);
}

#[test]
fn sequences_split_across_writes_still_work() {
    first_cell(
        &["\x1b", "[3", "1", ";4", "4mX"],
        'X',
        PALETTE[1],
        PALETTE[4],
    );
    first_cell(&["\x1b[", "", "33m", "X"], 'X', PALETTE[3], DEFAULT_BG);
}

#[test]
fn set_colors_applies_to_following_text() {
    let fg = Color { r: 1, g: 2, b: 3 };
    let bg = Color {
        r: 250,
        g: 200,
        b: 150,
    };
    let layout = simple(4, 1);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("a");
    console.set_colors(fg, bg);
    console.write_str("b");
    assert_cell(
        console.buffer(),
        &layout,
        (0, 0),
        Some('a'),
        DEFAULT_FG,
        DEFAULT_BG,
    );
    assert_cell(console.buffer(), &layout, (1, 0), Some('b'), fg, bg);
}

#[test]
fn unknown_sequences_are_swallowed_without_drawing() {
    let layout = simple(8, 2);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("\x1b[5A\x1b[?25l\x1b[3;4r\x1b[1 q\x1b[?1K\x1b[3K\x1b[0J\x1b[99999999;1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20mok");
    assert_text(console.buffer(), &layout, &["ok      ", "        "]);
    assert_eq!(console.cursor(), (2, 0));
}

#[test]
fn esc_without_bracket_is_dropped() {
    let layout = simple(4, 1);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("\x1bab\x1b\x1b[31m");
    console.write_str("\x1b");
    console.write_str("c");
    assert_cell(
        console.buffer(),
        &layout,
        (0, 0),
        Some('a'),
        DEFAULT_FG,
        DEFAULT_BG,
    );
    assert_cell(
        console.buffer(),
        &layout,
        (1, 0),
        Some('b'),
        DEFAULT_FG,
        DEFAULT_BG,
    );
    assert_cell(
        console.buffer(),
        &layout,
        (2, 0),
        Some('c'),
        PALETTE[1],
        DEFAULT_BG,
    );
}

#[test]
fn a_broken_sequence_gives_way_to_the_character_that_broke_it() {
    let layout = simple(4, 2);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("\x1b[31\nx\x1b[\u{e9}");
    assert_text(console.buffer(), &layout, &["    ", "x\u{e9}  "]);
}

#[test]
fn erase_display_clears_in_the_current_background_and_keeps_the_cursor() {
    let layout = common::layout(4, 2, console::PixelFormat::Rgb, 3, 3, 1);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("abc\ndef\x1b[42m\x1b[2J");
    assert_eq!(console.cursor(), (3, 1));
    assert_rect(
        console.buffer(),
        &layout,
        (0, 0),
        (layout.width, layout.height),
        PALETTE[2],
    );
}

#[test]
fn cursor_position_sequences() {
    let layout = simple(5, 3);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("abc\nde\x1b[HX");
    assert_eq!(console.cursor(), (1, 0));
    console.write_str("\x1b[3;2HY");
    assert_eq!(console.cursor(), (2, 2));
    console.write_str("\x1b[99;99H");
    assert_eq!(console.cursor(), (4, 2));
    console.write_str("\x1b[;4HZ");
    assert_text(console.buffer(), &layout, &["XbcZ ", "de   ", " Y   "]);
}

#[test]
fn cursor_left_and_right_stay_on_the_row() {
    let layout = simple(6, 2);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("abcdef\x1b[DX");
    assert_eq!(console.cursor(), (5, 0));
    // 0 counts as 1, so the Z replaces the Y.
    console.write_str("\x1b[3DY\x1b[0DZ");
    assert_eq!(console.cursor(), (3, 0));
    console.write_str("\x1b[99D");
    assert_eq!(console.cursor(), (0, 0));
    console.write_str("\x1b[2C");
    assert_eq!(console.cursor(), (2, 0));
    // Only the first parameter counts: `;7` means 1.
    console.write_str("\x1b[C\x1b[;7C1");
    assert_eq!(console.cursor(), (5, 0));
    console.write_str("\x1b[9999C2");
    // Moving right never wraps: the 2 lands in the last column, over the 1.
    assert_text(console.buffer(), &layout, &["abZd12", "      "]);
}

#[test]
fn erase_in_line_clears_part_of_the_cursor_row() {
    let layout = simple(5, 2);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("abcde\r\nfghij\x1b[2D\x1b[K");
    assert_text(console.buffer(), &layout, &["abcde", "fg   "]);
    assert_eq!(console.cursor(), (2, 1));
    console.write_str("\x1b[H\x1b[C\x1b[1K");
    assert_text(console.buffer(), &layout, &["  cde", "fg   "]);
    assert_eq!(console.cursor(), (1, 0));
    console.write_str("\x1b[2K");
    assert_text(console.buffer(), &layout, &["     ", "fg   "]);
    assert_eq!(console.cursor(), (1, 0));
}

#[test]
fn erase_in_line_uses_the_current_background() {
    let layout = simple(3, 1);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("abc\r\x1b[C\x1b[44m\x1b[0K");
    let buffer = console.buffer();
    assert_cell(buffer, &layout, (0, 0), Some('a'), DEFAULT_FG, DEFAULT_BG);
    assert_cell(buffer, &layout, (1, 0), None, DEFAULT_FG, PALETTE[4]);
    assert_cell(buffer, &layout, (2, 0), None, DEFAULT_FG, PALETTE[4]);
}

#[test]
fn erase_in_line_cancels_a_pending_wrap() {
    let layout = simple(3, 2);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.write_str("abc\x1b[Kx");
    assert_text(console.buffer(), &layout, &["abx", "   "]);
    assert_eq!(console.cursor(), (2, 0));
}
