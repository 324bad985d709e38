//! Random bytes for programs (`getrandom`, `AT_RANDOM`).
//!
//! When the CPU has the `RDRAND` instruction (its own hardware generator;
//! QEMU offers it with `-cpu max` or `+rdrand`), every byte comes from it.
//! Otherwise the bytes come from a generator in the kernel, seeded from the
//! TSC and the real-time clock and stirred with the TSC at each call
//! (splitmix64). That is unpredictable enough to give each program different
//! stack-protector canaries and hash seeds, but it is **not** cryptographic;
//! [`source`] says which one is in use.

use crate::sync::IrqMutex;
use x86_64::instructions::random::RdRand;

/// The kernel generator's state (0 = not seeded yet).
static STATE: IrqMutex<u64> = IrqMutex::new(0);

/// Which source [`fill`] uses.
pub fn source() -> &'static str {
    if RdRand::new().is_some() {
        "RDRAND"
    } else {
        "seeded generator (TSC and RTC)"
    }
}

/// Fills `buffer` with random bytes.
pub fn fill(buffer: &mut [u8]) {
    let hardware = RdRand::new();
    for chunk in buffer.chunks_mut(8) {
        let value = hardware
            .and_then(RdRand::get_u64)
            .unwrap_or_else(next_generated);
        chunk.copy_from_slice(&value.to_le_bytes()[..chunk.len()]);
    }
}

/// The next value of the kernel generator.
fn next_generated() -> u64 {
    let mut state = STATE.lock();
    if *state == 0 {
        let rtc = crate::drivers::rtc::unix_seconds().unwrap_or(0);
        *state = crate::time::rdtsc() ^ rtc.rotate_left(32) ^ 0x6a09_e667_f3bc_c909;
    }
    *state = state
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(crate::time::rdtsc() & 0xff);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
