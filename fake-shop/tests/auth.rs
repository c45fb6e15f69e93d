mod common;

use bytes::Bytes;
use common::*;
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};

fn with_auth(auth: Option<&str>) -> http::Request<Bytes> {
    let mut b = http::Request::builder().uri("/api/v2/order-statuses");
    if let Some(a) = auth {
        b = b.header("Authorization", a);
    }
    b.body(Bytes::new()).unwrap()
}

#[test]
fn missing_or_wrong_credentials_are_401_json() {
    let shop = sample();
    for auth in [
        None,
        Some(basic(SAMPLE_LOGIN, "wrong")),
        Some(basic("nobody", SAMPLE_KEY)),
        Some("Bearer x".into()),
    ] {
        let resp = shop.handle(with_auth(auth.as_deref()));
        assert_eq!(resp.status(), 401, "{auth:?}");
        assert_eq!(resp.headers()["content-type"], "application/json");
        assert!(
            body_json(&resp)["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(resp.headers().contains_key("x-rate-limit-hour-remaining"));
    }
    assert_eq!(
        shop.handle(with_auth(Some(&basic(SAMPLE_LOGIN, SAMPLE_KEY))))
            .status(),
        200
    );
}

#[test]
fn five_failed_logins_lock_out_even_right_credentials() {
    let shop = FakeShop::new("u", "k");
    for _ in 0..5 {
        assert_eq!(
            shop.handle(with_auth(Some(&basic("u", "bad")))).status(),
            401
        );
    }
    let sixth = shop.handle(with_auth(Some(&basic("u", "k"))));
    assert_eq!(sixth.status(), 403);
    assert!(body_json(&sixth)["message"].is_string());
    assert_eq!(shop.handle(with_auth(Some(&basic("u", "k")))).status(), 403);
    assert_eq!(
        shop.requests().len(),
        7,
        "refused requests are recorded too"
    );
}

#[test]
fn four_failures_do_not_lock_out() {
    let shop = FakeShop::new("u", "k");
    for _ in 0..4 {
        shop.handle(with_auth(None));
    }
    assert_eq!(shop.handle(with_auth(Some(&basic("u", "k")))).status(), 200);
}

#[test]
fn absolute_and_origin_form_uris_route_alike() {
    let shop = sample();
    let (a, body_a) = get(
        &shop,
        "https://demo.admin.s1.upgates.com/api/v2/orders/2025000123",
    );
    let (b, body_b) = get(&shop, "/api/v2/orders/2025000123");
    assert_eq!((a, b), (200, 200));
    assert_eq!(body_a, body_b);
}

#[test]
fn unknown_paths_404_and_wrong_methods_405() {
    let shop = sample();
    for path in [
        "/api/v2/nothing",
        "/api/v1/orders",
        "/orders",
        "/api/v2",
        "/api/v2/orders/1/2/3",
        "/api/v2//orders",
    ] {
        let (status, body) = get(&shop, path);
        assert_eq!(status, 404, "{path}");
        assert!(body["message"].is_string());
    }
    let resp = shop.handle(request("DELETE", "/api/v2/order-statuses", ""));
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "GET");
    assert!(body_json(&resp)["message"].is_string());
    assert_eq!(
        shop.handle(request("POST", "/api/v2/orders", "{}"))
            .status(),
        405
    );
    // Unauthenticated requests are refused before routing.
    let resp = shop.handle(
        http::Request::builder()
            .uri("/api/v2/nothing")
            .body(Bytes::new())
            .unwrap(),
    );
    assert_eq!(resp.status(), 401);
}

#[test]
fn method_override_header_is_honoured() {
    let shop = sample();
    let mut req = request(
        "POST",
        "/api/v2/orders",
        r#"{"orders":[{"order_number":"2025000123","internal_note":"x"}]}"#,
    );
    req.headers_mut()
        .insert("x-http-method-override", "PUT".parse().unwrap());
    assert_eq!(shop.handle(req).status(), 200);
    assert_eq!(shop.order("2025000123").unwrap()["internal_note"], "x");
    assert_eq!(shop.requests()[0].method, "POST");
}

#[test]
fn every_request_is_recorded_with_its_details() {
    let shop = sample();
    shop.handle(with_auth(None));
    get(
        &shop,
        "/api/v2/orders?phone=%2B420%20601&email=a%40b.cz&x=1+2",
    );
    send(
        &shop,
        "PUT",
        "/api/v2/orders",
        &serde_json::json!({"orders": []}),
    );
    let recorded = shop.requests();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[0].header("authorization"), None);
    let list = &recorded[1];
    assert_eq!(
        (list.method.as_str(), list.path.as_str()),
        ("GET", "/api/v2/orders")
    );
    assert_eq!(
        list.query.as_deref(),
        Some("phone=%2B420%20601&email=a%40b.cz&x=1+2")
    );
    assert_eq!(
        list.query_pairs(),
        [("phone", "+420 601"), ("email", "a@b.cz"), ("x", "1 2")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert!(
        list.header("Authorization")
            .is_some_and(|a| a.starts_with("Basic "))
    );
    assert_eq!(recorded[2].json(), Some(serde_json::json!({"orders": []})));
    assert_eq!(list.json(), None);
    shop.clear_requests();
    assert!(shop.requests().is_empty());
}

#[test]
fn garbage_requests_get_errors_not_panics() {
    let shop = sample();
    let bodies: [&[u8]; 6] = [
        b"",
        b"null",
        b"[1,2]",
        b"{\"orders\": 5}",
        b"\xff\xfe",
        b"{\"orders\": [1, null, {}]}",
    ];
    for body in bodies {
        let req = http::Request::builder()
            .method("PUT")
            .uri("/api/v2/orders")
            .header("authorization", basic(SAMPLE_LOGIN, SAMPLE_KEY))
            .body(Bytes::copy_from_slice(body))
            .unwrap();
        let status = shop.handle(req).status().as_u16();
        assert!(status == 400 || status == 200, "{body:?} → {status}");
    }
    for uri in [
        "/api/v2/orders/%FF%FE",
        "/api/v2/orders?page=-1",
        "/api/v2/orders?status_id=abc",
        "/api/v2/order-statuses/abc",
        "/api/v2/products?product_ids=1;x",
    ] {
        let status = shop.handle(request("GET", uri, "")).status().as_u16();
        assert!((400..500).contains(&status), "{uri} → {status}");
    }
    assert_eq!(
        shop.handle(request("GET", "/api/v2/orders?%zz=%&=&&", ""))
            .status(),
        200
    );
}
