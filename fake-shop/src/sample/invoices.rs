//! The sample invoices, FV2025001 (order 124) and FV2025002 (order 126, no PDF).

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::{ADMIN, num, round2, without_vat};
use crate::dates::{iso, ymd};

fn supplier() -> Value {
    json!({
        "email": "info@demo-shop.cz", "phone": "+420 555 123 456", "name": "Demo Shop s.r.o.",
        "street": "Náměstí 1", "city": "Bílovec", "zip": "74301", "country_id": "cz",
        "company_yn": true, "var_payer_yn": true, "ico": "12345678", "dic": "CZ12345678",
        "account_number": "123456789/0100", "iban": "CZ6501000000000123456789", "swift": "KOMBCZPP",
        "web": "https://demo-shop.example.cz",
    })
}

fn jana_on_invoice() -> Value {
    json!({
        "email": "jana.novakova@example.cz", "phone": "+420601223344", "name": "Jana Nováková",
        "street": "Dlouhá 12", "city": "Praha", "zip": "11000", "country_id": "cz",
        "company_yn": false, "ico": null, "dic": null,
    })
}

/// An invoice item: (code, name, quantity, line total with VAT, type).
fn item(code: Option<&str>, name: &str, quantity: f64, total: f64, kind: &str) -> Value {
    let unit = round2(total / quantity);
    json!({
        "code": code, "name": name, "description": "", "quantity": num(quantity), "unit": "ks", "vat": 21,
        "price_per_unit_with_vat": num(unit), "price_per_unit_without_vat": num(without_vat(unit, 21.0)),
        "price_with_vat": num(total), "price_without_vat": num(without_vat(total, 21.0)),
        "recycling_fee": null, "type": kind,
    })
}

struct InvoiceSpec {
    number: &'static str,
    order: &'static str,
    issued: OffsetDateTime,
    paid: Option<OffsetDateTime>,
    payment: &'static str,
    total: f64,
    pdf_url: Option<String>,
    items: Vec<Value>,
}

fn invoice(s: InvoiceSpec) -> Value {
    let base = without_vat(s.total, 21.0);
    let vat = round2(s.total - base);
    json!({
        "invoice_number": s.number, "related_invoice_number": null, "type": "invoice",
        "order_number": s.order, "external_order_number": null,
        "case_number": format!("B00{}", &s.order[s.order.len().saturating_sub(3)..]),
        "language_id": "cs", "currency_id": "CZK",
        "date_of_issuance": ymd(s.issued), "date_of_vat_revenue_recognition": ymd(s.issued),
        "date_of_expiration": ymd(s.issued + Duration::days(14)),
        "creation_time": iso(s.issued),
        "variable_symbol": s.order, "specific_symbol": "",
        "payment": s.payment, "paid_yn": s.paid.is_some(), "paid_date": s.paid.map(ymd),
        "oss_yn": false, "oss_country_id": null,
        "total_rest": 0, "total_with_vat": num(s.total), "total_without_vat": num(base),
        "note": null,
        "invoice_pdf_url": s.pdf_url,
        "supplier": supplier(),
        "customer": jana_on_invoice(),
        "items": s.items,
        "eet": null,
        "recapitulation_currency_id": "CZK", "recapitulation_currency_rate": 1,
        "recapitulation_vats": { "21": { "base": num(base), "vat": num(vat), "total": num(s.total) } },
        "recapitulation_vats_total": { "base": num(base), "vat": num(vat), "total": num(s.total) },
    })
}

pub(super) fn invoice_fv2025001(issued: OffsetDateTime) -> Value {
    invoice(InvoiceSpec {
        number: "FV2025001",
        order: "2025000124",
        issued,
        paid: Some(issued),
        payment: "Kartou online",
        total: 649.0,
        pdf_url: Some(format!("{ADMIN}/invoices/pdf/FV2025001")),
        items: vec![
            item(Some("HRNEK"), "Hrnek 300 ml", 2.0, 465.0, "product"),
            item(Some("TASKA"), "Plátěná taška", 1.0, 99.0, "product"),
            item(None, "Zásilkovna", 1.0, 85.0, "shipment"),
            item(None, "Kartou online", 1.0, 0.0, "payment"),
        ],
    })
}

pub(super) fn invoice_fv2025002(issued: OffsetDateTime) -> Value {
    invoice(InvoiceSpec {
        number: "FV2025002",
        order: "2025000126",
        issued,
        paid: None,
        payment: "Převodem na účet",
        total: 99.9,
        pdf_url: None,
        items: vec![
            item(Some("TASKA"), "Plátěná taška", 1.0, 99.9, "product"),
            item(None, "Osobní odběr", 1.0, 0.0, "shipment"),
            item(None, "Převodem na účet", 1.0, 0.0, "payment"),
        ],
    })
}
