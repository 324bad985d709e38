//! The soak's verdict: did the kernel's memory stay flat?
//!
//! The soak reads two counts from the kernel between batches of work
//! (a [`Sample`]): frames in use (without the heap's own pages, which the
//! heap keeps once grown) and heap bytes in use. Two things move them:
//!
//! - a *leak* raises the floor: every later sample is higher, and more so
//!   the longer the run;
//! - *noise* (something freed a moment late, a queue that happened to hold
//!   a thread when the count was read) lifts one sample above the floor,
//!   and the next sample is back down.
//!
//! So the verdict compares floors, not single samples: the lowest count of
//! the first half of the samples with the lowest of the second half. If
//! the second floor is higher, for frames or for heap bytes, memory is
//! growing. Spikes do not move a floor; a leak, however slow, does.

use std::fmt;

/// One reading of the kernel's counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Seconds since the soak began.
    pub seconds: f64,
    /// Frames in use, without the heap's pages.
    pub frames: u64,
    /// Heap bytes in use.
    pub heap_bytes: u64,
}

/// What the samples say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Neither floor rose.
    Flat,
    /// A floor rose: (first half's floor, second half's floor) of each.
    Growing {
        frames: (u64, u64),
        heap_bytes: (u64, u64),
    },
    /// Fewer than two samples: nothing to compare.
    TooFewSamples,
}

impl Verdict {
    /// The runner's exit status for this verdict: 0 only when flat.
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Flat => 0,
            _ => 1,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Verdict::Flat => f.write_str("flat"),
            Verdict::Growing { frames, heap_bytes } => write!(
                f,
                "growing: frames in use {} -> {}, heap bytes in use {} -> {} \
                 (lowest of the first half -> lowest of the second half)",
                frames.0, frames.1, heap_bytes.0, heap_bytes.1
            ),
            Verdict::TooFewSamples => f.write_str("too few samples to judge (fewer than 2)"),
        }
    }
}

/// Judges `samples` (in the order they were taken); see the module docs.
pub fn judge(samples: &[Sample]) -> Verdict {
    if samples.len() < 2 {
        return Verdict::TooFewSamples;
    }
    let (first, second) = samples.split_at(samples.len() / 2);
    let floor = |half: &[Sample], count: fn(&Sample) -> u64| half.iter().map(count).min();
    let frames = (
        floor(first, |s| s.frames).unwrap_or(0),
        floor(second, |s| s.frames).unwrap_or(0),
    );
    let heap_bytes = (
        floor(first, |s| s.heap_bytes).unwrap_or(0),
        floor(second, |s| s.heap_bytes).unwrap_or(0),
    );
    if frames.1 > frames.0 || heap_bytes.1 > heap_bytes.0 {
        Verdict::Growing { frames, heap_bytes }
    } else {
        Verdict::Flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples one per 10 s with these (frames, heap bytes).
    fn samples(counts: &[(u64, u64)]) -> Vec<Sample> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &(frames, heap_bytes))| Sample {
                seconds: i as f64 * 10.0,
                frames,
                heap_bytes,
            })
            .collect()
    }

    #[test]
    fn equal_counts_are_flat() {
        let run = samples(&[(100, 5000); 8]);
        assert_eq!(judge(&run), Verdict::Flat);
        assert_eq!(judge(&run).exit_code(), 0);
        assert_eq!(judge(&run[..2]), Verdict::Flat);
    }

    #[test]
    fn a_leak_of_frames_or_of_heap_bytes_is_growing() {
        let frames: Vec<(u64, u64)> = (0..8).map(|i| (100 + i, 5000)).collect();
        assert_eq!(
            judge(&samples(&frames)),
            Verdict::Growing {
                frames: (100, 104),
                heap_bytes: (5000, 5000)
            }
        );
        let heap: Vec<(u64, u64)> = (0..8).map(|i| (100, 5000 + 16 * i)).collect();
        let verdict = judge(&samples(&heap));
        assert_eq!(
            verdict,
            Verdict::Growing {
                frames: (100, 100),
                heap_bytes: (5000, 5064)
            }
        );
        assert_eq!(verdict.exit_code(), 1);
        assert!(verdict.to_string().contains("5000 -> 5064"), "{verdict}");
        // Two samples are enough to see one step up.
        assert_ne!(judge(&samples(&[(100, 5000), (101, 5000)])), Verdict::Flat);
    }

    #[test]
    fn spikes_above_a_steady_floor_are_flat() {
        // Late frees: single samples above the floor, in either half.
        let noisy = samples(&[
            (100, 5000),
            (108, 5540),
            (100, 5000),
            (100, 5064),
            (108, 5000),
            (100, 5540),
            (100, 5000),
            (104, 5000),
        ]);
        assert_eq!(judge(&noisy), Verdict::Flat);
        // A floor that goes down (a cache given back) is not growth either.
        assert_eq!(
            judge(&samples(&[
                (110, 6000),
                (104, 5500),
                (100, 5000),
                (100, 5000)
            ])),
            Verdict::Flat
        );
    }

    #[test]
    fn a_slow_leak_under_noise_is_still_growing() {
        // One frame every other sample, with spikes on top.
        let run: Vec<(u64, u64)> = (0..12)
            .map(|i| (100 + i / 2 + if i % 3 == 0 { 8 } else { 0 }, 5000))
            .collect();
        assert!(matches!(judge(&samples(&run)), Verdict::Growing { .. }));
    }

    #[test]
    fn one_sample_cannot_be_judged() {
        assert_eq!(judge(&[]), Verdict::TooFewSamples);
        let one = samples(&[(100, 5000)]);
        assert_eq!(judge(&one), Verdict::TooFewSamples);
        assert_eq!(judge(&one).exit_code(), 1);
    }
}
