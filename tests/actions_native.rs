//! The action table, run natively: upgates-core straight against the fake shop.

use crate::support;

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use support::{API_URL, FakeUpstream, Sent, cases, config, input, run_native, sample_shop, sent};
use upgates_core::{
    ActionName, ApiRequest, ApiResponse, Method, Shop, TransportError, Upstream, render,
};
use upgates_fake_shop::{FakeShop, Fault};

#[tokio::test]
async fn every_case_natively() {
    for case in cases::all() {
        let shop = sample_shop();
        (case.setup)(&shop);
        let answer = run_native(&shop, case.action, &case.input()).await;
        support::check(&case, &shop, &answer);
    }
}

const ORDER_124: &str = "/api/v2/orders/2025000124";
/// Order 124's note in the sample shop.
const NOTE_124: &str = "Zákazník volal kvůli dopravě.";

/// What goes wrong with the read that checks an append, once the PUT has landed.
#[derive(Clone)]
enum CheckTrouble {
    /// The fake answers it so (429, 5xx, a cut-off body).
    Fault(Fault),
    /// The shop gets the read, its answer comes too late.
    Timeout,
}

/// The fake shop as seen through a network and a shop that may differ from the fake: `trouble`
/// hits the first read after our PUT; `reformat_notes` shows notes as a shop that normalises
/// line endings and trailing space would. Waits are instant (only their order matters here).
struct Shaped {
    fake: FakeShop,
    trouble: Mutex<Option<CheckTrouble>>,
    reformat_notes: bool,
}

impl Shaped {
    fn new(fake: &FakeShop, trouble: Option<CheckTrouble>, reformat_notes: bool) -> Self {
        Self {
            fake: fake.clone(),
            trouble: Mutex::new(trouble),
            reformat_notes,
        }
    }
}

/// A note as a shop that normalises it would keep it: LF only, no trailing space on a line.
fn reformatted(note: &str) -> String {
    let note = note.replace("\r\n", "\n");
    let lines: Vec<&str> = note.split('\n').map(str::trim_end).collect();
    lines.join("\n")
}

impl Upstream for Shaped {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let is_get = request.method == Method::Get;
        let trouble = if is_get && self.fake.requests().iter().any(|r| r.method == "PUT") {
            self.trouble.lock().expect("not poisoned").take()
        } else {
            None
        };
        if let Some(CheckTrouble::Fault(fault)) = &trouble {
            self.fake.push_fault(fault.clone());
        }
        let mut response = FakeUpstream(self.fake.clone()).send(request).await?;
        if let Some(CheckTrouble::Timeout) = trouble {
            return Err(TransportError::Timeout);
        }
        if self.reformat_notes && is_get && response.status == 200 {
            let mut page: Value = serde_json::from_slice(&response.body).expect("JSON");
            for order in page["orders"].as_array_mut().into_iter().flatten() {
                if let Some(note) = order["internal_note"].as_str() {
                    order["internal_note"] = json!(reformatted(note));
                }
            }
            response.body = serde_json::to_vec(&page).expect("serialisable");
        }
        Ok(response)
    }

    fn now(&self) -> SystemTime {
        FakeUpstream(self.fake.clone()).now()
    }

    async fn sleep(&self, _: Duration) -> bool {
        true
    }
}

/// `append-note` to order 124 with `verify-appends`, through `upstream`; the bot's JSON.
async fn verified_append(upstream: Shaped, text: &str) -> Value {
    let mut config = config(API_URL);
    config.verify_appends = true;
    let shop = Shop::new(config, upstream);
    let input = input(json!({"order": "2025000124", "text": text}));
    render(&upgates_core::run(&shop, ActionName::AppendNote, &input).await)
}

fn put_note(note: &str) -> Sent {
    Sent::put(
        "/api/v2/orders",
        json!({"send_emails_yn": false, "send_sms_yn": false,
               "orders": [{"order_number": "2025000124", "internal_note": note}]}),
    )
}

fn appended(text: &str) -> Sent {
    Sent::post(
        "/api/v2/orders/2025000124/history",
        json!({"data": [{"name": "Chatbot: doplnění poznámky", "value": text}]}),
    )
}

/// One verified append of `text` to order 124, as it must look: its read, the PUT of the
/// note plus the line, the check read, the history record; the line in the note once.
fn assert_appended_once(fake: &FakeShop, text: &str, case: &str) {
    let note = format!("{NOTE_124}\n{text}");
    assert_eq!(
        sent(fake),
        [
            Sent::get(ORDER_124),
            put_note(&note),
            Sent::get(ORDER_124),
            appended(text),
        ],
        "{case}: requests"
    );
    assert_eq!(
        fake.order("2025000124").expect("order 124")["internal_note"],
        json!(note),
        "{case}: the line once"
    );
}

/// Once Upgates confirmed the PUT, a check read that fails is "Ano", not a "Ne" the bot would
/// retry (adding the line twice), and the line is not appended again blind.
#[tokio::test]
async fn append_with_a_failed_check_read_is_ano_and_writes_once() {
    let troubles = [
        ("429", CheckTrouble::Fault(Fault::status(429))),
        ("503", CheckTrouble::Fault(Fault::status(503))),
        (
            "cut-off body",
            CheckTrouble::Fault(
                Fault::raw(200, br#"{"orders": [{"order_number": "2025"#)
                    .header("content-type", "application/json"),
            ),
        ),
        ("timeout", CheckTrouble::Timeout),
    ];
    for (name, trouble) in troubles {
        let fake = sample_shop();
        let answer =
            verified_append(Shaped::new(&fake, Some(trouble), false), "Volat po 17:00").await;
        assert_eq!(answer, json!({"ok": true, "vars": {}}), "{name}");
        assert_appended_once(&fake, "Volat po 17:00", name);
    }
}

/// The text is sent trimmed, and the check compares lines: a shop that keeps CRLF as LF or
/// drops trailing space still shows the line kept, so it is written once, not 5 times.
#[tokio::test]
async fn append_check_survives_trailing_newlines_and_crlf() {
    // A trailing line break (as a chat widget may send) is not sent.
    let fake = sample_shop();
    let answer = verified_append(Shaped::new(&fake, None, false), "Volat po 17:00\r\n").await;
    assert_eq!(answer, json!({"ok": true, "vars": {}}));
    assert_appended_once(&fake, "Volat po 17:00", "a trailing line break");

    // CRLF and trailing space inside the text, read back normalised by the shop.
    let fake = sample_shop();
    let text = "Řádek 1  \r\nŘádek 2";
    let answer = verified_append(Shaped::new(&fake, None, true), &format!("{text}\r\n")).await;
    assert_eq!(answer, json!({"ok": true, "vars": {}}));
    assert_appended_once(
        &fake,
        text,
        "CRLF and trailing space, normalised by the shop",
    );
}

/// A phone with more orders than one page (the shop's own number, a B2B buyer): one paid
/// request however many there are; the 100 newest listed, `count` Upgates' total.
#[tokio::test]
async fn orders_by_phone_reads_one_page_however_many_orders() {
    let shop = sample_shop();
    let template = shop.order("2025000123").expect("a sample order");
    for i in 0..150 {
        let mut order = template.clone();
        order["order_number"] = json!(format!("2026{i:06}"));
        order["creation_time"] = json!(format!("2026-11-20T{:02}:{:02}:00+01:00", i / 60, i % 60));
        shop.add_order(order);
    }
    shop.clear_requests();
    let input = input(json!({"phone": "+420 601 223 344", "days": 30}));
    let answer = run_native(&shop, ActionName::OrdersByPhone, &input).await;
    assert_eq!(answer["ok"], json!(true), "{answer}");
    assert_eq!(answer["vars"]["count"], json!(152));
    let listed = answer["vars"]["orders"].as_array().expect("a list");
    assert_eq!(listed.len(), 100);
    assert_eq!(listed[0]["orderid"], json!("2025000123"));
    assert_eq!(
        sent(&shop),
        [Sent::get("/api/v2/orders").query(
            "phone=420601223344&creation_time_from=2026-10-29T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1"
        )]
    );
}

/// Another host that writes the note back as it was right after each of our PUTs.
struct Clobbering(FakeShop);

impl Upstream for Clobbering {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let ours_a_put = request.method == Method::Put;
        let response = FakeUpstream(self.0.clone()).send(request).await;
        if ours_a_put {
            let body = json!({"send_emails_yn": false, "send_sms_yn": false,
                              "orders": [{"order_number": "2025000124", "internal_note": NOTE_124}]});
            let put = http::Request::put(format!("{API_URL}/orders"))
                .header("authorization", support::basic_auth())
                .body(bytes::Bytes::from(body.to_string()))
                .expect("a request");
            assert_eq!(self.0.handle(put).status(), 200);
        }
        response
    }

    fn now(&self) -> SystemTime {
        FakeUpstream(self.0.clone()).now()
    }

    async fn sleep(&self, _: Duration) -> bool {
        true
    }
}

/// `verify-appends` against a note another host keeps overwriting: 5 writes, each checked,
/// then `upstream` (no history record: nothing was kept), and never more than the 16 requests
/// the docs promise (15 here: the last failed check is not followed by another read).
#[tokio::test]
async fn verified_append_gives_up_after_five_writes() {
    let fake = sample_shop();
    let mut config = config(API_URL);
    config.verify_appends = true;
    let shop = Shop::new(config, Clobbering(fake.clone()));
    let input = input(json!({"order": "2025000124", "text": "Volat po 17:00"}));
    let answer = render(&upgates_core::run(&shop, ActionName::AppendNote, &input).await);
    assert_eq!(
        answer,
        json!({"ok": false, "reason": "upstream",
               "message": "unexpected answer from Upgates: the note kept changing under concurrent writers; the text was not kept"})
    );
    let ours = put_note(&format!("{NOTE_124}\nVolat po 17:00"));
    let theirs = put_note(NOTE_124);
    let mut expected = vec![Sent::get(ORDER_124)];
    for attempt in 0..5 {
        expected.extend([ours.clone(), theirs.clone(), Sent::get(ORDER_124)]);
        if attempt < 4 {
            expected.push(Sent::get(ORDER_124));
        }
    }
    assert_eq!(sent(&fake), expected);
    assert_eq!(
        fake.order("2025000124").expect("order 124")["internal_note"],
        json!(NOTE_124)
    );
}

/// The table's invoice case whose GET times out: natively the fake's stalled answer is the
/// transport's timeout.
#[tokio::test]
async fn an_invoice_get_that_times_out_natively() {
    let case = cases::invoice_timeout();
    let shop = sample_shop();
    (case.setup)(&shop);
    let answer = run_native(&shop, case.action, &case.input()).await;
    support::check(&case, &shop, &answer);
}

fn not_verified() -> Value {
    json!({"ok": false, "reason": "not-verified", "message": "the order number and e-mail do not match"})
}

/// The attempt limit (5 by default): the 5th failed check is still asked of Upgates and
/// counts; the 6th is refused unasked, even with the right e-mail.
#[tokio::test]
async fn the_fifth_failed_check_is_asked_and_the_sixth_refused_unasked() {
    let fake = sample_shop();
    let config = config(API_URL);
    assert_eq!(config.guardrails.verify_attempts, 5);
    let shop = Shop::new(config, FakeUpstream(fake.clone()));
    let check = |email: &str| input(json!({"order": "2025000124", "email": email}));
    for n in 1..=5 {
        let wrong = check("someone.else@example.cz");
        let answer = render(&upgates_core::run(&shop, ActionName::VerifyCustomer, &wrong).await);
        assert_eq!(answer, not_verified(), "check {n}");
        assert_eq!(
            sent(&fake),
            vec![Sent::get(ORDER_124); n],
            "check {n} is asked of Upgates"
        );
    }
    let right = check("jana.novakova@example.cz");
    let answer = render(&upgates_core::run(&shop, ActionName::VerifyCustomer, &right).await);
    assert_eq!(answer, not_verified(), "the 6th check");
    assert_eq!(sent(&fake).len(), 5, "the 6th check is refused unasked");
}

/// A short 429 (`Retry-After: 1`) is waited out and the GET sent again; a PUT that gets it
/// is never resent (it may have landed): one PUT, no history record, `rate-limited`.
#[tokio::test]
async fn a_put_is_not_resent_after_a_short_429() {
    let short_429 = || Fault::status(429).header("Retry-After", "1");

    let fake = sample_shop();
    fake.push_fault(short_429());
    let answer = run_native(
        &fake,
        ActionName::VerifyOrder,
        &input(json!({"order": "2025000124"})),
    )
    .await;
    assert_eq!(answer["ok"], json!(true), "{answer}");
    assert_eq!(
        sent(&fake),
        vec![Sent::get(ORDER_124); 2],
        "the GET is sent again"
    );

    let fake = sample_shop();
    fake.push_fault(short_429());
    let status = input(json!({"order": "2025000123", "status": "3"}));
    let answer = run_native(&fake, ActionName::SetOrderStatus, &status).await;
    assert_eq!(
        answer,
        json!({"ok": false, "reason": "rate-limited", "message": "Upgates' request limit was hit (HTTP 429); retry after 1"}),
    );
    assert_eq!(
        sent(&fake),
        vec![Sent::put(
            "/api/v2/orders",
            json!({"send_emails_yn": false, "send_sms_yn": false,
                   "orders": [{"order_number": "2025000123", "status_id": 3}]})
        )],
        "one PUT, not resent"
    );
    assert!(fake.history("2025000123").is_empty());
}
