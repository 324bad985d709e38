//! Unit tests, and random operations checked against a page-array model.

use super::*;
use xorshift::XorShift64;

fn region(start: u64, end: u64, rights: Rights, kind: Kind) -> Region {
    Region {
        start: start * PAGE,
        end: end * PAGE,
        rights,
        kind,
    }
}

fn rw(start: u64, end: u64) -> Region {
    region(start, end, Rights::READ_WRITE, Kind::Anonymous)
}

#[test]
fn insert_and_lookup() {
    let mut map = Map::new();
    map.insert(rw(2, 5)).unwrap();
    assert_eq!(map.lookup(2 * PAGE), Some(&rw(2, 5)));
    assert_eq!(map.lookup(5 * PAGE - 1), Some(&rw(2, 5)));
    assert_eq!(map.lookup(5 * PAGE), None);
    assert_eq!(map.lookup(2 * PAGE - 1), None);
    assert_eq!(map.insert(rw(4, 6)), Err(Error::Overlaps));
    assert_eq!(map.insert(rw(1, 3)), Err(Error::Overlaps));
    assert_eq!(map.insert(rw(0, 9)), Err(Error::Overlaps));
    map.insert(rw(5, 6)).unwrap();
    assert_eq!(map.insert(rw(3, 3)), Err(Error::Empty));
    let unaligned = Region {
        start: 1,
        ..rw(7, 8)
    };
    assert_eq!(map.insert(unaligned), Err(Error::Unaligned));
}

#[test]
fn remove_splits_and_returns_the_pieces() {
    let mut map = Map::new();
    map.insert(rw(0, 10)).unwrap();
    assert_eq!(map.remove(3 * PAGE, 5 * PAGE).unwrap(), [rw(3, 5)]);
    assert_eq!(
        map.iter().copied().collect::<Vec<_>>(),
        [rw(0, 3), rw(5, 10)]
    );
    // Across a hole and two regions.
    assert_eq!(
        map.remove(2 * PAGE, 7 * PAGE).unwrap(),
        [rw(2, 3), rw(5, 7)]
    );
    assert_eq!(
        map.iter().copied().collect::<Vec<_>>(),
        [rw(0, 2), rw(7, 10)]
    );
    // Nothing there: not an error.
    assert_eq!(map.remove(20 * PAGE, 30 * PAGE).unwrap(), []);
    assert_eq!(map.remove(PAGE, PAGE + 1), Err(Error::Unaligned));
}

#[test]
fn protect_splits_and_needs_every_page_mapped() {
    let mut map = Map::new();
    map.insert(rw(0, 4)).unwrap();
    map.insert(rw(5, 8)).unwrap();
    let read = Rights::from_prot(1);
    assert_eq!(map.protect(3 * PAGE, 6 * PAGE, read), Err(Error::NotMapped));
    assert_eq!(map.protect(6 * PAGE, 9 * PAGE, read), Err(Error::NotMapped));
    assert_eq!(map.iter().count(), 2, "nothing changed");
    map.protect(PAGE, 2 * PAGE, read).unwrap();
    let kinds: Vec<_> = map
        .iter()
        .map(|r| (r.start / PAGE, r.end / PAGE, r.rights))
        .collect();
    assert_eq!(
        kinds,
        [
            (0, 1, Rights::READ_WRITE),
            (1, 2, read),
            (2, 4, Rights::READ_WRITE),
            (5, 8, Rights::READ_WRITE)
        ]
    );
}

#[test]
fn find_free_is_top_down() {
    let mut map = Map::new();
    assert_eq!(map.find_free(2 * PAGE, 0, 10 * PAGE), Some(8 * PAGE));
    map.insert(rw(7, 10)).unwrap();
    assert_eq!(map.find_free(2 * PAGE, 0, 10 * PAGE), Some(5 * PAGE));
    map.insert(rw(2, 6)).unwrap();
    assert_eq!(map.find_free(PAGE, 0, 10 * PAGE), Some(6 * PAGE));
    assert_eq!(map.find_free(2 * PAGE, 0, 10 * PAGE), Some(0));
    assert_eq!(map.find_free(2 * PAGE, PAGE, 10 * PAGE), None);
    assert_eq!(map.find_free(3 * PAGE, 0, 10 * PAGE), None);
    assert_eq!(map.find_free(0, 0, 10 * PAGE), None);
    // A region that reaches above the limit closes the top gap.
    assert_eq!(map.find_free(PAGE, 0, 8 * PAGE), Some(6 * PAGE));
}

#[test]
fn rights_from_prot_and_access() {
    let none = Rights::from_prot(0);
    assert_eq!(none, Rights::NONE);
    assert!(!none.allow(Access::Read));
    let write = Rights::from_prot(2);
    assert!(write.allow(Access::Read) && write.allow(Access::Write));
    assert!(!write.allow(Access::Execute));
    let exec = Rights::from_prot(4);
    assert!(exec.allow(Access::Execute) && !exec.allow(Access::Write));
}

// --- The model: one entry per page ------------------------------------------

const PAGES: usize = 48;

type Model = [Option<(Rights, Kind)>; PAGES];

fn model_of(map: &Map) -> Model {
    let mut model = [None; PAGES];
    for (page, slot) in model.iter_mut().enumerate() {
        *slot = map.lookup(page as u64 * PAGE).map(|r| (r.rights, r.kind));
    }
    model
}

fn random_rights(rng: &mut XorShift64) -> Rights {
    Rights::from_prot(rng.below_u64(8))
}

fn random_kind(rng: &mut XorShift64) -> Kind {
    [Kind::Anonymous, Kind::Heap, Kind::Stack, Kind::Program][rng.below(4)]
}

/// A random range in pages, sometimes empty.
fn random_range(rng: &mut XorShift64) -> (usize, usize) {
    let start = rng.below(PAGES);
    let end = (start + rng.below(12)).min(PAGES);
    (start, end)
}

fn model_find_free(model: &Model, len: usize, lowest: usize, highest: usize) -> Option<u64> {
    (lowest..=highest.checked_sub(len)?)
        .rev()
        .find(|&s| model[s..s + len].iter().all(Option::is_none))
        .map(|s| s as u64 * PAGE)
}

#[test]
fn random_operations_match_a_page_model() {
    let mut rng = XorShift64(0x5eed_1234_9876);
    for _round in 0..200 {
        let mut map = Map::new();
        let mut model: Model = [None; PAGES];
        for _op in 0..60 {
            let (start, end) = random_range(&mut rng);
            let (s, e) = (start as u64 * PAGE, end as u64 * PAGE);
            match rng.below(4) {
                0 => {
                    let r = Region {
                        start: s,
                        end: e,
                        rights: random_rights(&mut rng),
                        kind: random_kind(&mut rng),
                    };
                    let free = model[start..end].iter().all(Option::is_none);
                    let expected = if start == end {
                        Err(Error::Empty)
                    } else if !free {
                        Err(Error::Overlaps)
                    } else {
                        model[start..end].fill(Some((r.rights, r.kind)));
                        Ok(())
                    };
                    assert_eq!(map.insert(r), expected);
                }
                1 => {
                    let result = map.remove(s, e);
                    if start == end {
                        assert_eq!(result, Err(Error::Empty));
                        continue;
                    }
                    let removed = result.unwrap();
                    let pages: usize = removed.iter().map(|r| (r.len() / PAGE) as usize).sum();
                    let expected = model[start..end].iter().filter(|p| p.is_some()).count();
                    assert_eq!(pages, expected, "removed pieces cover the mapped pages");
                    for r in &removed {
                        assert!(r.start >= s && r.end <= e && !r.is_empty());
                        let page = (r.start / PAGE) as usize;
                        assert_eq!(model[page], Some((r.rights, r.kind)));
                    }
                    model[start..end].fill(None);
                }
                2 => {
                    let rights = random_rights(&mut rng);
                    let all = model[start..end].iter().all(Option::is_some);
                    let expected = if start == end {
                        Err(Error::Empty)
                    } else if !all {
                        Err(Error::NotMapped)
                    } else {
                        for page in &mut model[start..end] {
                            page.as_mut().unwrap().0 = rights;
                        }
                        Ok(())
                    };
                    assert_eq!(map.protect(s, e, rights), expected);
                }
                _ => {
                    let len = 1 + rng.below(6);
                    let lowest = rng.below(PAGES);
                    let highest = lowest + rng.below(PAGES - lowest + 1);
                    assert_eq!(
                        map.find_free(
                            len as u64 * PAGE,
                            lowest as u64 * PAGE,
                            highest as u64 * PAGE
                        ),
                        model_find_free(&model, len, lowest, highest),
                        "find_free({len}, {lowest}, {highest})"
                    );
                }
            }
            assert_eq!(model_of(&map), model);
            // Regions never overlap and are sorted.
            let regions: Vec<_> = map.iter().collect();
            for pair in regions.windows(2) {
                assert!(pair[0].end <= pair[1].start);
            }
        }
    }
}
