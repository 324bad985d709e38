//! From key presses to the bytes a terminal would send.
//!
//! A PS/2 keyboard reports *scancodes*: one or more bytes per key press and per
//! release (scancode set 1: a key's press code, and the same code + 0x80 for
//! its release; keys added after the original PC keyboard, such as the arrow
//! keys, are prefixed with 0xE0). The `pc-keyboard` crate tracks the modifier
//! keys (shift, caps lock, ctrl...) and maps keys through a layout (US here) to
//! characters.
//!
//! The kernel's input is a byte stream, like a serial terminal's, so that the
//! keyboard and the serial port look the same to the shell. This crate therefore
//! encodes each key the way a VT100-style terminal does:
//!
//! | key                  | bytes                       |
//! |----------------------|-----------------------------|
//! | a character          | its UTF-8 encoding          |
//! | Enter                | `\r`                        |
//! | Backspace            | 0x7F                        |
//! | Ctrl + letter        | 0x01-0x1A (Ctrl-C is 0x03)  |
//! | arrows               | `ESC [ A/B/C/D` (up/down/right/left) |
//! | Home / End           | `ESC [ H` / `ESC [ F`       |
//! | Delete               | `ESC [ 3 ~`                 |
//! | Page Up / Page Down  | `ESC [ 5 ~` / `ESC [ 6 ~`   |
//!
//! Keys with no terminal meaning (F-keys, modifiers alone) produce nothing.
#![no_std]
#![forbid(unsafe_code)]

use pc_keyboard::layouts::Us104Key;
use pc_keyboard::{DecodedKey, HandleControl, KeyCode, PS2Keyboard, ScancodeSet1};

/// A scancode decoder with modifier state.
pub struct KeyDecoder {
    keyboard: PS2Keyboard<Us104Key, ScancodeSet1>,
}

impl Default for KeyDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyDecoder {
    pub const fn new() -> Self {
        KeyDecoder {
            keyboard: PS2Keyboard::new(
                ScancodeSet1::new(),
                Us104Key,
                HandleControl::MapLettersToUnicode,
            ),
        }
    }

    /// Feeds one scancode byte; calls `emit` for each byte the key produces.
    /// Invalid scancode sequences are dropped (the decoder resynchronises).
    pub fn feed(&mut self, scancode: u8, mut emit: impl FnMut(u8)) {
        let Ok(Some(event)) = self.keyboard.add_byte(scancode) else {
            return;
        };
        if let Some(key) = self.keyboard.process_keyevent(event) {
            encode(key, &mut emit);
        }
    }
}

/// Encodes one decoded key as terminal bytes.
pub fn encode(key: DecodedKey, emit: &mut impl FnMut(u8)) {
    let escape = |emit: &mut dyn FnMut(u8), tail: &[u8]| {
        emit(0x1B);
        emit(b'[');
        tail.iter().for_each(|&b| emit(b));
    };
    match key {
        // pc-keyboard's Enter is '\n', Backspace 0x08, Delete 0x7F; terminals
        // send '\r', 0x7F and an escape sequence instead.
        DecodedKey::Unicode('\n') => emit(b'\r'),
        DecodedKey::Unicode('\u{8}') => emit(0x7F),
        DecodedKey::Unicode('\u{7f}') => escape(emit, b"3~"),
        DecodedKey::Unicode(c) => {
            let mut utf8 = [0; 4];
            c.encode_utf8(&mut utf8).bytes().for_each(&mut *emit);
        }
        DecodedKey::RawKey(code) => {
            let tail: &[u8] = match code {
                KeyCode::ArrowUp => b"A",
                KeyCode::ArrowDown => b"B",
                KeyCode::ArrowRight => b"C",
                KeyCode::ArrowLeft => b"D",
                KeyCode::Home => b"H",
                KeyCode::End => b"F",
                KeyCode::Delete => b"3~",
                KeyCode::PageUp => b"5~",
                KeyCode::PageDown => b"6~",
                _ => return,
            };
            escape(emit, tail);
        }
    }
}
