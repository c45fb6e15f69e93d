//! The nine Upgates bot actions as plain Rust.
//!
//! Each action validates its input ([`input`]), builds the Upgates API v2 request ([`api`]),
//! sends it through an [`Upstream`] the packaging provides (the wasm component's `wasi:http`,
//! the Spin SDK, or a test double) and maps the response ([`model`]) to a typed answer
//! ([`answer`]) or a [`Failure`]. Nothing here does I/O by itself, so the same code runs in the
//! component, in the Spin app and natively in tests.

pub mod action;
mod actions;
pub mod admin;
pub mod answer;
pub mod api;
pub mod attempts;
mod audit;
mod base_url;
mod calendar;
pub mod config;
pub mod display;
pub mod failure;
pub mod guardrails;
pub mod input;
#[cfg(feature = "signed-links")]
pub mod invoice_link;
pub mod model;
pub mod personal_data;
pub mod proof;
pub mod settings;
mod shop;
pub mod status_policy;
pub mod upgates_rules;

pub use action::{Action, ActionInput, ActionName, InputKind, InputSpec, run};
pub use answer::{
    Answer, InvoiceState, OrderDetail, OrderDocuments, OrderItem, OrderRef, OrderSummary,
    PhoneOrders, Verified, json_text, render, render_text,
};
pub use api::{ApiRequest, ApiResponse, Method, TransportError, Upstream};
pub use attempts::{
    AttemptLog, CounterStore, MAX_TRACKED_KEYS, MemoryAttempts, MemoryCounters, WindowedAttempts,
    shop_prefix,
};
pub use config::ShopConfig;
pub use failure::Failure;
pub use guardrails::Guardrails;
pub use shop::Shop;

/// Lower-case hex of `bytes`: the names hosts and the Spin app derive from hashes (attempt
/// keys, lock and attempt files, download counters). A table, not `format!`, which would
/// cost the component its formatting code per byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_two_lower_case_digits_per_byte() {
        assert_eq!(super::hex(&[]), "");
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
