//! `replace-note`: the order's internal note replaced, one PUT.

use crate::api::Upstream;
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input;
use crate::model::OrderUpdate;
use crate::shop::Shop;

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Přepsat poznámku: one PUT; with `require-proof`, none without the order's `proof`.
    pub async fn replace_note(
        &self,
        order_number: &str,
        text: &str,
        proof: Option<&str>,
    ) -> Result<(), Failure> {
        let order_number = input::order_number(order_number)?;
        let text = input::note_text(text)?;
        self.check_proof(&order_number, proof)?;
        self.config.guardrails.check_note(&text)?;
        self.put_order(
            OrderUpdate {
                internal_note: Some(&text),
                ..OrderUpdate::new(&order_number)
            },
            false,
        )
        .await?;
        self.audit(&order_number, "Chatbot: přepsání poznámky", &text)
            .await;
        Ok(())
    }
}
