//! The integration tests: one binary, so wasmtime and Cranelift are linked once. Declared in
//! cli/Cargo.toml as `integration`, so it knows the `upgates` binary; run one part with a
//! filter: `cargo test -p upgates-cli --test integration -- webhook::`. The support they share
//! (the fake shop's helpers, the case tables, the Spin host harness, the guests) is the
//! `upgates-tests` crate in `support/`.

mod actions_native;
mod actions_wasm;
mod cache;
mod cli;
mod guardrails;
mod reliability;
mod stock_runtimes;
mod units;
mod webhook;

use upgates_tests as support;

/// The `upgates` binary Cargo built for this test binary.
const UPGATES: &str = env!("CARGO_BIN_EXE_upgates");

/// `upgates`, cut off from the developer's own set-up (see [`support::upgates_command`]).
fn upgates_command() -> std::process::Command {
    support::upgates_command(UPGATES)
}
