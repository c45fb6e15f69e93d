//! `verify-customer`: do the order number and e-mail belong together?

use crate::answer::Verified;
use crate::api::Upstream;
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input;
use crate::shop::Shop;

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Ověřit zákazníka podle e-mailu: "Ano" with the order's proof when the shop makes them.
    pub async fn verify_customer(
        &self,
        order_number: &str,
        email: &str,
    ) -> Result<Verified, Failure> {
        let order_number = input::order_number(order_number)?;
        let email = input::email(email)?;
        self.verified_order(&order_number, &email).await?;
        Ok(Verified {
            proof: self.proof(&order_number),
        })
    }
}
