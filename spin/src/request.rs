//! The request body: at most [`MAX_BODY_BYTES`], a JSON object of the action's inputs.

use bytes::Bytes;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde_json::{Map, Value};
use spin_sdk::wasip3::http_compat::IncomingRequestBody;
use upgates_core::{ActionInput, ActionName};

use crate::reply::Rejection;

/// Inputs are an order number, an e-mail, a note...: 64 KiB is plenty.
pub const MAX_BODY_BYTES: usize = 64 << 10;

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`].
pub async fn read_body(body: IncomingRequestBody) -> Result<Bytes, Rejection> {
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(Rejection::TooLarge),
        Err(_) => Err(Rejection::BadRequest(
            "the request body could not be read".into(),
        )),
    }
}

/// The action's inputs from a JSON object with the CLI's flag names. Refuses other JSON,
/// names the action does not take and values of the wrong type, naming the key but never
/// quoting a value (which may be an e-mail address or a phone number); then requires every
/// input the action needs.
pub fn parse_input(action: ActionName, body: &[u8]) -> Result<ActionInput, Rejection> {
    let bad = |message: String| Rejection::BadRequest(message);
    if body.trim_ascii().is_empty() {
        return Err(bad(format!(
            "the body is empty: send a JSON object of {action}'s inputs: {}",
            action.inputs().join(", ")
        )));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        bad(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(fields) = value else {
        return Err(bad(format!(
            "the body must be a JSON object of {action}'s inputs: {}",
            action.inputs().join(", ")
        )));
    };
    for (key, value) in &fields {
        if !action.inputs().contains(&key.as_str()) {
            return Err(bad(format!(
                "{} is not an input of {action}; it takes: {}",
                shown(key),
                action.inputs().join(", ")
            )));
        }
        let alone = Map::from_iter([(key.clone(), value.clone())]);
        if serde_json::from_value::<ActionInput>(Value::Object(alone)).is_err() {
            return Err(bad(format!("`{key}` must be {}", expected(key))));
        }
    }
    let input: ActionInput = serde_json::from_value(Value::Object(fields))
        .map_err(|_| bad("the inputs do not match the action".into()))?;
    input
        .check(action)
        .map_err(|missing| bad(missing.message()))?;
    Ok(input)
}

/// An unknown key is the caller's text: quoted only when it looks like a name.
fn shown(key: &str) -> String {
    let name_like = !key.is_empty()
        && key.len() <= 32
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if name_like {
        format!("`{key}`")
    } else {
        "a key".into()
    }
}

fn expected(key: &str) -> &'static str {
    match key {
        "days" => "a whole number",
        "notify" => "true or false",
        _ => "a string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionName::*;

    fn message(result: Result<ActionInput, Rejection>) -> String {
        match result {
            Err(Rejection::BadRequest(message)) => message,
            other => panic!("expected a bad request, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_actions_inputs() {
        let input = parse_input(
            SetOrderStatus,
            br#"{"order":"2025000123","status":"Stornovan\u00e1","notify":true}"#,
        )
        .unwrap();
        assert_eq!(input.order.as_deref(), Some("2025000123"));
        assert_eq!(input.status.as_deref(), Some("Stornovaná"));
        assert!(input.notify);
        let input = parse_input(OrdersByPhone, br#"{"phone":"+420 601 223 344","days":30}"#);
        assert_eq!(input.unwrap().days, Some(30));
    }

    #[test]
    fn names_what_is_wrong_without_quoting_values() {
        assert_eq!(
            message(parse_input(VerifyOrder, b"{\"order\":")),
            "the body is not valid JSON (line 1, column 9)"
        );
        assert_eq!(
            message(parse_input(VerifyOrder, b" ")),
            "the body is empty: send a JSON object of verify-order's inputs: order"
        );
        assert_eq!(
            message(parse_input(OrderDetail, b"[1]")),
            "the body must be a JSON object of order-detail's inputs: order, email"
        );
        assert_eq!(
            message(parse_input(VerifyOrder, br#"{"order":"1","evil":2}"#)),
            "`evil` is not an input of verify-order; it takes: order"
        );
        assert_eq!(
            message(parse_input(
                VerifyOrder,
                br#"{"order":"1","email":"jana@example.cz"}"#
            )),
            "`email` is not an input of verify-order; it takes: order"
        );
        assert_eq!(
            message(parse_input(VerifyOrder, br#"{"jana@example.cz":1}"#)),
            "a key is not an input of verify-order; it takes: order"
        );
        let wrong = message(parse_input(
            OrdersByPhone,
            br#"{"phone":601223344,"days":30}"#,
        ));
        assert_eq!(wrong, "`phone` must be a string");
        assert!(!wrong.contains("601"));
        assert_eq!(
            message(parse_input(
                OrdersByPhone,
                br#"{"phone":"601223344","days":"30"}"#
            )),
            "`days` must be a whole number"
        );
        assert_eq!(
            message(parse_input(
                SetOrderStatus,
                br#"{"order":"1","status":"x","notify":"yes"}"#
            )),
            "`notify` must be true or false"
        );
        assert_eq!(
            message(parse_input(OrderDetail, br#"{"order":"2025000123"}"#)),
            "invalid input: `email` is required for order-detail"
        );
    }
}
