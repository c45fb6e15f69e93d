//! `GET /api/v2/order-statuses[/{id}]` and status look-ups by id or by name in any language.

use serde_json::{Value, json};

use crate::query::Query;
use crate::respond::{ApiError, ApiResult, ok};
use crate::state::{State, str_at};

pub(crate) fn list(state: &State, query: &Query) -> ApiResult {
    let kind = query.non_empty("type");
    let found: Vec<&Value> = state
        .statuses
        .iter()
        .filter(|s| {
            kind.is_none_or(|k| str_at(s, "type").is_some_and(|t| t.eq_ignore_ascii_case(k)))
        })
        .collect();
    ok(&json!({ "order_statuses": found }))
}

pub(crate) fn get(state: &State, id: &str) -> ApiResult {
    id.trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| by_id(state, id))
        .map_or_else(
            || {
                Err(ApiError::not_found(format!(
                    "Order status \"{id}\" does not exist."
                )))
            },
            |s| ok(&json!({ "order_statuses": [s] })),
        )
}

pub(crate) fn by_id(state: &State, id: i64) -> Option<&Value> {
    state
        .statuses
        .iter()
        .find(|s| s.get("id").and_then(Value::as_i64) == Some(id))
}

/// The status one of whose names (any language) is `name`. Exactly: Upgates documents names
/// in any of the shop's languages, not a case-insensitive match, so the fake does not offer
/// one the real API may not have.
pub(crate) fn by_name<'a>(state: &'a State, name: &str) -> Option<&'a Value> {
    state.statuses.iter().find(|s| names(s).any(|n| n == name))
}

/// All names of a status, one per language.
pub(crate) fn names(status: &Value) -> impl Iterator<Item = &str> {
    status
        .get("descriptions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| str_at(d, "name"))
}

/// The status's name in `language`, else its first name.
pub(crate) fn name_in<'a>(status: &'a Value, language: Option<&str>) -> Option<&'a str> {
    let descriptions = status.get("descriptions").and_then(Value::as_array)?;
    descriptions
        .iter()
        .find(|d| language.is_some() && str_at(d, "language_id") == language)
        .or_else(|| descriptions.first())
        .and_then(|d| str_at(d, "name"))
}
