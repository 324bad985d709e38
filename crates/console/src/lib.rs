//! A text console drawn into a linear framebuffer.
//!
//! # The framebuffer
//!
//! Once firmware has set a graphics mode, the screen is just memory: a *linear
//! framebuffer*. Row 0 comes first, then row 1, and so on; within a row, pixels go
//! left to right, each [`Layout::bytes_per_pixel`] bytes long in the byte order
//! given by its [`PixelFormat`]. A row may occupy more memory than the visible
//! [`Layout::width`]: the distance from one row to the next is the
//! [`Layout::stride`] (in pixels), so pixel (x, y) starts at byte
//! `(y * stride + x) * bytes_per_pixel`. Writing bytes there changes what is on
//! the screen; this crate never touches the invisible bytes between `width` and
//! `stride`.
//!
//! # Text
//!
//! The screen is divided into a grid of [`CHAR_WIDTH`] x [`CHAR_HEIGHT`] pixel
//! cells, [`Console::columns`] wide and [`Console::rows`] high; pixels left over at
//! the right and bottom edges are never part of a cell and keep the background
//! colour of the last full clear. The font gives, for each character, how much of
//! each pixel of its cell the letter covers (0 to 255), and a pixel is painted
//! `(fg * coverage + bg * (255 - coverage)) / 255`, per colour channel. This
//! "anti-aliasing" makes the letters look smooth (see the `font` module).
//!
//! # The cursor and scrolling
//!
//! The cursor is the cell where the next character goes. After each character it
//! moves right; `'\n'` moves it to the start of the next row. When it is already
//! on the bottom row, the whole text area *scrolls*: every pixel row moves up by
//! one character height (a fast memory copy) and the freed bottom row is painted
//! with the background colour.
//!
//! Writing into the last column does not move the cursor off the grid. Instead a
//! *wrap is pending*: the cursor stays on that last cell, and only when another
//! character arrives does it first move to the start of the next line. So a line
//! that exactly fills the width, followed by `'\n'`, does not leave an empty line.
//! The invariant, true after every call: the cursor is inside the grid
//! (`column < columns()`, `row < rows()`).
//!
//! # Control characters and escape sequences
//!
//! `'\n'`, `'\r'`, `'\t'` (tab stops every 8 columns) and backspace (`'\x08'`)
//! move the cursor; other control characters are ignored. ANSI escape sequences
//! (see the `escape` and `style` modules) set colours (`ESC [ ... m`), clear the
//! screen (`ESC [ 2 J`) and move the cursor (`ESC [ row ; column H`, 1-based; no
//! parameters means the top-left corner), so that the kernel can send the very
//! same text to a serial terminal and to this console.
//!
//! A line editor (see `crates/shell`) redraws its line with a few more, and they
//! behave as on a VT100, never scrolling:
//!
//! * backspace `'\x08'` moves one column left *without* erasing (at column 0 it
//!   does nothing);
//! * `ESC [ n C` and `ESC [ n D` move `n` columns right or left, `ESC [ n A`
//!   and `ESC [ n B` `n` rows up or down (0 or no parameter counts as 1),
//!   stopping at the edges of the screen;
//! * `ESC [ K` (or `ESC [ 0 K`) erases from the cursor to the end of the row,
//!   `ESC [ 1 K` from the start of the row to the cursor, `ESC [ 2 K` the whole
//!   row; `ESC [ J` (or `ESC [ 0 J`) from the cursor to the end of the screen;
//!   all in the current background colour, and the cursor stays.
//!
//! Each of these also cancels a pending wrap: the cursor is then taken to be on
//! the last column, where it is drawn.
//!
//! # Wide characters
//!
//! A terminal gives East Asian wide characters and emoji two cells, and
//! combining marks none (the `cellwidth` crate says which are which). Our font
//! has neither, so a wide character is drawn as a box over two cells, and a
//! zero-width one is not drawn at all; a wide character that does not fit into
//! the rest of the row goes to the next one. The cursor moves as a terminal's
//! would, so that text after them lands where a line editor expects it.
//!
//! # The visible cursor
//!
//! With [`Console::set_cursor_visible`], the cursor cell is marked by an
//! underline: its bottom [`CURSOR_HEIGHT`] pixel rows are *inverted* (each
//! colour channel becomes 255 minus itself). Inverting twice gives back the
//! very same pixels, so the console can take the mark away before it draws
//! anything (no need to remember what was under it) and put it back at the new
//! place when a write is done.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod escape;
mod font;
mod pixel;
mod style;
mod surface;

pub use font::{CHAR_HEIGHT, CHAR_WIDTH};
pub use pixel::{Color, Layout, LayoutError, PixelFormat, read_pixel};
pub use style::{DEFAULT_BG, DEFAULT_FG, PALETTE};

use escape::{Action, Csi, Parser};
use font::Shades;
use style::Style;
use surface::Surface;

/// Distance between tab stops, in columns.
const TAB_WIDTH: usize = 8;

/// How many pixel rows at the bottom of the cursor cell the cursor inverts.
pub const CURSOR_HEIGHT: usize = 2;

/// A text console that draws into a framebuffer it borrows for its lifetime.
pub struct Console<'a> {
    surface: Surface<'a>,
    columns: usize,
    rows: usize,
    column: usize,
    row: usize,
    /// The last column has been written; the next character starts a new line.
    wrap_pending: bool,
    style: Style,
    parser: Parser,
    shades: Shades,
    /// Whether to show the cursor, and the cell whose underline is inverted
    /// now, if any.
    cursor_visible: bool,
    cursor_drawn: Option<(usize, usize)>,
}

impl<'a> Console<'a> {
    /// Checks that `layout` fits `buffer`, then clears the screen to
    /// [`DEFAULT_BG`] and puts the cursor in the top-left corner.
    pub fn new(buffer: &'a mut [u8], layout: Layout) -> Result<Self, LayoutError> {
        layout.validate(buffer.len())?;
        let style = Style::DEFAULT;
        let mut console = Console {
            surface: Surface::new(buffer, layout),
            columns: layout.width / CHAR_WIDTH,
            rows: layout.height / CHAR_HEIGHT,
            column: 0,
            row: 0,
            wrap_pending: false,
            style,
            parser: Parser::new(),
            shades: Shades::new(layout.format, style.fg(), style.bg()),
            cursor_visible: false,
            cursor_drawn: None,
        };
        console.clear();
        Ok(console)
    }

    /// The framebuffer layout this console draws into.
    pub fn layout(&self) -> Layout {
        self.surface.layout()
    }

    /// The framebuffer bytes as drawn so far (for tests and screenshots; use
    /// with [`read_pixel`]).
    pub fn buffer(&self) -> &[u8] {
        self.surface.buffer()
    }

    /// Number of character cells per row.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Number of rows of character cells.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The cursor cell as (column, row), counted from 0 at the top left.
    pub fn cursor(&self) -> (usize, usize) {
        (self.column, self.row)
    }

    /// Paints the whole screen in the current background colour and moves the
    /// cursor to the top-left corner.
    pub fn clear(&mut self) {
        self.hide_cursor();
        self.erase_screen();
        self.move_to(0, 0);
        self.show_cursor();
    }

    /// Shows or hides the cursor (an underline; hidden at first).
    pub fn set_cursor_visible(&mut self, visible: bool) {
        self.hide_cursor();
        self.cursor_visible = visible;
        self.show_cursor();
    }

    /// Marks the cursor cell, if the cursor is visible.
    fn show_cursor(&mut self) {
        if self.cursor_visible && self.cursor_drawn.is_none() {
            self.invert_underline(self.column, self.row);
            self.cursor_drawn = Some((self.column, self.row));
        }
    }

    /// Takes the cursor mark away, if it is drawn.
    fn hide_cursor(&mut self) {
        if let Some((column, row)) = self.cursor_drawn.take() {
            self.invert_underline(column, row);
        }
    }

    fn invert_underline(&mut self, column: usize, row: usize) {
        let x = column * CHAR_WIDTH;
        let y = (row + 1) * CHAR_HEIGHT - CURSOR_HEIGHT;
        self.surface.invert_rect(x, y, CHAR_WIDTH, CURSOR_HEIGHT);
    }

    /// Draws the following text in `fg` on `bg` (until changed again, also by
    /// an escape sequence).
    pub fn set_colors(&mut self, fg: Color, bg: Color) {
        self.style.set(fg, bg);
    }

    /// Writes text: printable characters, control characters and escape
    /// sequences alike. Never fails or panics, whatever `s` holds.
    pub fn write_str(&mut self, s: &str) {
        self.hide_cursor();
        for c in s.chars() {
            self.interpret(c);
        }
        self.show_cursor();
    }

    /// Writes one character (see [`Console::write_str`]).
    pub fn write_char(&mut self, c: char) {
        self.hide_cursor();
        self.interpret(c);
        self.show_cursor();
    }

    /// Carries out one character, the cursor mark not drawn.
    fn interpret(&mut self, c: char) {
        match self.parser.advance(c) {
            Action::None => {}
            Action::Char(c) => self.put(c),
            Action::Csi(csi) => self.execute(&csi),
        }
    }

    /// Handles a character that is not part of an escape sequence.
    fn put(&mut self, c: char) {
        match c {
            '\n' => self.new_line(),
            '\r' => self.move_to(0, self.row),
            '\t' => self.tab(),
            '\x08' => self.move_left(1),
            // Every other C0 control character, and DEL.
            c if c.is_ascii_control() => {}
            c => self.print(c),
        }
    }

    fn print(&mut self, c: char) {
        let width = cellwidth::width(c).min(self.columns);
        if width == 0 {
            return; // a combining mark: we cannot draw it over its base
        }
        self.take_pending_wrap();
        if self.column + width > self.columns {
            self.new_line();
        }
        match width {
            1 => self.draw(c),
            _ => self.draw_box(width),
        }
        if self.column + width < self.columns {
            self.column += width;
        } else {
            self.column = self.columns - 1;
            self.wrap_pending = true;
        }
    }

    /// Carries out a wrap that the previous character left pending.
    fn take_pending_wrap(&mut self) {
        if self.wrap_pending {
            self.new_line();
        }
    }

    fn new_line(&mut self) {
        if self.row + 1 < self.rows {
            self.move_to(0, self.row + 1);
        } else {
            self.scroll();
            self.move_to(0, self.row);
        }
    }

    /// Blanks cells up to the next tab stop, stopping at the end of the line.
    fn tab(&mut self) {
        self.take_pending_wrap();
        let stop = (self.column / TAB_WIDTH + 1) * TAB_WIDTH;
        let end = stop.min(self.columns);
        self.erase_cells(self.column, end - self.column);
        if end == self.columns {
            self.column = self.columns - 1;
            self.wrap_pending = true;
        } else {
            self.column = end;
        }
    }

    /// Moves `n` columns left, stopping at column 0.
    fn move_left(&mut self, n: usize) {
        self.move_to(self.column.saturating_sub(n), self.row);
    }

    /// Moves `n` columns right, stopping at the last column.
    fn move_right(&mut self, n: usize) {
        let column = self.column.saturating_add(n).min(self.columns - 1);
        self.move_to(column, self.row);
    }

    /// Moves `n` rows up, stopping at the top row.
    fn move_up(&mut self, n: usize) {
        self.move_to(self.column, self.row.saturating_sub(n));
    }

    /// Moves `n` rows down, stopping at the bottom row (never scrolling).
    fn move_down(&mut self, n: usize) {
        let row = self.row.saturating_add(n).min(self.rows - 1);
        self.move_to(self.column, row);
    }

    /// `ESC [ J`: erases from the cursor to the end of the screen (the rest
    /// of the cursor row and every row below); the cursor stays.
    fn erase_below(&mut self) {
        self.erase_in_line(0);
        let pixel = self.background_pixel();
        let top = (self.row + 1) * CHAR_HEIGHT;
        let height = self.rows * CHAR_HEIGHT - top;
        self.surface
            .fill_rect(0, top, self.columns * CHAR_WIDTH, height, pixel);
    }

    /// `ESC [ mode K`: erases part of the cursor row; the cursor stays.
    fn erase_in_line(&mut self, mode: u16) {
        let (start, end) = match mode {
            0 => (self.column, self.columns),
            1 => (0, self.column + 1),
            2 => (0, self.columns),
            _ => return,
        };
        self.erase_cells(start, end - start);
        self.wrap_pending = false;
    }

    fn move_to(&mut self, column: usize, row: usize) {
        self.column = column;
        self.row = row;
        self.wrap_pending = false;
    }

    fn execute(&mut self, csi: &Csi) {
        match csi.command() {
            'm' => self.style.apply_sgr(csi.params()),
            'J' if csi.param(0) == 2 => self.erase_screen(),
            'J' if csi.param(0) == 0 => self.erase_below(),
            'H' => self.move_to_1_based(csi.param(1), csi.param(0)),
            'A' => self.move_up(count(csi.param(0))),
            'B' => self.move_down(count(csi.param(0))),
            'C' => self.move_right(count(csi.param(0))),
            'D' => self.move_left(count(csi.param(0))),
            'K' => self.erase_in_line(csi.param(0)),
            _ => {}
        }
    }

    /// Moves to a 1-based position as terminals count it (0 counts as 1),
    /// staying inside the grid.
    fn move_to_1_based(&mut self, column: u16, row: u16) {
        let index = |n: u16, count: usize| usize::from(n.max(1) - 1).min(count - 1);
        self.move_to(index(column, self.columns), index(row, self.rows));
    }

    /// Draws `c` into the cursor cell.
    fn draw(&mut self, c: char) {
        let (x, y) = (self.column * CHAR_WIDTH, self.row * CHAR_HEIGHT);
        match font::glyph(c) {
            Some(raster) => {
                let shades = self.shades.table(self.style.fg(), self.style.bg());
                self.surface.draw_glyph(x, y, raster, shades);
            }
            None => self.erase_cells(self.column, 1),
        }
    }

    /// Draws a character the font lacks and that takes `width` cells from the
    /// cursor on: a box (an outline one pixel inside the cells).
    fn draw_box(&mut self, width: usize) {
        self.erase_cells(self.column, width);
        let pixel = self.layout().format.encode(self.style.fg());
        let (x, y) = (self.column * CHAR_WIDTH + 1, self.row * CHAR_HEIGHT + 2);
        let (w, h) = (width * CHAR_WIDTH - 2, CHAR_HEIGHT - 4);
        self.surface.fill_rect(x, y, w, 1, pixel);
        self.surface.fill_rect(x, y + h - 1, w, 1, pixel);
        self.surface.fill_rect(x, y, 1, h, pixel);
        self.surface.fill_rect(x + w - 1, y, 1, h, pixel);
    }

    /// Paints `count` cells of the cursor row, from `column` on, as background.
    fn erase_cells(&mut self, column: usize, count: usize) {
        let pixel = self.background_pixel();
        let (x, y) = (column * CHAR_WIDTH, self.row * CHAR_HEIGHT);
        self.surface
            .fill_rect(x, y, count * CHAR_WIDTH, CHAR_HEIGHT, pixel);
    }

    /// Paints every pixel of the screen, margins included, as background.
    fn erase_screen(&mut self) {
        let pixel = self.background_pixel();
        let Layout { width, height, .. } = self.layout();
        self.surface.fill_rect(0, 0, width, height, pixel);
    }

    /// Moves all text rows up by one and blanks the bottom row.
    fn scroll(&mut self) {
        let width = self.columns * CHAR_WIDTH;
        let height = self.rows * CHAR_HEIGHT;
        self.surface.move_up(width, height, CHAR_HEIGHT);
        let pixel = self.background_pixel();
        self.surface
            .fill_rect(0, height - CHAR_HEIGHT, width, CHAR_HEIGHT, pixel);
    }

    fn background_pixel(&self) -> pixel::Pixel {
        self.layout().format.encode(self.style.bg())
    }
}

/// A repeat count parameter, where 0 (or none) means 1.
fn count(param: u16) -> usize {
    usize::from(param.max(1))
}

impl core::fmt::Write for Console<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        Console::write_str(self, s);
        Ok(())
    }

    fn write_char(&mut self, c: char) -> core::fmt::Result {
        Console::write_char(self, c);
        Ok(())
    }
}
