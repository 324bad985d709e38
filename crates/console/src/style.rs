//! Colours: the default pair, the 16-colour ANSI palette, and SGR.
//!
//! "Select Graphic Rendition" (`ESC [ ... m`) is how programs colour terminal
//! text. Each parameter is a small command: `31` red text, `44` blue background,
//! `1` bold, `0` back to normal, and so on. Like many terminals we show "bold" as
//! the bright variant of the eight basic text colours, because our font has only
//! one weight. Bold changes the colour of text already selected, too: `ESC[31;1m`
//! and `ESC[1;31m` both give bright red.

use crate::pixel::Color;

/// Text colour of a fresh console: a soft light grey.
pub const DEFAULT_FG: Color = Color::new(0xd0, 0xd0, 0xd0);
/// Background of a fresh console: near-black with a hint of blue.
pub const DEFAULT_BG: Color = Color::new(0x10, 0x12, 0x1a);

/// The classic VGA text-mode colours: black, red, green, yellow (brown), blue,
/// magenta, cyan, white, then the bright variant of each, in ANSI order.
pub const PALETTE: [Color; 16] = [
    Color::new(0x00, 0x00, 0x00),
    Color::new(0xaa, 0x00, 0x00),
    Color::new(0x00, 0xaa, 0x00),
    Color::new(0xaa, 0x55, 0x00),
    Color::new(0x00, 0x00, 0xaa),
    Color::new(0xaa, 0x00, 0xaa),
    Color::new(0x00, 0xaa, 0xaa),
    Color::new(0xaa, 0xaa, 0xaa),
    Color::new(0x55, 0x55, 0x55),
    Color::new(0xff, 0x55, 0x55),
    Color::new(0x55, 0xff, 0x55),
    Color::new(0xff, 0xff, 0x55),
    Color::new(0x55, 0x55, 0xff),
    Color::new(0xff, 0x55, 0xff),
    Color::new(0x55, 0xff, 0xff),
    Color::new(0xff, 0xff, 0xff),
];

/// Where the text colour comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ink {
    /// Exactly this colour.
    Fixed(Color),
    /// One of the eight basic colours (0..8), brightened while bold is on.
    Basic(usize),
}

/// The current text colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Style {
    ink: Ink,
    bg: Color,
    bold: bool,
}

impl Style {
    pub(crate) const DEFAULT: Style = Style {
        ink: Ink::Fixed(DEFAULT_FG),
        bg: DEFAULT_BG,
        bold: false,
    };

    /// The colour to draw text in.
    pub(crate) fn fg(&self) -> Color {
        match self.ink {
            Ink::Fixed(color) => color,
            Ink::Basic(index) if self.bold => PALETTE[index + 8],
            Ink::Basic(index) => PALETTE[index],
        }
    }

    pub(crate) fn bg(&self) -> Color {
        self.bg
    }

    /// Uses exactly these colours from now on.
    pub(crate) fn set(&mut self, fg: Color, bg: Color) {
        self.ink = Ink::Fixed(fg);
        self.bg = bg;
    }

    /// Carries out the parameters of one SGR sequence, left to right. No
    /// parameters at all means the same as a single 0 (reset).
    pub(crate) fn apply_sgr(&mut self, params: &[u16]) {
        if params.is_empty() {
            *self = Style::DEFAULT;
        }
        let mut rest = params;
        while let Some((&param, tail)) = rest.split_first() {
            rest = tail;
            match param {
                // Extended colours, `38;5;n` or `38;2;r;g;b` (and 48 for the
                // background): not supported, but their numbers must not be
                // mistaken for other commands.
                38 | 48 => rest = skip_extended_color(rest),
                _ => self.apply_one(param),
            }
        }
    }

    fn apply_one(&mut self, param: u16) {
        let param = usize::from(param);
        match param {
            0 => *self = Style::DEFAULT,
            1 => self.bold = true,
            22 => self.bold = false,
            30..=37 => self.ink = Ink::Basic(param - 30),
            39 => self.ink = Ink::Fixed(DEFAULT_FG),
            40..=47 => self.bg = PALETTE[param - 40],
            49 => self.bg = DEFAULT_BG,
            90..=97 => self.ink = Ink::Fixed(PALETTE[param - 90 + 8]),
            100..=107 => self.bg = PALETTE[param - 100 + 8],
            _ => {}
        }
    }
}

/// The parameters after the sub-parameters of a `38`/`48` colour.
fn skip_extended_color(params: &[u16]) -> &[u16] {
    let skip = match params.first() {
        Some(5) => 2,
        Some(2) => 4,
        _ => 0,
    };
    params.get(skip..).unwrap_or(&[])
}
