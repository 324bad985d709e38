//! The smallest program there is: it exits with status 0.
//!
//! The benchmark's fork+exec+wait measure executes this file many times, so it
//! should cost the loader as little as possible, like the 4.7 KB C program in
//! Linux's reference figure (`int main() { return 0; }`, static musl). A Rust
//! program with `std` is hundreds of KB; this one has no `std` and no Rust
//! runtime: musl's start-up code (`_start`, `__libc_start_main`) calls the C
//! `main` below and passes its result to `exit`, which ends the process with
//! `exit_group(0)`.
#![no_std]
#![no_main]

/// The C entry point, called by musl's start-up code.
#[unsafe(no_mangle)]
pub extern "C" fn main() -> i32 {
    0
}

/// Nothing here can panic, but a `no_std` program must say what a panic does.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
