//! xorshift64: the pseudo-random numbers of our randomized tests.
//!
//! Randomized tests (a data structure against a simple model, random input
//! that must never cause a panic) need numbers that look random but repeat
//! exactly from the same seed, so that a failure can be replayed. Marsaglia's
//! xorshift64 is three shifts and three xors per number: not for
//! cryptography, but plenty to pick operations and sizes. Every crate's tests
//! use this one generator instead of a copy of their own.
#![no_std]
#![forbid(unsafe_code)]

/// The generator; the `u64` is its whole state (a nonzero seed).
#[derive(Clone, Debug)]
pub struct XorShift64(pub u64);

impl XorShift64 {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    #[inline]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (n > 0), by remainder (slightly biased towards
    /// small numbers, which tests do not mind).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Like [`below`](Self::below), for `u64`.
    #[inline]
    pub fn below_u64(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[cfg(test)]
mod tests {
    use super::XorShift64;

    #[test]
    fn known_sequence_and_range() {
        // The first numbers from seed 1, as a Python model of the shifts gives them.
        let mut rng = XorShift64(1);
        assert_eq!(rng.next(), 0x4082_2041);
        assert_eq!(rng.next(), 0x1000_4106_0c01_1441);
        let mut rng = XorShift64(42);
        assert!((0..1000).all(|_| rng.below(7) < 7 && rng.below_u64(3) < 3));
    }
}
