//! Every action's "Ano" and "Ne" paths as data: the input, the exact answer, the exact
//! requests. The same table runs natively (`actions_native`), through the component
//! (`actions_wasm`) and through the webhook's servers (`webhook::http_cases`), so every
//! packaging is held to one contract.

use serde_json::{Value, json};
use upgates_core::{ActionInput, ActionName};
use upgates_fake_shop::{FakeShop, Fault, MissingOrder};

use super::{ANY, Sent};

pub struct Case {
    pub name: &'static str,
    pub action: ActionName,
    pub input: Value,
    /// Prepares the sample shop (faults, extra data).
    pub setup: fn(&FakeShop),
    /// The whole `{"ok":...}` answer.
    pub answer: Value,
    /// Every request, in order: the count is the shop's bill.
    pub sent: Vec<Sent>,
    /// Checks the shop's state afterwards.
    pub after: fn(&FakeShop),
}

impl Case {
    pub fn input(&self) -> ActionInput {
        serde_json::from_value(self.input.clone()).expect("case inputs are valid JSON inputs")
    }
}

fn nothing(_: &FakeShop) {}

fn ne(reason: &str, message: &str) -> Value {
    json!({"ok": false, "reason": reason, "message": message})
}

fn ano(vars: Value) -> Value {
    json!({"ok": true, "vars": vars})
}

/// `order-detail`'s "Ano" for order 123 (or a copy of it) with these items.
fn detail_of_123(items: Value) -> Value {
    ano(
        json!({"status": "Přijatá", "billing": "Převodem na účet", "shipping": "PPL", "paid": false,
               "topay": 1230.5, "topaytext": "1\u{a0}230,50\u{a0}Kč", "currency": "CZK", "tracking": null,
               "trackingurl": null, "url": ANY, "phone": "+420601223344", "items": items}),
    )
}

/// Order 123's items with their brands, as `order-detail` answers them.
fn items_of_123() -> Value {
    json!([
        {"name": "Tričko Upgates, vel. M", "brand": "Upgates Wear", "code": "TRIKO-M"},
        {"name": "Hrnek 300 ml", "brand": "Keramika Bílovec", "code": "HRNEK"}])
}

fn with_phone(mut answer: Value, phone: &str) -> Value {
    answer["vars"]["phone"] = json!(phone);
    answer
}

/// Order 123 with its customer's phone stored as `phone`.
pub fn set_phone_of_123(shop: &FakeShop, phone: &str) {
    let mut order = shop.order("2025000123").expect("the sample has order 123");
    order["customer"]["phone"] = json!(phone);
    shop.add_order(order);
}

const ORDER_123: &str = "/api/v2/orders/2025000123";

/// Order 123 as `orders-by-phone` lists it.
fn order_ref_123() -> Value {
    json!({"orderid": "2025000123", "date": "2026-11-27T17:40:00+01:00", "price": 1230.5, "currency": "CZK",
           "pricetext": "1\u{a0}230,50\u{a0}Kč", "datetext": "27. 11. 2026"})
}

/// Order 124 as `orders-by-phone` lists it.
fn order_ref_124() -> Value {
    json!({"orderid": "2025000124", "date": "2026-11-18T17:40:00+01:00", "price": 649.0, "currency": "CZK",
           "pricetext": "649,00\u{a0}Kč", "datetext": "18. 11. 2026"})
}

fn summary_123() -> Value {
    json!({"status": "Přijatá", "billing": "Převodem na účet", "shipping": "PPL", "paid": false,
           "topay": 1230.5, "topaytext": "1\u{a0}230,50\u{a0}Kč", "currency": "CZK", "tracking": null,
           "trackingurl": null})
}

fn put(body: Value) -> Sent {
    Sent::put("/api/v2/orders", body)
}

/// The record a successful write adds to the order's history (`audit-trail`, on by default).
pub fn history(order: &str, name: &str, value: &str) -> Sent {
    Sent::post(
        &format!("/api/v2/orders/{order}/history"),
        json!({"data": [{"name": name, "value": value}]}),
    )
}

const INVOICE_FV2025001: &str = "/api/v2/invoices/FV2025001";

/// Order 124's documents when its invoice's GET gets no usable answer (set by the case):
/// `error`, after exactly the order's GET and the invoice's.
pub fn invoice_unread(name: &'static str) -> Case {
    Case {
        name,
        action: ActionName::OrderDocuments,
        input: json!({"order": "2025000124", "email": "jana.novakova@example.cz"}),
        setup: nothing,
        answer: ano(json!({"invoice": "error", "invoiceurl": null, "invoicenumber": null})),
        sent: vec![
            Sent::get("/api/v2/orders/2025000124"),
            Sent::get(INVOICE_FV2025001),
        ],
        after: nothing,
    }
}

/// [`invoice_unread`] with the invoice's GET unanswered in time ([`Fault::stall`]): run by the
/// packagings whose transport can time out on the fake (natively, and the component over
/// loopback with a short first-byte timeout).
pub fn invoice_timeout() -> Case {
    Case {
        setup: |shop| shop.push_fault(Fault::stall().on(http::Method::GET, INVOICE_FV2025001)),
        ..invoice_unread("order-documents: the invoice GET times out")
    }
}

pub fn all() -> Vec<Case> {
    use ActionName::*;
    let case = |name, action, input, answer, sent| Case {
        name,
        action,
        input,
        setup: nothing,
        answer,
        sent,
        after: nothing,
    };
    vec![
        // --- verify-order -------------------------------------------------------------
        case("verify-order: new order", VerifyOrder, json!({"order": "2025000123"}), ano(summary_123()), vec![Sent::get(ORDER_123)]),
        case("verify-order: paid, shipped, tracked", VerifyOrder, json!({"order": " 2025000124 "}),
            ano(json!({"status": "Odeslaná", "billing": "Kartou online", "shipping": "Zásilkovna", "paid": true,
                       "topay": 649.0, "topaytext": "649,00\u{a0}Kč", "currency": "CZK", "tracking": "Z1234567890",
                       "trackingurl": "https://tracking.packeta.com/cs/?id=Z1234567890"})),
            vec![Sent::get("/api/v2/orders/2025000124")]),
        case("verify-order: the 2024 response shape", VerifyOrder, json!({"order": "2024000077"}),
            ano(json!({"status": "Odoslaná", "billing": "Dobierka", "shipping": "Slovenská pošta", "paid": true,
                       "topay": 45.9, "topaytext": "45,90\u{a0}€", "currency": "EUR", "tracking": "RR123456789SK",
                       "trackingurl": null})),
            vec![Sent::get("/api/v2/orders/2024000077")]),
        case("verify-order: nulls everywhere", VerifyOrder, json!({"order": "2025000125"}),
            ano(json!({"status": null, "billing": null, "shipping": null, "paid": false, "topay": 0.0,
                       "topaytext": "0,00\u{a0}Kč", "currency": "CZK", "tracking": null, "trackingurl": null})),
            vec![Sent::get("/api/v2/orders/2025000125")]),
        case("verify-order: 404", VerifyOrder, json!({"order": "9999999"}), ne("not-found", "no such order"),
            vec![Sent::get("/api/v2/orders/9999999")]),
        Case { setup: |shop| shop.set_missing_order_style(MissingOrder::EmptyList),
            ..case("verify-order: 200 with no orders", VerifyOrder, json!({"order": "9999999"}), ne("not-found", "no such order"),
            vec![Sent::get("/api/v2/orders/9999999")]) },
        case("verify-order: a path in the order number", VerifyOrder, json!({"order": "1/../../status?x=1"}),
            ne("invalid-input", "invalid input: the order number may contain only letters, digits, `-`, `_` and `.`"), vec![]),
        case("verify-order: empty", VerifyOrder, json!({"order": "  "}), ne("invalid-input", "invalid input: the order number is empty"), vec![]),
        Case { setup: |shop| shop.push_fault(Fault::json(401, json!({"message": "Unauthorized"}))),
            ..case("verify-order: 401", VerifyOrder, json!({"order": "2025000123"}),
            ne("unauthorized", "Upgates refused the API login or key (HTTP 401)"), vec![Sent::get(ORDER_123)]) },
        Case { setup: |shop| shop.push_fault(Fault::status(403)),
            ..case("verify-order: 403 is not retried", VerifyOrder, json!({"order": "2025000123"}),
            ne("forbidden", "Upgates refused access (HTTP 403): the API user lacks the right or is locked"), vec![Sent::get(ORDER_123)]) },
        Case { setup: |shop| shop.push_fault(Fault::status(429).header("Retry-After", "Sat, 28 Nov 2026 17:00:00 GMT")),
            ..case("verify-order: 429", VerifyOrder, json!({"order": "2025000123"}),
            ne("rate-limited", "Upgates' request limit was hit (HTTP 429); retry after Sat, 28 Nov 2026 17:00:00 GMT"), vec![Sent::get(ORDER_123)]) },
        Case { setup: |shop| shop.push_fault(Fault::status(503)),
            ..case("verify-order: 503", VerifyOrder, json!({"order": "2025000123"}),
            ne("upstream", "unexpected answer from Upgates: Upgates answered HTTP 503"), vec![Sent::get(ORDER_123)]) },
        Case { setup: |shop| shop.push_fault(Fault::raw(200, b"<html>Maintenance</html>")),
            ..case("verify-order: HTML instead of JSON", VerifyOrder, json!({"order": "2025000123"}),
            ne("upstream", "unexpected answer from Upgates: the response is not valid JSON (line 1, column 1)"), vec![Sent::get(ORDER_123)]) },
        Case { setup: |shop| shop.push_fault(Fault::json(301, json!({"api_url": "https://demo.admin.s9.upgates.com/api/v2"}))),
            ..case("verify-order: the shop moved", VerifyOrder, json!({"order": "2025000123"}),
            ne("misconfigured", "shop configuration: the shop's API moved to https://demo.admin.s9.upgates.com/api/v2; update `api-url`"),
            vec![Sent::get(ORDER_123)]) },
        // --- order-detail -------------------------------------------------------------
        case("order-detail: items with brands from one products request, a variant's too", OrderDetail,
            json!({"order": "2025000123", "email": "JANA.novakova@example.cz "}),
            detail_of_123(items_of_123()),
            vec![Sent::get(ORDER_123), Sent::get("/api/v2/products/simple").query("product_ids=101%3B102&variants_yn=0")]),
        Case { setup: |shop| {
                // Two variants of one product, a line added by hand (no product id), an id
                // that is not a number, and a product without a manufacturer.
                let mut order = shop.order("2025000123").expect("the sample has order 123");
                order["order_number"] = json!("2025000190");
                order["products"] = json!([
                    {"product_id": 101, "option_set_id": 1012, "type": "product", "code": "TRIKO-L", "title": "Tričko, vel. L"},
                    {"product_id": "101", "option_set_id": 1011, "type": "product", "code": "TRIKO-M", "title": "Tričko, vel. M"},
                    {"product_id": null, "option_set_id": null, "type": "product", "code": "HRNEK", "title": "Hrnek (ručně)"},
                    {"product_id": "1;2", "type": "product", "code": "X", "title": "Divné id"},
                    {"product_id": 103, "type": "product", "code": "TASKA", "title": "Taška"},
                ]);
                shop.add_order(order);
            },
            ..case("order-detail: one products request by id; variants get their product's brand", OrderDetail,
            json!({"order": "2025000190", "email": "jana.novakova@example.cz"}),
            detail_of_123(json!([
                {"name": "Tričko, vel. L", "brand": "Upgates Wear", "code": "TRIKO-L"},
                {"name": "Tričko, vel. M", "brand": "Upgates Wear", "code": "TRIKO-M"},
                {"name": "Hrnek (ručně)", "brand": null, "code": "HRNEK"},
                {"name": "Divné id", "brand": null, "code": "X"},
                {"name": "Taška", "brand": null, "code": "TASKA"}])),
            vec![Sent::get("/api/v2/orders/2025000190"),
                 Sent::get("/api/v2/products/simple").query("product_ids=101%3B103&variants_yn=0")]) },
        Case { setup: |shop| set_phone_of_123(shop, "0601 223 344"),
            ..case("order-detail: a phone stored nationally is answered as +420…", OrderDetail,
            json!({"order": "2025000123", "email": "jana.novakova@example.cz"}),
            detail_of_123(items_of_123()),
            vec![Sent::get(ORDER_123), Sent::get("/api/v2/products/simple").query("product_ids=101%3B102&variants_yn=0")]) },
        Case { setup: |shop| set_phone_of_123(shop, "volat po 17:00"),
            ..case("order-detail: a phone that does not parse is answered as stored", OrderDetail,
            json!({"order": "2025000123", "email": "jana.novakova@example.cz"}),
            with_phone(detail_of_123(items_of_123()), "volat po 17:00"),
            vec![Sent::get(ORDER_123), Sent::get("/api/v2/products/simple").query("product_ids=101%3B102&variants_yn=0")]) },
        case("order-detail: wrong e-mail", OrderDetail, json!({"order": "2025000123", "email": "jan@example.cz"}),
            ne("not-verified", "the order number and e-mail do not match"), vec![Sent::get(ORDER_123)]),
        case("order-detail: missing order answers like a wrong e-mail", OrderDetail,
            json!({"order": "9999999", "email": "jana.novakova@example.cz"}),
            ne("not-verified", "the order number and e-mail do not match"), vec![Sent::get("/api/v2/orders/9999999")]),
        case("order-detail: bad e-mail", OrderDetail, json!({"order": "2025000123", "email": "jana"}),
            ne("invalid-input", "invalid input: the e-mail is not an address like name@example.cz"), vec![]),
        // --- customer-email -----------------------------------------------------------
        case("customer-email: found", CustomerEmail, json!({"order": "2025000123"}),
            ano(json!({"email": "jana.novakova@example.cz"})), vec![Sent::get(ORDER_123)]),
        case("customer-email: the order has none", CustomerEmail, json!({"order": "2025000125"}),
            ne("not-found", "no such order"), vec![Sent::get("/api/v2/orders/2025000125")]),
        // --- set-order-status ---------------------------------------------------------
        Case { after: |shop| {
                assert_eq!(shop.order("2025000123").unwrap()["status_id"], json!(4));
                assert_eq!(shop.sent_notifications().len(), 1);
                assert!(shop.sent_notifications()[0].email && shop.sent_notifications()[0].sms);
            },
            ..case("set-order-status: by name, customer notified", SetOrderStatus,
            json!({"order": "2025000123", "status": "Stornovaná", "notify": true}), ano(json!({})),
            vec![put(json!({"send_emails_yn": true, "send_sms_yn": true,
                            "orders": [{"order_number": "2025000123", "status": "Stornovaná"}]})),
                 history("2025000123", "Chatbot: změna stavu", "Nový stav: Stornovaná (upozornit zákazníka: ano)")]) },
        Case { after: |shop| {
                assert_eq!(shop.order("2025000123").unwrap()["status"], json!("Odeslaná"));
                assert!(shop.sent_notifications().is_empty());
            },
            ..case("set-order-status: by id, quietly", SetOrderStatus,
            json!({"order": "2025000123", "status": "3"}), ano(json!({})),
            vec![put(json!({"send_emails_yn": false, "send_sms_yn": false,
                            "orders": [{"order_number": "2025000123", "status_id": 3}]})),
                 history("2025000123", "Chatbot: změna stavu", "Nový stav: 3 (upozornit zákazníka: ne)")]) },
        Case { after: |shop| assert_eq!(shop.order("2025000123").unwrap()["status"], json!("Čeká na zboží")),
            ..case("set-order-status: custom status by its English name", SetOrderStatus,
            json!({"order": "2025000123", "status": "Awaiting stock"}), ano(json!({})),
            vec![put(json!({"send_emails_yn": false, "send_sms_yn": false,
                            "orders": [{"order_number": "2025000123", "status": "Awaiting stock"}]})),
                 history("2025000123", "Chatbot: změna stavu", "Nový stav: Awaiting stock (upozornit zákazníka: ne)")]) },
        Case { after: |shop| assert_eq!(shop.order("2025000123").unwrap()["status_id"], json!(1)),
            ..case("set-order-status: unknown status", SetOrderStatus,
            json!({"order": "2025000123", "status": "Ztracená"}), ne("upstream", ANY),
            vec![put(json!({"send_emails_yn": false, "send_sms_yn": false,
                            "orders": [{"order_number": "2025000123", "status": "Ztracená"}]}))]) },
        // Upgates' answer for an order that does not exist is not documented (the fake's:
        // `updated_yn: false` and a message): one PUT, no history record, "Ne".
        case("set-order-status: no such order", SetOrderStatus, json!({"order": "9999999", "status": "Stornovaná"}),
            ne("upstream", ANY),
            vec![put(json!({"send_emails_yn": false, "send_sms_yn": false,
                            "orders": [{"order_number": "9999999", "status": "Stornovaná"}]}))]),
        case("set-order-status: empty status", SetOrderStatus, json!({"order": "2025000123", "status": ""}),
            ne("invalid-input", "invalid input: the status is empty"), vec![]),
        // --- verify-customer ----------------------------------------------------------
        case("verify-customer: match", VerifyCustomer, json!({"order": "2025000124", "email": "jana.novakova@example.cz"}),
            ano(json!({})), vec![Sent::get("/api/v2/orders/2025000124")]),
        case("verify-customer: mismatch", VerifyCustomer, json!({"order": "2025000124", "email": "peter.horvath@example.sk"}),
            ne("not-verified", "the order number and e-mail do not match"), vec![Sent::get("/api/v2/orders/2025000124")]),
        case("verify-customer: order without e-mail", VerifyCustomer, json!({"order": "2025000125", "email": "jana.novakova@example.cz"}),
            ne("not-verified", "the order number and e-mail do not match"), vec![Sent::get("/api/v2/orders/2025000125")]),
        case("verify-customer: missing order", VerifyCustomer, json!({"order": "9999999", "email": "jana.novakova@example.cz"}),
            ne("not-verified", "the order number and e-mail do not match"), vec![Sent::get("/api/v2/orders/9999999")]),
        // --- orders-by-phone ----------------------------------------------------------
        case("orders-by-phone: the last 30 days, newest first", OrdersByPhone, json!({"phone": "+420 601 223 344", "days": 30}),
            ano(json!({"count": 2, "orders": [order_ref_123(), order_ref_124()]})),
            vec![Sent::get("/api/v2/orders").query(
                "phone=420601223344&creation_time_from=2026-10-29T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1")]),
        // Czech numbers have no trunk 0: `0601…` typed in a Czech shop is still the Czech 601….
        case("orders-by-phone: a Czech number typed with a trunk 0", OrdersByPhone, json!({"phone": "0601 223 344", "days": 30}),
            ano(json!({"count": 2, "orders": [order_ref_123(), order_ref_124()]})),
            vec![Sent::get("/api/v2/orders").query(
                "phone=420601223344&creation_time_from=2026-10-29T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1")]),
        case("orders-by-phone: national number, longer period", OrdersByPhone, json!({"phone": "601 223 344", "days": 60}),
            ano(json!({"count": 3, "orders": [order_ref_123(), order_ref_124(),
                {"orderid": "2025000126", "date": "2026-10-19T17:40:00+01:00", "price": 99.9, "currency": "CZK",
                 "pricetext": "99,90\u{a0}Kč", "datetext": "19. 10. 2026"}]})),
            vec![Sent::get("/api/v2/orders").query(
                "phone=420601223344&creation_time_from=2026-09-29T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1")]),
        // No orders in the period is an answer: "Ano", none listed ("Ne" is a list not loaded).
        case("orders-by-phone: none", OrdersByPhone, json!({"phone": "+420 777 000 000", "days": 30}),
            ano(json!({"count": 0, "orders": []})),
            vec![Sent::get("/api/v2/orders").query(
                "phone=420777000000&creation_time_from=2026-10-29T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1")]),
        Case { setup: |shop| shop.push_fault(Fault::json(404, json!({"message": "No orders found"}))),
            ..case("orders-by-phone: a 404 on the list is none too", OrdersByPhone, json!({"phone": "+420 601 223 344", "days": 30}),
            ano(json!({"count": 0, "orders": []})),
            vec![Sent::get("/api/v2/orders").query(
                "phone=420601223344&creation_time_from=2026-10-29T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1")]) },
        Case { setup: |shop| shop.push_fault(Fault::status(503)),
            ..case("orders-by-phone: a list not loaded is Ne", OrdersByPhone, json!({"phone": "+420 601 223 344", "days": 30}),
            ne("upstream", "unexpected answer from Upgates: Upgates answered HTTP 503"),
            vec![Sent::get("/api/v2/orders").query(
                "phone=420601223344&creation_time_from=2026-10-29T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1")]) },
        case("orders-by-phone: not a phone", OrdersByPhone, json!({"phone": "601&email=x", "days": 30}),
            ne("invalid-input", "invalid input: the phone number is not like +420 777 123 456"), vec![]),
        case("orders-by-phone: period out of range", OrdersByPhone, json!({"phone": "601223344", "days": 0}),
            ne("invalid-input", "invalid input: the period must be 1 to 3650 days"), vec![]),
        // --- append-note --------------------------------------------------------------
        Case { after: |shop| assert_eq!(
                shop.order("2025000124").unwrap()["internal_note"],
                json!("Zákazník volal kvůli dopravě.\nBot: \"Díky\" 👍 & <b>?</b>")),
            ..case("append-note: fresh read, then old + newline + text", AppendNote,
            json!({"order": "2025000124", "text": "Bot: \"Díky\" 👍 & <b>?</b>"}), ano(json!({})),
            vec![Sent::get("/api/v2/orders/2025000124"),
                 put(json!({"send_emails_yn": false, "send_sms_yn": false, "orders": [
                     {"order_number": "2025000124", "internal_note": "Zákazník volal kvůli dopravě.\nBot: \"Díky\" 👍 & <b>?</b>"}]})),
                 history("2025000124", "Chatbot: doplnění poznámky", "Bot: \"Díky\" 👍 & <b>?</b>")]) },
        Case { after: |shop| assert_eq!(shop.order("2025000123").unwrap()["internal_note"], json!("První řádek")),
            ..case("append-note: to an empty note", AppendNote, json!({"order": "2025000123", "text": "První řádek"}), ano(json!({})),
            vec![Sent::get(ORDER_123),
                 put(json!({"send_emails_yn": false, "send_sms_yn": false, "orders": [
                     {"order_number": "2025000123", "internal_note": "První řádek"}]})),
                 history("2025000123", "Chatbot: doplnění poznámky", "První řádek")]) },
        case("append-note: missing order, no write", AppendNote, json!({"order": "9999999", "text": "x"}),
            ne("not-found", "no such order"), vec![Sent::get("/api/v2/orders/9999999")]),
        case("append-note: control characters", AppendNote, json!({"order": "2025000123", "text": "a\u{0}b"}),
            ne("invalid-input", "invalid input: the note text contains control characters"), vec![]),
        // --- replace-note -------------------------------------------------------------
        Case { after: |shop| assert_eq!(shop.order("2025000124").unwrap()["internal_note"], json!("Nová poznámka")),
            ..case("replace-note: one PUT, one history record", ReplaceNote, json!({"order": "2025000124", "text": "Nová poznámka"}), ano(json!({})),
            vec![put(json!({"send_emails_yn": false, "send_sms_yn": false, "orders": [
                {"order_number": "2025000124", "internal_note": "Nová poznámka"}]})),
                 history("2025000124", "Chatbot: přepsání poznámky", "Nová poznámka")]) },
        case("replace-note: no such order", ReplaceNote, json!({"order": "9999999", "text": "Nová poznámka"}),
            ne("upstream", ANY),
            vec![put(json!({"send_emails_yn": false, "send_sms_yn": false,
                            "orders": [{"order_number": "9999999", "internal_note": "Nová poznámka"}]}))]),
        case("replace-note: empty text", ReplaceNote, json!({"order": "2025000124", "text": " "}),
            ne("invalid-input", "invalid input: the note text is empty"), vec![]),
        // --- order-documents ----------------------------------------------------------
        case("order-documents: found", OrderDocuments, json!({"order": "2025000124", "email": "jana.novakova@example.cz"}),
            ano(json!({"invoice": "found", "invoiceurl": "https://demo.admin.s1.upgates.com/invoices/pdf/FV2025001",
                       "invoicenumber": "FV2025001"})),
            vec![Sent::get("/api/v2/orders/2025000124"), Sent::get("/api/v2/invoices/FV2025001")]),
        case("order-documents: no invoice yet", OrderDocuments, json!({"order": "2025000123", "email": "jana.novakova@example.cz"}),
            ano(json!({"invoice": "notfound", "invoiceurl": null, "invoicenumber": null})), vec![Sent::get(ORDER_123)]),
        case("order-documents: the invoice is gone", OrderDocuments, json!({"order": "2024000077", "email": "peter.horvath@example.sk"}),
            ano(json!({"invoice": "notfound", "invoiceurl": null, "invoicenumber": null})),
            vec![Sent::get("/api/v2/orders/2024000077"), Sent::get("/api/v2/invoices/FV2024100")]),
        case("order-documents: invoice without a PDF", OrderDocuments, json!({"order": "2025000126", "email": "jana.novakova@example.cz"}),
            ano(json!({"invoice": "error", "invoiceurl": null, "invoicenumber": null})),
            vec![Sent::get("/api/v2/orders/2025000126"), Sent::get("/api/v2/invoices/FV2025002")]),
        // The invoice could not be read: "error", not "notfound" (the invoice may well exist).
        Case { setup: |shop| shop.push_fault(Fault::status(500).on(http::Method::GET, INVOICE_FV2025001)),
            ..invoice_unread("order-documents: the invoice GET answers 500") },
        Case { setup: |shop| shop.push_fault(Fault::status(403).on(http::Method::GET, INVOICE_FV2025001)),
            ..invoice_unread("order-documents: the invoice GET answers 403") },
        case("order-documents: not verified", OrderDocuments, json!({"order": "2025000124", "email": "someone@example.cz"}),
            ne("not-verified", "the order number and e-mail do not match"), vec![Sent::get("/api/v2/orders/2025000124")]),
    ]
}
