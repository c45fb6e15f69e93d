//! `GET|POST /api/v2/orders/{order_number}/history`: the order's event log, to which API
//! clients append records (`name` ≤ 50 and `value` ≤ 500 characters, HTML stripped).

use serde_json::{Value, json};

use crate::dates;
use crate::orders::missing;
use crate::respond::{ApiError, ApiResult, message, ok};
use crate::state::State;

const NAME_MAX: usize = 50;
const VALUE_MAX: usize = 500;

/// The `event` of a record added through the API (the real wording is undocumented).
const API_EVENT: &str = "Záznam přidaný přes API";

pub(crate) fn get(state: &State, order_number: &str) -> ApiResult {
    if state.order(order_number).is_none() {
        return Err(missing(order_number));
    }
    let history = state.history.get(order_number).cloned().unwrap_or_default();
    ok(&json!({ "number_of_items": history.len(), "history": history }))
}

pub(crate) fn post(state: &mut State, order_number: &str, body: &[u8]) -> ApiResult {
    if state.order(order_number).is_none() {
        return Err(missing(order_number));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON in the request body: {e}")))?;
    let data = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request("The request body must be a JSON object."))?
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::bad_request("`data` must be an array of {name, value} objects.")
        })?;
    let mut entries = Vec::new();
    for item in data {
        let text = |key: &str| item.get(key).and_then(Value::as_str);
        match (text("name"), text("value")) {
            (Some(name), Some(value)) => entries.push(json!({
                "name": clean(name, NAME_MAX),
                "value": clean(value, VALUE_MAX),
            })),
            _ => {
                let msg = message(
                    Some("data"),
                    None,
                    "Each item of `data` needs string `name` and `value`.",
                    "error",
                );
                return ok(&json!({ "updated": false, "messages": [msg] }));
            }
        }
    }
    if entries.is_empty() {
        let msg = message(Some("data"), None, "`data` is empty.", "error");
        return ok(&json!({ "updated": false, "messages": [msg] }));
    }
    let record = json!({
        "event": API_EVENT,
        "user_name": state.auth.login(),
        "changes": [],
        "origin": "api",
        "data": entries,
        "creation_time": dates::iso(state.clock.now()),
    });
    state
        .history
        .entry(order_number.to_owned())
        .or_default()
        .push(record);
    ok(&json!({ "updated": true, "messages": [] }))
}

/// Strips HTML tags and keeps at most `max` characters.
fn clean(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips_and_truncates() {
        assert_eq!(
            super::clean("<b>Doručit</b> po 17:00", 50),
            "Doručit po 17:00"
        );
        assert_eq!(super::clean(&"ž".repeat(60), 50).chars().count(), 50);
    }
}
