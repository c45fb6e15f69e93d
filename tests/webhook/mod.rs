//! The webhook: its HTTP case table through every server (`http_cases`), each answer checked
//! against the OpenAPI document (`openapi`), `upgates serve`'s own behaviour (`serve`), and
//! the Spin app's (`spin_app`, through the wasmtime harness in the support's `spin_harness`).

mod http_cases;
mod openapi;
mod serve;
mod spin_app;
