//! The sample shop: six order statuses, five orders (one in the 2024 response shape), two
//! invoices and three products, dated relative to "now".

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::dates::{iso, ymd};
use crate::state::State;
use crate::statuses;

const ADMIN: &str = "https://demo.admin.s1.upgates.com";

/// Fills an empty shop with the sample data.
pub(crate) fn fill(state: &mut State, now: OffsetDateTime) {
    state.statuses = order_statuses();
    state.products = products();
    let ago = |days: i64| now - Duration::days(days);
    let specs = [
        order_123(ago(1)),
        order_124(ago(10), ago(8)),
        order_125(ago(3)),
        order_126(ago(40), ago(39)),
    ];
    let mut orders: Vec<Value> = specs
        .into_iter()
        .map(|s| s.to_json(&state.statuses))
        .collect();
    orders.insert(2, order_077(ago(400), ago(395), &state.statuses));
    state.orders = orders;
    state.invoices = vec![invoice_fv2025001(ago(10)), invoice_fv2025002(ago(39))];
}

/// A JSON number, integral values without a fraction (`2`, not `2.0`), as PHP writes them.
fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn without_vat(price: f64, vat: f64) -> f64 {
    round2(price / (1.0 + vat / 100.0))
}

fn order_statuses() -> Vec<Value> {
    let rows: [(i64, &str, &str, [&str; 3], bool); 6] = [
        (
            1,
            "Received",
            "#3498db",
            ["Přijatá", "Received", "Prijatá"],
            false,
        ),
        (
            2,
            "Custom",
            "#f39c12",
            ["Vyřizuje se", "Processing", "Vybavuje sa"],
            false,
        ),
        (
            3,
            "Sent",
            "#2ecc71",
            ["Odeslaná", "Sent", "Odoslaná"],
            false,
        ),
        (
            4,
            "Canceled",
            "#e74c3c",
            ["Stornovaná", "Cancelled", "Stornovaná"],
            false,
        ),
        (
            5,
            "Custom",
            "#9b59b6",
            ["Čeká na zboží", "Awaiting stock", "Čaká na tovar"],
            false,
        ),
        (
            6,
            "PaymentSuccessful",
            "#27ae60",
            ["Zaplaceno", "Paid", "Zaplatené"],
            true,
        ),
    ];
    rows.iter()
        .map(|(id, kind, color, [cs, en, sk], paid)| {
            json!({
                "id": id,
                "type": kind,
                "color": color,
                "descriptions": [
                    { "language_id": "cs", "name": cs },
                    { "language_id": "en", "name": en },
                    { "language_id": "sk", "name": sk },
                ],
                "mark_resolved_yn": false,
                "mark_paid_yn": paid,
                "last_update_time": "2024-09-02T10:00:00+01:00",
                "creation_time": "2023-01-10T09:00:00+01:00",
            })
        })
        .collect()
}

/// Customer data of an order.
struct Customer {
    email: Option<&'static str>,
    phone: Option<&'static str>,
    code: Option<&'static str>,
    id: Option<i64>,
    first: Option<&'static str>,
    last: Option<&'static str>,
    street: Option<&'static str>,
    city: Option<&'static str>,
    zip: Option<&'static str>,
    country: Option<&'static str>,
    agreements: Value,
}

impl Customer {
    fn jana(email: &'static str, phone: &'static str) -> Self {
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

    fn nobody() -> Self {
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

    fn to_json(&self) -> Value {
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
struct Line {
    product_id: Option<i64>,
    option_set_id: Option<i64>,
    kind: &'static str,
    uuid: &'static str,
    code: Option<&'static str>,
    title: &'static str,
    quantity: f64,
    /// The line total with VAT (`price_with_vat`).
    price: f64,
    vat: f64,
    weight: i64,
}

impl Line {
    fn product(
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
    fn to_json(&self, legacy: bool) -> Value {
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

fn shipment(m: Method, affiliate: Option<(&str, &str)>, legacy: bool) -> Value {
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

fn payment(m: Method, legacy: bool) -> Value {
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
struct Spec {
    number: &'static str,
    id: i64,
    uuid: &'static str,
    status_id: Option<i64>,
    created: OffsetDateTime,
    updated: OffsetDateTime,
    paid: Option<OffsetDateTime>,
    tracking: (Option<&'static str>, Option<&'static str>),
    resolved: bool,
    internal_note: Value,
    total: f64,
    invoice: Option<&'static str>,
    origin: &'static str,
    customer: Customer,
    lines: Vec<Line>,
    shipment: Value,
    payment: Value,
}

impl Spec {
    fn to_json(&self, statuses: &[Value]) -> Value {
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

const PPL: Method = (2, Some("PPL"), "PPL", 89.0, 21.0, "ppl");
const ZASILKOVNA: Method = (5, Some("ZAS"), "Zásilkovna", 85.0, 21.0, "zasilkovna");
const PICKUP: Method = (7, Some("OSOBNE"), "Osobní odběr", 0.0, 21.0, "custom");
const TRANSFER: Method = (1, None, "Převodem na účet", 0.0, 21.0, "command");
const CARD: Method = (23, None, "Kartou online", 0.0, 21.0, "comgate");

fn order_123(created: OffsetDateTime) -> Spec {
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

fn order_124(created: OffsetDateTime, updated: OffsetDateTime) -> Spec {
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

fn order_125(created: OffsetDateTime) -> Spec {
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

fn order_126(created: OffsetDateTime, updated: OffsetDateTime) -> Spec {
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
fn order_077(created: OffsetDateTime, updated: OffsetDateTime, statuses: &[Value]) -> Value {
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

fn invoice_fv2025001(issued: OffsetDateTime) -> Value {
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

fn invoice_fv2025002(issued: OffsetDateTime) -> Value {
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

fn variant(code: &str, variant_id: i64, product_code: &str, product_id: i64, stock: i64) -> Value {
    json!({
        "code": code, "code_supplier": null, "ean": null, "variant_id": variant_id,
        "product_code": product_code, "product_id": product_id,
        "active_yn": null, "main_yn": false, "can_add_to_basket_yn": null,
        "stock": stock, "stock_position": null,
        "availability_id": 2, "availability": "Skladem", "availability_type": "InStock",
        "weight": null, "image": null, "stocks": [],
    })
}

fn product(
    code: &str,
    id: i64,
    manufacturer: Option<&str>,
    stock: i64,
    weight: i64,
    variants: Vec<Value>,
) -> Value {
    json!({
        "code": code, "code_supplier": null, "supplier": null, "ean": null, "product_id": id,
        "active_yn": true, "archived_yn": false, "replacement_product_code": null,
        "can_add_to_basket_yn": true, "adult_yn": false, "set_yn": false, "in_set_yn": false,
        "exclude_from_search_yn": false, "variants_exists_yn": !variants.is_empty(),
        "manufacturer": manufacturer,
        "stock": stock, "stock_position": null, "limit_orders": null,
        "availability_id": 2, "availability": "Skladem", "availability_type": "InStock",
        "weight": weight, "shipment_group": null, "stocks": [], "groups": [],
        "variants": variants,
        "creation_time": "2024-03-01T10:00:00+01:00", "last_update_time": "2025-02-01T10:00:00+01:00",
        "admin_url": format!("{ADMIN}/links/products/{id}"),
    })
}

fn products() -> Vec<Value> {
    vec![
        product(
            "TRIKO",
            101,
            Some("Upgates Wear"),
            20,
            185,
            vec![
                variant("TRIKO-M", 1011, "TRIKO", 101, 12),
                variant("TRIKO-L", 1012, "TRIKO", 101, 8),
            ],
        ),
        product("HRNEK", 102, Some("Keramika Bílovec"), 35, 350, vec![]),
        product("TASKA", 103, None, 50, 120, vec![]),
    ]
}
