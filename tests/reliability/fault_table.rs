//! The upstream faults as data: what the shop answers, and what the action must answer.

use super::*;

pub(super) struct FaultCase {
    pub(super) fault: &'static str,
    pub(super) setup: fn(&FakeShop),
    pub(super) action: ActionName,
    pub(super) input: Value,
    pub(super) answer: Value,
    pub(super) requests: usize,
}

pub(super) fn fault_cases() -> Vec<FaultCase> {
    use ActionName::*;
    let verify = json!({"order": "2025000123"});
    let status = json!({"order": "2025000123", "status": "Odeslaná", "notify": true});
    let f = |fault, setup: fn(&FakeShop), action, input: &Value, answer, requests| FaultCase {
        fault,
        setup,
        action,
        input: input.clone(),
        answer,
        requests,
    };
    vec![
        f(
            "401",
            |s| s.push_fault(Fault::json(401, json!({"message": "Unauthorized"}))),
            VerifyOrder,
            &verify,
            ne(
                "unauthorized",
                "Upgates refused the API login or key (HTTP 401)",
            ),
            1,
        ),
        f(
            "403 (never retried)",
            |s| s.push_fault(Fault::status(403)),
            VerifyOrder,
            &verify,
            ne(
                "forbidden",
                "Upgates refused access (HTTP 403): the API user lacks the right or is locked",
            ),
            1,
        ),
        f(
            "404",
            |_| {},
            VerifyOrder,
            &json!({"order": "404404"}),
            ne("not-found", "no such order"),
            1,
        ),
        f(
            "200 with `orders: []`",
            |s| s.set_missing_order_style(MissingOrder::EmptyList),
            VerifyOrder,
            &json!({"order": "404404"}),
            ne("not-found", "no such order"),
            1,
        ),
        f(
            "429, Retry-After an hour away (HTTP date)",
            |s| {
                s.push_fault(
                    Fault::status(429).header("Retry-After", "Sat, 28 Nov 2026 17:40:00 GMT"),
                )
            },
            VerifyOrder,
            &verify,
            ne(
                "rate-limited",
                "Upgates' request limit was hit (HTTP 429); retry after Sat, 28 Nov 2026 17:40:00 GMT",
            ),
            1,
        ),
        f(
            "429, Retry-After in 1 s (HTTP date): waited, retried once",
            |s| {
                s.push_fault(
                    Fault::status(429).header("Retry-After", "Sat, 28 Nov 2026 16:40:01 GMT"),
                )
            },
            VerifyOrder,
            &verify,
            json!({"ok": true, "vars": ANY}),
            2,
        ),
        f(
            "429, Retry-After: 1 (seconds): waited, retried once",
            |s| s.push_fault(Fault::status(429).header("Retry-After", "1")),
            VerifyOrder,
            &verify,
            json!({"ok": true, "vars": ANY}),
            2,
        ),
        f(
            "429 twice, Retry-After: 1",
            |s| {
                s.push_fault(Fault::status(429).header("Retry-After", "1"));
                s.push_fault(Fault::status(429).header("Retry-After", "1"));
            },
            VerifyOrder,
            &verify,
            ne(
                "rate-limited",
                "Upgates' request limit was hit (HTTP 429); retry after 1",
            ),
            2,
        ),
        f(
            "429 on a PUT (writes are never resent)",
            |s| s.push_fault(Fault::status(429).header("Retry-After", "1")),
            SetOrderStatus,
            &status,
            ne(
                "rate-limited",
                "Upgates' request limit was hit (HTTP 429); retry after 1",
            ),
            1,
        ),
        f(
            "500 on a PUT (never resent)",
            |s| s.push_fault(Fault::status(500)),
            SetOrderStatus,
            &status,
            ne(
                "upstream",
                "unexpected answer from Upgates: Upgates answered HTTP 500",
            ),
            1,
        ),
        f(
            "500",
            |s| s.push_fault(Fault::status(500)),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: Upgates answered HTTP 500",
            ),
            1,
        ),
        f(
            "502",
            |s| s.push_fault(Fault::status(502)),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: Upgates answered HTTP 502",
            ),
            1,
        ),
        f(
            "503",
            |s| s.push_fault(Fault::status(503)),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: Upgates answered HTTP 503",
            ),
            1,
        ),
        f(
            "301 with `Location` (not followed)",
            |s| {
                s.push_fault(Fault::status(301).header(
                    "Location",
                    "https://demo.admin.s9.upgates.com/api/v2/orders/2025000123",
                ))
            },
            VerifyOrder,
            &verify,
            ne(
                "misconfigured",
                "shop configuration: the shop's API moved to https://demo.admin.s9.upgates.com/api/v2; update `api-url`",
            ),
            1,
        ),
        f(
            "301 with `{\"api_url\": ...}` (not followed)",
            |s| {
                s.push_fault(Fault::json(
                    301,
                    json!({"api_url": "https://demo.admin.s9.upgates.com/api/v2"}),
                ))
            },
            VerifyOrder,
            &verify,
            ne(
                "misconfigured",
                "shop configuration: the shop's API moved to https://demo.admin.s9.upgates.com/api/v2; update `api-url`",
            ),
            1,
        ),
        f(
            "body cut mid-JSON",
            |s| s.push_fault(Fault::raw(200, br#"{"orders":[{"order_number":"2025"#)),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: the response is cut short (line 1, column 32)",
            ),
            1,
        ),
        f(
            "invalid JSON",
            |s| s.push_fault(Fault::raw(200, b"{orders: [}")),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: the response is not valid JSON (line 1, column 2)",
            ),
            1,
        ),
        f(
            "HTML instead of JSON",
            |s| s.push_fault(Fault::raw(200, b"<!DOCTYPE html><h1>502</h1>")),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: the response is not valid JSON (line 1, column 1)",
            ),
            1,
        ),
        f(
            "body larger than the 8 MiB cap",
            |s| s.push_fault(Fault::raw(200, &vec![b' '; 9 << 20])),
            VerifyOrder,
            &verify,
            ne(
                "upstream",
                "unexpected answer from Upgates: the response is too large",
            ),
            1,
        ),
        f(
            "`null` in every nullable field",
            |_| {},
            VerifyOrder,
            &json!({"order": "2025000125"}),
            json!({"ok": true, "vars": {"status": null, "billing": null, "shipping": null, "paid": false, "topay": 0.0,
                   "topaytext": "0,00\u{a0}Kč", "currency": "CZK", "tracking": null, "trackingurl": null}}),
            1,
        ),
        f(
            "200, an unknown field nested 100,000 deep",
            |s| s.push_fault(nested_order("deep", 100_000)),
            VerifyOrder,
            &verify,
            json!({"ok": true, "vars": ANY}),
            1,
        ),
        f(
            "200, `customer` nested 100,000 deep",
            |s| s.push_fault(nested_order("customer", 100_000)),
            VerifyOrder,
            &verify,
            json!({"ok": true, "vars": ANY}),
            1,
        ),
        f(
            "2024 shape with a PHP date object",
            |_| {},
            VerifyOrder,
            &json!({"order": "2024000077"}),
            json!({"ok": true, "vars": ANY}),
            1,
        ),
    ]
}

/// An order whose `field` holds `depth` nested lists of objects. The component must skip or
/// read it without recursing once per level: the stack of a wasm instance is small.
fn nested_order(field: &str, depth: usize) -> Fault {
    let body = format!(
        r#"{{"orders":[{{"order_number":"2025000123","status":"Přijatá","{field}":{}1{}}}]}}"#,
        r#"[{"a":"#.repeat(depth),
        "}]".repeat(depth)
    );
    Fault::raw(200, body.as_bytes()).header("content-type", "application/json")
}
