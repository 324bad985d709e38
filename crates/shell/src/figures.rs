//! Numbers as the shell prints them: a CPU time in milliseconds with one
//! decimal, and a ratio between two measurements (`12.3x`).
//!
//! The kernel has no floating point (its target disables the SSE registers,
//! so that interrupt handlers need not save them), so both are computed in
//! integers: the value times ten, printed as `whole.tenth`.

use core::fmt;

/// A duration in nanoseconds,, shown in milliseconds with one decimal,
/// rounded down (`1_234_567` ns shows as `1.2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Millis(pub u64);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Tenths(self.0 / 100_000).fmt(f)
    }
}

/// `Ratio(a, b)` is a / b, with one decimal, rounded to the nearest tenth
/// (`Ratio(37, 3)` shows as `12.3`); `-` when `b` is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio(pub u64, pub u64);

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = (u128::from(self.0), u128::from(self.1));
        if b == 0 {
            return f.write_str("-");
        }
        // a / b in tenths, rounded: (20a + b) / 2b = floor(10a/b + 1/2).
        let tenths = (20 * a + b) / (2 * b);
        Tenths(tenths).fmt(f)
    }
}

/// A number of tenths, shown as `whole.tenth`.
struct Tenths<T>(T);

impl<T: Copy + Into<u128>> fmt::Display for Tenths<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenths: u128 = self.0.into();
        write!(f, "{}.{}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_down_to_a_tenth() {
        assert_eq!(Millis(0).to_string(), "0.0");
        assert_eq!(Millis(99_999).to_string(), "0.0");
        assert_eq!(Millis(100_000).to_string(), "0.1");
        assert_eq!(Millis(1_234_567).to_string(), "1.2");
        assert_eq!(Millis(10_000_000_000).to_string(), "10000.0");
        assert_eq!(Millis(u64::MAX).to_string(), "18446744073709.5");
    }

    #[test]
    fn ratios_round_to_the_nearest_tenth() {
        assert_eq!(Ratio(37, 3).to_string(), "12.3");
        assert_eq!(Ratio(1, 3).to_string(), "0.3");
        assert_eq!(Ratio(2, 3).to_string(), "0.7");
        assert_eq!(Ratio(1, 20).to_string(), "0.1"); // 0.05 rounds up
        assert_eq!(Ratio(1, 21).to_string(), "0.0");
        assert_eq!(Ratio(5, 5).to_string(), "1.0");
        assert_eq!(Ratio(0, 5).to_string(), "0.0");
        assert_eq!(Ratio(7, 0).to_string(), "-");
        assert_eq!(Ratio(u64::MAX, 1).to_string(), "18446744073709551615.0");
    }

    /// Against floating point on the host, for random pairs.
    #[test]
    fn ratios_match_floating_point() {
        let mut rng = xorshift::XorShift64(0x2545_f491_4f6c_dd1d);
        let mut next = move || rng.next();
        for _ in 0..100_000 {
            let a = next() % 1_000_000_000;
            let b = next() % 100_000 + 1;
            let exact = a as f64 / b as f64;
            let shown: f64 = Ratio(a, b).to_string().parse().unwrap();
            assert!((shown - exact).abs() <= 0.050_001, "{a}/{b}: {shown}");
            let millis: f64 = Millis(a).to_string().parse().unwrap();
            let exact_ms = a as f64 / 1e6;
            assert!(
                millis <= exact_ms + 1e-6 && exact_ms - millis < 0.100_001,
                "{a}: {millis}"
            );
        }
    }
}
