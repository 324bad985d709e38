//! Links the loader with our own linker script: the boot sector first, at
//! 0x7c00 where the BIOS puts it, then the real-mode stage, then the Rust code.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-arg-bins=-T{dir}/link.ld");
    println!("cargo:rerun-if-changed=link.ld");
}
