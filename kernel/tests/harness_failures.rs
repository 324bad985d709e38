//! The harness's own failure paths: a test kernel whose tests are *meant* to
//! fail. The runner's integration test checks that this kernel reports exactly
//! these failures and exits QEMU with the failure code.
#![no_std]
#![no_main]

use kernel::{should_panic, test};

kernel::test_kernel![
    test!(passes),
    test!(panics_unexpectedly),
    should_panic!(does_not_panic, "never"),
    should_panic!(panics_with_other_message, "expected text"),
    test!(still_runs_at_the_end),
];

fn passes() {}

fn panics_unexpectedly() {
    panic!("unexpected panic in a test");
}

fn does_not_panic() {}

fn panics_with_other_message() {
    panic!("some other text");
}

fn still_runs_at_the_end() {}
