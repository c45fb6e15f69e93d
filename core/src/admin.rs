//! What the people who set a shop up ask Upgates (`upgates check`, `upgates statuses`): the
//! requests, and the answers typed. Read leniently, as the actions' models are: an entry or a
//! field of an unexpected shape counts as absent rather than failing the whole answer.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::api::{ApiRequest, Requests};
use crate::config::ShopConfig;
use crate::model::lenient::lenient_list;

/// `GET <api>/status`: the API user's rights per service ([`ApiStatus`]).
pub fn status_request(config: &ShopConfig) -> ApiRequest {
    uncached(Requests::new(config).get(&["status"], &[]))
}

/// `GET <api>/order-statuses`: the shop's order statuses ([`OrderStatusList`]).
pub fn order_statuses_request(config: &ShopConfig) -> ApiRequest {
    uncached(Requests::new(config).get(&["order-statuses"], &[]))
}

/// Someone checking a shop's set-up wants what Upgates says now, not a host's cached copy.
fn uncached(mut request: ApiRequest) -> ApiRequest {
    request.headers.push(("cache-control", "no-cache".into()));
    request
}

/// `GET /status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ApiStatus {
    #[serde(deserialize_with = "lenient_list")]
    pub services: Vec<Service>,
}

/// One service the API user may use, with its right: `all`, `readonly` (or none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Service {
    #[serde(deserialize_with = "text")]
    pub service: Option<String>,
    /// The service's endpoint (`https://.../api/v2/orders`).
    #[serde(deserialize_with = "text")]
    pub url: Option<String>,
    #[serde(deserialize_with = "text")]
    pub privilege: Option<String>,
}

/// `GET /order-statuses`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OrderStatusList {
    #[serde(deserialize_with = "lenient_list")]
    pub order_statuses: Vec<OrderStatusEntry>,
}

/// One order status: its id, type and names per language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OrderStatusEntry {
    #[serde(deserialize_with = "integer")]
    pub id: Option<i64>,
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "lenient_list")]
    pub descriptions: Vec<StatusName>,
}

/// A status's name in one language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StatusName {
    #[serde(deserialize_with = "text")]
    pub language_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub name: Option<String>,
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Value::deserialize(d)?.as_i64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries and fields of another shape count as absent; the rest of the answer is read.
    #[test]
    fn odd_entries_and_fields_are_absent_not_fatal() {
        let list: OrderStatusList = serde_json::from_value(serde_json::json!({"order_statuses": [
            {"id": 3, "type": "closed", "descriptions": [
                {"language_id": "cs", "name": "Vyřízena"}, {"language_id": 1, "name": "x"}, "junk"]},
            {"id": "4", "type": null},
            "junk",
        ]}))
        .unwrap();
        assert_eq!(list.order_statuses.len(), 2);
        let first = &list.order_statuses[0];
        assert_eq!((first.id, first.kind.as_deref()), (Some(3), Some("closed")));
        assert_eq!(first.descriptions.len(), 2);
        assert_eq!(first.descriptions[1].language_id, None);
        assert_eq!(list.order_statuses[1].id, None);
        let status: ApiStatus = serde_json::from_str(r#"{"services": "none"}"#).unwrap();
        assert!(status.services.is_empty());
        let empty: OrderStatusList = serde_json::from_str("{}").unwrap();
        assert!(empty.order_statuses.is_empty());
    }

    #[test]
    fn requests_ask_upgates_not_a_cache() {
        let config = ShopConfig::new(
            "https://demo.admin.s1.upgates.com/api/v2",
            "bot",
            "k",
            "420",
        )
        .unwrap();
        for (request, url) in [
            (
                status_request(&config),
                "https://demo.admin.s1.upgates.com/api/v2/status",
            ),
            (
                order_statuses_request(&config),
                "https://demo.admin.s1.upgates.com/api/v2/order-statuses",
            ),
        ] {
            assert_eq!(request.url, url);
            assert_eq!(request.header("cache-control"), Some("no-cache"));
            assert!(request.header("authorization").is_some());
        }
    }
}
