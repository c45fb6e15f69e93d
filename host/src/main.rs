//! `upgates`: call the Upgates bot actions from the command line, or run the demo shop.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use upgates_host::{
    ActionInput, ActionName, PLUGIN_WASM, PluginRuntime, ShopConfig, ShopConnection, render,
};

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Does the order exist? Its status, payment, shipping, total and tracking.
    VerifyOrder(Order),
    /// The order with its items, for the customer who knows its e-mail.
    OrderDetail(OrderEmail),
    /// The e-mail the order was placed with.
    CustomerEmail(Order),
    /// Set the order's status (name in any shop language, or id).
    SetOrderStatus(Status),
    /// Do the order number and e-mail belong together?
    VerifyCustomer(OrderEmail),
    /// The customer's orders by phone within the last DAYS days.
    OrdersByPhone(Phone),
    /// Append a line to the order's internal note.
    AppendNote(Note),
    /// Replace the order's internal note.
    ReplaceNote(Note),
    /// The order's invoice, for the customer who knows its e-mail.
    OrderDocuments(OrderEmail),
    /// Start a fake shop with sample data and walk a customer conversation through all nine actions.
    Demo,
}

#[derive(Args)]
struct Order {
    #[arg(long)]
    order: String,
}

#[derive(Args)]
struct OrderEmail {
    #[arg(long)]
    order: String,
    #[arg(long)]
    email: String,
}

#[derive(Args)]
struct Status {
    #[arg(long)]
    order: String,
    #[arg(long)]
    status: String,
    /// Send the status's e-mail and SMS to the customer.
    #[arg(long)]
    notify: bool,
}

#[derive(Args)]
struct Phone {
    #[arg(long)]
    phone: String,
    #[arg(long)]
    days: u32,
}

#[derive(Args)]
struct Note {
    #[arg(long)]
    order: String,
    #[arg(long)]
    text: String,
}

impl Command {
    /// The action and its inputs; `None` for `demo`.
    fn action(self) -> Option<(ActionName, ActionInput)> {
        let order_email = |a: OrderEmail| ActionInput {
            order: Some(a.order),
            email: Some(a.email),
            ..Default::default()
        };
        let order = |a: Order| ActionInput {
            order: Some(a.order),
            ..Default::default()
        };
        let note = |a: Note| ActionInput {
            order: Some(a.order),
            text: Some(a.text),
            ..Default::default()
        };
        Some(match self {
            Command::Demo => return None,
            Command::VerifyOrder(a) => (ActionName::VerifyOrder, order(a)),
            Command::OrderDetail(a) => (ActionName::OrderDetail, order_email(a)),
            Command::CustomerEmail(a) => (ActionName::CustomerEmail, order(a)),
            Command::SetOrderStatus(a) => (
                ActionName::SetOrderStatus,
                ActionInput {
                    order: Some(a.order),
                    status: Some(a.status),
                    notify: a.notify,
                    ..Default::default()
                },
            ),
            Command::VerifyCustomer(a) => (ActionName::VerifyCustomer, order_email(a)),
            Command::OrdersByPhone(a) => (
                ActionName::OrdersByPhone,
                ActionInput {
                    phone: Some(a.phone),
                    days: Some(a.days),
                    ..Default::default()
                },
            ),
            Command::AppendNote(a) => (ActionName::AppendNote, note(a)),
            Command::ReplaceNote(a) => (ActionName::ReplaceNote, note(a)),
            Command::OrderDocuments(a) => (ActionName::OrderDocuments, order_email(a)),
        })
    }
}

/// Usage and configuration errors: a message on stderr and exit code 2.
fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("upgates: {message}");
    ExitCode::from(2)
}

/// The shop from `UPGATES_API_URL`, `UPGATES_API_LOGIN`, `UPGATES_API_KEY` and the optional
/// `UPGATES_DEFAULT_COUNTRY_CODE`.
fn shop_from_env() -> Result<ShopConnection, String> {
    let config = ShopConfig::from_lookup(|key| std::env::var(env_var(key)).ok()).map_err(|f| {
        format!("{} (the environment variables are UPGATES_API_URL, UPGATES_API_LOGIN, UPGATES_API_KEY)", f.message())
    })?;
    ShopConnection::new(config).map_err(|f| f.message())
}

/// `api-url` -> `UPGATES_API_URL`.
fn env_var(key: &str) -> String {
    format!("UPGATES_{}", key.replace('-', "_").to_ascii_uppercase())
}

fn load_runtime(component: Option<&std::path::Path>) -> Result<PluginRuntime, String> {
    let wasm = match component {
        Some(path) => {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        }
        None => PLUGIN_WASM.to_vec(),
    };
    PluginRuntime::new(&wasm).map_err(|e| format!("cannot load the component: {e:#}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some((action, input)) = cli.command.action() else {
        let runtime = match load_runtime(cli.component.as_deref()) {
            Ok(r) => r,
            Err(e) => return usage_error(e),
        };
        return match upgates_host::demo::run(&runtime, &mut std::io::stdout()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("upgates demo: {e:#}");
                ExitCode::FAILURE
            }
        };
    };
    let shop = match shop_from_env() {
        Ok(shop) => shop,
        Err(e) => return usage_error(e),
    };
    let runtime = match load_runtime(cli.component.as_deref()) {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    match runtime.call(&shop, action, &input).await {
        Ok(result) => {
            println!("{}", render(&result));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("upgates: {e}");
            ExitCode::FAILURE
        }
    }
}
