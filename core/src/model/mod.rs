//! Upgates' response shapes, parsed leniently.
//!
//! Only the fields the actions use are read. Every field may be missing or `null`; strings may
//! come as numbers and numbers as strings; a date may be an ISO string or the PHP `DateTime`
//! object seen in 2024 data (`{"date": "...", "timezone": ...}`). A field of the wrong shape
//! reads as absent instead of failing the whole answer.
//!
//! The readers below are serde visitors that take the JSON as it streams by. They never build a
//! `serde_json::Value`: that tree (a `BTreeMap` per object) would cost more than the rest of a
//! call (docs/performance.md).

mod catalogue;
mod invoice;
pub(crate) mod lenient;
mod order;

use serde::Deserialize;

pub use catalogue::{OrderStatus, Product, ProductsPage, StatusesPage};
pub use invoice::{Invoice, InvoicesPage};
pub use lenient::LenientBool;
use lenient::text;
pub use order::{
    Customer, Message, Named, Order, OrderLine, OrderUpdate, OrdersPage, PutOrderResult, PutOrders,
    PutOrdersResult,
};

/// A 301's body: `{"api_url": "https://..."}`, the shop's new API address.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Moved {
    #[serde(deserialize_with = "text")]
    pub api_url: Option<String>,
}

#[cfg(test)]
mod tests;
