//! The kernel's own `memcpy` and `memset`.
//!
//! The compiler calls `memcpy` and `memset` for every copy or fill it does
//! not write out inline (`copy_from_slice`, `Vec` growth, `vec![0; n]`,
//! large struct moves). The compiler's built-in library defines both as weak
//! symbols built on `rep movsq`/`rep stosq`, so that a program can bring
//! its own; the kernel does, and the linker takes these. They are the
//! unrolled loops of `crates/memops`, which run much faster under QEMU's
//! TCG (where each iteration of a `rep` instruction is a trip through the
//! emulator) and are tested there against byte-by-byte models. On a real
//! CPU with fast `rep movsb` (the ERMSB feature) microcode would be faster
//! for long copies; these loops still move eight bytes per instruction.
//!
//! `memmove`, `memcmp` and `bcmp` stay the built-in library's.

/// `memcpy(dest, src, n)`: `n` bytes from `src` to `dest` (no overlap).
///
/// # Safety
///
/// As C's `memcpy`: `src` readable and `dest` writable for `n` bytes, the
/// two ranges disjoint. The compiler only calls it so.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract is `memops::copy`'s.
    unsafe { memops::copy(dest, src, n) };
    dest
}

/// `memset(s, c, n)`: `n` bytes from `s` set to the low byte of `c`.
///
/// # Safety
///
/// As C's `memset`: `s` writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(s: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract is `memops::fill`'s.
    unsafe { memops::fill(s, c as u8, n) };
    s
}
