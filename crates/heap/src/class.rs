//! Size classes: which slot size serves a request.
//!
//! Every small request is rounded up to one of a fixed list of *class sizes*,
//! all multiples of 16. A slab is one page: a 32-byte header at the start, and
//! its objects packed against the *end* of the page, so object `k` counted from
//! the end starts at `page + 4096 - k * size`. Because 4096 is a power of two,
//! such an address is a multiple of every power of two that divides `size`: a
//! 48-byte class hands out 16-aligned blocks, a 192-byte class 64-aligned ones,
//! a 256-byte class 256-aligned ones. [`class_for`] uses exactly that: it picks
//! the smallest class that is big enough *and* whose size is a multiple of the
//! requested alignment.
//!
//! The small classes grow in steps of 16, 32, 64 bytes, so rounding wastes at
//! most about a quarter of a block. The big classes are chosen by how many
//! objects fit in a page: the biggest multiple of 16 that fits 7, 6, 5, 4, 3, 2
//! or 1 objects into the 4064 bytes after the header. They waste little of the
//! page, at the price of wider gaps between neighbouring classes. (There is no
//! 512 class: a page holds 7 objects of 576 bytes just as it would 7 of 512.)

use crate::PAGE_SIZE;
use crate::slab::HEADER;

/// Bytes of a slab page available for objects.
pub(crate) const SLAB_SPACE: usize = PAGE_SIZE - HEADER;

/// The class sizes, smallest first.
pub(crate) const CLASS_SIZES: [usize; 22] = [
    16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, // steps
    576, 672, 800, 1008, 1344, 2032, 4064, // 7, 6, 5, 4, 3, 2, 1 per page
];

/// How many classes there are.
pub(crate) const CLASS_COUNT: usize = CLASS_SIZES.len();

/// The biggest request a slab can serve; anything larger gets whole pages.
pub const MAX_SLAB_SIZE: usize = CLASS_SIZES[CLASS_COUNT - 1];

/// `SMALLEST[(size + 15) / 16]` is the smallest class with room for `size` bytes.
const SMALLEST: [u8; MAX_SLAB_SIZE / 16 + 1] = smallest_table();

const fn smallest_table() -> [u8; MAX_SLAB_SIZE / 16 + 1] {
    let mut table = [0u8; MAX_SLAB_SIZE / 16 + 1];
    let (mut sixteenths, mut class) = (0, 0);
    while sixteenths < table.len() {
        while CLASS_SIZES[class] < sixteenths * 16 {
            class += 1;
        }
        table[sixteenths] = class as u8;
        sixteenths += 1;
    }
    table
}

/// The size of class `class` in bytes.
#[inline]
pub(crate) fn size_of_class(class: usize) -> usize {
    CLASS_SIZES[class]
}

/// Objects per slab page, for each class (a table: dividing on every
/// allocation would cost more than the rest of the fast path).
const CAPACITY: [u16; CLASS_COUNT] = {
    let mut table = [0; CLASS_COUNT];
    let mut class = 0;
    while class < CLASS_COUNT {
        table[class] = (SLAB_SPACE / CLASS_SIZES[class]) as u16;
        class += 1;
    }
    table
};

/// How many objects of class `class` one slab page holds.
#[inline]
pub(crate) fn capacity(class: usize) -> usize {
    CAPACITY[class] as usize
}

/// The smallest class serving `size` bytes at alignment `align` (a power of
/// two), or `None` when only whole pages can (too big, or too strictly aligned).
#[inline]
pub(crate) fn class_for(size: usize, align: usize) -> Option<usize> {
    if size > MAX_SLAB_SIZE {
        return None;
    }
    let mut class = SMALLEST[size.div_ceil(16)] as usize;
    // Every class size is a multiple of 16, so this loop only runs for the
    // rare alignments above 16. (`align` is a power of two, so a mask tests
    // divisibility without a slow division.)
    while CLASS_SIZES[class] & (align - 1) != 0 {
        class += 1;
        if class == CLASS_COUNT {
            return None;
        }
    }
    Some(class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_sorted_multiples_of_16_that_fit_a_slab() {
        for pair in CLASS_SIZES.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?} not increasing");
        }
        for class in 0..CLASS_COUNT {
            let size = size_of_class(class);
            assert_eq!(size % 16, 0, "class {size} is not a multiple of 16");
            assert_eq!(capacity(class), SLAB_SPACE / size);
            assert!(capacity(class) * size <= SLAB_SPACE);
        }
    }

    #[test]
    fn no_class_wastes_more_than_a_sixteenth_of_the_page() {
        for class in 0..CLASS_COUNT {
            let unused = SLAB_SPACE - capacity(class) * size_of_class(class);
            assert!(
                unused <= 256,
                "class {} leaves {unused} bytes",
                size_of_class(class)
            );
        }
    }

    #[test]
    fn class_for_picks_the_smallest_fitting_aligned_class() {
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] {
            for size in 0..=MAX_SLAB_SIZE + 1 {
                let expected = CLASS_SIZES
                    .iter()
                    .position(|&c| c >= size && c % align == 0);
                assert_eq!(
                    class_for(size, align),
                    expected,
                    "size {size}, align {align}"
                );
            }
        }
    }

    #[test]
    fn examples() {
        assert_eq!(class_for(1, 1).map(size_of_class), Some(16));
        assert_eq!(class_for(17, 8).map(size_of_class), Some(32));
        assert_eq!(class_for(100, 64).map(size_of_class), Some(128));
        assert_eq!(class_for(600, 8).map(size_of_class), Some(672));
        assert_eq!(class_for(3000, 8).map(size_of_class), Some(4064));
        assert_eq!(class_for(4065, 8), None);
        assert_eq!(class_for(8, 1024), None, "no class is a multiple of 1024");
    }
}
