//! `upgates check`'s reading of the API URL and of the API user's rights (cli/src/admin.rs).

use crate::support;

use upgates_cli::admin::{Privilege, check, exposure_warnings, privilege_of, url_warning};
use upgates_core::Guardrails;
use upgates_core::admin::ApiStatus;
use upgates_core::guardrails::{EnabledActions, StatusPolicy};

#[test]
fn url_shape() {
    assert_eq!(
        url_warning("https://demo.admin.s1.upgates.com/api/v2"),
        None
    );
    assert!(url_warning("https://demo.upgates.com/api/v2").is_some());
    assert!(url_warning("https://demo.admin.s1.upgates.com/api").is_some());
}

/// A service found by its URL when its name is not the one we look for.
#[test]
fn rights_by_name_or_by_endpoint_url() {
    let status: ApiStatus = serde_json::from_value(serde_json::json!({"services": [
        {"service": "Objednávky", "url": "https://x.admin.s1.upgates.com/api/v2/orders/",
         "privilege": "all"},
        {"service": "invoices", "url": "https://x.admin.s1.upgates.com/api/v2/elsewhere",
         "privilege": "readonly"},
        {"service": "Produkty", "url": "https://x.admin.s1.upgates.com/api/v2/products-old",
         "privilege": "all"},
    ]}))
    .unwrap();
    let services = &status.services;
    assert_eq!(privilege_of(services, "orders"), Privilege::All);
    assert_eq!(privilege_of(services, "invoices"), Privilege::ReadOnly);
    assert_eq!(privilege_of(services, "products"), Privilege::Deny);
}

const ANY_STATUS: &str = "set-order-status may set any status: list the ones the bot may set in `allowed-statuses`, or leave it out of `enabled-actions`";
const EMAIL_TO_ANYONE: &str = "customer-email tells anyone who has an order number its customer's e-mail: set `require-proof` or `mask-personal-data`, or leave it out of `enabled-actions`";

fn no_proof(writes: &str) -> String {
    format!(
        "the writes ({writes}) take only an order number: set `proof-secret` and `require-proof` so they need the proof of the customer's e-mail check"
    )
}

/// The seed's defaults leave every door open; each setting closes its own.
#[test]
fn exposure_warnings_name_what_a_stranger_could_do() {
    let open = Guardrails::default();
    assert_eq!(
        exposure_warnings(&open),
        [
            ANY_STATUS.to_owned(),
            EMAIL_TO_ANYONE.to_owned(),
            no_proof("set-order-status, append-note, replace-note"),
        ]
    );
    let masked = Guardrails {
        mask_personal_data: true,
        allowed_statuses: Some(StatusPolicy::parse("Odeslaná").unwrap()),
        ..Guardrails::default()
    };
    assert_eq!(
        exposure_warnings(&masked),
        [no_proof("set-order-status, append-note, replace-note")]
    );
    let hardened = Guardrails {
        proof_secret: Some("0123456789abcdef0123456789abcdef".into()),
        require_proof: true,
        ..masked
    };
    assert!(exposure_warnings(&hardened).is_empty());
    // A bot that only reads has nothing to warn about.
    let reads = Guardrails {
        enabled_actions: EnabledActions::parse("verify-order, verify-customer, order-detail")
            .unwrap(),
        ..Guardrails::default()
    };
    assert!(exposure_warnings(&reads).is_empty());
}

/// `check` prints the warnings, and an action the shop turned off needs no rights: one GET of
/// the API user's status, and the exit code is the rights' alone.
#[tokio::test(flavor = "multi_thread")]
async fn check_warns_and_skips_the_actions_turned_off() {
    let fake = support::sample_shop();
    fake.set_rights("invoices", "deny");
    let mut shop = support::in_process(&fake);
    shop.config.guardrails.enabled_actions =
        EnabledActions::parse("verify-order, append-note").unwrap();
    let report = check(&shop).await.expect("the status is read");
    assert_eq!(report.exposure, [no_proof("append-note")]);
    assert!(report.all_actions_work(), "{report:?}");
    let text = report.to_text();
    for line in [
        "warning: the writes (append-note) take only an order number: set `proof-secret`",
        "verify-order       ok",
        "append-note        ok",
        "order-documents    off (not in `enabled-actions`)",
        "customer-email     off (not in `enabled-actions`)",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert_eq!(support::sent(&fake), [support::Sent::get("/api/v2/status")]);
}
