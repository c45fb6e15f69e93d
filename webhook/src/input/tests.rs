use super::*;
use ActionName::*;

fn json(action: ActionName, body: &str) -> Result<ActionInput, Rejection> {
    parse_input(action, &HeaderMap::new(), body.as_bytes())
}

fn form(action: ActionName, body: &str) -> Result<ActionInput, Rejection> {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        "application/x-www-form-urlencoded; charset=utf-8"
            .parse()
            .unwrap(),
    );
    parse_input(action, &headers, body.as_bytes())
}

fn message(result: Result<ActionInput, Rejection>) -> String {
    match result {
        Err(Rejection::BadRequest(message)) => message,
        other => panic!("expected a bad request, got {other:?}"),
    }
}

#[test]
fn reads_the_actions_inputs() {
    let input = json(
        SetOrderStatus,
        r#"{"order":"2025000123","status":"Stornovan\u00e1","notify":true}"#,
    )
    .unwrap();
    assert_eq!(input.order.as_deref(), Some("2025000123"));
    assert_eq!(input.status.as_deref(), Some("Stornovaná"));
    assert!(input.notify);
    let input = json(OrdersByPhone, r#"{"phone":"+420 601 223 344","days":30}"#);
    assert_eq!(input.unwrap().days, Some(30));
}

/// What bot templates send: numbers and booleans as strings, an order number as a
/// number, unset variables as "" or null.
#[test]
fn takes_inputs_as_templates_render_them() {
    let phone = |body| json(OrdersByPhone, body).unwrap();
    assert_eq!(phone(r#"{"phone":"601223344","days":"30"}"#).days, Some(30));
    assert_eq!(phone(r#"{"phone":"601223344","days":" 7 "}"#).days, Some(7));
    let notify = |value: &str| {
        json(
            SetOrderStatus,
            &format!(r#"{{"order":"1","status":"x","notify":{value}}}"#),
        )
        .unwrap()
        .notify
    };
    for yes in ["true", "\"true\"", "\"1\"", "1", "\"ANO\"", "\"yes\""] {
        assert!(notify(yes), "{yes}");
    }
    for no in ["false", "\"false\"", "\"0\"", "0", "\"ne\"", "\"\"", "null"] {
        assert!(!notify(no), "{no}");
    }
    let order = json(VerifyOrder, r#"{"order":2025000123}"#).unwrap();
    assert_eq!(order.order.as_deref(), Some("2025000123"));
    let status = json(SetOrderStatus, r#"{"order":"1","status":4}"#).unwrap();
    assert_eq!(status.status.as_deref(), Some("4"));
    // Optional and empty: not given (notify keeps its default).
    let input = json(SetOrderStatus, r#"{"order":"1","status":"x","notify":""}"#).unwrap();
    assert!(!input.notify);
}

/// A JSON number is the input's digits only when its literal is a whole number: decided from
/// the text, so a long literal a float would round to a whole number is refused.
#[test]
fn a_json_number_is_whole_by_its_literal() {
    let order = |number: &str| {
        json(VerifyOrder, &format!(r#"{{"order":{number}}}"#)).map(|input| input.order.unwrap())
    };
    for (number, digits) in [
        ("1e3", "1000"),
        ("-0.0", "0"),
        ("-0", "0"),
        ("2025000123.0", "2025000123"),
        ("30.0", "30"),
        ("4049714486536174.0", "4049714486536174"),
        ("9007199254740993", "9007199254740993"),
        ("9007199254740993.0", "9007199254740993"),
        ("2.5e1", "25"),
        ("18446744073709551615", "18446744073709551615"),
        ("0e999999999999999999999", "0"),
    ] {
        assert_eq!(order(number).as_deref(), Ok(digits), "{number}");
    }
    for number in [
        "4503599627370497.5",
        "9007199254740991.9",
        "0.99999999999999999999",
        "2.5",
        "-1",
        "1e-1",
        "18446744073709551616",
        "1e20",
        "1e999999999999999999999",
    ] {
        assert_eq!(
            message(json(VerifyOrder, &format!(r#"{{"order":{number}}}"#))),
            "`order` must be text (or a whole number)",
            "{number}"
        );
    }
    let days = |number: &str| {
        json(
            OrdersByPhone,
            &format!(r#"{{"phone":"601223344","days":{number}}}"#),
        )
        .map(|input| input.days)
    };
    assert_eq!(days("30.0"), Ok(Some(30)));
    assert_eq!(days("4294967295"), Ok(Some(u32::MAX)));
    assert!(days("4294967296").is_err());
    assert!(days("29.999999999999999999").is_err());
}

#[test]
fn takes_form_encoded_bodies() {
    let input = form(
        SetOrderStatus,
        "order=2025000123&status=Stornovan%C3%A1&notify=true",
    )
    .unwrap();
    assert_eq!(input.order.as_deref(), Some("2025000123"));
    assert_eq!(input.status.as_deref(), Some("Stornovaná"));
    assert!(input.notify);
    let input = form(OrdersByPhone, "phone=%2B420+601+223+344&days=30").unwrap();
    assert_eq!(input.phone.as_deref(), Some("+420 601 223 344"));
    assert_eq!(input.days, Some(30));
    // `curl -d '{...}'` labels JSON as a form.
    let input = form(VerifyOrder, r#" {"order":"2025000123"}"#).unwrap();
    assert_eq!(input.order.as_deref(), Some("2025000123"));
    assert_eq!(
        message(form(VerifyOrder, "order=1&order=2")),
        "`order` is given twice"
    );
    assert_eq!(
        message(form(VerifyOrder, "order=1&jana%40example.cz=1")),
        "a key is not an input of verify-order; it takes: order"
    );
    assert_eq!(
        message(form(OrdersByPhone, "phone=601223344&days=thirty")),
        "`days` must be a whole number of days, e.g. 30"
    );
}

#[test]
fn names_what_is_wrong_without_quoting_values() {
    assert_eq!(
        message(json(VerifyOrder, "{\"order\":")),
        "the body is not valid JSON (line 1, column 9)"
    );
    assert_eq!(
        message(json(VerifyOrder, " ")),
        "the body is empty: send a JSON object of verify-order's inputs: order"
    );
    assert_eq!(
        message(json(OrderDetail, "[1]")),
        "the body must be a JSON object of order-detail's inputs: order, email"
    );
    assert_eq!(
        message(json(VerifyOrder, r#"{"order":"1","evil":2}"#)),
        "a key is not an input of verify-order; it takes: order"
    );
    for body in [r#"{"601223344":"x"}"#, r#"{"order":"1","jana":1}"#] {
        assert_eq!(
            message(json(VerifyOrder, body)),
            "a key is not an input of verify-order; it takes: order"
        );
    }
    assert_eq!(
        message(json(VerifyOrder, r#"{"order":"1","order":"2"}"#)),
        "`order` is given twice"
    );
    assert_eq!(
        message(form(AppendNote, "order=1&text=Doru%C4%8Dit&zvonit")),
        "a key is not an input of append-note; it takes: order, text, proof"
    );
    assert_eq!(
        message(json(
            VerifyOrder,
            r#"{"order":"1","email":"jana@example.cz"}"#
        )),
        "`email` is not an input of verify-order; it takes: order"
    );
    assert_eq!(
        message(json(VerifyOrder, r#"{"jana@example.cz":1}"#)),
        "a key is not an input of verify-order; it takes: order"
    );
    for (body, wrong) in [
        (
            r#"{"phone":["601223344"],"days":30}"#,
            "`phone` must be text (or a whole number)",
        ),
        (
            r#"{"phone":6012.5,"days":30}"#,
            "`phone` must be text (or a whole number)",
        ),
        (
            r#"{"phone":"601223344","days":"30 dní"}"#,
            "`days` must be a whole number of days, e.g. 30",
        ),
        (
            r#"{"phone":"601223344","days":-1}"#,
            "`days` must be a whole number of days, e.g. 30",
        ),
        (
            r#"{"phone":"601223344","days":30.5}"#,
            "`days` must be a whole number of days, e.g. 30",
        ),
        (
            r#"{"phone":"601223344","days":true}"#,
            "`days` must be a whole number of days, e.g. 30",
        ),
    ] {
        let got = message(json(OrdersByPhone, body));
        assert_eq!(got, wrong, "{body}");
        assert!(!got.contains("601"), "{got}");
    }
    assert_eq!(
        message(json(
            SetOrderStatus,
            r#"{"order":"1","status":"x","notify":"maybe"}"#
        )),
        "`notify` must be true or false"
    );
    assert_eq!(
        message(json(OrderDetail, r#"{"order":"2025000123"}"#)),
        "invalid input: `email` is required for order-detail"
    );
    // A required input left empty by the template: named as empty.
    for body in [r#"{"order":""}"#, r#"{"order":null}"#] {
        assert_eq!(
            message(json(VerifyOrder, body)),
            "`order` is empty, and verify-order needs it (an unset template variable?)",
            "{body}"
        );
    }
}
