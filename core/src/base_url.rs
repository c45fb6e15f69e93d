//! What makes an address fit to be a base URL (`api-url`, `invoice-link-base-url`): https, or
//! plain http to this machine only; a host and nothing a URL parser could read otherwise.

/// The path of `scheme://authority/path` (`/api/v2`); empty when it has none.
pub fn url_path(url: &str) -> &str {
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or_default()
}

/// What is wrong with `url` as a base address (`https://authority[/path]`, no query,
/// fragment, user info, spaces or control characters); `None` when nothing. Shared by
/// `api-url` and `invoice-link-base-url`. Plain `http://` only to this machine (a local
/// stand-in of the shop): elsewhere it would send the API login and key, or a signed
/// link's token, in clear text.
pub(crate) fn url_problem(url: &str) -> Option<&'static str> {
    let (plain, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (true, rest)
    } else {
        return Some("must start with https://");
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("must not contain spaces or control characters");
    }
    if url.contains(['?', '#']) {
        return Some("must not have a query or fragment");
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Some("must name a host, without user info");
    }
    // The deploy examples' `https://YOUR-SHOP.admin.YOUR-SERVER.upgates.com/api/v2` and
    // `https://bot.YOUR-SHOP.cz`: left as they are, the second would hand customers links to a
    // domain anyone could register.
    if authority.contains("YOUR-") {
        return Some("still names the example's placeholder host (YOUR-...)");
    }
    if plain && !is_loopback(host_of(authority)) {
        return Some("must start with https:// (http:// only for 127.0.0.1, [::1] or localhost)");
    }
    if !is_plain_authority(authority) {
        return Some("must name a host of letters, digits, dots and hyphens (and a :port)");
    }
    None
}

/// Whether `authority` is `host[:port]` or `[v6][:port]`, the host of letters, digits, dots and
/// hyphens only. Anything else (`\`, `%`, ...) a URL parser may read as another host than
/// the text names: `https://evil.example\.upgates.com` is `evil.example` to a browser.
pub(crate) fn is_plain_authority(authority: &str) -> bool {
    let (host_ok, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((address, port)) => (
                !address.is_empty()
                    && address
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
                port,
            ),
            None => return false,
        },
        None => {
            let (host, port) = authority.split_at(authority.find(':').unwrap_or(authority.len()));
            (
                !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
                port,
            )
        }
    };
    host_ok
        && (port.is_empty()
            || port.strip_prefix(':').is_some_and(|digits| {
                (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
            }))
}

/// The host of `host[:port]` or `[v6]:port`, brackets dropped.
fn host_of(authority: &str) -> &str {
    match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or("", |(host, _)| host),
        None => authority.split(':').next().unwrap_or_default(),
    }
}

/// This machine: `localhost`, `::1` or `127.x.y.z` (any case, as hosts compare). Written
/// out instead of parsing an `IpAddr`, which costs the component kilobytes it does not have.
pub fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "::1" {
        return true;
    }
    let mut parts = host.split('.');
    parts.next() == Some("127")
        && parts.clone().count() == 3
        && parts.all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
}
