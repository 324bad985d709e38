//! `cargo run -- soak` with a tiny duration: the debug kernel boots, runs
//! batches of fork, exec and pipe work (`systest --soak`), and the kernel's
//! counts, read between the batches, give the verdict. The 10-minute soak
//! itself is a benchmark, not part of the suite.

use kestrel::builder::Profile;
use kestrel::soak::{self, Verdict};
use std::time::Duration;

#[test]
fn a_short_soak_samples_the_counts_and_finds_them_flat() {
    let (verdict, samples) =
        soak::run(Duration::from_secs(3), Profile::Debug, 2).expect("the soak runs");
    assert!(samples.len() >= 2, "{samples:?}");
    assert!(
        samples.windows(2).all(|w| w[0].seconds <= w[1].seconds),
        "{samples:?}"
    );
    assert!(samples.iter().all(|s| s.frames > 0 && s.heap_bytes > 0));
    // The verdict is the samples' (see `soak::verdict` for its host tests).
    assert_eq!(verdict, soak::judge(&samples));
    assert_eq!(verdict, Verdict::Flat, "{samples:?}");
}
