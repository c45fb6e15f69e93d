//! `customer-email`: the e-mail the order was placed with.

use crate::api::Upstream;
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input;
use crate::personal_data::mask_email;
use crate::shop::Shop;

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Načíst e-mail zákazníka dle objednávky. "Ne" when the order has no customer e-mail;
    /// with `require-proof`, `not-verified` without the order's `proof`.
    pub async fn customer_email(
        &self,
        order_number: &str,
        proof: Option<&str>,
    ) -> Result<String, Failure> {
        let order_number = input::order_number(order_number)?;
        self.check_proof(&order_number, proof)?;
        let order = self.order(&order_number, false).await?;
        let email = order
            .customer
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .ok_or(Failure::NotFound)?;
        Ok(if self.config.guardrails.mask_personal_data {
            mask_email(&email)
        } else {
            email
        })
    }
}
