//! The ring buffer against a model: a `VecDeque` of entries with the same
//! rules, written the simplest way.

use ringbuf::{Entry, RingBuf};
use std::collections::VecDeque;

use xorshift::XorShift64 as Rng;

#[test]
fn fifo_order_and_wraparound() {
    let mut q = RingBuf::<4>::new();
    for round in 0..10u8 {
        assert!(q.push(round));
        assert!(q.push(round.wrapping_add(100)));
        assert_eq!(q.pop(), Some(Entry::Byte(round)));
        assert_eq!(q.pop(), Some(Entry::Byte(round.wrapping_add(100))));
        assert_eq!(q.pop(), None);
    }
    assert!(q.is_empty());
}

#[test]
fn a_full_queue_refuses_and_reports_the_gap_where_it_is() {
    let mut q = RingBuf::<3>::new();
    assert_eq!(q.capacity(), 3);
    assert!(q.push(1) && q.push(2) && q.push(3));
    assert!(q.is_full());
    assert!(!q.push(4));
    assert!(!q.push(5));
    // Room again, but the queue stays closed until the reader reaches the gap.
    assert_eq!(q.pop(), Some(Entry::Byte(1)));
    assert!(!q.push(6));
    assert_eq!(q.len(), 2);
    // The old bytes are intact: nothing was overwritten; then the gap, once.
    assert_eq!(
        [q.pop(), q.pop(), q.pop(), q.pop()],
        [
            Some(Entry::Byte(2)),
            Some(Entry::Byte(3)),
            Some(Entry::Gap(3)),
            None
        ]
    );
    assert!(q.push(7));
    assert_eq!(q.pop(), Some(Entry::Byte(7)));
}

#[test]
fn clear_forgets_bytes_and_gap() {
    let mut q = RingBuf::<1>::new();
    assert!(q.push(1));
    assert!(!q.push(2));
    assert!(!q.is_empty());
    q.clear();
    assert!(q.is_empty());
    assert_eq!(q.pop(), None);
    assert!(q.push(3));
}

fn random_against_model<const N: usize>(seed: u64) {
    let mut rng = Rng(seed);
    let mut q = RingBuf::<N>::new();
    let mut model: VecDeque<Entry> = VecDeque::new();
    let (mut pushed, mut received, mut lost) = (0u64, 0u64, 0u64);
    for step in 0..20_000 {
        // Bias towards pushing in some phases and popping in others, so the queue
        // is often completely full and completely empty.
        let push_bias = if (step / 500) % 2 == 0 { 3 } else { 1 };
        let roll = rng.next();
        if roll % 4 < push_bias {
            let byte = (roll >> 8) as u8;
            pushed += 1;
            let stored = model.iter().filter(|e| matches!(e, Entry::Byte(_))).count();
            let accepted = match model.back_mut() {
                Some(Entry::Gap(n)) => {
                    *n += 1;
                    false
                }
                _ if stored == N => {
                    model.push_back(Entry::Gap(1));
                    false
                }
                _ => {
                    model.push_back(Entry::Byte(byte));
                    true
                }
            };
            assert_eq!(q.push(byte), accepted, "step {step}");
        } else {
            let entry = q.pop();
            assert_eq!(entry, model.pop_front(), "step {step}");
            match entry {
                Some(Entry::Byte(_)) => received += 1,
                Some(Entry::Gap(n)) => lost += n,
                None => {}
            }
        }
        assert_eq!(q.is_empty(), model.is_empty());
        assert_eq!(q.is_full(), q.len() == N);
    }
    // Every byte pushed was either received, lost in a reported gap, or is
    // still in the queue.
    while let Some(entry) = q.pop() {
        match entry {
            Entry::Byte(_) => received += 1,
            Entry::Gap(n) => lost += n,
        }
    }
    assert_eq!(received + lost, pushed);
    assert!(lost > 0 && received > 0);
}

#[test]
fn random_operations_match_a_model() {
    random_against_model::<1>(1);
    random_against_model::<7>(0x1234_5678);
    random_against_model::<256>(0xdead_beef);
}

#[test]
fn peek_shows_the_next_byte_and_takes_nothing() {
    let mut q = RingBuf::<2>::new();
    assert_eq!(q.peek(), None);
    assert!(q.push(7) && q.push(8));
    assert!(!q.push(9));
    assert_eq!(q.peek(), Some(7));
    assert_eq!(q.peek(), Some(7));
    assert_eq!(q.pop(), Some(Entry::Byte(7)));
    assert_eq!(q.peek(), Some(8));
    assert_eq!(q.pop(), Some(Entry::Byte(8)));
    // The gap is next: no byte to show, and it is still there.
    assert_eq!(q.peek(), None);
    assert_eq!(q.pop(), Some(Entry::Gap(1)));
}
