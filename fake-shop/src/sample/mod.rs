//! The sample shop: six order statuses, five orders (one in the 2024 response shape), two
//! invoices and three products, dated relative to "now".

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::state::State;

mod invoices;
mod order_parts;
mod orders;
mod products;

use invoices::{invoice_fv2025001, invoice_fv2025002};
use orders::{order_077, order_123, order_124, order_125, order_126};
use products::products;

const ADMIN: &str = "https://demo.admin.s1.upgates.com";

/// Fills an empty shop with the sample data.
pub(crate) fn fill(state: &mut State, now: OffsetDateTime) {
    state.statuses = order_statuses();
    state.products = products();
    let ago = |days: i64| now - Duration::days(days);
    let specs = [
        order_123(ago(1)),
        order_124(ago(10), ago(8)),
        order_125(ago(3)),
        order_126(ago(40), ago(39)),
    ];
    let mut orders: Vec<Value> = specs
        .into_iter()
        .map(|s| s.to_json(&state.statuses))
        .collect();
    orders.insert(2, order_077(ago(400), ago(395), &state.statuses));
    state.orders = orders;
    state.invoices = vec![invoice_fv2025001(ago(10)), invoice_fv2025002(ago(39))];
}

/// A JSON number, integral values without a fraction (`2`, not `2.0`), as PHP writes them.
fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn without_vat(price: f64, vat: f64) -> f64 {
    round2(price / (1.0 + vat / 100.0))
}

fn order_statuses() -> Vec<Value> {
    let rows: [(i64, &str, &str, [&str; 3], bool); 6] = [
        (
            1,
            "Received",
            "#3498db",
            ["Přijatá", "Received", "Prijatá"],
            false,
        ),
        (
            2,
            "Custom",
            "#f39c12",
            ["Vyřizuje se", "Processing", "Vybavuje sa"],
            false,
        ),
        (
            3,
            "Sent",
            "#2ecc71",
            ["Odeslaná", "Sent", "Odoslaná"],
            false,
        ),
        (
            4,
            "Canceled",
            "#e74c3c",
            ["Stornovaná", "Cancelled", "Stornovaná"],
            false,
        ),
        (
            5,
            "Custom",
            "#9b59b6",
            ["Čeká na zboží", "Awaiting stock", "Čaká na tovar"],
            false,
        ),
        (
            6,
            "PaymentSuccessful",
            "#27ae60",
            ["Zaplaceno", "Paid", "Zaplatené"],
            true,
        ),
    ];
    rows.iter()
        .map(|(id, kind, color, [cs, en, sk], paid)| {
            json!({
                "id": id,
                "type": kind,
                "color": color,
                "descriptions": [
                    { "language_id": "cs", "name": cs },
                    { "language_id": "en", "name": en },
                    { "language_id": "sk", "name": sk },
                ],
                "mark_resolved_yn": false,
                "mark_paid_yn": paid,
                "last_update_time": "2024-09-02T10:00:00+01:00",
                "creation_time": "2023-01-10T09:00:00+01:00",
            })
        })
        .collect()
}
