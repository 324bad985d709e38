//! How many terminal columns a character takes.
//!
//! A terminal lays text out in a grid of *cells*. Most characters take one
//! cell, but not all:
//!
//! * East Asian *wide* and *fullwidth* characters (Chinese, Japanese and Korean
//!   ideographs and syllables, fullwidth Latin letters such as `Ａ`) and most
//!   emoji take **two** cells, as they do in their home scripts' typography;
//! * *combining marks* (the accent in `e` + U+0301, variation selectors) and
//!   zero-width spaces take **none**: they modify the cell before them.
//!
//! A line editor must know this to put the cursor where the terminal will
//! draw it, and the framebuffer console to draw text where a terminal would.
//! Unicode publishes the full classification (UAX #11, East Asian Width);
//! this crate keeps only a small table of the big ranges, sorted so that a
//! binary search finds a character's range. Characters in no range take one
//! cell. The table is deliberately short: rare scripts with their own
//! combining marks (Devanagari, Thai, ...) are counted one cell per character,
//! which is wrong by a column here and there but never breaks anything.
#![no_std]
#![forbid(unsafe_code)]

/// Ranges of characters that take no cell (combining marks, zero-width
/// characters), sorted and not overlapping.
const ZERO: &[(u32, u32)] = &[
    (0x0300, 0x036F),   // combining diacritical marks
    (0x0483, 0x0489),   // Cyrillic combining marks
    (0x0591, 0x05BD),   // Hebrew points
    (0x0610, 0x061A),   // Arabic marks
    (0x064B, 0x065F),   // Arabic vowel marks
    (0x1AB0, 0x1AFF),   // combining diacritical marks extended
    (0x1DC0, 0x1DFF),   // combining diacritical marks supplement
    (0x200B, 0x200F),   // zero-width space, joiners, direction marks
    (0x20D0, 0x20FF),   // combining marks for symbols
    (0xFE00, 0xFE0F),   // variation selectors
    (0xFE20, 0xFE2F),   // combining half marks
    (0xE0100, 0xE01EF), // variation selectors supplement
];

/// Ranges of characters that take two cells (East Asian Wide and Fullwidth,
/// and the emoji blocks), sorted and not overlapping.
const WIDE: &[(u32, u32)] = &[
    (0x1100, 0x115F),   // Hangul Jamo leading consonants
    (0x231A, 0x231B),   // watch, hourglass
    (0x23E9, 0x23EC),   // fast-forward and friends
    (0x23F0, 0x23F0),   // alarm clock
    (0x23F3, 0x23F3),   // hourglass with flowing sand
    (0x25FD, 0x25FE),   // medium small squares
    (0x2614, 0x2615),   // umbrella with rain, hot beverage
    (0x2648, 0x2653),   // zodiac signs
    (0x26A1, 0x26A1),   // high voltage
    (0x26BD, 0x26BE),   // soccer ball, baseball
    (0x26C4, 0x26C5),   // snowman, sun behind cloud
    (0x26D4, 0x26D4),   // no entry
    (0x26EA, 0x26EA),   // church
    (0x26F2, 0x26F5),   // fountain ... sailboat
    (0x26FA, 0x26FA),   // tent
    (0x26FD, 0x26FD),   // fuel pump
    (0x2705, 0x2705),   // check mark button
    (0x270A, 0x270B),   // raised fist, raised hand
    (0x2728, 0x2728),   // sparkles
    (0x274C, 0x274C),   // cross mark
    (0x2753, 0x2755),   // question and exclamation marks
    (0x2757, 0x2757),   // heavy exclamation mark
    (0x2795, 0x2797),   // heavy plus, minus, division
    (0x27B0, 0x27B0),   // curly loop
    (0x27BF, 0x27BF),   // double curly loop
    (0x2B1B, 0x2B1C),   // large squares
    (0x2B50, 0x2B50),   // star
    (0x2B55, 0x2B55),   // heavy large circle
    (0x2E80, 0x303E),   // CJK radicals, symbols and punctuation
    (0x3041, 0x33FF),   // kana, bopomofo, Hangul compatibility, CJK compatibility
    (0x3400, 0x4DBF),   // CJK unified ideographs extension A
    (0x4E00, 0x9FFF),   // CJK unified ideographs
    (0xA000, 0xA4CF),   // Yi
    (0xA960, 0xA97F),   // Hangul Jamo extended A
    (0xAC00, 0xD7A3),   // Hangul syllables
    (0xF900, 0xFAFF),   // CJK compatibility ideographs
    (0xFE10, 0xFE19),   // vertical forms
    (0xFE30, 0xFE6F),   // CJK compatibility forms, small form variants
    (0xFF00, 0xFF60),   // fullwidth forms
    (0xFFE0, 0xFFE6),   // fullwidth signs
    (0x16FE0, 0x16FE4), // ideographic symbols
    (0x17000, 0x18CFF), // Tangut
    (0x1B000, 0x1B2FF), // kana supplement and extensions, Nushu
    (0x1F004, 0x1F004), // mahjong red dragon
    (0x1F0CF, 0x1F0CF), // joker
    (0x1F18E, 0x1F18E), // AB button
    (0x1F191, 0x1F19A), // squared CL ... VS
    (0x1F200, 0x1F2FF), // enclosed ideographic supplement
    (0x1F300, 0x1F64F), // pictographs, emoticons
    (0x1F680, 0x1F6FF), // transport and map symbols
    (0x1F7E0, 0x1F7EB), // large coloured circles and squares
    (0x1F90C, 0x1F9FF), // supplemental symbols and pictographs
    (0x1FA70, 0x1FAFF), // symbols and pictographs extended A
    (0x20000, 0x2FFFD), // CJK unified ideographs extensions B-F
    (0x30000, 0x3FFFD), // CJK unified ideographs extension G and later
];

/// The number of terminal cells `c` takes: 0, 1 or 2 (see the crate
/// documentation). Control characters count 0: they are not drawn.
pub fn width(c: char) -> usize {
    let code = u32::from(c);
    if c.is_control() || within(ZERO, code) {
        0
    } else if within(WIDE, code) {
        2
    } else {
        1
    }
}

/// The number of cells `s` takes: the sum of its characters' widths.
pub fn str_width(s: &str) -> usize {
    s.chars().map(width).sum()
}

/// Whether `code` lies in one of the sorted, disjoint `ranges`.
fn within(ranges: &[(u32, u32)], code: u32) -> bool {
    ranges
        .binary_search_by(|&(first, last)| {
            if last < code {
                core::cmp::Ordering::Less
            } else if first > code {
                core::cmp::Ordering::Greater
            } else {
                core::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples() {
        for (c, cells) in [
            ('a', 1),
            ('é', 1),
            ('Ω', 1),
            ('\u{301}', 0),  // combining acute accent
            ('\u{200B}', 0), // zero-width space
            ('\u{FE0F}', 0), // emoji presentation selector
            ('中', 2),
            ('あ', 2),
            ('한', 2),
            ('Ａ', 2), // fullwidth A
            ('😀', 2),
            ('🚀', 2),
            ('⭐', 2),
            ('☃', 1), // a text-style snowman: not an emoji by default
            ('\t', 0),
            ('\u{7f}', 0),
        ] {
            assert_eq!(width(c), cells, "{c:?}");
        }
        assert_eq!(str_width("e\u{301}中a"), 4);
    }

    #[test]
    fn tables_are_sorted_and_disjoint() {
        for table in [ZERO, WIDE] {
            for &(first, last) in table {
                assert!(first <= last, "{first:#x}..{last:#x}");
            }
            for pair in table.windows(2) {
                assert!(pair[0].1 < pair[1].0, "{pair:x?}");
            }
        }
    }

    /// The binary search agrees with a plain scan at and around every edge.
    #[test]
    fn search_matches_a_scan() {
        for table in [ZERO, WIDE] {
            for &(first, last) in table {
                for code in [first - 1, first, first + 1, last - 1, last, last + 1] {
                    let scan = table.iter().any(|&(f, l)| (f..=l).contains(&code));
                    assert_eq!(within(table, code), scan, "{code:#x}");
                }
            }
        }
    }
}
