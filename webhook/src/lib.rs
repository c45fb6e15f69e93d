//! The webhook's HTTP layer, written once for every server that serves the actions: the Spin
//! app and `upgates serve`. Routes, bearer auth, the inputs as bot platforms send them, the
//! error table and the answers are here; a [`Backend`] supplies what differs (where the
//! settings come from, how an action runs, how an invoice's PDF is fetched).
//!
//! - `POST /v1/<action>` (`verify-order`, `order-detail`, ... as in the WIT), and
//!   `POST /v1/shops/<name>/<action>` for a named shop, with `Authorization: Bearer <token>`
//!   and the action's inputs (a JSON object or a form): `200` with the CLI's JSON, "Ano" and
//!   "Ne" alike.
//! - `GET /v1/health` (live) and `GET /v1/ready` (ready to serve): no token, no upstream request.
//! - `GET /v1/openapi.json`: the OpenAPI document of all of this (`docs/openapi.yaml`), no token.
//! - `GET /v1/invoice/<token>` (and under `/v1/shops/<name>/`): a signed invoice link's PDF,
//!   a few times per link (`invoice-link-downloads`, a download that got no PDF not counted;
//!   then `410`, without asking Upgates).
//! - `POST /mcp` (and `/v1/shops/<name>/mcp`): MCP, the actions as tools for AI agents
//!   (`mcp.rs`), with the same token.
//! - Anything else is a JSON error in the same shape (`{"ok":false,"reason":...,"message":...}`):
//!   [`Rejection`] lists them with their statuses.

mod auth;
pub mod input;
mod mcp;
pub mod openapi;
pub mod pdf;
pub mod reply;
pub mod routing;

use std::future::Future;
use std::time::SystemTime;

use http_body::Body;
use upgates_core::guardrails::EnabledActions;
use upgates_core::invoice_link::{self, InvoiceGrant};
use upgates_core::{ActionInput, ActionName, Answer, Failure};

pub use auth::{MIN_TOKEN_LEN, authorized, token_problem};
pub use reply::{JsonReply, Rejection};
pub use routing::{Route, Target, is_shop_name};

/// What one server does its own way.
pub trait Backend {
    /// A shop this server serves, as [`Backend::shop`] resolved it.
    type Shop;
    /// The answer of a signed invoice link: the PDF, as this server streams it.
    type Pdf;

    /// The shop the path names (`None`: the default one); [`Rejection::NoShop`] when this
    /// server has no such shop.
    fn shop(&self, name: Option<&str>) -> impl Future<Output = Result<Self::Shop, Rejection>>;

    /// The bearer token that opens `shop` (a token opens one shop only).
    fn token(&self, shop: &Self::Shop) -> impl Future<Output = Result<String, Rejection>>;

    /// Whether `headers` carry a token that opens any shop served here: only such a caller
    /// learns that a shop a path names does not exist (others get `401`), so shop names
    /// cannot be listed without a token.
    fn opens_any(&self, headers: &http::HeaderMap) -> impl Future<Output = bool>;

    /// Whether the server can serve: the component compiled, the settings valid.
    fn ready(&self) -> impl Future<Output = Result<(), Rejection>>;

    /// The actions `shop`'s `enabled-actions` allows: all that MCP's `tools/list` offers an
    /// agent (a call of another one is refused anyway).
    fn enabled_actions(
        &self,
        shop: &Self::Shop,
    ) -> impl Future<Output = Result<EnabledActions, Rejection>>;

    /// Runs `action`: its answer, "Ano" or "Ne", or a rejection when it cannot run at all.
    fn run(
        &self,
        shop: &Self::Shop,
        action: ActionName,
        input: ActionInput,
    ) -> impl Future<Output = Result<Result<Answer, Failure>, Rejection>>;

    /// The signed invoice link `token` on `shop`'s route, checked without asking Upgates:
    /// the shop that signed it, what it grants, how often it may be downloaded.
    /// [`Rejection::LinkRefused`] when it is expired, altered or not this server's;
    /// [`Rejection::NoRoute`] when the route's shops hand out no signed links.
    fn link(
        &self,
        shop: &Self::Shop,
        token: &str,
    ) -> impl Future<Output = Result<Link<Self::Shop>, Rejection>>;

    /// Adds one to the downloads counted under `key` (one link's) and answers the count with
    /// it, atomically: concurrent downloads each get a count of their own. The count is
    /// needed only until `expires`, when the link stops working anyway.
    fn count_download(
        &self,
        shop: &Self::Shop,
        key: &str,
        expires: SystemTime,
    ) -> impl Future<Output = Result<u64, Rejection>>;

    /// Takes one back from the downloads counted under `key`, through the same store and as
    /// atomically as [`Backend::count_download`]: that download got no PDF. A count is never
    /// taken below 0.
    fn uncount_download(
        &self,
        shop: &Self::Shop,
        key: &str,
    ) -> impl Future<Output = Result<(), Rejection>>;

    /// The PDF of `grant`'s invoice, from Upgates.
    fn invoice(
        &self,
        shop: &Self::Shop,
        grant: &InvoiceGrant,
    ) -> impl Future<Output = Result<Self::Pdf, Rejection>>;
}

/// A signed invoice link that verified.
pub struct Link<S> {
    /// The shop whose secret signed it.
    pub shop: S,
    pub grant: InvoiceGrant,
    /// `invoice-link-downloads`: how often the link may be downloaded.
    pub downloads: u32,
}

/// An answer: JSON, or an invoice's PDF.
pub enum Reply<P> {
    Json(JsonReply),
    Pdf(P),
}

/// The answer, and what a log line and the metrics say of the request.
pub struct Served<P> {
    pub reply: Reply<P>,
    /// The action the route named, if any.
    pub action: Option<ActionName>,
    /// Whether that action ran to an answer ("Ano" or "Ne"), not refused before it ran.
    pub answered: bool,
    /// `ano`, the "Ne" reason, the rejection's reason, or `pdf` / `ok` for the other routes.
    pub outcome: &'static str,
}

impl<P> Served<P> {
    fn json(action: Option<ActionName>, outcome: &'static str, reply: JsonReply) -> Self {
        Self {
            reply: Reply::Json(reply),
            action,
            answered: false,
            outcome,
        }
    }

    fn rejected(action: Option<ActionName>, rejection: Rejection) -> Self {
        let outcome = rejection.reason();
        Self::json(action, outcome, rejection.into_reply())
    }
}

/// Answers one request.
pub async fn handle<B, Incoming>(backend: &B, request: http::Request<Incoming>) -> Served<B::Pdf>
where
    B: Backend,
    Incoming: Body,
    Incoming::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let route = match routing::route(request.method(), request.uri().path()) {
        Ok(route) => route,
        Err(rejection) => return Served::rejected(None, rejection),
    };
    let shop = route.shop.as_deref();
    match route.target {
        Target::Health => Served::json(None, "ok", reply::alive()),
        Target::Ready => match backend.ready().await {
            Ok(()) => Served::json(None, "ok", reply::alive()),
            Err(rejection) => Served::rejected(None, rejection),
        },
        Target::OpenApi => Served::json(None, "ok", openapi::reply()),
        // The token, as for an action, before the body.
        Target::Mcp => mcp::serve(backend, shop, request).await,
        // The link is its own credential: no bearer token.
        Target::Invoice(token) => {
            let pdf = match backend.shop(shop).await {
                Ok(shop) => download(backend, &shop, &token).await,
                // As for a shop that hands out no links: which shops exist is not told here.
                Err(Rejection::NoShop(_)) => Err(Rejection::NoRoute),
                Err(rejection) => Err(rejection),
            };
            match pdf {
                Ok(pdf) => Served {
                    reply: Reply::Pdf(pdf),
                    action: None,
                    answered: false,
                    outcome: "pdf",
                },
                Err(rejection) => Served::rejected(None, rejection),
            }
        }
        Target::Action(action) => match call(backend, shop, action, request).await {
            Ok(result) => {
                let outcome = match &result {
                    Ok(_) => "ano",
                    Err(failure) => failure.reason(),
                };
                Served {
                    answered: true,
                    ..Served::json(Some(action), outcome, reply::answer(&result))
                }
            }
            Err(rejection) => Served::rejected(Some(action), rejection),
        },
    }
}

/// A signed link's PDF: the link checked, then its download counted, then the PDF fetched.
/// Each download is a request to Upgates that the shop pays for, so a link past its
/// downloads (leaked, shared, replayed) is refused before Upgates is asked.
///
/// A download that gets no PDF (Upgates' error, a 404, a timeout, something else than a PDF)
/// is given back, so a passing failure does not use the link up; only `downloads` times per
/// link, so a link whose invoice keeps failing costs Upgates at most twice its downloads.
async fn download<B: Backend>(
    backend: &B,
    shop: &B::Shop,
    token: &str,
) -> Result<B::Pdf, Rejection> {
    let link = backend.link(shop, token).await?;
    let key = invoice_link::download_key(token);
    let allowed = u64::from(link.downloads);
    let expires = link.grant.expires;
    let count = backend.count_download(&link.shop, &key, expires).await?;
    if count > allowed {
        return Err(Rejection::LinkUsedUp);
    }
    let refused = match backend.invoice(&link.shop, &link.grant).await {
        Ok(pdf) => return Ok(pdf),
        Err(refused) => refused,
    };
    let failed = backend
        .count_download(&link.shop, &failed_key(&key), expires)
        .await;
    if failed.is_ok_and(|failed| failed <= allowed) {
        // Should the store fail here, the download stays counted: fewer downloads, not more.
        let _ = backend.uncount_download(&link.shop, &key).await;
    }
    Err(refused)
}

/// The counter of a link's downloads that got no PDF, next to its downloads' `key`.
fn failed_key(key: &str) -> String {
    format!("{key}/failed")
}

/// The shop the path names, for a caller whose bearer token opens it.
async fn open<B: Backend>(
    backend: &B,
    shop: Option<&str>,
    headers: &http::HeaderMap,
) -> Result<B::Shop, Rejection> {
    let shop = match backend.shop(shop).await {
        Err(Rejection::NoShop(_)) if !backend.opens_any(headers).await => {
            return Err(Rejection::Unauthenticated);
        }
        found => found?,
    };
    let token = backend.token(&shop).await?;
    if !authorized(headers, &token) {
        return Err(Rejection::Unauthenticated);
    }
    Ok(shop)
}

/// The token before the body: a caller without one costs no more than reading the headers.
async fn call<B, Incoming>(
    backend: &B,
    shop: Option<&str>,
    action: ActionName,
    request: http::Request<Incoming>,
) -> Result<Result<Answer, Failure>, Rejection>
where
    B: Backend,
    Incoming: Body,
    Incoming::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let shop = open(backend, shop, request.headers()).await?;
    let (parts, body) = request.into_parts();
    let body = input::read_body(body).await?;
    let input = input::parse_input(action, &parts.headers, &body)?;
    backend.run(&shop, action, input).await
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::{HashMap, VecDeque};
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    /// A server whose link always verifies (three downloads), counting in memory, and whose
    /// Upgates answers the invoice as `answers` says (a PDF once they run out).
    #[derive(Default)]
    struct Memory {
        counts: RefCell<HashMap<String, u64>>,
        answers: RefCell<VecDeque<Result<&'static str, Failure>>>,
        invoice_requests: RefCell<usize>,
    }

    impl Backend for Memory {
        type Shop = ();
        type Pdf = &'static str;

        async fn shop(&self, _: Option<&str>) -> Result<(), Rejection> {
            Ok(())
        }
        async fn token(&self, _: &()) -> Result<String, Rejection> {
            Err(Rejection::Failed)
        }
        async fn opens_any(&self, _: &http::HeaderMap) -> bool {
            false
        }
        async fn ready(&self) -> Result<(), Rejection> {
            Ok(())
        }
        async fn enabled_actions(&self, _: &()) -> Result<EnabledActions, Rejection> {
            Ok(EnabledActions::ALL)
        }
        async fn run(
            &self,
            _: &(),
            _: ActionName,
            _: ActionInput,
        ) -> Result<Result<Answer, Failure>, Rejection> {
            Err(Rejection::Failed)
        }
        async fn link(&self, _: &(), _: &str) -> Result<Link<()>, Rejection> {
            Ok(Link {
                shop: (),
                grant: InvoiceGrant {
                    order_number: "2025000124".into(),
                    invoice_number: "FV2025001".into(),
                    expires: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
                },
                downloads: 3,
            })
        }
        async fn count_download(&self, _: &(), key: &str, _: SystemTime) -> Result<u64, Rejection> {
            let mut counts = self.counts.borrow_mut();
            let count = counts.entry(key.to_owned()).or_default();
            *count += 1;
            Ok(*count)
        }
        async fn uncount_download(&self, _: &(), key: &str) -> Result<(), Rejection> {
            if let Some(count) = self.counts.borrow_mut().get_mut(key) {
                *count = count.saturating_sub(1);
            }
            Ok(())
        }
        async fn invoice(&self, _: &(), _: &InvoiceGrant) -> Result<&'static str, Rejection> {
            *self.invoice_requests.borrow_mut() += 1;
            let answer = self.answers.borrow_mut().pop_front();
            answer.unwrap_or(Ok("%PDF-")).map_err(Rejection::Upstream)
        }
    }

    impl Memory {
        fn failing(answers: &[Failure]) -> Self {
            let memory = Self::default();
            memory
                .answers
                .borrow_mut()
                .extend(answers.iter().cloned().map(Err));
            memory
        }

        /// The link's download: the PDF, or the rejection's reason.
        fn download(&self) -> Result<&'static str, &'static str> {
            let future = pin!(download(self, &(), "token"));
            match future.poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(result) => result.map_err(|rejection| rejection.reason()),
                Poll::Pending => panic!("the memory backend does not wait"),
            }
        }

        fn invoice_requests(&self) -> usize {
            *self.invoice_requests.borrow()
        }
    }

    #[test]
    fn a_download_that_got_no_pdf_is_given_back() {
        let server = Memory::failing(&[
            Failure::Upstream("Upgates answered HTTP 500".into()),
            Failure::NotFound,
            Failure::Timeout,
        ]);
        assert_eq!(server.download(), Err("upstream"));
        assert_eq!(server.download(), Err("not-found"));
        assert_eq!(server.download(), Err("timeout"));
        for _ in 0..3 {
            assert_eq!(server.download(), Ok("%PDF-"));
        }
        assert_eq!(server.download(), Err("link-used-up"));
        assert_eq!(server.invoice_requests(), 6);
    }

    /// A link whose invoice always fails gets `downloads` failures back, then uses itself up:
    /// Upgates is asked at most twice its downloads.
    #[test]
    fn a_link_that_keeps_failing_is_used_up_after_twice_its_downloads() {
        let server = Memory::failing(&vec![Failure::Timeout; 10]);
        for _ in 0..6 {
            assert_eq!(server.download(), Err("timeout"));
        }
        assert_eq!(server.download(), Err("link-used-up"));
        assert_eq!(server.invoice_requests(), 6);
    }
}
