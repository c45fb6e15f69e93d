//! Proofs that a customer passed an e-mail check (`{{box.proof}}`): what binds a write to the
//! verification a scenario did before it. `verify-customer`, `order-detail` and
//! `order-documents` answer one with their "Ano"; with `require-proof` the writes and
//! `customer-email` take only the proof of their own order.
//!
//! Form: `<expiry unix seconds>.<base64url(mac)>`, the MAC an HMAC-SHA256 under the shop's
//! `proof-secret` over `"upgates-proof-v1." + api_url + "\n" + order + "\n" + expiry`: the
//! shop's API URL is in it, so a proof of one shop does not open another shop's order of the
//! same number even if the two share a secret.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

type HmacSha256 = Hmac<Sha256>;

/// The MAC's context: a MAC made for anything else (a signed link) never verifies as a proof.
const CONTEXT: &[u8] = b"upgates-proof-v1.";
/// Proofs longer than this are refused unread: 20 digits, a dot, 43 characters of MAC.
pub const MAX_PROOF: usize = 64;

/// Why a proof was refused. Each is `not-verified` to the bot, with nothing sent to Upgates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofError {
    Malformed,
    /// Altered, or made for another order, another shop or under another secret.
    BadSignature,
    Expired,
}

fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The HMAC-SHA256 under `secret` over `context + api_url`, then `"\n" + part` for each part:
/// the one form of the proofs' and the signed links' MACs.
pub(crate) fn shop_mac(secret: &str, context: &[u8], api_url: &str, parts: &[&[u8]]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(context);
    mac.update(api_url.as_bytes());
    for part in parts {
        mac.update(b"\n");
        mac.update(part);
    }
    mac
}

fn mac(secret: &str, api_url: &str, order_number: &str, expiry: u64) -> HmacSha256 {
    let expiry = expiry.to_string();
    shop_mac(
        secret,
        CONTEXT,
        api_url,
        &[order_number.as_bytes(), expiry.as_bytes()],
    )
}

/// The proof for `order_number` at the shop whose API is `api_url`, valid until `expires`.
pub fn sign(secret: &str, api_url: &str, order_number: &str, expires: SystemTime) -> String {
    let expiry = unix_seconds(expires);
    let tag = mac(secret, api_url, order_number, expiry)
        .finalize()
        .into_bytes();
    format!("{expiry}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// Checks `proof` for `order_number` at `api_url` at the time `now`. The MAC is compared in
/// constant time, and before the expiry, so a forged proof learns nothing from which it is.
/// Compared as the text it is sent as: a base64 decoder would cost the component more than
/// encoding the expected MAC does.
pub fn verify(
    secret: &str,
    api_url: &str,
    order_number: &str,
    proof: &str,
    now: SystemTime,
) -> Result<(), ProofError> {
    let proof = proof.trim();
    if proof.len() > MAX_PROOF {
        return Err(ProofError::Malformed);
    }
    let (expiry, tag) = proof.split_once('.').ok_or(ProofError::Malformed)?;
    // Digits only, no leading zero: `+5`, ` 5` or `05` would parse, and then the MAC over "5"
    // would verify text that is not the proof as made.
    if expiry.is_empty()
        || !expiry.bytes().all(|b| b.is_ascii_digit())
        || (expiry.len() > 1 && expiry.starts_with('0'))
    {
        return Err(ProofError::Malformed);
    }
    let expiry: u64 = expiry.parse().map_err(|_| ProofError::Malformed)?;
    let expected = URL_SAFE_NO_PAD.encode(
        mac(secret, api_url, order_number, expiry)
            .finalize()
            .into_bytes(),
    );
    if !bool::from(expected.as_bytes().ct_eq(tag.as_bytes())) {
        return Err(ProofError::BadSignature);
    }
    if expiry <= unix_seconds(now) {
        return Err(ProofError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const SHOP: &str = "https://demo.admin.s1.upgates.com/api/v2";
    const NOW: u64 = 1_795_884_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// The MAC as the module comment describes it, computed apart from this crate:
    /// `printf 'upgates-proof-v1.%s\n%s\n%s' "$SHOP" 2025000124 1795885800 |
    /// openssl dgst -sha256 -hmac "$SECRET" -binary | basenc --base64url | tr -d =`.
    #[test]
    fn the_form_is_the_documented_one() {
        assert_eq!(
            sign(SECRET, SHOP, "2025000124", at(NOW + 1800)),
            "1795885800.6oE-fgjIe_vb33l9cQI2xDX6isJzn9RKVdwUtFzYEmk"
        );
    }

    #[test]
    fn a_proof_verifies_for_its_order_and_shop_until_it_expires() {
        let proof = sign(SECRET, SHOP, "2025000124", at(NOW + 1800));
        assert_eq!(verify(SECRET, SHOP, "2025000124", &proof, at(NOW)), Ok(()));
        assert_eq!(
            verify(SECRET, SHOP, "2025000124", &proof, at(NOW + 1799)),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, SHOP, "2025000124", &proof, at(NOW + 1800)),
            Err(ProofError::Expired)
        );
        assert_eq!(
            verify(SECRET, SHOP, "2025000123", &proof, at(NOW)),
            Err(ProofError::BadSignature),
            "another order's"
        );
        assert_eq!(
            verify(
                SECRET,
                "https://other.admin.s1.upgates.com/api/v2",
                "2025000124",
                &proof,
                at(NOW)
            ),
            Err(ProofError::BadSignature),
            "another shop's"
        );
        assert_eq!(
            verify(
                "fedcba9876543210fedcba9876543210",
                SHOP,
                "2025000124",
                &proof,
                at(NOW)
            ),
            Err(ProofError::BadSignature),
            "another secret's"
        );
    }

    #[test]
    fn tampered_and_malformed_proofs_are_refused() {
        let proof = sign(SECRET, SHOP, "2025000124", at(NOW + 1800));
        let (expiry, tag) = proof.split_once('.').unwrap();
        // A later expiry under the same MAC.
        let later = format!("{}.{tag}", expiry.parse::<u64>().unwrap() + 86_400);
        assert_eq!(
            verify(SECRET, SHOP, "2025000124", &later, at(NOW)),
            Err(ProofError::BadSignature)
        );
        // One character of the MAC changed.
        let mut flipped = tag.to_owned().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = format!("{expiry}.{}", String::from_utf8(flipped).unwrap());
        assert_eq!(
            verify(SECRET, SHOP, "2025000124", &flipped, at(NOW)),
            Err(ProofError::BadSignature)
        );
        // Another character after the MAC.
        assert_eq!(
            verify(SECRET, SHOP, "2025000124", &format!("{proof}!"), at(NOW)),
            Err(ProofError::BadSignature)
        );
        for malformed in [
            String::new(),
            "1795885800".into(),
            format!("+{proof}"),
            format!("0{proof}"),
            format!("000{proof}"),
            format!(".{tag}"),
            format!("{proof}{}", "A".repeat(MAX_PROOF)),
            "99999999999999999999999.AAAA".into(),
        ] {
            assert_eq!(
                verify(SECRET, SHOP, "2025000124", &malformed, at(NOW)),
                Err(ProofError::Malformed),
                "{malformed}"
            );
        }
        // A truncated MAC.
        let short = &proof[..proof.len() - 3];
        assert_eq!(
            verify(SECRET, SHOP, "2025000124", short, at(NOW)),
            Err(ProofError::BadSignature)
        );
    }
}
