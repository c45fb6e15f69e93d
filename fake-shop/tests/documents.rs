mod common;

use common::*;
use serde_json::json;

#[test]
fn invoices_by_number() {
    let shop = sample();
    let (status, body) = get(&shop, "/api/v2/invoices/FV2025001");
    assert_eq!(status, 200);
    assert_eq!(body["number_of_items"], 1);
    let inv = &body["invoices"][0];
    assert_eq!(inv["invoice_number"], "FV2025001");
    assert_eq!(inv["type"], "invoice");
    assert_eq!(inv["order_number"], "2025000124");
    assert_eq!(inv["currency_id"], "CZK");
    assert_eq!(inv["paid_yn"], true);
    assert_eq!(inv["total_with_vat"], 649);
    assert_eq!(inv["date_of_issuance"], "2026-11-18");
    assert_eq!(
        inv["invoice_pdf_url"],
        "https://demo.admin.s1.upgates.com/invoices/pdf/FV2025001"
    );
    let (_, body) = get(&shop, "/api/v2/invoices/FV2025002");
    assert_eq!(
        (
            &body["invoices"][0]["invoice_pdf_url"],
            &body["invoices"][0]["order_number"]
        ),
        (&json!(null), &json!("2025000126"))
    );
    let (status, body) = get(&shop, "/api/v2/invoices/FV2024100");
    assert_eq!(status, 404, "the 2024 order's invoice does not exist");
    assert!(body["message"].is_string());
    let (_, body) = get(
        &shop,
        "/api/v2/invoices?invoice_numbers=FV2025001;FV2025002&paid_yn=0",
    );
    assert_eq!(body["invoices"].as_array().unwrap().len(), 1);
}

#[test]
fn invoice_pdf() {
    let shop = sample();
    let resp = shop.handle(request("GET", "/api/v2/invoices/FV2025002/pdf", ""));
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(resp.body().starts_with(b"%PDF-1.4"));
    assert!(resp.body().ends_with(b"%%EOF\n"));
    let resp = shop.handle(request("GET", "/api/v2/invoices/FV2024100/pdf", ""));
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let resp = shop.handle(request("GET", "/api/v2/orders/2025000123/pdf", ""));
    assert_eq!(
        (resp.status().as_u16(), &resp.headers()["content-type"]),
        (
            200,
            &"application/pdf".parse::<http::HeaderValue>().unwrap()
        )
    );
}

fn codes(body: &serde_json::Value) -> Vec<&str> {
    body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect()
}

#[test]
fn products_by_product_and_variant_codes() {
    let shop = sample();
    let (status, body) = get(&shop, "/api/v2/products/simple?codes=TRIKO;HRNEK;TASKA");
    assert_eq!(status, 200);
    assert_eq!(codes(&body), ["TRIKO", "HRNEK", "TASKA"]);
    assert_eq!(body["number_of_items"], 3);
    let triko = &body["products"][0];
    assert_eq!(triko["manufacturer"], "Upgates Wear");
    assert_eq!(triko["variants"][0]["code"], "TRIKO-M");
    assert_eq!(triko["variants"][1]["code"], "TRIKO-L");
    assert_eq!(triko["variants"][0]["product_code"], "TRIKO");
    assert_eq!(triko["variants"][0]["product_id"], triko["product_id"]);
    assert!(triko["variants"][0]["variant_id"].is_i64());
    assert!(
        triko.get("descriptions").is_none(),
        "the simple listing has no texts"
    );
    assert_eq!(body["products"][1]["manufacturer"], "Keramika Bílovec");
    assert_eq!(body["products"][2]["manufacturer"], json!(null));

    let (_, body) = get(&shop, "/api/v2/products/simple?codes=TRIKO-M");
    assert_eq!(
        body["number_of_items"], 0,
        "`codes` matches product codes only"
    );
    let (_, body) = get(&shop, "/api/v2/products/simple?variant_codes=TRIKO-M");
    assert_eq!(codes(&body), ["TRIKO"]);
    let (_, body) = get(&shop, "/api/v2/products?codes=HRNEK");
    assert_eq!(codes(&body), ["HRNEK"]);
    assert_eq!(body["products"][0]["descriptions"], json!([]));
    let (_, body) = get(&shop, "/api/v2/products/TRIKO/simple?variants_yn=0");
    assert_eq!(
        (codes(&body), &body["products"][0]["variants"]),
        (vec!["TRIKO"], &json!([]))
    );
}

#[test]
fn products_page_by_50() {
    let shop = upgates_fake_shop::FakeShop::new(
        upgates_fake_shop::SAMPLE_LOGIN,
        upgates_fake_shop::SAMPLE_KEY,
    );
    for i in 0..120 {
        shop.add_product(json!({ "code": format!("P{i:03}"), "product_id": i, "manufacturer": null, "variants": [] }));
    }
    let (_, body) = get(&shop, "/api/v2/products/simple?page=3");
    assert_eq!(
        (
            &body["number_of_pages"],
            &body["current_page_items"],
            &body["number_of_items"]
        ),
        (&json!(3), &json!(20), &json!(120))
    );
}

#[test]
fn order_statuses() {
    let shop = sample();
    let (status, body) = get(&shop, "/api/v2/order-statuses");
    assert_eq!(status, 200);
    let all = body["order_statuses"].as_array().unwrap();
    assert_eq!(all.len(), 6);
    let names: Vec<_> = all
        .iter()
        .map(|s| s["descriptions"][1]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Received",
            "Processing",
            "Sent",
            "Cancelled",
            "Awaiting stock",
            "Paid"
        ]
    );
    for s in all {
        for key in [
            "id",
            "type",
            "color",
            "descriptions",
            "mark_resolved_yn",
            "mark_paid_yn",
            "last_update_time",
            "creation_time",
        ] {
            assert!(s.get(key).is_some(), "{key}");
        }
    }
    assert_eq!(all[5]["mark_paid_yn"], true);
    assert_eq!(all[5]["type"], "PaymentSuccessful");
    let (_, body) = get(&shop, "/api/v2/order-statuses/5");
    assert_eq!(
        body["order_statuses"][0]["descriptions"][0],
        json!({ "language_id": "cs", "name": "Čeká na zboží" })
    );
    let (_, body) = get(&shop, "/api/v2/order-statuses?type=Custom");
    assert_eq!(body["order_statuses"].as_array().unwrap().len(), 2);
    assert_eq!(get(&shop, "/api/v2/order-statuses/42").0, 404);
}
