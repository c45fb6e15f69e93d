//! Upgates' own rules that the host's HTTP layer follows: how long a GET's answer may be reused,
//! which cached reads a write makes stale, and how the rate-limit headers read. Pure functions:
//! the host applies them to its cache and its records.

/// The part of a path (or a whole URL) after `/api/v2`; all of it when there is none.
pub fn api_path(path: &str) -> &str {
    path.split_once("/api/v2").map_or(path, |(_, rest)| rest)
}

/// How long a GET's answer may be reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheLife {
    /// Orders and the rest: the shop's short cache TTL.
    Short,
    /// Order statuses and products change rarely: the code-list TTL.
    CodeList,
}

/// How long the answer to a GET of `path` may be reused.
pub fn cache_life(path: &str) -> CacheLife {
    let api_path = api_path(path);
    if api_path.starts_with("/order-statuses") || api_path.starts_with("/products") {
        CacheLife::CodeList
    } else {
        CacheLife::Short
    }
}

/// What a write makes stale in a cache of GET answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteScope {
    /// These orders' own reads and every order list (which may contain them). The code
    /// lists (statuses, products) stay.
    Orders(Vec<String>),
    /// A write that cannot be placed: every cached read.
    Everything,
}

/// The orders a write touches: a PUT of `/orders` names them in its body
/// (`{"orders":[{"order_number":..}]}`); a write under one order (`/orders/{n}/history`) names
/// it in its path.
pub fn write_scope(path: &str, body: &[u8]) -> WriteScope {
    let api_path = api_path(path);
    let orders: Vec<String> = if api_path == "/orders" {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|body| body.get("orders")?.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|o| o.get("order_number")?.as_str().map(str::to_owned))
            .collect()
    } else {
        api_path
            .strip_prefix("/orders/")
            .and_then(|rest| rest.split('/').next())
            .filter(|n| !n.is_empty())
            .map(|n| {
                percent_encoding::percent_decode_str(n)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .into_iter()
            .collect()
    };
    if orders.is_empty() {
        WriteScope::Everything
    } else {
        WriteScope::Orders(orders)
    }
}

impl WriteScope {
    /// Whether the cached answer to a GET of `url` (a path or a whole URL) is stale after the
    /// write. An order number is matched as written and percent-encoded.
    pub fn makes_stale(&self, url: &str) -> bool {
        let orders = match self {
            WriteScope::Everything => return true,
            WriteScope::Orders(orders) => orders,
        };
        let api_path = api_path(url);
        api_path.starts_with("/orders?")
            || api_path == "/orders"
            || orders.iter().any(|n| {
                let encoded =
                    percent_encoding::utf8_percent_encode(n, percent_encoding::NON_ALPHANUMERIC)
                        .to_string();
                api_path.starts_with(&format!("/orders/{n}"))
                    || api_path.starts_with(&format!("/orders/{encoded}"))
            })
    }
}

/// The `X-Rate-Limit-*` figures of a response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub hour: Option<u64>,
    pub day: Option<u64>,
    pub hour_remaining: Option<u64>,
    pub day_remaining: Option<u64>,
    pub total_remaining: Option<u64>,
}

impl RateLimits {
    /// The figures in a response's headers (name, raw value); `None` when it carries none.
    /// Of a header given twice the first counts; a value that is not a number is left out.
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])> + Clone,
    ) -> Option<Self> {
        let get = |name: &str| {
            headers
                .clone()
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| {
                    std::str::from_utf8(v)
                        .ok()
                        .filter(|v| v.is_ascii())?
                        .trim()
                        .parse()
                        .ok()
                })
        };
        let limits = RateLimits {
            hour: get("x-rate-limit-hour"),
            day: get("x-rate-limit-day"),
            hour_remaining: get("x-rate-limit-hour-remaining"),
            day_remaining: get("x-rate-limit-day-remaining"),
            total_remaining: get("x-rate-limit-total-remaining"),
        };
        (limits != RateLimits::default()).then_some(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lists_live_longer() {
        for path in [
            "/api/v2/order-statuses",
            "/api/v2/order-statuses?language=cs",
            "/api/v2/products?code=X1",
            "https://shop.example/api/v2/products",
        ] {
            assert_eq!(cache_life(path), CacheLife::CodeList, "{path}");
        }
        for path in [
            "/api/v2/orders?order_number=2025000123",
            "/api/v2/orders/2025000123",
            "/api/v2/customers",
            "/elsewhere/products",
        ] {
            assert_eq!(cache_life(path), CacheLife::Short, "{path}");
        }
    }

    #[test]
    fn a_put_of_orders_names_them_in_its_body() {
        let body = br#"{"orders":[{"order_number":"2025000123"},{"order_number":"2025000124"}]}"#;
        assert_eq!(
            write_scope("/api/v2/orders", body),
            WriteScope::Orders(vec!["2025000123".into(), "2025000124".into()])
        );
        // A body that names none cannot be placed.
        assert_eq!(
            write_scope("/api/v2/orders", b"{\"orders\":[]}"),
            WriteScope::Everything
        );
        assert_eq!(
            write_scope("/api/v2/orders", b"not json"),
            WriteScope::Everything
        );
    }

    #[test]
    fn a_write_under_one_order_names_it_in_its_path() {
        assert_eq!(
            write_scope("/api/v2/orders/2025000123/history", b""),
            WriteScope::Orders(vec!["2025000123".into()])
        );
        assert_eq!(
            write_scope("/api/v2/orders/A%2F1/history", b""),
            WriteScope::Orders(vec!["A/1".into()])
        );
        assert_eq!(
            write_scope("/api/v2/orders//history", b""),
            WriteScope::Everything
        );
        assert_eq!(
            write_scope("/api/v2/customers", b""),
            WriteScope::Everything
        );
    }

    #[test]
    fn a_write_makes_its_orders_and_the_order_lists_stale_only() {
        let scope = WriteScope::Orders(vec!["A/1".into()]);
        for stale in [
            "http://127.0.0.1:9/api/v2/orders/A/1",
            "http://127.0.0.1:9/api/v2/orders/A%2F1/history",
            "http://127.0.0.1:9/api/v2/orders?order_number=2025000999",
            "http://127.0.0.1:9/api/v2/orders",
        ] {
            assert!(scope.makes_stale(stale), "{stale}");
        }
        for kept in [
            "http://127.0.0.1:9/api/v2/orders/B1",
            "http://127.0.0.1:9/api/v2/order-statuses",
            "http://127.0.0.1:9/api/v2/products?code=X1",
        ] {
            assert!(!scope.makes_stale(kept), "{kept}");
        }
        assert!(WriteScope::Everything.makes_stale("http://127.0.0.1:9/api/v2/products"));
    }

    #[test]
    fn rate_limit_headers_read_as_numbers() {
        let headers: [(&str, &[u8]); 4] = [
            ("X-Rate-Limit-Hour", b"1000"),
            ("x-rate-limit-hour-remaining", b" 998 "),
            ("x-rate-limit-day", b"many"),
            ("x-rate-limit-hour", b"5"),
        ];
        assert_eq!(
            RateLimits::from_headers(headers),
            Some(RateLimits {
                hour: Some(1000),
                hour_remaining: Some(998),
                ..RateLimits::default()
            })
        );
        let none: [(&str, &[u8]); 1] = [("content-type", b"application/json")];
        assert_eq!(RateLimits::from_headers(none), None);
    }
}
