//! Fuzzes what upgates-core makes of the shop's answers: arbitrary bytes as a response body,
//! with a chosen status, parsed into every response model and fed through one of the nine
//! actions by a recording upstream.
//!
//! Input layout: `[action, mode, status selector, status lo, status hi, body...]`.
//! - `action % 9` picks the action (valid inputs; the upstream's answers are the only variable);
//! - `mode % 3`: every request gets the fuzzed reply, or the first request gets a healthy
//!   canned answer and the rest the fuzzed reply (so brand, invoice and PUT parsing is reached
//!   after a good order read), or the first request gets the fuzzed reply and the rest canned;
//! - the status is 200 most of the time, else a status Upgates uses, else any u16.
//!
//! A panic, or a broken invariant (`assert!` below), is a finding.

#![no_main]

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use upgates_core::model::{InvoicesPage, OrdersPage, ProductsPage, PutOrdersResult};
use upgates_core::{
    ActionInput, ActionName, ApiRequest, ApiResponse, Failure, Method, Shop, ShopConfig,
    TransportError, Upstream, render,
};

const API: &str = "https://demo.admin.s1.upgates.com/api/v2";
const ORDER: &str = "2025000123";
const EMAIL: &str = "jana.novakova@example.cz";
const STATUSES: [u16; 16] = [
    201, 204, 301, 302, 307, 308, 400, 401, 403, 404, 413, 429, 500, 502, 503, 504,
];

#[derive(Clone, Copy)]
enum Mode {
    AllFuzzed,
    FirstCanned,
    FirstFuzzed,
}

struct Recorder {
    reply: ApiResponse,
    mode: Mode,
    sent: Rc<RefCell<Vec<ApiRequest>>>,
}

impl Upstream for Recorder {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let index = self.sent.borrow().len();
        let fuzzed = match self.mode {
            Mode::AllFuzzed => true,
            Mode::FirstCanned => index > 0,
            Mode::FirstFuzzed => index == 0,
        };
        let response = if fuzzed {
            self.reply.clone()
        } else {
            canned(&request)
        };
        self.sent.borrow_mut().push(request);
        Ok(response)
    }

    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_795_884_000)
    }
}

/// A healthy shop's answer to each request the actions make.
fn canned(request: &ApiRequest) -> ApiResponse {
    let path = request.url.strip_prefix(API).unwrap_or_default();
    let body = if request.method == Method::Put {
        json!({"orders": [{"order_number": ORDER, "updated_yn": true}]})
    } else if path.starts_with("/orders?") {
        json!({"current_page": 1, "number_of_pages": 1, "number_of_items": 1,
               "orders": [{"order_number": ORDER, "order_total": 10}]})
    } else if path.starts_with("/products/") {
        json!({"products": [{"code": "HRN-1", "manufacturer": "Kafe"}]})
    } else if path.starts_with("/invoices/") {
        json!({"invoices": [{"invoice_pdf_url": "https://demo.example/i.pdf"}]})
    } else {
        json!({"orders": [{"internal_note": "old", "invoice_number": "FV1",
                           "customer": {"email": EMAIL},
                           "products": [{"code": "HRN-1", "title": "Hrnek"}]}]})
    };
    ApiResponse {
        status: 200,
        headers: Vec::new(),
        body: body.to_string().into_bytes(),
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the recording upstream never pends"),
    }
}

/// Valid values for the inputs `action` takes: the upstream's answers are the only variable.
fn input(action: ActionName) -> ActionInput {
    let mut input = ActionInput::default();
    for name in action.inputs() {
        match name {
            "order" => input.order = Some(ORDER.into()),
            "email" => input.email = Some(EMAIL.into()),
            "phone" => input.phone = Some("+420 601 223 344".into()),
            "days" => input.days = Some(30),
            "status" => input.status = Some("Odeslaná".into()),
            "text" => input.text = Some("Doručit po 17:00".into()),
            _ => {}
        }
    }
    input
}

fuzz_target!(|data: &[u8]| {
    let [action, mode, selector, lo, hi, body @ ..] = data else {
        return;
    };
    // The parsers on their own.
    let _ = serde_json::from_slice::<OrdersPage>(body);
    let _ = serde_json::from_slice::<PutOrdersResult>(body);
    let _ = serde_json::from_slice::<InvoicesPage>(body);
    let _ = serde_json::from_slice::<ProductsPage>(body);

    let action = ActionName::ALL[usize::from(*action) % ActionName::ALL.len()];
    let mode = match mode % 3 {
        0 => Mode::AllFuzzed,
        1 => Mode::FirstCanned,
        _ => Mode::FirstFuzzed,
    };
    let status = match selector % 8 {
        0..=4 => 200,
        5 => STATUSES[usize::from(*lo) % STATUSES.len()],
        _ => u16::from_le_bytes([*lo, *hi]),
    };
    let sent = Rc::new(RefCell::new(Vec::new()));
    let recorder = Recorder {
        reply: ApiResponse {
            status,
            headers: vec![("retry-after".into(), "1".into())],
            body: body.to_vec(),
        },
        mode,
        sent: Rc::clone(&sent),
    };
    let config = ShopConfig::new(API, "bot", "k3y", "420").expect("valid config");
    let shop = Shop::new(config, recorder);
    let result = block_on(upgates_core::run(&shop, action, &input(action)));
    let _ = render(&result);

    // Nothing the shop answers is the customer's fault; failures stay short and printable.
    assert!(
        !matches!(result, Err(Failure::InvalidInput(_))),
        "{action}: {result:?}"
    );
    if let Err(failure) = &result {
        let message = failure.message();
        assert!(!message.chars().any(char::is_control), "{message:?}");
        assert!(message.chars().count() <= 500, "{message:?}");
    }
    // Bounded requests, at most one write, every URL under the API without a dot segment.
    let sent = sent.borrow();
    assert!(sent.len() <= 10, "{action}: {} requests", sent.len());
    assert!(sent.iter().filter(|r| r.method == Method::Put).count() <= 1);
    for request in sent.iter() {
        let rest = request.url.strip_prefix(API).expect("under the API URL");
        assert!(!rest.contains('#'), "{}", request.url);
        let path = rest.split('?').next().unwrap_or_default();
        assert!(
            path.split('/')
                .skip(1)
                .all(|s| !s.is_empty() && s != "." && s != ".."),
            "{}",
            request.url
        );
    }
});
