//! The invoice route: signed links, its refusals, Upgates' own links by default, a PDF that
//! never comes.

use super::*;

/// A valid signed link's token to this invoice of order 124, for ten more minutes.
fn link_token(invoice: &str) -> String {
    upgates_core::invoice_link::sign(
        LINK_SECRET,
        API_URL,
        "2025000124",
        invoice,
        support::now() + Duration::from_secs(600),
    )
}

const LINK_SECRET: &str = "test-link-secret-0123456789abcdef0123";

fn signed_links() -> HashMap<String, String> {
    variables_with(&[
        ("invoice-links", "signed"),
        ("invoice-link-secret", LINK_SECRET),
        ("invoice-link-base-url", "https://bot.example.cz/"),
    ])
}

fn get(path: &str) -> http::Request<Full<Bytes>> {
    request(Method::GET, path, None, "")
}

/// `order-documents` hands out our link; the link streams the PDF with one request; the
/// link is refused (403, no request) once expired, when altered, and when signed elsewhere.
#[tokio::test(flavor = "multi_thread")]
async fn signed_invoice_links() {
    let fake = sample_shop();
    let verified = json!({"order": "2025000124", "email": "jana.novakova@example.cz"});
    let reply = serve(
        &fake,
        signed_links(),
        post(ActionName::OrderDocuments, &verified),
    )
    .await;
    assert_eq!(reply.json["vars"]["invoice"], json!("found"), "{reply:?}");
    let url = reply.json["vars"]["invoiceurl"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = url
        .strip_prefix("https://bot.example.cz/v1/invoice/")
        .unwrap_or_else(|| panic!("our link, not Upgates': {url}"));
    // What the token grants, and until when: 15 minutes from now by default.
    let grant =
        upgates_core::invoice_link::verify(LINK_SECRET, API_URL, token, support::now()).unwrap();
    assert_eq!(
        (grant.order_number.as_str(), grant.invoice_number.as_str()),
        ("2025000124", "FV2025001")
    );
    assert_eq!(grant.expires, support::now() + Duration::from_secs(15 * 60));

    fake.clear_requests();
    let pdf = serve_raw(
        &fake,
        signed_links(),
        &Kv::default(),
        get(&format!("/v1/invoice/{token}")),
    )
    .await;
    assert_eq!(pdf.status, StatusCode::OK, "{pdf:?}");
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert_eq!(pdf.headers["cache-control"], "private, no-store");
    assert_eq!(
        pdf.headers["content-disposition"],
        "inline; filename=\"FV2025001.pdf\""
    );
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF");
    assert!(String::from_utf8_lossy(&pdf.body).contains("Faktura FV2025001"));
    let wanted = Sent::get("/api/v2/invoices/FV2025001/pdf");
    assert_eq!(sent(&fake), vec![wanted]);
    assert_eq!(
        fake.requests()[0].header("authorization"),
        Some(support::basic_auth().as_str())
    );

    let expired = upgates_core::invoice_link::sign(
        LINK_SECRET,
        API_URL,
        "2025000124",
        "FV2025001",
        support::now() - Duration::from_secs(1),
    );
    let (payload, tag) = token.split_once('.').unwrap();
    let mut altered = payload.to_owned().into_bytes();
    // Another order: flip one character of the payload under the same tag.
    altered[3] = if altered[3] == b'A' { b'B' } else { b'A' };
    let altered = format!("{}.{tag}", String::from_utf8(altered).unwrap());
    let foreign = upgates_core::invoice_link::sign(
        "another-shops-secret-0123456789abcdef",
        API_URL,
        "2025000124",
        "FV2025001",
        support::now() + Duration::from_secs(600),
    );
    for (what, bad) in [
        ("expired", expired.as_str()),
        ("altered", altered.as_str()),
        ("foreign", foreign.as_str()),
        ("junk", "not-a-token"),
    ] {
        fake.clear_requests();
        let reply = serve(&fake, signed_links(), get(&format!("/v1/invoice/{bad}"))).await;
        assert_error(
            &reply,
            403,
            "link-refused",
            "this invoice link is expired or invalid: ask the bot for a new one",
        );
        assert!(fake.requests().is_empty(), "{what}: no request to Upgates");
        assert!(!reply.log.contains(bad), "{what}: the token is not logged");
    }

    // A valid link to an invoice Upgates no longer has: 404, one request.
    fake.clear_requests();
    let gone = link_token("FV2099999");
    let reply = serve(&fake, signed_links(), get(&format!("/v1/invoice/{gone}"))).await;
    assert_error(&reply, 404, "not-found", "no such order");
    assert_eq!(
        sent(&fake),
        vec![Sent::get("/api/v2/invoices/FV2099999/pdf")]
    );
}

/// On the invoice route Upgates' refusal keeps what tells it apart (a 429's `Retry-After`), and
/// a 200 that is not a PDF (an error page, JSON) is not passed on under the PDF's name.
#[tokio::test(flavor = "multi_thread")]
async fn invoice_route_refusals_and_answers_that_are_not_a_pdf() {
    let fake = sample_shop();
    let token = link_token("FV2025001");
    let link = format!("/v1/invoice/{token}");
    fake.push_fault(Fault::status(429).header("retry-after", "Sun, 29 Nov 2026 17:00:00 GMT"));
    let reply = serve(&fake, signed_links(), get(&link)).await;
    assert_error(
        &reply,
        502,
        "rate-limited",
        "Upgates' request limit was hit (HTTP 429); retry after Sun, 29 Nov 2026 17:00:00 GMT",
    );
    fake.push_fault(Fault::json(
        200,
        json!({"messages": [{"message": "Chyba"}]}),
    ));
    let reply = serve(&fake, signed_links(), get(&link)).await;
    assert_error(
        &reply,
        502,
        "upstream",
        "unexpected answer from Upgates: Upgates did not send a PDF",
    );
    let pdf = Sent::get("/api/v2/invoices/FV2025001/pdf");
    assert_eq!(sent(&fake), vec![pdf.clone(), pdf]);
}

/// Without `invoice_links = signed` the route does not exist, and the answer is Upgates' URL.
#[tokio::test(flavor = "multi_thread")]
async fn invoice_links_are_upgates_by_default() {
    let fake = sample_shop();
    let token = link_token("FV2025001");
    let reply = serve(&fake, variables(), get(&format!("/v1/invoice/{token}"))).await;
    assert_eq!(reply.status.as_u16(), 404);
    assert!(fake.requests().is_empty());
    let short_secret = variables_with(&[
        ("invoice-links", "signed"),
        ("invoice-link-secret", "too-short"),
        ("invoice-link-base-url", "https://bot.example.cz"),
    ]);
    let reply = serve(&fake, short_secret, get(&format!("/v1/invoice/{token}"))).await;
    assert_error(
        &reply,
        500,
        "misconfigured",
        "shop configuration: `invoice_link_secret` must be at least 32 characters when `invoice_links` is signed",
    );
    // The example's placeholder is long enough, and public.
    let placeholder = variables_with(&[
        ("invoice-links", "signed"),
        (
            "invoice-link-secret",
            "REPLACE-WITH-ANOTHER-openssl-rand-hex-32",
        ),
        ("invoice-link-base-url", "https://bot.example.cz"),
    ]);
    let reply = serve(&fake, placeholder, get(&format!("/v1/invoice/{token}"))).await;
    assert_error(
        &reply,
        500,
        "misconfigured",
        "shop configuration: `invoice_link_secret` is still the example's placeholder: set a secret of your own",
    );
}

/// The invoice route's answer from Upgates is bounded by the actions' 30 s deadline too: a
/// stalled Upgates gives `502 timeout`, not a request hanging until the per-read timeouts.
#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_upgates_never_answers_is_a_timeout() {
    let mut policy = shop_policy().with_in_process_async(Arc::new(|_request| {
        Box::pin(std::future::pending::<http::Response<Bytes>>())
    }));
    policy.first_byte_timeout = Duration::from_secs(300);
    let token = link_token("FV2025001");
    let started = std::time::Instant::now();
    let kv = Kv::default();
    let raw = serve_through(
        policy,
        signed_links(),
        &kv,
        get(&format!("/v1/invoice/{token}")),
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(raw.status, StatusCode::BAD_GATEWAY);
    let json: Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(json["reason"], json!("timeout"), "{json}");
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(60)).contains(&elapsed),
        "{elapsed:?}"
    );
    // No PDF came: the download is given back in the store, its failure counted beside it.
    let key = upgates_core::invoice_link::download_key(&token);
    assert_eq!(kv.counter(&key), Some(0));
    assert_eq!(kv.counter(&format!("{key}/failed")), Some(1));
}

/// A link's counter below 0 (written by something besides the app) does not let a download
/// through: the link is used up, and Upgates is not asked.
#[tokio::test(flavor = "multi_thread")]
async fn a_negative_download_count_refuses_the_link() {
    let fake = sample_shop();
    let token = link_token("FV2025001");
    let kv = Kv::default();
    let key = upgates_core::invoice_link::download_key(&token);
    kv.set_counter(&key, -5);
    let raw = serve_raw(
        &fake,
        signed_links(),
        &kv,
        get(&format!("/v1/invoice/{token}")),
    )
    .await;
    assert_eq!(raw.status, StatusCode::GONE, "{raw:?}");
    let json: Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(json["reason"], json!("link-used-up"), "{json}");
    assert!(fake.requests().is_empty(), "no request to Upgates");
}
