//! Random input: arbitrary bytes must never break the editor, and random key
//! presses must do what a simple model of the editing rules says, with the
//! model terminal always showing the editor's line (checked by [`Session`]).

mod common;

use common::{Rng, Session};
use shell::{HISTORY_CAPACITY, LINE_CAPACITY};

/// Byte pieces that make escape sequences, UTF-8 and line ends likely.
const PIECES: &[&[u8]] = &[
    b"\x1b",
    b"\x1b[",
    b"\x1bO",
    b"[",
    b"1",
    b"3",
    b"4",
    b"~",
    b";",
    b"A",
    b"B",
    b"C",
    b"D",
    b"H",
    b"F",
    b"\r",
    b"\n",
    b"\x7f",
    b"\x08",
    b"\x03",
    b"\x15",
    b"a",
    b" ",
    b"\xc3",
    b"\xa9",
    b"\xe4\xb8",
    b"\xad",
    b"\xf0\x9f\x98",
    b"\x80",
];

#[test]
fn arbitrary_bytes_never_break_the_editor() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut session = Session::new();
    let (mut fed, mut longest) = (0, 0);
    while fed < 300_000 {
        let mut chunk = Vec::new();
        // Now and then a long run of printable ASCII, to fill the line.
        if rng.below(20) == 0 {
            chunk.extend((0..300).map(|_| b' ' + rng.below(95) as u8));
        }
        for _ in 0..rng.below(64) {
            match rng.below(3) {
                0 => chunk.push(rng.next() as u8),
                // Mostly printable ASCII, so that lines fill up.
                1 => chunk.push(b' ' + rng.below(95) as u8),
                _ => chunk.extend_from_slice(PIECES[rng.below(PIECES.len())]),
            }
        }
        // Session checks the screen after every byte.
        session.type_bytes(&chunk);
        fed += chunk.len();
        let (line, cursor) = (session.editor.line(), session.editor.cursor());
        assert!(line.len() <= LINE_CAPACITY);
        longest = longest.max(line.len());
        assert!(line.is_char_boundary(cursor) && cursor <= line.len());
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(session.editor.history().count() <= HISTORY_CAPACITY);
    }
    // The input did exercise the interesting cases.
    assert!(
        session
            .submitted
            .iter()
            .any(|l| l.len() > LINE_CAPACITY - 4)
    );
    assert!(session.submitted.iter().any(|l| !l.is_ascii()));
    assert!(session.cancelled > 100);
    assert_eq!(session.editor.history().count(), HISTORY_CAPACITY);
}

/// The editing rules, written again in the simplest way: a vector of
/// characters with a cursor index, and a vector of history lines.
#[derive(Default)]
struct Model {
    chars: Vec<char>,
    cursor: usize,
    history: Vec<String>,
    browsing: Option<usize>,
    draft: Vec<char>,
    /// A key was refused because the line was full: Enter rejects the line.
    refused: bool,
}

impl Model {
    fn line(&self) -> String {
        self.chars.iter().collect()
    }

    fn show(&mut self, chars: Vec<char>) {
        self.refused = false;
        self.cursor = chars.len();
        self.chars = chars;
    }

    fn press(&mut self, key: &str) {
        let n = self.chars.len();
        match key {
            "\x7f" | "\x08" if self.cursor > 0 => {
                self.cursor -= 1;
                self.chars.remove(self.cursor);
            }
            "\x1b[3~" if self.cursor < n => {
                self.chars.remove(self.cursor);
            }
            "\x1b[D" => self.cursor = self.cursor.saturating_sub(1),
            "\x1b[C" => self.cursor = (self.cursor + 1).min(n),
            "\x1b[H" | "\x1b[1~" => self.cursor = 0,
            "\x1b[F" | "\x1b[4~" => self.cursor = n,
            "\x1b[A" => {
                let index = match self.browsing {
                    None if !self.history.is_empty() => {
                        self.draft = self.chars.clone();
                        self.history.len() - 1
                    }
                    Some(i) if i > 0 => i - 1,
                    _ => return,
                };
                self.browsing = Some(index);
                self.show(self.history[index].chars().collect());
            }
            "\x1b[B" => match self.browsing {
                Some(i) if i + 1 < self.history.len() => {
                    self.browsing = Some(i + 1);
                    self.show(self.history[i + 1].chars().collect());
                }
                Some(_) => {
                    self.browsing = None;
                    let draft = std::mem::take(&mut self.draft);
                    self.show(draft);
                }
                None => {}
            },
            "\x15" => self.show(Vec::new()),
            "\r" | "\n" | "\r\n" | "\x03" => {
                let line = self.line();
                let repeat = self.history.last() == Some(&line);
                if key != "\x03" && !line.is_empty() && !repeat && !self.refused {
                    if self.history.len() == HISTORY_CAPACITY {
                        self.history.remove(0);
                    }
                    self.history.push(line);
                }
                (self.browsing, self.draft) = (None, Vec::new());
                self.show(Vec::new());
            }
            key => {
                let c = key.chars().next().unwrap();
                if key.chars().count() != 1 || c.is_control() {
                    return;
                }
                if self.line().len() + c.len_utf8() <= LINE_CAPACITY {
                    self.chars.insert(self.cursor, c);
                    self.cursor += 1;
                } else {
                    self.refused = true;
                }
            }
        }
    }
}

/// Keys and how often to press them (out of the sum).
const KEYS: &[(&str, usize)] = &[
    ("a", 10),
    ("Z", 5),
    (" ", 5),
    ("~", 2),
    ("é", 5),
    ("ü", 5),
    ("中", 5),
    ("😀", 2),
    ("\u{301}", 2),
    ("\x7f", 6),
    ("\x08", 2),
    ("\x1b[3~", 6),
    ("\x1b[D", 8),
    ("\x1b[C", 6),
    ("\x1b[H", 2),
    ("\x1b[F", 2),
    ("\x1b[1~", 1),
    ("\x1b[4~", 1),
    ("\x1b[A", 5),
    ("\x1b[B", 4),
    ("\x15", 1),
    ("\r", 2),
    ("\n", 1),
    ("\r\n", 1),
    ("\x03", 1),
];

fn random_key(rng: &mut Rng) -> &'static str {
    let total: usize = KEYS.iter().map(|(_, weight)| weight).sum();
    let mut pick = rng.below(total);
    for (key, weight) in KEYS {
        if pick < *weight {
            return key;
        }
        pick -= weight;
    }
    unreachable!()
}

/// Presses random keys on a terminal `width` columns wide, comparing the
/// editor with the model after each (and [`Session`] checks the screen).
fn run_keys(seed: u64, presses: usize, burst: usize, width: usize) {
    let mut rng = Rng(seed);
    let mut session = Session::with_width(width);
    let mut model = Model::default();
    for step in 0..presses {
        let key = random_key(&mut rng);
        // Sometimes a long run of one key, to fill the line or the history.
        let times = if rng.below(20) == 0 {
            rng.below(burst)
        } else {
            1
        };
        for _ in 0..times {
            session.type_str(key);
            model.press(key);
            let finished = matches!(key, "\r" | "\n" | "\r\n");
            if !finished {
                let cursor = session.editor.cursor();
                let line = session.editor.line();
                let context = format!("seed {seed}, step {step}, key {key:?}");
                assert_eq!(line, model.line(), "{context}");
                assert_eq!(line[..cursor].chars().count(), model.cursor, "{context}");
            }
        }
        let history: Vec<&str> = session.editor.history().collect();
        assert_eq!(history, model.history, "seed {seed}, step {step}");
    }
}

#[test]
fn random_keys_follow_the_model() {
    run_keys(0x2545_f491_4f6c_dd1d, 30_000, 40, common::WIDTH);
}

#[test]
fn long_lines_and_a_full_history_follow_the_model() {
    run_keys(0x1234_5678_9abc_def1, 12_000, 300, common::WIDTH);
}

/// Lines over many rows: an odd width, so that wide characters meet the
/// edge, and a width that lines fill exactly.
#[test]
fn lines_wider_than_the_terminal_follow_the_model() {
    run_keys(0x0bad_cafe_f00d_5eed, 12_000, 120, 13);
    run_keys(0x5eed_0bad_cafe_f00d, 12_000, 120, 16);
}
