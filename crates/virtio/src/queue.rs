//! Split-virtqueue bookkeeping: which descriptors are free, which requests
//! are out, and where the next ring entries go.
//!
//! A split virtqueue of size `N` (a power of two) is three areas of guest
//! memory:
//!
//! ```text
//! descriptor table  N x { addr: u64, len: u32, flags: u16, next: u16 }
//!                   flags: NEXT (1) = the chain goes on at `next`,
//!                          WRITE (2) = the device writes this buffer
//! available ring    flags: u16, idx: u16, ring: [u16; N]     (driver writes)
//! used ring         flags: u16, idx: u16, ring: [{ id: u32, len: u32 }; N]
//!                                                             (device writes)
//! ```
//!
//! A request is a *chain* of descriptors. The driver puts the chain's head in
//! `avail.ring[avail.idx % N]`, then increments `avail.idx`; when done, the
//! device puts `{ head, bytes written }` in `used.ring[used.idx % N]` and
//! increments `used.idx`. Both indices run freely and wrap at 2^16 (so `N`
//! divides 2^16 and `idx % N` stays continuous across the wrap).
//!
//! [`SplitQueue`] keeps the driver's side of that: a free list threaded
//! through the descriptors, each in-flight chain's length, the next avail
//! index, and the used index seen so far. The kernel writes what it says into
//! the shared memory. Values from the device (its used index, the ids it
//! returns) are checked: a wrong one is an error and changes nothing.

/// The largest queue this bookkeeping handles.
pub const MAX_SIZE: usize = 256;

/// Descriptor flag: the chain continues at `next`.
pub const DESC_NEXT: u16 = 1;
/// Descriptor flag: the device writes into this buffer.
pub const DESC_WRITE: u16 = 2;

/// Byte offsets in the three areas (for a queue of `size` entries).
pub mod layout {
    /// The descriptor table's size in bytes.
    pub const fn descriptors(size: u16) -> usize {
        16 * size as usize
    }
    /// `avail.idx` and `avail.ring[slot]`.
    pub const AVAIL_IDX: usize = 2;
    pub const fn avail_ring(slot: u16) -> usize {
        4 + 2 * slot as usize
    }
    /// `used.idx`, `used.ring[slot].id` and `.len`.
    pub const USED_IDX: usize = 2;
    pub const fn used_ring(slot: u16) -> usize {
        4 + 8 * slot as usize
    }
    /// The available and used areas' sizes in bytes.
    pub const fn avail(size: u16) -> usize {
        6 + 2 * size as usize
    }
    pub const fn used(size: u16) -> usize {
        6 + 8 * size as usize
    }
}

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The size is 0, above [`MAX_SIZE`] or not a power of two.
    BadSize(u16),
    /// The device returned an id that is not the head of a chain in flight.
    UnknownHead(u32),
    /// The device's used index claims more completions than are in flight.
    UsedIndexAhead { seen: u16, device: u16 },
}

/// Where the driver must write a published chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Publish {
    /// Write the head to `avail.ring[slot]` ...
    pub slot: u16,
    /// ... then this to `avail.idx`.
    pub new_idx: u16,
}

const NONE: u16 = u16::MAX;

/// The driver's bookkeeping for one split virtqueue; see the module docs.
#[derive(Clone, Debug)]
pub struct SplitQueue {
    size: u16,
    /// Free descriptors: a list through `next`; chains: their links.
    next: [u16; MAX_SIZE],
    free_head: u16,
    free: u16,
    /// For the head of each chain in flight, its length; otherwise 0.
    chain_len: [u16; MAX_SIZE],
    in_flight: u16,
    avail_idx: u16,
    used_seen: u16,
}

impl SplitQueue {
    /// A queue of `size` entries, all descriptors free.
    pub fn new(size: u16) -> Result<SplitQueue, QueueError> {
        if size == 0 || !size.is_power_of_two() || usize::from(size) > MAX_SIZE {
            return Err(QueueError::BadSize(size));
        }
        let mut next = [NONE; MAX_SIZE];
        for (i, n) in next.iter_mut().enumerate().take(usize::from(size) - 1) {
            *n = i as u16 + 1;
        }
        Ok(SplitQueue {
            size,
            next,
            free_head: 0,
            free: size,
            chain_len: [0; MAX_SIZE],
            in_flight: 0,
            avail_idx: 0,
            used_seen: 0,
        })
    }

    pub fn size(&self) -> u16 {
        self.size
    }

    /// How many descriptors are free.
    pub fn free(&self) -> u16 {
        self.free
    }

    /// How many chains the device has not returned yet.
    pub fn in_flight(&self) -> u16 {
        self.in_flight
    }

    /// Takes `chain.len()` free descriptors (at least one) and fills `chain`
    /// with their numbers, in order: descriptor `chain[i]`'s `next` must be
    /// `chain[i + 1]`. `None` if not enough are free (nothing taken).
    pub fn alloc(&mut self, chain: &mut [u16]) -> Option<u16> {
        if chain.is_empty() || chain.len() > usize::from(self.free) {
            return None;
        }
        for slot in chain.iter_mut() {
            *slot = self.free_head;
            self.free_head = self.next[usize::from(*slot)];
        }
        for pair in chain.windows(2) {
            self.next[usize::from(pair[0])] = pair[1];
        }
        let head = chain[0];
        self.next[usize::from(chain[chain.len() - 1])] = NONE;
        self.free -= chain.len() as u16;
        self.chain_len[usize::from(head)] = chain.len() as u16;
        self.in_flight += 1;
        Some(head)
    }

    /// Makes the chain at `head` (from [`alloc`](Self::alloc)) available to
    /// the device: says where to write it.
    pub fn publish(&mut self, head: u16) -> Publish {
        debug_assert!(self.chain_len[usize::from(head)] != 0);
        let slot = self.avail_idx % self.size;
        self.avail_idx = self.avail_idx.wrapping_add(1);
        Publish {
            slot,
            new_idx: self.avail_idx,
        }
    }

    /// The next used-ring slot to read, given the device's `used.idx`, or
    /// `None` when every completion up to it has been taken. Advances past
    /// the slot: read it, then [`complete`](Self::complete) its id.
    pub fn next_used(&mut self, device_idx: u16) -> Result<Option<u16>, QueueError> {
        let pending = device_idx.wrapping_sub(self.used_seen);
        if pending == 0 {
            return Ok(None);
        }
        if pending > self.in_flight {
            return Err(QueueError::UsedIndexAhead {
                seen: self.used_seen,
                device: device_idx,
            });
        }
        let slot = self.used_seen % self.size;
        self.used_seen = self.used_seen.wrapping_add(1);
        Ok(Some(slot))
    }

    /// Returns the chain whose head the device reported (`id` from the used
    /// ring) to the free list; its length.
    pub fn complete(&mut self, id: u32) -> Result<u16, QueueError> {
        let head = match u16::try_from(id) {
            Ok(head) if head < self.size && self.chain_len[usize::from(head)] != 0 => head,
            _ => return Err(QueueError::UnknownHead(id)),
        };
        let len = core::mem::take(&mut self.chain_len[usize::from(head)]);
        let mut last = head;
        for _ in 1..len {
            last = self.next[usize::from(last)];
        }
        self.next[usize::from(last)] = self.free_head;
        self.free_head = head;
        self.free += len;
        self.in_flight -= 1;
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, VecDeque};
    use std::vec::Vec;
    use xorshift::XorShift64;

    #[test]
    fn sizes_must_be_powers_of_two_up_to_the_maximum() {
        for bad in [0, 3, 100, 512, u16::MAX] {
            assert_eq!(SplitQueue::new(bad).err(), Some(QueueError::BadSize(bad)));
        }
        assert_eq!(SplitQueue::new(1).unwrap().free(), 1);
        assert_eq!(SplitQueue::new(256).unwrap().free(), 256);
    }

    #[test]
    fn a_request_goes_round() {
        let mut q = SplitQueue::new(8).unwrap();
        let mut chain = [0; 3];
        let head = q.alloc(&mut chain).unwrap();
        assert_eq!((head, chain), (0, [0, 1, 2]));
        assert_eq!(
            q.publish(head),
            Publish {
                slot: 0,
                new_idx: 1
            }
        );
        assert_eq!(q.next_used(0), Ok(None));
        assert_eq!(q.next_used(1), Ok(Some(0)));
        assert_eq!(q.complete(0), Ok(3));
        assert_eq!(q.next_used(1), Ok(None));
        assert_eq!((q.free(), q.in_flight()), (8, 0));
    }

    #[test]
    fn too_long_chains_and_bad_device_values_change_nothing() {
        let mut q = SplitQueue::new(4).unwrap();
        assert_eq!(q.alloc(&mut [0; 5]), None);
        assert_eq!(q.alloc(&mut []), None);
        let head = q.alloc(&mut [0; 2]).unwrap();
        q.publish(head);
        assert_eq!(q.complete(1), Err(QueueError::UnknownHead(1)), "not a head");
        assert_eq!(q.complete(9), Err(QueueError::UnknownHead(9)));
        assert_eq!(q.complete(1 << 20), Err(QueueError::UnknownHead(1 << 20)));
        assert!(matches!(
            q.next_used(2),
            Err(QueueError::UsedIndexAhead { .. })
        ));
        assert_eq!((q.free(), q.in_flight()), (2, 1));
        assert_eq!(q.complete(u32::from(head)), Ok(2));
        assert_eq!(
            q.complete(u32::from(head)),
            Err(QueueError::UnknownHead(0)),
            "twice"
        );
    }

    /// A model device: takes published heads in avail order, completes them
    /// in a random order, writes the used ring. The driver side must never
    /// hand out a descriptor twice, lose one, or misplace a ring entry, also
    /// across the 16-bit wrap of the indices (several hundred thousand
    /// requests).
    #[test]
    fn random_traffic_against_a_model_device() {
        for (seed, size) in [(1u64, 1u16), (2, 4), (3, 16), (4, 256)] {
            let mut rng = XorShift64(seed * 0x9E37_79B9);
            let mut q = SplitQueue::new(size).unwrap();
            let n = usize::from(size);
            let mut avail_ring = std::vec![0u16; n];
            let mut avail_idx = 0u16;
            let mut device_avail = 0u16;
            let mut used_ring = std::vec![0u32; n];
            let mut used_idx = 0u16;
            // The device's unfinished requests, and who owns each descriptor.
            let mut device_has: Vec<u16> = Vec::new();
            let mut chains: std::collections::BTreeMap<u16, Vec<u16>> = Default::default();
            let mut completed = 0u64;
            let mut to_take = VecDeque::new();
            for _ in 0..700_000 {
                match rng.below(3) {
                    0 => {
                        let len = 1 + rng.below(4.min(n));
                        let mut chain = std::vec![0u16; len];
                        let owned: usize = chains.values().map(Vec::len).sum();
                        match q.alloc(&mut chain) {
                            Some(head) => {
                                let set: BTreeSet<_> = chain.iter().collect();
                                assert_eq!(set.len(), len, "a descriptor twice in one chain");
                                for c in chains.values() {
                                    assert!(c.iter().all(|d| !set.contains(d)), "shared");
                                }
                                assert!(chain.iter().all(|&d| d < size));
                                chains.insert(head, chain);
                                let p = q.publish(head);
                                assert_eq!(p.slot, avail_idx % size);
                                avail_ring[usize::from(p.slot)] = head;
                                avail_idx = avail_idx.wrapping_add(1);
                                assert_eq!(p.new_idx, avail_idx);
                            }
                            None => assert!(len > n - owned, "refused with room"),
                        }
                    }
                    1 => {
                        // The device picks up what is available.
                        while device_avail != avail_idx {
                            device_has.push(avail_ring[usize::from(device_avail % size)]);
                            device_avail = device_avail.wrapping_add(1);
                        }
                        if !device_has.is_empty() {
                            let head = device_has.swap_remove(rng.below(device_has.len()));
                            used_ring[usize::from(used_idx % size)] = u32::from(head);
                            used_idx = used_idx.wrapping_add(1);
                            to_take.push_back(head);
                        }
                    }
                    _ => {
                        while let Some(slot) = q.next_used(used_idx).unwrap() {
                            let id = used_ring[usize::from(slot)];
                            assert_eq!(Some(id as u16), to_take.pop_front());
                            let chain = chains.remove(&(id as u16)).expect("in flight");
                            assert_eq!(q.complete(id), Ok(chain.len() as u16));
                            completed += 1;
                        }
                    }
                }
                let owned: usize = chains.values().map(Vec::len).sum();
                assert_eq!(usize::from(q.free()) + owned, n, "descriptors lost");
                assert_eq!(usize::from(q.in_flight()), chains.len());
            }
            assert!(completed > 70_000, "the indices did not wrap: {completed}");
        }
    }

    /// Random values where the device's should be: errors, never a panic,
    /// and the free count stays within the queue.
    #[test]
    fn a_hostile_device_cannot_break_the_bookkeeping() {
        let mut rng = XorShift64(0xBAD_DE71CE);
        let mut q = SplitQueue::new(16).unwrap();
        for _ in 0..200_000 {
            match rng.below(4) {
                0 => {
                    let mut chain = std::vec![0; 1 + rng.below(5)];
                    if let Some(head) = q.alloc(&mut chain) {
                        q.publish(head);
                    }
                }
                1 => {
                    let _ = q.next_used(rng.next() as u16);
                }
                _ => {
                    let _ = q.complete(rng.below(40) as u32);
                }
            }
            assert!(q.free() <= 16 && q.in_flight() <= 16);
        }
    }
}
