//! The demo conversation on one order, the cache scenario: verify-order,
//! verify-customer, order-detail, order-documents, append-note, set-order-status. Shared by
//! `tests/cache.rs` (which asserts its requests) and the bench (which reports their count
//! with the cache off and on, and times the conversation). The shop requires proofs, as a
//! shop that lets its bot write should: the writes carry verify-customer's, at no request.

use std::time::Duration;

use serde_json::{Value, json};
use upgates_core::{ActionName, render};
use upgates_host::PluginRuntime;

use super::{in_process, input, sample_shop};

/// Runs the conversation against a fresh sample shop; returns the upstream requests
/// (`METHOD /path`) and the status a `verify-order` reads afterwards. `cache_ttl` is the
/// host's GET cache (zero: off), `audit` the `audit-trail` setting (one POST to the order's
/// history per write).
pub async fn run(
    runtime: &PluginRuntime,
    cache_ttl: Duration,
    audit: bool,
) -> (Vec<String>, Value) {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    shop.config.guardrails.audit_trail = audit;
    shop.config.guardrails.proof_secret = Some(super::guardrails::PROOF_SECRET.into());
    shop.config.guardrails.require_proof = true;
    shop.policy.cache_ttl = cache_ttl;
    shop.policy.code_list_ttl = cache_ttl;
    let order = json!({"order": "2025000124"});
    let verified = json!({"order": "2025000124", "email": "jana.novakova@example.cz"});
    let steps = [
        (ActionName::VerifyOrder, order.clone()),
        (ActionName::VerifyCustomer, verified.clone()),
        (ActionName::OrderDetail, verified.clone()),
        (ActionName::OrderDocuments, verified),
        (
            ActionName::AppendNote,
            json!({"order": "2025000124", "text": "Bot: zákazník ověřen."}),
        ),
        (
            ActionName::SetOrderStatus,
            json!({"order": "2025000124", "status": "Vyřizuje se"}),
        ),
    ];
    // verify-customer's `proof`, which the writes pass on.
    let mut proof = Value::Null;
    for (action, mut args) in steps {
        if matches!(action, ActionName::AppendNote | ActionName::SetOrderStatus) {
            args["proof"] = proof.clone();
        }
        let result = runtime
            .call(&shop, action, &input(args))
            .await
            .expect("the component runs to an answer");
        assert!(result.is_ok(), "{action}: {result:?}");
        if action == ActionName::VerifyCustomer {
            proof = render(&result)["vars"]["proof"].clone();
            assert!(proof.is_string(), "{result:?}");
        }
    }
    let requests = fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    // The read after the write must see it.
    let after = runtime
        .call(&shop, ActionName::VerifyOrder, &input(order))
        .await
        .expect("the component runs to an answer");
    (requests, render(&after)["vars"]["status"].clone())
}
