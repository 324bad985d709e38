use super::*;
use xorshift::XorShift64;

fn key(address: u64) -> Key {
    Key { space: 1, address }
}

#[test]
fn wake_takes_the_oldest_waiters_up_to_the_count() {
    let mut t = Table::new();
    for w in 1..=4 {
        t.wait(key(8), w, ALL);
    }
    assert_eq!(t.wake(key(8), 2, ALL), [1, 2]);
    assert_eq!(t.waiting(key(8)), 2);
    assert_eq!(t.wake(key(8), usize::MAX, ALL), [3, 4]);
    assert!(t.is_empty());
}

#[test]
fn words_and_address_spaces_are_apart() {
    let mut t = Table::new();
    t.wait(key(8), 1, ALL);
    t.wait(key(12), 2, ALL);
    t.wait(
        Key {
            space: 2,
            address: 8,
        },
        3,
        ALL,
    );
    assert_eq!(t.wake(key(8), 10, ALL), [1]);
    assert_eq!(t.wake(key(16), 10, ALL), Vec::<i32>::new());
    assert_eq!(t.waiting(key(12)), 1);
    assert_eq!(
        t.waiting(Key {
            space: 2,
            address: 8
        }),
        1
    );
}

#[test]
fn a_wake_wakes_only_waiters_whose_bitset_it_meets() {
    let mut t = Table::new();
    t.wait(key(8), 1, 0b01);
    t.wait(key(8), 2, 0b10);
    t.wait(key(8), 3, 0b11);
    assert_eq!(t.wake(key(8), 10, 0b10), [2, 3]);
    assert_eq!(t.wake(key(8), 10, 0b10), Vec::<i32>::new());
    assert_eq!(t.wake(key(8), 10, ALL), [1]);
}

#[test]
fn remove_says_whether_a_wake_came_first() {
    let mut t = Table::new();
    t.wait(key(8), 1, ALL);
    t.wait(key(8), 2, ALL);
    assert_eq!(t.wake(key(8), 1, ALL), [1]);
    assert!(!t.remove(key(8), &1), "already woken");
    assert!(t.remove(key(8), &2), "still waiting");
    assert!(t.is_empty());
}

/// Random waits, wakes and removals against a model: one list of
/// (key, waiter, bitset) in arrival order.
#[test]
fn random_operations_match_a_simple_model() {
    let mut rng = XorShift64(0x5eed_f00d);
    for _ in 0..200 {
        let mut t = Table::new();
        let mut model: Vec<(Key, u32, u32)> = Vec::new();
        let mut next = 0u32;
        for _ in 0..200 {
            let k = key(rng.below_u64(3) * 4);
            match rng.below(3) {
                0 => {
                    let bitset = 1 + rng.below_u64(7) as u32;
                    t.wait(k, next, bitset);
                    model.push((k, next, bitset));
                    next += 1;
                }
                1 => {
                    let count = rng.below(4);
                    let bitset = 1 + rng.below_u64(7) as u32;
                    let mut want = Vec::new();
                    model.retain(|&(mk, w, b)| {
                        let take = mk == k && b & bitset != 0 && want.len() < count;
                        if take {
                            want.push(w);
                        }
                        !take
                    });
                    assert_eq!(t.wake(k, count, bitset), want);
                }
                _ => {
                    let w = rng.below(next as usize + 1) as u32;
                    let there = model.iter().position(|&(mk, mw, _)| mk == k && mw == w);
                    if let Some(i) = there {
                        model.remove(i);
                    }
                    assert_eq!(t.remove(k, &w), there.is_some());
                }
            }
            for a in [0, 4, 8] {
                let n = model.iter().filter(|m| m.0 == key(a)).count();
                assert_eq!(t.waiting(key(a)), n);
            }
        }
        assert_eq!(t.is_empty(), model.is_empty());
    }
}
