//! The editor's echo drawn by our real framebuffer console (`crates/console`):
//! after every key the pixels must equal those of a fresh console that was
//! simply given the prompt and the final line, and the cursors must agree.

mod common;

use common::{PROMPT, Rng};
use console::{CHAR_HEIGHT, CHAR_WIDTH, Console, Layout, PixelFormat};
use shell::{LINE_CAPACITY, LineEditor};

/// Wide enough for the prompt and a full line of one-byte characters.
const COLUMNS: usize = LINE_CAPACITY + 10;

fn layout() -> Layout {
    Layout {
        width: COLUMNS * CHAR_WIDTH,
        height: CHAR_HEIGHT,
        stride: COLUMNS * CHAR_WIDTH,
        bytes_per_pixel: 4,
        format: PixelFormat::Bgr,
    }
}

/// Draws the prompt and `line` on a fresh console; returns its pixels.
fn fresh_rendering(line: &str) -> Vec<u8> {
    let mut memory = vec![0; COLUMNS * CHAR_WIDTH * CHAR_HEIGHT * 4];
    let mut console = Console::new(&mut memory, layout()).unwrap();
    console.write_str(PROMPT);
    console.write_str(line);
    memory
}

const KEYS: &[&str] = &[
    "a", "b", "é", "ü", "中", " ", "a", "b", "é", "ü", "中", " ", "\x7f", "\x1b[3~", "\x1b[D",
    "\x1b[D", "\x1b[C", "\x1b[H", "\x1b[F", "\x1b[A", "\x1b[B", "\x15", "\r",
];

#[test]
fn the_console_shows_what_the_editor_holds() {
    let mut memory = vec![0; COLUMNS * CHAR_WIDTH * CHAR_HEIGHT * 4];
    let mut console = Console::new(&mut memory, layout()).unwrap();
    console.write_str(PROMPT);
    let mut editor = LineEditor::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for step in 0..1500 {
        let key = KEYS[rng.below(KEYS.len())];
        let times = if rng.below(10) == 0 { 30 } else { 1 };
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
        let column = PROMPT.len() + line[..editor.cursor()].chars().count();
        assert_eq!(console.cursor(), (column, 0), "step {step}, {line:?}");
        assert!(
            console.buffer() == fresh_rendering(line),
            "step {step}: the screen does not show {line:?}"
        );
    }
}
