//! The action table, run natively: upgates-core straight against the fake shop.

mod support;

use support::{cases, run_native, sample_shop};

#[tokio::test]
async fn every_case_natively() {
    for case in cases::all() {
        let shop = sample_shop();
        (case.setup)(&shop);
        let answer = run_native(&shop, case.action, &case.input()).await;
        support::check(&case, &shop, &answer);
    }
}
