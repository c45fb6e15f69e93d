//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::Value;
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};

/// The pinned "now" of the sample shop: Saturday 2026-11-28 12:00 UTC (13:00 +01:00).
pub fn now() -> SystemTime {
    time::macros::datetime!(2026-11-28 12:00:00 UTC).into()
}

pub fn sample() -> FakeShop {
    FakeShop::sample(now())
}

pub fn basic(login: &str, key: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{login}:{key}")))
}

/// A request with the sample credentials.
pub fn request(method: &str, uri: &str, body: &str) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", basic(SAMPLE_LOGIN, SAMPLE_KEY))
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

pub fn body_json(resp: &http::Response<Bytes>) -> Value {
    serde_json::from_slice(resp.body())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", resp.body()))
}

/// `GET` with the sample credentials: status and JSON body.
pub fn get(shop: &FakeShop, uri: &str) -> (u16, Value) {
    let resp = shop.handle(request("GET", uri, ""));
    (resp.status().as_u16(), body_json(&resp))
}

/// A JSON request with the sample credentials: status and JSON body.
pub fn send(shop: &FakeShop, method: &str, uri: &str, body: &Value) -> (u16, Value) {
    let resp = shop.handle(request(method, uri, &body.to_string()));
    (resp.status().as_u16(), body_json(&resp))
}

/// The order numbers of a list response, in order.
pub fn numbers(body: &Value) -> Vec<String> {
    body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_number"].as_str().unwrap().to_owned())
        .collect()
}

/// A minimal order for tests that build their own shop.
pub fn order(number: &str, created: &str) -> Value {
    serde_json::json!({
        "order_number": number, "language_id": "cs", "status_id": 1, "status": "Přijatá",
        "creation_time": created, "last_update_time": created, "internal_note": null,
        "customer": { "email": null, "phone": null },
    })
}
