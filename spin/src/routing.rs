//! Which route a method and path name.

use http::Method;
use upgates_core::ActionName;

use crate::reply::Rejection;

const PREFIX: &str = "/v1/";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Health,
    Action(ActionName),
    /// A signed invoice link's token.
    Invoice(String),
}

/// `GET /v1/health`, `POST /v1/<action>`, `GET /v1/invoice/<token>`; the query string plays no
/// part. An unknown path is `404`, a known path with the wrong method `405` (with the method
/// it takes).
pub fn route(method: &Method, path: &str) -> Result<Route, Rejection> {
    let name = path.strip_prefix(PREFIX).ok_or(Rejection::NoRoute)?;
    let (route, allowed) = if name == "health" {
        (Route::Health, Method::GET)
    } else if let Some(token) = name.strip_prefix("invoice/") {
        if token.is_empty() || token.contains('/') {
            return Err(Rejection::NoRoute);
        }
        (Route::Invoice(token.to_owned()), Method::GET)
    } else {
        let action = name.parse().map_err(|_| Rejection::NoRoute)?;
        (Route::Action(action), Method::POST)
    };
    if *method == allowed {
        Ok(route)
    } else {
        Err(Rejection::WrongMethod { allow: allowed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_and_health() {
        for action in ActionName::ALL {
            let path = format!("/v1/{action}");
            assert_eq!(route(&Method::POST, &path), Ok(Route::Action(action)));
            assert_eq!(
                route(&Method::GET, &path),
                Err(Rejection::WrongMethod {
                    allow: Method::POST
                })
            );
        }
        assert_eq!(route(&Method::GET, "/v1/health"), Ok(Route::Health));
        assert_eq!(
            route(&Method::GET, "/v1/invoice/abc.def"),
            Ok(Route::Invoice("abc.def".into()))
        );
        assert_eq!(
            route(&Method::POST, "/v1/invoice/abc.def"),
            Err(Rejection::WrongMethod { allow: Method::GET })
        );
        assert_eq!(
            route(&Method::POST, "/v1/health"),
            Err(Rejection::WrongMethod { allow: Method::GET })
        );
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
        ] {
            assert_eq!(
                route(&Method::POST, path),
                Err(Rejection::NoRoute),
                "{path}"
            );
        }
    }
}
