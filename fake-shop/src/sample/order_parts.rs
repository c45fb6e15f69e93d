//! The parts a 2025-shape sample order is built from: its customer, lines, shipment and
//! payment, and the order itself as JSON.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{ADMIN, num, round2, without_vat};
use crate::dates::{iso, ymd};
use crate::statuses;

/// Customer data of an order.
pub(super) struct Customer {
    pub(super) email: Option<&'static str>,
    pub(super) phone: Option<&'static str>,
    pub(super) code: Option<&'static str>,
    pub(super) id: Option<i64>,
    pub(super) first: Option<&'static str>,
    pub(super) last: Option<&'static str>,
    pub(super) street: Option<&'static str>,
    pub(super) city: Option<&'static str>,
    pub(super) zip: Option<&'static str>,
    pub(super) country: Option<&'static str>,
    pub(super) agreements: Value,
}

impl Customer {
    pub(super) fn jana(email: &'static str, phone: &'static str) -> Self {
        Self {
            email: Some(email),
            phone: Some(phone),
            code: Some("C00042"),
            id: Some(42),
            first: Some("Jana"),
            last: Some("Nováková"),
            street: Some("Dlouhá 12"),
            city: Some("Praha"),
            zip: Some("11000"),
            country: Some("cz"),
            agreements: json!([
                { "name": "Obchodní podmínky", "valid_to": null, "status": true },
                { "name": "Souhlas se zasíláním newsletteru", "valid_to": "2027-01-31T12:00:00+01:00", "status": false },
            ]),
        }
    }

    pub(super) fn nobody() -> Self {
        Self {
            email: None,
            phone: None,
            code: None,
            id: None,
            first: None,
            last: None,
            street: None,
            city: None,
            zip: None,
            country: None,
            agreements: json!([]),
        }
    }

    pub(super) fn to_json(&self) -> Value {
        let pricelist = self.id.map(|_| "Výchozí");
        json!({
            "email": self.email, "phone": self.phone, "code": self.code,
            "customer_id": self.id, "customer_pricelist_id": self.id.map(|_| 1),
            "pricelist_name": pricelist, "pricelist_percent": null,
            "firstname_invoice": self.first, "surname_invoice": self.last,
            "street_invoice": self.street, "city_invoice": self.city, "state_invoice": self.street.map(|_| ""),
            "zip_invoice": self.zip, "country_id_invoice": self.country,
            "postal_yn": false,
            "firstname_postal": null, "surname_postal": null, "street_postal": null, "city_postal": null,
            "state_postal": null, "zip_postal": null, "country_id_postal": null, "company_postal": null,
            "company_yn": false, "company": null, "ico": null, "dic": null, "vat_payer_yn": false,
            "customer_note": "",
            "agreements": self.agreements,
        })
    }
}

/// One order line.
pub(super) struct Line {
    pub(super) product_id: Option<i64>,
    pub(super) option_set_id: Option<i64>,
    pub(super) kind: &'static str,
    pub(super) uuid: &'static str,
    pub(super) code: Option<&'static str>,
    pub(super) title: &'static str,
    pub(super) quantity: f64,
    /// The line total with VAT (`price_with_vat`).
    pub(super) price: f64,
    pub(super) vat: f64,
    pub(super) weight: i64,
}

impl Line {
    pub(super) fn product(
        ids: (i64, Option<i64>),
        uuid: &'static str,
        code: &'static str,
        title: &'static str,
        quantity: f64,
        price: f64,
        weight: i64,
    ) -> Self {
        Self {
            product_id: Some(ids.0),
            option_set_id: ids.1,
            kind: "product",
            uuid,
            code: Some(code),
            title,
            quantity,
            price,
            vat: 21.0,
            weight,
        }
    }

    /// The 2025 shape; `legacy` drops what 2024 responses lacked (uuid, type, per-unit VAT prices).
    pub(super) fn to_json(&self, legacy: bool) -> Value {
        let unit = round2(self.price / self.quantity);
        let mut line = json!({
            "product_id": self.product_id, "option_set_id": self.option_set_id,
            "type": self.kind, "uuid": self.uuid, "parent_uuid": null,
            "code": self.code, "code_supplier": null, "supplier": null, "ean": null,
            "title": self.title, "adult_yn": false, "unit": "ks", "length": null, "length_unit": "ks",
            "quantity": num(self.quantity),
            "price_per_unit": num(unit),
            "price_per_unit_with_vat": num(unit),
            "price_per_unit_without_vat": num(without_vat(unit, self.vat)),
            "price": num(self.price), "price_with_vat": num(self.price),
            "price_without_vat": num(without_vat(self.price, self.vat)),
            "vat": num(self.vat), "buy_price": null, "recycling_fee": null, "weight": self.weight,
            "availability": if self.kind == "product" { json!("Skladem") } else { Value::Null },
            "stock_position": null, "invoice_info": "",
            "parameters": [], "configurations": [],
            "categories": if self.kind == "product" { json!([{ "category_id": 11, "code": "K00011" }]) } else { json!([]) },
            "image_url": self.code.map(|c| format!("https://demo.s1.cdn-upgates.com/p/{}.webp", c.to_lowercase())),
        });
        if legacy && let Some(map) = line.as_object_mut() {
            for key in [
                "type",
                "uuid",
                "parent_uuid",
                "price_per_unit_with_vat",
                "price_per_unit_without_vat",
            ] {
                map.remove(key);
            }
        }
        line
    }
}

/// Shipment or payment of an order: (id, code, name, price, vat, type).
type Method = (
    i64,
    Option<&'static str>,
    &'static str,
    f64,
    f64,
    &'static str,
);

pub(super) fn shipment(m: Method, affiliate: Option<(&str, &str)>, legacy: bool) -> Value {
    let (id, code, name, price, vat, kind) = m;
    let mut v = json!({
        "id": id, "code": code, "name": name,
        "price": num(price), "price_with_vat": num(price), "price_without_vat": num(without_vat(price, vat)),
        "vat": num(vat),
        "affiliate_id": affiliate.map(|a| a.0), "affiliate_name": affiliate.map(|a| a.1),
        "type": kind,
        "packeta_carrier_id": if kind == "zasilkovna" { json!(0) } else { Value::Null },
    });
    if legacy && let Some(map) = v.as_object_mut() {
        for key in ["price_with_vat", "price_without_vat", "packeta_carrier_id"] {
            map.remove(key);
        }
    }
    v
}

pub(super) fn payment(m: Method, legacy: bool) -> Value {
    let (id, code, name, price, vat, kind) = m;
    let mut v = json!({
        "id": id, "code": code, "name": name,
        "price": num(price), "price_with_vat": num(price), "price_without_vat": num(without_vat(price, vat)),
        "vat": num(vat), "eet_yn": false, "type": kind,
    });
    if legacy && let Some(map) = v.as_object_mut() {
        map.remove("price_with_vat");
        map.remove("price_without_vat");
    }
    v
}

/// A 2025-shape order.
pub(super) struct Spec {
    pub(super) number: &'static str,
    pub(super) id: i64,
    pub(super) uuid: &'static str,
    pub(super) status_id: Option<i64>,
    pub(super) created: OffsetDateTime,
    pub(super) updated: OffsetDateTime,
    pub(super) paid: Option<OffsetDateTime>,
    pub(super) tracking: (Option<&'static str>, Option<&'static str>),
    pub(super) resolved: bool,
    pub(super) internal_note: Value,
    pub(super) total: f64,
    pub(super) invoice: Option<&'static str>,
    pub(super) origin: &'static str,
    pub(super) customer: Customer,
    pub(super) lines: Vec<Line>,
    pub(super) shipment: Value,
    pub(super) payment: Value,
}

impl Spec {
    pub(super) fn to_json(&self, statuses: &[Value]) -> Value {
        let status = self
            .status_id
            .and_then(|id| {
                statuses
                    .iter()
                    .find(|s| s.get("id").and_then(Value::as_i64) == Some(id))
            })
            .and_then(|s| statuses::name_in(s, Some("cs")));
        let weight: i64 = self
            .lines
            .iter()
            .map(|l| l.weight * l.quantity as i64)
            .sum();
        let digits = &self.number[self.number.len().saturating_sub(3)..];
        json!({
            "order_number": self.number, "order_id": self.id, "case_number": format!("B00{digits}"),
            "external_order_number": null, "uuid": self.uuid,
            "language_id": "cs", "currency_id": "CZK", "default_currency_rate": 1, "prices_with_vat_yn": true,
            "status_id": self.status_id, "status": status,
            "paid_date": self.paid.map(ymd),
            "tracking_code": self.tracking.0, "tracking_url": self.tracking.1,
            "statistics_yn": true, "resolved_yn": self.resolved, "oss_yn": false,
            "internal_note": self.internal_note,
            "last_update_time": iso(self.updated), "creation_time": iso(self.created),
            "variable_symbol": self.number,
            "dimensions": { "width": null, "length": null, "height": null },
            "total_weight": weight,
            "order_total": num(self.total), "order_total_before_round": num(self.total), "order_total_rest": 0,
            "invoice_number": self.invoice,
            "origin": self.origin,
            "admin_url": format!("{ADMIN}/links/orders/{}", self.uuid),
            "customer": self.customer.to_json(),
            "products": self.lines.iter().map(|l| l.to_json(false)).collect::<Vec<_>>(),
            "discount_voucher": null, "quantity_discount": null, "loyalty_points": null,
            "shipment": self.shipment, "payment": self.payment,
            "attachments": [],
            "metas": [{ "key": "invoice_note", "type": "textarea", "value": "" }],
        })
    }
}

pub(super) const PPL: Method = (2, Some("PPL"), "PPL", 89.0, 21.0, "ppl");
pub(super) const ZASILKOVNA: Method = (5, Some("ZAS"), "Zásilkovna", 85.0, 21.0, "zasilkovna");
pub(super) const PICKUP: Method = (7, Some("OSOBNE"), "Osobní odběr", 0.0, 21.0, "custom");
pub(super) const TRANSFER: Method = (1, None, "Převodem na účet", 0.0, 21.0, "command");
pub(super) const CARD: Method = (23, None, "Kartou online", 0.0, 21.0, "comgate");
