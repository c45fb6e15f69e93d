mod common;

use common::*;
use serde_json::json;
use upgates_fake_shop::Fault;

#[test]
fn status_lists_services_with_rights_and_is_always_allowed() {
    let shop = sample();
    shop.set_rights("orders", "readonly");
    shop.set_rights("invoices", "deny");
    let (status, body) = get(&shop, "/api/v2/status");
    assert_eq!(status, 200);
    let services = body["services"].as_array().unwrap();
    let find = |name: &str| {
        services
            .iter()
            .find(|s| s["service"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(find("orders")["privilege"], "readonly");
    assert_eq!(find("invoices")["privilege"], "deny");
    assert_eq!(find("products")["privilege"], "all");
    assert_eq!(
        find("order-statuses")["url"],
        "https://demo.admin.s1.upgates.com/api/v2/order-statuses"
    );
    assert!(body["documentation_link"].is_string());
    let (_, body) = get(&shop, "http://127.0.0.1:8080/api/v2/status");
    assert_eq!(
        body["services"][0]["url"],
        "http://127.0.0.1:8080/api/v2/orders"
    );
    for service in ["orders", "order-statuses", "invoices", "products"] {
        shop.set_rights(service, "deny");
    }
    let (status, body) = get(&shop, "/api/v2/status");
    assert_eq!(status, 200, "/status needs no rights");
    assert!(
        body["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["privilege"] == "deny")
    );
}

#[test]
fn rights_are_enforced() {
    let shop = sample();
    shop.set_rights("orders", "readonly");
    shop.set_rights("invoices", "deny");
    assert_eq!(get(&shop, "/api/v2/orders/2025000123").0, 200);
    let (status, body) = send(
        &shop,
        "PUT",
        "/api/v2/orders",
        &json!({ "orders": [{ "order_number": "2025000123", "status_id": 4 }] }),
    );
    assert_eq!(status, 403);
    assert!(body["message"].is_string());
    assert_eq!(shop.order("2025000123").unwrap()["status_id"], 1);
    assert_eq!(
        send(
            &shop,
            "POST",
            "/api/v2/orders/2025000123/history",
            &json!({ "data": [] })
        )
        .0,
        403
    );
    assert_eq!(get(&shop, "/api/v2/invoices/FV2025001").0, 403);
    assert_eq!(
        shop.handle(request("GET", "/api/v2/invoices/FV2025001/pdf", ""))
            .status(),
        403
    );
    assert_eq!(get(&shop, "/api/v2/products/simple").0, 200);
    shop.set_rights("orders", "all");
    assert_eq!(
        send(&shop, "PUT", "/api/v2/orders", &json!({ "orders": [] })).0,
        200
    );
}

#[test]
fn faults_answer_in_fifo_order_and_are_recorded() {
    let shop = sample();
    shop.push_fault(Fault::status(500));
    shop.push_fault(
        Fault::json(
            301,
            json!({ "api_url": "https://demo.admin.s2.upgates.com/api/v2" }),
        )
        .header("Location", "https://x/"),
    );
    shop.push_fault(Fault::raw(200, b"<html>not json</html>").header("Content-Type", "text/html"));
    let first = shop.handle(request("GET", "/api/v2/orders", ""));
    assert_eq!(first.status(), 500);
    assert_eq!(body_json(&first)["message"], "Internal Server Error");
    assert!(
        !first.headers().contains_key("x-rate-limit-hour"),
        "faults are exactly as given"
    );
    let second = shop.handle(request("GET", "/api/v2/orders", ""));
    assert_eq!(
        (second.status().as_u16(), &second.headers()["location"]),
        (301, &"https://x/".parse::<http::HeaderValue>().unwrap())
    );
    assert_eq!(
        body_json(&second)["api_url"],
        "https://demo.admin.s2.upgates.com/api/v2"
    );
    let third = shop.handle(request("GET", "/api/v2/orders", ""));
    assert_eq!(
        (third.status().as_u16(), third.body().as_ref()),
        (200, b"<html>not json</html>".as_ref())
    );
    assert_eq!(third.headers()["content-type"], "text/html");
    assert_eq!(
        get(&shop, "/api/v2/orders").1["number_of_items"],
        5,
        "the queue is empty again"
    );
    assert_eq!(shop.requests().len(), 4);
    // Faults answer even unauthenticated requests.
    shop.push_fault(Fault::status(503).header("Retry-After", "120"));
    let resp = shop.handle(
        http::Request::builder()
            .uri("/x")
            .body(bytes::Bytes::new())
            .unwrap(),
    );
    assert_eq!(
        (resp.status().as_u16(), &resp.headers()["retry-after"]),
        (503, &"120".parse::<http::HeaderValue>().unwrap())
    );
}

#[test]
fn a_fault_on_a_method_and_path_waits_for_a_request_it_applies_to() {
    let shop = sample();
    shop.push_fault(Fault::status(500).on(http::Method::POST, "/history"));
    shop.push_fault(Fault::status(503));
    // The GET passes the first fault by and gets the second.
    let get = shop.handle(request("GET", "/api/v2/orders/2025000123/history", ""));
    assert_eq!(get.status(), 503);
    // With no fault left for it, a GET is answered by the API again.
    let get = shop.handle(request("GET", "/api/v2/orders/2025000123/history", ""));
    assert_eq!(get.status(), 200);
    let body = r#"{"data": [{"name": "a", "value": "b"}]}"#;
    let post = shop.handle(request("POST", "/api/v2/orders/2025000123/history", body));
    assert_eq!(post.status(), 500);
    assert!(shop.history("2025000123").is_empty());
    let post = shop.handle(request("POST", "/api/v2/orders/2025000123/history", body));
    assert_eq!(post.status(), 200, "each fault answers once");
    assert_eq!(shop.history("2025000123").len(), 1);
    assert_eq!(shop.requests().len(), 4);
}

fn limits(resp: &http::Response<bytes::Bytes>) -> [u32; 5] {
    [
        "hour",
        "day",
        "hour-remaining",
        "day-remaining",
        "total-remaining",
    ]
    .map(|k| {
        resp.headers()[format!("x-rate-limit-{k}").as_str()]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    })
}

#[test]
fn quota_headers_and_429() {
    let shop = sample();
    let resp = shop.handle(request("GET", "/api/v2/status", ""));
    assert_eq!(
        limits(&resp),
        [100_000, 100_000, 99_999, 100_000, 199_999],
        "generous defaults"
    );
    shop.set_quota(2, 1);
    let expected = [[2, 1, 1, 1, 2], [2, 1, 0, 1, 1], [2, 1, 0, 0, 0]];
    for want in expected {
        let resp = shop.handle(request("GET", "/api/v2/order-statuses", ""));
        assert_eq!(resp.status(), 200);
        assert_eq!(limits(&resp), want);
    }
    let refused = shop.handle(request("GET", "/api/v2/order-statuses", ""));
    assert_eq!(refused.status(), 429);
    assert_eq!(limits(&refused), [2, 1, 0, 0, 0]);
    assert!(body_json(&refused)["message"].is_string());
    let retry = refused.headers()["retry-after"].to_str().unwrap();
    // The shop's clock runs from the sample's pinned now, 2026-11-28T12:00:00Z.
    assert_eq!(retry, "Sat, 28 Nov 2026 13:00:00 GMT", "the next full hour");
    // Failed logins do not count against the quota.
    let resp = shop.handle(
        http::Request::builder()
            .uri("/api/v2/status")
            .body(bytes::Bytes::new())
            .unwrap(),
    );
    assert_eq!(resp.status(), 401);
    assert_eq!(limits(&resp), [2, 1, 0, 0, 0]);
}
