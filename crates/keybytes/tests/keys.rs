//! Scancode sequences (set 1, as QEMU's i8042 sends them with translation on)
//! through the decoder.

use keybytes::KeyDecoder;

const LSHIFT: u8 = 0x2A;
const LCTRL: u8 = 0x1D;
const CAPS: u8 = 0x3A;
const RELEASE: u8 = 0x80;

fn press(keys: &[u8]) -> Vec<u8> {
    let mut decoder = KeyDecoder::new();
    let mut out = Vec::new();
    for &k in keys {
        decoder.feed(k, |b| out.push(b));
    }
    out
}

/// Press and release of a plain key.
fn tap(code: u8) -> [u8; 2] {
    [code, code | RELEASE]
}

#[test]
fn letters_digits_and_symbols() {
    let mut keys = Vec::new();
    for code in [0x23, 0x17, 0x39, 0x02, 0x0C, 0x35] {
        keys.extend(tap(code)); // h i space 1 - /
    }
    assert_eq!(press(&keys), b"hi 1-/");
}

#[test]
fn shift_and_caps_lock() {
    let keys = [LSHIFT, 0x1E, 0x9E, 0x02, 0x82, LSHIFT | RELEASE, 0x1E, 0x9E];
    assert_eq!(press(&keys), b"A!a");
    let keys = [CAPS, CAPS | RELEASE, 0x1E, 0x9E, 0x02, 0x82];
    assert_eq!(press(&keys), b"A1", "caps lock shifts letters only");
}

#[test]
fn control_keys() {
    assert_eq!(
        press(&[LCTRL, 0x2E, 0xAE, LCTRL | RELEASE]),
        [0x03],
        "Ctrl-C"
    );
    assert_eq!(press(&tap(0x1C)), b"\r", "Enter");
    assert_eq!(press(&tap(0x0E)), [0x7F], "Backspace");
    assert_eq!(press(&tap(0x01)), [0x1B], "Escape alone");
}

#[test]
fn extended_keys_become_escape_sequences() {
    let ext = |code: u8| [0xE0, code, 0xE0, code | RELEASE];
    assert_eq!(press(&ext(0x48)), b"\x1b[A", "up");
    assert_eq!(press(&ext(0x50)), b"\x1b[B", "down");
    assert_eq!(press(&ext(0x4D)), b"\x1b[C", "right");
    assert_eq!(press(&ext(0x4B)), b"\x1b[D", "left");
    assert_eq!(press(&ext(0x47)), b"\x1b[H", "home");
    assert_eq!(press(&ext(0x4F)), b"\x1b[F", "end");
    assert_eq!(press(&ext(0x53)), b"\x1b[3~", "delete");
    assert!(press(&tap(0x3B)).is_empty(), "F1 sends nothing");
}

#[test]
fn random_scancodes_never_panic_and_keep_working() {
    let mut rng = xorshift::XorShift64(0x1234_5678_9abc_def1);
    let mut decoder = KeyDecoder::new();
    let mut out = Vec::new();
    for _ in 0..100_000 {
        decoder.feed(rng.next() as u8, |b| out.push(b));
    }
    // Whatever state the garbage left (modifiers held, half a sequence), releasing
    // every modifier and typing a letter must work again.
    for code in [0x2A, 0x36, 0x1D, 0x38] {
        decoder.feed(code | RELEASE, |_| {});
    }
    decoder.feed(0xE0 | RELEASE, |_| {});
    let mut typed = Vec::new();
    for k in [0x1E, 0x9E, 0x1E, 0x9E] {
        decoder.feed(k, |b| typed.push(b));
    }
    assert!(typed.ends_with(b"a") || typed.ends_with(b"A"), "{typed:?}");
}
