//! Which route a method and path name.

use http::Method;
use upgates_core::ActionName;

use crate::reply::Rejection;

const PREFIX: &str = "/v1/";
/// The default shop's MCP endpoint.
const MCP: &str = "/mcp";
/// `/v1/shops/<name>/...`: the shops besides the default one (`upgates serve`).
const SHOPS: &str = "shops/";
/// A shop's name in a path: what the shops file's table names may be (checked at start).
const MAX_SHOP_NAME: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The shop named in the path; `None` for the default shop.
    pub shop: Option<String>,
    pub target: Target,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Live: the process answers (no token, no shop, no request to Upgates).
    Health,
    /// Ready to serve: the component compiled, the settings valid.
    Ready,
    /// The OpenAPI document (no token: a public contract).
    OpenApi,
    Action(ActionName),
    /// MCP's endpoint (`mcp.rs`): the actions as tools for AI agents.
    Mcp,
    /// A signed invoice link's token.
    Invoice(String),
}

/// Whether `name` can be a shop's name in a path: letters, digits, `-` and `_`.
pub fn is_shop_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_SHOP_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET /v1/health`, `GET /v1/ready`, `GET /v1/openapi.json`, `POST /v1/<action>`,
/// `GET /v1/invoice/<token>`, and the last two under `/v1/shops/<name>/` for a named shop;
/// `POST /mcp`, and `POST /v1/shops/<name>/mcp` for a named shop. The query string plays no
/// part. An unknown path is `404`, a known path with the wrong method
/// `405` (with the method it takes).
pub fn route(method: &Method, path: &str) -> Result<Route, Rejection> {
    // Where MCP clients look for a server's endpoint.
    if path == MCP {
        return if *method == Method::POST {
            Ok(Route {
                shop: None,
                target: Target::Mcp,
            })
        } else {
            Err(Rejection::WrongMethod {
                allow: Method::POST,
            })
        };
    }
    let rest = path.strip_prefix(PREFIX).ok_or(Rejection::NoRoute)?;
    let (shop, rest) = match rest.strip_prefix(SHOPS) {
        Some(named) => {
            let (name, rest) = named.split_once('/').ok_or(Rejection::NoRoute)?;
            if !is_shop_name(name) {
                return Err(Rejection::NoRoute);
            }
            (Some(name.to_owned()), rest)
        }
        None => (None, rest),
    };
    let (target, allowed) = match rest {
        "health" if shop.is_none() => (Target::Health, Method::GET),
        "ready" if shop.is_none() => (Target::Ready, Method::GET),
        "openapi.json" if shop.is_none() => (Target::OpenApi, Method::GET),
        // A named shop's MCP endpoint; the default shop's is `/mcp`.
        "mcp" if shop.is_some() => (Target::Mcp, Method::POST),
        _ => match rest.strip_prefix("invoice/") {
            Some(token) if token.is_empty() || token.contains('/') => {
                return Err(Rejection::NoRoute);
            }
            Some(token) => (Target::Invoice(token.to_owned()), Method::GET),
            None => {
                let action = rest.parse().map_err(|_| Rejection::NoRoute)?;
                (Target::Action(action), Method::POST)
            }
        },
    };
    if *method == allowed {
        Ok(Route { shop, target })
    } else {
        Err(Rejection::WrongMethod { allow: allowed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(shop: Option<&str>, target: Target) -> Result<Route, Rejection> {
        Ok(Route {
            shop: shop.map(str::to_owned),
            target,
        })
    }

    #[test]
    fn every_action_health_ready_and_links() {
        for action in ActionName::ALL {
            let path = format!("/v1/{action}");
            assert_eq!(
                route(&Method::POST, &path),
                at(None, Target::Action(action))
            );
            assert_eq!(
                route(&Method::GET, &path),
                Err(Rejection::WrongMethod {
                    allow: Method::POST
                })
            );
            let named = format!("/v1/shops/sk_2/{action}");
            assert_eq!(
                route(&Method::POST, &named),
                at(Some("sk_2"), Target::Action(action))
            );
        }
        assert_eq!(route(&Method::GET, "/v1/health"), at(None, Target::Health));
        assert_eq!(route(&Method::GET, "/v1/ready"), at(None, Target::Ready));
        assert_eq!(
            route(&Method::GET, "/v1/openapi.json"),
            at(None, Target::OpenApi)
        );
        assert_eq!(
            route(&Method::GET, "/v1/invoice/abc.def"),
            at(None, Target::Invoice("abc.def".into()))
        );
        assert_eq!(
            route(&Method::GET, "/v1/shops/sk/invoice/abc.def"),
            at(Some("sk"), Target::Invoice("abc.def".into()))
        );
        assert_eq!(
            route(&Method::POST, "/v1/invoice/abc.def"),
            Err(Rejection::WrongMethod { allow: Method::GET })
        );
        assert_eq!(
            route(&Method::POST, "/v1/health"),
            Err(Rejection::WrongMethod { allow: Method::GET })
        );
        assert_eq!(route(&Method::POST, "/mcp"), at(None, Target::Mcp));
        assert_eq!(
            route(&Method::POST, "/v1/shops/sk/mcp"),
            at(Some("sk"), Target::Mcp)
        );
        for method in [Method::GET, Method::DELETE] {
            for path in ["/mcp", "/v1/shops/sk/mcp"] {
                assert_eq!(
                    route(&method, path),
                    Err(Rejection::WrongMethod {
                        allow: Method::POST
                    }),
                    "{method} {path}"
                );
            }
        }
    }

    #[test]
    fn unknown_paths() {
        for path in [
            "/",
            "/v1",
            "/v1/",
            "/v1/drop-table",
            "/v1/verify-order/",
            "/v1/verify-order/x",
            "/v2/verify-order",
            "/V1/verify-order",
            "//v1/verify-order",
            "/v1/invoice/",
            "/v1/invoice/a/b",
            "/v1/shops/",
            "/v1/shops/sk",
            "/v1/shops/sk/",
            "/v1/shops//verify-order",
            "/v1/shops/s%6b/verify-order",
            "/v1/shops/sk/health",
            "/v1/shops/sk/ready",
            "/v1/shops/sk/openapi.json",
            "/v1/shops/sk/shops/cz/verify-order",
            "/v1/mcp",
            "/mcp/",
            "/v1/shops/sk/mcp/",
            "/metrics",
        ] {
            assert_eq!(
                route(&Method::POST, path),
                Err(Rejection::NoRoute),
                "{path}"
            );
        }
        let long = format!("/v1/shops/{}/verify-order", "a".repeat(65));
        assert_eq!(route(&Method::POST, &long), Err(Rejection::NoRoute));
    }
}
