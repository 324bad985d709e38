//! The ring buffer against a model: a `VecDeque` with the same capacity rule.

use ringbuf::RingBuf;
use std::collections::VecDeque;

use xorshift::XorShift64 as Rng;

#[test]
fn fifo_order_and_wraparound() {
    let mut q = RingBuf::<4>::new();
    for round in 0..10u8 {
        assert!(q.push(round));
        assert!(q.push(round.wrapping_add(100)));
        assert_eq!(q.pop(), Some(round));
        assert_eq!(q.pop(), Some(round.wrapping_add(100)));
        assert_eq!(q.pop(), None);
    }
    assert!(q.is_empty());
}

#[test]
fn full_queue_refuses_and_counts() {
    let mut q = RingBuf::<3>::new();
    assert_eq!(q.capacity(), 3);
    assert!(q.push(1) && q.push(2) && q.push(3));
    assert!(q.is_full());
    assert!(!q.push(4));
    assert!(!q.push(5));
    assert_eq!(q.dropped(), 2);
    assert_eq!(q.take_dropped(), 2);
    assert_eq!(q.dropped(), 0);
    // The old bytes are intact: nothing was overwritten.
    assert_eq!(
        [q.pop(), q.pop(), q.pop(), q.pop()],
        [Some(1), Some(2), Some(3), None]
    );
}

fn random_against_model<const N: usize>(seed: u64) {
    let mut rng = Rng(seed);
    let mut q = RingBuf::<N>::new();
    let mut model = VecDeque::new();
    let mut dropped = 0u64;
    for step in 0..20_000 {
        // Bias towards pushing in some phases and popping in others, so the queue
        // is often completely full and completely empty.
        let push_bias = if (step / 500) % 2 == 0 { 3 } else { 1 };
        let roll = rng.next();
        if roll % 4 < push_bias {
            let byte = (roll >> 8) as u8;
            let accepted = q.push(byte);
            assert_eq!(accepted, model.len() < N, "step {step}");
            if accepted {
                model.push_back(byte);
            } else {
                dropped += 1;
            }
        } else {
            assert_eq!(q.pop(), model.pop_front(), "step {step}");
        }
        if roll.is_multiple_of(97) {
            assert_eq!(q.take_dropped(), dropped);
            dropped = 0;
        }
        assert_eq!(q.len(), model.len());
        assert_eq!(q.is_full(), model.len() == N);
        assert_eq!(q.dropped(), dropped);
    }
}

#[test]
fn random_operations_match_a_model() {
    random_against_model::<1>(1);
    random_against_model::<7>(0x1234_5678);
    random_against_model::<256>(0xdead_beef);
}
