//! The boot options the runner hands the kernel: one line of words in QEMU's
//! fw_cfg file `opt/org.kestrel/cmdline` (the kernel reads it in
//! `kernel/src/boot_options.rs`; the words are `monitor` and `init=/path`).
//!
//! `cargo run` boots to init and the user shell, so it passes nothing
//! (`--monitor` passes `monitor`). Captured boots (`boot_captured`) are
//! what tests and commands such as `bench-user` drive through the kernel
//! shell, so they pass `monitor` unless asked otherwise
//! ([`crate::boot_captured_to`]).

/// The fw_cfg file name (QEMU wants user files under `opt/`).
pub const FW_CFG_FILE: &str = "opt/org.kestrel/cmdline";

/// A line of boot options for the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelOptions(pub String);

impl KernelOptions {
    /// Boot to the kernel monitor (the kernel shell).
    pub fn monitor() -> KernelOptions {
        KernelOptions("monitor".into())
    }

    /// The kernel's defaults: init, then the user shell.
    pub fn init() -> KernelOptions {
        KernelOptions(String::new())
    }

    /// The QEMU arguments that pass the options (none when there are none).
    /// A comma is doubled: QEMU's option syntax would end the value there.
    pub fn qemu_args(&self) -> Vec<String> {
        if self.0.is_empty() {
            return Vec::new();
        }
        let value = self.0.replace(',', ",,");
        vec![
            "-fw_cfg".into(),
            format!("name={FW_CFG_FILE},string={value}"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_one_fw_cfg_file() {
        assert_eq!(
            KernelOptions::monitor().qemu_args(),
            ["-fw_cfg", "name=opt/org.kestrel/cmdline,string=monitor"]
        );
        assert!(KernelOptions::init().qemu_args().is_empty());
        let odd = KernelOptions("init=/a,b".into());
        assert_eq!(
            odd.qemu_args()[1],
            "name=opt/org.kestrel/cmdline,string=init=/a,,b"
        );
    }
}
