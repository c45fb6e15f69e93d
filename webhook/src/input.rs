//! The request body: at most [`MAX_BODY_BYTES`], the action's inputs as bot platforms send
//! them. A JSON object or the same fields form-encoded; numbers and booleans also as strings
//! (`"days":"30"`, `"notify":"true"`), an order number also as a JSON number, and an empty
//! string or `null` (an unset template variable) as "not given".

use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use http_body::Body;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use upgates_core::{ActionInput, ActionName};

use crate::reply::Rejection;

/// Inputs are an order number, an e-mail, a note...: 64 KiB is plenty.
pub const MAX_BODY_BYTES: usize = 64 << 10;

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`].
pub async fn read_body<B>(body: B) -> Result<Bytes, Rejection>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(Rejection::TooLarge),
        Err(_) => Err(Rejection::BadRequest(
            "the request body could not be read".into(),
        )),
    }
}

/// The action's inputs from the body. Refuses names the action does not take and values that
/// cannot be its inputs, naming the input but never quoting a value (which may be an e-mail
/// address or a phone number); then requires every input the action needs.
pub fn parse_input(
    action: ActionName,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ActionInput, Rejection> {
    let bad = |message: String| Rejection::BadRequest(message);
    let takes = || action.inputs().collect::<Vec<_>>().join(", ");
    if body.trim_ascii().is_empty() {
        return Err(bad(format!(
            "the body is empty: send a JSON object of {action}'s inputs: {}",
            takes()
        )));
    }
    let fields = if is_form(headers, body) {
        form_fields(body)?
    } else {
        json_fields(action, body)?
    };
    let mut input = ActionInput::default();
    let mut empty = Vec::new();
    for (key, value) in fields {
        let Some(name) = action.inputs().find(|name| *name == key) else {
            return Err(bad(format!(
                "{} is not an input of {action}; it takes: {}",
                shown(&key),
                takes()
            )));
        };
        match set(&mut input, name, value) {
            Ok(true) => {}
            Ok(false) => empty.push(name),
            Err(expected) => return Err(bad(format!("`{name}` must be {expected}"))),
        }
    }
    input.check(action).map_err(|missing| {
        match action.inputs().find(|name| empty.contains(name)) {
            // The usual cause: a template variable the scenario never filled.
            Some(name) if missing.message().contains(&format!("`{name}`")) => bad(format!(
                "`{name}` is empty, and {action} needs it (an unset template variable?)"
            )),
            _ => bad(missing.message()),
        }
    })?;
    Ok(input)
}

/// A field's value as the body carried it.
enum Raw {
    Json(Value),
    /// A JSON number, as written (`30`, `30.0`, `3e1`).
    Number(String),
    /// Form fields are always text.
    Text(String),
}

/// A form when the body says so and does not look like JSON: `curl -d '{...}'` labels JSON
/// as a form.
fn is_form(headers: &HeaderMap, body: &[u8]) -> bool {
    let form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    form && !body.trim_ascii_start().starts_with(b"{")
}

fn json_fields(action: ActionName, body: &[u8]) -> Result<Vec<(String, Raw)>, Rejection> {
    let value: JsonBody = serde_json::from_slice(body).map_err(|e| {
        Rejection::BadRequest(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let JsonBody::Object(fields) = value else {
        return Err(Rejection::BadRequest(format!(
            "the body must be a JSON object of {action}'s inputs: {}",
            action.inputs().collect::<Vec<_>>().join(", ")
        )));
    };
    let fields = fields.into_iter().map(|(key, value)| {
        let literal = value.get();
        // A number keeps its literal: a float would round `4503599627370497.5` to a whole one.
        let raw = match literal.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            true => Ok(Raw::Number(literal.to_owned())),
            false => serde_json::from_str(literal).map(Raw::Json),
        };
        raw.map(|raw| (key, raw))
    });
    let fields: Result<Vec<_>, _> = fields.collect();
    once_each(
        fields
            .map_err(|_| Rejection::BadRequest("the body is not valid JSON".into()))?
            .into_iter(),
    )
}

/// A JSON body: an object's members in order, every one of them (serde_json's `Map` would
/// keep only the last of a repeated key), each value as written, or anything else.
enum JsonBody {
    Object(Vec<(String, Box<RawValue>)>),
    Other,
}

impl<'de> Deserialize<'de> for JsonBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonBodyVisitor)
    }
}

struct JsonBodyVisitor;

impl<'de> Visitor<'de> for JsonBodyVisitor {
    type Value = JsonBody;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonBody, A::Error> {
        let mut fields = Vec::new();
        while let Some(field) = map.next_entry::<String, Box<RawValue>>()? {
            fields.push(field);
        }
        Ok(JsonBody::Object(fields))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonBody, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JsonBody::Other)
    }

    fn visit_bool<E>(self, _: bool) -> Result<JsonBody, E> {
        Ok(JsonBody::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<JsonBody, E> {
        Ok(JsonBody::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<JsonBody, E> {
        Ok(JsonBody::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<JsonBody, E> {
        Ok(JsonBody::Other)
    }

    fn visit_str<E>(self, _: &str) -> Result<JsonBody, E> {
        Ok(JsonBody::Other)
    }

    fn visit_unit<E>(self) -> Result<JsonBody, E> {
        Ok(JsonBody::Other)
    }
}

/// The fields, refusing one given twice (which of the two would count is a guess).
fn once_each(fields: impl Iterator<Item = (String, Raw)>) -> Result<Vec<(String, Raw)>, Rejection> {
    let mut seen: Vec<(String, Raw)> = Vec::new();
    for (key, value) in fields {
        if seen.iter().any(|(other, _)| *other == key) {
            return Err(Rejection::BadRequest(format!(
                "{} is given twice",
                shown(&key)
            )));
        }
        seen.push((key, value));
    }
    Ok(seen)
}

fn form_fields(body: &[u8]) -> Result<Vec<(String, Raw)>, Rejection> {
    once_each(
        form_urlencoded::parse(body)
            .map(|(key, value)| (key.into_owned(), Raw::Text(value.into_owned()))),
    )
}

/// Sets input `name` from `value`: `Ok(false)` when the value means "not given" (`""` or
/// `null`: an unset template variable), `Err` with what the input must be when it cannot be
/// one. Only spaces is a value, which the action refuses as it refuses any malformed input.
fn set(input: &mut ActionInput, name: &str, value: Raw) -> Result<bool, &'static str> {
    let text = match value {
        Raw::Text(text) => Some(text),
        Raw::Json(Value::Null) => return Ok(false),
        Raw::Json(Value::String(text)) => Some(text),
        // JSON's own number, where the input is a number (or a number's digits).
        Raw::Number(literal) => {
            let number = whole(&literal);
            match name {
                "days" => {
                    input.days = Some(number.and_then(|d| u32::try_from(d).ok()).ok_or(DAYS)?)
                }
                "notify" => {
                    input.notify = match number {
                        Some(0) => false,
                        Some(1) => true,
                        _ => return Err(NOTIFY),
                    }
                }
                // A template that pastes a number without quotes: `{"order": {{obj}}}`.
                _ => set_text(input, name, number.ok_or(TEXT)?.to_string()),
            }
            return Ok(true);
        }
        Raw::Json(other) => {
            // JSON's own types, where the input is of that type.
            return match (name, other) {
                ("notify", Value::Bool(b)) => {
                    input.notify = b;
                    Ok(true)
                }
                ("days", _) => Err(DAYS),
                ("notify", _) => Err(NOTIFY),
                _ => Err(TEXT),
            };
        }
    };
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    match name {
        // A number or a yes/no of only spaces says nothing: as if it was not given.
        "days" | "notify" if text.trim().is_empty() => return Ok(false),
        "days" => input.days = Some(text.trim().parse().map_err(|_| DAYS)?),
        "notify" => input.notify = boolean(&text).ok_or(NOTIFY)?,
        _ => set_text(input, name, text),
    }
    Ok(true)
}

/// A JSON number literal that is a whole number, as JSON Schema's `integer` counts them:
/// `30`, `30.0` as a float-only writer (a template's arithmetic) sends it, `3e1`, `-0`.
/// Decided from the digits: a float rounds `9007199254740993.0` or `4503599627370497.5` to
/// another whole number.
fn whole(literal: &str) -> Option<u64> {
    let (negative, unsigned) = match literal.strip_prefix('-') {
        Some(unsigned) => (true, unsigned),
        None => (false, literal),
    };
    let (mantissa, exponent) = unsigned.split_once(['e', 'E']).unwrap_or((unsigned, "0"));
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{integer}{fraction}");
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Some(0);
    }
    if negative || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let kept = significant.trim_end_matches('0');
    let dropped = i64::try_from(significant.len() - kept.len()).ok()?;
    // The number is `kept` × 10^shift; below 0, a fraction remains.
    let shift = exponent
        .parse::<i64>()
        .ok()?
        .checked_sub(i64::try_from(fraction.len()).ok()?)?
        .checked_add(dropped)?;
    let scale = 10u64.checked_pow(u32::try_from(shift).ok()?)?;
    kept.parse::<u64>().ok()?.checked_mul(scale)
}

const DAYS: &str = "a whole number of days, e.g. 30";
const NOTIFY: &str = "true or false";
const TEXT: &str = "text (or a whole number)";

fn set_text(input: &mut ActionInput, name: &str, text: String) {
    let slot = match name {
        "order" => &mut input.order,
        "email" => &mut input.email,
        "phone" => &mut input.phone,
        "status" => &mut input.status,
        "proof" => &mut input.proof,
        _ => &mut input.text,
    };
    *slot = Some(text);
}

/// `true`/`false` as templates write them, Czech included.
fn boolean(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "ano" => Some(true),
        "false" | "0" | "no" | "off" | "ne" => Some(false),
        _ => None,
    }
}

/// A key is the caller's text (a form's `&` in a customer's note makes one of its words a
/// key): named only when it is one of the actions' input names.
fn shown(key: &str) -> String {
    if ActionName::ALL
        .iter()
        .any(|action| action.inputs().any(|input| input == key))
    {
        format!("`{key}`")
    } else {
        "a key".into()
    }
}

#[cfg(test)]
mod tests;
