//! The allocator against a model: a plain array saying, for every frame, whether
//! it is not RAM, free, or handed out. Random operations must agree with it.

use frame_alloc::{FrameAllocator, FreeError, Stats, storage_words};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Reserved,
    Free,
    Taken,
}

use xorshift::XorShift64 as Rng;

/// A memory map in the style of a PC: holes, odd-sized regions, a region that
/// starts and ends mid-word.
fn ranges(frames: usize) -> Vec<std::ops::Range<usize>> {
    vec![
        1..159,
        256..700,
        703..704,
        1000..frames / 2,
        frames / 2 + 37..frames - 3,
    ]
}

struct Fixture {
    model: Vec<State>,
}

impl Fixture {
    fn new(frames: usize) -> Self {
        let mut model = vec![State::Reserved; frames];
        for r in ranges(frames) {
            model[r].fill(State::Free);
        }
        Fixture { model }
    }

    fn count(&self, s: State) -> usize {
        self.model.iter().filter(|&&m| m == s).count()
    }

    fn check_stats(&self, alloc: &FrameAllocator) {
        let free = self.count(State::Free);
        let usable = free + self.count(State::Taken);
        assert_eq!(alloc.stats(), Stats { usable, free });
    }
}

fn build(storage: &mut [u64], frames: usize) -> FrameAllocator<'_> {
    let mut alloc = FrameAllocator::new(storage, frames).unwrap();
    for r in ranges(frames) {
        alloc.add_free(r);
    }
    alloc
}

#[test]
fn random_operations_agree_with_the_model() {
    for seed in 1..=8u64 {
        let frames = 5000 + 613 * seed as usize;
        let mut storage = vec![!0; storage_words(frames)];
        let mut alloc = build(&mut storage, frames);
        let mut fx = Fixture::new(frames);
        let initial = alloc.stats();
        fx.check_stats(&alloc);
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for step in 0..8_000 {
            match rng.below(10) {
                0..=3 => match alloc.alloc() {
                    Some(f) => {
                        assert_eq!(
                            fx.model[f],
                            State::Free,
                            "frame {f} handed out twice or reserved"
                        );
                        // The allocator hands out the lowest free frame.
                        assert_eq!(fx.model.iter().position(|&m| m == State::Free), Some(f));
                        fx.model[f] = State::Taken;
                        runs.push((f, 1));
                    }
                    None => assert_eq!(fx.count(State::Free), 0),
                },
                4 => {
                    let count = 1 + rng.below(40);
                    let align = 1 << rng.below(8);
                    match alloc.alloc_contiguous(count, align) {
                        Some(start) => {
                            assert_eq!(start % align, 0);
                            for f in start..start + count {
                                assert_eq!(fx.model[f], State::Free, "frame {f} in run at {start}");
                                fx.model[f] = State::Taken;
                            }
                            runs.push((start, count));
                        }
                        None => assert!(
                            !(0..frames).step_by(align).any(|s| s + count <= frames
                                && fx.model[s..s + count].iter().all(|&m| m == State::Free)),
                            "a free run of {count} aligned to {align} exists"
                        ),
                    }
                }
                _ if !runs.is_empty() => {
                    let (start, count) = runs.swap_remove(rng.below(runs.len()));
                    assert_eq!(alloc.free_contiguous(start, count), Ok(()));
                    fx.model[start..start + count].fill(State::Free);
                    // Freeing again is refused and changes nothing.
                    assert_eq!(alloc.free(start), Err(FreeError::NotAllocated(start)));
                }
                _ => {}
            }
            if step % 32 == 0 {
                fx.check_stats(&alloc);
            }
        }
        fx.check_stats(&alloc);
        for (start, count) in runs.drain(..) {
            alloc.free_contiguous(start, count).unwrap();
            fx.model[start..start + count].fill(State::Free);
        }
        assert_eq!(alloc.stats(), initial, "counts return to the boot value");
        // Everything freed is reusable: allocating until empty yields exactly the usable frames.
        let mut got: Vec<usize> = std::iter::from_fn(|| alloc.alloc()).collect();
        got.sort();
        let expected: Vec<usize> = (0..frames)
            .filter(|&f| fx.model[f] == State::Free)
            .collect();
        assert!(
            got == expected,
            "{} frames allocated, {} expected",
            got.len(),
            expected.len()
        );
        assert_eq!(alloc.stats().free, 0);
    }
}

#[test]
fn reserved_frames_are_never_handed_out_or_accepted() {
    let frames = 1000;
    let mut storage = vec![0; storage_words(frames)];
    let mut alloc = FrameAllocator::new(&mut storage, frames).unwrap();
    alloc.add_free(10..20);
    alloc.add_free(15..25); // overlapping: counted once
    assert_eq!(
        alloc.stats(),
        Stats {
            usable: 15,
            free: 15
        }
    );
    assert_eq!(alloc.reserve(12..14), 2);
    assert_eq!(
        alloc.stats(),
        Stats {
            usable: 13,
            free: 13
        }
    );
    let got: Vec<_> = std::iter::from_fn(|| alloc.alloc()).collect();
    assert_eq!(got, [10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    assert_eq!(
        alloc.free(12),
        Ok(()),
        "the bitmap cannot tell reserved from taken"
    );
    assert_eq!(alloc.free(5000), Err(FreeError::OutOfRange(5000)));
    assert_eq!(
        alloc.free_contiguous(995, 10),
        Err(FreeError::OutOfRange(1004))
    );
    // A failed contiguous free changes nothing.
    assert_eq!(alloc.free_contiguous(20, 2), Ok(()));
    assert_eq!(
        alloc.free_contiguous(19, 3),
        Err(FreeError::NotAllocated(20))
    );
    assert!(!alloc.is_free(19));
}

#[test]
fn bits_beyond_the_end_are_never_free() {
    let frames = 70; // one full word and 6 frames of a second
    let mut storage = vec![!0; storage_words(frames)];
    let mut alloc = FrameAllocator::new(&mut storage, frames).unwrap();
    alloc.add_free(0..1000);
    assert_eq!(alloc.stats().free, 70);
    assert_eq!(std::iter::from_fn(|| alloc.alloc()).count(), 70);
    assert_eq!(alloc.alloc_contiguous(1, 1), None);
}

#[test]
fn huge_page_runs_are_2_mib_aligned() {
    // 1 GiB of frames with everything below 3 MiB and one frame at 5 MiB taken.
    let frames = 1 << 18;
    let mut storage = vec![0; storage_words(frames)];
    let mut alloc = FrameAllocator::new(&mut storage, frames).unwrap();
    alloc.add_free(768..frames);
    alloc.reserve(1280..1281);
    // 2 MiB = 512 frames; 0..512 not RAM, 512..1024 partly, 1024..1536 has a hole.
    assert_eq!(alloc.alloc_contiguous(512, 512), Some(1536));
    assert_eq!(alloc.alloc_contiguous(512, 512), Some(2048));
    // Single frames still come from the low end.
    assert_eq!(alloc.alloc(), Some(768));
    assert_eq!(alloc.free_contiguous(1536, 512), Ok(()));
    assert_eq!(alloc.alloc_contiguous(512, 512), Some(1536));
    assert_eq!(alloc.alloc_contiguous(frames, 1), None);
}

#[test]
fn storage_is_checked_and_small() {
    assert!(FrameAllocator::new(&mut [0; 3], 1000).is_err());
    // 64 MiB of RAM: 16384 frames = 256 words of bitmap + 4 of summary.
    assert_eq!(storage_words(16384), 260);
    // 9 GiB (8 GiB of RAM above a PCI hole) stays under 300 KiB.
    assert!(storage_words(9 << 18) * 8 < 300 * 1024);
}

#[test]
fn eight_gibibytes_fill_and_drain() {
    let frames = 8 << 18;
    let mut storage = vec![0; storage_words(frames)];
    let mut alloc = FrameAllocator::new(&mut storage, frames).unwrap();
    alloc.add_free(256..frames);
    let n = frames - 256;
    let got: Vec<usize> = std::iter::from_fn(|| alloc.alloc()).collect();
    assert_eq!(got.len(), n);
    assert!(got.windows(2).all(|w| w[0] < w[1]));
    for f in got.iter().rev() {
        alloc.free(*f).unwrap();
    }
    assert_eq!(alloc.stats().free, n);
}
