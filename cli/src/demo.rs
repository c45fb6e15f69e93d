//! `upgates demo`: the fake shop on a loopback port and a customer conversation through all
//! nine actions, over real HTTP, printed for people.

use std::io::Write;
use std::time::SystemTime;

use serde_json::json;
use upgates_core::{ActionInput, ActionName, ShopConfig, render_text};
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};

use upgates_host::{PluginRuntime, ShopConnection};

/// One bot step: what the customer said, the action the scenario calls, its inputs.
struct Step {
    said: &'static str,
    action: ActionName,
    input: ActionInput,
}

/// Builds an action's inputs from JSON, as a Spin request body would carry them.
fn input(json: serde_json::Value) -> ActionInput {
    serde_json::from_value(json).unwrap_or_default()
}

fn conversation() -> Vec<Step> {
    use ActionName::*;
    let step = |said, action, json| Step {
        said,
        action,
        input: input(json),
    };
    vec![
        step(
            "Dobrý den, kde je moje objednávka 2025000123?",
            VerifyOrder,
            json!({"order": "2025000123"}),
        ),
        step(
            "A co objednávka 9999999?",
            VerifyOrder,
            json!({"order": "9999999"}),
        ),
        step(
            "Můj e-mail je jana.novakova@example.cz",
            VerifyCustomer,
            json!({"order": "2025000123", "email": "jana.novakova@example.cz"}),
        ),
        step(
            "(someone guessing) Můj e-mail je jan@example.cz",
            VerifyCustomer,
            json!({"order": "2025000123", "email": "jan@example.cz"}),
        ),
        step(
            "Co všechno jsem objednala?",
            OrderDetail,
            json!({"order": "2025000123", "email": "Jana.Novakova@example.cz"}),
        ),
        step(
            "(the scenario checks the e-mail on file)",
            CustomerEmail,
            json!({"order": "2025000123"}),
        ),
        step(
            "Jaké objednávky mám na telefonu +420 601 223 344?",
            OrdersByPhone,
            json!({"phone": "+420 601 223 344", "days": 30}),
        ),
        step(
            "Pošlete mi fakturu k 2025000124.",
            OrderDocuments,
            json!({"order": "2025000124", "email": "jana.novakova@example.cz"}),
        ),
        step(
            "A k 2025000123?",
            OrderDocuments,
            json!({"order": "2025000123", "email": "jana.novakova@example.cz"}),
        ),
        step(
            "Prosím doručit až po 17. hodině.",
            AppendNote,
            json!({"order": "2025000123", "text": "Zákazník (bot): doručit po 17:00."}),
        ),
        step(
            "(the scenario rewrites the note)",
            ReplaceNote,
            json!({"order": "2025000123", "text": "Storno přes chatbota."}),
        ),
        step(
            "Chci objednávku 2025000123 zrušit.",
            SetOrderStatus,
            json!({"order": "2025000123", "status": "Stornovaná", "notify": true}),
        ),
        step("Je zrušená?", VerifyOrder, json!({"order": "2025000123"})),
    ]
}

/// Runs the conversation against a fresh sample shop and writes it to `out`.
pub async fn run(runtime: &PluginRuntime, out: &mut impl Write) -> anyhow::Result<()> {
    let fake = FakeShop::sample(SystemTime::now());
    let server = fake.serve().await?;
    let config = ShopConfig::new(&server.api_url(), SAMPLE_LOGIN, SAMPLE_KEY, "420")
        .map_err(|f| anyhow::anyhow!(f.message()))?;
    let shop = ShopConnection::new(config).map_err(|f| anyhow::anyhow!(f.message()))?;
    writeln!(
        out,
        "Fake Upgates shop on {} (sample data)\n",
        server.api_url()
    )?;
    for step in conversation() {
        let before = fake.requests().len();
        let result = runtime.call(&shop, step.action, &step.input).await?;
        let requests: Vec<String> = fake.requests()[before..]
            .iter()
            .map(|r| match &r.query {
                Some(query) => format!("{} {}?{query}", r.method, r.path),
                None => format!("{} {}", r.method, r.path),
            })
            .collect();
        let answer = render_text(&result);
        let verdict = if result.is_ok() { "Ano" } else { "Ne" };
        writeln!(out, "customer: {}", step.said)?;
        writeln!(
            out,
            "  -> {} {}",
            step.action,
            serde_json::to_string(&step.input)?
        )?;
        writeln!(out, "  <- {verdict} {answer}")?;
        writeln!(
            out,
            "     upstream: {}\n",
            if requests.is_empty() {
                "none (answered from the host's 30 s cache)".into()
            } else {
                requests.join(", ")
            }
        )?;
    }
    writeln!(out, "{} upstream requests in total.", fake.requests().len())?;
    Ok(())
}
