//! One action per run: the order's lock file for appends, the call, its answer on stdout.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use upgates_core::{ActionName, render_text};
use upgates_host::{PluginRuntime, ShopConnection};

use crate::action_commands::ActionCommand;
use crate::exit::{runtime_error, timed_out};
use crate::logging::LogFormat;

/// Less than this left of a call after waiting for its order's lock file is `Ne timeout`
/// without starting the component (it could be stopped mid-instruction, a trap, not an answer).
const MIN_CALL_TIME: Duration = Duration::from_millis(100);

/// Runs `command` on `shop`; with `quota` set (`--verbose`), Upgates' remaining quota follows
/// on stderr in that log format.
pub async fn run(
    runtime: &PluginRuntime,
    mut shop: ShopConnection,
    command: ActionCommand,
    quota: Option<LogFormat>,
) -> ExitCode {
    let ActionCommand { action, input } = command;
    // Other `upgates` processes may append to the same order: take turns across processes.
    // The wait counts against the call's time, as the in-process turn does.
    let started = Instant::now();
    let _turn = match (action, &input.order) {
        (ActionName::AppendNote, Some(order)) => {
            let deadline = started + shop.policy.call_timeout;
            match crate::file_lock::lock_order(&shop.config, order, deadline).await {
                Ok(lock) => lock,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return timed_out(),
                Err(e) => return runtime_error(format!("cannot take the order's lock file: {e}")),
            }
        }
        _ => None,
    };
    shop.policy.call_timeout = shop.policy.call_timeout.saturating_sub(started.elapsed());
    // Too little left to run the component at all: the answer it would reach anyway.
    if shop.policy.call_timeout < MIN_CALL_TIME {
        return timed_out();
    }
    let result = runtime.call(&shop, action, &input).await;
    if let Some(format) = quota {
        print_quota(&shop, format);
    }
    match result {
        Ok(result) => {
            println!("{}", render_text(&result));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("upgates: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The `X-Rate-Limit-*` figures of the last response, on stderr: a line of text, or with
/// `--log-format json` a log event like the others, so stderr stays one JSON object a line.
fn print_quota(shop: &ShopConnection, format: LogFormat) {
    let figures = shop.policy.rate_limits();
    if format == LogFormat::Json {
        match figures {
            Some(r) => tracing::info!(
                target: "upgates",
                hour_remaining = r.hour_remaining,
                day_remaining = r.day_remaining,
                total_remaining = r.total_remaining,
                "quota left"
            ),
            None => tracing::info!(target: "upgates", "Upgates reported no quota figures"),
        }
        return;
    }
    match figures {
        Some(r) => {
            let show = |v: Option<u64>| v.map_or("?".to_owned(), |v| v.to_string());
            eprintln!(
                "upgates: quota left: {} this hour, {} today, {} in total",
                show(r.hour_remaining),
                show(r.day_remaining),
                show(r.total_remaining)
            );
        }
        None => eprintln!("upgates: Upgates reported no quota figures"),
    }
}
