//! What the actions answer, serialised with the bot's variable names
//! (`{"ok":true,"vars":{...}}` / `{"ok":false,"reason":...,"message":...}`).

use std::io;

use serde::Serialize;
use serde_json::{Value, json};

use crate::display;
use crate::failure::Failure;

/// `verify-order`'s answer; also the first part of `order-detail`'s.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OrderSummary {
    pub status: Option<String>,
    pub billing: Option<String>,
    pub shipping: Option<String>,
    pub paid: bool,
    pub topay: Option<f64>,
    /// `topay` as a customer reads it: `1 230,50 Kč` ([`crate::display::amount`]).
    #[serde(rename = "topaytext")]
    pub topay_text: Option<String>,
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
    /// The proof of the passed e-mail check ([`crate::proof`]); left out without a
    /// `proof-secret`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderRef {
    pub orderid: String,
    pub date: Option<String>,
    pub price: Option<f64>,
    /// The order's ISO 4217 code, as Upgates has it.
    pub currency: Option<String>,
    /// `price` as a customer reads it: `1 230,50 Kč`.
    #[serde(rename = "pricetext")]
    pub price_text: Option<String>,
    /// `date`'s day as a customer reads it: `27. 11. 2026`.
    #[serde(rename = "datetext")]
    pub date_text: Option<String>,
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
    /// The invoice's number when it was found (a host signs its own links with it).
    #[serde(rename = "invoicenumber")]
    pub invoice_number: Option<String>,
    /// As [`OrderDetail::proof`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
}

impl OrderDocuments {
    /// `notfound` or `error`: no link, no number.
    pub fn without_link(invoice: InvoiceState) -> Self {
        OrderDocuments {
            invoice,
            invoice_url: None,
            invoice_number: None,
            proof: None,
        }
    }
}

/// `verify-customer`'s answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Verified {
    /// As [`OrderDetail::proof`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
}

/// Any action's "Ano".
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Summary(OrderSummary),
    Detail(OrderDetail),
    Email(String),
    Orders(PhoneOrders),
    Documents(OrderDocuments),
    /// `verify-customer`'s "Ano", with a proof when the shop makes them.
    Verified(Verified),
    /// The plain "Ano" of `set-order-status` and the note actions.
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
            Answer::Verified(a) => serde_json::to_value(a),
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

/// [`render`] as the bytes every packaging sends: amounts with two decimals (`1230.50`).
pub fn render_text(result: &Result<Answer, Failure>) -> String {
    json_text(&render(result))
}

/// Compact JSON with every float written with exactly two decimals.
pub fn json_text(value: &Value) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, TwoDecimals);
    // Into a Vec, and a `Value`'s keys are strings: writing it cannot fail.
    let _ = value.serialize(&mut serializer);
    String::from_utf8(out).unwrap_or_default()
}

/// The answers' only floats are amounts (`topay`, `price`): written as money, `1230.50`.
struct TwoDecimals;

impl serde_json::ser::Formatter for TwoDecimals {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        match display::cents(value) {
            Some(cents) => writer.write_all(display::decimal(cents, "", ".").as_bytes()),
            // From 10^15 on, no order total: serde_json's own shortest form, still a number.
            None if value.is_finite() => serde_json::ser::CompactFormatter.write_f64(writer, value),
            None => writer.write_all(b"null"),
        }
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
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
                topay_text: Some("1\u{a0}230,50".into()),
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
                "topaytext": "1\u{a0}230,50", "currency": null, "tracking": null, "trackingurl": "u",
                "url": null, "phone": null, "items": [{"name": "Hrnek", "brand": null, "code": "H"}]}})
        );
        let docs = Answer::Documents(OrderDocuments {
            invoice: InvoiceState::Notfound,
            invoice_url: None,
            invoice_number: None,
            proof: None,
        });
        assert_eq!(
            render(&Ok(docs))["vars"],
            json!({"invoice": "notfound", "invoiceurl": null, "invoicenumber": null})
        );
        // A proof is `{{box.proof}}` where the shop makes them, and no variable where not.
        assert_eq!(
            render(&Ok(Answer::Verified(Verified {
                proof: Some("1795885800.abc".into())
            }))),
            json!({"ok": true, "vars": {"proof": "1795885800.abc"}})
        );
        assert_eq!(
            render(&Ok(Answer::Verified(Verified::default()))),
            json!({"ok": true, "vars": {}})
        );
        assert_eq!(
            render(&Err(Failure::NotFound)),
            json!({"ok": false, "reason": "not-found", "message": "no such order"})
        );
    }

    #[test]
    fn floats_are_written_as_money() {
        for (value, want) in [
            (json!(1230.5), "1230.50"),
            (json!(0.0), "0.00"),
            (json!(1e6), "1000000.00"),
            (json!(-45.9), "-45.90"),
            (json!(-0.0), "0.00"),
            (json!(0.125), "0.13"),
            // Integers stay integers (`count`); beyond any total, still a JSON number.
            (json!(2), "2"),
            (json!(1e300), "1e+300"),
        ] {
            assert_eq!(json_text(&value), want, "{value}");
            let read: Value = serde_json::from_str(&json_text(&value)).unwrap();
            assert!(read.is_number());
        }
        let orders = Answer::Orders(PhoneOrders {
            count: 1,
            orders: vec![OrderRef {
                orderid: "1".into(),
                date: None,
                price: Some(649.0),
                currency: None,
                price_text: None,
                date_text: None,
            }],
        });
        assert_eq!(
            render_text(&Ok(orders)),
            r#"{"ok":true,"vars":{"count":1,"orders":[{"currency":null,"date":null,"datetext":null,"orderid":"1","price":649.00,"pricetext":null}]}}"#
        );
        assert_eq!(
            render_text(&Err(Failure::Timeout)),
            r#"{"message":"Upgates did not answer in time","ok":false,"reason":"timeout"}"#
        );
    }

    /// Every float of every answer, at the key holding it.
    fn floats<'a>(key: &'a str, value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Number(n) if n.is_f64() => found.push(key),
            Value::Array(items) => items.iter().for_each(|v| floats(key, v, found)),
            Value::Object(map) => map.iter().for_each(|(k, v)| floats(k, v, found)),
            _ => {}
        }
    }

    /// `render_text` writes every float as money: a float that is not an amount must not
    /// appear in an answer (it would be written with two decimals too).
    #[test]
    fn the_only_floats_are_amounts() {
        let summary = OrderSummary {
            status: Some("s".into()),
            billing: Some("b".into()),
            shipping: Some("p".into()),
            paid: true,
            topay: Some(1.5),
            topay_text: Some("1,50".into()),
            currency: Some("CZK".into()),
            tracking: Some("t".into()),
            tracking_url: Some("u".into()),
        };
        let answers = [
            Answer::Summary(summary.clone()),
            Answer::Detail(OrderDetail {
                summary,
                url: Some("u".into()),
                phone: Some("+420601223344".into()),
                items: vec![OrderItem {
                    name: "n".into(),
                    brand: Some("b".into()),
                    code: Some("c".into()),
                }],
                proof: Some("1795885800.p".into()),
            }),
            Answer::Email("a@b.cz".into()),
            Answer::Orders(PhoneOrders {
                count: 1,
                orders: vec![OrderRef {
                    orderid: "1".into(),
                    date: Some("2026-11-27T17:40:00+01:00".into()),
                    price: Some(2.5),
                    currency: Some("CZK".into()),
                    price_text: Some("2,50".into()),
                    date_text: Some("27. 11. 2026".into()),
                }],
            }),
            Answer::Documents(OrderDocuments {
                invoice: InvoiceState::Found,
                invoice_url: Some("u".into()),
                invoice_number: Some("FV1".into()),
                proof: Some("1795885800.p".into()),
            }),
            Answer::Verified(Verified {
                proof: Some("1795885800.p".into()),
            }),
            Answer::Done,
        ];
        for answer in answers {
            let mut found = Vec::new();
            let rendered = render(&Ok(answer));
            floats("", &rendered, &mut found);
            assert!(
                found.iter().all(|k| matches!(*k, "topay" | "price")),
                "{found:?} in {rendered}"
            );
        }
    }
}
