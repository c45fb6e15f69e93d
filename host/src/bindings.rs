//! Host-side bindings of the `upgates:bot/plugin` world: its exports, and the
//! `wasi:keyvalue` imports this host serves itself (`crate::keyvalue`); the other imports are
//! served by wasmtime-wasi, wasmtime-wasi-http and wasmtime-wasi-config.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "upgates:bot/plugin",
    exports: { default: async },
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:keyvalue/store.bucket": crate::keyvalue::Bucket,
    },
    require_store_data_send: true,
});

pub use exports::upgates::bot::actions as wit;
