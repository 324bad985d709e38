//! `siginfo`: why a signal came. 128 bytes: the signal number, an error
//! number (always 0 here), a *code* saying what sent it (`SI_USER` for
//! `kill`, `SI_TKILL` for `tkill`, `SEGV_MAPERR` for a fault on an unmapped
//! page, `CLD_EXITED` for a child's end, ...), then fields that depend on
//! the kind: the sender's pid and uid; the faulting address; the child's
//! pid, uid and status.

use crate::SIGINFO_SIZE;

/// The fields after the code, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// Nothing more (a signal the kernel sends for itself).
    #[default]
    None,
    /// `kill`, `tkill`: who sent it.
    Sender { pid: u32, uid: u32 },
    /// A CPU fault: the address (`si_addr`).
    Fault { address: u64 },
    /// SIGCHLD: which child, and its exit code or signal.
    Child { pid: u32, uid: u32, status: i32 },
}

/// One siginfo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    pub signal: u32,
    pub code: i32,
    pub detail: Detail,
}

impl Info {
    /// The 128 bytes a handler reads.
    pub fn to_bytes(&self) -> [u8; SIGINFO_SIZE] {
        let mut b = [0u8; SIGINFO_SIZE];
        b[0..4].copy_from_slice(&self.signal.to_le_bytes());
        b[8..12].copy_from_slice(&self.code.to_le_bytes());
        match self.detail {
            Detail::None => {}
            Detail::Sender { pid, uid } => {
                b[16..20].copy_from_slice(&pid.to_le_bytes());
                b[20..24].copy_from_slice(&uid.to_le_bytes());
            }
            Detail::Fault { address } => b[16..24].copy_from_slice(&address.to_le_bytes()),
            Detail::Child { pid, uid, status } => {
                b[16..20].copy_from_slice(&pid.to_le_bytes());
                b[20..24].copy_from_slice(&uid.to_le_bytes());
                b[24..28].copy_from_slice(&status.to_le_bytes());
            }
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};
    use linux_raw_sys::general as linux;

    /// Where Linux puts each field (from `linux_raw_sys`'s bindings).
    const FIELDS: usize = offset_of!(linux::siginfo__bindgen_ty_1__bindgen_ty_1, _sifields);

    #[test]
    fn layout_matches_linux() {
        assert_eq!(size_of::<linux::siginfo>(), SIGINFO_SIZE);
        assert_eq!(
            offset_of!(linux::siginfo__bindgen_ty_1__bindgen_ty_1, si_code),
            8
        );
        assert_eq!(FIELDS, 16);
        assert_eq!(offset_of!(linux::__sifields__bindgen_ty_1, _uid), 4);
        assert_eq!(offset_of!(linux::__sifields__bindgen_ty_4, _status), 8);
        assert_eq!(offset_of!(linux::__sifields__bindgen_ty_5, _addr), 0);
    }

    #[test]
    fn each_kind_puts_its_fields_where_linux_reads_them() {
        let kill = Info {
            signal: 10,
            code: linux::SI_TKILL,
            detail: Detail::Sender { pid: 42, uid: 7 },
        }
        .to_bytes();
        assert_eq!(kill[0], 10);
        assert_eq!(i32::from_le_bytes(kill[8..12].try_into().unwrap()), -6);
        assert_eq!(kill[FIELDS], 42);
        assert_eq!(kill[FIELDS + 4], 7);
        let fault = Info {
            signal: 11,
            code: linux::SEGV_MAPERR as i32,
            detail: Detail::Fault {
                address: 0xdead_beef_0000,
            },
        }
        .to_bytes();
        assert_eq!(
            u64::from_le_bytes(fault[FIELDS..FIELDS + 8].try_into().unwrap()),
            0xdead_beef_0000
        );
        let child = Info {
            signal: 17,
            code: linux::CLD_EXITED as i32,
            detail: Detail::Child {
                pid: 5,
                uid: 0,
                status: 3,
            },
        }
        .to_bytes();
        assert_eq!(child[FIELDS], 5);
        assert_eq!(child[FIELDS + 8], 3);
        assert!(child[FIELDS + 12..].iter().all(|&b| b == 0));
    }
}
