//! The webhook: its HTTP case table through every server (`http_cases`), `upgates serve`'s
//! own behaviour (`serve`), and the Spin app's (`spin_app`, through the wasmtime harness in
//! `spin_harness`). One test binary: each one that links wasmtime costs a long link.

#[path = "../support/mod.rs"]
mod support;

mod http_cases;
mod serve;
mod servers;
mod spin_app;
mod spin_harness;
