mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use upgates_fake_shop::{SAMPLE_KEY, SAMPLE_LOGIN};

fn raw_get(addr: std::net::SocketAddr, path: &str, auth: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_in_thread_answers_raw_http() {
    let shop = sample();
    let server = shop.serve_in_thread().unwrap();
    assert!(server.addr().ip().is_loopback());
    assert_eq!(
        server.api_url(),
        format!("http://127.0.0.1:{}/api/v2", server.addr().port())
    );
    let response = raw_get(
        server.addr(),
        "/api/v2/orders/2025000123",
        &basic(SAMPLE_LOGIN, SAMPLE_KEY),
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let lower = response.to_ascii_lowercase();
    assert!(lower.contains("content-type: application/json"));
    assert!(lower.contains("x-rate-limit-hour-remaining:"));
    assert!(response.contains("Přijatá"));
    let denied = raw_get(server.addr(), "/api/v2/orders", "Basic eDp5");
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
    let recorded = shop.requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].path, "/api/v2/orders/2025000123");
    let addr = server.addr();
    drop(server);
    assert!(
        TcpStream::connect(addr).is_err(),
        "stopped serving when dropped"
    );
}

#[test]
fn serve_in_thread_takes_a_put_body() {
    let shop = sample();
    let server = shop.serve_in_thread().unwrap();
    let body = r#"{"send_emails_yn":0,"orders":[{"order_number":"2025000123","internal_note":"přes HTTP"}]}"#;
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    write!(
        stream,
        "PUT /api/v2/orders HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        basic(SAMPLE_LOGIN, SAMPLE_KEY),
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert_eq!(
        shop.order("2025000123").unwrap()["internal_note"],
        "přes HTTP"
    );
}

#[test]
fn bodies_over_1_mib_are_413_and_recorded() {
    let shop = sample();
    let server = shop.serve_in_thread().unwrap();
    let body = format!("{{\"orders\":[],\"pad\":\"{}\"}}", "x".repeat(1 << 20));
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    write!(
        stream,
        "PUT /api/v2/orders HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        basic(SAMPLE_LOGIN, SAMPLE_KEY),
        body.len()
    )
    .unwrap();
    let _ = stream.write_all(body.as_bytes());
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert_eq!(shop.requests().len(), 1);
    assert_eq!(shop.requests()[0].method, "PUT");
}

#[tokio::test]
async fn serve_on_the_current_runtime() {
    let shop = sample();
    let server = shop.serve().await.unwrap();
    let addr = server.addr();
    let auth = basic(SAMPLE_LOGIN, SAMPLE_KEY);
    let response = tokio::task::spawn_blocking(move || raw_get(addr, "/api/v2/status", &auth))
        .await
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(&format!("http://{addr}/api/v2/orders")),
        "{response}"
    );
    drop(server);
}

/// Upgates answers three requests at once and refuses a fourth with 429 (its quota untouched,
/// `Retry-After` an HTTP date); once a place is free the next one is answered.
#[tokio::test]
async fn a_fourth_request_at_once_is_refused_with_429() {
    let shop = sample();
    shop.set_latency(std::time::Duration::from_millis(200));
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let shop = shop.clone();
            tokio::spawn(async move {
                shop.serve_request(request("GET", "/api/v2/orders/2025000123", ""))
                    .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let refused = answers.iter().find(|r| r.status() == 429).unwrap();
    let retry = refused.headers()["retry-after"].to_str().unwrap();
    assert!(retry.ends_with(" GMT"), "{retry}");
    assert!(
        body_json(refused)["message"]
            .as_str()
            .unwrap()
            .contains("concurrent")
    );
    let hour_left = |r: &http::Response<bytes::Bytes>| -> u32 {
        r.headers()["x-rate-limit-hour-remaining"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let answered = answers.iter().filter(|r| r.status() == 200);
    assert_eq!(
        answered.map(hour_left).min(),
        Some(hour_left(refused) - 3),
        "a refusal draws no quota"
    );
    assert_eq!(shop.requests().len(), 5, "refused ones are recorded too");
    // Three in flight, and each refused one for the moment it took to refuse it.
    assert_eq!(shop.peak_in_flight(), 4);

    shop.set_latency(std::time::Duration::ZERO);
    let next = shop
        .serve_request(request("GET", "/api/v2/orders/2025000123", ""))
        .await;
    assert_eq!(next.status(), 200, "the places were given back");
}
