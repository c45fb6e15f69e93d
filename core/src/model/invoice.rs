//! Invoices: `GET /invoices/{n}`.

use serde::Deserialize;

use super::lenient::{lenient_list, text};

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
