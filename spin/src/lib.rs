//! The nine Upgates bot actions over HTTP, as a Spin app (spin-sdk 7, WASIp3).
//!
//! The HTTP layer (routes, bearer auth, inputs, the error table, the answers) is
//! `upgates_webhook`'s, the same as `upgates serve`'s; the actions are `upgates_core`'s, the
//! same code the wasm plugin runs. Only this app's [`Backend`] is here: the transport
//! ([`transport`]: `spin_sdk::http::send`), the settings ([`config`]: Spin variables) and the
//! store of failed e-mail checks ([`attempts`]: Spin's key-value store through
//! `wasi:keyvalue`, counted by atomic increments, as are the signed invoice links'
//! downloads). It serves one shop: the default routes.

mod attempts;
mod config;
mod deadline;
mod invoice;
mod transport;

use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::wasip3::http::types::{ErrorCode, Response};
use std::time::SystemTime;

use upgates_core::guardrails::EnabledActions;
use upgates_core::invoice_link::InvoiceGrant;
use upgates_core::{Action, ActionInput, ActionName, Answer, Failure, Shop};
use upgates_webhook::{Backend, JsonReply, Link, Rejection, Reply};

use crate::invoice::PdfReply;

#[spin_sdk::http_service]
async fn handle(request: Request) -> Outcome {
    match upgates_webhook::handle(&SpinApp, request).await.reply {
        Reply::Json(reply) => Outcome::Json(reply),
        Reply::Pdf(pdf) => Outcome::Pdf(pdf),
    }
}

/// A JSON answer, or an invoice's PDF streamed from Upgates.
enum Outcome {
    Json(JsonReply),
    Pdf(PdfReply),
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Result<Response, ErrorCode> {
        match self {
            Outcome::Json(reply) => reply.into_response(),
            Outcome::Pdf(pdf) => pdf.into_response(),
        }
    }
}

/// The app's settings are read on every request: nothing to hold between them.
struct SpinApp;

impl Backend for SpinApp {
    type Shop = ();
    type Pdf = PdfReply;

    /// One shop per app (one `SpinApp` per shop on SpinKube): no named shops.
    async fn shop(&self, name: Option<&str>) -> Result<(), Rejection> {
        match name {
            None => Ok(()),
            Some(name) => Err(Rejection::NoShop(name.to_owned())),
        }
    }

    async fn token(&self, _: &()) -> Result<String, Rejection> {
        config::bot_token().await
    }

    async fn opens_any(&self, headers: &http::HeaderMap) -> bool {
        config::bot_token()
            .await
            .is_ok_and(|token| upgates_webhook::authorized(headers, &token))
    }

    async fn ready(&self) -> Result<(), Rejection> {
        let not_ready = |rejection: Rejection| match rejection {
            Rejection::Misconfigured(why) => {
                Rejection::NotReady(Failure::Misconfigured(why).message())
            }
            other => other,
        };
        config::bot_token().await.map_err(not_ready)?;
        config::shop().await.map_err(not_ready)?;
        Ok(())
    }

    async fn enabled_actions(&self, _: &()) -> Result<EnabledActions, Rejection> {
        Ok(config::shop().await?.guardrails.enabled_actions)
    }

    async fn run(
        &self,
        _: &(),
        action: ActionName,
        input: ActionInput,
    ) -> Result<Result<Answer, Failure>, Rejection> {
        let config = config::shop().await?;
        let attempts = attempts::for_shop(&config);
        let shop = Shop::with_attempt_log(config, transport::SpinHttp, attempts);
        let deadline = transport::wait(deadline::CALL_DEADLINE);
        let result = match Action::from_input(action, &input) {
            Ok(action) => deadline::within(action.run(&shop), deadline)
                .await
                .unwrap_or(Err(Failure::Timeout)),
            Err(failure) => Err(failure),
        };
        if let Err(failure) = &result {
            // The reason only: messages may name the shop's URL, inputs are never logged.
            eprintln!("upgates-bot: {action}: {}", failure.reason());
        }
        Ok(result)
    }

    async fn link(&self, _: &(), token: &str) -> Result<Link<()>, Rejection> {
        invoice::link(token).await
    }

    async fn count_download(&self, _: &(), key: &str, _: SystemTime) -> Result<u64, Rejection> {
        invoice::count_download(key)
    }

    async fn uncount_download(&self, _: &(), key: &str) -> Result<(), Rejection> {
        invoice::uncount_download(key)
    }

    async fn invoice(&self, _: &(), grant: &InvoiceGrant) -> Result<PdfReply, Rejection> {
        invoice::serve(grant).await
    }
}
