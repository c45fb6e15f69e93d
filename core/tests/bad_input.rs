//! The bad-input table: what a customer might type into each input, through the real action
//! over a recording upstream, with the exact answer and the exact requests it cost. The same
//! rows, as observed, are `docs/bad-input.md`: the test regenerates the table and fails when
//! the committed file differs (`UPDATE_DOCS=1` rewrites it).

mod common;

use std::path::PathBuf;

use serde_json::{Value, json};
use upgates_core::{ApiRequest, Failure};

use common::{API, ORDER, PHONE, Recorder, block_on, shop};

/// 100 KiB.
const BIG: usize = 100 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Order,
    Email,
    Phone,
    Status,
    Note,
    Days,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Order => "order number (`verify-order`)",
            Kind::Email => "e-mail (`verify-customer`)",
            Kind::Phone => "phone (`orders-by-phone`)",
            Kind::Status => "status (`set-order-status`)",
            Kind::Note => "note text (`replace-note`)",
            Kind::Days => "days (`orders-by-phone`)",
        }
    }
}

/// What the row must get.
enum Expect {
    /// `invalid-input` with exactly this message, and no request.
    Invalid(&'static str),
    /// This answer after exactly these requests (`METHOD <path after the API URL>`); a PUT's
    /// `orders[0]` must be exactly `put` (the typed text intact, as JSON).
    Answer {
        answer: Result<(), Failure>,
        requests: Vec<String>,
        put: Option<Value>,
    },
}

struct Row {
    kind: Kind,
    value: String,
    /// Said after the value in the table (what a homoglyph really is...).
    note: &'static str,
    expect: Expect,
}

fn row(kind: Kind, value: impl Into<String>, expect: Expect) -> Row {
    Row {
        kind,
        value: value.into(),
        note: "",
        expect,
    }
}

fn noted(kind: Kind, value: impl Into<String>, note: &'static str, expect: Expect) -> Row {
    Row {
        note,
        ..row(kind, value, expect)
    }
}

fn ano(requests: &[&str]) -> Expect {
    Expect::Answer {
        answer: Ok(()),
        requests: requests.iter().map(|r| r.to_string()).collect(),
        put: None,
    }
}

fn put(order: Value) -> Expect {
    Expect::Answer {
        answer: Ok(()),
        // The write, then its record in the order's history (`audit-trail`, on by default).
        requests: vec![
            "PUT /orders".into(),
            format!("POST /orders/{ORDER}/history"),
        ],
        put: Some(order),
    }
}

/// A status name sent as typed (trimmed).
fn status_sent(name: &str) -> Expect {
    put(json!({"order_number": ORDER, "status": name.trim()}))
}

/// A note sent trimmed, otherwise byte for byte.
fn note_sent(text: &str) -> Expect {
    put(json!({"order_number": ORDER, "internal_note": text.trim()}))
}

const GET_ORDER: &str = "GET /orders/2025000123";
const GET_PHONE_30: &str = "GET /orders?phone=420601223344&creation_time_from=2026-10-29T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1";
const GET_PHONE_1: &str = "GET /orders?phone=420601223344&creation_time_from=2026-11-27T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1";
const GET_PHONE_3650: &str = "GET /orders?phone=420601223344&creation_time_from=2016-11-30T16%3A40%3A00%2B00%3A00&order_by=creation_time&order_dir=desc&page=1";

fn rows() -> Vec<Row> {
    use Expect::Invalid;
    use Kind::*;

    const ORDER_EMPTY: &str = "the order number is empty";
    const ORDER_LONG: &str = "the order number is longer than 40 characters";
    const ORDER_CHARS: &str = "the order number may contain only letters, digits, `-`, `_` and `.`";
    const EMAIL_EMPTY: &str = "the e-mail is empty";
    const EMAIL_LONG: &str = "the e-mail is longer than 254 bytes";
    const EMAIL_BAD: &str = "the e-mail is not an address like name@example.cz";
    const PHONE_EMPTY: &str = "the phone number is empty";
    const PHONE_LONG: &str = "the phone number is too long";
    const PHONE_BAD: &str = "the phone number is not like +420 777 123 456";
    const STATUS_EMPTY: &str = "the status is empty";
    const STATUS_LONG: &str = "the status is longer than 100 characters";
    const STATUS_CONTROL: &str = "the status contains control characters";
    const STATUS_ID: &str = "the status id is too large";
    const NOTE_EMPTY: &str = "the note text is empty";
    const NOTE_LONG: &str = "the note text is longer than 5000 characters";
    const NOTE_CONTROL: &str = "the note text contains control characters";
    const DAYS_RANGE: &str = "the period must be 1 to 3650 days";

    let sql = "1' OR '1'='1";
    let json_like = r#"{"a":1}"#;
    let emoji_note = "Díky 👍🏽 📦 👨\u{200d}👩\u{200d}👧 🇨🇿";

    vec![
        // --- order numbers: only [A-Za-z0-9._-], starting alphanumeric, at most 40 -------------
        row(Order, "", Invalid(ORDER_EMPTY)),
        row(Order, "   ", Invalid(ORDER_EMPTY)),
        row(Order, "\u{a0}\t\n", Invalid(ORDER_EMPTY)),
        row(Order, "9".repeat(BIG), Invalid(ORDER_LONG)),
        row(Order, "2025\u{0}000123", Invalid(ORDER_CHARS)),
        row(Order, "2025\n000123", Invalid(ORDER_CHARS)),
        row(Order, "\u{1b}[31m2025000123", Invalid(ORDER_CHARS)),
        row(Order, "../2025000123", Invalid(ORDER_CHARS)),
        row(Order, "2025000123/../../invoices", Invalid(ORDER_CHARS)),
        row(Order, "..", Invalid(ORDER_CHARS)),
        row(Order, "?&;#=%", Invalid(ORDER_CHARS)),
        row(Order, "2025000123?limit=1000", Invalid(ORDER_CHARS)),
        row(Order, "2025000123#x", Invalid(ORDER_CHARS)),
        row(Order, "%2e%2e", Invalid(ORDER_CHARS)),
        noted(
            Order,
            "２０２５000123",
            "fullwidth digits",
            Invalid(ORDER_CHARS),
        ),
        noted(
            Order,
            "2025\u{41e}00123",
            "Cyrillic О U+041E",
            Invalid(ORDER_CHARS),
        ),
        row(Order, sql, Invalid(ORDER_CHARS)),
        row(Order, json_like, Invalid(ORDER_CHARS)),
        row(Order, "2025000123 😀", Invalid(ORDER_CHARS)),
        row(Order, " 2025000123 ", ano(&[GET_ORDER])),
        // --- e-mails: compared with the order's, never sent -------------------------------
        row(Email, "", Invalid(EMAIL_EMPTY)),
        row(Email, " \t ", Invalid(EMAIL_EMPTY)),
        row(
            Email,
            format!("{}@example.cz", "a".repeat(BIG - 11)),
            Invalid(EMAIL_LONG),
        ),
        row(Email, "jana\u{0}@example.cz", Invalid(EMAIL_BAD)),
        row(Email, "jana.novakova@example.cz\n", ano(&[GET_ORDER])),
        row(Email, "jana\n@example.cz", Invalid(EMAIL_BAD)),
        row(Email, "../", Invalid(EMAIL_BAD)),
        row(Email, "jana@example.cz/../admin", Invalid(EMAIL_BAD)),
        row(Email, "?&;#=%", Invalid(EMAIL_BAD)),
        row(Email, "jana@example.cz?&#=%", Invalid(EMAIL_BAD)),
        noted(
            Email,
            "jana.novakova@ex\u{430}mple.cz",
            "Cyrillic а U+0430 in the domain",
            Invalid(EMAIL_BAD),
        ),
        noted(
            Email,
            "jana.novakova@２０２５.cz",
            "fullwidth digits in the domain",
            Invalid(EMAIL_BAD),
        ),
        noted(
            Email,
            "j\u{430}na.novakova@example.cz",
            "Cyrillic а U+0430 in the local part: an address, but not the order's",
            ano(&[GET_ORDER]).not_verified(),
        ),
        row(Email, sql, Invalid(EMAIL_BAD)),
        row(Email, "x@example.cz' OR '1'='1", Invalid(EMAIL_BAD)),
        row(Email, json_like, Invalid(EMAIL_BAD)),
        row(Email, r#"{"a":1}@example.cz"#, Invalid(EMAIL_BAD)),
        row(Email, " JANA.Novakova@Example.CZ ", ano(&[GET_ORDER])),
        // --- phones: normalised to an MSISDN ----------------------------------------------
        row(Phone, "", Invalid(PHONE_EMPTY)),
        row(Phone, " \t ", Invalid(PHONE_EMPTY)),
        row(Phone, "6".repeat(BIG), Invalid(PHONE_LONG)),
        row(Phone, "601\u{0}223344", Invalid(PHONE_BAD)),
        row(Phone, "601\n223344", Invalid(PHONE_BAD)),
        row(Phone, "../601223344", Invalid(PHONE_BAD)),
        row(Phone, "601223344?&;#=%", Invalid(PHONE_BAD)),
        row(Phone, "601223344&phone=777", Invalid(PHONE_BAD)),
        noted(
            Phone,
            "+４２０ ６０１ ２２３ ３４４",
            "fullwidth digits",
            Invalid(PHONE_BAD),
        ),
        noted(
            Phone,
            "+420 6O1 223 344",
            "letter O for zero",
            Invalid(PHONE_BAD),
        ),
        noted(
            Phone,
            "+420 ٦٠١ ٢٢٣ ٣٤٤",
            "Arabic-Indic digits",
            Invalid(PHONE_BAD),
        ),
        row(Phone, sql, Invalid(PHONE_BAD)),
        row(Phone, json_like, Invalid(PHONE_BAD)),
        row(Phone, "601 223 344 😀", Invalid(PHONE_BAD)),
        row(Phone, PHONE, ano(&[GET_PHONE_30])),
        row(Phone, "00420-601.223.344", ano(&[GET_PHONE_30])),
        noted(
            Phone,
            "601/223 344",
            "the Czech slash",
            ano(&[GET_PHONE_30]),
        ),
        noted(
            Phone,
            "+420\u{a0}601\u{202f}223\u{2013}344",
            "no-break spaces and an en dash",
            ano(&[GET_PHONE_30]),
        ),
        // --- status names: legal text, sent intact (trimmed) in one PUT -------------------
        row(Status, "", Invalid(STATUS_EMPTY)),
        row(Status, "  \t", Invalid(STATUS_EMPTY)),
        row(Status, "x".repeat(BIG), Invalid(STATUS_LONG)),
        row(Status, "Odeslaná\u{0}", Invalid(STATUS_CONTROL)),
        row(Status, "Ode\nslaná", Invalid(STATUS_CONTROL)),
        row(Status, "99999999999", Invalid(STATUS_ID)),
        row(
            Status,
            " 3 ",
            put(json!({"order_number": ORDER, "status_id": 3})),
        ),
        row(Status, " Odeslaná ", status_sent("Odeslaná")),
        row(Status, "../", status_sent("../")),
        row(Status, "?&;#=%", status_sent("?&;#=%")),
        noted(
            Status,
            "\u{41e}deslaná",
            "Cyrillic О U+041E",
            status_sent("\u{41e}deslaná"),
        ),
        noted(
            Status,
            "２０２５",
            "fullwidth digits: a name, not an id",
            status_sent("２０２５"),
        ),
        row(Status, sql, status_sent(sql)),
        row(Status, json_like, status_sent(json_like)),
        row(Status, "Odesláno 📦", status_sent("Odesláno 📦")),
        // --- note texts: legal text, sent trimmed, otherwise byte for byte, in one PUT ------
        row(Note, "", Invalid(NOTE_EMPTY)),
        row(Note, " \n\t ", Invalid(NOTE_EMPTY)),
        row(Note, "a".repeat(BIG), Invalid(NOTE_LONG)),
        row(Note, "a".repeat(5001), Invalid(NOTE_LONG)),
        row(Note, "😀".repeat(5000), note_sent(&"😀".repeat(5000))),
        row(Note, "Doručit\u{0}", Invalid(NOTE_CONTROL)),
        row(Note, "\u{1b}[31mČervená", Invalid(NOTE_CONTROL)),
        row(Note, "Bell\u{7}", Invalid(NOTE_CONTROL)),
        row(
            Note,
            " Řádek 1\r\nŘádek 2\tTab ",
            note_sent(" Řádek 1\r\nŘádek 2\tTab "),
        ),
        row(Note, "../../etc/passwd", note_sent("../../etc/passwd")),
        row(Note, "?&;#=%", note_sent("?&;#=%")),
        noted(
            Note,
            "Zaplaceno p\u{159}es \u{440}ay",
            "Cyrillic р U+0440",
            note_sent("Zaplaceno p\u{159}es \u{440}ay"),
        ),
        noted(Note, "２０２５ Ｋč", "fullwidth", note_sent("２０２５ Ｋč")),
        row(Note, sql, note_sent(sql)),
        row(
            Note,
            "'; DROP TABLE orders; --",
            note_sent("'; DROP TABLE orders; --"),
        ),
        row(Note, json_like, note_sent(json_like)),
        row(
            Note,
            r#"\u0000 \" \\ "}]}"#,
            note_sent(r#"\u0000 \" \\ "}]}"#),
        ),
        row(
            Note,
            "</note><script>alert(1)</script>",
            note_sent("</note><script>alert(1)</script>"),
        ),
        row(Note, emoji_note, note_sent(emoji_note)),
        noted(
            Note,
            "\u{202e}txt.exe",
            "right-to-left override: a format character, not a control",
            note_sent("\u{202e}txt.exe"),
        ),
        // --- day counts: 1 to 3650 --------------------------------------------------------
        row(Days, "0", Invalid(DAYS_RANGE)),
        row(Days, "3651", Invalid(DAYS_RANGE)),
        row(Days, u32::MAX.to_string(), Invalid(DAYS_RANGE)),
        row(Days, "1", ano(&[GET_PHONE_1])),
        row(Days, "3650", ano(&[GET_PHONE_3650])),
    ]
}

impl Expect {
    /// The same requests, answered `not-verified`.
    fn not_verified(self) -> Self {
        match self {
            Expect::Answer { requests, put, .. } => Expect::Answer {
                answer: Err(Failure::NotVerified),
                requests,
                put,
            },
            invalid => invalid,
        }
    }
}

/// What a row got.
struct Observed {
    answer: Result<(), Failure>,
    sent: Vec<ApiRequest>,
}

fn observe(row: &Row) -> Observed {
    let recorder = Recorder::canned();
    let shop = shop(&recorder);
    let v = row.value.as_str();
    let answer = block_on(async {
        match row.kind {
            Kind::Order => shop.verify_order(v).await.map(drop),
            Kind::Email => shop.verify_customer(ORDER, v).await.map(drop),
            Kind::Phone => shop.orders_by_phone(v, 30).await.map(drop),
            Kind::Status => shop.set_order_status(ORDER, v, false, None).await,
            Kind::Note => shop.replace_note(ORDER, v, None).await,
            Kind::Days => {
                let days: u32 = v.parse().expect("day rows hold a u32");
                shop.orders_by_phone(PHONE, days).await.map(drop)
            }
        }
    });
    Observed {
        answer,
        sent: recorder.sent(),
    }
}

/// `METHOD <path and query after the API URL>`.
fn line(request: &ApiRequest) -> String {
    let rest = request.url.strip_prefix(API).unwrap_or(&request.url);
    format!("{} {rest}", request.method.as_str())
}

/// Why `observed` is not what `row` expects, if it is not.
fn mismatch(row: &Row, observed: &Observed) -> Option<String> {
    let lines: Vec<String> = observed.sent.iter().map(line).collect();
    let (answer, requests, put) = match &row.expect {
        Expect::Invalid(message) => (
            Err(Failure::InvalidInput((*message).into())),
            Vec::new(),
            None,
        ),
        Expect::Answer {
            answer,
            requests,
            put,
        } => (answer.clone(), requests.clone(), put.clone()),
    };
    if observed.answer != answer {
        return Some(format!("answer {:?}, want {answer:?}", observed.answer));
    }
    if lines != requests {
        return Some(format!("requests {lines:?}, want {requests:?}"));
    }
    if let Some(order) = put {
        let request = &observed.sent[0];
        let raw = request.body.clone().unwrap_or_default();
        let body: Value = match serde_json::from_slice(&raw) {
            Ok(body) => body,
            Err(e) => return Some(format!("the PUT body is not JSON: {e}")),
        };
        let want = json!({"send_emails_yn": false, "send_sms_yn": false, "orders": [order]});
        if body != want {
            return Some(format!("PUT body {body}, want {want}"));
        }
        if request.header("content-type") != Some("application/json") {
            return Some("the PUT is not labelled application/json".into());
        }
        // The typed text is in the raw body exactly as JSON escapes it.
        let field = order
            .get("internal_note")
            .or_else(|| order.get("status"))
            .or_else(|| order.get("status_id"));
        if let Some(field) = field {
            let encoded = field.to_string();
            if !String::from_utf8_lossy(&raw).contains(&encoded) {
                return Some(format!("the raw body lacks {encoded}"));
            }
        }
    }
    None
}

#[test]
fn every_bad_input_gets_its_exact_answer() {
    let mut wrong = Vec::new();
    for (i, row) in rows().iter().enumerate() {
        if let Some(why) = mismatch(row, &observe(row)) {
            wrong.push(format!(
                "row {i} {:?} {}: {why}",
                row.kind,
                shown(&row.value)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// --- the document ----------------------------------------------------------------------------

/// A Rust string literal's body: control and format characters escaped (NUL as `\u{0}`, so
/// that digits after it cannot be misread as an octal escape).
fn escaped(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\0' => "\\u{0}".to_owned(),
            '\'' => "'".to_owned(),
            c => c.escape_debug().to_string(),
        })
        .collect()
}

/// The value as a Rust string literal, cut to 24 characters with its length in bytes when
/// longer than 40.
fn shown(value: &str) -> String {
    if value.chars().count() <= 40 {
        return format!("\"{}\"", escaped(value));
    }
    let head: String = value.chars().take(24).collect();
    format!("\"{}…\" ({} bytes)", escaped(&head), value.len())
}

/// A Markdown code span that survives a table cell.
fn code(text: &str) -> String {
    let text = text.replace('|', "\\|");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn answer_cell(row: &Row, observed: &Observed) -> String {
    match &observed.answer {
        Err(Failure::InvalidInput(message)) => format!("`invalid-input`: {message}"),
        Err(Failure::NotVerified) => {
            "`not-verified` (the e-mail is only compared with the order's, never sent)".into()
        }
        Err(other) => format!("`{}`: {}", other.reason(), other.message()),
        Ok(()) => match &row.expect {
            Expect::Answer {
                put: Some(order), ..
            } => {
                let field = ["internal_note", "status", "status_id"]
                    .into_iter()
                    .find(|f| order.get(*f).is_some())
                    .unwrap_or("order");
                if matches!(row.kind, Kind::Status) && field == "status" {
                    format!("Ano; sent as `{field}`, trimmed, otherwise intact")
                } else if field == "internal_note" && row.value.trim() != row.value {
                    format!("Ano; sent as `{field}`, trimmed, otherwise byte for byte")
                } else if field == "status_id" {
                    format!("Ano; sent as `{field}` {}", order[field])
                } else {
                    format!("Ano; sent as `{field}` byte for byte")
                }
            }
            _ => "Ano".into(),
        },
    }
}

fn requests_cell(observed: &Observed) -> String {
    let lines: Vec<String> = observed
        .sent
        .iter()
        .map(|r| {
            let line = line(r);
            match line.split_once('&') {
                Some((head, _)) => format!("{head}&…"),
                None => line,
            }
        })
        .collect();
    if lines.is_empty() {
        "0".into()
    } else {
        let shown: Vec<String> = lines.iter().map(|l| code(l)).collect();
        format!("{}: {}", lines.len(), shown.join(", "))
    }
}

fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "# Bad input\n\
         \n\
         Generated by `core/tests/bad_input.rs` from what each value actually got; that test \
         fails when this file differs (`UPDATE_DOCS=1 cargo test -p upgates-core --test \
         bad_input` rewrites it).\n\
         \n\
         Each value went through the real action (`upgates_core::Shop`) over a recording \
         upstream that answers like a healthy shop; the other inputs were valid (order \
         `2025000123`, phone `+420 601 223 344`, 30 days). \"Upstream requests\" is everything \
         sent to Upgates (paths after the API URL; long queries cut at the first `&`).\n\
         \n\
         - Order numbers, e-mails, phones and day counts are either refused as `invalid-input` \
         before any request, or normalised (trimmed; a phone to its MSISDN) and used.\n\
         - An e-mail is never sent anywhere: a well-formed address that is not the order's \
         (a homoglyph in the local part) costs the one order read and answers `not-verified`. \
         A domain must be a plain host name, so homoglyph and junk domains are refused.\n\
         - Status names and note texts are legal free text: sent in exactly one `PUT /orders`, \
         JSON-encoded by serde_json (the test checks the decoded body and the escaped string \
         in the raw bytes). A status name is trimmed; a note is trimmed and otherwise sent byte \
         for byte. Only empty text, text over the limit (100 characters for a status, 5000 for \
         a note) and control characters (other than line breaks and tabs in a note) are refused.\n\
         \n\
         Values are Rust string literals; long ones are cut, with their length in bytes.\n\
         \n\
         | input | value | answer | upstream requests |\n\
         |---|---|---|---|\n",
    );
    for row in rows {
        let observed = observe(row);
        let mut value = code(&shown(&row.value));
        if !row.note.is_empty() {
            value.push_str(&format!(" ({})", row.note));
        }
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            row.kind.label(),
            value,
            answer_cell(row, &observed),
            requests_cell(&observed)
        ));
    }
    out
}

#[test]
fn docs_bad_input_md_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/bad-input.md");
    let want = markdown(&rows());
    if std::env::var("UPDATE_DOCS").is_ok_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create docs/");
        }
        std::fs::write(&path, &want).expect("write docs/bad-input.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/bad-input.md is out of date: rerun with UPDATE_DOCS=1 to rewrite it. \
         Expected content:\n\n{want}"
    );
}
