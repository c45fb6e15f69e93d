//! `verify-order`: does the order exist? Its status, payment, shipping, total and tracking.

use crate::answer::OrderSummary;
use crate::api::Upstream;
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input;
use crate::shop::{Shop, summary};

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Ověřit číslo objednávky.
    pub async fn verify_order(&self, order_number: &str) -> Result<OrderSummary, Failure> {
        let order_number = input::order_number(order_number)?;
        Ok(summary(&self.order(&order_number, false).await?))
    }
}
