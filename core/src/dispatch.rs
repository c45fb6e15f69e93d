//! The actions by name, with their inputs as one JSON object: what the CLI's flags and the
//! Spin app's request bodies both carry.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::api::Upstream;
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::shop::Shop;

/// The nine actions, named as in the WIT (`verify-order`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionName {
    VerifyOrder,
    OrderDetail,
    CustomerEmail,
    SetOrderStatus,
    VerifyCustomer,
    OrdersByPhone,
    AppendNote,
    ReplaceNote,
    OrderDocuments,
}

impl ActionName {
    pub const ALL: [ActionName; 9] = [
        ActionName::VerifyOrder,
        ActionName::OrderDetail,
        ActionName::CustomerEmail,
        ActionName::SetOrderStatus,
        ActionName::VerifyCustomer,
        ActionName::OrdersByPhone,
        ActionName::AppendNote,
        ActionName::ReplaceNote,
        ActionName::OrderDocuments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionName::VerifyOrder => "verify-order",
            ActionName::OrderDetail => "order-detail",
            ActionName::CustomerEmail => "customer-email",
            ActionName::SetOrderStatus => "set-order-status",
            ActionName::VerifyCustomer => "verify-customer",
            ActionName::OrdersByPhone => "orders-by-phone",
            ActionName::AppendNote => "append-note",
            ActionName::ReplaceNote => "replace-note",
            ActionName::OrderDocuments => "order-documents",
        }
    }

    /// The inputs the action needs, by their JSON / CLI names.
    pub fn inputs(self) -> &'static [&'static str] {
        match self {
            ActionName::VerifyOrder | ActionName::CustomerEmail => &["order"],
            ActionName::OrderDetail | ActionName::VerifyCustomer | ActionName::OrderDocuments => {
                &["order", "email"]
            }
            ActionName::SetOrderStatus => &["order", "status", "notify"],
            ActionName::OrdersByPhone => &["phone", "days"],
            ActionName::AppendNote | ActionName::ReplaceNote => &["order", "text"],
        }
    }
}

impl fmt::Display for ActionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionName {
    type Err = Failure;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActionName::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| Failure::InvalidInput("unknown action".into()))
    }
}

/// Every action's inputs in one object; each action reads the ones it needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub notify: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl ActionInput {
    /// Fails with `invalid-input` naming the first input `action` needs that is missing.
    pub fn check(&self, action: ActionName) -> Result<(), Failure> {
        for name in action.inputs() {
            let present = match *name {
                "order" => self.order.is_some(),
                "email" => self.email.is_some(),
                "phone" => self.phone.is_some(),
                "days" => self.days.is_some(),
                "status" => self.status.is_some(),
                "text" => self.text.is_some(),
                _ => true, // `notify` defaults to false
            };
            if !present {
                return Err(Failure::InvalidInput(format!(
                    "`{name}` is required for {action}"
                )));
            }
        }
        Ok(())
    }

    fn get(value: &Option<String>) -> &str {
        value.as_deref().unwrap_or_default()
    }
}

/// Runs one action natively (the Spin app's path). The component's exports call the same
/// [`Shop`] methods directly.
pub async fn run<U: Upstream, A: AttemptLog>(
    shop: &Shop<U, A>,
    action: ActionName,
    input: &ActionInput,
) -> Result<Answer, Failure> {
    input.check(action)?;
    let order = ActionInput::get(&input.order);
    let email = ActionInput::get(&input.email);
    let text = ActionInput::get(&input.text);
    Ok(match action {
        ActionName::VerifyOrder => Answer::Summary(shop.verify_order(order).await?),
        ActionName::OrderDetail => Answer::Detail(shop.order_detail(order, email).await?),
        ActionName::CustomerEmail => Answer::Email(shop.customer_email(order).await?),
        ActionName::SetOrderStatus => {
            shop.set_order_status(order, ActionInput::get(&input.status), input.notify)
                .await?;
            Answer::Done
        }
        ActionName::VerifyCustomer => {
            shop.verify_customer(order, email).await?;
            Answer::Done
        }
        ActionName::OrdersByPhone => Answer::Orders(
            shop.orders_by_phone(
                ActionInput::get(&input.phone),
                input.days.unwrap_or_default(),
            )
            .await?,
        ),
        ActionName::AppendNote => {
            shop.append_note(order, text).await?;
            Answer::Done
        }
        ActionName::ReplaceNote => {
            shop.replace_note(order, text).await?;
            Answer::Done
        }
        ActionName::OrderDocuments => Answer::Documents(shop.order_documents(order, email).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_inputs_are_checked() {
        for a in ActionName::ALL {
            assert_eq!(a.as_str().parse::<ActionName>().unwrap(), a);
        }
        assert!("drop-table".parse::<ActionName>().is_err());
        let input: ActionInput = serde_json::from_str(r#"{"order":"1"}"#).unwrap();
        assert!(input.check(ActionName::VerifyOrder).is_ok());
        assert_eq!(
            input.check(ActionName::OrderDetail),
            Err(Failure::InvalidInput(
                "`email` is required for order-detail".into()
            ))
        );
        assert!(serde_json::from_str::<ActionInput>(r#"{"order":"1","evil":2}"#).is_err());
    }
}
