//! `upgates serve`'s side of the webhook: its shops (from the shops file, each with its own
//! token), each call in a fresh component instance under the host's HTTP policy, and signed
//! invoice links' PDFs fetched through that policy, their downloads counted in the process.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderValue;
use http_body_util::Full;
use tokio::sync::Semaphore;
use upgates_core::guardrails::{EnabledActions, InvoiceLinks};
use upgates_core::invoice_link::{self, InvoiceGrant, LinkError};
use upgates_core::{ActionInput, ActionName, Answer, Failure};
use upgates_host::{PluginRuntime, ShopConnection};
use upgates_webhook::{Backend, Link, Rejection, pdf};

/// A wait for a call slot shorter than this is not taken off the call's time.
const SLOT_WAIT_NOTICED: std::time::Duration = std::time::Duration::from_millis(1);

/// One shop served: its connection (settings, policy) and the token that opens it.
pub struct ServedShop {
    /// Lives as long as the process: the metrics' label.
    pub name: &'static str,
    pub connection: ShopConnection,
    pub token: String,
}

pub struct Server {
    pub runtime: PluginRuntime,
    pub shops: BTreeMap<String, Arc<ServedShop>>,
    /// The shop of `/v1/<action>`.
    pub default_shop: String,
    /// Set on SIGTERM: `/v1/ready` answers 503 so the load balancer stops sending.
    pub draining: AtomicBool,
    /// Calls beyond the runtime's pool wait here instead of failing to instantiate.
    pub call_slots: Arc<Semaphore>,
    /// Signed links' downloads, for as long as each link works.
    pub downloads: Downloads,
}

/// Links whose downloads are counted at once: each is a link a verified customer was handed
/// within its lifetime, so this many in use at once is far beyond a shop's traffic. Past it a
/// new link's download is refused (`503`) rather than one already counted forgotten.
pub const MAX_COUNTED_LINKS: usize = 100_000;

/// The downloads of each signed link (by [`invoice_link::download_key`]), in this process's
/// memory: replicas count each on their own, and a restart forgets the counts.
#[derive(Default)]
pub struct Downloads {
    links: Mutex<CountedLinks>,
}

#[derive(Default)]
struct CountedLinks {
    counts: HashMap<Arc<str>, u64>,
    /// Each counted link once, soonest expiry first: the expired ones are dropped from the
    /// front, so a count costs the same however many links are counted.
    expiries: BinaryHeap<Reverse<(SystemTime, Arc<str>)>>,
}

impl Downloads {
    /// Adds one to the downloads of the link `key` (which expires at `expires`) at `now`, and
    /// answers its count.
    pub fn count(&self, key: &str, expires: SystemTime, now: SystemTime) -> Result<u64, Rejection> {
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        let links = &mut *links;
        while let Some(Reverse((until, _))) = links.expiries.peek()
            && *until <= now
        {
            if let Some(Reverse((_, expired))) = links.expiries.pop() {
                links.counts.remove(&expired);
            }
        }
        if let Some(count) = links.counts.get_mut(key) {
            *count += 1;
            return Ok(*count);
        }
        if links.counts.len() >= MAX_COUNTED_LINKS {
            tracing::warn!(
                links = links.counts.len(),
                "invoice link: too many links counted"
            );
            return Err(Rejection::NotReady(
                "too many invoice links in use: retry later".into(),
            ));
        }
        let key: Arc<str> = Arc::from(key);
        links.counts.insert(key.clone(), 1);
        links.expiries.push(Reverse((expires, key)));
        Ok(1)
    }

    /// Takes one back from the downloads of the link `key`, if it has any.
    pub fn give_back(&self, key: &str) {
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = links.counts.get_mut(key) {
            *count = count.saturating_sub(1);
        }
    }
}

impl Server {
    pub fn shop_named(&self, name: Option<&str>) -> Option<&Arc<ServedShop>> {
        self.shops.get(name.unwrap_or(&self.default_shop))
    }
}

impl Backend for Server {
    type Shop = Arc<ServedShop>;
    type Pdf = http::Response<Full<Bytes>>;

    async fn shop(&self, name: Option<&str>) -> Result<Self::Shop, Rejection> {
        self.shop_named(name)
            .cloned()
            .ok_or_else(|| Rejection::NoShop(name.unwrap_or_default().to_owned()))
    }

    async fn token(&self, shop: &Self::Shop) -> Result<String, Rejection> {
        Ok(shop.token.clone())
    }

    async fn opens_any(&self, headers: &http::HeaderMap) -> bool {
        // Every shop's token is compared, so the time does not tell which one matched.
        self.shops.values().fold(false, |any, shop| {
            upgates_webhook::authorized(headers, &shop.token) | any
        })
    }

    async fn ready(&self) -> Result<(), Rejection> {
        if self.draining.load(Ordering::Relaxed) {
            return Err(Rejection::NotReady("shutting down".into()));
        }
        Ok(())
    }

    async fn enabled_actions(&self, shop: &Self::Shop) -> Result<EnabledActions, Rejection> {
        Ok(shop.connection.config.guardrails.enabled_actions)
    }

    /// On a task of its own: a caller that hangs up (a bot platform's shorter timeout) does not
    /// stop the call halfway, between a write and its audit record or with an e-mail check
    /// still held. The wait for a slot counts against the call's time.
    async fn run(
        &self,
        shop: &Self::Shop,
        action: ActionName,
        input: ActionInput,
    ) -> Result<Result<Answer, Failure>, Rejection> {
        let (runtime, slots, shop) = (self.runtime.clone(), self.call_slots.clone(), shop.clone());
        let call = tokio::spawn(async move {
            let timeout = shop.connection.policy.call_timeout;
            let started = tokio::time::Instant::now();
            let Ok(slot) = tokio::time::timeout(timeout, slots.acquire_owned()).await else {
                return Ok(Ok(Err(Failure::Timeout)));
            };
            let _slot = slot.map_err(|_| Rejection::NotReady("shutting down".into()))?;
            let waited = started.elapsed();
            // The usual case, a free slot at once: no copy of the shop's settings per call.
            let result = if waited < SLOT_WAIT_NOTICED {
                runtime.call(&shop.connection, action, &input).await
            } else {
                let mut connection = shop.connection.clone();
                connection.policy.call_timeout = timeout.saturating_sub(waited);
                runtime.call(&connection, action, &input).await
            };
            Ok(result.map_err(|error| (shop.name, error)))
        });
        match call.await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err((shop, error)))) => {
                // A trap is ours to look into; the caller learns only that it happened.
                tracing::error!(shop, action = action.as_str(), "{error}");
                Err(Rejection::Failed)
            }
            Ok(Err(rejection)) => Err(rejection),
            Err(panicked) => {
                tracing::error!(
                    action = action.as_str(),
                    "the call's task failed: {panicked}"
                );
                Err(Rejection::Failed)
            }
        }
    }

    /// Every shop's links are `<base>/v1/invoice/<token>` (the Spin app's form), so on that
    /// route the shop is the one whose secret and API URL the token's signature verifies
    /// under; `/v1/shops/<name>/invoice/<token>` takes that shop's only.
    async fn link(&self, shop: &Self::Shop, token: &str) -> Result<Link<Self::Shop>, Rejection> {
        let secret = |shop: &ServedShop| match &shop.connection.config.guardrails.invoice_links {
            InvoiceLinks::Signed {
                secret, downloads, ..
            } => Some((secret.clone(), *downloads)),
            InvoiceLinks::Upgates => None,
        };
        let default = self.shop_named(None).is_some_and(|d| Arc::ptr_eq(d, shop));
        // The route's shop first; on the default route the other shops after it.
        let others = self
            .shops
            .values()
            .filter(|other| default && !Arc::ptr_eq(other, shop));
        let signing: Vec<(&Arc<ServedShop>, (String, u32))> = std::iter::once(shop)
            .chain(others)
            .filter_map(|shop| Some((shop, secret(shop)?)))
            .collect();
        if signing.is_empty() {
            // No shop of this route hands out signed links: the route does not exist.
            return Err(Rejection::NoRoute);
        }
        // The shop whose secret and API URL the signature verifies under (valid or expired).
        let (shop, downloads, verified) = signing
            .into_iter()
            .map(|(shop, (secret, downloads))| {
                let now = shop.connection.fixed_time.unwrap_or_else(SystemTime::now);
                let api_url = &shop.connection.config.api_url;
                let verified = invoice_link::verify(&secret, api_url, token, now);
                (shop, downloads, verified)
            })
            .find(|(_, _, verified)| {
                !matches!(
                    verified,
                    Err(LinkError::BadSignature | LinkError::Malformed)
                )
            })
            .ok_or_else(|| {
                // Never the token in the log: a credential until it expires.
                tracing::warn!(
                    reason = "signed by none of the shops",
                    "invoice link refused"
                );
                Rejection::LinkRefused
            })?;
        let grant = verified.map_err(|refused| {
            tracing::warn!(shop = %shop.name, reason = refused.reason(), "invoice link refused");
            Rejection::LinkRefused
        })?;
        Ok(Link {
            shop: shop.clone(),
            grant,
            downloads,
        })
    }

    async fn count_download(
        &self,
        shop: &Self::Shop,
        key: &str,
        expires: SystemTime,
    ) -> Result<u64, Rejection> {
        let now = shop.connection.fixed_time.unwrap_or_else(SystemTime::now);
        self.downloads.count(key, expires, now)
    }

    async fn uncount_download(&self, _: &Self::Shop, key: &str) -> Result<(), Rejection> {
        self.downloads.give_back(key);
        Ok(())
    }

    async fn invoice(
        &self,
        shop: &Self::Shop,
        grant: &InvoiceGrant,
    ) -> Result<Self::Pdf, Rejection> {
        let config = &shop.connection.config;
        let mut request = invoice_link::pdf_request(config, &grant.invoice_number);
        // Up to 32 MiB held for the answer: not kept in the shop's GET cache as well.
        request.headers.push(("cache-control", "no-store".into()));
        let mut policy = shop.connection.policy.clone();
        policy.max_response_bytes = pdf::MAX_PDF_BYTES;
        let upgates = |failure: Failure| {
            tracing::warn!(shop = %shop.name, reason = failure.reason(), "invoice pdf");
            Rejection::Upstream(failure)
        };
        let response = policy
            .send_api(request)
            .await
            .map_err(|e| upgates(e.into()))?;
        if response.status != 200 {
            // With its headers: a 429's `Retry-After`, a 301's `Location` tell the failure.
            let failure = match upgates_core::api::check_status(&response) {
                Err(failure) => failure,
                Ok(()) => Failure::Upstream(format!("Upgates answered HTTP {}", response.status)),
            };
            return Err(upgates(failure));
        }
        // An error page or JSON sent with status 200 must not reach the customer as the PDF.
        if !response.body.starts_with(pdf::MAGIC) {
            return Err(upgates(Failure::Upstream(
                "Upgates did not send a PDF".into(),
            )));
        }
        let length = HeaderValue::from(response.body.len());
        Ok(pdf::reply(
            &grant.invoice_number,
            Some(&length),
            Full::new(Bytes::from(response.body)),
        ))
    }
}
