//! Logs to stderr with `tracing`: warnings by default (a server's requests too), debug with
//! `-v`, text or JSON lines.
//!
//! What is logged is chosen so nothing personal or secret is: actions, outcomes, timings,
//! request methods, paths (never queries: they carry phone numbers) and statuses. No
//! credentials, no e-mails, no phones, no note texts.
//!
//! Other crates log below warnings what we do not choose (wasmtime's WASI HTTP traces a
//! request's path with its query, the HTTP stack its headers, wasmtime the calls' arguments),
//! so their events stop at warnings whatever `RUST_LOG` says; `RUST_LOG` sets our own.

use std::io::IsTerminal as _;

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{EnvFilter, FilterFn};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, fmt};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Whether an event or span may be logged at all: any level from our own crates (the
/// `upgates` binary, `upgates_cli`, `upgates_host`, ...), warnings and errors from the others.
pub fn may_log(metadata: &Metadata<'_>) -> bool {
    let ours = metadata.target() == "upgates"
        || metadata.target().starts_with("upgates::")
        || metadata.target().starts_with("upgates_");
    ours || *metadata.level() <= Level::WARN
}

/// Installs the subscriber; `RUST_LOG` still wins when set, within [`may_log`].
pub fn init(verbose: bool, server: bool, format: LogFormat) {
    let default = if verbose {
        "upgates=debug,upgates_host=debug,warn"
    } else if server {
        "upgates=info,upgates_host=warn,warn"
    } else {
        "warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only on a terminal: a log file or a platform's collector gets plain text.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false);
    let layer = match format {
        LogFormat::Text => layer.boxed(),
        LogFormat::Json => layer.json().boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(FilterFn::new(may_log))
        .with(filter)
        .with(layer)
        .try_init();
}
