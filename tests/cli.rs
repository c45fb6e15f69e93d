//! The `upgates` binary against the fake shop on a loopback port.

use std::process::{Command, Output};

use serde_json::{Value, json};
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};

fn upgates(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upgates"));
    command.args(args);
    for var in [
        "UPGATES_API_URL",
        "UPGATES_API_LOGIN",
        "UPGATES_API_KEY",
        "UPGATES_DEFAULT_COUNTRY_CODE",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().expect("the binary runs")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

#[test]
fn actions_print_one_json_object_and_exit_zero() {
    let fake = FakeShop::sample(std::time::SystemTime::now());
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let env = [
        ("UPGATES_API_URL", url.as_str()),
        ("UPGATES_API_LOGIN", SAMPLE_LOGIN),
        ("UPGATES_API_KEY", SAMPLE_KEY),
    ];

    let yes = upgates(&["customer-email", "--order", "2025000123"], &env);
    assert_eq!(yes.status.code(), Some(0));
    assert_eq!(
        stdout_json(&yes),
        json!({"ok": true, "vars": {"email": "jana.novakova@example.cz"}})
    );

    let no = upgates(
        &[
            "verify-customer",
            "--order",
            "2025000123",
            "--email",
            "x@example.cz",
        ],
        &env,
    );
    assert_eq!(no.status.code(), Some(0));
    assert_eq!(
        stdout_json(&no),
        json!({"ok": false, "reason": "not-verified", "message": "the order number and e-mail do not match"})
    );

    let status = upgates(
        &[
            "set-order-status",
            "--order",
            "2025000123",
            "--status",
            "Odeslaná",
            "--notify",
        ],
        &env,
    );
    assert_eq!(stdout_json(&status), json!({"ok": true, "vars": {}}));
    assert_eq!(fake.order("2025000123").unwrap()["status_id"], json!(3));
    assert_eq!(fake.requests().len(), 3);
    let stderr = String::from_utf8_lossy(&no.stderr);
    assert!(!stderr.contains(SAMPLE_KEY) && !stderr.contains("x@example.cz"));
}

#[test]
fn usage_and_configuration_errors_exit_two() {
    let missing_env = upgates(&["verify-order", "--order", "1"], &[]);
    assert_eq!(missing_env.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing_env.stderr).contains("UPGATES_API_URL"));
    assert!(missing_env.stdout.is_empty());

    let missing_flag = upgates(&["order-detail", "--order", "1"], &[]);
    assert_eq!(missing_flag.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing_flag.stderr).contains("--email"));

    let plain_http = upgates(
        &["verify-order", "--order", "1"],
        &[
            ("UPGATES_API_URL", "http://shop.example/api/v2"),
            ("UPGATES_API_LOGIN", "l"),
            ("UPGATES_API_KEY", "secret-key"),
        ],
    );
    assert_eq!(plain_http.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&plain_http.stderr);
    assert!(
        stderr.contains("https://") && !stderr.contains("secret-key"),
        "{stderr}"
    );
}

#[test]
fn demo_walks_all_nine_actions() {
    let output = upgates(&["demo"], &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    for action in [
        "verify-order",
        "order-detail",
        "customer-email",
        "set-order-status",
        "verify-customer",
        "orders-by-phone",
        "append-note",
        "replace-note",
        "order-documents",
    ] {
        assert!(
            text.contains(&format!("-> {action} ")),
            "{action} missing from the demo:\n{text}"
        );
    }
    assert!(text.contains("<- Ano") && text.contains("<- Ne"));
    assert!(text.contains(r#""reason":"not-verified""#));
}
