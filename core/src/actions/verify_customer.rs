//! `verify-customer`: do the order number and e-mail belong together?

use crate::api::Upstream;
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input;
use crate::shop::Shop;

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Ověřit zákazníka podle e-mailu.
    pub async fn verify_customer(&self, order_number: &str, email: &str) -> Result<(), Failure> {
        let order_number = input::order_number(order_number)?;
        let email = input::email(email)?;
        self.verified_order(&order_number, &email).await.map(drop)
    }
}
