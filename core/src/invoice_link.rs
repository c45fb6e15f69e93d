//! Signed invoice links: `<base>/v1/invoice/<token>`, where the token carries the order, the
//! invoice and an expiry, with an HMAC-SHA256 over them under the shop's secret. Upgates' own
//! PDF URL needs the API login; this link needs nothing but itself, and only until it expires.
//!
//! Token: `base64url(payload) "." base64url(mac)`, the payload the JSON `[order, invoice,
//! expiry unix seconds]`, the MAC over `"upgates-invoice-v2." + api_url + "\n" +
//! base64url(payload)`: the shop's API URL is in it, so a link of one shop does not open
//! another shop's invoice of the same number even if the two share a secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::api::{ApiRequest, Requests};
use crate::config::ShopConfig;

type HmacSha256 = Hmac<Sha256>;

/// Tokens longer than this are refused unread.
pub const MAX_TOKEN: usize = 1024;
/// The MAC's context: a token for anything else never verifies here.
const CONTEXT: &[u8] = b"upgates-invoice-v2.";

/// What a valid token grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceGrant {
    pub order_number: String,
    pub invoice_number: String,
    pub expires: SystemTime,
}

/// Why a token was refused. All of them mean `403` and no request to Upgates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    Malformed,
    /// Altered, or signed with another secret (another shop's link).
    BadSignature,
    Expired,
}

impl LinkError {
    pub fn reason(self) -> &'static str {
        match self {
            LinkError::Malformed => "malformed",
            LinkError::BadSignature => "bad-signature",
            LinkError::Expired => "expired",
        }
    }
}

fn mac(secret: &str, api_url: &str, encoded_payload: &str) -> HmacSha256 {
    crate::proof::shop_mac(secret, CONTEXT, api_url, &[encoded_payload.as_bytes()])
}

/// The token for `order`'s `invoice` at the shop whose API is `api_url`, valid until `expires`.
pub fn sign(
    secret: &str,
    api_url: &str,
    order_number: &str,
    invoice_number: &str,
    expires: SystemTime,
) -> String {
    let expiry = expires
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let payload = serde_json::json!([order_number, invoice_number, expiry]).to_string();
    let encoded = URL_SAFE_NO_PAD.encode(payload);
    let tag = URL_SAFE_NO_PAD.encode(mac(secret, api_url, &encoded).finalize().into_bytes());
    format!("{encoded}.{tag}")
}

/// The link `order-documents` answers in `signed` mode.
pub fn link(
    base_url: &str,
    secret: &str,
    api_url: &str,
    order_number: &str,
    invoice_number: &str,
    expires: SystemTime,
) -> String {
    format!(
        "{base_url}/v1/invoice/{}",
        sign(secret, api_url, order_number, invoice_number, expires)
    )
}

/// The shop's link to `order`'s invoice when its `invoice-links` is `signed`, valid for the
/// configured lifetime from `now`; `None` with Upgates' own links. The Spin app (in core) and
/// the Rust host (after the component answers) both make their links here.
pub fn signed_url(
    config: &ShopConfig,
    order_number: &str,
    invoice_number: &str,
    now: SystemTime,
) -> Option<String> {
    match &config.guardrails.invoice_links {
        crate::guardrails::InvoiceLinks::Upgates => None,
        crate::guardrails::InvoiceLinks::Signed {
            secret,
            base_url,
            lifetime,
            ..
        } => Some(link(
            base_url,
            secret,
            &config.api_url,
            order_number,
            invoice_number,
            now + *lifetime,
        )),
    }
}

/// Checks the signature (in constant time) before reading anything, then the expiry.
pub fn verify(
    secret: &str,
    api_url: &str,
    token: &str,
    now: SystemTime,
) -> Result<InvoiceGrant, LinkError> {
    if token.len() > MAX_TOKEN {
        return Err(LinkError::Malformed);
    }
    let (encoded, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkError::Malformed)?;
    mac(secret, api_url, encoded)
        .verify_slice(&tag)
        .map_err(|_| LinkError::BadSignature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| LinkError::Malformed)?;
    let (order_number, invoice_number, expiry): (String, String, u64) =
        serde_json::from_slice(&payload).map_err(|_| LinkError::Malformed)?;
    let expires = UNIX_EPOCH + Duration::from_secs(expiry);
    if now >= expires {
        return Err(LinkError::Expired);
    }
    Ok(InvoiceGrant {
        order_number,
        invoice_number,
        expires,
    })
}

/// The key a link's downloads are counted under (`invoice-link-downloads`): a hash of its
/// token, so the store never holds a link that would still open the PDF. A verified token has
/// one spelling only (its base64 is canonical and the MAC covers the payload as written), so
/// a link cannot be respelled into a fresh count.
pub fn download_key(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    format!("invoice-downloads/{}", crate::hex(&digest[..16]))
}

/// `GET <api>/invoices/{n}/pdf`, asking for the PDF.
pub fn pdf_request(config: &ShopConfig, invoice_number: &str) -> ApiRequest {
    let mut request = Requests::new(config).get(&["invoices", invoice_number, "pdf"], &[]);
    for (name, value) in &mut request.headers {
        if *name == "accept" {
            *value = "application/pdf".into();
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const SHOP: &str = "https://demo.admin.s1.upgates.com/api/v2";

    #[test]
    fn signs_and_verifies() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let expires = now + Duration::from_secs(900);
        let token = sign(SECRET, SHOP, "2025000123", "FA-2025/0042", expires);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        );
        let grant = verify(SECRET, SHOP, &token, now).unwrap();
        assert_eq!(
            grant,
            InvoiceGrant {
                order_number: "2025000123".into(),
                invoice_number: "FA-2025/0042".into(),
                expires,
            }
        );
        assert_eq!(
            verify(SECRET, SHOP, &token, expires),
            Err(LinkError::Expired)
        );
        let other = "fedcba9876543210fedcba9876543210";
        assert_eq!(
            verify(other, SHOP, &token, now),
            Err(LinkError::BadSignature)
        );
        // Another shop sharing the secret (a copied Secret): its app does not open this link.
        let another_shop = "https://other.admin.s1.upgates.com/api/v2";
        assert_eq!(
            verify(SECRET, another_shop, &token, now),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn download_keys_name_the_link_not_its_token() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let token = sign(SECRET, SHOP, "2025000123", "FA1", now);
        let key = download_key(&token);
        assert!(key.starts_with("invoice-downloads/"), "{key}");
        assert_eq!(key.len(), "invoice-downloads/".len() + 32);
        assert!(!key.contains(token.split('.').next().unwrap()));
        assert_eq!(download_key(&token), key);
        let later = sign(
            SECRET,
            SHOP,
            "2025000123",
            "FA1",
            now + Duration::from_secs(1),
        );
        assert_ne!(download_key(&later), key);
    }

    #[test]
    fn refuses_altered_tokens() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let token = sign(
            SECRET,
            SHOP,
            "2025000123",
            "FA1",
            now + Duration::from_secs(900),
        );
        let (payload, tag) = token.split_once('.').unwrap();
        // Another order under the same tag.
        let forged = URL_SAFE_NO_PAD.encode(r#"["2025000999","FA1",1800000900]"#);
        assert_eq!(
            verify(SECRET, SHOP, &format!("{forged}.{tag}"), now),
            Err(LinkError::BadSignature)
        );
        // A later expiry under the same tag.
        let later = URL_SAFE_NO_PAD.encode(r#"["2025000123","FA1",1900000000]"#);
        assert_eq!(
            verify(SECRET, SHOP, &format!("{later}.{tag}"), now),
            Err(LinkError::BadSignature)
        );
        let mut flipped = tag.to_owned().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            verify(SECRET, SHOP, &format!("{payload}.{flipped}"), now),
            Err(LinkError::BadSignature)
        );
        for junk in ["", ".", "abc", "a.b.c", "!!.??", &"a".repeat(2000)] {
            assert!(verify(SECRET, SHOP, junk, now).is_err(), "{junk}");
        }
    }
}
