//! What `upgates` exits with: 0 for an answer (`Ano` or `Ne`), 1 when the call could not run,
//! 2 for usage and configuration errors.

use std::process::ExitCode;

use upgates_core::{Failure, render_text};

/// The call's time ran out before the component could answer: `Ne timeout`, as the runtime
/// answers one that runs out while it works (exit 0, an answer).
pub fn timed_out() -> ExitCode {
    println!("{}", render_text(&Err(Failure::Timeout)));
    ExitCode::SUCCESS
}

/// Exit 1: the call could not run (not the user's input or settings).
pub fn runtime_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("upgates: {message}");
    ExitCode::FAILURE
}

/// The component could not be loaded: a usage error when the user named it (`--component`),
/// else the binary's own fault.
pub fn load_error(named: bool, message: impl std::fmt::Display) -> ExitCode {
    if named {
        usage_error(message)
    } else {
        runtime_error(message)
    }
}

/// Usage and configuration errors: a message on stderr and exit code 2.
pub fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("upgates: {message}");
    ExitCode::from(2)
}
