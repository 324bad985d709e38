//! The console on fds 0-2: write, writev, ioctl, poll.
//!
//! Under the host test the standard output is a pipe, not a terminal:
//! the terminal checks run only where `TCGETS` says fd 1 is one.

use crate::check::Checker;
use crate::raw::{KERNEL, NULL, UNMAPPED, WRAPPING, mut_ptr, ptr, sys};
use libc::{
    EBADF, EFAULT, EINVAL, ENOTTY, ESPIPE, POLLNVAL, POLLOUT, SYS_ioctl, SYS_lseek, SYS_poll,
    SYS_write, SYS_writev, TCGETS, TIOCGWINSZ,
};

pub fn checks(c: &mut Checker) {
    let text = b"systest: console write\n";
    c.equal(
        "write(1)",
        sys(SYS_write, &[1, ptr(text.as_ptr()), text.len() as u64]),
        Ok(text.len() as i64),
    );
    c.equal(
        "write(1, 0 bytes)",
        sys(SYS_write, &[1, ptr(text.as_ptr()), 0]),
        Ok(0),
    );
    c.fails("write(1, NULL)", sys(SYS_write, &[1, NULL, 5]), EFAULT);
    c.fails(
        "write(1, kernel address)",
        sys(SYS_write, &[1, KERNEL, 5]),
        EFAULT,
    );
    c.fails(
        "write(1, unmapped)",
        sys(SYS_write, &[1, UNMAPPED, 5]),
        EFAULT,
    );
    c.fails(
        "write(1, range wraps)",
        sys(SYS_write, &[1, WRAPPING, 100]),
        EFAULT,
    );
    c.fails(
        "write(-1)",
        sys(SYS_write, &[-1i64 as u64, ptr(text.as_ptr()), 1]),
        EBADF,
    );
    c.fails(
        "write(999)",
        sys(SYS_write, &[999, ptr(text.as_ptr()), 1]),
        EBADF,
    );

    let (a, b) = (b"systest: ", b"writev\n");
    let iov = [
        libc::iovec {
            iov_base: a.as_ptr() as *mut _,
            iov_len: a.len(),
        },
        libc::iovec {
            iov_base: b.as_ptr() as *mut _,
            iov_len: b.len(),
        },
    ];
    c.equal(
        "writev(1, 2 pieces)",
        sys(SYS_writev, &[1, ptr(iov.as_ptr()), 2]),
        Ok(16),
    );
    c.equal(
        "writev(1, 0 pieces)",
        sys(SYS_writev, &[1, ptr(iov.as_ptr()), 0]),
        Ok(0),
    );
    c.fails(
        "writev(1025 pieces)",
        sys(SYS_writev, &[1, ptr(iov.as_ptr()), 1025]),
        EINVAL,
    );
    c.fails("writev(iov NULL)", sys(SYS_writev, &[1, NULL, 1]), EFAULT);
    c.fails(
        "writev(iov in the kernel)",
        sys(SYS_writev, &[1, KERNEL, 1]),
        EFAULT,
    );
    let bad = [libc::iovec {
        iov_base: KERNEL as *mut _,
        iov_len: 4,
    }];
    c.fails(
        "writev(piece in the kernel)",
        sys(SYS_writev, &[1, ptr(bad.as_ptr()), 1]),
        EFAULT,
    );
    c.fails(
        "writev(999)",
        sys(SYS_writev, &[999, ptr(iov.as_ptr()), 1]),
        EBADF,
    );

    let mut termios = [0u8; 64];
    let terminal = sys(
        SYS_ioctl,
        &[1, TCGETS as u64, mut_ptr(termios.as_mut_ptr())],
    )
    .is_ok();
    if terminal || c.on_kestrel {
        c.check("fd 1 is a terminal on Kestrel", terminal, ());
        let mut size = [0u16; 4];
        c.ok(
            "ioctl(1, TIOCGWINSZ)",
            sys(
                SYS_ioctl,
                &[1, TIOCGWINSZ as u64, mut_ptr(size.as_mut_ptr())],
            ),
        );
        c.check(
            "the console has rows and columns",
            size[0] > 0 && size[1] > 0,
            size,
        );
        c.fails(
            "ioctl(1, unknown request)",
            sys(SYS_ioctl, &[1, 0x5499, mut_ptr(termios.as_mut_ptr())]),
            ENOTTY,
        );
        c.fails(
            "ioctl(1, TCGETS, NULL)",
            sys(SYS_ioctl, &[1, TCGETS as u64, NULL]),
            EFAULT,
        );
        c.fails("lseek(console)", sys(SYS_lseek, &[1, 0, 0]), ESPIPE);
    }
    c.fails(
        "ioctl(999, TCGETS)",
        sys(
            SYS_ioctl,
            &[999, TCGETS as u64, mut_ptr(termios.as_mut_ptr())],
        ),
        EBADF,
    );

    let mut fds = [
        libc::pollfd {
            fd: 1,
            events: POLLOUT,
            revents: 0,
        },
        libc::pollfd {
            fd: 999,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: -1,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    c.equal(
        "poll(stdout writable, fd 999, fd -1)",
        sys(SYS_poll, &[mut_ptr(fds.as_mut_ptr()), 3, 0]),
        Ok(2),
    );
    c.equal("poll: POLLOUT", fds[0].revents & POLLOUT, POLLOUT);
    c.equal("poll: POLLNVAL for a closed fd", fds[1].revents, POLLNVAL);
    c.equal("poll: nothing for fd -1", fds[2].revents, 0);
    c.equal("poll(no fds, 0 ms)", sys(SYS_poll, &[NULL, 0, 0]), Ok(0));
    c.fails("poll(NULL, 1)", sys(SYS_poll, &[NULL, 1, 0]), EFAULT);
    c.fails(
        "poll(too many fds)",
        sys(SYS_poll, &[mut_ptr(fds.as_mut_ptr()), 1 << 30, 0]),
        EINVAL,
    );
    let mut skipped = [libc::pollfd {
        fd: -1,
        events: libc::POLLIN,
        revents: 0,
    }];
    let start = std::time::Instant::now();
    c.equal(
        "poll(fd -1, 20 ms)",
        sys(SYS_poll, &[mut_ptr(skipped.as_mut_ptr()), 1, 20]),
        Ok(0),
    );
    let waited = start.elapsed();
    c.check(
        "poll waited its timeout",
        waited >= std::time::Duration::from_millis(20),
        waited,
    );
}
