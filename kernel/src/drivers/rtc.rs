//! The CMOS real-time clock: the date and time when the kernel asks.
//!
//! The clock's registers are read through two I/O ports: write a register
//! number to `0x70`, read its value from `0x71`. While the clock updates
//! itself (once a second) its registers can be half old, half new, so we
//! wait until status register A says no update is in progress, read all the
//! registers, and read them again until two readings agree.
//! `crates/rtc` turns the values into Unix time.

use x86_64::instructions::interrupts;
use x86_64::instructions::port::Port;

const INDEX: u16 = 0x70;
const DATA: u16 = 0x71;
/// Bit 7 of an index write keeps NMIs masked, as firmware leaves them.
const NMI_OFF: u8 = 0x80;
const STATUS_A: u8 = 0x0a;
const STATUS_B: u8 = 0x0b;
/// Where QEMU and most firmware keep the century (the ACPI FADT says for sure).
const CENTURY: u8 = 0x32;
const UPDATE_IN_PROGRESS: u8 = 0x80;
/// Give up waiting for a stable reading after this many tries.
const TRIES: usize = 1000;

fn read_register(register: u8) -> u8 {
    // SAFETY: ports 0x70/0x71 are the CMOS index and data registers on
    // every PC; selecting a register and reading it has no other effect.
    // Interrupts are off (our caller), so no one else is between the two.
    unsafe {
        Port::<u8>::new(INDEX).write(NMI_OFF | register);
        Port::<u8>::new(DATA).read()
    }
}

fn read_all() -> rtc::Registers {
    while read_register(STATUS_A) & UPDATE_IN_PROGRESS != 0 {
        core::hint::spin_loop();
    }
    let century = read_register(CENTURY);
    rtc::Registers {
        seconds: read_register(0x00),
        minutes: read_register(0x02),
        hours: read_register(0x04),
        day: read_register(0x07),
        month: read_register(0x08),
        year: read_register(0x09),
        // A century register holds 19 or 20 (BCD 0x19/0x20, or binary).
        century: matches!(century, 0x19 | 0x20 | 19 | 20).then_some(century),
        status_b: read_register(STATUS_B),
    }
}

/// The clock's time in seconds since the Unix epoch, if it reads sensibly.
pub fn unix_seconds() -> Option<u64> {
    interrupts::without_interrupts(|| {
        let mut last = read_all();
        for _ in 0..TRIES {
            let now = read_all();
            if now == last {
                return now.unix_seconds();
            }
            last = now;
        }
        None
    })
}
