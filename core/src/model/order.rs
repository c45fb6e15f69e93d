//! Orders: `GET /orders` and `GET /orders/{n}`, and the `PUT /orders` body and answer.

use serde::{Deserialize, Serialize};

use super::lenient::{LenientBool, count, lenient_bool, lenient_list, number, object, text};

/// The paged envelope around `orders`: only the total is read (`orders-by-phone` reads one
/// page, and no action pages further).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrdersPage {
    #[serde(deserialize_with = "count")]
    pub number_of_items: Option<u32>,
    #[serde(deserialize_with = "lenient_list")]
    pub orders: Vec<Order>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Order {
    #[serde(deserialize_with = "text")]
    pub order_number: Option<String>,
    #[serde(deserialize_with = "text")]
    pub status: Option<String>,
    #[serde(deserialize_with = "count")]
    pub status_id: Option<u32>,
    #[serde(deserialize_with = "text")]
    pub paid_date: Option<String>,
    #[serde(deserialize_with = "number")]
    pub order_total: Option<f64>,
    #[serde(deserialize_with = "text")]
    pub currency_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub tracking_code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub tracking_url: Option<String>,
    #[serde(deserialize_with = "text")]
    pub internal_note: Option<String>,
    #[serde(deserialize_with = "text")]
    pub creation_time: Option<String>,
    #[serde(deserialize_with = "text")]
    pub invoice_number: Option<String>,
    #[serde(deserialize_with = "text")]
    pub admin_url: Option<String>,
    #[serde(deserialize_with = "object")]
    pub customer: Customer,
    #[serde(deserialize_with = "lenient_list")]
    pub products: Vec<OrderLine>,
    #[serde(deserialize_with = "object")]
    pub payment: Named,
    #[serde(deserialize_with = "object")]
    pub shipment: Named,
}

impl Order {
    /// Upgates has no paid flag on orders: an order is paid when it has a payment date.
    pub fn is_paid(&self) -> bool {
        self.paid_date
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Customer {
    #[serde(deserialize_with = "text")]
    pub email: Option<String>,
    #[serde(deserialize_with = "text")]
    pub phone: Option<String>,
}

/// `payment` and `shipment`: only the name is used.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Named {
    #[serde(deserialize_with = "text")]
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrderLine {
    /// The catalogue product the line is (for a variant, the variant's product); `null` for a
    /// line added by hand or a product since deleted.
    #[serde(deserialize_with = "text")]
    pub product_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub title: Option<String>,
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
}

impl OrderLine {
    /// Goods the customer sees as items: not discounts, not the parts inside a set.
    pub fn is_goods(&self) -> bool {
        !matches!(self.kind.as_deref(), Some("discount") | Some("set_part"))
    }
}

/// `PUT /orders` body. The fields are in alphabetical order, the order a `serde_json::Value`
/// printed them in before, so the bytes on the wire did not change.
#[derive(Debug, Serialize)]
pub struct PutOrders<'a> {
    pub orders: [OrderUpdate<'a>; 1],
    pub send_emails_yn: bool,
    pub send_sms_yn: bool,
}

/// One order in a `PUT /orders` body: its number and only the fields the write changes.
#[derive(Debug, Serialize)]
pub struct OrderUpdate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_note: Option<&'a str>,
    pub order_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<u32>,
}

impl<'a> OrderUpdate<'a> {
    pub fn new(order_number: &'a str) -> Self {
        OrderUpdate {
            internal_note: None,
            order_number,
            status: None,
            status_id: None,
        }
    }
}

/// `PUT /orders` answer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PutOrdersResult {
    #[serde(deserialize_with = "lenient_list")]
    pub orders: Vec<PutOrderResult>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PutOrderResult {
    #[serde(deserialize_with = "text")]
    pub order_number: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub updated_yn: LenientBool,
    #[serde(deserialize_with = "lenient_list")]
    pub messages: Vec<Message>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    #[serde(deserialize_with = "text")]
    pub message: Option<String>,
    #[serde(deserialize_with = "text")]
    pub level: Option<String>,
}
