//! The `upgates` binary against the fake shop on a loopback port.

use std::process::Output;

use serde_json::{Value, json};
use upgates_fake_shop::{FakeShop, Fault, SAMPLE_KEY, SAMPLE_LOGIN};

/// Failed e-mail checks the CLI counts between runs: one directory per test binary run.
fn state_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temp dir"))
        .path()
}

fn upgates(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = crate::upgates_command();
    command.args(args);
    command.env("UPGATES_STATE_DIR", state_dir());
    command.envs(env.iter().copied());
    command.output().expect("the binary runs")
}

/// The environment that points the CLI at the sample shop served at `url`.
fn sample_env(url: &str) -> Vec<(&str, &str)> {
    vec![
        ("UPGATES_API_URL", url),
        ("UPGATES_API_LOGIN", SAMPLE_LOGIN),
        ("UPGATES_API_KEY", SAMPLE_KEY),
    ]
}

/// Compiles the component into the tests' shared precompiled cache once, against a port nobody
/// listens on: a timed call then measures its wait, not Cranelift on a loaded machine.
fn warm_precompiled_cache() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let out = upgates(
            &["verify-order", "--order", "1"],
            &sample_env("http://127.0.0.1:9/api/v2"),
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    });
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

#[test]
fn actions_print_one_json_object_and_exit_zero() {
    let fake = FakeShop::sample(std::time::SystemTime::now());
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let env = sample_env(&url);

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
    // verify-customer twice, then the PUT and its history record (`audit-trail`).
    assert_eq!(fake.requests().len(), 4);
    let stderr = String::from_utf8_lossy(&no.stderr);
    assert!(!stderr.contains(SAMPLE_KEY) && !stderr.contains("x@example.cz"));
}

/// Each run of the CLI is a new process: the attempt limit still holds, counted in files.
#[test]
fn the_attempt_limit_holds_across_cli_runs() {
    let fake = FakeShop::sample(std::time::SystemTime::now());
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let mut env = sample_env(&url);
    env.push(("UPGATES_VERIFY_ATTEMPTS", "2"));
    let verify = |email: &str| {
        let out = upgates(
            &["verify-customer", "--order", "2025000124", "--email", email],
            &env,
        );
        assert_eq!(out.status.code(), Some(0));
        stdout_json(&out)["reason"].clone()
    };
    assert_eq!(verify("x@example.cz"), json!("not-verified"));
    assert_eq!(verify("y@example.cz"), json!("not-verified"));
    assert_eq!(fake.requests().len(), 2);
    // The right e-mail, after the limit: not checked, no request.
    assert_eq!(verify("jana.novakova@example.cz"), json!("not-verified"));
    assert_eq!(fake.requests().len(), 2);
    // The counts name neither the order nor the e-mail.
    for entry in std::fs::read_dir(state_dir().join("attempts")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("2025000124") && !text.contains('@'),
            "{text}"
        );
    }
}

/// An order's lock file another process keeps (a stopped `upgates`): `append-note` waits for
/// it only until its `--timeout`, answers `Ne` `timeout` (exit 0) and asks Upgates nothing;
/// released, the next run appends.
#[test]
fn append_note_waits_for_a_held_lock_only_until_its_timeout() {
    let fake = FakeShop::sample(std::time::SystemTime::now());
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let locks = tempfile::tempdir().unwrap();
    let shop = upgates_core::ShopConfig::new(&url, SAMPLE_LOGIN, SAMPLE_KEY, "420").unwrap();
    let path = upgates_cli::file_lock::lock_path_in(locks.path(), &shop, "2025000124").unwrap();
    let held = std::fs::File::create(&path).unwrap();
    held.lock().unwrap();
    let mut env = sample_env(&url);
    env.push(("UPGATES_LOCK_DIR", locks.path().to_str().unwrap()));
    let append = [
        "append-note",
        "--order",
        "2025000124",
        "--text",
        "Volat po 17:00",
    ];
    warm_precompiled_cache();
    let started = std::time::Instant::now();
    let out = upgates(&[&append[..], &["--timeout", "1"]].concat(), &env);
    let waited = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        stdout_json(&out),
        json!({"ok": false, "reason": "timeout", "message": "Upgates did not answer in time"})
    );
    assert!(waited >= std::time::Duration::from_secs(1), "{waited:?}");
    // The 1 s limit, not the default 30 s.
    assert!(waited < std::time::Duration::from_secs(10), "{waited:?}");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    drop(held);
    let out = upgates(&append, &env);
    assert_eq!(stdout_json(&out), json!({"ok": true, "vars": {}}));
}

/// A counter's file is waited for inside the component's call, which the timeout cannot
/// cut off. Held by another process (here opened read-only, as a stopped or a racing
/// `upgates` may hold it) past a short `--timeout`, the wait gives up in time and the check
/// fails closed: `Ne` `misconfigured` (the store failed), Upgates not asked, even for the
/// right e-mail (an answer, instead of the call being stopped mid-run).
#[test]
fn a_held_checks_file_fails_closed_within_a_short_timeout() {
    let fake = FakeShop::sample(std::time::SystemTime::now());
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let state = tempfile::tempdir().unwrap();
    let shop = upgates_core::ShopConfig::new(&url, SAMPLE_LOGIN, SAMPLE_KEY, "420").unwrap();
    let store = upgates_cli::attempt_files::FileCounters::new(state.path().join("attempts"), &shop);
    // The first counter the check reads: the previous window's `given-back`. The CLI reads
    // its own clock: both windows that can be its previous one (should a boundary pass
    // between here and there) are held.
    let log = upgates_core::WindowedAttempts::for_shop(&shop, ());
    let window = shop.guardrails.verify_window.as_secs();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let this_window = now / window * window;
    let held: Vec<std::fs::File> = [this_window - window, this_window]
        .into_iter()
        .map(|start| {
            let path = store.path(&log.counter_key("2025000124", start, "given-back"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::File::create(&path).unwrap();
            let held = std::fs::File::open(&path).unwrap();
            held.lock().unwrap();
            held
        })
        .collect();
    let mut env = sample_env(&url);
    env.push(("UPGATES_STATE_DIR", state.path().to_str().unwrap()));
    let verify = [
        "verify-customer",
        "--order",
        "2025000124",
        "--email",
        "jana.novakova@example.cz",
    ];
    let out = upgates(&[&verify[..], &["--timeout", "1"]].concat(), &env);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        stdout_json(&out),
        json!({"ok": false, "reason": "misconfigured", "message": "shop configuration: the store of failed e-mail checks failed"})
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    drop(held);
    let out = upgates(&verify, &env);
    assert_eq!(stdout_json(&out), json!({"ok": true, "vars": {}}));
    assert_eq!(fake.requests().len(), 1);
}

/// `--input -`: the inputs as one JSON object on stdin, so no e-mail, phone or note is in the
/// process list; the webhook's names and value rules (a number as a string, an order number
/// as a number). The flags still work; the two together are a usage error, as is a bad value
/// (named, never quoted).
#[test]
fn inputs_as_json_on_stdin() {
    use std::io::Write as _;
    let fake = FakeShop::sample(std::time::SystemTime::now());
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let env = sample_env(&url);
    let with_stdin = |args: &[&str], stdin: &str| {
        let mut command = crate::upgates_command();
        command
            .args(args)
            .env("UPGATES_STATE_DIR", state_dir())
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("the binary runs");
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.as_bytes()).unwrap();
        drop(pipe);
        child.wait_with_output().unwrap()
    };

    let out = with_stdin(
        &["verify-customer", "--input", "-"],
        r#"{"order": 2025000124, "email": "jana.novakova@example.cz"}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout_json(&out), json!({"ok": true, "vars": {}}));
    let out = with_stdin(
        &["orders-by-phone", "--input", "-"],
        r#"{"phone": "+420 601 223 344", "days": "30"}"#,
    );
    assert_eq!(stdout_json(&out)["ok"], json!(true), "{out:?}");
    let requests: Vec<(String, String)> = fake
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(
        requests[0],
        ("GET".to_owned(), "/api/v2/orders/2025000124".to_owned())
    );
    assert_eq!(requests[1], ("GET".to_owned(), "/api/v2/orders".to_owned()));
    assert!(
        fake.requests()[1]
            .query
            .as_deref()
            .is_some_and(|q| q.contains("601223344")),
        "{:?}",
        fake.requests()[1]
    );

    for (args, stdin, says) in [
        (
            &["verify-customer", "--input", "-"][..],
            r#"{"order": "2025000124"}"#,
            "`email` is required",
        ),
        (
            &["orders-by-phone", "--input", "-"][..],
            r#"{"phone": "+420 601 223 344", "days": "many"}"#,
            "`days` must be",
        ),
        (
            &["verify-order", "--input", "-"][..],
            r#"{"order": "1", "phone": "+420 601 223 344"}"#,
            "not an input of verify-order",
        ),
        (&["verify-order", "--input", "-"][..], "{", "not valid JSON"),
        (
            &["verify-order", "--order", "1", "--input", "-"][..],
            r#"{"order": "1"}"#,
            "cannot be used with",
        ),
    ] {
        let out = with_stdin(args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} {stdin}: {stderr}");
        assert!(stderr.contains(says), "{args:?} {stdin}: {stderr}");
        assert!(!stderr.contains("601 223 344"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(fake.requests().len(), 2);
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

    for seconds in ["0", "601", "soon"] {
        let bad = upgates(&["verify-order", "--order", "1", "--timeout", seconds], &[]);
        assert_eq!(bad.status.code(), Some(2), "--timeout {seconds}");
        assert!(String::from_utf8_lossy(&bad.stderr).contains("--timeout"));
    }

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

/// Every action, "Ano" and "Ne", through the binary: the key, the login, customers' e-mails
/// and phones appear in no log line and no failure message (only in the answers that are
/// meant to carry them).
#[test]
fn no_secret_or_personal_data_in_logs_or_messages() {
    let key = "k3y-7d0c1e5b9a";
    let login = "bot-login-31337";
    let fake = FakeShop::new(login, key);
    let sample = FakeShop::sample(std::time::SystemTime::now());
    for n in ["2025000123", "2025000124", "2025000125"] {
        fake.add_order(sample.order(n).unwrap());
    }
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let env = [
        ("UPGATES_API_URL", url.as_str()),
        ("UPGATES_API_LOGIN", login),
        ("UPGATES_API_KEY", key),
    ];
    let wrong_key = [
        ("UPGATES_API_URL", url.as_str()),
        ("UPGATES_API_LOGIN", login),
        ("UPGATES_API_KEY", "wrong-k3y-x"),
    ];
    let personal = [
        "jana.novakova@example.cz",
        "someone.else@example.cz",
        "601223344",
        "601 223 344",
        "420601223344",
    ];
    type Env<'a> = &'a [(&'a str, &'a str)];
    let runs: Vec<(Vec<&str>, Env)> = vec![
        (vec!["verify-order", "--order", "2025000123"], &env),
        (
            vec![
                "order-detail",
                "--order",
                "2025000123",
                "--email",
                "someone.else@example.cz",
            ],
            &env,
        ),
        (
            vec![
                "verify-customer",
                "--order",
                "2025000124",
                "--email",
                "someone.else@example.cz",
            ],
            &env,
        ),
        (
            vec![
                "order-documents",
                "--order",
                "2025000124",
                "--email",
                "someone.else@example.cz",
            ],
            &env,
        ),
        (
            vec![
                "orders-by-phone",
                "--phone",
                "+420 601 223 344",
                "--days",
                "30",
            ],
            &env,
        ),
        (
            vec!["orders-by-phone", "--phone", "601 223 344x", "--days", "30"],
            &env,
        ),
        (
            vec![
                "verify-customer",
                "--order",
                "2025000124",
                "--email",
                "someone.else@example",
            ],
            &env,
        ),
        (
            vec![
                "append-note",
                "--order",
                "2025000125",
                "--text",
                "volejte 601 223 344",
            ],
            &env,
        ),
        (
            vec!["replace-note", "--order", "2025000125", "--text", "x"],
            &env,
        ),
        (
            vec![
                "set-order-status",
                "--order",
                "2025000125",
                "--status",
                "Nope",
            ],
            &env,
        ),
        (vec!["customer-email", "--order", "2025000125"], &env),
        (vec!["verify-order", "--order", "2025000123"], &wrong_key),
        (
            vec![
                "order-detail",
                "--order",
                "2025000123",
                "--email",
                "jana.novakova@example.cz",
            ],
            &wrong_key,
        ),
    ];
    // The Authorization header's value, as an HTTP library's trace would print it.
    let basic = |key: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:{key}"))
    };
    let (basic_key, basic_wrong_key) = (basic(key), basic("wrong-k3y-x"));
    let secrets: Vec<&str> = [key, login, "wrong-k3y-x", &basic_key, &basic_wrong_key]
        .into_iter()
        .chain(personal)
        .collect();
    // Quiet, `--verbose` (the debug logs and the quota) as text and as JSON, and everything
    // every crate logs (`RUST_LOG=trace`: wasmtime's and the HTTP stack's traces included).
    let log_flags: [(&[&str], Option<&str>); 5] = [
        (&[], None),
        (&["-v"], None),
        (&["-v", "--log-format", "json"], None),
        (&[], Some("trace")),
        (&["--log-format", "json"], Some("trace")),
    ];
    for (args, env) in runs {
        for (flags, rust_log) in log_flags {
            let args: Vec<&str> = flags.iter().chain(&args).copied().collect();
            let mut env = env.to_vec();
            env.extend(rust_log.map(|level| ("RUST_LOG", level)));
            let output = upgates(&args, &env);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let json = stdout_json(&output);
            let message = json["message"].as_str().unwrap_or_default();
            for secret in &secrets {
                assert!(
                    !stderr.contains(secret),
                    "{args:?}: stderr shows {secret}: {stderr}"
                );
                assert!(
                    !message.contains(secret),
                    "{args:?}: the message shows {secret}: {message}"
                );
            }
            if flags.contains(&"json") {
                // One JSON object a line, the quota included, for a log collector.
                for line in stderr.lines() {
                    let event: Value = serde_json::from_str(line)
                        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {line}"));
                    assert!(event.is_object(), "{args:?}: {line}");
                }
            }
            if flags.contains(&"-v") && flags.contains(&"json") {
                assert!(stderr.contains("quota"), "{args:?}: {stderr}");
            }
        }
    }
}

#[test]
fn a_refused_audit_record_is_a_warning_and_the_write_still_answers_ano() {
    let fake = FakeShop::sample(std::time::SystemTime::now());
    fake.push_fault(Fault::status(500).on(http::Method::POST, "/history"));
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let output = upgates(
        &[
            "set-order-status",
            "--order",
            "2025000123",
            "--status",
            "Odeslaná",
        ],
        &sample_env(&url),
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout_json(&output), json!({"ok": true, "vars": {}}));
    // Shown without `--verbose`: warnings are the CLI's default level.
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Plain text: stderr is not a terminal here, so no colour codes.
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(
        stderr.contains("WARN")
            && stderr.contains("Upgates refused a write")
            && stderr.contains("path=/api/v2/orders/2025000123/history status=500"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(fake.order("2025000123").unwrap()["status_id"], json!(3));
    let sent: Vec<(String, String)> = fake
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        sent,
        [
            ("PUT".into(), "/api/v2/orders".into()),
            ("POST".into(), "/api/v2/orders/2025000123/history".into()),
        ]
    );
}

#[test]
fn check_reports_rights_and_quota_and_statuses_lists_names() {
    let fake = FakeShop::sample(std::time::SystemTime::now());
    fake.set_quota(50, 600);
    let server = fake.serve_in_thread().unwrap();
    let url = server.api_url();
    let env = sample_env(&url);

    let ok = upgates(&["check"], &env);
    let text = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{text}");
    assert!(
        text.contains("warning: the API URL is not shaped like"),
        "{text}"
    );
    assert!(
        text.contains("verify-order       ok") && text.contains("set-order-status   ok"),
        "{text}"
    );
    assert!(text.contains("quota: 49 of 50 left this hour"), "{text}");
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(fake.requests()[0].path, "/api/v2/status");

    fake.set_rights("orders", "readonly");
    fake.set_rights("invoices", "deny");
    let broken = upgates(&["check"], &env);
    let text = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{text}");
    assert!(
        text.contains("set-order-status   CANNOT WORK: missing orders write"),
        "{text}"
    );
    assert!(
        text.contains("order-documents    works, degraded: missing invoices read"),
        "{text}"
    );
    assert!(text.contains("verify-order       ok"), "{text}");

    let statuses = upgates(&["statuses"], &env);
    let text = String::from_utf8_lossy(&statuses.stdout);
    assert_eq!(statuses.status.code(), Some(0));
    assert!(
        text.contains("cs: Stornovaná | en: Cancelled | sk: Stornovaná"),
        "{text}"
    );
    assert!(
        text.contains("Custom") && text.contains("Awaiting stock"),
        "{text}"
    );
}

#[test]
fn shops_file_picks_a_shop_and_env_overrides_it() {
    let fake = FakeShop::sample(std::time::SystemTime::now());
    let server = fake.serve_in_thread().unwrap();
    let dir = std::env::temp_dir().join(format!("upgates-shops-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("shops.toml");
    std::fs::write(
        &file,
        format!(
            "default = \"broken\"\n\n[shops.broken]\napi_url = \"https://x.admin.s1.upgates.com/api/v2\"\napi_login = \"x\"\napi_key = \"x\"\n\n\
             [shops.demo]\napi_url = \"{}\"\napi_login = \"{SAMPLE_LOGIN}\"\napi_key_env = \"DEMO_SHOP_KEY\"\n",
            server.api_url()
        ),
    )
    .unwrap();
    // It holds a key: readable by others (the umask's 0644), it is refused, naming the fix.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = |mode| std::fs::Permissions::from_mode(mode);
        std::fs::set_permissions(&file, permissions(0o644)).unwrap();
        let args = [
            "--config",
            file.to_str().unwrap(),
            "verify-order",
            "--order",
            "1",
        ];
        let refused = upgates(&args, &[]);
        assert_eq!(refused.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("chmod 600"), "{stderr}");
        std::fs::set_permissions(&file, permissions(0o600)).unwrap();
    }
    let config = file.to_str().unwrap();
    let answer = upgates(
        &[
            "--config",
            config,
            "--shop",
            "demo",
            "customer-email",
            "--order",
            "2025000123",
        ],
        &[("DEMO_SHOP_KEY", SAMPLE_KEY)],
    );
    assert_eq!(
        stdout_json(&answer),
        json!({"ok": true, "vars": {"email": "jana.novakova@example.cz"}})
    );

    let wrong_key = upgates(
        &[
            "--config",
            config,
            "--shop",
            "demo",
            "customer-email",
            "--order",
            "2025000123",
        ],
        &[
            ("DEMO_SHOP_KEY", SAMPLE_KEY),
            ("UPGATES_API_KEY", "overridden"),
        ],
    );
    assert_eq!(stdout_json(&wrong_key)["reason"], json!("unauthorized"));

    let unknown = upgates(
        &[
            "--config",
            config,
            "--shop",
            "eshop",
            "verify-order",
            "--order",
            "1",
        ],
        &[],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no shop named `eshop`"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `upgates serve` shares the CLI's log setup: at `RUST_LOG=trace` its log holds our own
/// debug lines (the upstream requests' paths) but not the phone, e-mails, note texts, key,
/// login (nor `login:key` in base64) or bot token, through every action.
#[tokio::test(flavor = "multi_thread")]
async fn serve_at_trace_logs_no_secret_or_personal_data() {
    use crate::support::servers;
    use bytes::Bytes;
    use http_body_util::Full;
    let (key, login, token) = (
        "k3y-7d0c1e5b9a",
        "bot-login-31337",
        "serve-token-0123456789",
    );
    let fake = FakeShop::new(login, key);
    let sample = FakeShop::sample(std::time::SystemTime::now());
    for n in ["2025000123", "2025000124", "2025000125"] {
        fake.add_order(sample.order(n).unwrap());
    }
    let upgates = fake.serve().await.unwrap();
    let env: Vec<(String, String)> = [
        ("UPGATES_API_URL", upgates.api_url().as_str()),
        ("UPGATES_API_LOGIN", login),
        ("UPGATES_API_KEY", key),
        ("UPGATES_BOT_TOKEN", token),
        ("RUST_LOG", "trace"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec();
    let server = servers::upgates_serve(crate::UPGATES, &env, &[]);
    let email = r#""email":"jana.novakova@example.cz""#;
    let calls = [
        ("verify-order", r#"{"order":"2025000123"}"#.to_owned()),
        (
            "order-detail",
            format!(r#"{{"order":"2025000123",{email}}}"#),
        ),
        ("customer-email", r#"{"order":"2025000123"}"#.to_owned()),
        (
            "set-order-status",
            r#"{"order":"2025000125","status":"Nope"}"#.to_owned(),
        ),
        (
            "verify-customer",
            format!(r#"{{"order":"2025000124",{email}}}"#),
        ),
        (
            "orders-by-phone",
            r#"{"phone":"+420 601 223 344","days":"30"}"#.to_owned(),
        ),
        (
            "append-note",
            r#"{"order":"2025000125","text":"volejte 601 223 344"}"#.to_owned(),
        ),
        (
            "replace-note",
            r#"{"order":"2025000125","text":"volejte 601 223 344"}"#.to_owned(),
        ),
        (
            "order-documents",
            format!(r#"{{"order":"2025000124",{email}}}"#),
        ),
    ];
    for (action, body) in &calls {
        let request = http::Request::post(format!("/v1/{action}"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.clone())))
            .unwrap();
        let answer = servers::send(&server.base, request).await;
        assert_eq!(answer.status, http::StatusCode::OK, "{action}");
    }
    let log = server.log_with("answered", calls.len());
    assert!(log.contains("TRACE") || log.contains("DEBUG"), "{log}");
    assert!(log.contains("/api/v2/orders"), "{log}");
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:{key}"))
    };
    for secret in [
        key,
        login,
        token,
        &basic,
        "jana.novakova",
        "601223344",
        "601 223 344",
        "volejte",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}
