//! `PUT /api/v2/orders`: status (by id or by name in any language), internal note and a few
//! scalar fields, per item `updated_yn` + `messages`; status changes notify the customer.

use http::StatusCode;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::dates;
use crate::record::Notification;
use crate::respond::{ApiError, ApiResult, message, ok};
use crate::state::State;
use crate::statuses;

/// Items one PUT may carry; more is a 413 and nothing is processed.
pub(crate) const MAX_ITEMS: usize = 100;

pub(crate) fn put(state: &mut State, body: &[u8]) -> ApiResult {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON in the request body: {e}")))?;
    let request = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request("The request body must be a JSON object."))?;
    let items: &[Value] = match request.get("orders") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::bad_request("`orders` must be an array.")),
    };
    if items.len() > MAX_ITEMS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Too many items: {} (at most {MAX_ITEMS} per request). Nothing was processed.",
                items.len()
            ),
        ));
    }
    let flags = Flags {
        email: flag(request, "send_emails_yn")?,
        sms: flag(request, "send_sms_yn")?,
    };
    let now = state.clock.now();
    let results: Vec<Value> = items
        .iter()
        .map(|item| update_one(state, item, flags, now))
        .collect();
    ok(&json!({ "orders": results }))
}

#[derive(Clone, Copy)]
struct Flags {
    email: bool,
    sms: bool,
}

/// A top-level `bool` flag, `true` when absent or null.
fn flag(request: &Map<String, Value>, name: &str) -> Result<bool, ApiError> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(true),
        Some(v) => as_bool(v).ok_or_else(|| {
            ApiError::bad_request(format!("`{name}` must be a bool (true/false, 1/0)."))
        }),
    }
}

/// `bool` as Upgates accepts it: `true`/`false`, `1`/`0`, and the same as strings.
fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn failed(order_number: Value, order_url: Value, messages: Vec<Value>) -> Value {
    json!({ "order_number": order_number, "order_url": order_url, "updated_yn": false, "messages": messages })
}

fn error(property: &str, text: String) -> Value {
    message(Some("order"), Some(property), &text, "error")
}

fn update_one(state: &mut State, item: &Value, flags: Flags, now: OffsetDateTime) -> Value {
    let Some(fields) = item.as_object() else {
        return failed(
            Value::Null,
            Value::Null,
            vec![error(
                "order",
                "Each item of `orders` must be an object.".into(),
            )],
        );
    };
    let number = match fields.get("order_number") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return failed(
                Value::Null,
                Value::Null,
                vec![error("order_number", "`order_number` is required.".into())],
            );
        }
    };
    let Some(index) = state.order_index(&number) else {
        return failed(
            json!(number),
            Value::Null,
            vec![error(
                "order_number",
                format!("Order \"{number}\" does not exist."),
            )],
        );
    };
    let order_url = state
        .orders
        .get(index)
        .and_then(|o| o.get("admin_url"))
        .cloned()
        .unwrap_or(Value::Null);

    let mut errors = Vec::new();
    let status = resolve_status(state, fields, &mut errors);
    let changes = scalar_changes(fields, &mut errors);
    if !errors.is_empty() {
        return failed(json!(number), order_url, errors);
    }

    let Some(order) = state.orders.get_mut(index).and_then(Value::as_object_mut) else {
        return failed(
            json!(number),
            order_url,
            vec![error("order", "The stored order is not an object.".into())],
        );
    };
    let old_status = order.get("status_id").and_then(Value::as_i64);
    let mut notify = None;
    if let Some(status) = &status {
        let id = status.get("id").and_then(Value::as_i64);
        let language = order
            .get("language_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let name = statuses::name_in(status, language.as_deref()).map(str::to_owned);
        order.insert("status_id".into(), json!(id));
        order.insert("status".into(), json!(name));
        if status.get("mark_paid_yn").and_then(as_bool) == Some(true)
            && order.get("paid_date").is_none_or(Value::is_null)
        {
            order.insert("paid_date".into(), json!(dates::ymd(now)));
        }
        if status.get("mark_resolved_yn").and_then(as_bool) == Some(true) {
            order.insert("resolved_yn".into(), json!(true));
        }
        if let Some(id) = id
            && Some(id) != old_status
            && (flags.email || flags.sms)
        {
            notify = Some(Notification {
                order_number: number.clone(),
                status_id: id,
                email: flags.email,
                sms: flags.sms,
            });
        }
    }
    for (key, value) in changes {
        order.insert(key.into(), value);
    }
    order.insert("last_update_time".into(), json!(dates::iso(now)));
    if let Some(n) = notify {
        state.notifications.push(n);
    }
    json!({
        "order_number": number,
        "order_url": order_url,
        "updated_yn": true,
        "messages": [message(None, None, "", "info")],
    })
}

/// The status an item asks for: `status_id` (preferred) or `status` (a name in any language).
fn resolve_status(
    state: &State,
    fields: &Map<String, Value>,
    errors: &mut Vec<Value>,
) -> Option<Value> {
    match fields.get("status_id") {
        None | Some(Value::Null) => {}
        Some(raw) => {
            let id = match raw {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            let found = id.and_then(|id| statuses::by_id(state, id));
            if found.is_none() {
                errors.push(error(
                    "status_id",
                    format!("Order status with ID {raw} does not exist."),
                ));
            }
            return found.cloned();
        }
    }
    match fields.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => {
            let found = statuses::by_name(state, name);
            if found.is_none() {
                errors.push(error(
                    "status",
                    format!("Order status \"{name}\" does not exist."),
                ));
            }
            found.cloned()
        }
        Some(other) => {
            errors.push(error(
                "status",
                format!("`status` must be a string, not {other}."),
            ));
            None
        }
    }
}

/// The plain fields a PUT may change, validated.
fn scalar_changes(
    fields: &Map<String, Value>,
    errors: &mut Vec<Value>,
) -> Vec<(&'static str, Value)> {
    let mut changes = Vec::new();
    for key in ["internal_note", "tracking_code", "external_order_number"] {
        match fields.get(key) {
            None => {}
            Some(v @ (Value::String(_) | Value::Null)) => changes.push((key, v.clone())),
            Some(other) => errors.push(error(
                key,
                format!("`{key}` must be a string, not {other}."),
            )),
        }
    }
    match fields.get("paid_date") {
        None => {}
        Some(Value::Null) => changes.push(("paid_date", Value::Null)),
        Some(Value::String(s)) => match dates::parse(s) {
            Some(d) => changes.push(("paid_date", json!(dates::ymd(d.start())))),
            None => errors.push(error(
                "paid_date",
                format!("`paid_date` is not an ISO 8601 date: \"{s}\"."),
            )),
        },
        Some(other) => errors.push(error(
            "paid_date",
            format!("`paid_date` must be a date, not {other}."),
        )),
    }
    for key in ["resolved_yn", "statistics_yn"] {
        if let Some(v) = fields.get(key) {
            match as_bool(v) {
                Some(b) => changes.push((key, json!(b))),
                None => errors.push(error(key, format!("`{key}` must be a bool, not {v}."))),
            }
        }
    }
    match fields.get("variable_symbol") {
        None => {}
        Some(Value::String(s)) => changes.push(("variable_symbol", json!(s))),
        Some(Value::Number(n)) => changes.push(("variable_symbol", json!(n.to_string()))),
        Some(other) => errors.push(error(
            "variable_symbol",
            format!("`variable_symbol` must be an int, not {other}."),
        )),
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools_as_upgates_accepts_them() {
        for (v, want) in [
            (json!(true), Some(true)),
            (json!(0), Some(false)),
            (json!(1.0), Some(true)),
            (json!("0"), Some(false)),
            (json!("1"), Some(true)),
            (json!("yes"), None),
            (json!(2), None),
            (json!([]), None),
        ] {
            assert_eq!(as_bool(&v), want, "{v}");
        }
    }
}
