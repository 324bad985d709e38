//! The editor's echo drawn by our real framebuffer console (`crates/console`):
//! after every key the pixels must equal those of a fresh console that was
//! simply given the prompt and the final line, with its cursor (shown, as in
//! the kernel) moved to the editor's cursor.

mod common;

use common::{PROMPT, Rng, Terminal};
use console::{CHAR_HEIGHT, CHAR_WIDTH, Console, Layout, PixelFormat};
use shell::{LineEditor, Outcome};
use std::fmt::Write;

fn layout(columns: usize, rows: usize) -> Layout {
    Layout {
        width: columns * CHAR_WIDTH,
        height: rows * CHAR_HEIGHT,
        stride: columns * CHAR_WIDTH,
        bytes_per_pixel: 4,
        format: PixelFormat::Bgr,
    }
}

fn memory(layout: Layout) -> Vec<u8> {
    vec![0; layout.width * layout.height * 4]
}

/// Where a terminal `columns` wide puts the cursor after `text`, counted from
/// the row `text` starts on (a pending wrap taken as done, as the editor does).
fn place_after(columns: usize, text: &str) -> (usize, usize) {
    let mut terminal = Terminal::new(columns);
    terminal.write_str(text).unwrap();
    terminal.next_place()
}

/// Draws `text` on a fresh console showing its cursor, then moves the cursor
/// to (`row`, `column`); returns its pixels.
fn fresh_rendering(layout: Layout, text: &str, (row, column): (usize, usize)) -> Vec<u8> {
    let mut memory = memory(layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.set_cursor_visible(true);
    console.write_str(text);
    console.write_str(&format!("\x1b[{};{}H", row + 1, column + 1));
    memory
}

const KEYS: &[&str] = &[
    "a", "b", "é", "ü", "中", "😀", " ", "a", "b", "é", "ü", "中", " ", "\x7f", "\x1b[3~",
    "\x1b[D", "\x1b[D", "\x1b[C", "\x1b[H", "\x1b[F", "\x1b[A", "\x1b[B", "\x15", "\t", "\r",
];

/// Random keys on a console narrower than a full line: lines over several
/// rows, wide characters at the edge, the cursor drawn and moved.
#[test]
fn the_console_shows_what_the_editor_holds() {
    const COLUMNS: usize = 37;
    let layout = layout(COLUMNS, 12);
    let mut memory = memory(layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.set_cursor_visible(true);
    console.write_str(PROMPT);
    let mut editor = LineEditor::new();
    editor.set_layout(COLUMNS, PROMPT.len());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for step in 0..1500 {
        let key = KEYS[rng.below(KEYS.len())];
        let times = if rng.below(10) == 0 { 60 } else { 1 };
        let mut finished = false;
        for _ in 0..times {
            for &byte in key.as_bytes() {
                finished |= editor.feed(byte, &mut console).is_some();
            }
        }
        if finished {
            // What the kernel shell does next: a new prompt (here on a clean screen).
            console.clear();
            console.write_str(PROMPT);
            continue;
        }
        let line = editor.line();
        let before = format!("{PROMPT}{}", &line[..editor.cursor()]);
        let cursor = place_after(COLUMNS, &before);
        assert_eq!(
            console.cursor(),
            (cursor.1, cursor.0),
            "step {step}, {line:?}"
        );
        assert!(
            console.buffer() == fresh_rendering(layout, &format!("{PROMPT}{line}"), cursor),
            "step {step}: the screen does not show {line:?}"
        );
    }
}

/// Issue 10 §2, exactly: on the kernel's BIOS screen (1280 pixels wide), an
/// `echo` of 200 A's, an `echo` of 60 B's, then Up, Up, Down, Home, `X`. The
/// screen must show the two commands with their output and the recalled line
/// with the X, and no row of A's above it. Each step is compared with what a
/// fresh console shows for the same text written plainly.
#[test]
fn recalling_a_short_line_after_a_long_one_leaves_no_stale_row() {
    const PROMPT: &str = "kestrel> ";
    let columns = 1280 / CHAR_WIDTH;
    let layout = layout(columns, 12);
    let mut memory = memory(layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    console.set_cursor_visible(true);
    let mut editor = LineEditor::new();
    editor.set_layout(columns, PROMPT.len());
    console.write_str(PROMPT);

    let long = format!("echo {}", "A".repeat(200));
    let short = format!("echo {}", "B".repeat(60));
    let mut transcript = String::from(PROMPT);
    for (keys, line) in [(&long, &long), (&short, &short)] {
        for &byte in keys.as_bytes().iter().chain(b"\r") {
            editor.feed(byte, &mut console);
        }
        assert_eq!(editor.line(), line);
        // The shell runs the `echo`.
        let output = format!("{}\n{PROMPT}", &line[5..]);
        console.write_str(&output);
        transcript += &format!("{line}\n{output}");
    }
    for key in ["\x1b[A", "\x1b[A", "\x1b[B", "\x1b[H", "X"] {
        for &byte in key.as_bytes() {
            editor.feed(byte, &mut console);
        }
    }
    assert_eq!(editor.line(), format!("X{short}"));
    // The prompt row of the third line, on a screen that has not scrolled.
    let prompt_row = console.cursor().1;
    let cursor = (prompt_row, PROMPT.len() + 1);
    let expected = fresh_rendering(layout, &format!("{transcript}X{short}"), cursor);
    assert!(console.buffer() == expected, "the screen shows a stale row");

    assert_eq!(editor.feed(b'\r', &mut console), Some(Outcome::Line));
    assert_eq!(editor.line(), format!("X{short}"));
}
