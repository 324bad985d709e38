//! What a kernel test binary needs from QEMU beyond the usual machine.
//!
//! Most test kernels run on QEMU's default CPU and memory. A few test
//! hardware features the default machine lacks: `smap` needs a CPU with
//! SMEP and SMAP. The runner (`cargo run -- test`) and the integration
//! tests (`tests/kernel_tests.rs`) both add these arguments, before any the
//! user gives, so each test kernel boots the same way everywhere.

/// Extra QEMU arguments for test kernel `name`, by name.
const EXTRA_QEMU_ARGS: &[(&str, &[&str])] = &[("smap", &["-cpu", "qemu64,+smep,+smap"])];

/// The extra QEMU arguments test kernel `name` needs (usually none).
pub fn qemu_args(name: &str) -> Vec<String> {
    EXTRA_QEMU_ARGS
        .iter()
        .filter(|(kernel, _)| *kernel == name)
        .flat_map(|(_, args)| args.iter().map(|a| a.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::qemu_args;

    #[test]
    fn smap_gets_a_cpu_with_smep_and_smap() {
        assert_eq!(qemu_args("smap"), ["-cpu", "qemu64,+smep,+smap"]);
        assert!(qemu_args("usermode").is_empty());
    }
}
