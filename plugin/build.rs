//! The component's stack: 64 KiB instead of Rust's default 1 MiB for wasm.
//!
//! A call's deepest path (config, request, the JSON visitors, which skip nested values without
//! recursing) needs only a few KiB, and a smaller stack makes every call's memory smaller
//! (figures: docs/performance.md). The stack sits below everything else in linear memory, so
//! overflowing it traps instead of writing over data.

const STACK_BYTES: u32 = 64 * 1024;

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg-cdylib=-zstack-size={STACK_BYTES}");
    }
}
