//! Everything one fake shop holds, behind the `FakeShop` mutex.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::auth::Auth;
use crate::dates::Clock;
use crate::fault::{Fault, MissingOrder};
use crate::quota::{DEFAULT_LIMIT, Quota};
use crate::record::{Notification, RecordedRequest};
use crate::rights::Rights;

#[derive(Debug)]
pub(crate) struct State {
    pub auth: Auth,
    pub clock: Clock,
    pub orders: Vec<Value>,
    pub statuses: Vec<Value>,
    pub invoices: Vec<Value>,
    pub products: Vec<Value>,
    /// History records per order number, oldest first.
    pub history: HashMap<String, Vec<Value>>,
    pub requests: Vec<RecordedRequest>,
    pub notifications: Vec<Notification>,
    pub faults: VecDeque<Fault>,
    pub missing_order: MissingOrder,
    pub quota: Quota,
    pub rights: Rights,
    /// How long a request served over the network takes (`FakeShop::serve_request`).
    pub latency: Duration,
}

impl State {
    pub(crate) fn new(login: &str, key: &str, now: SystemTime) -> Self {
        Self {
            auth: Auth::new(login, key),
            clock: Clock::starting_at(now),
            orders: Vec::new(),
            statuses: Vec::new(),
            invoices: Vec::new(),
            products: Vec::new(),
            history: HashMap::new(),
            requests: Vec::new(),
            notifications: Vec::new(),
            faults: VecDeque::new(),
            missing_order: MissingOrder::default(),
            quota: Quota::new(DEFAULT_LIMIT, DEFAULT_LIMIT),
            rights: Rights::default(),
            latency: Duration::ZERO,
        }
    }

    pub(crate) fn order_index(&self, order_number: &str) -> Option<usize> {
        self.orders
            .iter()
            .position(|o| str_at(o, "order_number") == Some(order_number))
    }

    pub(crate) fn order(&self, order_number: &str) -> Option<&Value> {
        self.order_index(order_number)
            .and_then(|i| self.orders.get(i))
    }
}

/// Inserts `item` into `list`, replacing an item with the same value under `key`.
pub(crate) fn upsert(list: &mut Vec<Value>, key: &str, item: Value) {
    let id = item.get(key).cloned();
    match list
        .iter_mut()
        .find(|existing| id.is_some() && existing.get(key) == id.as_ref())
    {
        Some(existing) => *existing = item,
        None => list.push(item),
    }
}

/// The string at `key` of an object.
pub(crate) fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}
