//! The webhook: its HTTP case table through every server (`http_cases`), each answer checked
//! against the OpenAPI document (`openapi`), MCP's tools at `/mcp` through `upgates serve` and
//! the Spin app (`mcp`), `upgates serve`'s own behaviour (`serve`), and the Spin app's
//! (`spin_app`, through the wasmtime harness in the support's `spin_harness`).

mod http_cases;
mod mcp;
mod openapi;
mod serve;
mod spin_app;
