//! getrandom.

use crate::check::Checker;
use crate::raw::{KERNEL, NULL, mut_ptr, sys};
use libc::{EFAULT, EINVAL, GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM, SYS_getrandom};

pub fn checks(c: &mut Checker) {
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    c.equal(
        "getrandom(32)",
        sys(SYS_getrandom, &[mut_ptr(a.as_mut_ptr()), 32, 0]),
        Ok(32),
    );
    c.equal(
        "getrandom(32, GRND_NONBLOCK)",
        sys(
            SYS_getrandom,
            &[mut_ptr(b.as_mut_ptr()), 32, GRND_NONBLOCK as u64],
        ),
        Ok(32),
    );
    c.check("two draws differ", a != b, (a, b));
    c.equal(
        "getrandom(0)",
        sys(SYS_getrandom, &[mut_ptr(a.as_mut_ptr()), 0, 0]),
        Ok(0),
    );
    c.fails(
        "getrandom(unknown flag)",
        sys(SYS_getrandom, &[mut_ptr(a.as_mut_ptr()), 8, 0x80]),
        EINVAL,
    );
    c.fails(
        "getrandom(RANDOM | INSECURE)",
        sys(
            SYS_getrandom,
            &[
                mut_ptr(a.as_mut_ptr()),
                8,
                (GRND_RANDOM | GRND_INSECURE) as u64,
            ],
        ),
        EINVAL,
    );
    c.fails("getrandom(NULL)", sys(SYS_getrandom, &[NULL, 8, 0]), EFAULT);
    c.fails(
        "getrandom(kernel address)",
        sys(SYS_getrandom, &[KERNEL, 8, 0]),
        EFAULT,
    );
}
