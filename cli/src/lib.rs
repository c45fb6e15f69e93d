//! The `upgates` command line: the shops file, one call per run (with its lock and attempt
//! files), `check` and `statuses`, the demo on a fake shop, and `upgates serve`, the webhook
//! on the Rust host. The binary (`src/main.rs`) parses arguments and dispatches here; the
//! tests use these modules too.

pub mod action_commands;
pub mod admin;
pub mod attempt_files;
pub mod demo;
pub mod exit;
pub mod file_lock;
pub mod logging;
pub mod one_call;
pub mod serve;
pub mod setup;
pub mod shops_file;

/// Lower-case hex: the names of lock and attempt files, derived from hashes.
use upgates_core::hex;
