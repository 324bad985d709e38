//! Tests: every stack built is read back the way a C library's start code reads it.
extern crate std;

use super::*;
use std::vec::Vec;
use xorshift::XorShift64;

const TOP: u64 = 0x7fff_ffff_f000;
const RANDOM: [u8; 16] = *b"0123456789abcdef";

fn aux() -> Aux {
    Aux {
        phdr: 0x40_0040,
        phent: 56,
        phnum: 9,
        entry: 0x40_1000,
        base: 0,
        uid: 1,
        euid: 2,
        gid: 3,
        egid: 4,
        secure: true,
        hwcap: 0x178b_fbff,
    }
}

/// The built stack, read like `_start` does.
struct Reader<'a> {
    bytes: &'a [u8],
    top: u64,
}

impl Reader<'_> {
    fn byte(&self, address: u64) -> u8 {
        let bottom = self.top - self.bytes.len() as u64;
        assert!(
            address >= bottom && address < self.top,
            "{address:#x} outside the stack"
        );
        self.bytes[(address - bottom) as usize]
    }

    fn u64(&self, address: u64) -> u64 {
        u64::from_le_bytes(core::array::from_fn(|i| self.byte(address + i as u64)))
    }

    fn string(&self, mut address: u64) -> Vec<u8> {
        let mut s = Vec::new();
        while self.byte(address) != 0 {
            s.push(self.byte(address));
            address += 1;
        }
        s
    }

    /// Pointers from `address` up to a zero, as strings; and the address after the zero.
    fn strings(&self, mut address: u64) -> (Vec<Vec<u8>>, u64) {
        let mut list = Vec::new();
        while self.u64(address) != 0 {
            list.push(self.string(self.u64(address)));
            address += 8;
        }
        (list, address + 8)
    }

    fn auxv(&self, mut address: u64) -> Vec<(u32, u64)> {
        let mut pairs = Vec::new();
        loop {
            let key = self.u64(address) as u32;
            pairs.push((key, self.u64(address + 8)));
            if key == at::AT_NULL {
                return pairs;
            }
            address += 16;
        }
    }
}

fn value(pairs: &[(u32, u64)], key: u32) -> u64 {
    pairs.iter().find(|p| p.0 == key).unwrap().1
}

/// Checks that what `_start` reads is what `build` was given.
fn check(bytes: &[u8], top: u64, layout: &Layout, args: &[&[u8]], env: &[&[u8]], execfn: &[u8]) {
    let r = Reader { bytes, top };
    assert_eq!(layout.rsp % 16, 0, "rsp 16-byte aligned at entry");
    assert_eq!(r.u64(layout.rsp), args.len() as u64);
    let (argv, after) = r.strings(layout.rsp + 8);
    assert_eq!(argv, args);
    assert_eq!(after, layout.envp);
    let (envp, after) = r.strings(after);
    assert_eq!(envp, env);
    assert_eq!(after, layout.auxv);
    let pairs = r.auxv(after);
    assert_eq!(pairs.len(), 17);
    let random = value(&pairs, at::AT_RANDOM);
    assert_eq!(random, layout.random);
    let bytes: Vec<u8> = (0..16).map(|i| r.byte(random + i)).collect();
    assert_eq!(bytes, RANDOM);
    assert_eq!(r.string(value(&pairs, at::AT_EXECFN)), execfn);
}

#[test]
fn a_stack_as_start_code_reads_it() {
    let mut bytes = std::vec![0xaa; 4096];
    let args: [&[u8]; 2] = [b"/bin/hello", b"world"];
    let env: [&[u8]; 1] = [b"HOME=/"];
    let layout = build(&mut bytes, TOP, &args, &env, b"/bin/hello", &RANDOM, &aux()).unwrap();
    check(&bytes, TOP, &layout, &args, &env, b"/bin/hello");
    let pairs = Reader {
        bytes: &bytes,
        top: TOP,
    }
    .auxv(layout.auxv);
    let expect = [
        (at::AT_PHDR, 0x40_0040),
        (at::AT_PHENT, 56),
        (at::AT_PHNUM, 9),
        (at::AT_PAGESZ, 4096),
        (at::AT_BASE, 0),
        (at::AT_ENTRY, 0x40_1000),
        (at::AT_UID, 1),
        (at::AT_EUID, 2),
        (at::AT_GID, 3),
        (at::AT_EGID, 4),
        (at::AT_SECURE, 1),
        (at::AT_HWCAP, 0x178b_fbff),
    ];
    for (key, want) in expect {
        assert_eq!(value(&pairs, key), want, "auxv key {key}");
    }
    assert_eq!(pairs.last(), Some(&(at::AT_NULL, 0)));
    assert_eq!(layout.argc, 2);
    assert!(layout.execfn < TOP - 8 && layout.random < layout.execfn);
}

#[test]
fn no_arguments_no_environment() {
    let mut bytes = std::vec![0; 512];
    let layout = build(&mut bytes, TOP, &[], &[], b"", &RANDOM, &aux()).unwrap();
    check(&bytes, TOP, &layout, &[], &[], b"");
    assert_eq!(layout.envp, layout.rsp + 16);
}

#[test]
fn alignment_for_every_string_length_and_unaligned_top() {
    for extra in 0..40 {
        let arg = std::vec![b'x'; extra];
        for top in [TOP, TOP - 1, TOP - 8, TOP - 13] {
            let mut bytes = std::vec![0; 1024];
            let args: [&[u8]; 1] = [&arg];
            let layout = build(&mut bytes, top, &args, &[], b"p", &RANDOM, &aux()).unwrap();
            check(&bytes, top, &layout, &args, &[], b"p");
        }
    }
}

#[test]
fn errors() {
    let mut bytes = std::vec![0; 4096];
    let bad: [&[u8]; 1] = [b"a\0b"];
    let run = |bytes: &mut [u8], top, args: &[&[u8]], env: &[&[u8]], execfn: &[u8]| {
        build(bytes, top, args, env, execfn, &RANDOM, &aux())
    };
    assert_eq!(
        run(&mut bytes, TOP, &bad, &[], b"p"),
        Err(Error::NulInString)
    );
    assert_eq!(
        run(&mut bytes, TOP, &[], &bad, b"p"),
        Err(Error::NulInString)
    );
    assert_eq!(
        run(&mut bytes, TOP, &[], &[], b"\0"),
        Err(Error::NulInString)
    );
    assert_eq!(run(&mut bytes, 100, &[], &[], b"p"), Err(Error::BadTop));
    let big = std::vec![b'y'; 5000];
    let args: [&[u8]; 1] = [&big];
    assert_eq!(run(&mut bytes, TOP, &args, &[], b"p"), Err(Error::TooBig));
    assert_eq!(Error::TooBig.errno(), 7);
    assert_eq!(Error::NulInString.errno(), 22);
    // The stack's own addresses near 0: the table would go below address 0.
    let mut small = std::vec![0; 64];
    assert_eq!(run(&mut small, 64, &[], &[], b"p"), Err(Error::TooBig));
}

#[test]
fn the_smallest_buffer_that_fits_is_used_exactly() {
    let args: [&[u8]; 3] = [b"a", b"bb", b"ccc"];
    let fits = |size: usize| {
        let mut bytes = std::vec![0; size];
        build(&mut bytes, TOP, &args, &[], b"x", &RANDOM, &aux()).is_ok()
    };
    let smallest = (0..1024).find(|&n| fits(n)).unwrap();
    assert!((smallest..smallest + 64).all(fits));
    let mut bytes = std::vec![0; smallest];
    let layout = build(&mut bytes, TOP, &args, &[], b"x", &RANDOM, &aux()).unwrap();
    assert_eq!(
        layout.rsp,
        TOP - smallest as u64,
        "argc is the buffer's first word"
    );
}

#[test]
fn random_input_never_panics_and_reads_back() {
    let mut rng = XorShift64(0x1234_5678_9abc_def1);
    for _ in 0..3000 {
        let mut strings: Vec<Vec<u8>> = Vec::new();
        for _ in 0..rng.below(12) {
            let longest = if rng.below(10) == 0 { 3000 } else { 20 };
            let len = rng.below(longest);
            strings.push((0..len).map(|_| 1 + rng.below(255) as u8).collect());
        }
        if rng.below(20) == 0 && !strings.is_empty() {
            let at = rng.below(strings.len());
            strings[at].push(0);
        }
        let split = rng.below(strings.len() + 1);
        let all: Vec<&[u8]> = strings.iter().map(|s| s.as_slice()).collect();
        let (args, env) = all.split_at(split);
        let mut bytes = std::vec![0; rng.below(4096)];
        let top = match rng.below(4) {
            0 => rng.next(),
            1 => rng.below(5000) as u64,
            _ => TOP - rng.below(64) as u64,
        };
        if let Ok(layout) = build(&mut bytes, top, args, env, b"/bin/x", &RANDOM, &aux()) {
            check(&bytes, top, &layout, args, env, b"/bin/x");
        }
    }
}
