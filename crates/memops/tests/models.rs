//! `copy` and `fill` against byte-by-byte models: every length up to 300 at
//! every alignment of both ends within a word, and random large ones. The
//! bytes around the destination must not change.

use memops::{copy, fill};
use xorshift::XorShift64;

/// Guard bytes on both sides of every destination.
const PAD: usize = 16;

fn random_bytes(rng: &mut XorShift64, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next() as u8).collect()
}

/// Copies `len` bytes from `src[src_at..]` to a fresh buffer at `dst_at`
/// and checks the result against the model.
fn check_copy(rng: &mut XorShift64, len: usize, src_at: usize, dst_at: usize) {
    let src = random_bytes(rng, src_at + len);
    let mut dst = random_bytes(rng, dst_at + len + 2 * PAD);
    let mut expected = dst.clone();
    expected[PAD + dst_at..PAD + dst_at + len].copy_from_slice(&src[src_at..]);
    // SAFETY: both ranges lie inside their own vectors, which do not overlap.
    unsafe {
        copy(
            dst[PAD + dst_at..].as_mut_ptr(),
            src[src_at..].as_ptr(),
            len,
        )
    };
    assert!(
        dst == expected,
        "copy of {len} bytes, source offset {src_at}, destination offset {dst_at}"
    );
}

fn check_fill(rng: &mut XorShift64, len: usize, at: usize, byte: u8) {
    let mut dst = random_bytes(rng, at + len + 2 * PAD);
    let mut expected = dst.clone();
    expected[PAD + at..PAD + at + len].fill(byte);
    // SAFETY: the range lies inside `dst`.
    unsafe { fill(dst[PAD + at..].as_mut_ptr(), byte, len) };
    assert!(
        dst == expected,
        "fill of {len} bytes at offset {at} with {byte:#x}"
    );
}

#[test]
fn copy_matches_the_model_for_small_lengths_at_every_alignment() {
    let mut rng = XorShift64(0x5eed_c0de);
    for len in 0..300 {
        for src_at in 0..8 {
            for dst_at in 0..8 {
                check_copy(&mut rng, len, src_at, dst_at);
            }
        }
    }
}

#[test]
fn copy_matches_the_model_for_random_large_lengths() {
    let mut rng = XorShift64(0xface_feed);
    for _ in 0..200 {
        let len = rng.below(200_000);
        check_copy(&mut rng.clone(), len, rng.below(64), rng.below(64));
        rng.next();
    }
}

#[test]
fn fill_matches_the_model_for_every_small_length_and_alignment() {
    let mut rng = XorShift64(0xf111);
    for len in 0..300 {
        for at in 0..8 {
            let byte = rng.next() as u8;
            check_fill(&mut rng, len, at, byte);
        }
    }
}

#[test]
fn fill_matches_the_model_for_random_large_lengths() {
    let mut rng = XorShift64(0xb16_f111);
    for _ in 0..100 {
        let (len, at, byte) = (rng.below(300_000), rng.below(64), rng.next() as u8);
        check_fill(&mut rng, len, at, byte);
    }
}

#[test]
fn zero_fill_and_full_bytes_give_what_they_say() {
    let mut buf = vec![7u8; 1000];
    // SAFETY: inside `buf`.
    unsafe { fill(buf.as_mut_ptr(), 0, 1000) };
    assert!(buf.iter().all(|&b| b == 0));
    // SAFETY: inside `buf`.
    unsafe { fill(buf.as_mut_ptr().add(3), 0xff, 990) };
    assert_eq!(&buf[..3], &[0, 0, 0]);
    assert!(buf[3..993].iter().all(|&b| b == 0xff));
    assert!(buf[993..].iter().all(|&b| b == 0));
}
