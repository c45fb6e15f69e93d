//! Shared by core's integration tests: a recording [`Upstream`] that answers from a closure, a
//! tiny `block_on`, and a canned shop that answers every request the actions make.

#![allow(dead_code)] // each test binary uses its own part

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use upgates_core::{
    ActionInput, ActionName, Answer, ApiRequest, ApiResponse, Failure, Shop, ShopConfig,
    TransportError, Upstream,
};

/// The shop's API URL in every test here.
pub const API: &str = "https://demo.admin.s1.upgates.com/api/v2";
/// 2026-11-28T16:40:00Z.
pub const NOW_SECS: u64 = 1_795_884_000;
/// The order every canned answer is about, and the e-mail on it.
pub const ORDER: &str = "2025000123";
pub const EMAIL: &str = "jana.novakova@example.cz";
pub const PHONE: &str = "+420 601 223 344";
/// The internal note the canned order already has (append-note adds to it).
pub const OLD_NOTE: &str = "Zákazník volal.";

pub type Respond = dyn Fn(&ApiRequest, usize) -> Result<ApiResponse, TransportError>;

/// Records every request and answers it with `respond(request, index)`. Never pending.
#[derive(Clone)]
pub struct Recorder {
    sent: Rc<RefCell<Vec<ApiRequest>>>,
    respond: Rc<Respond>,
}

impl Recorder {
    pub fn new(
        respond: impl Fn(&ApiRequest, usize) -> Result<ApiResponse, TransportError> + 'static,
    ) -> Self {
        Self {
            sent: Rc::default(),
            respond: Rc::new(respond),
        }
    }

    /// Answers like a small healthy shop (see [`canned`]).
    pub fn canned() -> Self {
        Self::new(|request, _| Ok(canned(request)))
    }

    pub fn sent(&self) -> Vec<ApiRequest> {
        self.sent.borrow().clone()
    }
}

impl Upstream for Recorder {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let index = self.sent.borrow().len();
        let response = (self.respond)(&request, index);
        self.sent.borrow_mut().push(request);
        response
    }

    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW_SECS)
    }
}

pub fn config() -> ShopConfig {
    ShopConfig::new(API, "bot", "k3y", "420").expect("valid test config")
}

pub fn shop(recorder: &Recorder) -> Shop<Recorder> {
    Shop::new(config(), recorder.clone())
}

/// Polls `future` once: everything here completes at once because [`Recorder`] never pends.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a recording upstream never pends, so no action may"),
    }
}

/// Runs one action through `upgates_core::run` against `recorder`.
pub fn run(
    recorder: &Recorder,
    action: ActionName,
    input: &ActionInput,
) -> Result<Answer, Failure> {
    block_on(upgates_core::run(&shop(recorder), action, input))
}

/// Valid inputs for `action` (the canned shop answers "Ano" to each).
pub fn valid_input(action: ActionName) -> ActionInput {
    let mut input = ActionInput::default();
    for name in action.inputs() {
        match name {
            "order" => input.order = Some(ORDER.into()),
            "email" => input.email = Some(EMAIL.into()),
            "phone" => input.phone = Some(PHONE.into()),
            "days" => input.days = Some(30),
            "status" => input.status = Some("Odeslaná".into()),
            "text" => input.text = Some("Doručit po 17:00".into()),
            _ => {}
        }
    }
    input
}

pub fn json_response(status: u16, body: &Value) -> ApiResponse {
    ApiResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

/// The canned shop: one order (any number), one phone page, no brands, one invoice, and every
/// PUT reported as done.
pub fn canned(request: &ApiRequest) -> ApiResponse {
    let path = request
        .url
        .strip_prefix(API)
        .unwrap_or(&request.url)
        .split('?')
        .next()
        .unwrap_or_default();
    let body = match (request.method.as_str(), path) {
        ("PUT", _) => {
            json!({"orders": [{"order_number": ORDER, "updated_yn": true, "messages": []}]})
        }
        ("GET", "/orders") => json!({
            "current_page": 1, "number_of_pages": 1, "number_of_items": 1,
            "orders": [{"order_number": ORDER, "creation_time": "2026-11-20T10:00:00+01:00",
                        "order_total": 1230.5}]
        }),
        ("GET", "/products/simple") => {
            json!({"products": [{"product_id": 7, "code": "HRN-1", "manufacturer": "Kafe"}]})
        }
        ("GET", p) if p.starts_with("/invoices/") => json!({
            "invoices": [{"invoice_number": "FV2025001", "order_number": ORDER,
                          "invoice_pdf_url": "https://demo.example/invoice.pdf"}]
        }),
        ("GET", p) if p.starts_with("/orders/") => json!({
            "orders": [{
                "status": "Přijatá", "internal_note": OLD_NOTE, "invoice_number": "FV2025001",
                "customer": {"email": EMAIL, "phone": "+420601223344"},
                "products": [{"product_id": 7, "code": "HRN-1", "title": "Hrnek"}]
            }]
        }),
        _ => return json_response(404, &json!({})),
    };
    json_response(200, &body)
}
