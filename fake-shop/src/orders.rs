//! `GET /api/v2/orders` (filters, sorting, 100 a page), `GET /api/v2/orders/{order_number}`
//! and `GET /api/v2/orders/{order_number}/pdf`.

use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;
use time::OffsetDateTime;

use crate::dates::{self, QueryTime};
use crate::fault::MissingOrder;
use crate::query::Query;
use crate::respond::{ApiError, ApiResult, ok, paged, with_type};
use crate::state::{State, str_at};
use crate::{pdf, statuses};

/// Orders per page, as documented.
pub(crate) const PER_PAGE: usize = 100;

pub(crate) fn list(state: &State, query: &Query) -> ApiResult {
    let filter = Filter::parse(query)?;
    let page = query.page()?;
    let sort = Sort::parse(query)?;
    let mut found: Vec<&Value> = state
        .orders
        .iter()
        .filter(|o| filter.matches(state, o))
        .collect();
    sort.apply(&mut found);
    ok(&paged(found, page, PER_PAGE, "orders"))
}

pub(crate) fn get(state: &State, order_number: &str) -> ApiResult {
    match (state.order(order_number), state.missing_order) {
        (Some(order), _) => ok(&paged(vec![order], 1, PER_PAGE, "orders")),
        (None, MissingOrder::EmptyList) => ok(&paged(Vec::<Value>::new(), 1, PER_PAGE, "orders")),
        (None, MissingOrder::NotFound404) => Err(missing(order_number)),
    }
}

pub(crate) fn pdf(state: &State, order_number: &str) -> ApiResult {
    let order = state
        .order(order_number)
        .ok_or_else(|| missing(order_number))?;
    let total = order
        .get("order_total")
        .map(Value::to_string)
        .unwrap_or_default();
    let currency = str_at(order, "currency_id").unwrap_or("");
    let lines = [
        format!("Objednavka {order_number}"),
        format!("Celkem {total} {currency}"),
    ];
    Ok(with_type(
        StatusCode::OK,
        Bytes::from(pdf::document(&lines)),
        "application/pdf",
    ))
}

pub(crate) fn missing(order_number: &str) -> ApiError {
    ApiError::not_found(format!("Order \"{order_number}\" does not exist."))
}

/// The digits of a phone number: `+420 601 223 344` → `420601223344` (MSISDN).
pub(crate) fn msisdn(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

fn customer_str<'a>(order: &'a Value, key: &str) -> Option<&'a str> {
    order.get("customer").and_then(|c| str_at(c, key))
}

fn time_at(order: &Value, key: &str) -> Option<OffsetDateTime> {
    str_at(order, key).and_then(dates::parse_stored)
}

/// The documented list filters.
#[derive(Default)]
struct Filter {
    order_numbers: Option<Vec<String>>,
    created_from: Option<QueryTime>,
    created_to: Option<QueryTime>,
    updated_from: Option<QueryTime>,
    paid: Option<bool>,
    /// `Some("")` asks for orders without a status.
    status: Option<String>,
    status_ids: Option<Vec<i64>>,
    language: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    external_order_number: Option<String>,
    payment_type: Option<String>,
    shipment_type: Option<String>,
}

impl Filter {
    fn parse(q: &Query) -> Result<Self, ApiError> {
        let mut order_numbers = q.list("order_numbers");
        if let Some(one) = q.non_empty("order_number") {
            order_numbers
                .get_or_insert_with(Vec::new)
                .push(one.to_owned());
        }
        let mut status_ids = q.ints("status_ids")?;
        if let Some(id) = q.int("status_id")? {
            status_ids.get_or_insert_with(Vec::new).push(id);
        }
        let own = |name| q.non_empty(name).map(str::to_owned);
        Ok(Self {
            order_numbers,
            created_from: q.date("creation_time_from")?,
            created_to: q.date("creation_time_to")?,
            updated_from: q.date("last_update_time_from")?,
            paid: q.bool("paid_yn")?,
            status: q.get("status").map(|s| s.trim().to_owned()),
            status_ids,
            language: own("language"),
            email: own("email"),
            phone: own("phone"),
            external_order_number: own("external_order_number"),
            payment_type: own("payment_type"),
            shipment_type: own("shipment_type"),
        })
    }

    fn matches(&self, state: &State, order: &Value) -> bool {
        let number = str_at(order, "order_number");
        let created = time_at(order, "creation_time");
        let updated = time_at(order, "last_update_time");
        let status_id = order.get("status_id").and_then(Value::as_i64);
        let paid = order.get("paid_date").is_some_and(|d| !d.is_null());
        let kind = |key: &str| order.get(key).and_then(|o| str_at(o, "type"));
        let eq = |want: &Option<String>, got: Option<&str>| {
            want.as_ref().is_none_or(|w| Some(w.as_str()) == got)
        };
        self.order_numbers
            .as_ref()
            .is_none_or(|ns| ns.iter().any(|n| Some(n.as_str()) == number))
            && self
                .created_from
                .is_none_or(|from| created.is_some_and(|t| t >= from.start()))
            && self
                .created_to
                .is_none_or(|to| created.is_some_and(|t| to.includes_up_to(t)))
            && self
                .updated_from
                .is_none_or(|from| updated.is_some_and(|t| t >= from.start()))
            && self.paid.is_none_or(|want| want == paid)
            && self
                .status_ids
                .as_ref()
                .is_none_or(|ids| status_id.is_some_and(|id| ids.contains(&id)))
            && self
                .status
                .as_ref()
                .is_none_or(|name| status_named(state, order, status_id, name))
            && eq(&self.language, str_at(order, "language_id"))
            && eq(
                &self.external_order_number,
                str_at(order, "external_order_number"),
            )
            && eq(&self.payment_type, kind("payment"))
            && eq(&self.shipment_type, kind("shipment"))
            && self.email.as_ref().is_none_or(|want| {
                customer_str(order, "email")
                    .is_some_and(|e| e.trim().to_lowercase() == want.to_lowercase())
            })
            && self.phone.as_ref().is_none_or(|want| {
                let want = msisdn(want);
                !want.is_empty() && customer_str(order, "phone").is_some_and(|p| msisdn(p) == want)
            })
    }
}

/// The `status` filter: empty matches orders without a status; otherwise the order's status
/// name, or its status's name in any language, case-insensitively.
fn status_named(state: &State, order: &Value, status_id: Option<i64>, name: &str) -> bool {
    if name.is_empty() {
        return status_id.is_none();
    }
    let wanted = name.to_lowercase();
    if str_at(order, "status").is_some_and(|s| s.to_lowercase() == wanted) {
        return true;
    }
    status_id
        .and_then(|id| statuses::by_id(state, id))
        .is_some_and(|s| statuses::names(s).any(|n| n.to_lowercase() == wanted))
}

/// `order_by` + `order_dir`; without `order_by` the shop's own order (oldest added first).
struct Sort {
    key: Option<&'static str>,
    descending: bool,
}

impl Sort {
    fn parse(q: &Query) -> Result<Self, ApiError> {
        let key = match q.non_empty("order_by") {
            None => None,
            Some("creation_time") => Some("creation_time"),
            Some("last_update_time") => Some("last_update_time"),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid value of `order_by`: \"{other}\" (creation_time | last_update_time)."
                )));
            }
        };
        let descending = match q
            .non_empty("order_dir")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid value of `order_dir`: \"{other}\" (asc | desc)."
                )));
            }
        };
        Ok(Self { key, descending })
    }

    fn apply(&self, orders: &mut [&Value]) {
        if let Some(key) = self.key {
            orders.sort_by_key(|o| time_at(o, key));
        }
        if self.descending {
            orders.reverse();
        }
    }
}
