//! Embedding the component in a Rust program: docs/embedding.md's "In Rust", compiled (and run)
//! as a cargo example: `cargo run -p upgates-host --example embed`.
//!
//! Without `UPGATES_API_URL` it serves the sample fake shop on a loopback port and asks that;
//! with `UPGATES_API_URL`, `UPGATES_API_LOGIN` and `UPGATES_API_KEY` it asks the real shop.

use upgates_host::{
    ActionInput, ActionName, PLUGIN_WASM, PluginRuntime, ShopConfig, ShopConnection, render_text,
};

#[tokio::main]
async fn main() -> wasmtime::Result<()> {
    // Keep the fake shop alive for the whole run when there is no real one.
    let (config, _fake) = match std::env::var("UPGATES_API_URL") {
        Ok(url) => {
            let login = std::env::var("UPGATES_API_LOGIN")?;
            let key = std::env::var("UPGATES_API_KEY")?;
            (ShopConfig::new(&url, &login, &key, "420")?, None)
        }
        Err(_) => {
            let fake = upgates_fake_shop::FakeShop::sample(std::time::SystemTime::now());
            let server = fake.serve_in_thread()?;
            let config = ShopConfig::new(
                &server.api_url(),
                upgates_fake_shop::SAMPLE_LOGIN,
                upgates_fake_shop::SAMPLE_KEY,
                "420",
            )?;
            (config, Some(server))
        }
    };

    // Compile once (keep the runtime for the process's life); one fresh instance per call.
    let runtime = PluginRuntime::new(PLUGIN_WASM)?;
    // The shop's credentials and guardrails, and an HTTP policy that lets the component send
    // only the actions' requests to the shop's origin, with the credentials added by the host
    // (the component never gets them). Settings beyond these: `ShopConfig::from_lookup`.
    let shop = ShopConnection::new(config)?;

    let input: ActionInput = serde_json::from_value(serde_json::json!({"order": "2025000123"}))?;
    let answer = runtime.call(&shop, ActionName::VerifyOrder, &input).await?;
    // `Ok(_)` is "Ano", `Err(failure)` "Ne": `render_text` gives the bot's JSON.
    println!("{}", render_text(&answer));
    Ok(())
}
