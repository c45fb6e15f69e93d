//! `upgates`: call the Upgates bot actions from the command line, serve them as a webhook,
//! or run the demo shop.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use upgates_cli::action_commands::ActionCommand;
use upgates_cli::exit::{load_error, usage_error};
use upgates_cli::logging::LogFormat;
use upgates_cli::{admin, one_call, serve, setup};
use upgates_host::Allocator;

/// A call allocates and frees in many small pieces (HTTP, JSON, wasmtime's per-instance
/// state), which mimalloc serves faster than glibc's malloc (docs/performance.md).
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
    /// counted in DIR/attempts, the component's `wasi:keyvalue` store [default: upgates in the
    /// user's state or local data directory].
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

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server logs each request; a one-off call only what went wrong.
    let serving = matches!(cli.command, Command::Serve(_));
    upgates_cli::logging::init(cli.verbose, serving, cli.log_format);
    let cache = setup::precompiled_cache(cli.no_cache, cli.cache_dir.as_deref());
    let component = cli.component.as_deref();
    let timeout = Duration::from_secs(cli.timeout);
    if let Command::Serve(args) = &cli.command {
        let runtime = match setup::load_runtime(component, cache, Allocator::default()) {
            Ok(r) => r,
            Err(e) => return load_error(component.is_some(), e),
        };
        let shops_file = match setup::load_shops_file(cli.config.as_deref()) {
            Ok(file) => file,
            Err(e) => return usage_error(e),
        };
        let setup = serve::Setup {
            runtime,
            shops_file,
            default_shop: cli.shop.clone(),
            timeout,
        };
        return serve::run(args, setup).await;
    }
    if matches!(cli.command, Command::Demo) {
        let runtime = match setup::load_runtime(component, cache, setup::ONE_CALL_POOL) {
            Ok(r) => r,
            Err(e) => return load_error(component.is_some(), e),
        };
        return match upgates_cli::demo::run(&runtime, &mut std::io::stdout()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("upgates demo: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let shop = setup::load_shops_file(cli.config.as_deref()).and_then(|file| {
        setup::shop_connection(
            &file,
            cli.shop.as_deref(),
            timeout,
            cli.state_dir.as_deref(),
        )
    });
    let shop = match shop {
        Ok(shop) => shop,
        Err(e) => return usage_error(e),
    };
    let command = match cli.command {
        Command::Check => return admin::run_check(&shop).await,
        Command::Statuses => return admin::run_statuses(&shop).await,
        Command::Action(command) => command,
        Command::Demo | Command::Serve(_) => return usage_error("no action given"),
    };
    let runtime = match setup::load_runtime(component, cache, setup::ONE_CALL_POOL) {
        Ok(r) => r,
        Err(e) => return load_error(component.is_some(), e),
    };
    let quota = cli.verbose.then_some(cli.log_format);
    one_call::run(&runtime, shop, command, quota).await
}
