//! Random input against a model.
//!
//! The model is a grid of (character, colours) cells kept by the rules written
//! in the crate documentation, implemented here again in the simplest way (and
//! deliberately without looking at how the crate does it). After every write we
//! compare each cell's pixels with the font raster of the model's character,
//! blended in the model's colours, and the cursor with the model's cursor.

mod common;

use common::{JUNK, blend, layout, memory, raster, stored};
use console::{
    CHAR_HEIGHT, CHAR_WIDTH, Color, Console, DEFAULT_BG, DEFAULT_FG, Layout, PALETTE, PixelFormat,
    read_pixel,
};

use xorshift::XorShift64 as Rng;

/// A random colour from the next random number.
fn random_color(rng: &mut Rng) -> Color {
    let v = rng.next();
    Color {
        r: v as u8,
        g: (v >> 8) as u8,
        b: (v >> 16) as u8,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Cell {
    c: Option<char>,
    fg: Color,
    bg: Color,
    /// For a wide character: 1 in its first cell, 2 in its second.
    half: u8,
}

#[derive(Clone, Copy, Debug)]
enum Ink {
    Fixed(Color),
    Basic(usize),
}

#[derive(Clone, Debug)]
enum Parse {
    Ground,
    Escape,
    Csi(String),
}

struct Model {
    columns: usize,
    rows: usize,
    grid: Vec<Vec<Cell>>,
    column: usize,
    row: usize,
    pending: bool,
    ink: Ink,
    bold: bool,
    bg: Color,
    /// Colour of the pixels outside the text grid: the bg of the last full clear.
    margin: Color,
    parse: Parse,
}

impl Model {
    fn new(columns: usize, rows: usize) -> Self {
        let blank = Cell {
            c: None,
            fg: DEFAULT_FG,
            bg: DEFAULT_BG,
            half: 0,
        };
        Model {
            columns,
            rows,
            grid: vec![vec![blank; columns]; rows],
            column: 0,
            row: 0,
            pending: false,
            ink: Ink::Fixed(DEFAULT_FG),
            bold: false,
            bg: DEFAULT_BG,
            margin: DEFAULT_BG,
            parse: Parse::Ground,
        }
    }

    fn fg(&self) -> Color {
        match self.ink {
            Ink::Fixed(color) => color,
            Ink::Basic(n) => PALETTE[if self.bold { n + 8 } else { n }],
        }
    }

    fn blank(&self) -> Cell {
        Cell {
            c: None,
            fg: self.fg(),
            bg: self.bg,
            half: 0,
        }
    }

    /// `Console::clear`: everything blank, cursor home, escape state kept.
    fn clear(&mut self) {
        self.grid = vec![vec![self.blank(); self.columns]; self.rows];
        self.margin = self.bg;
        (self.column, self.row, self.pending) = (0, 0, false);
    }

    fn feed(&mut self, c: char) {
        match std::mem::replace(&mut self.parse, Parse::Ground) {
            Parse::Ground if c == '\x1b' => self.parse = Parse::Escape,
            Parse::Ground => self.put(c),
            Parse::Escape if c == '[' => self.parse = Parse::Csi(String::new()),
            Parse::Escape => self.feed(c),
            Parse::Csi(mut text) => match c {
                '0'..='?' | ' '..='/' => {
                    text.push(c);
                    self.parse = Parse::Csi(text);
                }
                '@'..='~' => self.run(&text, c),
                _ => self.feed(c),
            },
        }
    }

    fn run(&mut self, text: &str, command: char) {
        if !text.chars().all(|c| c.is_ascii_digit() || c == ';') {
            return;
        }
        let params: Vec<usize> = if text.is_empty() {
            vec![]
        } else {
            text.split(';')
                .take(16)
                .map(|p| {
                    p.chars().fold(0, |n, d| {
                        (n * 10 + d.to_digit(10).unwrap() as usize).min(9999)
                    })
                })
                .collect()
        };
        let first = params.first().copied().unwrap_or(0);
        match command {
            'm' => self.sgr(&params),
            'J' if first == 2 => {
                self.grid = vec![vec![self.blank(); self.columns]; self.rows];
                self.margin = self.bg;
            }
            'H' => {
                let second = params.get(1).copied().unwrap_or(0);
                self.row = first.max(1).min(self.rows) - 1;
                self.column = second.max(1).min(self.columns) - 1;
                self.pending = false;
            }
            'C' => {
                self.column = (self.column + first.max(1)).min(self.columns - 1);
                self.pending = false;
            }
            'D' => {
                self.column = self.column.saturating_sub(first.max(1));
                self.pending = false;
            }
            'A' => {
                self.row = self.row.saturating_sub(first.max(1));
                self.pending = false;
            }
            'B' => {
                self.row = (self.row + first.max(1)).min(self.rows - 1);
                self.pending = false;
            }
            'J' if first == 0 => {
                for column in self.column..self.columns {
                    self.grid[self.row][column] = self.blank();
                }
                for row in self.row + 1..self.rows {
                    self.grid[row] = vec![self.blank(); self.columns];
                }
                self.pending = false;
            }
            'K' if first <= 2 => {
                let cells = match first {
                    0 => self.column..self.columns,
                    1 => 0..self.column + 1,
                    _ => 0..self.columns,
                };
                for column in cells {
                    self.grid[self.row][column] = self.blank();
                }
                self.pending = false;
            }
            _ => {}
        }
    }

    fn sgr(&mut self, params: &[usize]) {
        if params.is_empty() {
            self.sgr(&[0]);
        }
        let mut i = 0;
        while i < params.len() {
            match params[i] {
                0 => (self.ink, self.bold, self.bg) = (Ink::Fixed(DEFAULT_FG), false, DEFAULT_BG),
                1 => self.bold = true,
                22 => self.bold = false,
                p @ 30..=37 => self.ink = Ink::Basic(p - 30),
                39 => self.ink = Ink::Fixed(DEFAULT_FG),
                p @ 40..=47 => self.bg = PALETTE[p - 40],
                49 => self.bg = DEFAULT_BG,
                p @ 90..=97 => self.ink = Ink::Fixed(PALETTE[p - 82]),
                p @ 100..=107 => self.bg = PALETTE[p - 92],
                38 | 48 => match params.get(i + 1) {
                    Some(5) => i += 2,
                    Some(2) => i += 4,
                    _ => {}
                },
                _ => {}
            }
            i += 1;
        }
    }

    fn put(&mut self, c: char) {
        match c {
            '\n' => self.newline(),
            '\r' => (self.column, self.pending) = (0, false),
            '\t' => {
                // Blanks up to the next multiple of 8, not beyond the line.
                if self.pending {
                    self.newline();
                }
                let stop = (self.column / 8 + 1) * 8;
                while self.column < stop && !self.pending {
                    self.grid[self.row][self.column] = self.blank();
                    self.step_right();
                }
            }
            '\x08' => {
                self.column = self.column.saturating_sub(1);
                self.pending = false;
            }
            '\0'..='\x1f' | '\x7f' => {}
            c => {
                // C1 controls and combining marks take no cell, wide
                // characters two (when the console has two columns).
                let width = cellwidth::width(c).min(self.columns);
                if width == 0 {
                    return;
                }
                if self.pending || self.column + width > self.columns {
                    self.newline();
                }
                for half in 0..width {
                    self.grid[self.row][self.column + half] = Cell {
                        c: Some(c),
                        fg: self.fg(),
                        bg: self.bg,
                        half: if width == 2 { half as u8 + 1 } else { 0 },
                    };
                }
                if self.column + width < self.columns {
                    self.column += width;
                } else {
                    self.column = self.columns - 1;
                    self.pending = true;
                }
            }
        }
    }

    fn step_right(&mut self) {
        if self.column + 1 == self.columns {
            self.pending = true;
        } else {
            self.column += 1;
        }
    }

    fn newline(&mut self) {
        self.column = 0;
        self.pending = false;
        if self.row + 1 == self.rows {
            self.grid.remove(0);
            self.grid.push(vec![self.blank(); self.columns]);
        } else {
            self.row += 1;
        }
    }
}

/// The first difference between the screen and the model, if any.
fn difference(console: &Console, model: &Model) -> Option<String> {
    if console.cursor() != (model.column, model.row) {
        return Some(format!(
            "cursor {:?}, model {:?}",
            console.cursor(),
            (model.column, model.row)
        ));
    }
    let layout = console.layout();
    let buffer = console.buffer();
    for (row, cells) in model.grid.iter().enumerate() {
        for (column, cell) in cells.iter().enumerate() {
            let glyph = cell.c.map(raster);
            for dy in 0..CHAR_HEIGHT {
                for dx in 0..CHAR_WIDTH {
                    let coverage = match cell.half {
                        0 => glyph.map_or(0, |g| g[dy][dx]),
                        half => wide_box(dx + CHAR_WIDTH * usize::from(half - 1), dy),
                    };
                    let expected = stored(layout.format, blend(cell.fg, cell.bg, coverage));
                    let (x, y) = (column * CHAR_WIDTH + dx, row * CHAR_HEIGHT + dy);
                    if read_pixel(buffer, &layout, x, y) != expected {
                        return Some(format!("cell ({column}, {row}) should be {cell:?}"));
                    }
                }
            }
        }
    }
    margin_difference(buffer, &layout, model)
}

/// A wide character is drawn as a box: an outline one pixel inside its two
/// cells horizontally, two vertically. Full coverage on the outline.
fn wide_box(x: usize, y: usize) -> u8 {
    let (left, right) = (1, 2 * CHAR_WIDTH - 2);
    let (top, bottom) = (2, CHAR_HEIGHT - 3);
    let inside = (left..=right).contains(&x) && (top..=bottom).contains(&y);
    let edge = x == left || x == right || y == top || y == bottom;
    if inside && edge { 255 } else { 0 }
}

fn margin_difference(buffer: &[u8], layout: &Layout, model: &Model) -> Option<String> {
    let expected = stored(layout.format, model.margin);
    let (text_width, text_height) = (model.columns * CHAR_WIDTH, model.rows * CHAR_HEIGHT);
    for y in 0..layout.height {
        for x in 0..layout.width {
            let in_margin = x >= text_width || y >= text_height;
            if in_margin && read_pixel(buffer, layout, x, y) != expected {
                return Some(format!("margin pixel ({x}, {y})"));
            }
        }
    }
    None
}

/// Pieces random input is made of: they make escape sequences and control
/// characters likely; lone random bytes add invalid UTF-8 and anything else.
const PIECES: &[&str] = &[
    "\x1b", "\x1b[", "[", ";", "0", "1", "2", "3", "4", "5", "9", "10", "22", "38", "48", "m", "m",
    "J", "H", "A", "B", "C", "D", "K", "K", "?", " ", "a", "Z", "~", "\n", "\r", "\t", "\x08",
    "\x08", "\0", "\x07", "\x7f", "\u{e9}", "\u{85}", "\u{2603}", "中", "😀", "\u{301}",
];

/// SGR parameters worth trying, to build whole colour sequences from.
const SGR: &[&str] = &[
    "", "0", "1", "22", "30", "31", "33", "37", "39", "40", "42", "47", "49", "90", "94", "97",
    "100", "103", "107", "38", "48", "5", "2", "7",
];

fn random_sgr(rng: &mut Rng) -> String {
    let params: Vec<&str> = (0..rng.below(7))
        .map(|_| SGR[rng.below(SGR.len())])
        .collect();
    format!("\x1b[{}m", params.join(";"))
}

fn random_text(rng: &mut Rng) -> String {
    let mut bytes = Vec::new();
    for _ in 0..rng.below(24) {
        match rng.below(8) {
            0 => bytes.push(rng.next() as u8),
            1 => bytes.extend_from_slice(random_sgr(rng).as_bytes()),
            _ => bytes.extend_from_slice(PIECES[rng.below(PIECES.len())].as_bytes()),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Writes `text` in one piece, or split at a random character boundary (which
/// may fall in the middle of an escape sequence).
fn write_split(console: &mut Console, text: &str, rng: &mut Rng) {
    let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    match boundaries.len() {
        0 => console.write_str(text),
        n => {
            let (first, second) = text.split_at(boundaries[rng.below(n)]);
            console.write_str(first);
            console.write_str(second);
        }
    }
}

fn run(seed: u64, columns: usize, rows: usize, format: PixelFormat, bytes_per_pixel: usize) {
    let layout = layout(columns, rows, format, bytes_per_pixel, 3, 2);
    let mut memory = memory(&layout);
    let mut console = Console::new(&mut memory, layout).unwrap();
    let mut model = Model::new(columns, rows);
    let mut rng = Rng(seed);
    for step in 0..2500 {
        match rng.below(50) {
            0 => {
                console.clear();
                model.clear();
            }
            1 => {
                let (fg, bg) = (random_color(&mut rng), random_color(&mut rng));
                console.set_colors(fg, bg);
                (model.ink, model.bg) = (Ink::Fixed(fg), bg);
            }
            _ => {
                let text = random_text(&mut rng);
                write_split(&mut console, &text, &mut rng);
                text.chars().for_each(|c| model.feed(c));
                let (column, row) = console.cursor();
                assert!(
                    column < columns && row < rows,
                    "cursor left the grid after {text:?}"
                );
                if let Some(problem) = difference(&console, &model) {
                    panic!("seed {seed}, step {step}, after {text:?}: {problem}");
                }
            }
        }
    }
    let buffer = console.buffer();
    assert!(common::invisible_bytes(&layout, buffer.len()).all(|i| buffer[i] == JUNK));
}

#[test]
fn random_input_on_a_tiny_console() {
    run(0x9e37_79b9_7f4a_7c15, 3, 2, PixelFormat::Bgr, 4);
}

#[test]
fn random_input_on_a_small_console() {
    run(0x2545_f491_4f6c_dd1d, 10, 4, PixelFormat::Rgb, 3);
}

#[test]
fn random_input_on_a_gray_console() {
    run(0x1234_5678_9abc_def1, 10, 4, PixelFormat::Gray, 1);
}
