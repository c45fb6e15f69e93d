//! The one list of actions: their WIT names, their inputs and what each does ([`ActionName`]),
//! the inputs as one JSON object ([`ActionInput`], what the CLI's flags and the webhook's
//! request bodies carry), and the typed [`Action`] that runs one of them on a [`Shop`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::api::Upstream;
use crate::attempts::AttemptLog;
use crate::failure::Failure;
use crate::shop::Shop;

/// The nine actions, named as in the WIT (`verify-order`, ...), in the WIT's order.
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

/// What kind of value an input takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A string.
    Text,
    /// A whole number of days (`u32`).
    Days,
    /// A switch, false unless given.
    Flag,
    /// A string that may be left out.
    OptionalText,
}

/// One input of an action: its JSON / CLI name, its kind, and a line of help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputSpec {
    pub name: &'static str,
    pub kind: InputKind,
    pub help: &'static str,
}

const fn text(name: &'static str, help: &'static str) -> InputSpec {
    InputSpec {
        name,
        kind: InputKind::Text,
        help,
    }
}

const ORDER: InputSpec = text("order", "The order number.");
const EMAIL: InputSpec = text("email", "The e-mail the order was placed with.");
const STATUS: InputSpec = text(
    "status",
    "The status: its name in any shop language, or its id.",
);
const NOTIFY: InputSpec = InputSpec {
    name: "notify",
    kind: InputKind::Flag,
    help: "Send the status's e-mail and SMS to the customer.",
};
const PHONE: InputSpec = text("phone", "The customer's phone number.");
const DAYS: InputSpec = InputSpec {
    name: "days",
    kind: InputKind::Days,
    help: "How many days back to look.",
};
const TEXT: InputSpec = text("text", "The note's text.");
const PROOF: InputSpec = InputSpec {
    name: "proof",
    kind: InputKind::OptionalText,
    help: "The proof verify-customer answered for the order (`require-proof`).",
};

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

    /// What the action does, in one line (the CLI's help).
    pub fn summary(self) -> &'static str {
        match self {
            ActionName::VerifyOrder => {
                "Does the order exist? Its status, payment, shipping, total and tracking."
            }
            ActionName::OrderDetail => {
                "The order with its items, for the customer who knows its e-mail."
            }
            ActionName::CustomerEmail => "The e-mail the order was placed with.",
            ActionName::SetOrderStatus => {
                "Set the order's status (name in any shop language, or id)."
            }
            ActionName::VerifyCustomer => "Do the order number and e-mail belong together?",
            ActionName::OrdersByPhone => {
                "The customer's orders by phone within the last DAYS days."
            }
            ActionName::AppendNote => "Append a line to the order's internal note.",
            ActionName::ReplaceNote => "Replace the order's internal note.",
            ActionName::OrderDocuments => {
                "The order's invoice, for the customer who knows its e-mail."
            }
        }
    }

    /// The inputs the action takes, in the WIT's parameter order.
    pub fn input_specs(self) -> &'static [InputSpec] {
        match self {
            ActionName::VerifyOrder => &[ORDER],
            ActionName::CustomerEmail => &[ORDER, PROOF],
            ActionName::OrderDetail | ActionName::VerifyCustomer | ActionName::OrderDocuments => {
                &[ORDER, EMAIL]
            }
            ActionName::SetOrderStatus => &[ORDER, STATUS, NOTIFY, PROOF],
            ActionName::OrdersByPhone => &[PHONE, DAYS],
            ActionName::AppendNote | ActionName::ReplaceNote => &[ORDER, TEXT, PROOF],
        }
    }

    /// The inputs the action takes, by their JSON / CLI names: [`Self::input_specs`]' names.
    pub fn inputs(self) -> impl Iterator<Item = &'static str> {
        self.input_specs().iter().map(|spec| spec.name)
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
}

impl ActionInput {
    /// Fails with `invalid-input` naming the first input `action` needs that is missing.
    pub fn check(&self, action: ActionName) -> Result<(), Failure> {
        for name in action.inputs() {
            let present = match name {
                "order" => self.order.is_some(),
                "email" => self.email.is_some(),
                "phone" => self.phone.is_some(),
                "days" => self.days.is_some(),
                "status" => self.status.is_some(),
                "text" => self.text.is_some(),
                // `notify` defaults to false; `proof` is needed only with `require-proof`,
                // which the action checks.
                _ => true,
            };
            if !present {
                return Err(Failure::InvalidInput(format!(
                    "`{name}` is required for {action}"
                )));
            }
        }
        Ok(())
    }
}

/// One action with its inputs: what a WIT export, a CLI subcommand or a webhook route asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    VerifyOrder {
        order: String,
    },
    OrderDetail {
        order: String,
        email: String,
    },
    CustomerEmail {
        order: String,
        proof: Option<String>,
    },
    SetOrderStatus {
        order: String,
        status: String,
        notify: bool,
        proof: Option<String>,
    },
    VerifyCustomer {
        order: String,
        email: String,
    },
    OrdersByPhone {
        phone: String,
        days: u32,
    },
    AppendNote {
        order: String,
        text: String,
        proof: Option<String>,
    },
    ReplaceNote {
        order: String,
        text: String,
        proof: Option<String>,
    },
    OrderDocuments {
        order: String,
        email: String,
    },
}

impl Action {
    pub fn name(&self) -> ActionName {
        match self {
            Action::VerifyOrder { .. } => ActionName::VerifyOrder,
            Action::OrderDetail { .. } => ActionName::OrderDetail,
            Action::CustomerEmail { .. } => ActionName::CustomerEmail,
            Action::SetOrderStatus { .. } => ActionName::SetOrderStatus,
            Action::VerifyCustomer { .. } => ActionName::VerifyCustomer,
            Action::OrdersByPhone { .. } => ActionName::OrdersByPhone,
            Action::AppendNote { .. } => ActionName::AppendNote,
            Action::ReplaceNote { .. } => ActionName::ReplaceNote,
            Action::OrderDocuments { .. } => ActionName::OrderDocuments,
        }
    }

    /// The action `name` with its inputs taken from `input`; `invalid-input` naming the first
    /// one it needs that is missing. Inputs it does not take are ignored.
    pub fn from_input(name: ActionName, input: &ActionInput) -> Result<Action, Failure> {
        input.check(name)?;
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let order = || text(&input.order);
        let proof = || input.proof.clone();
        Ok(match name {
            ActionName::VerifyOrder => Action::VerifyOrder { order: order() },
            ActionName::OrderDetail => Action::OrderDetail {
                order: order(),
                email: text(&input.email),
            },
            ActionName::CustomerEmail => Action::CustomerEmail {
                order: order(),
                proof: proof(),
            },
            ActionName::SetOrderStatus => Action::SetOrderStatus {
                order: order(),
                status: text(&input.status),
                notify: input.notify,
                proof: proof(),
            },
            ActionName::VerifyCustomer => Action::VerifyCustomer {
                order: order(),
                email: text(&input.email),
            },
            ActionName::OrdersByPhone => Action::OrdersByPhone {
                phone: text(&input.phone),
                days: input.days.unwrap_or_default(),
            },
            ActionName::AppendNote => Action::AppendNote {
                order: order(),
                text: text(&input.text),
                proof: proof(),
            },
            ActionName::ReplaceNote => Action::ReplaceNote {
                order: order(),
                text: text(&input.text),
                proof: proof(),
            },
            ActionName::OrderDocuments => Action::OrderDocuments {
                order: order(),
                email: text(&input.email),
            },
        })
    }

    /// The action's inputs as the JSON object [`Action::from_input`] reads.
    pub fn input(&self) -> ActionInput {
        let order = |order: &String| ActionInput {
            order: Some(order.clone()),
            ..ActionInput::default()
        };
        let with_email = |o: &String, email: &String| ActionInput {
            email: Some(email.clone()),
            ..order(o)
        };
        let with_text = |o: &String, text: &String, proof: &Option<String>| ActionInput {
            text: Some(text.clone()),
            proof: proof.clone(),
            ..order(o)
        };
        match self {
            Action::VerifyOrder { order: o } => order(o),
            Action::CustomerEmail { order: o, proof } => ActionInput {
                proof: proof.clone(),
                ..order(o)
            },
            Action::OrderDetail { order, email }
            | Action::VerifyCustomer { order, email }
            | Action::OrderDocuments { order, email } => with_email(order, email),
            Action::SetOrderStatus {
                order: o,
                status,
                notify,
                proof,
            } => ActionInput {
                status: Some(status.clone()),
                notify: *notify,
                proof: proof.clone(),
                ..order(o)
            },
            Action::OrdersByPhone { phone, days } => ActionInput {
                phone: Some(phone.clone()),
                days: Some(*days),
                ..ActionInput::default()
            },
            Action::AppendNote { order, text, proof }
            | Action::ReplaceNote { order, text, proof } => with_text(order, text, proof),
        }
    }

    /// Runs the action on `shop`; `not-allowed`, unasked, when the shop's `enabled-actions`
    /// does not list it.
    pub async fn run<U: Upstream, A: AttemptLog>(
        &self,
        shop: &Shop<U, A>,
    ) -> Result<Answer, Failure> {
        shop.config.guardrails.check_enabled(self.name())?;
        Ok(match self {
            Action::VerifyOrder { order } => Answer::Summary(shop.verify_order(order).await?),
            Action::OrderDetail { order, email } => {
                Answer::Detail(shop.order_detail(order, email).await?)
            }
            Action::CustomerEmail { order, proof } => {
                Answer::Email(shop.customer_email(order, proof.as_deref()).await?)
            }
            Action::SetOrderStatus {
                order,
                status,
                notify,
                proof,
            } => {
                shop.set_order_status(order, status, *notify, proof.as_deref())
                    .await?;
                Answer::Done
            }
            Action::VerifyCustomer { order, email } => {
                Answer::Verified(shop.verify_customer(order, email).await?)
            }
            Action::OrdersByPhone { phone, days } => {
                Answer::Orders(shop.orders_by_phone(phone, *days).await?)
            }
            Action::AppendNote { order, text, proof } => {
                shop.append_note(order, text, proof.as_deref()).await?;
                Answer::Done
            }
            Action::ReplaceNote { order, text, proof } => {
                shop.replace_note(order, text, proof.as_deref()).await?;
                Answer::Done
            }
            Action::OrderDocuments { order, email } => {
                Answer::Documents(shop.order_documents(order, email).await?)
            }
        })
    }
}

/// Runs the action `name` with `input` on `shop`: [`Action::from_input`], then [`Action::run`].
pub async fn run<U: Upstream, A: AttemptLog>(
    shop: &Shop<U, A>,
    name: ActionName,
    input: &ActionInput,
) -> Result<Answer, Failure> {
    Action::from_input(name, input)?.run(shop).await
}

#[cfg(test)]
mod tests;
