mod common;

use common::*;
use serde_json::json;
use upgates_fake_shop::{FakeShop, MissingOrder};

#[test]
fn one_order_comes_in_the_list_envelope() {
    let shop = sample();
    let (status, body) = get(&shop, "/api/v2/orders/2025000123");
    assert_eq!(status, 200);
    for (k, v) in [
        ("current_page", 1),
        ("current_page_items", 1),
        ("number_of_pages", 1),
        ("number_of_items", 1),
    ] {
        assert_eq!(body[k], v, "{k}");
    }
    let o = &body["orders"][0];
    assert_eq!(o["order_number"], "2025000123");
    assert_eq!(o["status_id"], 1);
    assert_eq!(o["status"], "Přijatá");
    assert_eq!(o["language_id"], "cs");
    assert_eq!(o["currency_id"], "CZK");
    assert_eq!(o["order_total"], 1230.5);
    assert_eq!(o["internal_note"], "");
    assert_eq!(o["paid_date"], json!(null));
    assert_eq!(o["tracking_code"], json!(null));
    assert_eq!(o["invoice_number"], json!(null));
    assert_eq!(o["customer"]["email"], "jana.novakova@example.cz");
    assert_eq!(o["customer"]["phone"], "+420601223344");
    assert_eq!(o["customer"]["firstname_invoice"], "Jana");
    assert_eq!(o["customer"]["surname_invoice"], "Nováková");
    assert_eq!(o["payment"]["name"], "Převodem na účet");
    assert_eq!(o["payment"]["type"], "command");
    assert_eq!(o["shipment"]["name"], "PPL");
    assert_eq!(o["shipment"]["type"], "ppl");
    assert_eq!(
        o["admin_url"],
        format!(
            "https://demo.admin.s1.upgates.com/links/orders/{}",
            o["uuid"].as_str().unwrap()
        )
    );
    assert!(o["order_id"].is_i64());
    assert_eq!(o["creation_time"], "2026-11-27T13:00:00+01:00");
    let lines = o["products"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (
            &lines[0]["code"],
            &lines[0]["quantity"],
            &lines[0]["price_with_vat"]
        ),
        (&json!("TRIKO-M"), &json!(2), &json!(499))
    );
    assert_eq!(lines[0]["title"], "Tričko Upgates, vel. M");
    assert_eq!(
        (&lines[1]["code"], &lines[1]["price_with_vat"]),
        (&json!("HRNEK"), &json!(232.5))
    );
    assert_eq!(
        (&lines[2]["code"], &lines[2]["type"], &lines[2]["title"]),
        (&json!(null), &json!("discount"), &json!("Sleva 10 %"))
    );
}

#[test]
fn sample_orders_match_the_brief() {
    let shop = sample();
    let o = shop.order("2025000124").unwrap();
    assert_eq!(
        (&o["status_id"], &o["status"]),
        (&json!(3), &json!("Odeslaná"))
    );
    assert_eq!(o["customer"]["email"], "Jana.Novakova@Example.cz");
    assert_eq!(o["customer"]["phone"], "+420 601 223 344");
    assert_eq!(
        (&o["payment"]["name"], &o["payment"]["type"]),
        (&json!("Kartou online"), &json!("comgate"))
    );
    assert_eq!(
        (&o["shipment"]["name"], &o["shipment"]["type"]),
        (&json!("Zásilkovna"), &json!("zasilkovna"))
    );
    assert_eq!(o["paid_date"], "2026-11-18");
    assert_eq!(o["order_total"], 649);
    assert_eq!(o["tracking_code"], "Z1234567890");
    assert_eq!(
        o["tracking_url"],
        "https://tracking.packeta.com/cs/?id=Z1234567890"
    );
    assert_eq!(o["invoice_number"], "FV2025001");
    assert_eq!(o["internal_note"], "Zákazník volal kvůli dopravě.");
    assert_eq!(o["creation_time"], "2026-11-18T13:00:00+01:00");
    let codes: Vec<_> = o["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].clone())
        .collect();
    assert_eq!(codes, [json!("HRNEK"), json!("TASKA")]);
    assert_eq!(o["products"][0]["quantity"], 2);

    let old = shop.order("2024000077").unwrap();
    for absent in [
        "order_id",
        "uuid",
        "statistics_yn",
        "dimensions",
        "attachments",
        "discount_voucher",
    ] {
        assert!(old.get(absent).is_none(), "{absent}");
    }
    for absent in ["price_with_vat", "price_without_vat"] {
        assert!(
            old["shipment"].get(absent).is_none() && old["payment"].get(absent).is_none(),
            "{absent}"
        );
    }
    assert_eq!(
        old["admin_url"],
        "https://demo.admin.s24.upgates.com/orders/edit-order/default/77"
    );
    assert_eq!(
        old["customer"]["agreements"][0]["valid_to"]["timezone"],
        "Europe/Prague"
    );
    assert_eq!(
        old["customer"]["agreements"][0]["valid_to"]["timezone_type"],
        3
    );
    assert!(
        old["customer"]["agreements"][0]["valid_to"]["date"]
            .as_str()
            .unwrap()
            .ends_with(".000000")
    );
    assert_eq!(
        (&old["language_id"], &old["currency_id"], &old["status"]),
        (&json!("sk"), &json!("EUR"), &json!("Odoslaná"))
    );
    assert_eq!(
        (&old["customer"]["email"], &old["customer"]["phone"]),
        (&json!("peter.horvath@example.sk"), &json!("+421905123456"))
    );
    assert_eq!(
        (&old["payment"]["name"], &old["shipment"]["name"]),
        (&json!("Dobierka"), &json!("Slovenská pošta"))
    );
    assert!(old["paid_date"].is_string());
    assert_eq!(
        (
            &old["order_total"],
            &old["tracking_code"],
            &old["tracking_url"]
        ),
        (&json!(45.9), &json!("RR123456789SK"), &json!(null))
    );
    assert_eq!(old["invoice_number"], "FV2024100");
    assert_eq!(old["creation_time"], "2025-10-24T13:00:00+01:00");

    let empty = shop.order("2025000125").unwrap();
    for (k, v) in [
        ("status_id", json!(null)),
        ("status", json!(null)),
        ("payment", json!(null)),
        ("shipment", json!(null)),
        ("order_total", json!(0)),
        ("products", json!([])),
        ("internal_note", json!(null)),
        ("currency_id", json!("CZK")),
    ] {
        assert_eq!(empty[k], v, "{k}");
    }
    assert_eq!(
        (&empty["customer"]["email"], &empty["customer"]["phone"]),
        (&json!(null), &json!(null))
    );

    let fifth = shop.order("2025000126").unwrap();
    assert_eq!(
        (
            &fifth["status_id"],
            &fifth["order_total"],
            &fifth["invoice_number"]
        ),
        (&json!(2), &json!(99.9), &json!("FV2025002"))
    );
    assert_eq!(fifth["customer"]["phone"], "+420601223344");
    assert_eq!(fifth["creation_time"], "2026-10-19T13:00:00+01:00");
}

#[test]
fn unknown_order_per_missing_order_style() {
    let shop = sample();
    let (status, body) = get(&shop, "/api/v2/orders/9999999");
    assert_eq!(status, 404);
    assert!(body["message"].is_string());
    shop.set_missing_order_style(MissingOrder::EmptyList);
    let (status, body) = get(&shop, "/api/v2/orders/9999999");
    assert_eq!(status, 200);
    assert_eq!(
        (
            &body["orders"],
            &body["number_of_items"],
            &body["current_page_items"]
        ),
        (&json!([]), &json!(0), &json!(0))
    );
}

#[test]
fn order_number_path_segment_is_percent_decoded() {
    let shop = FakeShop::new("u", "k");
    shop.add_order(order("A/1 č", "2026-01-01T10:00:00+01:00"));
    let resp = shop.handle(
        http::Request::builder()
            .uri("/api/v2/orders/A%2F1%20%C4%8D")
            .header("authorization", basic("u", "k"))
            .body(bytes::Bytes::new())
            .unwrap(),
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(body_json(&resp)["orders"][0]["order_number"], "A/1 č");
}

fn shop_with(count: usize) -> FakeShop {
    let shop = FakeShop::new(
        upgates_fake_shop::SAMPLE_LOGIN,
        upgates_fake_shop::SAMPLE_KEY,
    );
    for i in 0..count {
        shop.add_order(order(
            &format!("{:05}", i + 1),
            &format!("2026-01-01T{:02}:{:02}:00+01:00", i / 60, i % 60),
        ));
    }
    shop
}

#[test]
fn pages_of_100() {
    let shop = shop_with(250);
    let expect = [(1, 100, "00001"), (2, 100, "00101"), (3, 50, "00201")];
    for (page, items, first) in expect {
        let (status, body) = get(&shop, &format!("/api/v2/orders?page={page}"));
        assert_eq!(status, 200);
        assert_eq!(body["current_page"], page);
        assert_eq!(body["current_page_items"], items);
        assert_eq!(body["number_of_pages"], 3);
        assert_eq!(body["number_of_items"], 250);
        assert_eq!(body["orders"].as_array().unwrap().len(), items);
        assert_eq!(body["orders"][0]["order_number"], first);
    }
    let (_, first) = get(&shop, "/api/v2/orders");
    assert_eq!(first["current_page"], 1);
    assert_eq!(first["orders"][0]["order_number"], "00001");
    let (status, past) = get(&shop, "/api/v2/orders?page=4");
    assert_eq!(status, 200);
    assert_eq!(
        (
            &past["orders"],
            &past["current_page"],
            &past["current_page_items"]
        ),
        (&json!([]), &json!(4), &json!(0))
    );
    assert_eq!(
        (&past["number_of_pages"], &past["number_of_items"]),
        (&json!(3), &json!(250))
    );
    assert_eq!(get(&shop, "/api/v2/orders?page=zero").0, 400);
}

#[test]
fn filter_by_order_numbers() {
    let shop = sample();
    let (_, body) = get(
        &shop,
        "/api/v2/orders?order_numbers=2025000124%3B2024000077;nope",
    );
    assert_eq!(numbers(&body), ["2025000124", "2024000077"]);
    assert_eq!(body["number_of_items"], 2);
}

#[test]
fn filter_by_email_ignores_case() {
    let shop = sample();
    for email in ["jana.novakova%40example.cz", "JANA.NOVAKOVA@EXAMPLE.CZ"] {
        let (_, body) = get(&shop, &format!("/api/v2/orders?email={email}"));
        assert_eq!(
            numbers(&body),
            ["2025000123", "2025000124", "2025000126"],
            "{email}"
        );
    }
    let (_, body) = get(&shop, "/api/v2/orders?email=jan%40example.cz");
    assert_eq!(body["number_of_items"], 0);
}

#[test]
fn filter_by_phone_as_msisdn() {
    let shop = sample();
    for phone in ["420601223344", "%2B420601223344"] {
        let (_, body) = get(&shop, &format!("/api/v2/orders?phone={phone}"));
        assert_eq!(
            numbers(&body),
            ["2025000123", "2025000124", "2025000126"],
            "{phone}"
        );
    }
    let (_, body) = get(&shop, "/api/v2/orders?phone=421905123456");
    assert_eq!(numbers(&body), ["2024000077"]);
    let (_, body) = get(&shop, "/api/v2/orders?phone=601223344");
    assert_eq!(
        body["number_of_items"], 0,
        "a national number is not the MSISDN"
    );
}

#[test]
fn filter_by_creation_time() {
    let shop = sample();
    // now = 2026-11-28T13:00:00+01:00
    let (_, body) = get(
        &shop,
        "/api/v2/orders?creation_time_from=2026-11-24T13:00:00%2B01:00",
    );
    assert_eq!(numbers(&body), ["2025000123", "2025000125"]);
    let (_, body) = get(
        &shop,
        "/api/v2/orders?creation_time_from=2026-11-25T12:00:00Z",
    );
    assert_eq!(
        numbers(&body),
        ["2025000123", "2025000125"],
        "2026-11-25T13:00+01:00 is inclusive"
    );
    let (_, body) = get(
        &shop,
        "/api/v2/orders?creation_time_to=2026-11-18T13:00:00%2B01:00",
    );
    assert_eq!(
        numbers(&body),
        ["2025000124", "2024000077", "2025000126"],
        "_to is inclusive"
    );
    let (_, body) = get(
        &shop,
        "/api/v2/orders?creation_time_from=2026-11-18&creation_time_to=2026-11-25",
    );
    assert_eq!(
        numbers(&body),
        ["2025000124", "2025000125"],
        "whole days, the last included"
    );
    for bad in ["yesterday", "2026-11-01T10:00:00+01:00", "2026-02-30"] {
        let (status, body) = get(&shop, &format!("/api/v2/orders?creation_time_from={bad}"));
        assert_eq!(status, 400, "{bad} (an unencoded + is a space)");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("creation_time_from")
        );
    }
    assert_eq!(
        get(&shop, "/api/v2/orders?creation_time_to=31.12.2026").0,
        400
    );
}

#[test]
fn filter_by_status_and_more() {
    let shop = sample();
    let (_, body) = get(&shop, "/api/v2/orders?status_id=3");
    assert_eq!(numbers(&body), ["2025000124", "2024000077"]);
    let (_, body) = get(&shop, "/api/v2/orders?status_ids=1;2");
    assert_eq!(numbers(&body), ["2025000123", "2025000126"]);
    let (_, body) = get(&shop, "/api/v2/orders?status=");
    assert_eq!(numbers(&body), ["2025000125"]);
    let (_, body) = get(&shop, "/api/v2/orders?status=sent");
    assert_eq!(numbers(&body), ["2025000124", "2024000077"]);
    let (_, body) = get(&shop, "/api/v2/orders?paid_yn=1");
    assert_eq!(numbers(&body), ["2025000124", "2024000077"]);
    let (_, body) = get(&shop, "/api/v2/orders?language=sk");
    assert_eq!(numbers(&body), ["2024000077"]);
    let (_, body) = get(
        &shop,
        "/api/v2/orders?shipment_type=zasilkovna&payment_type=comgate",
    );
    assert_eq!(numbers(&body), ["2025000124"]);
    let (_, body) = get(
        &shop,
        "/api/v2/orders?email=jana.novakova%40example.cz&status_id=2&whatever=1",
    );
    assert_eq!(
        numbers(&body),
        ["2025000126"],
        "filters combine; unknown parameters are ignored"
    );
}

#[test]
fn sorting() {
    let shop = sample();
    let (_, body) = get(
        &shop,
        "/api/v2/orders?order_by=creation_time&order_dir=desc",
    );
    assert_eq!(
        numbers(&body),
        [
            "2025000123",
            "2025000125",
            "2025000124",
            "2025000126",
            "2024000077"
        ]
    );
    let (_, body) = get(&shop, "/api/v2/orders?order_by=creation_time");
    assert_eq!(
        numbers(&body),
        [
            "2024000077",
            "2025000126",
            "2025000124",
            "2025000125",
            "2025000123"
        ]
    );
    let (_, body) = get(
        &shop,
        "/api/v2/orders?order_by=last_update_time&order_dir=asc",
    );
    assert_eq!(numbers(&body)[0], "2024000077");
    assert_eq!(get(&shop, "/api/v2/orders?order_by=price").0, 400);
    assert_eq!(get(&shop, "/api/v2/orders?order_dir=up").0, 400);
}
