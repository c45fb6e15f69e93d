//! The component: a thin adapter from the WIT exports to [`upgates_core::Shop`].
//!
//! Credentials come from `wasi:config/store`, HTTP goes out through `wasi:http`; every action
//! drives the shared async code to completion with [`block_on`].

mod convert;
mod transport;

wit_bindgen::generate!({
    path: "../wit",
    world: "upgates:bot/plugin",
    // Reuse the `wasi` crate's WASI bindings: the same ones wstd is built on.
    with: {
        "wasi:http/types@0.2.12": ::wasi::http::types,
        "wasi:http/outgoing-handler@0.2.12": ::wasi::http::outgoing_handler,
        "wasi:io/poll@0.2.12": ::wasi::io::poll,
        "wasi:io/error@0.2.12": ::wasi::io::error,
        "wasi:io/streams@0.2.12": ::wasi::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": ::wasi::clocks::monotonic_clock,
        // Not in the `wasi` crate: generated here.
        "wasi:config/store@0.2.0-rc.1": generate,
    },
});

use exports::upgates::bot::actions::{
    Failure, Guest, InvoiceInfo, OrderDetails, OrderSummary, PhoneOrders,
};
use upgates_core::{AttemptLog, Shop, ShopConfig};

use crate::transport::WasiHttp;

/// The shop with its failed e-mail checks counted by the host.
type PluginShop = Shop<WasiHttp, HostAttempts>;

/// Reads the shop from `wasi:config/store` on every call: a host may rotate keys between
/// calls, and one store lookup is far cheaper than the request that follows.
fn shop() -> Result<PluginShop, upgates_core::Failure> {
    let config =
        ShopConfig::from_lookup(|key| crate::wasi::config::store::get(key).ok().flatten())?;
    Ok(Shop::with_attempt_log(config, WasiHttp, HostAttempts))
}

/// The `attempts` import: the host keeps the counts, the component lives for one call.
struct HostAttempts;

fn window_seconds(window: std::time::Duration) -> u32 {
    u32::try_from(window.as_secs()).unwrap_or(u32::MAX)
}

impl AttemptLog for HostAttempts {
    async fn recent_failures(
        &self,
        key: &str,
        window: std::time::Duration,
    ) -> Result<u32, upgates_core::Failure> {
        Ok(upgates::bot::attempts::recent_failures(
            key,
            window_seconds(window),
        ))
    }

    async fn record_failure(
        &self,
        key: &str,
        window: std::time::Duration,
    ) -> Result<(), upgates_core::Failure> {
        upgates::bot::attempts::record_failure(key, window_seconds(window));
        Ok(())
    }
}

/// Runs one action and converts its result to the WIT types.
fn run<T, W, F>(action: impl FnOnce(PluginShop) -> F) -> Result<W, Failure>
where
    F: Future<Output = Result<T, upgates_core::Failure>>,
    W: From<T>,
{
    let shop = shop().map_err(Failure::from)?;
    block_on(action(shop)).map(W::from).map_err(Failure::from)
}

/// Polls a future to completion. [`WasiHttp`] blocks inside `wasi:http` instead of returning
/// `Pending`, so the shared async code completes in a single poll: no reactor is needed.
fn block_on<T>(
    future: impl Future<Output = Result<T, upgates_core::Failure>>,
) -> Result<T, upgates_core::Failure> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(result) => result,
        std::task::Poll::Pending => Err(upgates_core::Failure::Upstream(
            "internal: an action did not complete".into(),
        )),
    }
}

struct Component;

impl Guest for Component {
    fn verify_order(order_number: String) -> Result<OrderSummary, Failure> {
        run(|shop| async move { shop.verify_order(&order_number).await })
    }

    fn order_detail(order_number: String, email: String) -> Result<OrderDetails, Failure> {
        run(|shop| async move { shop.order_detail(&order_number, &email).await })
    }

    fn customer_email(order_number: String) -> Result<String, Failure> {
        run(|shop| async move { shop.customer_email(&order_number).await })
    }

    fn set_order_status(
        order_number: String,
        status: String,
        notify_customer: bool,
    ) -> Result<(), Failure> {
        run(|shop| async move {
            shop.set_order_status(&order_number, &status, notify_customer)
                .await
        })
    }

    fn verify_customer(order_number: String, email: String) -> Result<(), Failure> {
        run(|shop| async move { shop.verify_customer(&order_number, &email).await })
    }

    fn orders_by_phone(phone: String, days: u32) -> Result<PhoneOrders, Failure> {
        run(|shop| async move { shop.orders_by_phone(&phone, days).await })
    }

    fn append_note(order_number: String, text: String) -> Result<(), Failure> {
        run(|shop| async move { shop.append_note(&order_number, &text).await })
    }

    fn replace_note(order_number: String, text: String) -> Result<(), Failure> {
        run(|shop| async move { shop.replace_note(&order_number, &text).await })
    }

    fn order_documents(order_number: String, email: String) -> Result<InvoiceInfo, Failure> {
        run(|shop| async move { shop.order_documents(&order_number, &email).await })
    }
}

export!(Component);
