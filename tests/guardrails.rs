//! The shop's guardrails through the component in the host: the shared scenario table
//! (`support/guardrails.rs`, also run through the Spin app), plus what only the host does.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use support::guardrails::{self, MASKED_PHONE, Scenario};
use support::{API_URL, Sent, now, runtime, sample_shop, sent};
use upgates_core::{ActionInput, ActionName, ShopConfig, render};
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};
use upgates_host::ShopConnection;

/// The sample shop's connection with `settings` on top, as `wasi:config` keys. The cache is
/// off so every call's requests show (the Spin app has none); the rest is the default policy.
fn connection(fake: &FakeShop, settings: &[(&str, &str)]) -> ShopConnection {
    let config = ShopConfig::from_lookup(|key| match key {
        "api-url" => Some(API_URL.into()),
        "api-login" => Some(SAMPLE_LOGIN.into()),
        "api-key" => Some(SAMPLE_KEY.into()),
        other => settings
            .iter()
            .find(|(k, _)| *k == other)
            .map(|(_, v)| v.to_string()),
    })
    .expect("valid settings");
    let handler = fake.clone();
    let mut shop = ShopConnection::new(config).expect("valid policy");
    shop.policy = shop
        .policy
        .isolated()
        .with_in_process(Arc::new(move |req| handler.handle(req)));
    shop.policy.cache_ttl = Duration::ZERO;
    shop.policy.code_list_ttl = Duration::ZERO;
    shop.fixed_time = Some(now());
    shop
}

async fn call(
    shop: &ShopConnection,
    action: ActionName,
    input: &serde_json::Value,
) -> serde_json::Value {
    let input: ActionInput = serde_json::from_value(input.clone()).expect("valid input");
    let result = runtime()
        .call(shop, action, &input)
        .await
        .expect("the component answers");
    render(&result)
}

async fn run(scenario: &Scenario) {
    let fake = sample_shop();
    let shop = connection(&fake, scenario.settings);
    for (i, (action, input, want)) in scenario.calls.iter().enumerate() {
        let got = call(&shop, *action, input).await;
        assert_eq!(&got, want, "{}: call {i} ({action})", scenario.name);
    }
    assert_eq!(sent(&fake), scenario.sent, "{}: requests", scenario.name);
    (scenario.after)(&fake);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_guardrail_scenario_through_the_component() {
    for scenario in guardrails::all() {
        run(&scenario).await;
    }
}

/// The phone is normalised before it is masked: stored as typed in a Czech shop, `0601 223 344`
/// is +420601223344 (Czech numbers have no trunk 0), masked `+420 *** *** 344`; what does not
/// read as a phone number masks to `***`.
#[tokio::test(flavor = "multi_thread")]
async fn order_detail_masks_the_normalised_phone() {
    let input = json!({"order": "2025000123", "email": "jana.novakova@example.cz"});
    for (stored, masked) in [
        ("0601 223 344", MASKED_PHONE),
        ("601/223 344", MASKED_PHONE),
        ("volat po 17:00", "***"),
    ] {
        let fake = sample_shop();
        support::cases::set_phone_of_123(&fake, stored);
        let shop = connection(&fake, &[("mask-personal-data", "true")]);
        let answer = call(&shop, ActionName::OrderDetail, &input).await;
        assert_eq!(answer["vars"]["phone"], json!(masked), "{stored}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn order_detail_masks_the_phone() {
    let fake = sample_shop();
    let shop = connection(&fake, &[("mask-personal-data", "true")]);
    let answer = call(
        &shop,
        ActionName::OrderDetail,
        &json!({"order": "2025000123", "email": "jana.novakova@example.cz"}),
    )
    .await;
    assert_eq!(answer["ok"], json!(true), "{answer}");
    assert_eq!(answer["vars"]["phone"], json!(MASKED_PHONE));
    assert!(!answer.to_string().contains("601223344"));
    // Masking costs no request: the order's read and its products' brands, as unmasked.
    assert_eq!(
        sent(&fake)
            .iter()
            .map(|s| s.path.as_str())
            .collect::<Vec<_>>(),
        ["/api/v2/orders/2025000123", "/api/v2/products/simple"]
    );
}

/// The counts live in the host's shop state: new instances and new connections to the same
/// shop see them; an isolated shop state (another shop) does not.
#[tokio::test(flavor = "multi_thread")]
async fn failed_checks_outlive_the_instance_and_stay_with_the_shop() {
    let fake = sample_shop();
    let first = connection(&fake, &[("verify-attempts", "2")]);
    let wrong = json!({"order": "2025000124", "email": "x@example.cz"});
    let right = json!({"order": "2025000124", "email": "jana.novakova@example.cz"});
    for _ in 0..2 {
        assert_eq!(
            call(&first, ActionName::VerifyCustomer, &wrong).await["reason"],
            json!("not-verified")
        );
    }
    // Both wrong e-mails were checked against the order (this connection has no cache).
    let order_124 = Sent::get("/api/v2/orders/2025000124");
    assert_eq!(sent(&fake), [order_124.clone(), order_124]);
    // A second connection sharing the shop state (a clone of the policy) is limited too.
    let mut second = first.clone();
    second.config.guardrails.verify_attempts = 2;
    fake.clear_requests();
    assert_eq!(
        call(&second, ActionName::VerifyCustomer, &right).await["reason"],
        json!("not-verified")
    );
    assert!(sent(&fake).is_empty(), "no request once the limit is hit");
    // The order's window: `begun` and `given-back` (the refused third check's).
    assert_eq!(first.policy.counters().len(), 2);
    // Another shop's state has its own counts.
    let other = connection(&fake, &[("verify-attempts", "2")]);
    assert_eq!(
        call(&other, ActionName::VerifyCustomer, &right).await,
        json!({"ok": true, "vars": {}})
    );
}

/// A burst of wrong e-mails for one order, all in flight at once: holding a check and
/// counting it are one step, so only `verify-attempts` of them ask for the order and the rest
/// answer `not-verified` at once, while the first still wait for Upgates. (Checked in one
/// step after the count, all ten would wait for the order and be answered.)
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_checks_cannot_slip_under_the_limit() {
    const BURST: usize = 10;
    let fake = sample_shop();
    let mut shop = connection(&fake, &[("verify-attempts", "2")]);
    let support::GatedShop {
        handler,
        gate,
        arrived,
    } = support::gated(&fake, |_, _| true);
    shop.policy = shop.policy.with_in_process_async(handler);
    let wrong = json!({"order": "2025000124", "email": "x@example.cz"});
    let calls: Vec<_> = (0..BURST)
        .map(|_| {
            let (shop, wrong) = (shop.clone(), wrong.clone());
            tokio::spawn(async move { call(&shop, ActionName::VerifyCustomer, &wrong).await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while calls.iter().filter(|c| c.is_finished()).count() < BURST - 2 {
        assert!(
            Instant::now() < deadline,
            "{} of {BURST} calls answered while two waited for Upgates",
            calls.iter().filter(|c| c.is_finished()).count()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The two checks' identical GETs are one request (single flight).
    assert_eq!(arrived.load(Ordering::SeqCst), 1);
    gate.close();
    for call in calls {
        assert_eq!(call.await.unwrap()["reason"], json!("not-verified"));
    }
    assert_eq!(sent(&fake), vec![Sent::get("/api/v2/orders/2025000124")]);
    // What the component counted in the shop's store: two checks held, the eight refused
    // given back.
    let log = upgates_core::WindowedAttempts::for_shop(&shop.config, &**shop.policy.counters());
    // At the component's clock, which the connection pins.
    let now = shop
        .fixed_time
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let hour = Duration::from_secs(3600);
    assert_eq!(log.held_at("2025000124", hour, now.as_secs()), Ok(2));
}

/// With `invoice-links = signed` our host makes the link: the component, which has no
/// signing code, never gets the link settings (its config has no `invoice-link*` key) and
/// answers Upgates' URL with the invoice number, which the host signs.
#[tokio::test(flavor = "multi_thread")]
async fn signed_links_are_made_by_the_host() {
    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    let config = ShopConfig::from_lookup(|key| {
        Some(
            match key {
                "api-url" => API_URL,
                "api-login" => SAMPLE_LOGIN,
                "api-key" => SAMPLE_KEY,
                "invoice-links" => "signed",
                "invoice-link-secret" => SECRET,
                "invoice-link-base-url" => "https://bot.example.cz",
                _ => return None,
            }
            .to_owned(),
        )
    })
    .expect("the host reads signed links");
    let fake = sample_shop();
    let mut shop = connection(&fake, &[]);
    shop.config = config;
    let answer = call(
        &shop,
        ActionName::OrderDocuments,
        &json!({"order": "2025000124", "email": "jana.novakova@example.cz"}),
    )
    .await;
    assert_eq!(answer["vars"]["invoice"], json!("found"), "{answer}");
    assert_eq!(answer["vars"]["invoicenumber"], json!("FV2025001"));
    let url = answer["vars"]["invoiceurl"].as_str().unwrap();
    let token = url
        .strip_prefix("https://bot.example.cz/v1/invoice/")
        .unwrap_or_else(|| panic!("our link, not Upgates': {url}"));
    let grant = upgates_core::invoice_link::verify(SECRET, API_URL, token, support::now())
        .expect("a valid link");
    assert_eq!(
        (grant.order_number.as_str(), grant.invoice_number.as_str()),
        ("2025000124", "FV2025001")
    );
    assert_eq!(grant.expires, support::now() + Duration::from_secs(15 * 60));
    assert_eq!(
        sent(&fake),
        vec![
            Sent::get("/api/v2/orders/2025000124"),
            Sent::get("/api/v2/invoices/FV2025001")
        ]
    );
}

/// The status input takes any 100 characters, so a refused status may be a customer's e-mail
/// or phone: the message (logs, the CLI's JSON) names it redacted. Nothing is written.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_status_is_named_without_contacts() {
    let refused = |typed: &str, named: &str| {
        (
            ActionName::SetOrderStatus,
            json!({"order": "2025000123", "status": typed}),
            json!({"ok": false, "reason": "not-allowed",
                   "message": format!("not allowed by the shop's bot policy: `allowed-statuses` does not list the status `{named}`")}),
        )
    };
    run(&Scenario {
        name: "a refused status with contacts in it",
        settings: &[("allowed-statuses", "Odeslaná; Stornovaná: Přijatá|Nová")],
        calls: vec![
            refused("jana@example.cz 601223344", "… …"),
            refused("Volejte +420 601 223 344", "Volejte …"),
            // All digits: an id (matched against the policy's names through the shop's
            // statuses, 1 GET), and a phone number all the same.
            refused("601223344", "…"),
            refused("Zaplaceno", "Zaplaceno"),
        ],
        sent: vec![Sent::get("/api/v2/order-statuses")],
        after: |shop| assert!(shop.history("2025000123").is_empty()),
    })
    .await;
}
