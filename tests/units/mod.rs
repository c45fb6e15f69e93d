//! Tests of the host's and the CLI's libraries through their public API: those crates have no
//! unit-test binary of their own (each would link wasmtime again).

mod cli_admin;
mod cli_attempt_files;
mod cli_file_lock;
mod cli_shops_file;
mod host_outgoing;
mod host_policy;
mod host_precompiled;
mod host_runtime;
