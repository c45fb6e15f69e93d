//! The component: a thin adapter from the WIT exports to [`upgates_core::Action`]: each export
//! builds its action and runs it on the shop.
//!
//! Credentials come from `wasi:config/store`, HTTP goes out through `wasi:http`, failed e-mail
//! checks are counted in `wasi:keyvalue` (`counters`); every action drives the shared async
//! code to completion with [`block_on`].

mod convert;
mod counters;
mod transport;

#[cfg(target_arch = "wasm32")]
mod arena {
    //! The guest's heap allocator: the JSON parser allocates (and frees) a lot of small strings
    //! and maps, and wasi-libc's dlmalloc behind Rust's `System` is a large share of a call's
    //! instructions (docs/performance.md).

    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::{Cell, UnsafeCell};

    /// The arena's size. A `verify-order` call allocates well under this in total; what does
    /// not fit goes to `System`. Zeroed, so it lives in `.bss`: no bytes in the component, no
    /// `memory.grow` for it, and with copy-on-write heap images an untouched page costs
    /// nothing.
    const ARENA: usize = 256 << 10;

    #[repr(C, align(16))]
    struct Space([u8; ARENA]);

    /// A bump allocator for the call's instance. Every call gets a fresh instance that is
    /// thrown away afterwards, so freeing is a no-op except for the newest block (a `Vec`
    /// that grows, a temporary string), which is given back or grown in place. When the
    /// arena is full, `System` serves the rest (and frees normally), so an instance a host
    /// keeps for many calls only loses the arena, never memory without bound.
    struct Arena {
        space: UnsafeCell<Space>,
        /// Offset of the first free byte.
        next: Cell<usize>,
    }

    // SAFETY: a wasm32-wasip2 component has one thread; nothing is shared across threads.
    unsafe impl Sync for Arena {}

    impl Arena {
        fn base(&self) -> usize {
            self.space.get() as usize
        }

        fn owns(&self, ptr: *mut u8) -> bool {
            (self.base()..self.base() + ARENA).contains(&(ptr as usize))
        }

        /// The newest block: the only one that can be given back or grown in place.
        fn is_newest(&self, ptr: *mut u8, size: usize) -> bool {
            ptr as usize + size == self.base() + self.next.get()
        }

        fn bump(&self, layout: Layout) -> Option<*mut u8> {
            let base = self.base();
            let start = (base + self.next.get()).checked_next_multiple_of(layout.align())?;
            let end = start.checked_add(layout.size())?;
            if end > base + ARENA {
                return None;
            }
            self.next.set(end - base);
            Some(start as *mut u8)
        }
    }

    unsafe impl GlobalAlloc for Arena {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            match self.bump(layout) {
                Some(ptr) => ptr,
                // SAFETY: the caller's layout contract, passed on.
                None => unsafe { System.alloc(layout) },
            }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            if !self.owns(ptr) {
                // SAFETY: not ours, so `System` handed it out with this layout.
                unsafe { System.dealloc(ptr, layout) };
            } else if self.is_newest(ptr, layout.size()) {
                self.next.set(ptr as usize - self.base());
            }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            if !self.owns(ptr) {
                // SAFETY: not ours, so `System` handed it out with this layout.
                return unsafe { System.realloc(ptr, layout, new_size) };
            }
            if self.is_newest(ptr, layout.size()) && ptr as usize + new_size <= self.base() + ARENA
            {
                self.next.set(ptr as usize + new_size - self.base());
                return ptr;
            }
            // SAFETY: `GlobalAlloc::realloc`'s contract: the new layout is valid.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            // SAFETY: as for `alloc`.
            let new = unsafe { self.alloc(new_layout) };
            if !new.is_null() {
                // SAFETY: both blocks are live and at least this long; they do not overlap
                // (the old one is not the newest, or did not fit in place).
                unsafe {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
            }
            new
        }
    }

    #[global_allocator]
    static ALLOCATOR: Arena = Arena {
        space: UnsafeCell::new(Space([0; ARENA])),
        next: Cell::new(0),
    };
}

wit_bindgen::generate!({
    path: "../wit",
    world: "upgates:bot/plugin",
    // Reuse the `wasi` crate's WASI bindings: the same ones wstd is built on.
    with: {
        "wasi:http/types@0.2.12": ::wasi::http::types,
        "wasi:http/outgoing-handler@0.2.12": ::wasi::http::outgoing_handler,
        "wasi:io/poll@0.2.12": ::wasi::io::poll,
        "wasi:io/error@0.2.12": ::wasi::io::error,
        "wasi:io/streams@0.2.12": ::wasi::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": ::wasi::clocks::monotonic_clock,
        // Not in the `wasi` crate: generated here.
        "wasi:config/store@0.2.0-rc.1": generate,
        "wasi:keyvalue/store@0.2.0-draft": generate,
        "wasi:keyvalue/atomics@0.2.0-draft": generate,
    },
});

use exports::upgates::bot::actions::{
    Failure, Guest, InvoiceInfo, OrderDetails, OrderSummary, PhoneOrders, Verified,
};
use upgates_core::{Action, Answer, Shop, ShopConfig, WindowedAttempts};

use crate::counters::{KEY_ATTEMPTS_STORE, KeyValueCounters};
use crate::transport::WasiHttp;

/// The shop with its failed e-mail checks counted in the host's `wasi:keyvalue` store.
type PluginShop = Shop<WasiHttp, WindowedAttempts<KeyValueCounters>>;

/// Reads the shop from `wasi:config/store` on every call: a host may rotate keys between
/// calls. One `get-all` instead of a `get` per setting: one host call, not one per key.
/// A store that fails reads as empty, which answers `misconfigured` like a missing key.
fn shop() -> Result<PluginShop, upgates_core::Failure> {
    let settings = crate::wasi::config::store::get_all().unwrap_or_default();
    let setting = |key: &str| {
        settings
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
    };
    let config = ShopConfig::from_lookup(setting)?;
    let counters = KeyValueCounters::new(setting(KEY_ATTEMPTS_STORE).unwrap_or_default());
    let attempts = WindowedAttempts::for_shop(&config, counters);
    Ok(Shop::with_attempt_log(config, WasiHttp, attempts))
}

/// Runs one action. Not generic, so the actions' code is in the component once, not once
/// per export. Each export takes its WIT type out of the answer: [`Action::run`] answers each
/// action with one `Answer` variant, so any other is unreachable (and a trap, with no drop
/// code for a value that never comes).
fn run(action: Action) -> Result<Answer, Failure> {
    let shop = shop().map_err(Failure::from)?;
    block_on(action.run(&shop)).map_err(Failure::from)
}

/// Polls a future to completion. [`WasiHttp`] blocks inside `wasi:http` instead of returning
/// `Pending`, so the shared async code completes in a single poll: no reactor is needed.
fn block_on<T>(
    future: impl Future<Output = Result<T, upgates_core::Failure>>,
) -> Result<T, upgates_core::Failure> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(result) => result,
        std::task::Poll::Pending => Err(upgates_core::Failure::Upstream(
            "internal: an action did not complete".into(),
        )),
    }
}

struct Component;

impl Guest for Component {
    fn verify_order(order: String) -> Result<OrderSummary, Failure> {
        match run(Action::VerifyOrder { order })? {
            Answer::Summary(summary) => Ok(summary.into()),
            _ => unreachable!(),
        }
    }

    fn order_detail(order: String, email: String) -> Result<OrderDetails, Failure> {
        match run(Action::OrderDetail { order, email })? {
            Answer::Detail(detail) => Ok(detail.into()),
            _ => unreachable!(),
        }
    }

    fn customer_email(order: String, proof: Option<String>) -> Result<String, Failure> {
        match run(Action::CustomerEmail { order, proof })? {
            Answer::Email(email) => Ok(email),
            _ => unreachable!(),
        }
    }

    fn set_order_status(
        order: String,
        status: String,
        notify: bool,
        proof: Option<String>,
    ) -> Result<(), Failure> {
        let action = Action::SetOrderStatus {
            order,
            status,
            notify,
            proof,
        };
        run(action).map(drop)
    }

    fn verify_customer(order: String, email: String) -> Result<Verified, Failure> {
        match run(Action::VerifyCustomer { order, email })? {
            Answer::Verified(verified) => Ok(Verified {
                proof: verified.proof,
            }),
            _ => unreachable!(),
        }
    }

    fn orders_by_phone(phone: String, days: u32) -> Result<PhoneOrders, Failure> {
        match run(Action::OrdersByPhone { phone, days })? {
            Answer::Orders(orders) => Ok(orders.into()),
            _ => unreachable!(),
        }
    }

    fn append_note(order: String, text: String, proof: Option<String>) -> Result<(), Failure> {
        run(Action::AppendNote { order, text, proof }).map(drop)
    }

    fn replace_note(order: String, text: String, proof: Option<String>) -> Result<(), Failure> {
        run(Action::ReplaceNote { order, text, proof }).map(drop)
    }

    fn order_documents(order: String, email: String) -> Result<InvoiceInfo, Failure> {
        match run(Action::OrderDocuments { order, email })? {
            Answer::Documents(documents) => Ok(documents.into()),
            _ => unreachable!(),
        }
    }
}

export!(Component);
