//! Upgates' response shapes, parsed leniently.
//!
//! Only the fields the actions use are read. Every field may be missing or `null`; strings may
//! come as numbers and numbers as strings; a date may be an ISO string or the PHP `DateTime`
//! object seen in 2024 data (`{"date": "...", "timezone": ...}`). A field of the wrong shape
//! reads as absent instead of failing the whole answer.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Reads any JSON into `T`, or `T::default()` when it does not fit.
fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// A string, a number written as text, or a PHP date object's `date`; else `None`.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("date").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    })
}

/// A number, or a string holding one (`"1230.50"`, `"1230,50"`).
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        // serde_json's number parser, not `str::parse`: the component then links no second
        // float parser (core's dec2flt and its 11 KiB table).
        Value::String(s) => serde_json::from_str(&s.trim().replace(',', ".")).ok(),
        _ => None,
    }
    .filter(|n: &f64| n.is_finite()))
}

fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(number(d)?
        .filter(|n| *n >= 0.0 && *n <= f64::from(u32::MAX))
        .map(|n| n as u32))
}

/// The paged envelope around `orders`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrdersPage {
    #[serde(deserialize_with = "count")]
    pub current_page: Option<u32>,
    #[serde(deserialize_with = "count")]
    pub number_of_pages: Option<u32>,
    #[serde(deserialize_with = "count")]
    pub number_of_items: Option<u32>,
    #[serde(deserialize_with = "lenient_list")]
    pub orders: Vec<Order>,
}

/// A list whose items are parsed one by one: a malformed item is skipped, not fatal.
fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => Vec::new(),
    })
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
    #[serde(deserialize_with = "lenient")]
    pub customer: Customer,
    #[serde(deserialize_with = "lenient_list")]
    pub products: Vec<OrderLine>,
    #[serde(deserialize_with = "lenient")]
    pub payment: Named,
    #[serde(deserialize_with = "lenient")]
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
    #[serde(deserialize_with = "lenient")]
    pub updated_yn: LenientBool,
    #[serde(deserialize_with = "lenient_list")]
    pub messages: Vec<Message>,
}

/// Upgates' `bool`: true/false, 1/0 or "1"/"0".
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LenientBool(pub bool);

impl<'de> Deserialize<'de> for LenientBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(LenientBool(match Value::deserialize(d)? {
            Value::Bool(b) => b,
            Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
            Value::String(s) => matches!(s.trim(), "1" | "true"),
            _ => false,
        }))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    #[serde(deserialize_with = "text")]
    pub message: Option<String>,
    #[serde(deserialize_with = "text")]
    pub level: Option<String>,
}

/// `GET /invoices/{n}` envelope.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InvoicesPage {
    #[serde(deserialize_with = "lenient_list")]
    pub invoices: Vec<Invoice>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Invoice {
    #[serde(deserialize_with = "text")]
    pub invoice_number: Option<String>,
    #[serde(deserialize_with = "text")]
    pub order_number: Option<String>,
    #[serde(deserialize_with = "text")]
    pub invoice_pdf_url: Option<String>,
}

/// `GET /products/simple` envelope.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProductsPage {
    #[serde(deserialize_with = "lenient_list")]
    pub products: Vec<Product>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Product {
    #[serde(deserialize_with = "text")]
    pub code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub manufacturer: Option<String>,
    #[serde(deserialize_with = "lenient_list")]
    pub variants: Vec<Variant>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Variant {
    #[serde(deserialize_with = "text")]
    pub code: Option<String>,
}

/// `GET /order-statuses`: ids and their names per language.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusesPage {
    #[serde(deserialize_with = "lenient_list")]
    pub order_statuses: Vec<OrderStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrderStatus {
    #[serde(deserialize_with = "count")]
    pub id: Option<u32>,
    #[serde(deserialize_with = "lenient_list")]
    pub descriptions: Vec<Named>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_nulls_missing_and_odd_types() {
        let page: OrdersPage = serde_json::from_str(
            r#"{"current_page":"1","number_of_pages":1,"orders":[
                {"order_number":2025,"status":null,"order_total":"1230,50","customer":[],
                 "paid_date":{"date":"2025-03-01 14:24:49.000000","timezone_type":3,"timezone":"Europe/Prague"},
                 "products":[{"title":"A","code":null},"junk",{"type":"discount","title":"Sleva"}],
                 "payment":null,"shipment":{"name":"PPL"}}]}"#,
        )
        .unwrap();
        let order = &page.orders[0];
        assert_eq!(page.current_page, Some(1));
        assert_eq!(order.order_number.as_deref(), Some("2025"));
        assert_eq!(order.order_total, Some(1230.5));
        assert!(order.is_paid());
        assert_eq!(order.customer.email, None);
        assert_eq!(order.products.len(), 2);
        assert!(!order.products[1].is_goods());
        assert_eq!(order.shipment.name.as_deref(), Some("PPL"));
        let empty: OrdersPage = serde_json::from_str("{}").unwrap();
        assert!(empty.orders.is_empty());
        let put: PutOrdersResult =
            serde_json::from_str(r#"{"orders":[{"updated_yn":"1","messages":null}]}"#).unwrap();
        assert_eq!(put.orders[0].updated_yn, LenientBool(true));
    }
}
