//! The nine Upgates bot actions over HTTP, as a Spin app (spin-sdk 7, WASIp3).
//!
//! - `POST /v1/<action>` (`verify-order`, `order-detail`, ... as in the WIT) with a JSON object
//!   of the action's inputs (`{"order": "2025000123", "email": "..."}`, the CLI's flag names)
//!   and `Authorization: Bearer <bot_token>`: `200` with the CLI's JSON, "Ano" and "Ne" alike.
//! - `GET /v1/health`: `200 {"ok":true,...}`, no token, no upstream request.
//! - Anything else is a JSON error in the same shape (`{"ok":false,"reason":...,"message":...}`):
//!   `400` bad JSON / unknown or missing input, `401` missing or wrong token (checked before the
//!   body is read, so no upstream request), `404` unknown route, `405` wrong method, `413` body
//!   too large, `500` a Spin variable missing or invalid (named, never its value).
//!
//! The actions are `upgates_core`'s, the same code the wasm plugin runs; only the transport
//! ([`transport`]: `spin_sdk::http::send`) and the config source ([`config`]: Spin variables)
//! are this crate's.

mod auth;
mod config;
mod reply;
mod request;
mod routing;
mod transport;

use spin_sdk::http::Request;
use upgates_core::Shop;

use crate::reply::{Rejection, Reply};
use crate::routing::Route;

#[spin_sdk::http_service]
async fn handle(request: Request) -> Reply {
    serve(request).await.unwrap_or_else(Rejection::into_reply)
}

async fn serve(request: Request) -> Result<Reply, Rejection> {
    let action = match routing::route(request.method(), request.uri().path())? {
        Route::Health => return Ok(reply::health()),
        Route::Action(action) => action,
    };
    let token = config::bot_token().await?;
    if !auth::authorized(request.headers(), &token) {
        return Err(Rejection::Unauthenticated);
    }
    let body = request::read_body(request.into_body()).await?;
    let input = request::parse_input(action, &body)?;
    let shop = Shop::new(config::shop().await?, transport::SpinHttp);
    let result = upgates_core::run(&shop, action, &input).await;
    if let Err(failure) = &result {
        // The reason only: messages may name the shop's URL, inputs are never logged.
        eprintln!("upgates-bot: {action}: {}", failure.reason());
    }
    Ok(reply::answer(&result))
}
