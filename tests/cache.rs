//! The host's GET cache on the demo conversation: fewer paid requests, never a stale read
//! before a write or after one.

use crate::support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use support::{GatedShop, gated, in_process, input, runtime, sample_shop};
use upgates_core::guardrails::StatusPolicy;
use upgates_core::{ActionName, Answer, render};

async fn conversation(cache_ttl: Duration, audit: bool) -> (Vec<String>, Value) {
    support::conversation::run(runtime(), cache_ttl, audit).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_saves_a_third_of_the_requests_and_reads_stay_fresh() {
    // The cache's effect on the conversation's reads, without the audit trail's writes.
    let (off, status_off) = conversation(Duration::ZERO, false).await;
    let (on, status_on) = conversation(Duration::from_secs(30), false).await;
    assert_eq!(off.len(), 9, "{off:#?}");
    assert_eq!(on.len(), 6, "{on:#?}");
    assert!(on.len() * 10 <= off.len() * 7, "at least 30 % fewer");
    assert_eq!(
        on,
        [
            "GET /api/v2/orders/2025000124",
            "GET /api/v2/products/simple",
            "GET /api/v2/invoices/FV2025001",
            // append-note's read is marked no-cache: it goes upstream despite the cached order.
            "GET /api/v2/orders/2025000124",
            "PUT /api/v2/orders",
            "PUT /api/v2/orders",
        ]
    );
    assert_eq!(status_off, json!("Vyřizuje se"));
    assert_eq!(
        status_on,
        json!("Vyřizuje se"),
        "a read after the PUT came from a stale cache"
    );
    // With the audit trail (the default) each of the two writes adds its history record:
    // 11 requests without the cache, 8 with it (27 % fewer: the records are writes).
    let (audited_off, _) = conversation(Duration::ZERO, true).await;
    let (audited_on, _) = conversation(Duration::from_secs(30), true).await;
    assert_eq!((audited_off.len(), audited_on.len()), (11, 8));
    let posts = |requests: &[String]| {
        requests
            .iter()
            .filter(|r| *r == "POST /api/v2/orders/2025000124/history")
            .count()
    };
    assert_eq!((posts(&audited_off), posts(&audited_on)), (2, 2));
    eprintln!(
        "demo conversation: {} upstream requests with the cache off, {} with it on \
         ({} and {} with the audit trail)",
        off.len(),
        on.len(),
        audited_off.len(),
        audited_on.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_figures_are_kept() {
    let fake = sample_shop();
    fake.set_quota(50, 600);
    let shop = in_process(&fake);
    let result = runtime()
        .call(
            &shop,
            ActionName::VerifyOrder,
            &input(json!({"order": "2025000123"})),
        )
        .await
        .unwrap();
    assert!(matches!(result, Ok(Answer::Summary(_))));
    let limits = shop
        .policy
        .rate_limits()
        .expect("the fake sends X-Rate-Limit-* headers");
    assert_eq!((limits.hour, limits.day), (Some(50), Some(600)));
    assert_eq!(
        (limits.hour_remaining, limits.day_remaining),
        (Some(49), Some(600))
    );
}

/// The same phone question 20 s later (same minute) is the same URL: answered from the
/// cache. A minute later it is a new period and a new request.
#[tokio::test(flavor = "multi_thread")]
async fn orders_by_phone_asked_again_within_the_minute_is_cached() {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    let ask = input(json!({"phone": "+420 601 223 344", "days": 30}));
    let mut answers = Vec::new();
    for later in [0, 20, 65] {
        shop.fixed_time = Some(support::now() + Duration::from_secs(later));
        let result = runtime()
            .call(&shop, ActionName::OrdersByPhone, &ask)
            .await
            .unwrap();
        answers.push(render(&result));
    }
    assert_eq!(answers[0]["ok"], json!(true), "{}", answers[0]);
    assert!(answers.iter().all(|a| *a == answers[0]));
    let queries: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}?{}",
                r.method,
                r.path,
                r.query.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(queries.len(), 2, "{queries:?}");
    assert!(
        queries[0].contains("creation_time_from=2026-10-29T16%3A40%3A00%2B00%3A00"),
        "{queries:?}"
    );
    assert!(
        queries[1].contains("creation_time_from=2026-10-29T16%3A41%3A00%2B00%3A00"),
        "{queries:?}"
    );
}

/// A GET that was sent before a PUT but answers after it may carry the order as it was: it is
/// handed to its caller, but not kept, so the next read asks Upgates again and sees the write.
#[tokio::test(flavor = "multi_thread")]
async fn a_read_slower_than_a_write_is_not_cached() {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    shop.config.guardrails.audit_trail = false;
    // The first GET waits (a slow Upgates); the fake answers it as the order is when it gets
    // the request, before the write below.
    let GatedShop {
        handler,
        gate,
        arrived: held,
    } = gated(&fake, |before, request| {
        before == 0 && request.method() == http::Method::GET
    });
    shop.policy = shop.policy.with_in_process_async(handler);
    let order = json!({"order": "2025000124"});
    let slow = {
        let shop = shop.clone();
        let order = order.clone();
        tokio::spawn(async move {
            runtime()
                .call(&shop, ActionName::VerifyOrder, &input(order))
                .await
                .unwrap()
        })
    };
    while held.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let write = input(json!({"order": "2025000124", "status": "Vyřizuje se"}));
    let written = runtime()
        .call(&shop, ActionName::SetOrderStatus, &write)
        .await
        .unwrap();
    assert!(written.is_ok(), "{written:?}");
    gate.close();
    let before = render(&slow.await.unwrap());
    assert_eq!(before["vars"]["status"], json!("Odeslaná"), "{before}");
    let after = render(
        &runtime()
            .call(&shop, ActionName::VerifyOrder, &input(order))
            .await
            .unwrap(),
    );
    assert_eq!(after["vars"]["status"], json!("Vyřizuje se"), "{after}");
    assert_eq!(
        method_and_path(&fake),
        [
            "GET /api/v2/orders/2025000124",
            "PUT /api/v2/orders",
            "GET /api/v2/orders/2025000124",
        ]
    );
}

/// An audit-trail record is a write under one order: it drops that order's entries, not the
/// statuses, which stay cached for the hour.
#[tokio::test(flavor = "multi_thread")]
async fn a_history_record_keeps_the_code_lists_cached() {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    assert!(shop.config.guardrails.audit_trail);
    // A status by name that the shop's rules give by id needs the shop's statuses.
    shop.config.guardrails.allowed_statuses = Some(StatusPolicy::parse("2").expect("a valid rule"));
    for order in ["2025000124", "2025000125"] {
        let write = input(json!({"order": order, "status": "Vyřizuje se"}));
        let written = runtime()
            .call(&shop, ActionName::SetOrderStatus, &write)
            .await
            .unwrap();
        assert!(written.is_ok(), "{written:?}");
    }
    // Per order the PUT and its history record (the rule names no status to change from, so
    // no order is read); the statuses once, kept for the second order despite the first's
    // record.
    assert_eq!(
        method_and_path(&fake),
        [
            "GET /api/v2/order-statuses",
            "PUT /api/v2/orders",
            "POST /api/v2/orders/2025000124/history",
            "PUT /api/v2/orders",
            "POST /api/v2/orders/2025000125/history",
        ]
    );
}

/// What reached the fake, as `METHOD /path`.
fn method_and_path(fake: &upgates_fake_shop::FakeShop) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Identical concurrent reads share one request, its failure too: a body over the host's cap
/// is one request, however many callers were waiting for it (each waiter used to send it
/// again in turn, paying for it).
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_shared_read_is_not_sent_again() {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    let GatedShop {
        handler,
        gate,
        arrived,
    } = gated(&fake, |_, _| true);
    shop.policy = shop.policy.with_in_process_async(handler);
    // The sample order is about 4 KB.
    shop.policy.max_response_bytes = 100;
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let shop = shop.clone();
            tokio::spawn(async move {
                runtime()
                    .call(
                        &shop,
                        ActionName::VerifyOrder,
                        &input(json!({"order": "2025000123"})),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    // The first GET is held at the shop; the others join it meanwhile.
    while arrived.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    gate.close();
    for call in calls {
        assert_eq!(
            render(&call.await.unwrap()),
            json!({"ok": false, "reason": "upstream", "message": "unexpected answer from Upgates: the response is too large"})
        );
    }
    assert_eq!(arrived.load(Ordering::SeqCst), 1);
    assert_eq!(method_and_path(&fake), ["GET /api/v2/orders/2025000123"]);
}

/// A write the call's timeout cuts off may have been applied all the same: the order's cached
/// reads are dropped anyway, so the next read asks Upgates instead of answering the old state.
#[tokio::test(flavor = "multi_thread")]
async fn a_write_cut_off_by_the_timeout_drops_the_orders_cached_reads() {
    let fake = sample_shop();
    let mut shop = in_process(&fake);
    shop.config.guardrails.audit_trail = false;
    // The fake applies the PUT when it arrives; its answer is held past the call's timeout.
    let GatedShop { handler, gate, .. } =
        gated(&fake, |_, request| request.method() == http::Method::PUT);
    shop.policy = shop.policy.with_in_process_async(handler);
    shop.policy.call_timeout = Duration::from_millis(300);
    let order = json!({"order": "2025000124"});
    let status = |answer: &Value| answer["vars"]["status"].clone();
    let before = render(
        &runtime()
            .call(&shop, ActionName::VerifyOrder, &input(order.clone()))
            .await
            .unwrap(),
    );
    assert_eq!(status(&before), json!("Odeslaná"), "{before}");
    let write = input(json!({"order": "2025000124", "status": "Vyřizuje se"}));
    let cut = runtime()
        .call(&shop, ActionName::SetOrderStatus, &write)
        .await
        .unwrap();
    assert_eq!(cut, Err(upgates_core::Failure::Timeout));
    // The cut-off request's task is dropped by the runtime just after the call ends, and the
    // entries with it: until then a read may still be served from the cache (no request).
    let mut after = Value::Null;
    for _ in 0..200 {
        after = render(
            &runtime()
                .call(&shop, ActionName::VerifyOrder, &input(order.clone()))
                .await
                .unwrap(),
        );
        if status(&after) != status(&before) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status(&after), json!("Vyřizuje se"), "{after}");
    gate.close();
    assert_eq!(
        method_and_path(&fake),
        [
            "GET /api/v2/orders/2025000124",
            "PUT /api/v2/orders",
            "GET /api/v2/orders/2025000124",
        ]
    );
}
