//! `_S5` patterns as firmwares write them, things that only look similar, and
//! random bytes.

use aml_s5::{SleepTypes, find_s5};

fn with_filler(middle: &[u8]) -> Vec<u8> {
    let mut aml = b"\x10\x4f\x04_SB_\x5b\x82\x20PCI0".to_vec();
    aml.extend_from_slice(middle);
    aml.extend_from_slice(b"\x14\x0a_PTS\x01\x70\x68\x60");
    aml
}

#[test]
fn qemu_style_zero_elements() {
    // What QEMU's generated DSDT contains: Name (_S5, Package (4) {0, 0, 0, 0}).
    let aml = with_filler(b"\x08_S5_\x12\x06\x04\x00\x00\x00\x00");
    assert_eq!(find_s5(&aml), Some(SleepTypes { a: 0, b: 0 }));
}

#[test]
fn byte_prefixed_values_rooted_name_and_long_pkglength() {
    let aml = with_filler(b"\x08\\_S5_\x12\x0a\x04\x0a\x05\x0a\x07\x00\x00");
    assert_eq!(find_s5(&aml), Some(SleepTypes { a: 5, b: 7 }));
    // A two-byte PkgLength (bits 6-7 of the first byte = 1).
    let aml = with_filler(b"\x08_S5_\x12\x40\x01\x02\x01\x0b\x34\x12");
    assert_eq!(find_s5(&aml), Some(SleepTypes { a: 1, b: 0x1234 }));
}

#[test]
fn lookalikes_are_not_matched() {
    // A method called _S5_ (not a Name), a string containing it, a package that
    // is too short, an element we do not understand.
    assert_eq!(find_s5(&with_filler(b"\x14\x08_S5_\x00\xa4\x01")), None);
    assert_eq!(find_s5(&with_filler(b"\x0d_S5_\x00")), None);
    assert_eq!(find_s5(&with_filler(b"\x08_S5_\x12\x03\x01\x00")), None);
    assert_eq!(find_s5(&with_filler(b"\x08_S5_\x12\x05\x02\x70\x00")), None);
    // Cut off in the middle.
    let full = b"\x08_S5_\x12\x06\x04\x0a\x05\x0a\x05";
    for len in 0..full.len() - 1 {
        assert_eq!(find_s5(&full[..len]), None, "{len} bytes");
    }
    // The first well-formed one wins even after a malformed one.
    let aml = with_filler(b"\x08_S5_\x12\x03\x01\x00\x08_S5_\x12\x06\x04\x0a\x03\x0a\x04");
    assert_eq!(find_s5(&aml), Some(SleepTypes { a: 3, b: 4 }));
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = xorshift::XorShift64(0x2545_f491_4f6c_dd1d);
    let mut next = move || rng.next();
    for _ in 0..5000 {
        let len = (next() % 64) as usize;
        let mut aml: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Plant the name now and then, so the parser is exercised past it.
        if len > 8 && next() % 2 == 0 {
            let at = (next() as usize) % (len - 5);
            aml[at] = 0x08;
            aml[at + 1..at + 5].copy_from_slice(b"_S5_");
        }
        let _ = find_s5(&aml);
    }
}
