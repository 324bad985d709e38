//! The first user program: Rust's standard library, on Kestrel's Linux ABI.
//!
//! Nothing here knows about Kestrel. `println!` goes through musl's `write`
//! (or `writev`) on fd 1, and returning from `main` ends in `exit_group(0)`.
//! Before `main`, musl's start-up code reads the auxiliary vector and sets up
//! thread-local storage (`arch_prctl`), and Rust's runtime checks fds 0-2
//! (`poll`) and installs its stack-overflow handler (`sigaltstack`,
//! `rt_sigaction`, `mmap`).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("Hello from user space! (argv: {args:?})");
}
