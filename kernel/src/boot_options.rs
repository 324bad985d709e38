//! The boot options: what the runner asked of this boot.
//!
//! The runner may hand the kernel one line of options through QEMU's
//! fw_cfg file `opt/org.kestrel/cmdline` (`drivers/fw_cfg.rs`): `monitor`
//! to boot to the kernel monitor, `init=/path` for another first program,
//! `-- ARGS` for init's arguments (the `bootopts` crate reads them). Without the device or the file (a
//! real PC, a plain QEMU) every option has its default. A word the kernel
//! does not understand is reported on the boot log and ignored.

use crate::drivers::fw_cfg;
use crate::println;
use alloc::string::String;
use alloc::vec::Vec;
use spin::Once;

/// The fw_cfg file the runner writes the options into.
pub const FILE: &str = "opt/org.kestrel/cmdline";
/// The first program when `init=` does not name another.
pub const DEFAULT_INIT: &str = "/sbin/init";

/// What this boot was asked for.
#[derive(Clone, Debug)]
pub struct BootOptions {
    /// Boot to the kernel monitor, not to init.
    pub monitor: bool,
    /// The first process's program.
    pub init: String,
    /// Its arguments after its path (the words after `--`).
    pub init_args: Vec<String>,
}

static OPTIONS: Once<BootOptions> = Once::new();

/// Reads the options (once), reporting bad words; later calls give the same.
pub fn get() -> &'static BootOptions {
    OPTIONS.call_once(|| {
        let text = fw_cfg::read_file(FILE).unwrap_or_default();
        if !text.iter().all(|&b| b == 0) {
            let shown: String = String::from_utf8_lossy(&text)
                .trim_end_matches('\0')
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(200)
                .collect();
            println!("boot options: {shown}");
        }
        let options = bootopts::parse(&text, |problem| println!("boot options: {problem}"));
        BootOptions {
            monitor: options.monitor,
            init: String::from(options.init.unwrap_or(DEFAULT_INIT)),
            init_args: options.init_args().map(String::from).collect(),
        }
    })
}
