//! `set-order-status`: one PUT, within the `allowed-statuses` policy when one is set.

use crate::api::Upstream;
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::input::{self, StatusRef};
use crate::model::OrderUpdate;
use crate::personal_data::redact_personal;
use crate::settings::KEY_ALLOWED_STATUSES;
use crate::shop::Shop;
use crate::status_policy::{StatusBook, StatusName, id_named};

impl<U: Upstream, A: AttemptLog> Shop<U, A> {
    /// Změnit stav objednávky: one PUT, `status_id` for a number, else the name.
    ///
    /// With `allowed-statuses`, a status the policy does not list is refused before any
    /// request; a rule with allowed current statuses first reads the order (uncached). Ids and
    /// names are compared directly; only when one side is an id and the other a name are the
    /// shop's statuses read (cached for an hour by the host). With `require-proof`, nothing is
    /// read or written without the order's `proof`.
    pub async fn set_order_status(
        &self,
        order_number: &str,
        status: &str,
        notify_customer: bool,
        proof: Option<&str>,
    ) -> Result<(), Failure> {
        let order_number = input::order_number(order_number)?;
        let target = input::status(status)?;
        self.check_proof(&order_number, proof)?;
        // What the PUT names: Upgates documents no looser match than the name as the shop has
        // it (in any of its languages), so where the policy gave us the shop's own spelling,
        // that goes instead of the chat's ("stornovaná" for "Stornovaná"): the id from the
        // shop's list if it was read, else the name as the policy writes it.
        let mut sent = target.clone();
        if let Some(policy) = &self.config.guardrails.allowed_statuses {
            let mut statuses = StatusBook::default();
            let Some(rule) = self.rule_for(&mut statuses, policy, &target).await? else {
                // Any 100 characters pass as a status, so what was typed may be a customer's
                // e-mail or phone: redacted, as the message goes to logs and the CLI's JSON.
                let typed = redact_personal(&StatusName(&target).to_string(), "");
                return Err(Failure::NotAllowed(format!(
                    "`{}` does not list the status `{typed}`",
                    KEY_ALLOWED_STATUSES,
                )));
            };
            self.check_from(&mut statuses, &order_number, &rule).await?;
            if let StatusRef::Name(typed) = &target {
                let listed = statuses.0.as_ref().and_then(|page| id_named(page, typed));
                if let Some(id) = listed {
                    sent = StatusRef::Id(id);
                } else if matches!(rule.target, StatusRef::Name(_)) {
                    sent = rule.target.clone();
                }
            }
        }
        let order = match &sent {
            StatusRef::Id(id) => OrderUpdate {
                status_id: Some(*id),
                ..OrderUpdate::new(&order_number)
            },
            StatusRef::Name(name) => OrderUpdate {
                status: Some(name),
                ..OrderUpdate::new(&order_number)
            },
        };
        self.put_order(order, notify_customer).await?;
        let told = if notify_customer { "ano" } else { "ne" };
        self.audit(
            &order_number,
            "Chatbot: změna stavu",
            &format!(
                "Nový stav: {} (upozornit zákazníka: {told})",
                // The shop's spelling when the PUT used it; an id only as the chat gave it.
                StatusName(if matches!(sent, StatusRef::Name(_)) {
                    &sent
                } else {
                    &target
                })
            ),
        )
        .await;
        Ok(())
    }
}
