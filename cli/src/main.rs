//! `upgates`: call the Upgates bot actions from the command line, serve them as a webhook,
//! or run the demo shop.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use std::sync::Arc;

use upgates_cli::action_commands::ActionCommand;
use upgates_cli::attempt_files::FileAttempts;
use upgates_cli::logging::LogFormat;
use upgates_cli::serve;
use upgates_cli::shops_file::{self, ShopsFile};
use upgates_host::{
    ActionName, Allocator, Failure, PLUGIN_WASM, PluginRuntime, PrecompiledCache, RuntimeOptions,
    ShopConnection, render_text,
};

/// A call allocates and frees in many small pieces (HTTP, JSON, wasmtime's per-instance
/// state): with mimalloc `upgates serve` answers ~5 % more calls per second than with
/// glibc's malloc (docs/performance.md, "The webhook under load").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "upgates",
    version,
    about = "Upgates e-shop actions for chatbots, run as a WebAssembly component"
)]
struct Cli {
    /// Use this component instead of the one built into the binary.
    #[arg(long, global = true, value_name = "WASM")]
    component: Option<std::path::PathBuf>,
    /// Compile the component on every start instead of keeping it precompiled in the cache
    /// (the variable takes 1/0, true/false, yes/no, on/off).
    #[arg(
        long,
        global = true,
        env = "UPGATES_NO_CACHE",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    no_cache: bool,
    /// Where the precompiled component is kept [default: `upgates` in the user's cache
    /// directory, e.g. ~/.cache/upgates].
    #[arg(long, global = true, value_name = "DIR", env = "UPGATES_CACHE_DIR")]
    cache_dir: Option<std::path::PathBuf>,
    /// The CLI's state between runs: failed e-mail checks per order (`verify-attempts`) are
    /// counted in DIR/attempts [default: upgates in the user's state or local data directory].
    #[arg(long, global = true, value_name = "DIR", env = "UPGATES_STATE_DIR")]
    state_dir: Option<std::path::PathBuf>,
    /// The shops file [default: upgates/shops.toml in the user's config directory].
    #[arg(long, global = true, value_name = "FILE", env = "UPGATES_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// The most seconds an action may take, all its requests and waits included; past it the
    /// answer is `Ne` `timeout`.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        env = "UPGATES_TIMEOUT",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=600)
    )]
    timeout: u64,
    /// Which shop of the shops file (its `default` otherwise).
    #[arg(long, global = true, value_name = "NAME", env = "UPGATES_SHOP")]
    shop: Option<String>,
    /// Debug logs on stderr, and Upgates' remaining request quota after each call.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Log lines as text or JSON.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The nine actions, one subcommand each, from core's list of actions.
    #[command(flatten)]
    Action(ActionCommand),
    /// Start a fake shop with sample data and walk a customer conversation through all nine actions.
    Demo,
    /// Check the API URL and the API user's rights for each action (one request); exits 1
    /// when an action cannot work.
    Check,
    /// List the shop's order statuses (what set-order-status accepts).
    Statuses,
    /// Serve the actions as a webhook for bot platforms (the Spin app's HTTP API), every
    /// shop of the shops file with its own bot token.
    Serve(serve::ServeArgs),
}

/// Less than this left of a call after waiting for its order's lock file is `Ne timeout`
/// without starting the component (it could be stopped mid-instruction, a trap, not an answer).
const MIN_CALL_TIME: std::time::Duration = std::time::Duration::from_millis(100);

/// The call's time ran out before the component could answer: `Ne timeout`, as the runtime
/// answers one that runs out while it works (exit 0, an answer).
fn timed_out() -> ExitCode {
    println!("{}", render_text(&Err(Failure::Timeout)));
    ExitCode::SUCCESS
}

/// Exit 1: the call could not run (not the user's input or settings).
fn runtime_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("upgates: {message}");
    ExitCode::FAILURE
}

/// The component could not be loaded: a usage error when the user named it (`--component`),
/// else the binary's own fault.
fn load_error(named: bool, message: impl std::fmt::Display) -> ExitCode {
    if named {
        usage_error(message)
    } else {
        runtime_error(message)
    }
}

/// Usage and configuration errors: a message on stderr and exit code 2.
fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("upgates: {message}");
    ExitCode::from(2)
}

/// One process, one call (the demo: one at a time): a small pool is all it needs.
const ONE_CALL_POOL: Allocator = Allocator::Pooling {
    max_concurrent_calls: 4,
};

/// The shops file (`--config`, else the default path, which may be missing).
fn shops_file(cli: &Cli) -> Result<ShopsFile, String> {
    let (path, explicit) = match &cli.config {
        Some(path) => (Some(path.clone()), true),
        None => (shops_file::default_path(), false),
    };
    match path {
        Some(path) => ShopsFile::load(&path, explicit),
        None => Ok(ShopsFile::default()),
    }
}

/// The shop from the shops file (`--config`, `--shop`) with `UPGATES_API_URL`,
/// `UPGATES_API_LOGIN`, `UPGATES_API_KEY`, `UPGATES_DEFAULT_COUNTRY_CODE` on top.
fn shop_from(cli: &Cli) -> Result<ShopConnection, String> {
    let file = shops_file(cli)?;
    let config = file.resolve(cli.shop.as_deref(), |var| std::env::var(var).ok())?;
    let mut shop = ShopConnection::new(config).map_err(|f| f.message())?;
    shop.policy.call_timeout = std::time::Duration::from_secs(cli.timeout);
    // Each run is one call: failed e-mail checks must outlive the process to be limited.
    let attempts = match &cli.state_dir {
        Some(dir) => FileAttempts::new(dir.join("attempts"), &shop.config),
        None => FileAttempts::user_default(&shop.config),
    };
    // The checks file is waited for inside the component's call, which the call's timeout
    // cannot cut off: a short `--timeout` must not be outlasted by it.
    let attempts =
        attempts.with_lock_wait(FileAttempts::LOCK_WAIT.min(shop.policy.call_timeout / 4));
    shop.attempts = Some(Arc::new(attempts));
    Ok(shop)
}

/// The precompiled cache the CLI uses: `--cache-dir`, else the user's cache directory; none
/// with `--no-cache` (or when there is no cache directory).
fn precompiled_cache(cli: &Cli) -> Option<PrecompiledCache> {
    if cli.no_cache {
        return None;
    }
    match &cli.cache_dir {
        Some(dir) => Some(PrecompiledCache::new(dir)),
        None => PrecompiledCache::user_default(),
    }
}

fn load_runtime(
    component: Option<&std::path::Path>,
    cache: Option<PrecompiledCache>,
    allocator: Allocator,
) -> Result<PluginRuntime, String> {
    let read;
    let wasm = match component {
        Some(path) => {
            read =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            &read[..]
        }
        None => PLUGIN_WASM,
    };
    let options = RuntimeOptions {
        allocator,
        cache,
        ..RuntimeOptions::default()
    };
    PluginRuntime::with_options(wasm, &options)
        .map_err(|e| format!("cannot load the component: {e:#}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server logs each request; a one-off call only what went wrong.
    let serving = matches!(cli.command, Command::Serve(_));
    upgates_cli::logging::init(cli.verbose, serving, cli.log_format);
    let cache = precompiled_cache(&cli);
    if let Command::Serve(args) = &cli.command {
        let runtime = match load_runtime(cli.component.as_deref(), cache, Allocator::default()) {
            Ok(r) => r,
            Err(e) => return load_error(cli.component.is_some(), e),
        };
        let shops_file = match shops_file(&cli) {
            Ok(file) => file,
            Err(e) => return usage_error(e),
        };
        let setup = serve::Setup {
            runtime,
            shops_file,
            default_shop: cli.shop.clone(),
            timeout: std::time::Duration::from_secs(cli.timeout),
        };
        return serve::run(args, setup).await;
    }
    if matches!(cli.command, Command::Demo) {
        let runtime = match load_runtime(cli.component.as_deref(), cache, ONE_CALL_POOL) {
            Ok(r) => r,
            Err(e) => return load_error(cli.component.is_some(), e),
        };
        return match upgates_cli::demo::run(&runtime, &mut std::io::stdout()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("upgates demo: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let mut shop = match shop_from(&cli) {
        Ok(shop) => shop,
        Err(e) => return usage_error(e),
    };
    match cli.command {
        Command::Check => return check(&shop).await,
        Command::Statuses => return statuses(&shop).await,
        _ => {}
    }
    let (verbose, log_format) = (cli.verbose, cli.log_format);
    let component = cli.component.clone();
    let Command::Action(ActionCommand { action, input }) = cli.command else {
        return usage_error("no action given");
    };
    let runtime = match load_runtime(component.as_deref(), cache, ONE_CALL_POOL) {
        Ok(r) => r,
        Err(e) => return load_error(component.is_some(), e),
    };
    // Other `upgates` processes may append to the same order: take turns across processes.
    // The wait counts against the call's time, as the in-process turn does.
    let started = std::time::Instant::now();
    let _turn = match (action, &input.order) {
        (ActionName::AppendNote, Some(order)) => {
            let deadline = started + shop.policy.call_timeout;
            match upgates_cli::file_lock::lock_order(&shop.config, order, deadline).await {
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
    if verbose {
        print_quota(&shop, log_format);
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

async fn check(shop: &ShopConnection) -> ExitCode {
    match upgates_cli::admin::check(shop).await {
        Ok(report) => {
            print!("{}", report.to_text());
            if report.all_actions_work() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(failure) => {
            eprintln!("upgates check: {}", failure.message());
            ExitCode::FAILURE
        }
    }
}

async fn statuses(shop: &ShopConnection) -> ExitCode {
    match upgates_cli::admin::statuses(shop).await {
        Ok(list) => {
            print!("{}", upgates_cli::admin::statuses_text(&list));
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("upgates statuses: {}", failure.message());
            ExitCode::FAILURE
        }
    }
}
