//! The nine Upgates bot actions over HTTP, as a Spin app (spin-sdk 7, WASIp3).
//!
//! - `POST /v1/<action>` (`verify-order`, `order-detail`, ... as in the WIT) with a JSON object
//!   of the action's inputs (`{"order": "2025000123", "email": "..."}`, the CLI's flag names)
//!   and `Authorization: Bearer <bot_token>`: `200` with the CLI's JSON, "Ano" and "Ne" alike.
//! - `GET /v1/health`: `200 {"ok":true,...}`, no token, no upstream request.
//! - `GET /v1/invoice/<token>` (with `invoice_links = signed`): the invoice's PDF, streamed from
//!   Upgates; `403` for an expired, altered or foreign token, with no upstream request.
//! - Anything else is a JSON error in the same shape (`{"ok":false,"reason":...,"message":...}`):
//!   `400` bad JSON / unknown or missing input, `401` missing or wrong token (checked before the
//!   body is read, so no upstream request), `404` unknown route, `405` wrong method, `413` body
//!   too large, `500` a Spin variable missing or invalid (named, never its value).
//!
//! The actions are `upgates_core`'s, the same code the wasm plugin runs; only the transport
//! ([`transport`]: `spin_sdk::http::send`), the config source ([`config`]: Spin variables) and
//! the store of failed e-mail checks ([`attempts`]: Spin's key-value store through
//! `wasi:keyvalue`, updated by compare-and-swap) are this crate's.

mod attempts;
mod auth;
mod config;
mod deadline;
mod invoice;
mod pdf_body;
mod reply;
mod request;
mod routing;
mod transport;

use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::wasip3::http::types::{ErrorCode, Response};
use upgates_core::{Failure, Shop};

use crate::attempts::KvAttempts;
use crate::invoice::PdfReply;
use crate::reply::{Rejection, Reply};
use crate::routing::Route;

#[spin_sdk::http_service]
async fn handle(request: Request) -> Outcome {
    match routing::route(request.method(), request.uri().path()) {
        // The link is its own credential: no bot token.
        Ok(Route::Invoice(token)) => match invoice::serve(&token).await {
            Ok(pdf) => Outcome::Pdf(pdf),
            Err(rejection) => Outcome::Json(rejection.into_reply()),
        },
        _ => Outcome::Json(serve(request).await.unwrap_or_else(Rejection::into_reply)),
    }
}

/// A JSON answer, or an invoice's PDF streamed from Upgates.
enum Outcome {
    Json(Reply),
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

async fn serve(request: Request) -> Result<Reply, Rejection> {
    let action = match routing::route(request.method(), request.uri().path())? {
        Route::Health => return Ok(reply::health()),
        Route::Action(action) => action,
        Route::Invoice(_) => return Err(Rejection::NoRoute),
    };
    let token = config::bot_token().await?;
    if !auth::authorized(request.headers(), &token) {
        return Err(Rejection::Unauthenticated);
    }
    let body = request::read_body(request.into_body()).await?;
    let input = request::parse_input(action, &body)?;
    let config = config::shop().await?;
    let attempts = KvAttempts::for_shop(&config);
    let shop = Shop::with_attempt_log(config, transport::SpinHttp, attempts);
    let deadline = transport::wait(deadline::CALL_DEADLINE);
    let result = deadline::within(upgates_core::run(&shop, action, &input), deadline)
        .await
        .unwrap_or(Err(Failure::Timeout));
    if let Err(failure) = &result {
        // The reason only: messages may name the shop's URL, inputs are never logged.
        eprintln!("upgates-bot: {action}: {}", failure.reason());
    }
    Ok(reply::answer(&result))
}
