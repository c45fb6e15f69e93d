//! The component's stack: 64 KiB instead of Rust's default 1 MiB for wasm.
//!
//! A call's deepest path (config, request, the JSON visitors, which skip nested values without
//! recursing) needs between 4 and 8 KiB: the wasm tests fail at 4 KiB and pass at 8. The stack
//! sits below everything else in linear memory, so overflowing it traps instead of writing over
//! data. A smaller memory is less for the host to reset after every call (the pool scans each
//! page) and less to reserve per call in flight: 1.31 MiB -> 384 KiB.

const STACK_BYTES: u32 = 64 * 1024;

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg-cdylib=-zstack-size={STACK_BYTES}");
    }
}
