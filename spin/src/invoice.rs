//! `GET /v1/invoice/<token>`: a signed invoice link (`invoice-links = signed`). The token is
//! checked first (signature, then expiry): a refused one is `403` with no request to Upgates.
//! The webhook then counts the download in the key-value store (`invoice-link-downloads`); a
//! link within its count streams `GET /api/v2/invoices/{n}/pdf` through, as
//! `application/pdf`, never holding the whole PDF in memory. A download that got no PDF is
//! taken back from the count in the same store.

use std::time::{Duration, SystemTime};

use http::header::CONTENT_LENGTH;
use http_body_util::Limited;
use spin_sdk::wasip3::http_compat::IncomingResponseBody;
use upgates_core::guardrails::InvoiceLinks;
use upgates_core::invoice_link::InvoiceGrant;
use upgates_core::{ApiResponse, Failure, TransportError, invoice_link};
use upgates_webhook::pdf::{self, MAX_PDF_BYTES, Peeked};
use upgates_webhook::{Link, Rejection};

use crate::deadline::BodyWithin;
use crate::{attempts, config, transport};

/// The whole PDF must have arrived this long after the link was opened: a trickling Upgates
/// would otherwise hold the request open (each read has its own 15 s).
pub const PDF_DEADLINE: Duration = Duration::from_secs(120);

pub type PdfReply = http::Response<Limited<Peeked<BodyWithin<IncomingResponseBody, PdfDeadline>>>>;
type PdfDeadline = std::pin::Pin<Box<dyn Future<Output = ()>>>;
/// The link `token`, verified under the app's secret and API URL.
pub async fn link(token: &str) -> Result<Link<()>, Rejection> {
    let shop = config::shop().await?;
    let InvoiceLinks::Signed {
        secret, downloads, ..
    } = &shop.guardrails.invoice_links
    else {
        // Links are off: the route does not exist.
        return Err(Rejection::NoRoute);
    };
    let grant = invoice_link::verify(secret, &shop.api_url, token, SystemTime::now()).map_err(
        |refused| {
            // Why, for the operator; never the token (it is a credential until it expires).
            eprintln!("upgates-bot: invoice link refused: {}", refused.reason());
            Rejection::LinkRefused
        },
    )?;
    Ok(Link {
        shop: (),
        grant,
        downloads: *downloads,
    })
}

/// Adds one to the downloads of the link counted under `key`, in the `default` store that
/// every instance and replica shares (Spin's SQLite store: one transaction; Redis: `INCRBY`).
/// The counter stays after the link expires: a few bytes per link downloaded.
pub fn count_download(key: &str) -> Result<u64, Rejection> {
    let bucket = attempts::open_store().map_err(store_failed)?;
    let count = attempts::add(&bucket, key, 1).map_err(store_failed)?;
    // Below 0 only if something besides this app wrote the counter: the link is refused.
    Ok(u64::try_from(count).unwrap_or(u64::MAX))
}

/// Takes back one of the downloads counted under `key`, by the same atomic increment.
pub fn uncount_download(key: &str) -> Result<(), Rejection> {
    let bucket = attempts::open_store().map_err(store_failed)?;
    if attempts::add(&bucket, key, -1).map_err(store_failed)? < 0 {
        // The counter was gone meanwhile (deleted by hand): none below 0 is left behind.
        let _ = attempts::add(&bucket, key, 1);
    }
    Ok(())
}

/// The store's failure as the invoice route's answer: the app is misconfigured.
fn store_failed(failure: Failure) -> Rejection {
    eprintln!("upgates-bot: invoice link: the key-value store is not available");
    match failure {
        Failure::Misconfigured(why) => Rejection::Misconfigured(why),
        other => Rejection::Misconfigured(other.message()),
    }
}

/// `grant`'s PDF from Upgates, streamed.
pub async fn serve(grant: &InvoiceGrant) -> Result<PdfReply, Rejection> {
    let shop = config::shop().await?;
    let request = invoice_link::pdf_request(&shop, &grant.invoice_number);
    // From now: the time to the first byte counts against the whole transfer too.
    let pdf_deadline = transport::deadline_from_now(PDF_DEADLINE);
    // Upgates' answer, and the PDF's first bytes, within the actions' whole-call deadline; the
    // rest then streams under the per-read timeouts and `PDF_DEADLINE`.
    let mut deadline = Box::pin(transport::deadline_from_now(crate::deadline::CALL_DEADLINE));
    let upstream = crate::deadline::within(transport::open(request), deadline.as_mut())
        .await
        .unwrap_or(Err(TransportError::Timeout))
        .map_err(|e| Rejection::Upstream(Failure::from(e)))?;
    let status = upstream.status().as_u16();
    if status != 200 {
        // With its headers: a 429's `Retry-After`, a 301's `Location` tell the failure.
        let answer = ApiResponse {
            status,
            headers: transport::headers_of(upstream.headers()),
            body: Vec::new(),
        };
        let failure = match upgates_core::api::check_status(&answer) {
            Err(failure) => failure,
            Ok(()) => Failure::Upstream(format!("Upgates answered HTTP {status}")),
        };
        eprintln!("upgates-bot: invoice pdf: {}", failure.reason());
        return Err(Rejection::Upstream(failure));
    }
    let length = upstream.headers().get(CONTENT_LENGTH).cloned();
    let body = BodyWithin::new(upstream.into_body(), Box::pin(pdf_deadline) as PdfDeadline);
    // Upgates documents `application/pdf` here; an error page or JSON sent with status 200
    // must not reach the customer under the PDF's name. Told by the file's first bytes (a
    // header may be missing or wrong), read within the call's deadline.
    let peeked = crate::deadline::within(pdf::starts_as_pdf(body), deadline.as_mut())
        .await
        .ok_or(Rejection::Upstream(Failure::Timeout))?;
    let body = match peeked {
        Ok((true, body)) => body,
        Ok((false, _)) => {
            let failure = Failure::Upstream("Upgates did not send a PDF".into());
            eprintln!("upgates-bot: invoice pdf: {}", failure.reason());
            return Err(Rejection::Upstream(failure));
        }
        Err(_) => {
            return Err(Rejection::Upstream(Failure::Upstream(
                "the invoice PDF was cut off".into(),
            )));
        }
    };
    Ok(pdf::reply(
        &grant.invoice_number,
        length.as_ref(),
        Limited::new(body, MAX_PDF_BYTES),
    ))
}
