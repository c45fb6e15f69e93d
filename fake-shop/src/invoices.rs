//! `GET /api/v2/invoices[/{invoice_number}]` and `GET /api/v2/invoices/{invoice_number}/pdf`.

use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;

use crate::dates;
use crate::query::Query;
use crate::respond::{ApiError, ApiResult, ok, paged, with_type};
use crate::state::{State, str_at};

/// Invoices per page, as documented.
const PER_PAGE: usize = 100;

fn find<'a>(state: &'a State, number: &str) -> Result<&'a Value, ApiError> {
    state
        .invoices
        .iter()
        .find(|i| str_at(i, "invoice_number") == Some(number))
        .ok_or_else(|| ApiError::not_found(format!("Invoice \"{number}\" does not exist.")))
}

pub(crate) fn get(state: &State, number: &str) -> ApiResult {
    ok(&paged(vec![find(state, number)?], 1, PER_PAGE, "invoices"))
}

pub(crate) fn list(state: &State, query: &Query) -> ApiResult {
    let numbers = query.list("invoice_numbers");
    let kind = query.non_empty("type");
    let paid = query.bool("paid_yn")?;
    let from = query.date("creation_time_from")?;
    let to = query.date("creation_time_to")?;
    let page = query.page()?;
    let found: Vec<&Value> = state
        .invoices
        .iter()
        .filter(|i| {
            let number = str_at(i, "invoice_number");
            let created = str_at(i, "creation_time").and_then(dates::parse_stored);
            numbers
                .as_ref()
                .is_none_or(|ns| ns.iter().any(|n| Some(n.as_str()) == number))
                && kind.is_none_or(|k| str_at(i, "type") == Some(k))
                && paid.is_none_or(|p| i.get("paid_yn").and_then(Value::as_bool) == Some(p))
                && from.is_none_or(|f| created.is_some_and(|t| t >= f.start()))
                && to.is_none_or(|b| created.is_some_and(|t| b.includes_up_to(t)))
        })
        .collect();
    ok(&paged(found, page, PER_PAGE, "invoices"))
}

pub(crate) fn pdf(state: &State, number: &str) -> ApiResult {
    let invoice = find(state, number)?;
    let total = invoice
        .get("total_with_vat")
        .map(Value::to_string)
        .unwrap_or_default();
    let currency = str_at(invoice, "currency_id").unwrap_or("");
    let order = str_at(invoice, "order_number").unwrap_or("");
    let lines = [
        format!("Faktura {number}"),
        format!("Objednavka {order}"),
        format!("Celkem {total} {currency}"),
    ];
    Ok(with_type(
        StatusCode::OK,
        Bytes::from(crate::pdf::document(&lines)),
        "application/pdf",
    ))
}
