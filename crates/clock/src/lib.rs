//! A nanosecond clock from a cycle counter whose rate is learnt better later.
//!
//! The kernel's clock is the TSC, a counter of CPU cycles: nanoseconds are
//! cycles divided by the counter's rate. Nothing tells the rate; it is
//! measured against a clock of known frequency. A short measurement at boot
//! is quick but rough (under emulation, 50 ms against the PIT came out up to
//! 0.6 % high, which makes the clock lose half a second every two minutes).
//! A long one is exact but cannot hold up the boot.
//!
//! So the rate is measured twice, the way Linux refines its TSC calibration:
//! roughly at boot, then again from a pair of readings taken at boot ("the
//! TSC said this while the reference said that") and a second pair taken
//! seconds later, from the timer interrupt. The longer the window, the
//! smaller the error; [`Refinement`] takes new readings at windows growing
//! tenfold (1 s, 10 s, 100 s, ...), each over the whole time since boot.
//!
//! Two problems come with that, solved here:
//! - the reference counter is narrow and wraps (the ACPI PM timer has 24
//!   bits at 3.58 MHz: it wraps every 4.7 s). Between two readings it may
//!   have wrapped any number of times; the rough rate says how many
//!   ([`measure`]);
//! - the clock must never run backwards, nor jump, when the rate changes.
//!   A [`Rate`] is a straight line from one point (cycles, ns); a new rate
//!   starts a new line at the point where the old one is now
//!   ([`Rate::retuned`]), so only the slope changes.
#![no_std]
#![forbid(unsafe_code)]

const NS_PER_S: u128 = 1_000_000_000;

/// Cycles to nanoseconds: `base_ns` at `base_cycles`, then `hz` cycles per
/// second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub base_cycles: u64,
    pub base_ns: u64,
    /// Cycles per second; 0 while unknown (the clock then reads `base_ns`).
    pub hz: u64,
}

impl Rate {
    /// A clock reading 0 at `start_cycles`, running at `hz`.
    pub const fn new(start_cycles: u64, hz: u64) -> Rate {
        Rate {
            base_cycles: start_cycles,
            base_ns: 0,
            hz,
        }
    }

    /// The time at counter reading `cycles` (`base_ns` for readings before
    /// the base, which a reader may have taken just before a retune).
    pub fn ns_at(&self, cycles: u64) -> u64 {
        if self.hz == 0 {
            return self.base_ns;
        }
        let elapsed = u128::from(cycles.saturating_sub(self.base_cycles));
        let ns = elapsed * NS_PER_S / u128::from(self.hz);
        self.base_ns
            .saturating_add(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    /// The same clock going on from `cycles` at `hz`: it reads the same at
    /// `cycles`, so the change neither jumps nor goes back.
    pub fn retuned(&self, cycles: u64, hz: u64) -> Rate {
        Rate {
            base_cycles: cycles,
            base_ns: self.ns_at(cycles),
            hz,
        }
    }
}

/// A reference counter of known frequency that wraps after `bits` bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    pub hz: u64,
    pub bits: u32,
}

/// The ACPI power-management timer: 3.579545 MHz, 24 bits (or 32 where the
/// FADT says so).
pub const fn acpi_pm_timer(bits: u32) -> Reference {
    Reference {
        hz: 3_579_545,
        bits,
    }
}

/// The cycle counter and the reference counter, read together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    pub cycles: u64,
    pub reference: u64,
}

/// The cycle counter's rate between two paired readings, in Hz. `rough_hz`
/// (the boot estimate) says how many times the reference wrapped in between;
/// `None` if that cannot be told for sure (the estimate would have to be off
/// by a quarter of a wrap) or the readings make no sense.
pub fn measure(reference: Reference, first: Pair, second: Pair, rough_hz: u64) -> Option<u64> {
    if rough_hz == 0 || !(1..=63).contains(&reference.bits) {
        return None;
    }
    let cycles = second.cycles.checked_sub(first.cycles)?;
    let period = 1u128 << reference.bits;
    let seen = u128::from(second.reference.wrapping_sub(first.reference)) % period;
    let expected = u128::from(cycles) * u128::from(reference.hz) / u128::from(rough_hz);
    let wraps = (expected.saturating_sub(seen) + period / 2) / period;
    let ticks = seen + wraps * period;
    if ticks == 0 || expected.abs_diff(ticks) > period / 4 {
        return None;
    }
    u64::try_from(u128::from(cycles) * u128::from(reference.hz) / ticks).ok()
}

/// When to measure again: the windows grow tenfold, all from one first pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refinement {
    pub reference: Reference,
    pub first: Pair,
    /// Seconds from `first` to the next measurement.
    pub next_window_s: u64,
    /// Seconds of the last measurement taken (0: none yet).
    pub done_window_s: u64,
}

impl Refinement {
    /// Refinement from readings `first`, first measured after `window_s`.
    pub const fn new(reference: Reference, first: Pair, window_s: u64) -> Refinement {
        Refinement {
            reference,
            first,
            next_window_s: window_s,
            done_window_s: 0,
        }
    }

    /// Whether a measurement is due at `cycles`, by the clock's `rate`.
    pub fn is_due(&self, cycles: u64, rate: &Rate) -> bool {
        let window = u128::from(self.next_window_s) * u128::from(rate.hz);
        rate.hz != 0 && u128::from(cycles.saturating_sub(self.first.cycles)) >= window
    }

    /// Measures with `second` (read now) and schedules the next measurement;
    /// returns the new rate of `rate`, retuned at `second`, if it could be
    /// measured.
    pub fn take(&mut self, second: Pair, rate: &Rate) -> Option<Rate> {
        let window = self.next_window_s;
        self.next_window_s = window.saturating_mul(10);
        let hz = measure(self.reference, self.first, second, rate.hz)?;
        self.done_window_s = window;
        Some(rate.retuned(second.cycles, hz))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xorshift::XorShift64;

    #[test]
    fn a_rate_counts_from_its_base() {
        let rate = Rate::new(1000, 2_000_000_000);
        assert_eq!(rate.ns_at(1000), 0);
        assert_eq!(rate.ns_at(3000), 1000);
        assert_eq!(rate.ns_at(500), 0, "before the base");
        assert_eq!(Rate::new(5, 0).ns_at(1 << 40), 0, "unknown rate");
    }

    #[test]
    fn retuning_changes_the_slope_only() {
        let rate = Rate::new(0, 1_000_000_000);
        let faster = rate.retuned(5_000, 2_000_000_000);
        assert_eq!(faster.ns_at(5_000), 5_000);
        assert_eq!(faster.ns_at(7_000), 6_000);
    }

    #[test]
    fn the_clock_never_goes_back_across_random_retunes() {
        let mut rng = XorShift64(7);
        let mut rate = Rate::new(rng.below_u64(1 << 40), 2_600_000_000);
        let mut cycles = rate.base_cycles;
        let mut last = 0;
        for _ in 0..100_000 {
            cycles += rng.below_u64(50_000_000);
            let now = rate.ns_at(cycles);
            assert!(now >= last, "{now} < {last} at {cycles}");
            last = now;
            if rng.below_u64(10) == 0 {
                // A retune, possibly seen by a reader with an older reading.
                let hz = 2_500_000_000 + rng.below_u64(200_000_000);
                rate = rate.retuned(cycles, hz);
                let stale = cycles - rng.below_u64(1000).min(cycles);
                assert!(rate.ns_at(stale) >= last);
            }
        }
    }

    /// Paired readings of a counter at `hz` and a reference, `seconds` apart
    /// (the reference starting at `start`, wrapping).
    fn pairs(hz: u64, r: Reference, start: u64, seconds: f64) -> (Pair, Pair) {
        let cycles = (hz as f64 * seconds) as u64;
        let ticks = (r.hz as f64 * seconds) as u64;
        let mask = (1u64 << r.bits) - 1;
        let first = Pair {
            cycles: 123_456,
            reference: start & mask,
        };
        let second = Pair {
            cycles: 123_456 + cycles,
            reference: (start + ticks) & mask,
        };
        (first, second)
    }

    #[test]
    fn measuring_counts_the_wraps_of_the_reference() {
        let pm = acpi_pm_timer(24);
        let host = 2_596_130_000;
        // A rough estimate 0.6 % high, as the PIT gave under emulation,
        // tells the wraps up to some 190 s; a refined one much longer.
        let rough = host + host / 166;
        let refined = host + host / 100_000;
        for (seconds, estimate) in [
            (0.5, rough),
            (2.0, rough),
            (4.6, rough),
            (4.8, rough),
            (20.0, rough),
            (150.0, rough),
            (200.0, refined),
            (3600.0, refined),
        ] {
            let (a, b) = pairs(host, pm, 0xfff000, seconds);
            let hz = measure(pm, a, b, estimate).expect("measurable");
            let error = (hz as f64 - host as f64).abs() / host as f64;
            assert!(error < 1e-6, "{seconds} s: {hz} Hz");
        }
    }

    #[test]
    fn measuring_refuses_when_the_wraps_are_ambiguous() {
        let pm = acpi_pm_timer(24);
        let host = 2_596_130_000;
        let (a, b) = pairs(host, pm, 0, 100.0);
        // 3 % off over 100 s is 3 s: most of a 4.7 s wrap.
        assert_eq!(measure(pm, a, b, host + host / 33), None);
        assert_eq!(measure(pm, b, a, host), None, "readings out of order");
        assert_eq!(measure(pm, a, b, 0), None);
    }

    #[test]
    fn refinement_measures_at_growing_windows() {
        let pm = acpi_pm_timer(24);
        let host = 2_596_130_000;
        let rough = Rate::new(0, host + host / 200);
        let (first, _) = pairs(host, pm, 77, 0.0);
        let mut refinement = Refinement::new(pm, first, 2);
        let (_, at_1s) = pairs(host, pm, 77, 1.0);
        assert!(!refinement.is_due(at_1s.cycles, &rough));
        // The rough rate is high: its 2 s come after 2.01 s of the host's.
        let (_, at_2s) = pairs(host, pm, 77, 2.02);
        assert!(refinement.is_due(at_2s.cycles, &rough));
        let refined = refinement.take(at_2s, &rough).expect("measured");
        assert_eq!(refined.ns_at(at_2s.cycles), rough.ns_at(at_2s.cycles));
        // (The readings are whole ticks: 1 in 7 million off.)
        assert!(refined.hz.abs_diff(host) < 1000, "{}", refined.hz);
        assert_eq!(
            (refinement.done_window_s, refinement.next_window_s),
            (2, 20)
        );
        assert!(!refinement.is_due(at_2s.cycles + host, &refined));
        let (_, at_20s) = pairs(host, pm, 77, 20.01);
        assert!(refinement.is_due(at_20s.cycles, &refined));
        // Measured over the whole 20 s, from the same first pair.
        let again = refinement.take(at_20s, &refined).expect("measured");
        assert!(again.hz.abs_diff(host) < 100, "{}", again.hz);
        assert_eq!(again.ns_at(at_20s.cycles), refined.ns_at(at_20s.cycles));
    }
}
