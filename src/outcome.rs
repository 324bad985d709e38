//! How a run of the kernel ended, and the runner's exit status for it.
//!
//! Four witnesses are combined:
//! - QEMU's exit status: the kernel can end QEMU through the `isa-debug-exit`
//!   device with success (status 33) or failure (35), see `qemu.rs`; any other
//!   exit (window closed, Ctrl-A X, `quit`, the guest switched off or reset under
//!   `-no-reboot`) is status 0;
//! - the QMP events (`events.rs`): `GUEST_PANICKED` when the kernel reported a
//!   panic through the `pvpanic` device, and the reason of a reset;
//! - QEMU's log of CPU resets (`-d cpu_reset -D FILE`): QEMU's emulator writes
//!   `Triple fault` there when the CPU meets an exception while it cannot even
//!   deliver a double fault, and then resets the machine. QMP gives such a reset
//!   the same reason, `guest-reset`, as one the kernel asks for (`reboot`), so this
//!   line is how the runner tells them apart. (Under KVM, which the runner does
//!   not use, QEMU writes no such line and a triple fault looks like `reboot`.)
//!
//! One triple fault is asked for: after a warm reset SeaBIOS reboots the machine
//! once more, "hard", by writing to the reset port 0xcf9 and then raising an
//! exception with no IDT, in case the write did nothing. Under TCG the CPU gets
//! that far before the reset takes effect, so every `reboot` in an interactive
//! run is followed by a triple fault in the BIOS's own code. The log's register
//! dump after `Triple fault` says where the CPU was (`CS` base + `EIP`/`RIP`);
//! triple faults in the BIOS area (0xe0000 to 0xfffff) are not counted.

use crate::events::Seen;
use crate::qemu::{QEMU_FAILURE, QEMU_SUCCESS};

/// The line QEMU's emulator logs (under `-d cpu_reset`) for a triple fault.
pub const TRIPLE_FAULT_LOG_LINE: &str = "Triple fault";

/// Where the BIOS's code lives (below 1 MiB).
const BIOS_AREA: std::ops::Range<u64> = 0xe0000..0x100000;

/// The linear addresses at which the CPU triple-faulted, from QEMU's reset log
/// (`None` for a fault whose register dump could not be read).
pub fn triple_fault_addresses(reset_log: &str) -> Vec<Option<u64>> {
    reset_log
        .split(TRIPLE_FAULT_LOG_LINE)
        .skip(1)
        .map(|dump| {
            let ip = register(dump, "RIP=").or_else(|| register(dump, "EIP="))?;
            let cs_base = dump
                .lines()
                .find(|line| line.starts_with("CS ="))
                .and_then(|line| line.split_whitespace().nth(2))
                .and_then(|base| u64::from_str_radix(base, 16).ok())?;
            Some(cs_base + ip)
        })
        .collect()
}

/// The hexadecimal value after `name` (e.g. `EIP=`) in a register dump.
fn register(dump: &str, name: &str) -> Option<u64> {
    let start = dump.find(name)? + name.len();
    let digits = dump[start..].split_whitespace().next()?;
    u64::from_str_radix(digits, 16).ok()
}

/// Whether the log shows a triple fault outside the BIOS's own reboot.
pub fn unasked_triple_fault(reset_log: &str) -> bool {
    triple_fault_addresses(reset_log)
        .iter()
        .any(|at| !at.is_some_and(|at| BIOS_AREA.contains(&at)))
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The kernel reported success through the exit device.
    Success,
    /// QEMU ended normally: quit, window closed, switched off or reset by the
    /// kernel.
    Ended,
    /// The kernel reported failure through the exit device.
    Failure,
    /// The kernel panicked (it told QEMU through the `pvpanic` device).
    Panicked,
    /// The machine reset without the kernel asking: a triple fault.
    TripleFault,
    /// QEMU exited with another status, or was killed by a signal (`None`).
    QemuFailed(Option<i32>),
}

impl Outcome {
    /// Judges a run from QEMU's exit status, its events and its reset log.
    pub fn judge(status: Option<i32>, seen: &Seen, reset_log: &str) -> Outcome {
        if seen.panicked {
            return Outcome::Panicked;
        }
        if seen.guest_reset() && unasked_triple_fault(reset_log) {
            return Outcome::TripleFault;
        }
        match status {
            Some(QEMU_SUCCESS) => Outcome::Success,
            Some(0) => Outcome::Ended,
            Some(QEMU_FAILURE) => Outcome::Failure,
            other => Outcome::QemuFailed(other),
        }
    }

    /// The runner's exit status: 0 for a clean end, 1 when the kernel failed,
    /// panicked or triple-faulted, QEMU's own status when QEMU failed (2 when it
    /// was killed by a signal).
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Success | Outcome::Ended => 0,
            Outcome::Failure | Outcome::Panicked | Outcome::TripleFault => 1,
            Outcome::QemuFailed(Some(status)) => (*status).clamp(1, 255) as u8,
            Outcome::QemuFailed(None) => 2,
        }
    }

    /// What to tell the user, for anything but a clean end.
    pub fn message(&self) -> Option<String> {
        match self {
            Outcome::Success | Outcome::Ended => None,
            Outcome::Failure => Some("the kernel reported failure".into()),
            Outcome::Panicked => {
                Some("the kernel panicked (its report is on the kernel's console above)".into())
            }
            Outcome::TripleFault => Some(
                "the machine reset without being asked (triple fault: an exception the CPU \
                 could not even report as a double fault)"
                    .into(),
            ),
            Outcome::QemuFailed(Some(status)) => Some(format!("QEMU exited with status {status}")),
            Outcome::QemuFailed(None) => Some("QEMU was killed by a signal".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(shutdown: Option<&str>, resets: &[&str], panicked: bool) -> Seen {
        Seen {
            shutdown: shutdown.map(String::from),
            resets: resets.iter().map(|r| r.to_string()).collect(),
            panicked,
            closed: true,
        }
    }

    /// The start of a real log: the power-on resets, then the bootloader's
    /// triple fault without NX, in long mode.
    const TRIPLE: &str = "CPU Reset (CPU 0)
EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000663
EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0000 00000000 0000ffff 00009300
CS =f000 ffff0000 0000ffff 00009b00
Triple fault
CPU Reset (CPU 0)
RAX=0000000000000000 RBX=0000000000000000 RCX=0000000000000000 RDX=0000000000000000
RIP=0000000000134f15 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0010 0000000000000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
CS =0008 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]
";
    /// SeaBIOS's own triple fault after a warm reset (in 32-bit code).
    const BIOS_TRIPLE: &str = "CPU Reset (CPU 0)
EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0
CS =f000 ffff0000 0000ffff 00009b00
Triple fault
CPU Reset (CPU 0)
EAX=00000006 EBX=000f3e32 ECX=00000000 EDX=00000cf9
EIP=000efaad EFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
CS =0008 00000000 ffffffff 00cf9b00 DPL=0 CS32 [-RA]
";
    const PLAIN: &str = "CPU Reset (CPU 0)\nRAX=0\nCPU Reset (CPU 0)\n";

    #[test]
    fn triple_faults_are_located_and_the_bios_one_is_not_counted() {
        assert_eq!(triple_fault_addresses(TRIPLE), [Some(0x134f15)]);
        assert_eq!(triple_fault_addresses(BIOS_TRIPLE), [Some(0xefaad)]);
        assert_eq!(triple_fault_addresses(PLAIN), []);
        assert!(unasked_triple_fault(TRIPLE));
        assert!(!unasked_triple_fault(BIOS_TRIPLE));
        assert!(!unasked_triple_fault(PLAIN));
        // A real-mode address is CS base + IP; a dump we cannot read counts.
        let real_mode = "Triple fault\nEIP=0000fff0 EFL=0\nCS =f000 000f0000 0000ffff\n";
        assert_eq!(triple_fault_addresses(real_mode), [Some(0xffff0)]);
        assert!(!unasked_triple_fault(real_mode));
        assert!(unasked_triple_fault("Triple fault\n(cut off)"));
    }

    #[test]
    fn exit_device_statuses() {
        let quit = seen(Some("host-qmp-quit"), &[], false);
        assert_eq!(Outcome::judge(Some(33), &quit, PLAIN), Outcome::Success);
        assert_eq!(Outcome::judge(Some(35), &quit, PLAIN), Outcome::Failure);
        assert_eq!(Outcome::judge(Some(0), &quit, PLAIN), Outcome::Ended);
        assert_eq!(
            Outcome::judge(Some(7), &quit, PLAIN),
            Outcome::QemuFailed(Some(7))
        );
        assert_eq!(
            Outcome::judge(None, &quit, PLAIN),
            Outcome::QemuFailed(None)
        );
    }

    #[test]
    fn a_requested_reset_is_a_clean_end_and_a_triple_fault_is_not() {
        // Under -no-reboot: QEMU exits with 0 after SHUTDOWN (guest-reset).
        let reset = seen(Some("guest-reset"), &[], false);
        assert_eq!(Outcome::judge(Some(0), &reset, PLAIN), Outcome::Ended);
        assert_eq!(
            Outcome::judge(Some(0), &reset, TRIPLE),
            Outcome::TripleFault
        );
        // Without -no-reboot: `reboot`, then SeaBIOS's own triple fault; or a
        // real one. Then the user quits.
        let bios = format!("{PLAIN}{BIOS_TRIPLE}");
        let both = seen(Some("host-ui"), &["guest-reset", "guest-reset"], false);
        assert_eq!(Outcome::judge(Some(0), &both, &bios), Outcome::Ended);
        let rebooted = seen(Some("host-ui"), &["guest-reset"], false);
        assert_eq!(
            Outcome::judge(Some(0), &rebooted, TRIPLE),
            Outcome::TripleFault
        );
        assert_eq!(Outcome::judge(Some(0), &rebooted, PLAIN), Outcome::Ended);
        // A log line without any reset (it cannot happen, but) is not enough.
        let quit = seen(Some("host-qmp-quit"), &[], false);
        assert_eq!(Outcome::judge(Some(0), &quit, TRIPLE), Outcome::Ended);
    }

    #[test]
    fn a_panic_fails_the_run_however_qemu_ended() {
        for status in [Some(0), Some(33), None] {
            let panicked = seen(Some("host-qmp-quit"), &[], true);
            assert_eq!(Outcome::judge(status, &panicked, PLAIN), Outcome::Panicked);
        }
    }

    #[test]
    fn exit_codes_and_messages() {
        assert_eq!(Outcome::Success.exit_code(), 0);
        assert_eq!(Outcome::Ended.exit_code(), 0);
        assert_eq!(Outcome::Failure.exit_code(), 1);
        assert_eq!(Outcome::Panicked.exit_code(), 1);
        assert_eq!(Outcome::TripleFault.exit_code(), 1);
        assert_eq!(Outcome::QemuFailed(Some(7)).exit_code(), 7);
        assert_eq!(Outcome::QemuFailed(Some(300)).exit_code(), 255);
        assert_eq!(Outcome::QemuFailed(None).exit_code(), 2);
        assert_eq!(Outcome::Success.message(), None);
        assert!(
            Outcome::TripleFault
                .message()
                .unwrap()
                .contains("reset without being asked")
        );
        assert!(Outcome::Panicked.message().unwrap().contains("panicked"));
    }
}
