//! The Spin app's own behaviour through the wasmtime harness: its settings (Spin variables),
//! its log and its world here; its guardrails, deadline and key-value store of failed e-mail
//! checks in `guardrails`; its invoice route's links and streaming in `invoices`. The HTTP
//! layer it shares with `upgates serve` is held by the case table (`http_cases.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::Full;
use serde_json::{Value, json};
use upgates_core::ActionName;
use upgates_fake_shop::{Fault, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::HttpPolicy;

mod guardrails;
mod invoices;

use crate::support::spin_harness::*;
use crate::support::{self, API_URL, Sent, cases, sample_shop, sent};

// --- the nine routes ----------------------------------------------------------------------

/// The same answers as the plugin, side by side, for one "Ano" and one "Ne" per action.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_json_as_the_plugin() {
    let samples = [
        (ActionName::VerifyOrder, json!({"order": "2025000124"})),
        (
            ActionName::OrderDetail,
            json!({"order": "2025000123", "email": "jana.novakova@example.cz"}),
        ),
        (ActionName::CustomerEmail, json!({"order": "2025000125"})),
        (
            ActionName::SetOrderStatus,
            json!({"order": "2025000123", "status": "Odeslaná"}),
        ),
        (
            ActionName::VerifyCustomer,
            json!({"order": "2025000124", "email": "x@example.cz"}),
        ),
        (
            ActionName::OrdersByPhone,
            json!({"phone": "601 223 344", "days": 60}),
        ),
        (
            ActionName::AppendNote,
            json!({"order": "9999999", "text": "x"}),
        ),
        (
            ActionName::ReplaceNote,
            json!({"order": "2025000124", "text": "Nová"}),
        ),
        (
            ActionName::OrderDocuments,
            json!({"order": "2025000124", "email": "jana.novakova@example.cz"}),
        ),
    ];
    for (action, input) in samples {
        let (plugin_shop, spin_shop) = (sample_shop(), sample_shop());
        let input_struct = serde_json::from_value(input.clone()).unwrap();
        let plugin = support::run_wasm(&plugin_shop, action, &input_struct).await;
        let spin = serve(&spin_shop, variables(), post(action, &input)).await;
        assert_eq!(spin.json, plugin, "{action}");
        assert_eq!(sent(&spin_shop), sent(&plugin_shop), "{action}: requests");
    }
}

// --- configuration ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_variable_is_a_500_naming_it_never_a_value() {
    for name in ["api_url", "api_login", "api_key", "bot_token"] {
        for value in [None, Some("  ")] {
            let fake = sample_shop();
            let mut vars = variables();
            match value {
                None => vars.remove(name),
                Some(blank) => vars.insert(name.to_owned(), blank.to_owned()),
            };
            let reply = serve(
                &fake,
                vars,
                post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
            )
            .await;
            assert_error(
                &reply,
                500,
                "misconfigured",
                &format!("shop configuration: `{name}` is not set"),
            );
            for secret in [SAMPLE_KEY, SAMPLE_LOGIN, TOKEN, "demo.admin"] {
                assert!(
                    !reply.json.to_string().contains(secret),
                    "{name}: {reply:?}"
                );
            }
            assert!(fake.requests().is_empty(), "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_variables_are_named_too() {
    let invalid = [
        (
            "api_url",
            "ftp://demo.admin.s1.upgates.com",
            "shop configuration: `api_url` must start with https://",
        ),
        // The login and key would go over the network in clear text.
        (
            "api_url",
            "http://demo.admin.s1.upgates.com/api/v2",
            "shop configuration: `api_url` must start with https:// (http:// only for \
             127.0.0.1, [::1] or localhost)",
        ),
        (
            "api_login",
            "demo:x",
            "shop configuration: `api_login` must be non-empty, without `:` or control characters",
        ),
        (
            "default_country_code",
            "42a",
            "shop configuration: `default_country_code` must be 1 to 3 digits, e.g. 420",
        ),
        (
            "verify_appends",
            "maybe",
            "shop configuration: `verify_appends` must be true or false",
        ),
        (
            "bot_token",
            "short",
            "shop configuration: `bot_token` must be at least 16 printable characters without spaces",
        ),
        // `allowed_outbound_hosts` would refuse every request to Upgates.
        (
            "api_origin",
            "https://other.admin.s1.upgates.com",
            "shop configuration: `api_origin` must be the scheme and host of `api_url` \
             (https://<shop>.admin.<server>.upgates.com): the only host the app may call",
        ),
        // deploy/secret.example.yaml's placeholder passes the length check; deployed as it
        // is, anyone could call the bot.
        (
            "bot_token",
            "REPLACE-WITH-openssl-rand-hex-32",
            "shop configuration: `bot_token` is still the example's placeholder: set a secret of your own",
        ),
    ];
    for (name, value, message) in invalid {
        let fake = sample_shop();
        let mut vars = variables();
        vars.insert(name.to_owned(), value.to_owned());
        let reply = serve(
            &fake,
            vars,
            post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
        )
        .await;
        assert_error(&reply, 500, "misconfigured", message);
        assert!(fake.requests().is_empty(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_country_code_defaults_to_420_and_can_be_changed() {
    let input = json!({"phone": "601 223 344", "days": 30});
    let fake = sample_shop();
    let mut vars = variables();
    vars.remove("default_country_code");
    let reply = serve(&fake, vars, post(ActionName::OrdersByPhone, &input)).await;
    assert_eq!(reply.json["vars"]["count"], json!(2), "{reply:?}");
    // A Slovak shop: a national number gets 421 (one starting with 6 or 7 is Czech anywhere).
    let input = json!({"phone": "212 345 678", "days": 30});
    let fake = sample_shop();
    let mut vars = variables();
    vars.insert("default_country_code".into(), "421".into());
    let reply = serve(&fake, vars, post(ActionName::OrdersByPhone, &input)).await;
    assert_eq!(
        reply.json,
        json!({"ok": true, "vars": {"count": 0, "orders": []}})
    );
    assert_eq!(sent(&fake).len(), 1);
    assert!(
        fake.requests()[0]
            .query
            .as_deref()
            .unwrap()
            .starts_with("phone=421212345678&")
    );
}

/// A 429 with a short `Retry-After` is waited out on the host's clock and the read sent
/// once more, as the plugin does.
#[tokio::test(flavor = "multi_thread")]
async fn a_short_retry_after_is_waited_out_like_the_plugin() {
    let input = json!({"order": "2025000123"});
    let rate_limited = || Fault::status(429).header("Retry-After", "1");
    let (plugin_shop, spin_shop) = (sample_shop(), sample_shop());
    plugin_shop.push_fault(rate_limited());
    spin_shop.push_fault(rate_limited());
    let plugin = support::run_wasm(
        &plugin_shop,
        ActionName::VerifyOrder,
        &serde_json::from_value(input.clone()).unwrap(),
    )
    .await;
    let started = std::time::Instant::now();
    let spin = serve(
        &spin_shop,
        variables(),
        post(ActionName::VerifyOrder, &input),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(spin.json["ok"], json!(true), "{spin:?}");
    assert_eq!(spin.json, plugin);
    let order = || Sent::get("/api/v2/orders/2025000123");
    assert_eq!(sent(&spin_shop), vec![order(), order()]);
}

/// With `verify_appends` (several replicas writing one shop) an append is read back.
#[tokio::test(flavor = "multi_thread")]
async fn verify_appends_reads_the_note_back() {
    let fake = sample_shop();
    let mut vars = variables();
    vars.insert("verify_appends".into(), "true".into());
    let input = json!({"order": "2025000123", "text": "Druhý řádek"});
    let reply = serve(&fake, vars, post(ActionName::AppendNote, &input)).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}), "{reply:?}");
    let methods: Vec<String> = sent(&fake).into_iter().map(|s| s.method).collect();
    // The read, the write, the read-back, then the history record (`audit_trail`).
    assert_eq!(methods, ["GET", "PUT", "GET", "POST"]);
    assert_eq!(
        fake.order("2025000123").unwrap()["internal_note"],
        json!("Druhý řádek")
    );
}

/// `api_url` names another host than the one the host allows: the request is refused before
/// it leaves, as Spin refuses hosts missing from `allowed_outbound_hosts`. (Plain http to the
/// shop is refused earlier, as a setting: `invalid_variables_are_named_too`.)
#[tokio::test(flavor = "multi_thread")]
async fn another_host_than_the_shops_is_refused() {
    for url in [
        "https://evil.example/api/v2",
        "https://demo.admin.s1.upgates.com:8443/api/v2",
    ] {
        let fake = sample_shop();
        let mut vars = variables();
        vars.insert("api_url".into(), url.into());
        // The host's own allow-list, not the variable the app checks (that one is a 500:
        // `invalid_variables_are_named_too`).
        vars.remove("api_origin");
        let reply = serve(
            &fake,
            vars,
            post(ActionName::VerifyOrder, &json!({"order": "2025000123"})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{url}");
        assert_eq!(
            reply.json,
            json!({"ok": false, "reason": "misconfigured",
                   "message": "shop configuration: the host does not allow requests to this API URL"}),
            "{url}"
        );
        assert!(fake.requests().is_empty(), "{url}");
    }
}

/// Every Spin variable the app reads is passed to it in spin.toml's
/// `[component.upgates-bot.variables]`, as `name = "{{ name }}"`: one declared only under
/// `[variables]` reads as undefined under real Spin, and a check on it never runs there (as
/// `api_origin`'s once did). The names are those the app asked the harness for, on every
/// route, with every setting given.
#[tokio::test(flavor = "multi_thread")]
async fn spin_toml_passes_every_variable_the_app_reads() {
    let fake = sample_shop();
    let mut vars = variables();
    for setting in upgates_core::settings::SETTINGS {
        vars.entry(setting.key.replace('-', "_"))
            .or_insert_with(|| setting.default.to_owned());
    }
    let order = json!({"order": "2025000123"});
    serve(&fake, vars.clone(), post(ActionName::VerifyOrder, &order)).await;
    serve(
        &fake,
        vars.clone(),
        request(Method::GET, "/v1/ready", None, ""),
    )
    .await;
    let asked = asked_variables();
    for needed in [
        "api_url",
        "api_origin",
        "bot_token",
        "invoice_link_downloads",
    ] {
        assert!(asked.contains(needed), "{needed}: {asked:?}");
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spin.toml");
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let declared = manifest["variables"].as_table().unwrap();
    let passed = manifest["component"]["upgates-bot"]["variables"]
        .as_table()
        .unwrap();
    for name in &asked {
        assert_eq!(
            passed.get(name).and_then(|v| v.as_str()),
            Some(format!("{{{{ {name} }}}}").as_str()),
            "spin.toml does not pass `{name}` to the component"
        );
        assert!(declared.contains_key(name), "`{name}` is not declared");
    }
}

// --- what the app logs -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn the_log_names_the_reason_never_the_customer() {
    let fake = sample_shop();
    let input = json!({"order": "2025000124", "email": "peter.horvath@example.sk"});
    let reply = serve(&fake, variables(), post(ActionName::VerifyCustomer, &input)).await;
    assert_eq!(reply.json["reason"], json!("not-verified"));
    assert_eq!(reply.log, "upgates-bot: verify-customer: not-verified\n");
    assert_eq!(sent(&fake), vec![Sent::get("/api/v2/orders/2025000124")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_audit_record_is_logged_and_the_write_still_answers_ano() {
    let fake = sample_shop();
    fake.push_fault(Fault::status(500).on(Method::POST, "/history"));
    let input = json!({"order": "2025000123", "status": "Odeslaná", "notify": false});
    let reply = serve(&fake, variables(), post(ActionName::SetOrderStatus, &input)).await;
    assert_eq!(reply.json, json!({"ok": true, "vars": {}}));
    assert_eq!(
        reply.log,
        "upgates-bot: Upgates refused a write: POST /api/v2/orders/2025000123/history (500)\n"
    );
    assert_eq!(fake.order("2025000123").unwrap()["status_id"], json!(3));
    assert!(fake.history("2025000123").is_empty());
    assert_eq!(sent(&fake), refused_audit_requests());
}

/// The status change of [`a_refused_audit_record_is_logged_and_the_write_still_answers_ano`]:
/// the PUT, then the history record Upgates refuses; nothing is retried.
fn refused_audit_requests() -> Vec<Sent> {
    vec![
        Sent::put(
            "/api/v2/orders",
            json!({"send_emails_yn": false, "send_sms_yn": false,
                   "orders": [{"order_number": "2025000123", "status": "Odeslaná"}]}),
        ),
        cases::history(
            "2025000123",
            "Chatbot: změna stavu",
            "Nový stav: Odeslaná (upozornit zákazníka: ne)",
        ),
    ]
}

// --- the world ---------------------------------------------------------------------------

/// What the component needs from its host is what Spin provides: WASI 0.2 for Rust's std,
/// `wasi:http` 0.3, `spin:variables` and `wasi:keyvalue` draft2 (store and atomics, which Spin
/// serves from the same stores as `spin:key-value`); no sockets, no files. It exports the
/// WASIp3 handler.
#[test]
fn imports_only_what_spin_provides() {
    let (engine, pre) = spin_app();
    let ty = pre.instance_pre().component().component_type();
    let allowed = [
        "wasi:cli/",
        "wasi:io/",
        "wasi:clocks/",
        "wasi:random/",
        "wasi:http/types@0.3.0",
        "wasi:http/client@0.3.0",
        "spin:variables/variables@3.0.0",
        "wasi:keyvalue/store@0.2.0-draft2",
        "wasi:keyvalue/atomics@0.2.0-draft2",
    ];
    let imports: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    for name in &imports {
        assert!(
            allowed.iter().any(|a| name.starts_with(a)),
            "unexpected import {name}"
        );
    }
    for needed in [
        "spin:variables/variables@3.0.0",
        "wasi:keyvalue/atomics@0.2.0-draft2",
    ] {
        assert!(imports.iter().any(|n| n == needed), "{needed}: {imports:?}");
    }
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    assert_eq!(exports, ["wasi:http/handler@0.3.0"]);
}

// --- shared by the guardrail and invoice tests ---------------------------------------------

/// The sample shop's variables with `settings` (the component's `wasi:config` keys) on top, as
/// Spin variables (`-` → `_`).
fn variables_with(settings: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars = variables();
    for (key, value) in settings {
        vars.insert(key.replace('-', "_"), (*value).to_owned());
    }
    vars
}
