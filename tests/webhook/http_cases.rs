//! The webhook's HTTP case table: every route's yes and no answer, each error status, the
//! inputs as bot platforms send them, and the exact requests each case costs the shop. It
//! runs through the Spin app (the wasmtime harness), through `upgates serve` (the binary,
//! over real HTTP) and through a real `spin up` where one is installed, so what one server
//! answers, every server answers, byte for byte.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Method;
use http_body_util::Full;
use serde_json::{Value, json};
use upgates_core::ActionName;
use upgates_fake_shop::{FakeShop, Fault, SAMPLE_KEY, SAMPLE_LOGIN};

use super::openapi;
use crate::support::servers::{self, Answer};
use crate::support::spin_harness::{self, Kv, TOKEN};
use crate::support::{self, ANY, API_URL, Sent, cases, sample_shop, sent};

/// Whose bearer token a request carries.
#[derive(Clone, Copy, Debug)]
pub enum Token {
    Right,
    Wrong,
    Missing,
}

/// A signed invoice link, made for the server's own API URL and clock.
#[derive(Clone, Copy, Debug)]
pub enum Link {
    Valid,
    /// Valid, but for another shop's secret.
    Foreign,
}

pub struct HttpCase {
    pub name: String,
    /// The shop's settings besides its API URL and credentials (the `wasi:config` keys).
    pub settings: Vec<(&'static str, String)>,
    pub setup: fn(&FakeShop),
    pub method: Method,
    /// The path, or `None` for the invoice link `link` makes.
    pub path: Option<String>,
    pub link: Option<Link>,
    pub token: Token,
    pub content_type: Option<&'static str>,
    pub body: String,
    pub status: u16,
    /// The whole JSON answer (`ANY` matches any string), or `None` for a PDF.
    pub answer: Option<Value>,
    /// Headers the answer must carry.
    pub headers: Vec<(&'static str, &'static str)>,
    /// Every request to the shop, in order.
    pub sent: Vec<Sent>,
    pub after: fn(&FakeShop),
    /// The case needs the table's pinned clock (Upgates' `Retry-After` is a date in it): the
    /// servers on the real clock skip it, and say so.
    pub pinned_clock: bool,
    /// The same request sent this many times before the one checked, to the same server and
    /// store (their answers unchecked; their requests to the shop are in `sent`).
    pub earlier: usize,
}

fn nothing(_: &FakeShop) {}

const JSON: Option<&str> = Some("application/json");
const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

/// `POST /v1/<action>` with the right token and a JSON body; answered `200` with nothing
/// sent unless the case says otherwise.
fn post(name: &str, action: ActionName, body: Value) -> HttpCase {
    HttpCase {
        name: name.to_owned(),
        settings: Vec::new(),
        setup: nothing,
        method: Method::POST,
        path: Some(format!("/v1/{action}")),
        link: None,
        token: Token::Right,
        content_type: JSON,
        body: body.to_string(),
        status: 200,
        answer: None,
        headers: vec![
            ("content-type", "application/json"),
            ("cache-control", "no-store"),
        ],
        sent: Vec::new(),
        after: nothing,
        pinned_clock: false,
        earlier: 0,
    }
}

fn refused(mut case: HttpCase, status: u16, reason: &str, message: &str) -> HttpCase {
    case.status = status;
    case.answer = Some(json!({"ok": false, "reason": reason, "message": message}));
    case
}

fn bad_request(name: &str, action: ActionName, body: &str, message: &str) -> HttpCase {
    let mut case = post(name, action, Value::Null);
    case.body = body.to_owned();
    refused(case, 400, "bad-request", message)
}

fn get(name: &str, path: &str) -> HttpCase {
    HttpCase {
        method: Method::GET,
        path: Some(path.to_owned()),
        token: Token::Missing,
        content_type: None,
        body: String::new(),
        ..post(name, ActionName::VerifyOrder, Value::Null)
    }
}

/// The action case `name` of the action table, sent as the JSON body a bot platform sends:
/// the same answer and the same requests.
fn action_case(name: &str) -> HttpCase {
    let case = cases::all()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no action case {name}"));
    HttpCase {
        setup: case.setup,
        answer: Some(case.answer.clone()),
        sent: case.sent.clone(),
        after: case.after,
        pinned_clock: case.answer.to_string().contains("retry after"),
        ..post(case.name, case.action, case.input.clone())
    }
}

/// The action case `name` with another body carrying the same inputs.
fn same_as(name: &str, why: &str, content_type: Option<&'static str>, body: &str) -> HttpCase {
    let mut case = action_case(name);
    case.name = format!("{name}, {why}");
    case.content_type = content_type;
    case.body = body.to_owned();
    case
}

const LINK_SECRET: &str = "test-link-secret-0123456789abcdef0123";

fn signed_links() -> Vec<(&'static str, String)> {
    vec![
        ("invoice-links", "signed".into()),
        ("invoice-link-secret", LINK_SECRET.into()),
        ("invoice-link-base-url", "https://bot.example.cz".into()),
    ]
}

fn invoice(name: &str, link: Link) -> HttpCase {
    HttpCase {
        path: None,
        link: Some(link),
        settings: signed_links(),
        ..get(name, "")
    }
}

/// The invoice's PDF answered with Upgates' 500, then a 404, then an error page as a 200.
fn pdf_fails_three_ways(fake: &FakeShop) {
    let pdf = |fault: Fault| fault.on(Method::GET, "/pdf");
    fake.push_fault(pdf(Fault::status(500)));
    fake.push_fault(pdf(Fault::status(404)));
    fake.push_fault(pdf(Fault::json(
        200,
        json!({"messages": [{"message": "Chyba"}]}),
    )));
}

/// The invoice's PDF answered with Upgates' 500 once.
fn pdf_fails_once(fake: &FakeShop) {
    fake.push_fault(Fault::status(500).on(Method::GET, "/pdf"));
}

/// The invoice's PDF answered with Upgates' 404 once.
fn pdf_not_found_once(fake: &FakeShop) {
    fake.push_fault(Fault::status(404).on(Method::GET, "/pdf"));
}

/// The invoice's PDF answered with Upgates' 500 six times.
fn pdf_fails_six_times(fake: &FakeShop) {
    for _ in 0..6 {
        fake.push_fault(Fault::status(500).on(Method::GET, "/pdf"));
    }
}

pub fn all() -> Vec<HttpCase> {
    use ActionName::*;
    let mut table: Vec<HttpCase> = cases::all()
        .into_iter()
        // An empty string is "not given" on the webhook: those cases are 400s below.
        .filter(|c| !c.input.as_object().unwrap().values().any(|v| v == ""))
        .map(|c| action_case(c.name))
        .collect();
    table.extend([
        // --- inputs as bot templates send them -------------------------------------------
        same_as("orders-by-phone: the last 30 days, newest first", "days as a string", JSON,
            r#"{"phone":"+420 601 223 344","days":"30"}"#),
        same_as("orders-by-phone: the last 30 days, newest first", "form-encoded", FORM,
            "phone=%2B420+601+223+344&days=30"),
        // A trunk 0 typed before a Czech mobile, in a Czech shop: the Czech customer.
        same_as("orders-by-phone: the last 30 days, newest first", "a trunk 0 before a Czech mobile", JSON,
            r#"{"phone":"0601 223 344","days":30}"#),
        same_as("verify-order: new order", "the order number as a JSON number", JSON,
            r#"{"order":2025000123}"#),
        // JSON has one kind of number: a float-only writer's whole numbers are whole numbers.
        same_as("verify-order: new order", "the order number as 2025000123.0", JSON,
            r#"{"order":2025000123.0}"#),
        same_as("orders-by-phone: the last 30 days, newest first", "days as 30.0", JSON,
            r#"{"phone":"+420 601 223 344","days":30.0}"#),
        // A long one, read exactly: the fast float parse lands one float off.
        HttpCase { answer: Some(json!({"ok": false, "reason": "not-found", "message": "no such order"})),
            sent: vec![Sent::get("/api/v2/orders/4049714486536174")],
            ..post("verify-order: the order number as 4049714486536174.0", VerifyOrder, Value::Null) }
            .with_body(r#"{"order":4049714486536174.0}"#),
        same_as("set-order-status: by id, quietly", "the status id as 3.0, notify as 0.0", JSON,
            r#"{"order":"2025000123","status":3.0,"notify":0.0}"#),
        // `curl -d '{...}'` labels JSON as a form.
        same_as("verify-order: new order", "JSON labelled as a form", FORM, r#"{"order":"2025000123"}"#),
        same_as("verify-order: new order", "no content type", None, r#"{"order":"2025000123"}"#),
        same_as("set-order-status: by id, quietly", "notify as \"0\"", JSON,
            r#"{"order":"2025000123","status":"3","notify":"0"}"#),
        same_as("set-order-status: by id, quietly", "notify empty: not given", JSON,
            r#"{"order":"2025000123","status":"3","notify":""}"#),
        same_as("set-order-status: by id, quietly", "the status id as a number", JSON,
            r#"{"order":"2025000123","status":3,"notify":false}"#),
        same_as("set-order-status: by id, quietly", "form-encoded", FORM,
            "order=2025000123&status=3&notify=false"),
        // --- what stays wrong: 400, nothing sent ------------------------------------------
        bad_request("an empty required input", VerifyOrder, r#"{"order":""}"#,
            "`order` is empty, and verify-order needs it (an unset template variable?)"),
        bad_request("a null required input", SetOrderStatus, r#"{"order":"2025000123","status":null}"#,
            "`status` is empty, and set-order-status needs it (an unset template variable?)"),
        bad_request("a missing input", OrderDetail, r#"{"order":"2025000123"}"#,
            "invalid input: `email` is required for order-detail"),
        bad_request("malformed JSON", VerifyOrder, r#"{"order":"#,
            "the body is not valid JSON (line 1, column 9)"),
        bad_request("not an object", OrderDetail, "[1]",
            "the body must be a JSON object of order-detail's inputs: order, email"),
        bad_request("an empty body", VerifyOrder, "",
            "the body is empty: send a JSON object of verify-order's inputs: order"),
        bad_request("an input given twice", VerifyOrder, r#"{"order":"2025000123","order":"2025000124"}"#,
            "`order` is given twice"),
        bad_request("an input the action does not take", VerifyOrder,
            r#"{"order":"2025000123","email":"jana@example.cz"}"#,
            "`email` is not an input of verify-order; it takes: order"),
        bad_request("an unknown key is not quoted", VerifyOrder, r#"{"jana@example.cz":"1"}"#,
            "a key is not an input of verify-order; it takes: order"),
        bad_request("days that are not a number", OrdersByPhone, r#"{"phone":"601223344","days":"thirty"}"#,
            "`days` must be a whole number of days, e.g. 30"),
        bad_request("notify that is not a yes or no", SetOrderStatus,
            r#"{"order":"2025000123","status":"3","notify":"maybe"}"#, "`notify` must be true or false"),
        bad_request("a phone that is a list", OrdersByPhone, r#"{"phone":["601223344"],"days":30}"#,
            "`phone` must be text (or a whole number)"),
        HttpCase { content_type: FORM, ..bad_request("a form field given twice", VerifyOrder,
            "order=2025000123&order=2025000124", "`order` is given twice") },
        refused(HttpCase { body: format!(r#"{{"order":"2025000123","text":"{}"}}"#, "x".repeat(70_000)),
            ..post("a body over 64 KiB", AppendNote, Value::Null) }, 413, "too-large",
            "the body is larger than 65536 bytes"),
        // --- who may call -------------------------------------------------------------------
        HttpCase { headers: vec![("www-authenticate", "Bearer")],
            ..refused(HttpCase { token: Token::Missing, ..post("no token", VerifyOrder, json!({"order": "2025000123"})) },
            401, "unauthenticated", "send `Authorization: Bearer <token>`") },
        HttpCase { headers: vec![("www-authenticate", "Bearer")],
            ..refused(HttpCase { token: Token::Wrong, ..post("a wrong token", AppendNote,
                json!({"order": "2025000123", "text": "x"})) },
            401, "unauthenticated", "send `Authorization: Bearer <token>`") },
        // --- routes -------------------------------------------------------------------------
        HttpCase { answer: Some(json!({"ok": true, "service": "upgates-bot", "version": ANY})),
            ..get("health", "/v1/health") },
        HttpCase { answer: Some(json!({"ok": true, "service": "upgates-bot", "version": ANY})),
            ..get("ready", "/v1/ready") },
        HttpCase { answer: Some(serde_json::from_str(upgates_webhook::openapi::DOCUMENT).expect("JSON")),
            headers: vec![("content-type", "application/json"), ("cache-control", "no-cache")],
            ..get("the OpenAPI document, no token", "/v1/openapi.json") },
        HttpCase { headers: vec![("allow", "GET")],
            ..refused(HttpCase { method: Method::POST, ..get("the OpenAPI document takes GET", "/v1/openapi.json") },
            405, "method-not-allowed", "this route takes GET only") },
        refused(get("an unknown route", "/v1/drop-table"), 404, "no-route",
            "no such route: POST /v1/<action>, POST /mcp, GET /v1/health, GET /v1/ready, GET /v1/invoice/<token>; GET /v1/openapi.json lists them all"),
        refused(HttpCase { token: Token::Right, ..post("a shop this server does not serve", VerifyOrder,
            json!({"order": "2025000123"})) }.at("/v1/shops/elsewhere/verify-order"),
            404, "no-route", "no shop named `elsewhere` is served here"),
        HttpCase { headers: vec![("allow", "POST")],
            ..refused(get("an action takes POST", "/v1/verify-order"), 405, "method-not-allowed",
            "this route takes POST only") },
        HttpCase { headers: vec![("allow", "GET")],
            ..refused(HttpCase { method: Method::POST, ..get("health takes GET", "/v1/health") }, 405,
            "method-not-allowed", "this route takes GET only") },
        // --- signed invoice links -------------------------------------------------------
        HttpCase { settings: signed_links(),
            answer: Some(json!({"ok": true, "vars": {"invoice": "found", "invoicenumber": "FV2025001",
                "invoiceurl": ANY}})),
            ..action_case("order-documents: found") }.named("order-documents: found, a signed link"),
        HttpCase { status: 200, answer: None,
            headers: vec![("content-type", "application/pdf"), ("cache-control", "private, no-store"),
                ("content-disposition", "inline; filename=\"FV2025001.pdf\"")],
            sent: vec![Sent::get("/api/v2/invoices/FV2025001/pdf")],
            ..invoice("a signed link's PDF", Link::Valid) },
        // `invoice-link-downloads` (3): a link is counted before Upgates is asked.
        HttpCase { earlier: 3,
            headers: vec![("content-type", "application/json"), ("cache-control", "no-store")],
            sent: vec![Sent::get("/api/v2/invoices/FV2025001/pdf"); 3],
            ..refused(invoice("a signed link's fourth download", Link::Valid), 410, "link-used-up",
            "this invoice link has been downloaded as often as it may be: ask the bot for a new one") },
        HttpCase { settings: [signed_links(), vec![("invoice-link-downloads", "1".into())]].concat(),
            earlier: 1,
            sent: vec![Sent::get("/api/v2/invoices/FV2025001/pdf")],
            ..refused(invoice("a link of one download, the second time", Link::Valid), 410,
            "link-used-up",
            "this invoice link has been downloaded as often as it may be: ask the bot for a new one") },
        // A download that got no PDF (Upgates' 500, a 404, an error page sent as 200) is
        // given back: the link still opens three times.
        HttpCase { setup: pdf_fails_three_ways, earlier: 5,
            headers: vec![("content-type", "application/pdf"), ("cache-control", "private, no-store"),
                ("content-disposition", "inline; filename=\"FV2025001.pdf\"")],
            sent: vec![Sent::get("/api/v2/invoices/FV2025001/pdf"); 6],
            ..invoice("a link whose first three downloads got no PDF, the third PDF", Link::Valid) },
        HttpCase { setup: pdf_fails_three_ways, earlier: 6,
            headers: vec![("content-type", "application/json"), ("cache-control", "no-store")],
            sent: vec![Sent::get("/api/v2/invoices/FV2025001/pdf"); 6],
            ..refused(invoice("a link whose first three downloads got no PDF, the fourth PDF", Link::Valid),
            410, "link-used-up",
            "this invoice link has been downloaded as often as it may be: ask the bot for a new one") },
        // Each download that got no PDF, answered on its own.
        HttpCase { setup: pdf_fails_once,
            headers: vec![("content-type", "application/json"), ("cache-control", "no-store")],
            sent: vec![Sent::get("/api/v2/invoices/FV2025001/pdf")],
            ..refused(invoice("a link whose PDF gets Upgates' 500", Link::Valid), 502, "upstream",
            "unexpected answer from Upgates: Upgates answered HTTP 500") },
        HttpCase { setup: pdf_not_found_once,
            headers: vec![("content-type", "application/json"), ("cache-control", "no-store")],
            sent: vec![Sent::get("/api/v2/invoices/FV2025001/pdf")],
            ..refused(invoice("a link whose PDF gets Upgates' 404", Link::Valid), 404, "not-found",
            "no such order") },
        // Only three failures are given back: a link whose PDF keeps failing costs Upgates six
        // requests, then is used up.
        HttpCase { setup: pdf_fails_six_times, earlier: 6,
            sent: vec![Sent::get("/api/v2/invoices/FV2025001/pdf"); 6],
            ..refused(invoice("a link whose PDF keeps failing, the seventh time", Link::Valid),
            410, "link-used-up",
            "this invoice link has been downloaded as often as it may be: ask the bot for a new one") },
        refused(invoice("another shop's link", Link::Foreign), 403, "link-refused",
            "this invoice link is expired or invalid: ask the bot for a new one"),
        refused(HttpCase { settings: Vec::new(), ..invoice("links when the shop hands out Upgates' own", Link::Valid) },
            404, "no-route",
            "no such route: POST /v1/<action>, POST /mcp, GET /v1/health, GET /v1/ready, GET /v1/invoice/<token>; GET /v1/openapi.json lists them all"),
    ]);
    table
}

impl HttpCase {
    fn at(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    fn with_body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }

    fn named(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// The request, for a server whose shop's API is `api_url` and whose clock reads `now`.
    fn request(&self, api_url: &str, now: SystemTime) -> http::Request<Full<Bytes>> {
        let path = match (self.link, &self.path) {
            (Some(link), _) => {
                let secret = match link {
                    Link::Valid => LINK_SECRET,
                    Link::Foreign => "another-shops-secret-0123456789abcdef",
                };
                let token = upgates_core::invoice_link::sign(
                    secret,
                    api_url,
                    "2025000124",
                    "FV2025001",
                    now + Duration::from_secs(600),
                );
                format!("/v1/invoice/{token}")
            }
            (None, Some(path)) => path.clone(),
            (None, None) => unreachable!("a case has a path or a link"),
        };
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(path);
        if let Some(content_type) = self.content_type {
            builder = builder.header("content-type", content_type);
        }
        builder = match self.token {
            Token::Right => builder.header("authorization", format!("Bearer {TOKEN}")),
            Token::Wrong => builder.header("authorization", "Bearer wrong-token-0123456789"),
            Token::Missing => builder,
        };
        builder
            .body(Full::new(Bytes::from(self.body.clone())))
            .expect("a request")
    }

    fn variables(&self, api_url: &str) -> HashMap<String, String> {
        let origin = api_url.trim_end_matches("/api/v2");
        let mut variables: HashMap<String, String> = [
            ("api_url", api_url),
            ("api_origin", origin),
            ("api_login", SAMPLE_LOGIN),
            ("api_key", SAMPLE_KEY),
            ("bot_token", TOKEN),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (key, value) in &self.settings {
            variables.insert(key.replace('-', "_"), value.clone());
        }
        variables
    }

    /// The answer, the requests, the shop afterwards. `dated`: the server's clock is the real
    /// one, so the period's start in a query and the orders' dates are not the table's.
    fn check(&self, server: &str, answer: &Answer, fake: &FakeShop, dated: bool) {
        let name = format!("{server}: {}", self.name);
        assert_eq!(answer.status.as_u16(), self.status, "{name}: {answer:?}");
        self.check_documented(&name, answer);
        // Every answer: a link's token must not leave in a `Referer` (docs/webhook.md).
        assert_eq!(
            answer
                .headers
                .get("referrer-policy")
                .map(|v| v.to_str().unwrap()),
            Some("no-referrer"),
            "{name}: referrer-policy"
        );
        for (header, value) in &self.headers {
            assert_eq!(
                answer.headers.get(*header).map(|v| v.to_str().unwrap()),
                Some(*value),
                "{name}: {header}"
            );
        }
        match &self.answer {
            Some(expected) => {
                let got: Value = serde_json::from_slice(&answer.body).unwrap_or_else(|e| {
                    panic!(
                        "{name}: not JSON ({e}): {}",
                        String::from_utf8_lossy(&answer.body)
                    )
                });
                let expected = if dated {
                    undated(expected)
                } else {
                    expected.clone()
                };
                let got = if dated { undated(&got) } else { got };
                assert!(
                    support::matches(&expected, &got),
                    "{name}: answer\n  got  {got}\n  want {expected}"
                );
                // A signed link is ours, not Upgates' URL.
                if let Some(url) = got["vars"]["invoiceurl"].as_str()
                    && self
                        .settings
                        .iter()
                        .any(|(k, v)| *k == "invoice-links" && v == "signed")
                {
                    assert!(
                        url.starts_with("https://bot.example.cz/v1/invoice/"),
                        "{name}: {url}"
                    );
                }
                // Amounts as the seed writes them: two decimals.
                if let Some(topay) = got["vars"]["topay"].as_f64() {
                    let text = String::from_utf8_lossy(&answer.body);
                    assert!(
                        text.contains(&format!("\"topay\":{topay:.2}")),
                        "{name}: {text}"
                    );
                }
            }
            None => assert!(answer.body.starts_with(b"%PDF-"), "{name}: a PDF"),
        }
        let mut requests = sent(fake);
        let mut want = self.sent.clone();
        if dated {
            requests
                .iter_mut()
                .chain(want.iter_mut())
                .for_each(undate_query);
        }
        assert_eq!(requests, want, "{name}: requests");
        // Every request with a body says how long it is (a real `spin up` once sent them
        // chunked); no GET has a length.
        for request in fake.requests() {
            support::check_length(&name, &request);
        }
        (self.after)(fake);
    }
}

impl HttpCase {
    /// The answer is one the OpenAPI document promises for this request, and the request,
    /// when answered `200`, one it says the server takes.
    fn check_documented(&self, name: &str, answer: &Answer) {
        let exchange = openapi::Exchange {
            method: self.method.as_str(),
            // A link's token is one path segment, as any other token.
            path: self.path.as_deref().unwrap_or("/v1/invoice/a-link-token"),
            request_content_type: self.content_type,
            request_body: &self.body,
            status: answer.status.as_u16(),
            content_type: answer
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            body: &answer.body,
        };
        let contract = openapi::Contract::served();
        if let Err(problem) = contract
            .check(&exchange)
            .and_then(|()| contract.check_headers(&exchange, &answer.headers))
        {
            panic!("{name}: not as docs/openapi.yaml says: {problem}");
        }
    }
}

/// `date` and `datetext` of `orders-by-phone`'s orders, as any string.
fn undated(value: &Value) -> Value {
    let mut value = value.clone();
    let orders = value
        .get_mut("vars")
        .and_then(|vars| vars.get_mut("orders"))
        .and_then(Value::as_array_mut);
    if let Some(orders) = orders {
        for order in orders {
            for key in ["date", "datetext"] {
                if order.get(key).is_some_and(Value::is_string) {
                    order[key] = json!(ANY);
                }
            }
        }
    }
    value
}

fn undate_query(sent: &mut Sent) {
    if let Some(query) = &mut sent.query {
        *query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some(("creation_time_from", _)) => "creation_time_from=<then>".to_owned(),
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&");
    }
}

/// Every case answers alike through the Spin app in the wasmtime harness (pinned clock,
/// in-process fake).
#[tokio::test(flavor = "multi_thread")]
async fn the_table_through_the_spin_app() {
    for case in all() {
        let fake = sample_shop();
        (case.setup)(&fake);
        let kv = Kv::default();
        for _ in 0..case.earlier {
            let request = case.request(API_URL, support::now());
            spin_harness::serve_raw(&fake, case.variables(API_URL), &kv, request).await;
        }
        let reply = spin_harness::serve_raw(
            &fake,
            case.variables(API_URL),
            &kv,
            case.request(API_URL, support::now()),
        )
        .await;
        let answer = Answer {
            status: reply.status,
            headers: reply.headers,
            body: reply.body,
        };
        case.check("spin app", &answer, &fake, false);
    }
}

/// The table on a server of its own process over real HTTP, on the real clock: a fresh fake
/// shop on a loopback port and a fresh `start`ed server per case (a fresh cache and attempt
/// count). The cases that need the pinned clock are skipped, and named.
async fn the_table_through(server: &str, start: impl Fn(&HttpCase, &str) -> servers::Process) {
    let (table, pinned): (Vec<_>, Vec<_>) = all().into_iter().partition(|c| !c.pinned_clock);
    for case in &pinned {
        eprintln!("{server}: skipped {} (needs the pinned clock)", case.name);
    }
    for case in table {
        let fake = FakeShop::sample(SystemTime::now());
        (case.setup)(&fake);
        let upgates = fake.serve().await.expect("the fake shop listens");
        let process = start(&case, &upgates.api_url());
        // One clock reading: the same link each time.
        let now = SystemTime::now();
        for _ in 0..case.earlier {
            servers::send(&process.base, case.request(&upgates.api_url(), now)).await;
        }
        let answer = servers::send(&process.base, case.request(&upgates.api_url(), now)).await;
        case.check(server, &answer, &fake, true);
    }
}

/// The same table through `upgates serve`: the binary, its settings as the `UPGATES_*`
/// variables.
#[tokio::test(flavor = "multi_thread")]
async fn the_table_through_upgates_serve() {
    the_table_through("upgates serve", |case, api_url| {
        let mut env = vec![
            ("UPGATES_API_URL".to_owned(), api_url.to_owned()),
            ("UPGATES_API_LOGIN".to_owned(), SAMPLE_LOGIN.to_owned()),
            ("UPGATES_API_KEY".to_owned(), SAMPLE_KEY.to_owned()),
            ("UPGATES_BOT_TOKEN".to_owned(), TOKEN.to_owned()),
        ];
        for (key, value) in &case.settings {
            let name = format!("UPGATES_{}", key.replace('-', "_").to_ascii_uppercase());
            env.push((name, value.clone()));
        }
        servers::upgates_serve(crate::UPGATES, &env, &[])
    })
    .await;
}

/// The same table through a real `spin up` of spin.toml, where a spin CLI is installed (CI
/// sets UPGATES_SPIN): what only the harness supplies cannot hide.
#[tokio::test(flavor = "multi_thread")]
async fn the_table_through_a_real_spin_up() {
    let Some(spin) = servers::spin_binary() else {
        eprintln!(
            "SKIPPED the_table_through_a_real_spin_up: no spin CLI (set UPGATES_SPIN or put spin on PATH)"
        );
        return;
    };
    the_table_through("spin up", |case, api_url| {
        servers::spin_up(&spin, &case.variables(api_url))
    })
    .await;
}
