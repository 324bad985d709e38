//! The PC's real-time clock: from its registers to Unix time.
//!
//! The CMOS clock keeps the wall-clock date and time while the machine is
//! off. The kernel reads six registers (seconds, minutes, hours, day, month,
//! year in the century, and the century if the firmware says where it is)
//! plus status register B, which says how the numbers are written:
//!
//! - bit 2 set: binary; clear: BCD (`0x59` means 59);
//! - bit 1 set: 24-hour; clear: 12-hour, with bit 7 of the hour meaning PM
//!   (and 12 meaning midnight or noon).
//!
//! [`Registers::unix_seconds`] turns them into seconds since 1970-01-01
//! 00:00 UTC (the clock is taken to run in UTC, as QEMU's does), with the
//! days-from-civil calculation of the proleptic Gregorian calendar.
#![no_std]
#![forbid(unsafe_code)]

/// The raw register values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Registers {
    pub seconds: u8,
    pub minutes: u8,
    pub hours: u8,
    pub day: u8,
    pub month: u8,
    pub year: u8,
    /// The century register, if there is one (else the 2000s are assumed).
    pub century: Option<u8>,
    pub status_b: u8,
}

const BINARY: u8 = 1 << 2;
const HOURS_24: u8 = 1 << 1;
const PM: u8 = 1 << 7;

fn from_bcd(value: u8) -> u8 {
    (value >> 4) * 10 + (value & 0x0f)
}

impl Registers {
    /// Seconds since the Unix epoch, or `None` if a field is out of range.
    pub fn unix_seconds(&self) -> Option<u64> {
        let decode = |v: u8| {
            if self.status_b & BINARY != 0 {
                v
            } else {
                from_bcd(v)
            }
        };
        let mut hours = decode(self.hours & !PM);
        if self.status_b & HOURS_24 == 0 {
            hours %= 12;
            if self.hours & PM != 0 {
                hours += 12;
            }
        }
        let (seconds, minutes) = (decode(self.seconds), decode(self.minutes));
        let (day, month) = (decode(self.day), decode(self.month));
        let century = self.century.map(decode).unwrap_or(20);
        let year = u64::from(century) * 100 + u64::from(decode(self.year));
        if seconds > 59 || minutes > 59 || hours > 23 || !(1..=12).contains(&month) {
            return None;
        }
        if day < 1 || day > days_in_month(year, month) || year < 1970 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        Some(days * 86_400 + u64::from(hours) * 3600 + u64::from(minutes) * 60 + u64::from(seconds))
    }
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to `year-month-day` (year 1970 or later).
pub fn days_from_civil(year: u64, month: u8, day: u8) -> u64 {
    let before_year: u64 = (1970..year)
        .map(|y| if is_leap(y) { 366 } else { 365 })
        .sum();
    let before_month: u64 = (1..month).map(|m| u64::from(days_in_month(year, m))).sum();
    before_year + before_month + u64::from(day) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bcd(seconds: u8, minutes: u8, hours: u8, day: u8, month: u8, year: u8) -> Registers {
        Registers {
            seconds,
            minutes,
            hours,
            day,
            month,
            year,
            century: Some(0x20),
            status_b: HOURS_24,
        }
    }

    #[test]
    fn known_dates() {
        // `date -u -d '2026-12-02 08:39:38' +%s` = 1796200778
        assert_eq!(
            bcd(0x38, 0x39, 0x08, 0x02, 0x12, 0x26).unix_seconds(),
            Some(1_796_200_778)
        );
        // 2000-02-29 23:59:59 = 951868799
        assert_eq!(
            bcd(0x59, 0x59, 0x23, 0x29, 0x02, 0x00).unix_seconds(),
            Some(951_868_799)
        );
        let mut epoch = bcd(0, 0, 0, 1, 1, 0x70);
        epoch.century = Some(0x19);
        assert_eq!(epoch.unix_seconds(), Some(0));
    }

    #[test]
    fn binary_and_12_hour_modes() {
        let mut r = bcd(38, 39, 8, 2, 12, 26);
        r.status_b = BINARY | HOURS_24;
        r.century = Some(20);
        assert_eq!(r.unix_seconds(), Some(1_796_200_778));
        // 12-hour BCD: 8 PM is 0x88, midnight 0x12, noon 0x92.
        let base = bcd(0, 0, 0, 0x02, 0x12, 0x26).unix_seconds().unwrap();
        for (hours, expected) in [(0x88, 20), (0x12, 0), (0x92, 12), (0x01, 1)] {
            let mut r = bcd(0, 0, hours, 0x02, 0x12, 0x26);
            r.status_b = 0;
            assert_eq!(r.unix_seconds(), Some(base + expected * 3600), "{hours:#x}");
        }
        r.century = None;
        assert_eq!(r.unix_seconds(), Some(1_796_200_778), "the 2000s assumed");
    }

    #[test]
    fn nonsense_is_none() {
        assert_eq!(bcd(0x60, 0, 0, 1, 1, 0x26).unix_seconds(), None);
        assert_eq!(bcd(0, 0, 0x24, 1, 1, 0x26).unix_seconds(), None);
        assert_eq!(bcd(0, 0, 0, 0x30, 0x02, 0x26).unix_seconds(), None);
        assert_eq!(bcd(0, 0, 0, 0, 1, 0x26).unix_seconds(), None);
        assert_eq!(bcd(0, 0, 0, 1, 0x13, 0x26).unix_seconds(), None);
        assert_eq!(bcd(0xff, 0xff, 0xff, 0xff, 0xff, 0xff).unix_seconds(), None);
    }
}
