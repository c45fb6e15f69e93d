//! Logs to stderr with `tracing`: warnings by default (a server's requests too), debug with
//! `-v`, text or JSON lines.
//!
//! What is logged is chosen so nothing personal or secret is: actions, outcomes, timings,
//! request methods, paths (never queries: they carry phone numbers) and statuses. No
//! credentials, no e-mails, no phones, no note texts.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the subscriber; `RUST_LOG` still wins when set.
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
