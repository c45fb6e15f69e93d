//! The shop's lists: products (`GET /products/simple`) and order statuses
//! (`GET /order-statuses`).

use serde::Deserialize;

use super::lenient::{count, lenient_list, text};
use super::order::Named;

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
    pub product_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub manufacturer: Option<String>,
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
