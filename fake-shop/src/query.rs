//! Query strings, decoded as PHP decodes them (`+` is a space, `%XX` a byte), last value wins.

use percent_encoding::percent_decode_str;

use crate::respond::ApiError;

/// Decodes a raw query string into its pairs, in order.
pub(crate) fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// A request's query parameters.
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self(pairs(raw))
    }

    /// The last value given for `name`, if any.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name` unless it is absent or empty (PHP's `empty()`).
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// A `;`-separated list, empty items dropped.
    pub(crate) fn list(&self, name: &str) -> Option<Vec<String>> {
        self.non_empty(name).map(|v| {
            v.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }

    /// `page`, 1 when absent; anything but a positive integer is a 400.
    pub(crate) fn page(&self) -> Result<usize, ApiError> {
        match self.non_empty("page") {
            None => Ok(1),
            Some(v) => {
                v.parse::<usize>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                    ApiError::bad_request(format!("Invalid value of `page`: \"{v}\"."))
                })
            }
        }
    }

    /// An `int` parameter.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.non_empty(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::bad_request(format!("Invalid value of `{name}`: \"{v}\"."))
                })
            })
            .transpose()
    }

    /// A `;`-separated list of ints.
    pub(crate) fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, ApiError> {
        self.list(name)
            .map(|items| {
                items
                    .iter()
                    .map(|v| {
                        v.parse::<i64>().map_err(|_| {
                            ApiError::bad_request(format!("Invalid value in `{name}`: \"{v}\"."))
                        })
                    })
                    .collect()
            })
            .transpose()
    }

    /// A `bool` parameter: `1`/`0`/`true`/`false`.
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.non_empty(name)
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "1" | "true" => Ok(true),
                "0" | "false" => Ok(false),
                _ => Err(ApiError::bad_request(format!(
                    "Invalid value of `{name}`: \"{v}\"."
                ))),
            })
            .transpose()
    }

    /// An ISO 8601 date parameter; malformed is a 400.
    pub(crate) fn date(&self, name: &str) -> Result<Option<crate::dates::QueryTime>, ApiError> {
        self.non_empty(name)
            .map(|v| {
                crate::dates::parse(v).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Invalid date in `{name}`: \"{v}\" (expected ISO 8601, e.g. 2025-05-27T09:19:01+02:00)."
                    ))
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_php() {
        let q = pairs(Some("a=1&b=%2B420%20601&c=x+y&d&=e&a=2&f=%C5%A1"));
        assert_eq!(
            q,
            [
                ("a", "1"),
                ("b", "+420 601"),
                ("c", "x y"),
                ("d", ""),
                ("", "e"),
                ("a", "2"),
                ("f", "š")
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let q = Query::parse(Some("a=1&a=2&page=3&l=1;;2; 3"));
        assert_eq!(q.get("a"), Some("2"));
        assert_eq!(q.page().unwrap(), 3);
        assert_eq!(q.list("l").unwrap(), ["1", "2", "3"]);
        assert!(Query::parse(Some("page=0")).page().is_err());
        assert!(Query::parse(Some("page=x")).page().is_err());
        assert_eq!(Query::parse(None).page().unwrap(), 1);
    }
}
