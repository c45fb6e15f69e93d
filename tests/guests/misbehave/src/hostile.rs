//! Attacks on the host's resources and HTTP policy, run by `replace-note` with the attack's
//! name as the note text (the exports stay thin, so a change of their signatures leaves these
//! alone). Each answers what it got as far as it got; the host is expected to stop it first.

use ::wasi::http::types::{ErrorCode, Fields, Method, OutgoingRequest, Scheme};

use crate::wasi::keyvalue::{atomics, store};

/// Resources past the host's table cap, far below wasmtime's default (a million).
const RESOURCES: usize = 100_000;
/// Header bytes in one header set, past the host's limit, below wasi-http's default (128 KiB).
const HEADER_BYTES: usize = 64 << 10;
/// Key-value keys of a mebibyte each, each a new one.
const HUGE_KEYS: usize = 8;
/// New keys one call tries to add to the shop's key-value store.
const FILL_KEYS: usize = 1000;

/// The attack named `what`, or `Err` naming an unknown one.
pub fn run(what: &str) -> Result<String, String> {
    match what {
        "resources" => Ok(resources()),
        "fields" => Ok(fields()),
        "kv-huge-keys" => Ok(kv_huge_keys()),
        "kv-huge-value" => Ok(kv_huge_value()),
        "kv-fill" => Ok(kv_fill()),
        "kv-other-store" => Ok(kv_other_store()),
        "kv-list" => Ok(kv_list()),
        "open-bodies" => Ok(open_bodies()),
        "delete-order" => Ok(send(Method::Delete, "/orders/2025000123", &[])),
        "put-customers" => Ok(send(Method::Put, "/customers", &[])),
        "post-orders" => Ok(send(Method::Post, "/orders", &[])),
        // Someone else's credentials ("evil:evil"): the host's replace them.
        "own-authorization" => Ok(send(
            Method::Get,
            "/orders/2025000123",
            &[("authorization", "Basic ZXZpbDpldmls")],
        )),
        // `PUT /orders` with fields no action writes: the customer's e-mail and address.
        "put-customer-fields" => Ok(send_body(
            Method::Put,
            "/orders",
            br#"{"orders":[{"order_number":"2025000123","customer":{"email":"evil@example.com","street":"Elsewhere 1"}}],"send_emails_yn":false,"send_sms_yn":false}"#,
        )),
        // A history record with a key the audit trail never sends.
        "post-history-extra" => Ok(send_body(
            Method::Post,
            "/orders/2025000123/history",
            br#"{"data":[{"name":"a","value":"b"}],"customer":{"email":"evil@example.com"}}"#,
        )),
        other => Err(format!("no such attack: {other}")),
    }
}

/// Header sets kept alive in a loop: the host's resource table must fill.
fn resources() -> String {
    let mut kept = Vec::with_capacity(RESOURCES);
    for _ in 0..RESOURCES {
        kept.push(Fields::new());
    }
    format!("created {}", kept.len())
}

/// One header set appended to without end: the host's field size limit must refuse it.
fn fields() -> String {
    let fields = Fields::new();
    let value = vec![b'x'; 1024];
    let mut appended = 0;
    while appended < HEADER_BYTES {
        if fields.append("x-fill", &value).is_err() {
            return format!("refused after {appended} bytes");
        }
        appended += value.len();
    }
    format!("appended {appended} bytes")
}

/// The shop's bucket, or what opening it answered.
fn bucket() -> Result<store::Bucket, String> {
    store::open("").map_err(|e| format!("open: {e:?}"))
}

/// A new key of a mebibyte per increment: the store must not keep them as they come.
fn kv_huge_keys() -> String {
    let bucket = match bucket() {
        Ok(bucket) => bucket,
        Err(e) => return e,
    };
    let mut counted = 0;
    for i in 0..HUGE_KEYS {
        let mut key = vec![b'k'; 1 << 20];
        key[..8].copy_from_slice(&(i as u64).to_le_bytes().map(|b| b'a' + b % 26));
        let key = String::from_utf8(key).unwrap_or_default();
        if atomics::increment(&bucket, &key, 1).is_ok() {
            counted += 1;
        }
    }
    format!("counted {counted}")
}

/// A mebibyte value, then one that is not a number: the store keeps counters only.
fn kv_huge_value() -> String {
    let bucket = match bucket() {
        Ok(bucket) => bucket,
        Err(e) => return e,
    };
    let huge = bucket.set("huge", &vec![b'1'; 1 << 20]);
    let text = bucket.set("text", b"not a number");
    let number = bucket.set("number", b"42");
    format!(
        "huge {}, text {}, number {}",
        huge.is_ok(),
        text.is_ok(),
        number.is_ok()
    )
}

/// New keys in a loop: the call's operations and the shop's keys must be bounded.
fn kv_fill() -> String {
    let bucket = match bucket() {
        Ok(bucket) => bucket,
        Err(e) => return e,
    };
    let mut stored = 0;
    for i in 0..FILL_KEYS {
        if atomics::increment(&bucket, &format!("fill-{i}"), 1).is_ok() {
            stored += 1;
        }
    }
    format!("stored {stored}")
}

/// Another bucket than the shop's: there is none.
fn kv_other_store() -> String {
    match store::open("default") {
        Ok(_) => "opened".into(),
        Err(e) => format!("{e:?}"),
    }
}

/// The keys of the shop's store: not for a guest to list.
fn kv_list() -> String {
    let bucket = match bucket() {
        Ok(bucket) => bucket,
        Err(e) => return e,
    };
    let _ = atomics::increment(&bucket, "mine", 1);
    match bucket.list_keys(None) {
        Ok(response) => format!("listed {}", response.keys.len()),
        Err(e) => format!("{e:?}"),
    }
}

/// Writes to open at once, each with a mebibyte of body: the host must not read them all.
const OPEN_BODIES: usize = 16;

/// `PUT orders` [`OPEN_BODIES`] times, each handed to the host before its body is written,
/// then a mebibyte written into each body: a host that reads every body of a call at once
/// holds all of them.
fn open_bodies() -> String {
    let Some((scheme, authority, base)) = shop_address() else {
        return "no api-url".into();
    };
    let mut open = Vec::new();
    for _ in 0..OPEN_BODIES {
        let request = OutgoingRequest::new(Fields::new());
        let _ = request.set_method(&Method::Put);
        let _ = request.set_scheme(Some(&scheme));
        let _ = request.set_authority(Some(&authority));
        let _ = request.set_path_with_query(Some(&format!("{base}/orders")));
        let Ok(body) = request.body() else {
            return "no body".into();
        };
        let Ok(stream) = body.write() else {
            return "no body stream".into();
        };
        match ::wasi::http::outgoing_handler::handle(request, None) {
            // A stream goes before its body (a body dropped first traps: it has a child).
            Ok(pending) => open.push((stream, body, pending)),
            Err(e) => return format!("refused at handle: {e:?}"),
        }
    }
    let chunk = vec![b' '; 4096];
    let mut written = 0usize;
    for (stream, _, _) in &open {
        for _ in 0..(1 << 20) / chunk.len() {
            if stream.blocking_write_and_flush(&chunk).is_err() {
                return format!("a write failed after {written} bytes");
            }
            written += chunk.len();
        }
    }
    format!("wrote {written} bytes")
}

/// The shop's scheme, authority and API path, from `api-url`.
fn shop_address() -> Option<(Scheme, String, String)> {
    let api_url = crate::wasi::config::store::get("api-url").ok().flatten()?;
    let (scheme, rest) = api_url.split_once("://")?;
    let (authority, base) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let scheme = if scheme == "http" {
        Scheme::Http
    } else {
        Scheme::Https
    };
    Some((scheme, authority.to_owned(), base.to_owned()))
}

/// A request to the shop's own origin, under the API path, with a JSON `body`.
fn send_body(method: Method, path: &str, body: &[u8]) -> String {
    let Some((scheme, authority, base)) = shop_address() else {
        return "no api-url".into();
    };
    let fields = Fields::new();
    let _ = fields.append("content-type", b"application/json");
    let request = OutgoingRequest::new(fields);
    let _ = request.set_method(&method);
    let _ = request.set_scheme(Some(&scheme));
    let _ = request.set_authority(Some(&authority));
    let _ = request.set_path_with_query(Some(&format!("{base}{path}")));
    let Ok(outgoing) = request.body() else {
        return "no body".into();
    };
    let pending = match ::wasi::http::outgoing_handler::handle(request, None) {
        Ok(pending) => pending,
        Err(ErrorCode::HttpRequestDenied) => return "denied at handle".into(),
        Err(e) => return format!("other error at handle: {e:?}"),
    };
    {
        let Ok(stream) = outgoing.write() else {
            return "no body stream".into();
        };
        if stream.blocking_write_and_flush(body).is_err() {
            return "the body's write failed".into();
        }
    }
    if ::wasi::http::types::OutgoingBody::finish(outgoing, None).is_err() {
        return "the body's finish failed".into();
    }
    answer(pending)
}

/// What became of a request handed to the host.
fn answer(pending: ::wasi::http::types::FutureIncomingResponse) -> String {
    loop {
        match pending.get() {
            Some(Ok(Err(ErrorCode::HttpRequestDenied))) => break "denied".into(),
            Some(Ok(Ok(response))) => break format!("sent: HTTP {}", response.status()),
            Some(other) => break format!("other error: {other:?}"),
            None => pending.subscribe().block(),
        }
    }
}

/// A request to the shop's own origin, under the API path, with `headers`.
fn send(method: Method, path: &str, headers: &[(&str, &str)]) -> String {
    let Some((scheme, authority, base)) = shop_address() else {
        return "no api-url".into();
    };
    let fields = Fields::new();
    for (name, value) in headers {
        let _ = fields.append(name, value.as_bytes());
    }
    let request = OutgoingRequest::new(fields);
    let _ = request.set_method(&method);
    let _ = request.set_scheme(Some(&scheme));
    let _ = request.set_authority(Some(&authority));
    let _ = request.set_path_with_query(Some(&format!("{base}{path}")));
    match ::wasi::http::outgoing_handler::handle(request, None) {
        Err(ErrorCode::HttpRequestDenied) => "denied at handle".into(),
        Err(e) => format!("other error at handle: {e:?}"),
        Ok(pending) => answer(pending),
    }
}
