//! What the actions answer, serialised with the bot's variable names
//! (`{"ok":true,"vars":{...}}` / `{"ok":false,"reason":...,"message":...}`).

use serde::Serialize;
use serde_json::{Value, json};

use crate::failure::Failure;

/// `verify-order`'s answer; also the first part of `order-detail`'s.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OrderSummary {
    pub status: Option<String>,
    pub billing: Option<String>,
    pub shipping: Option<String>,
    pub paid: bool,
    pub topay: Option<f64>,
    pub currency: Option<String>,
    pub tracking: Option<String>,
    #[serde(rename = "trackingurl")]
    pub tracking_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderItem {
    pub name: String,
    pub brand: Option<String>,
    pub code: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub summary: OrderSummary,
    pub url: Option<String>,
    pub phone: Option<String>,
    pub items: Vec<OrderItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderRef {
    pub orderid: String,
    pub date: Option<String>,
    pub price: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PhoneOrders {
    pub count: u32,
    pub orders: Vec<OrderRef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceState {
    Found,
    Notfound,
    Error,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderDocuments {
    pub invoice: InvoiceState,
    #[serde(rename = "invoiceurl")]
    pub invoice_url: Option<String>,
}

/// Any action's "Ano".
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Summary(OrderSummary),
    Detail(OrderDetail),
    Email(String),
    Orders(PhoneOrders),
    Documents(OrderDocuments),
    /// The plain "Ano" of `set-order-status`, `verify-customer` and the note actions.
    Done,
}

impl Answer {
    /// The bot variables this answer fills.
    pub fn vars(&self) -> Value {
        let value = match self {
            Answer::Summary(a) => serde_json::to_value(a),
            Answer::Detail(a) => serde_json::to_value(a),
            Answer::Orders(a) => serde_json::to_value(a),
            Answer::Documents(a) => serde_json::to_value(a),
            Answer::Email(email) => Ok(json!({ "email": email })),
            Answer::Done => Ok(json!({})),
        };
        // These types hold only strings, numbers and lists: serialising them cannot fail.
        value.unwrap_or_else(|_| json!({}))
    }
}

/// The one JSON shape both the CLI and the Spin app print.
pub fn render(result: &Result<Answer, Failure>) -> Value {
    match result {
        Ok(answer) => json!({ "ok": true, "vars": answer.vars() }),
        Err(failure) => json!({
            "ok": false,
            "reason": failure.reason(),
            "message": failure.message(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_bot_variable_names() {
        let detail = Answer::Detail(OrderDetail {
            summary: OrderSummary {
                paid: true,
                topay: Some(1230.5),
                tracking_url: Some("u".into()),
                ..Default::default()
            },
            items: vec![OrderItem {
                name: "Hrnek".into(),
                brand: None,
                code: Some("H".into()),
            }],
            ..Default::default()
        });
        assert_eq!(
            render(&Ok(detail)),
            json!({"ok": true, "vars": {
                "status": null, "billing": null, "shipping": null, "paid": true, "topay": 1230.5,
                "currency": null, "tracking": null, "trackingurl": "u", "url": null, "phone": null,
                "items": [{"name": "Hrnek", "brand": null, "code": "H"}]}})
        );
        let docs = Answer::Documents(OrderDocuments {
            invoice: InvoiceState::Notfound,
            invoice_url: None,
        });
        assert_eq!(
            render(&Ok(docs))["vars"],
            json!({"invoice": "notfound", "invoiceurl": null})
        );
        assert_eq!(
            render(&Err(Failure::NotFound)),
            json!({"ok": false, "reason": "not-found", "message": "no such order"})
        );
    }
}
