//! The guardrails as data: settings (the component's `wasi:config` keys; the Spin app gets the
//! same values as Spin variables), a conversation, and the exact requests it costs. The same
//! table runs through the component in the host (`tests/guardrails.rs`) and through the Spin
//! app in its harness (`tests/webhook/spin_app.rs`), so both packagings obey one policy.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use upgates_core::{ActionName, proof};
use upgates_fake_shop::FakeShop;

use super::cases::history;
use super::{API_URL, Sent, now};

pub struct Scenario {
    pub name: &'static str,
    pub settings: &'static [(&'static str, &'static str)],
    /// Each call with its whole expected answer, in order, against one shop.
    pub calls: Vec<(ActionName, Value, Value)>,
    /// Every request the conversation sent, in order.
    pub sent: Vec<Sent>,
    pub after: fn(&FakeShop),
}

const ORDER_123: &str = "/api/v2/orders/2025000123";
const ORDER_124: &str = "/api/v2/orders/2025000124";
const JANA: &str = "jana.novakova@example.cz";

fn nothing(_: &FakeShop) {}

/// The shop's proof key in the proof scenarios.
pub const PROOF_SECRET: &str = "0123456789abcdef0123456789abcdef";
/// Proofs made and required, with the default lifetime (30 minutes).
const PROOFS: &[(&str, &str)] = &[("proof-secret", PROOF_SECRET), ("require-proof", "true")];

/// The proof a passed e-mail check of `order` answers at the tests' "now".
fn proof_of(order: &str) -> String {
    proof::sign(PROOF_SECRET, API_URL, order, in_30_minutes())
}

fn in_30_minutes() -> SystemTime {
    now() + Duration::from_secs(30 * 60)
}

fn with_proof(mut input: Value, proof: &str) -> Value {
    input["proof"] = json!(proof);
    input
}

/// Each of the four calls `require-proof` guards, with `proof` (if any) for order 124: each
/// answers not-verified and sends nothing.
fn refused_without_a_valid_proof(
    name: &'static str,
    settings: &'static [(&'static str, &'static str)],
    proof: Option<String>,
) -> Scenario {
    use ActionName::*;
    let input = |input: Value| match &proof {
        Some(proof) => with_proof(input, proof),
        None => input,
    };
    Scenario {
        name,
        settings,
        calls: vec![
            (
                SetOrderStatus,
                input(status("2025000124", "Stornovaná")),
                not_verified(),
            ),
            (
                AppendNote,
                input(json!({"order": "2025000124", "text": "Pozor"})),
                not_verified(),
            ),
            (
                ReplaceNote,
                input(json!({"order": "2025000124", "text": "Pozor"})),
                not_verified(),
            ),
            (
                CustomerEmail,
                input(json!({"order": "2025000124"})),
                not_verified(),
            ),
        ],
        sent: vec![],
        after: |shop| {
            let order = shop.order("2025000124").unwrap();
            assert_eq!(order["status_id"], json!(3));
            assert_eq!(
                order["internal_note"],
                json!("Zákazník volal kvůli dopravě.")
            );
            assert!(shop.history("2025000124").is_empty());
        },
    }
}

fn ne(reason: &str, message: &str) -> Value {
    json!({"ok": false, "reason": reason, "message": message})
}

fn done() -> Value {
    json!({"ok": true, "vars": {}})
}

fn not_allowed(rule: &str) -> Value {
    ne(
        "not-allowed",
        &format!("not allowed by the shop's bot policy: {rule}"),
    )
}

fn not_verified() -> Value {
    ne("not-verified", "the order number and e-mail do not match")
}

fn put(body: Value) -> Sent {
    Sent::put("/api/v2/orders", body)
}

fn status_put(order: &str, field: &str, value: Value) -> Sent {
    put(json!({"send_emails_yn": false, "send_sms_yn": false,
               "orders": [{"order_number": order, field: value}]}))
}

fn note_put(order: &str, note: &str) -> Sent {
    put(json!({"send_emails_yn": false, "send_sms_yn": false,
               "orders": [{"order_number": order, "internal_note": note}]}))
}

fn status(order: &str, name: &str) -> Value {
    json!({"order": order, "status": name, "notify": false})
}

fn wrong_email(order: &str) -> Value {
    json!({"order": order, "email": "someone.else@example.cz"})
}

/// The sent order 2025000124 (`Odeslaná`) cancelled under `settings`: the `reads` the policy
/// needs, then the PUT and its history record.
fn sent_order_cancelled(
    name: &'static str,
    settings: &'static [(&'static str, &'static str)],
    reads: Vec<Sent>,
) -> Scenario {
    // With the shop's list read, the PUT names the status by its id.
    let by_id = reads.iter().any(|r| r.path == "/api/v2/order-statuses");
    let mut sent = reads;
    sent.push(if by_id {
        status_put("2025000124", "status_id", json!(4))
    } else {
        status_put("2025000124", "status", json!("Stornovaná"))
    });
    sent.push(history(
        "2025000124",
        "Chatbot: změna stavu",
        "Nový stav: Stornovaná (upozornit zákazníka: ne)",
    ));
    Scenario {
        name,
        settings,
        calls: vec![(
            ActionName::SetOrderStatus,
            status("2025000124", "Stornovaná"),
            done(),
        )],
        sent,
        after: |shop| assert_eq!(shop.order("2025000124").unwrap()["status_id"], json!(4)),
    }
}

pub fn all() -> Vec<Scenario> {
    use ActionName::*;
    const POLICY: &[(&str, &str)] = &[("allowed-statuses", "Odeslaná; Stornovaná: Přijatá|6")];
    let proof_124 = proof_of("2025000124");
    let (expiry, mac) = proof_124.split_once('.').expect("expiry.mac");
    vec![
        Scenario {
            name: "proofs: the e-mail check's proof lets the writes and customer-email through",
            settings: PROOFS,
            calls: vec![
                (
                    VerifyCustomer,
                    json!({"order": "2025000124", "email": JANA}),
                    json!({"ok": true, "vars": {"proof": proof_124}}),
                ),
                (
                    SetOrderStatus,
                    with_proof(status("2025000124", "Stornovaná"), &proof_124),
                    done(),
                ),
                (
                    ReplaceNote,
                    with_proof(
                        json!({"order": "2025000124", "text": "Storno po ověření"}),
                        &proof_124,
                    ),
                    done(),
                ),
                (
                    CustomerEmail,
                    with_proof(json!({"order": " 2025000124 "}), &proof_124),
                    json!({"ok": true, "vars": {"email": "Jana.Novakova@Example.cz"}}),
                ),
                // The other gated actions answer the proof too: here order 123's.
                (
                    OrderDocuments,
                    json!({"order": "2025000123", "email": JANA}),
                    json!({"ok": true, "vars": {"invoice": "notfound", "invoiceurl": null,
                           "invoicenumber": null, "proof": proof_of("2025000123")}}),
                ),
            ],
            sent: vec![
                Sent::get(ORDER_124),
                status_put("2025000124", "status", json!("Stornovaná")),
                history(
                    "2025000124",
                    "Chatbot: změna stavu",
                    "Nový stav: Stornovaná (upozornit zákazníka: ne)",
                ),
                note_put("2025000124", "Storno po ověření"),
                history(
                    "2025000124",
                    "Chatbot: přepsání poznámky",
                    "Storno po ověření",
                ),
                Sent::get(ORDER_124),
                Sent::get(ORDER_123),
            ],
            after: |shop| {
                let order = shop.order("2025000124").unwrap();
                assert_eq!(order["status_id"], json!(4));
                assert_eq!(order["internal_note"], json!("Storno po ověření"));
            },
        },
        Scenario {
            name: "proofs: append-note with the order's proof",
            settings: PROOFS,
            calls: vec![(
                AppendNote,
                with_proof(
                    json!({"order": "2025000124", "text": "Ověřeno"}),
                    &proof_124,
                ),
                done(),
            )],
            sent: vec![
                Sent::get(ORDER_124),
                note_put("2025000124", "Zákazník volal kvůli dopravě.\nOvěřeno"),
                history("2025000124", "Chatbot: doplnění poznámky", "Ověřeno"),
            ],
            after: nothing,
        },
        refused_without_a_valid_proof("proofs: required, none given", PROOFS, None),
        refused_without_a_valid_proof(
            "proofs: expired (made 30 minutes before now)",
            PROOFS,
            Some(proof::sign(PROOF_SECRET, API_URL, "2025000124", now())),
        ),
        refused_without_a_valid_proof(
            "proofs: another order's",
            PROOFS,
            Some(proof_of("2025000123")),
        ),
        refused_without_a_valid_proof(
            "proofs: another shop's (its API URL)",
            PROOFS,
            Some(proof::sign(
                PROOF_SECRET,
                "https://other.admin.s1.upgates.com/api/v2",
                "2025000124",
                in_30_minutes(),
            )),
        ),
        refused_without_a_valid_proof(
            "proofs: another shop's (its secret)",
            PROOFS,
            Some(proof::sign(
                "fedcba9876543210fedcba9876543210",
                API_URL,
                "2025000124",
                in_30_minutes(),
            )),
        ),
        refused_without_a_valid_proof(
            "proofs: tampered (a later expiry under the same MAC)",
            PROOFS,
            Some(format!(
                "{}.{mac}",
                expiry.parse::<u64>().expect("digits") + 86_400
            )),
        ),
        refused_without_a_valid_proof("proofs: not a proof at all", PROOFS, Some("ano".into())),
        Scenario {
            name: "proofs: made but not required, the writes go through without one",
            settings: &[("proof-secret", PROOF_SECRET)],
            calls: vec![
                (
                    VerifyCustomer,
                    json!({"order": "2025000124", "email": JANA}),
                    json!({"ok": true, "vars": {"proof": proof_124}}),
                ),
                (
                    ReplaceNote,
                    json!({"order": "2025000124", "text": "Bez ověření"}),
                    done(),
                ),
            ],
            sent: vec![
                Sent::get(ORDER_124),
                note_put("2025000124", "Bez ověření"),
                history("2025000124", "Chatbot: přepsání poznámky", "Bez ověření"),
            ],
            after: nothing,
        },
        Scenario {
            name: "enabled actions: the others answer not-allowed, unasked",
            settings: &[("enabled-actions", "verify-order, verify-customer")],
            calls: vec![
                (
                    AppendNote,
                    json!({"order": "2025000124", "text": "Ahoj"}),
                    not_allowed("`enabled-actions` does not list `append-note`"),
                ),
                (
                    SetOrderStatus,
                    status("2025000124", "Stornovaná"),
                    not_allowed("`enabled-actions` does not list `set-order-status`"),
                ),
                (
                    CustomerEmail,
                    json!({"order": "2025000124"}),
                    not_allowed("`enabled-actions` does not list `customer-email`"),
                ),
                (
                    OrdersByPhone,
                    json!({"phone": "601223344", "days": 30}),
                    not_allowed("`enabled-actions` does not list `orders-by-phone`"),
                ),
                (
                    OrderDocuments,
                    json!({"order": "2025000124", "email": JANA}),
                    not_allowed("`enabled-actions` does not list `order-documents`"),
                ),
                (
                    VerifyCustomer,
                    json!({"order": "2025000124", "email": JANA}),
                    done(),
                ),
            ],
            sent: vec![Sent::get(ORDER_124)],
            after: |shop| assert!(shop.history("2025000124").is_empty()),
        },
        Scenario {
            name: "write policy: a listed status from an allowed current status",
            settings: POLICY,
            calls: vec![(SetOrderStatus, status("2025000123", "stornovaná"), done())],
            // The rule names current statuses: one fresh read of the order first. The chat's
            // "stornovaná" goes out as the policy spells it: Upgates matches names exactly.
            sent: vec![
                Sent::get(ORDER_123),
                status_put("2025000123", "status", json!("Stornovaná")),
                history(
                    "2025000123",
                    "Chatbot: změna stavu",
                    "Nový stav: Stornovaná (upozornit zákazníka: ne)",
                ),
            ],
            after: |shop| {
                assert_eq!(shop.order("2025000123").unwrap()["status_id"], json!(4));
                // The staff see what the bot did in the order's history.
                let records = shop.history("2025000123");
                let last = records.last().expect("a history record");
                assert_eq!(
                    last["data"],
                    json!([{"name": "Chatbot: změna stavu",
                            "value": "Nový stav: Stornovaná (upozornit zákazníka: ne)"}])
                );
                assert_eq!(last["origin"], json!("api"));
            },
        },
        Scenario {
            name: "write policy: a listed status without a rule is one PUT",
            settings: POLICY,
            calls: vec![(SetOrderStatus, status("2025000123", "Odeslaná"), done())],
            sent: vec![
                status_put("2025000123", "status", json!("Odeslaná")),
                history(
                    "2025000123",
                    "Chatbot: změna stavu",
                    "Nový stav: Odeslaná (upozornit zákazníka: ne)",
                ),
            ],
            after: |shop| assert_eq!(shop.order("2025000123").unwrap()["status_id"], json!(3)),
        },
        Scenario {
            name: "write policy: a status it does not list is refused before any request",
            settings: POLICY,
            calls: vec![(
                SetOrderStatus,
                status("2025000123", "Zaplaceno"),
                not_allowed("`allowed-statuses` does not list the status `Zaplaceno`"),
            )],
            sent: vec![],
            after: |shop| {
                assert_eq!(shop.order("2025000123").unwrap()["status_id"], json!(1));
                assert!(shop.history("2025000123").is_empty());
            },
        },
        Scenario {
            name: "write policy: the order's current status is not one the rule allows",
            settings: POLICY,
            calls: vec![(
                SetOrderStatus,
                status("2025000124", "Stornovaná"),
                not_allowed(
                    "`allowed-statuses` allows `Stornovaná` only from `Přijatá`, `6`; the order is `Odeslaná`",
                ),
            )],
            // The rule's names did not match the order's: its id is looked up too, as the
            // names may be another language's.
            sent: vec![Sent::get(ORDER_124), Sent::get("/api/v2/order-statuses")],
            after: |shop| assert_eq!(shop.order("2025000124").unwrap()["status_id"], json!(3)),
        },
        Scenario {
            name: "write policy: an id in the policy, a name from the bot: the statuses are read",
            settings: &[("allowed-statuses", "3")],
            calls: vec![(SetOrderStatus, status("2025000123", "Sent"), done())],
            // The shop's list was read anyway: the PUT names the status by its id.
            sent: vec![
                Sent::get("/api/v2/order-statuses"),
                status_put("2025000123", "status_id", json!(3)),
                history(
                    "2025000123",
                    "Chatbot: změna stavu",
                    "Nový stav: Sent (upozornit zákazníka: ne)",
                ),
            ],
            after: nothing,
        },
        Scenario {
            name: "write policy: an id in the policy, another status's name from the bot",
            settings: &[("allowed-statuses", "3")],
            calls: vec![(
                SetOrderStatus,
                status("2025000123", "Zaplaceno"),
                not_allowed("`allowed-statuses` does not list the status `Zaplaceno`"),
            )],
            sent: vec![Sent::get("/api/v2/order-statuses")],
            after: |shop| assert!(shop.history("2025000123").is_empty()),
        },
        sent_order_cancelled(
            "write policy: a status listed twice may be set from what either entry allows",
            &[(
                "allowed-statuses",
                "Stornovaná: Přijatá; stornovaná: Odeslaná",
            )],
            vec![Sent::get(ORDER_124)],
        ),
        // The name's entry alone would refuse: the statuses tell that 4 is Stornovaná too.
        sent_order_cancelled(
            "write policy: a status listed by name and again by id: either entry allows",
            &[("allowed-statuses", "Stornovaná: Přijatá; 4: Odeslaná")],
            vec![Sent::get("/api/v2/order-statuses"), Sent::get(ORDER_124)],
        ),
        Scenario {
            name: "note length cap: longer text is refused, text at the cap is written",
            settings: &[("max-note-length", "10")],
            calls: vec![
                (
                    AppendNote,
                    json!({"order": "2025000123", "text": "12345678901"}),
                    not_allowed("`max-note-length` allows notes of at most 10 characters"),
                ),
                (
                    ReplaceNote,
                    json!({"order": "2025000123", "text": "Příliš dlouhá"}),
                    not_allowed("`max-note-length` allows notes of at most 10 characters"),
                ),
                (
                    AppendNote,
                    json!({"order": "2025000123", "text": "Žluťoučký!"}),
                    done(),
                ),
            ],
            sent: vec![
                Sent::get(ORDER_123),
                note_put("2025000123", "Žluťoučký!"),
                history("2025000123", "Chatbot: doplnění poznámky", "Žluťoučký!"),
            ],
            after: |shop| {
                assert_eq!(
                    shop.order("2025000123").unwrap()["internal_note"],
                    json!("Žluťoučký!")
                );
            },
        },
        Scenario {
            name: "audit trail off: the write only",
            settings: &[("audit-trail", "false")],
            calls: vec![
                (
                    ReplaceNote,
                    json!({"order": "2025000124", "text": "Tichá změna"}),
                    done(),
                ),
                (SetOrderStatus, status("2025000124", "4"), done()),
            ],
            sent: vec![
                note_put("2025000124", "Tichá změna"),
                status_put("2025000124", "status_id", json!(4)),
            ],
            after: |shop| assert!(shop.history("2025000124").is_empty()),
        },
        Scenario {
            name: "attempt limit: after 3 failed e-mail checks the order answers not-verified unasked",
            settings: &[("verify-attempts", "3")],
            calls: vec![
                (VerifyCustomer, wrong_email("2025000124"), not_verified()),
                (OrderDetail, wrong_email("2025000124"), not_verified()),
                (OrderDocuments, wrong_email("2025000124"), not_verified()),
                // Counted: even the right e-mail is no longer checked, by any gated action.
                (
                    VerifyCustomer,
                    json!({"order": "2025000124", "email": JANA}),
                    not_verified(),
                ),
                (
                    OrderDocuments,
                    json!({"order": "2025000124", "email": JANA}),
                    not_verified(),
                ),
                // Another order is not affected.
                (
                    VerifyCustomer,
                    json!({"order": "2025000123", "email": JANA}),
                    done(),
                ),
            ],
            sent: vec![
                Sent::get(ORDER_124),
                Sent::get(ORDER_124),
                Sent::get(ORDER_124),
                Sent::get(ORDER_123),
            ],
            after: nothing,
        },
        Scenario {
            name: "attempt limit: a check that passes is withdrawn, only failures count",
            settings: &[("verify-attempts", "2")],
            calls: vec![
                (
                    VerifyCustomer,
                    json!({"order": "2025000124", "email": JANA}),
                    done(),
                ),
                (
                    VerifyCustomer,
                    json!({"order": "2025000124", "email": JANA}),
                    done(),
                ),
                (
                    VerifyCustomer,
                    json!({"order": "2025000124", "email": JANA}),
                    done(),
                ),
                (VerifyCustomer, wrong_email("2025000124"), not_verified()),
                (VerifyCustomer, wrong_email("2025000124"), not_verified()),
                (
                    VerifyCustomer,
                    json!({"order": "2025000124", "email": JANA}),
                    not_verified(),
                ),
            ],
            sent: vec![Sent::get(ORDER_124); 5],
            after: nothing,
        },
        Scenario {
            name: "attempt limit: 5 by default, a missing order counts too",
            settings: &[],
            calls: {
                let mut calls: Vec<(ActionName, Value, Value)> = (0..5)
                    .map(|_| (VerifyCustomer, wrong_email("9999999"), not_verified()))
                    .collect();
                calls.push((VerifyCustomer, wrong_email("9999999"), not_verified()));
                calls
            },
            sent: vec![Sent::get("/api/v2/orders/9999999"); 5],
            after: nothing,
        },
        Scenario {
            name: "masked personal data",
            settings: &[("mask-personal-data", "true")],
            calls: vec![
                (
                    CustomerEmail,
                    json!({"order": "2025000123"}),
                    json!({"ok": true, "vars": {"email": "j***@example.cz"}}),
                ),
                (
                    VerifyCustomer,
                    json!({"order": "2025000123", "email": JANA}),
                    done(),
                ),
            ],
            sent: vec![Sent::get(ORDER_123), Sent::get(ORDER_123)],
            after: nothing,
        },
    ]
}

/// `order-detail` with masking on answers the phone masked (checked apart from the table: the
/// rest of the detail is the case table's).
pub const MASKED_PHONE: &str = "+420 *** *** 344";
