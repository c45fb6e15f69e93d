mod common;

use common::*;
use serde_json::{Value, json};
use upgates_fake_shop::Notification;

fn put(shop: &upgates_fake_shop::FakeShop, body: Value) -> (u16, Value) {
    send(shop, "PUT", "/api/v2/orders", &body)
}

fn note(order: &str, status: (&str, Value)) -> Value {
    let mut item = json!({ "order_number": order });
    item[status.0] = status.1;
    item
}

#[test]
fn status_by_english_name_is_stored_in_the_orders_language_and_notifies_by_default() {
    let shop = sample();
    let (status, body) = put(
        &shop,
        json!({ "orders": [note("2025000123", ("status", json!("Cancelled")))] }),
    );
    assert_eq!(status, 200);
    let item = &body["orders"][0];
    assert_eq!(item["order_number"], "2025000123");
    assert_eq!(item["updated_yn"], true);
    assert_eq!(item["messages"][0]["level"], "info");
    assert_eq!(
        item["order_url"],
        shop.order("2025000123").unwrap()["admin_url"]
    );
    let order = shop.order("2025000123").unwrap();
    assert_eq!(
        (&order["status_id"], &order["status"]),
        (&json!(4), &json!("Stornovaná"))
    );
    assert_eq!(order["last_update_time"], "2026-11-28T13:00:00+01:00");
    assert_eq!(
        shop.sent_notifications(),
        [Notification {
            order_number: "2025000123".into(),
            status_id: 4,
            email: true,
            sms: true
        }]
    );
}

#[test]
fn status_by_slovak_name_and_by_id() {
    let shop = sample();
    let (_, body) = put(
        &shop,
        json!({ "send_emails_yn": false, "send_sms_yn": false, "orders": [
            note("2025000126", ("status", json!("Odoslaná"))),
            note("2024000077", ("status_id", json!(5))),
            note("2025000125", ("status_id", json!("6"))),
        ]}),
    );
    assert!(
        body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["updated_yn"] == true),
        "{body}"
    );
    let o = shop.order("2025000126").unwrap();
    assert_eq!(
        (&o["status_id"], &o["status"]),
        (&json!(3), &json!("Odeslaná"))
    );
    let o = shop.order("2024000077").unwrap();
    assert_eq!(
        (&o["status_id"], &o["status"]),
        (&json!(5), &json!("Čaká na tovar"))
    );
    let o = shop.order("2025000125").unwrap();
    assert_eq!(
        (&o["status_id"], &o["status"]),
        (&json!(6), &json!("Zaplaceno"))
    );
    assert_eq!(
        o["paid_date"], "2026-11-28",
        "a mark-paid status marks the order paid"
    );
    assert!(shop.sent_notifications().is_empty(), "both flags false");
}

#[test]
fn flags_accept_bools_numbers_and_strings() {
    let shop = sample();
    put(
        &shop,
        json!({ "send_emails_yn": 1, "send_sms_yn": "0", "orders": [note("2025000123", ("status_id", json!(2)))] }),
    );
    put(
        &shop,
        json!({ "send_emails_yn": "0", "orders": [note("2025000124", ("status_id", json!(4)))] }),
    );
    put(
        &shop,
        json!({ "send_emails_yn": false, "send_sms_yn": 0, "orders": [note("2025000126", ("status_id", json!(4)))] }),
    );
    assert_eq!(
        shop.sent_notifications(),
        [
            Notification {
                order_number: "2025000123".into(),
                status_id: 2,
                email: true,
                sms: false
            },
            Notification {
                order_number: "2025000124".into(),
                status_id: 4,
                email: false,
                sms: true
            },
        ]
    );
    let (status, body) = put(&shop, json!({ "send_emails_yn": "yes", "orders": [] }));
    assert_eq!(status, 400);
    assert!(body["message"].is_string());
}

#[test]
fn setting_the_current_status_sends_nothing() {
    let shop = sample();
    let (_, body) = put(
        &shop,
        json!({ "orders": [note("2025000124", ("status", json!("Odeslaná")))] }),
    );
    assert_eq!(body["orders"][0]["updated_yn"], true);
    assert!(shop.sent_notifications().is_empty());
}

#[test]
fn internal_note_replaces() {
    let shop = sample();
    let (_, body) = put(
        &shop,
        json!({ "orders": [{ "order_number": "2025000124", "internal_note": "Nová poznámka" }] }),
    );
    assert_eq!(body["orders"][0]["updated_yn"], true);
    let o = shop.order("2025000124").unwrap();
    assert_eq!(o["internal_note"], "Nová poznámka");
    assert_eq!(o["status_id"], 3, "status untouched");
    assert!(shop.sent_notifications().is_empty());
}

#[test]
fn unknown_status_or_order_is_refused_without_change() {
    let shop = sample();
    let before = shop.order("2025000123").unwrap();
    let (status, body) = put(
        &shop,
        json!({ "orders": [
            { "order_number": "2025000123", "status": "Zrušená", "internal_note": "nope" },
            { "order_number": "2025000123", "status_id": 99, "internal_note": "nope" },
            { "order_number": "9999999", "status_id": 4 },
            { "status_id": 4 },
        ]}),
    );
    assert_eq!(status, 200);
    let items = body["orders"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    for item in items {
        assert_eq!(item["updated_yn"], false, "{item}");
        let msg = &item["messages"][0];
        assert_eq!(msg["level"], "error");
        assert!(msg["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(msg.get("object").is_some() && msg.get("property").is_some());
    }
    assert_eq!(items[2]["order_number"], "9999999");
    assert_eq!(shop.order("2025000123").unwrap(), before);
    assert!(shop.sent_notifications().is_empty());
}

#[test]
fn over_100_items_is_413_and_nothing_changes() {
    let shop = sample();
    let mut items: Vec<Value> = (0..100)
        .map(|_| note("2025000123", ("status_id", json!(4))))
        .collect();
    items.push(note("2025000124", ("status_id", json!(4))));
    let (status, body) = put(&shop, json!({ "orders": items }));
    assert_eq!(status, 413);
    assert!(body["message"].is_string());
    assert_eq!(shop.order("2025000123").unwrap()["status_id"], 1);
    assert!(shop.sent_notifications().is_empty());
    items.pop();
    assert_eq!(
        put(
            &shop,
            json!({ "send_emails_yn": 0, "send_sms_yn": 0, "orders": items })
        )
        .0,
        200
    );
}

#[test]
fn non_object_bodies_are_400() {
    let shop = sample();
    for body in ["[]", "\"x\"", "{", "", "{\"orders\": {}}"] {
        let resp = shop.handle(request("PUT", "/api/v2/orders", body));
        assert_eq!(resp.status(), 400, "{body:?}");
        assert!(body_json(&resp)["message"].is_string());
    }
}

#[test]
fn history_records_are_added_truncated_and_listed() {
    let shop = sample();
    let (status, body) = get(&shop, "/api/v2/orders/2025000123/history");
    assert_eq!(
        (status, &body),
        (200, &json!({ "number_of_items": 0, "history": [] }))
    );
    let long = "x".repeat(600);
    let (status, body) = send(
        &shop,
        "POST",
        "/api/v2/orders/2025000123/history",
        &json!({ "data": [{ "name": format!("<b>Chatbot</b>{}", "n".repeat(60)), "value": long }] }),
    );
    assert_eq!(
        (status, &body),
        (200, &json!({ "updated": true, "messages": [] }))
    );
    let (_, body) = get(&shop, "/api/v2/orders/2025000123/history");
    assert_eq!(body["number_of_items"], 1);
    let record = &body["history"][0];
    assert_eq!(record["origin"], "api");
    assert_eq!(record["creation_time"], "2026-11-28T13:00:00+01:00");
    let name = record["data"][0]["name"].as_str().unwrap();
    assert!(
        name.starts_with("Chatbotnnn") && name.chars().count() == 50,
        "{name}"
    );
    assert_eq!(record["data"][0]["value"].as_str().unwrap().len(), 500);
    assert_eq!(shop.history("2025000123").len(), 1);
    assert_eq!(get(&shop, "/api/v2/orders/9999999/history").0, 404);
    assert_eq!(
        send(
            &shop,
            "POST",
            "/api/v2/orders/2025000123/history",
            &json!({ "nodata": 1 })
        )
        .0,
        400
    );
    assert_eq!(
        shop.handle(request("PUT", "/api/v2/orders/2025000123/history", "{}"))
            .status(),
        405
    );
}

/// Upgates documents status names in any of the shop's languages, not a case-insensitive
/// match: the fake refuses another spelling, so the client is not tested against a leniency
/// the real API may not have.
#[test]
fn a_status_name_must_be_spelled_as_the_shop_has_it() {
    let shop = sample();
    let (status, body) = put(
        &shop,
        json!({ "orders": [note("2025000123", ("status", json!("stornovaná")))] }),
    );
    assert_eq!(status, 200);
    assert_eq!(body["orders"][0]["updated_yn"], false);
    assert_eq!(body["orders"][0]["messages"][0]["level"], "error");
}
