//! Property tests over the input normalisers (what a customer types) and the response parsers
//! (what Upgates answers), through the public API: `upgates_core::input` and `Shop` over a
//! recording `Upstream`.

mod common;

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Number, Value, json};
use upgates_core::input::{self, StatusRef};
use upgates_core::{
    ActionInput, ActionName, Answer, ApiRequest, ApiResponse, Failure, Method, ShopConfig, render,
};

use common::{API, EMAIL, OLD_NOTE, ORDER, Recorder, block_on, canned, run, shop, valid_input};

// --- strategies: what a customer might type ------------------------------------------------

/// Strings that have broken URL builders, JSON encoders and validators elsewhere.
const NASTY: &[&str] = &[
    "",
    " ",
    "\t",
    "\u{a0}",
    ".",
    "..",
    "../",
    "../../etc/passwd",
    "/",
    "?",
    "#",
    "&",
    ";",
    "=",
    "%",
    "%2F",
    "%2e%2e",
    "?&;#=%",
    "1' OR '1'='1",
    "{\"a\":1}",
    "\\",
    "\"",
    "\u{0}",
    "\u{7}",
    "\n",
    "\r\n",
    "\u{1b}[31m",
    "\u{202e}",
    "\u{200b}",
    "\u{2028}",
    "\u{feff}",
    "а",
    "２０２５",
    "٢٠٢٥",
    "😀",
    "👍🏽",
    "👨‍👩‍👧",
    "2025000123",
    "+420",
    "00",
    "jana.novakova@example.cz",
];

fn nasty() -> impl Strategy<Value = String> {
    select(NASTY).prop_map(str::to_owned)
}

/// Nasty pieces glued around plausible text.
fn glued(core: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (nasty(), core, nasty()).prop_map(|(a, b, c)| format!("{a}{b}{c}"))
}

/// Any string, printable ASCII, injection-looking strings, and near-valid order numbers.
fn order_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,48}",
        r"\s{0,2}[A-Za-z0-9._-]{1,44}\s{0,2}",
        "[A-Za-z0-9./?#&;=% \\\\-]{0,12}",
        glued("[0-9]{0,10}".prop_map(String::from)),
    ]
}

fn phone_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,44}",
        r"[+0-9 ()./\-]{0,24}",
        r"(\+|00)?[0-9 ]{6,20}",
        glued("[0-9 ]{0,12}".prop_map(String::from)),
    ]
}

fn email_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        "[a-zA-Z0-9.+_-]{1,12}@[a-zA-Z0-9.-]{1,12}",
        "[a-zA-Zěščřžýáíéúůň]{1,8}@[a-zA-Zа-я.-]{1,10}",
        glued("[a-z]{1,5}@[a-z]{1,5}\\.cz".prop_map(String::from)),
    ]
}

/// Free text: anything, plus text heavy in JSON-significant characters, emoji and line breaks.
fn text_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\"\\\\{}\\[\\]<>&'/:,😀👍🏽\u{200d}\u{202e}\u{2028}\u{a0}\n\r\t a-zA-Záčř]{0,40}",
        glued(any::<String>()),
    ]
}

/// Each letter whose other case is one character of the same length flipped, or not.
fn flip_case(s: &str, flips: &[bool]) -> String {
    s.chars()
        .zip(flips.iter().copied().chain(std::iter::repeat(false)))
        .map(|(c, flip)| {
            if !flip {
                return c;
            }
            let other: Vec<char> = if c.is_uppercase() {
                c.to_lowercase().collect()
            } else {
                c.to_uppercase().collect()
            };
            // Only true case pairs: same length, and back to the same lowercase (the micro
            // sign `µ` uppercases to Greek `Μ`, whose lowercase is `μ`, another letter).
            match other.as_slice() {
                [o] if o.len_utf8() == c.len_utf8() && o.to_lowercase().eq(c.to_lowercase()) => *o,
                _ => c,
            }
        })
        .collect()
}

// --- helpers ---------------------------------------------------------------------------------

fn is_invalid(result: &Result<impl std::fmt::Debug, Failure>) -> bool {
    matches!(result, Err(Failure::InvalidInput(_)))
}

fn body_json(request: &ApiRequest) -> Value {
    let body = request.body.as_deref().expect("a PUT has a body");
    serde_json::from_slice(body).expect("the body is valid JSON")
}

/// `<api>/orders/<segment>`: the segment, when `url` is exactly that.
fn order_segment(url: &str) -> Option<&str> {
    url.strip_prefix(API)?.strip_prefix("/orders/")
}

/// The URL is one the actions may send: the configured API plus a known path, one segment
/// per value, no fragment, no dot segment, a query only on the two listing endpoints.
fn assert_confined(request: &ApiRequest) {
    let url = &request.url;
    let rest = url
        .strip_prefix(API)
        .unwrap_or_else(|| panic!("{url} is not under the API URL"));
    assert!(!url.contains('#'), "{url}: fragment");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    assert!(
        !query.is_some_and(|q| q.contains('?')),
        "{url}: two queries"
    );
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for segment in &segments {
        let decoded = percent_decode_str(segment).decode_utf8_lossy();
        assert!(
            !segment.is_empty() && decoded != "." && decoded != "..",
            "{url}: empty or dot segment"
        );
    }
    match (request.method, segments.as_slice(), query) {
        (Method::Get, ["orders"], Some(_)) => {}
        (Method::Get, ["orders", _], None) => {}
        (Method::Get, ["products", "simple"], Some(q)) => assert!(q.starts_with("product_ids=")),
        (Method::Get, ["invoices", _], None) => {}
        (Method::Put, ["orders"], None) => {}
        (Method::Post, ["orders", _, "history"], None) => {}
        other => panic!("unexpected request {other:?}"),
    }
}

// --- phone -----------------------------------------------------------------------------------

/// A number in E.164 form (country code 1-3 digits, then the subscriber number; 8-15 digits).
/// Never `4200…` or `4210…`, which read as +420/+421 with a trunk 0 kept: the codes are
/// [`country_code`]'s, and a Czech or Slovak subscriber number starts with 1-9, as theirs do.
fn msisdn() -> impl Strategy<Value = String> {
    (country_code(), 8usize..=15).prop_flat_map(|(cc, total)| {
        let rest = total.saturating_sub(cc.len()).max(1);
        let first = if cc == "420" || cc == "421" {
            "[1-9]"
        } else {
            "[0-9]"
        };
        proptest::string::string_regex(&format!("{first}[0-9]{{{}}}", rest - 1))
            .expect("valid regex")
            .prop_map(move |sub| format!("{cc}{sub}"))
    })
}

/// `4200…`/`4210…`: `+` and these digits read as +420/+421 with a trunk 0.
fn trunk_after_cz_sk(digits: &str) -> bool {
    digits.starts_with("4200") || digits.starts_with("4210")
}

/// A country code: Czech and Slovak ones often, any other 1-3 digits too but 4 and 42. Those
/// are no country's code, and with them a number could begin `4200…`/`4210…` (`+4` and
/// `200…`), which is +420 with a trunk 0: drawn, they become 43 and 423 (Austria,
/// Liechtenstein), so no draw is rejected.
fn country_code() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("420".to_owned()),
        Just("421".to_owned()),
        "[1-9][0-9]{0,2}".prop_map(|cc| match cc.as_str() {
            "4" => "43".to_owned(),
            "42" => "423".to_owned(),
            _ => cc,
        })
    ]
}

/// A 9-digit national number, often with a first digit that decides something (Czech 6 and
/// 7, Slovak 9 and Bratislava's 2).
fn national_number() -> impl Strategy<Value = String> {
    prop_oneof!["[2679][0-9]{8}", "[1-9][0-9]{8}"]
}

/// The country a national number (`trunk`: written with a leading 0) belongs to in a shop
/// whose default is `cc`, from the numbering plans: Czech numbers have no trunk 0 and their
/// mobiles are 60x and 7xx, Slovakia has no 6xx and 7xx numbers and writes a trunk 0.
fn national_country<'a>(cc: &'a str, national: &str, trunk: bool) -> &'a str {
    let czech_or_slovak = cc == "420" || cc == "421";
    if czech_or_slovak && national.starts_with(['6', '7']) {
        "420"
    } else if trunk && cc == "420" {
        "421"
    } else {
        cc
    }
}

/// Writes `digits` in groups of 1-4 with a separator between groups, optionally bracketing
/// one group; `prefix` in front. At most 15 digits + 7 separators + brackets + prefix < 40 bytes.
fn formatted(
    prefix: &str,
    digits: &str,
    groups: &[usize],
    seps: &[&str],
    bracket: usize,
) -> String {
    let mut out = prefix.to_owned();
    let mut rest = digits;
    let mut i = 0;
    while !rest.is_empty() {
        let take = groups
            .get(i)
            .copied()
            .unwrap_or(4)
            .clamp(2, 4)
            .min(rest.len());
        let (group, tail) = rest.split_at(take);
        if i > 0 {
            out.push_str(seps.get(i % seps.len().max(1)).copied().unwrap_or(" "));
        }
        if i == bracket {
            out.push('(');
            out.push_str(group);
            out.push(')');
        } else {
            out.push_str(group);
        }
        rest = tail;
        i += 1;
    }
    out
}

fn separators() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(select(&["", " ", "-", ".", "\u{a0}", " - "][..]), 1..4)
}

proptest! {
    #[test]
    fn phone_accepted_is_an_msisdn(raw in phone_like(), cc in "[1-9][0-9]{0,2}") {
        if let Ok(msisdn) = input::phone(&raw, &cc) {
            prop_assert!((8..=15).contains(&msisdn.len()), "{raw:?} -> {msisdn}");
            prop_assert!(msisdn.bytes().all(|b| b.is_ascii_digit()), "{raw:?} -> {msisdn}");
            prop_assert!(!msisdn.starts_with('0'), "{raw:?} -> {msisdn}");
        }
    }

    #[test]
    fn phone_international_variants_agree(
        number in msisdn(),
        plus in any::<bool>(),
        groups in prop::collection::vec(2usize..=4, 0..8),
        seps in separators(),
        bracket in 0usize..10,
        pad in select(&["", " ", "\u{a0}"][..]),
    ) {
        prop_assert!(!trunk_after_cz_sk(&number), "{}", number);
        let prefix = if plus { "+" } else { "00" };
        let written = format!("{pad}{}{pad}", formatted(prefix, &number, &groups, &seps, bracket));
        prop_assert_eq!(input::phone(&written, "420"), Ok(number.clone()), "{:?}", written);
        // The same digits with a `+` are the same number whichever default country applies.
        prop_assert_eq!(input::phone(&format!("+{number}"), "421"), Ok(number));
    }

    #[test]
    fn phone_national_variants_agree(
        national in national_number(),
        trunk in any::<bool>(),
        cc in country_code(),
        groups in prop::collection::vec(2usize..=4, 0..6),
        seps in separators(),
        bracket in 0usize..6,
    ) {
        let digits = if trunk { format!("0{national}") } else { national.clone() };
        let written = formatted("", &digits, &groups, &seps, bracket);
        let want = format!("{}{national}", national_country(&cc, &national, trunk));
        prop_assert_eq!(input::phone(&written, &cc), Ok(want.clone()), "{:?}", written);
        // With a `+` the digits are the number ([`country_code`] makes no `4200…`/`4210…`).
        prop_assert!(!trunk_after_cz_sk(&want), "{}", want);
        prop_assert_eq!(input::phone(&format!("+{want}"), "420"), Ok(want));
    }

    /// A country code the configuration accepts works for national numbers: a config that
    /// makes every 9-digit number `invalid-input` must be refused as `misconfigured` instead.
    #[test]
    fn configured_country_code_makes_national_numbers_valid(
        cc in prop_oneof![Just("420".to_owned()), Just("421".to_owned()), "[0-9]{1,3}"],
        national in national_number(),
    ) {
        if let Ok(config) = ShopConfig::new(API, "bot", "k3y", &cc) {
            let got = input::phone(&national, &config.default_country_code);
            let country = national_country(&config.default_country_code, &national, false);
            prop_assert_eq!(got, Ok(format!("{country}{national}")));
        }
    }

    #[test]
    fn phone_query_is_confined(raw in phone_like()) {
        let recorder = Recorder::canned();
        let result = block_on(shop(&recorder).orders_by_phone(&raw, 30));
        let sent = recorder.sent();
        match input::phone(&raw, "420") {
            Err(e) => {
                prop_assert_eq!(result, Err(e));
                prop_assert!(sent.is_empty());
            }
            Ok(msisdn) => {
                prop_assert_eq!(sent.len(), 1);
                let url = &sent[0].url;
                assert_confined(&sent[0]);
                let query = url
                    .strip_prefix(&format!("{API}/orders?"))
                    .expect("GET <api>/orders?...");
                let keys: Vec<&str> = query.split('&').map(|p| p.split('=').next().unwrap_or("")).collect();
                prop_assert_eq!(
                    keys,
                    ["phone", "creation_time_from", "order_by", "order_dir", "page"]
                );
                let phone_pair = format!("phone={msisdn}&");
                prop_assert!(query.starts_with(&phone_pair));
            }
        }
    }
}

// --- order numbers ---------------------------------------------------------------------------

const ORDER_ACTIONS: [ActionName; 8] = [
    ActionName::VerifyOrder,
    ActionName::OrderDetail,
    ActionName::CustomerEmail,
    ActionName::SetOrderStatus,
    ActionName::VerifyCustomer,
    ActionName::AppendNote,
    ActionName::ReplaceNote,
    ActionName::OrderDocuments,
];

proptest! {
    #[test]
    fn order_number_accepted_is_plain(raw in order_like()) {
        if let Ok(n) = input::order_number(&raw) {
            prop_assert_eq!(n.as_str(), raw.trim());
            prop_assert!(!n.is_empty() && n.chars().count() <= input::MAX_ORDER_NUMBER);
            prop_assert!(n.starts_with(|c: char| c.is_ascii_alphanumeric()), "{n:?}");
            prop_assert!(
                n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
                "{n:?}"
            );
        }
    }

    /// Any string as an order number, in every action that takes one: refused before any
    /// request, or the order is read at exactly `<api>/orders/<n>` / written with exactly `n`.
    #[test]
    fn order_number_never_escapes_its_path(raw in order_like()) {
        for action in ORDER_ACTIONS {
            let recorder = Recorder::canned();
            let input = ActionInput { order: Some(raw.clone()), ..valid_input(action) };
            let result = run(&recorder, action, &input);
            let sent = recorder.sent();
            for request in &sent {
                assert_confined(request);
            }
            match input::order_number(&raw) {
                Err(e) => {
                    prop_assert_eq!(result, Err(e), "{}", action);
                    prop_assert!(sent.is_empty(), "{}: {:?}", action, sent);
                }
                Ok(n) => {
                    prop_assert!(result.is_ok(), "{}: {:?}", action, result);
                    let first = &sent[0];
                    match first.method {
                        Method::Get => {
                            let segment = order_segment(&first.url);
                            prop_assert_eq!(segment, Some(n.as_str()), "{}", first.url);
                        }
                        Method::Put | Method::Post => {
                            prop_assert_eq!(&first.url, &format!("{API}/orders"));
                            prop_assert_eq!(&body_json(first)["orders"][0]["order_number"], &json!(n));
                        }
                    }
                }
            }
        }
    }
}

// --- e-mail ----------------------------------------------------------------------------------

proptest! {
    #[test]
    fn same_email_is_reflexive_and_symmetric(a in email_like(), b in email_like()) {
        prop_assert!(input::same_email(&a, &a));
        prop_assert_eq!(input::same_email(&a, &b), input::same_email(&b, &a));
    }

    #[test]
    fn same_email_ignores_case_and_padding(
        a in email_like(),
        flips in prop::collection::vec(any::<bool>(), 0..48),
        pad in select(&["", " ", "\t", " \u{a0}"][..]),
    ) {
        let b = format!("{pad}{}{pad}", flip_case(&a, &flips));
        prop_assert!(input::same_email(&a, &b), "{a:?} vs {b:?}");
        prop_assert!(input::same_email(&b, &a), "{b:?} vs {a:?}");
        prop_assert!(input::same_email(&a.to_ascii_uppercase(), &a.to_ascii_lowercase()));
    }

    #[test]
    fn email_accepted_is_one_plain_address(raw in email_like()) {
        if let Ok(e) = input::email(&raw) {
            prop_assert_eq!(e.as_str(), raw.trim());
            prop_assert!(e.len() <= input::MAX_EMAIL);
            prop_assert!(!e.chars().any(|c| c.is_whitespace() || c.is_control()), "{e:?}");
            let (local, domain) = e.split_once('@').expect("an @");
            prop_assert!(!local.is_empty());
            prop_assert!(
                domain.split('.').all(|label| !label.is_empty()
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')),
                "{e:?}: the domain is not a host name"
            );
        }
    }

    /// The e-mail is only compared, never sent: any input is refused before a request or
    /// costs exactly the one order read, and verifies exactly when it is the order's.
    #[test]
    fn email_is_compared_not_sent(raw in email_like()) {
        let recorder = Recorder::canned();
        let result = block_on(shop(&recorder).verify_customer(ORDER, &raw)).map(drop);
        let sent = recorder.sent();
        match input::email(&raw) {
            Err(e) => {
                prop_assert_eq!(result, Err(e));
                prop_assert!(sent.is_empty());
            }
            Ok(e) => {
                prop_assert_eq!(sent.len(), 1);
                prop_assert_eq!(&sent[0].url, &format!("{API}/orders/{ORDER}"));
                let want = if input::same_email(EMAIL, &e) { Ok(()) } else { Err(Failure::NotVerified) };
                prop_assert_eq!(result, want);
            }
        }
    }
}

// --- note text and status names --------------------------------------------------------------

proptest! {
    #[test]
    fn note_text_is_sent_byte_for_byte(text in text_like()) {
        let recorder = Recorder::canned();
        let result = block_on(shop(&recorder).replace_note(ORDER, &text, None));
        let sent = recorder.sent();
        match input::note_text(&text) {
            Err(e) => {
                prop_assert_eq!(result, Err(e));
                prop_assert!(sent.is_empty());
            }
            Ok(accepted) => {
                // Trimmed (a shop may trim, and `verify-appends` looks for the text as sent),
                // otherwise byte for byte.
                prop_assert_eq!(accepted.as_str(), text.trim());
                prop_assert_eq!(result, Ok(()));
                // The PUT, then its record in the order's history.
                prop_assert_eq!(sent.len(), 2);
                prop_assert_eq!(sent[1].method, Method::Post);
                prop_assert_eq!(sent[0].method, Method::Put);
                prop_assert_eq!(sent[0].header("content-type"), Some("application/json"));
                let body = body_json(&sent[0]);
                prop_assert_eq!(&body["orders"][0]["internal_note"], &Value::String(accepted.clone()));
                // The raw body carries the string as serde_json escapes it.
                let raw = String::from_utf8(sent[0].body.clone().unwrap_or_default()).expect("UTF-8");
                let encoded = serde_json::to_string(&accepted).expect("a string serialises");
                prop_assert!(raw.contains(&encoded));
            }
        }
    }

    #[test]
    fn appended_note_keeps_old_and_new_text_intact(text in text_like()) {
        let recorder = Recorder::canned();
        let result = block_on(shop(&recorder).append_note(ORDER, &text, None));
        let sent = recorder.sent();
        if input::note_text(&text).is_ok() {
            prop_assert_eq!(result, Ok(()));
            prop_assert_eq!(sent.len(), 3);
            let body = body_json(&sent[1]);
            prop_assert_eq!(
                &body["orders"][0]["internal_note"],
                &Value::String(format!("{OLD_NOTE}\n{}", text.trim()))
            );
        } else {
            prop_assert!(is_invalid(&result));
            prop_assert!(sent.is_empty());
        }
    }

    #[test]
    fn status_is_an_id_or_sent_intact(raw in text_like()) {
        let recorder = Recorder::canned();
        let result = block_on(shop(&recorder).set_order_status(ORDER, &raw, false, None));
        let sent = recorder.sent();
        match input::status(&raw) {
            Err(e) => {
                prop_assert_eq!(result, Err(e));
                prop_assert!(sent.is_empty());
            }
            Ok(status) => {
                prop_assert_eq!(result, Ok(()));
                // The PUT and its history record.
                prop_assert_eq!(sent.len(), 2);
                let order = body_json(&sent[0])["orders"][0].clone();
                let want = match status {
                    StatusRef::Id(id) => json!({"order_number": ORDER, "status_id": id}),
                    StatusRef::Name(name) => {
                        prop_assert_eq!(name.as_str(), raw.trim());
                        json!({"order_number": ORDER, "status": name})
                    }
                };
                prop_assert_eq!(order, want);
            }
        }
    }
}

// --- response parsers ------------------------------------------------------------------------

/// Field names the parsers look for, so generated JSON often has the expected shape.
const KEYS: &[&str] = &[
    "orders",
    "invoices",
    "products",
    "product_id",
    "manufacturer",
    "current_page",
    "number_of_pages",
    "number_of_items",
    "order_number",
    "status",
    "paid_date",
    "order_total",
    "currency_id",
    "tracking_code",
    "tracking_url",
    "internal_note",
    "creation_time",
    "invoice_number",
    "admin_url",
    "customer",
    "email",
    "phone",
    "payment",
    "shipment",
    "name",
    "code",
    "title",
    "type",
    "updated_yn",
    "messages",
    "message",
    "level",
    "invoice_pdf_url",
    "manufacturer",
    "date",
    "timezone",
    "api_url",
];

fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => nasty(),
        2 => select(&[
            ORDER, EMAIL, "JANA.NOVAKOVA@EXAMPLE.CZ", "1230,50", " 12.5 ", "1e999", "-1", "NaN",
            "0", "1", "true", "discount", "set_part", "HRN-1", "FV2025001",
            "https://demo.example/x.pdf", "2026-11-20T10:00:00+01:00",
            "4294967296", "18446744073709551616",
        ][..]).prop_map(str::to_owned),
        2 => any::<String>(),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        select(
            &[
                0.0,
                -0.0,
                0.5,
                1e300,
                -1e300,
                f64::MAX,
                f64::MIN_POSITIVE,
                4294967296.0
            ][..]
        )
        .prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        json_string().prop_map(Value::String),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![4 => select(KEYS).prop_map(str::to_owned), 1 => any::<String>()]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((json_key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// An envelope like Upgates': `{"orders"|"invoices"|"products": [objects with known fields]}`.
fn envelope() -> impl Strategy<Value = Value> {
    let item = (
        prop::collection::btree_map(select(KEYS), json_value(), 0..10),
        any::<bool>(),
    )
        .prop_map(|(mut fields, customers): (BTreeMap<&str, Value>, bool)| {
            // Half the time the order is the customer's, so the e-mail-gated paths go on.
            if customers {
                fields.insert("customer", json!({ "email": EMAIL }));
            }
            Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        });
    (
        select(&["orders", "invoices", "products"][..]),
        prop::collection::vec(item, 0..4),
        prop::collection::btree_map(select(KEYS), json_leaf(), 0..4),
    )
        .prop_map(|(list, items, extra)| {
            let mut top: serde_json::Map<String, Value> =
                extra.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            top.insert(list.to_owned(), Value::Array(items));
            Value::Object(top)
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => envelope().prop_map(|v| v.to_string().into_bytes()),
        2 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        // Valid JSON cut anywhere.
        1 => (envelope(), any::<prop::sample::Index>()).prop_map(|(v, at)| {
            let text = v.to_string().into_bytes();
            let cut = at.index(text.len() + 1);
            text[..cut].to_vec()
        }),
        1 => select(&[
            "", "null", "[]", "{}", "\"\"", "0", "<html><body>502 Bad Gateway</body></html>",
            "{\"orders\":null}", "{\"orders\":{}}", "{\"orders\":[null]}", "{\"orders\":[[]]}",
            "\u{feff}{\"orders\":[]}",
        ][..]).prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        6 => Just(200u16),
        2 => select(&[201u16, 204, 301, 302, 307, 308, 400, 401, 403, 404, 413, 429, 500, 502, 503][..]),
        1 => any::<u16>(),
    ]
}

/// A reply as a real HTTP stack delivers it: header values are visible ASCII and spaces.
fn reply() -> impl Strategy<Value = ApiResponse> {
    (
        status(),
        proptest::option::of("[ -~]{0,80}"),
        proptest::option::of("[ -~]{0,400}"),
        body(),
    )
        .prop_map(|(status, retry_after, location, body)| {
            let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
            headers.extend(retry_after.map(|v| ("retry-after".to_owned(), v)));
            headers.extend(location.map(|v| ("location".to_owned(), v)));
            ApiResponse {
                status,
                headers,
                body,
            }
        })
}

/// What the upstream answers the i-th request with: a generated reply, or the canned shop's
/// (`None`) so that later requests (brands, invoice, the PUT after a read) get reached too.
/// Past the end of the plan the last entry repeats.
fn plan() -> impl Strategy<Value = Vec<Option<ApiResponse>>> {
    prop::collection::vec(proptest::option::weighted(0.8, reply()), 1..4)
}

fn plan_recorder(plan: Vec<Option<ApiResponse>>) -> Recorder {
    Recorder::new(move |request, i| {
        let entry = plan.get(i).or(plan.last()).cloned().flatten();
        Ok(entry.unwrap_or_else(|| canned(request)))
    })
}

/// The invariants every action keeps whatever Upgates answers.
fn check_any_answer(action: ActionName, result: &Result<Answer, Failure>, sent: &[ApiRequest]) {
    // Nothing the shop answers is the customer's fault.
    assert!(!is_invalid(result), "{action}: {result:?}");
    if let Err(failure) = result {
        let message = failure.message();
        assert!(
            !message.chars().any(char::is_control),
            "{action}: control characters in {message:?}"
        );
        assert!(message.chars().count() <= 500, "{action}: {message:?}");
    }
    // The bot's JSON always renders.
    let rendered = render(result);
    assert!(rendered["ok"].is_boolean());
    // Bounded requests, no repeated write, every URL where it belongs.
    let limit = match action {
        ActionName::OrdersByPhone => 1,
        // The write and its history record.
        ActionName::SetOrderStatus | ActionName::ReplaceNote => 2,
        ActionName::AppendNote => 3,
        _ => 2,
    };
    assert!(sent.len() <= limit, "{action}: {} requests", sent.len());
    assert!(
        sent.iter().filter(|r| r.method == Method::Put).count() <= 1,
        "{action}: more than one PUT"
    );
    for request in sent {
        assert_confined(request);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_reply_is_an_answer_or_a_failure(plan in plan()) {
        for action in ActionName::ALL {
            let recorder = plan_recorder(plan.clone());
            let result = run(&recorder, action, &valid_input(action));
            check_any_answer(action, &result, &recorder.sent());
        }
    }

    #[test]
    fn any_json_value_is_an_answer_or_a_failure(value in json_value(), status in status()) {
        let body = value.to_string().into_bytes();
        for action in ActionName::ALL {
            let reply = ApiResponse { status, headers: Vec::new(), body: body.clone() };
            let recorder = Recorder::new(move |_, _| Ok(reply.clone()));
            let result = run(&recorder, action, &valid_input(action));
            check_any_answer(action, &result, &recorder.sent());
        }
    }

    #[test]
    fn any_bytes_are_an_answer_or_a_failure(
        body in prop::collection::vec(any::<u8>(), 0..512),
        status in status(),
    ) {
        for action in ActionName::ALL {
            let reply = ApiResponse { status, headers: Vec::new(), body: body.clone() };
            let recorder = Recorder::new(move |_, _| Ok(reply.clone()));
            let result = run(&recorder, action, &valid_input(action));
            check_any_answer(action, &result, &recorder.sent());
        }
    }
}

/// Nesting far past serde_json's recursion limit fails cleanly instead of overflowing the stack.
#[test]
fn deeply_nested_bodies_fail_cleanly() {
    for body in [
        "[".repeat(100_000),
        "{\"orders\":".repeat(50_000),
        format!("{{\"orders\":[{{\"customer\":{}", "[".repeat(100_000)),
    ] {
        for action in ActionName::ALL {
            let reply = ApiResponse {
                status: 200,
                headers: Vec::new(),
                body: body.clone().into_bytes(),
            };
            let recorder = Recorder::new(move |_, _| Ok(reply.clone()));
            let result = run(&recorder, action, &valid_input(action));
            check_any_answer(action, &result, &recorder.sent());
            assert!(result.is_err(), "{action}: {result:?}");
        }
    }
}

/// An invoice number that is a dot segment is never requested: `<api>/invoices/..` would be
/// `<api>/` once a URL parser normalises the path (and `%2E%2E` is a dot segment too). Any
/// other number is one encoded path segment under `/invoices/`.
#[test]
fn invoice_number_cannot_walk_out_of_its_path() {
    let order = format!("GET {API}/orders/{ORDER}");
    for (number, invoice) in [
        (".", None),
        ("..", None),
        ("%2e%2e", Some("%252e%252e")),
        ("../orders", Some("..%2Forders")),
    ] {
        let recorder = Recorder::new(move |request, _| {
            if request.url.starts_with(&format!("{API}/orders/")) {
                Ok(common::json_response(
                    200,
                    &json!({"orders": [{"invoice_number": number, "customer": {"email": EMAIL}}]}),
                ))
            } else {
                Ok(canned(request))
            }
        });
        let result = block_on(shop(&recorder).order_documents(ORDER, EMAIL));
        assert!(result.is_ok(), "{number}: {result:?}");
        let sent: Vec<String> = recorder
            .sent()
            .iter()
            .map(|r| format!("{} {}", r.method.as_str(), r.url))
            .collect();
        let mut want = vec![order.clone()];
        want.extend(invoice.map(|segment| format!("GET {API}/invoices/{segment}")));
        assert_eq!(sent, want, "{number}");
        for request in recorder.sent() {
            assert_confined(&request);
        }
    }
}

// --- Upgates' words in messages ----------------------------------------------------------

proptest! {
    /// Whatever Upgates says, the message keeps no `@` and no 7 digits with only phone
    /// separators (`+420 601 223 344`, `602/123 456`, no-break spaces, dashes) between them,
    /// except the order's own number; and nothing panics on any text.
    #[test]
    fn upstream_words_keep_no_contact(
        text in prop_oneof![
            any::<String>(),
            r"[a-z@.0-9 +()/\-\u{a0}\u{202f}\u{2013}]{0,60}",
            r"(Order 2025000123 |\+?[0-9][0-9 /\-\u{a0}\u{2009}\u{202f}\u{2011}\u{2013}]{6,16}|[a-z]{1,8}@[a-z]{1,8}\.cz| |ž){0,6}",
        ],
    ) {
        let out = upgates_core::guardrails::redact_personal(&text, "2025000123");
        prop_assert!(!out.contains('@'), "{text:?} -> {out:?}");
        let without_order = out.replace("2025000123", "");
        let mut digits = 0;
        for c in without_order.chars() {
            if c.is_ascii_digit() {
                digits += 1;
            } else if !(c == '+' || upgates_core::input::is_phone_separator(c)) {
                digits = 0;
            }
            prop_assert!(digits < 7, "{text:?} -> {out:?}");
        }
    }
}
