//! The sample orders: four in the 2025 response shape, one in the 2024 shape.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::order_parts::{
    CARD, Customer, Line, PICKUP, PPL, Spec, TRANSFER, ZASILKOVNA, payment, shipment,
};
use crate::dates::{iso, ymd};
use crate::statuses;

pub(super) fn order_123(created: OffsetDateTime) -> Spec {
    let mut discount = Line::product(
        (0, None),
        "c2b0e7a4-5d1e-4f7b-8a61-0d9e3c5b0003",
        "",
        "Sleva 10 %",
        1.0,
        -73.15,
        0,
    );
    (discount.product_id, discount.kind, discount.code) = (None, "discount", None);
    Spec {
        number: "2025000123",
        id: 8123,
        uuid: "5b1f6c1e-2a4d-4c8e-9f1a-7d3e2b6a0123",
        status_id: Some(1),
        created,
        updated: created,
        paid: None,
        tracking: (None, None),
        resolved: false,
        internal_note: json!(""),
        total: 1230.5,
        invoice: None,
        origin: "frontend",
        customer: Customer::jana("jana.novakova@example.cz", "+420601223344"),
        lines: vec![
            Line::product(
                (101, Some(1011)),
                "c2b0e7a4-5d1e-4f7b-8a61-0d9e3c5b0001",
                "TRIKO-M",
                "Tričko Upgates, vel. M",
                2.0,
                499.0,
                180,
            ),
            Line::product(
                (102, None),
                "c2b0e7a4-5d1e-4f7b-8a61-0d9e3c5b0002",
                "HRNEK",
                "Hrnek 300 ml",
                1.0,
                232.5,
                350,
            ),
            discount,
        ],
        shipment: shipment(PPL, None, false),
        payment: payment(TRANSFER, false),
    }
}

pub(super) fn order_124(created: OffsetDateTime, updated: OffsetDateTime) -> Spec {
    Spec {
        number: "2025000124",
        id: 8124,
        uuid: "8e4a2d90-6b3c-4f15-a7d2-1c9b5e3f0124",
        status_id: Some(3),
        created,
        updated,
        paid: Some(created),
        tracking: (
            Some("Z1234567890"),
            Some("https://tracking.packeta.com/cs/?id=Z1234567890"),
        ),
        resolved: true,
        internal_note: json!("Zákazník volal kvůli dopravě."),
        total: 649.0,
        invoice: Some("FV2025001"),
        origin: "frontend",
        customer: Customer::jana("Jana.Novakova@Example.cz", "+420 601 223 344"),
        lines: vec![
            Line::product(
                (102, None),
                "4d7e1b2c-9a3f-4e6d-b1c8-2f5a7d9e0001",
                "HRNEK",
                "Hrnek 300 ml",
                2.0,
                465.0,
                350,
            ),
            Line::product(
                (103, None),
                "4d7e1b2c-9a3f-4e6d-b1c8-2f5a7d9e0002",
                "TASKA",
                "Plátěná taška",
                1.0,
                99.0,
                120,
            ),
        ],
        shipment: shipment(ZASILKOVNA, Some(("548", "Praha 1, Národní 10")), false),
        payment: payment(CARD, false),
    }
}

pub(super) fn order_125(created: OffsetDateTime) -> Spec {
    Spec {
        number: "2025000125",
        id: 8125,
        uuid: "a9c3e5f7-1b2d-4e6f-8a0c-3d5e7f9a0125",
        status_id: None,
        created,
        updated: created,
        paid: None,
        tracking: (None, None),
        resolved: false,
        internal_note: Value::Null,
        total: 0.0,
        invoice: None,
        origin: "admin",
        customer: Customer::nobody(),
        lines: Vec::new(),
        shipment: Value::Null,
        payment: Value::Null,
    }
}

pub(super) fn order_126(created: OffsetDateTime, updated: OffsetDateTime) -> Spec {
    Spec {
        number: "2025000126",
        id: 8126,
        uuid: "f1e2d3c4-b5a6-4978-8695-a4b3c2d10126",
        status_id: Some(2),
        created,
        updated,
        paid: None,
        tracking: (None, None),
        resolved: false,
        internal_note: Value::Null,
        total: 99.9,
        invoice: Some("FV2025002"),
        origin: "frontend",
        customer: Customer::jana("jana.novakova@example.cz", "+420601223344"),
        lines: vec![Line::product(
            (103, None),
            "0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b0001",
            "TASKA",
            "Plátěná taška",
            1.0,
            99.9,
            120,
        )],
        shipment: shipment(PICKUP, None, false),
        payment: payment(TRANSFER, false),
    }
}

/// `2024000077`: a Slovak order in the 2024 response shape (as a real 2024 response looked).
pub(super) fn order_077(
    created: OffsetDateTime,
    updated: OffsetDateTime,
    statuses: &[Value],
) -> Value {
    let status = statuses
        .iter()
        .find(|s| s.get("id").and_then(Value::as_i64) == Some(3))
        .and_then(|s| statuses::name_in(s, Some("sk")));
    let lines = [
        Line {
            vat: 20.0,
            ..Line::product(
                (101, Some(1012)),
                "",
                "TRIKO-L",
                "Tričko Upgates, veľ. L",
                1.0,
                19.9,
                190,
            )
        },
        Line {
            vat: 20.0,
            ..Line::product((102, None), "", "HRNEK", "Hrnček 300 ml", 2.0, 20.6, 350)
        },
    ];
    let valid_to = created + Duration::days(366);
    json!({
        "order_number": "2024000077", "case_number": "B00077", "external_order_number": null,
        "language_id": "sk", "currency_id": "EUR", "default_currency_rate": 0.04, "prices_with_vat_yn": true,
        "status_id": 3, "status": status,
        "paid_date": ymd(updated),
        "tracking_code": "RR123456789SK", "tracking_url": null,
        "resolved_yn": true, "oss_yn": false, "internal_note": null,
        "last_update_time": iso(updated), "creation_time": iso(created),
        "variable_symbol": "77", "total_weight": 890,
        "order_total": 45.9, "order_total_before_round": 45.9, "order_total_rest": 0,
        "invoice_number": "FV2024100",
        "origin": "frontend",
        "admin_url": "https://demo.admin.s24.upgates.com/orders/edit-order/default/77",
        "customer": {
            "email": "peter.horvath@example.sk", "phone": "+421905123456", "code": "C00077",
            "customer_id": 77, "customer_pricelist_id": 1, "pricelist_name": "Výchozí", "pricelist_percent": null,
            "firstname_invoice": "Peter", "surname_invoice": "Horváth", "street_invoice": "Obchodná 5",
            "city_invoice": "Bratislava", "state_invoice": "", "zip_invoice": "81106", "country_id_invoice": "sk",
            "postal_yn": false,
            "firstname_postal": null, "surname_postal": null, "street_postal": null, "city_postal": null,
            "state_postal": null, "zip_postal": null, "country_id_postal": null, "company_postal": null,
            "company_yn": false, "company": null, "ico": null, "dic": null, "vat_payer_yn": false,
            "customer_note": "",
            "agreements": [
                {
                    "name": "Výzva na kontrolu košíka",
                    "valid_to": {
                        "date": format!("{} 14:24:49.000000", ymd(valid_to)),
                        "timezone_type": 3,
                        "timezone": "Europe/Prague",
                    },
                    "status": true,
                },
                { "name": "Obchodné podmienky", "valid_to": null, "status": true },
            ],
        },
        "products": lines.iter().map(|l| l.to_json(true)).collect::<Vec<_>>(),
        "shipment": shipment((3, Some("SP"), "Slovenská pošta", 3.9, 20.0, "slovenskaPosta"), None, true),
        "payment": payment((4, None, "Dobierka", 1.5, 20.0, "cashOnDelivery"), true),
        "metas": [],
    })
}
