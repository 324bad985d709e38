//! `exit0` has no `std`, so nothing links the C library for it: ask for musl's
//! `libc.a` (shipped with the target), whose start-up code calls our `main`
//! and passes its result to `exit`.
fn main() {
    println!("cargo:rustc-link-lib=static=c");
}
