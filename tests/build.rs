//! Builds every guest the tests load, once: the plugin (`upgates-plugin`), the Spin app
//! (`upgates-spin`) and the deliberately hostile guest (`upgates-misbehaving-guest`,
//! tests/guests/misbehave), into the same folder as host/build.rs, so the plugin is built once.
//! Set `UPGATES_PLUGIN_WASM`, `UPGATES_SPIN_WASM` or `UPGATES_MISBEHAVE_WASM` to a prebuilt file
//! to use it instead. Their paths reach the tests as `upgates_tests::{PLUGIN,SPIN,MISBEHAVE}_WASM_PATH`.

use upgates_guest_build::{Guest, build, workspace_root};

fn main() {
    build(
        &workspace_root(),
        &[
            Guest {
                package: "upgates-plugin",
                file: "upgates_plugin.wasm",
                override_var: "UPGATES_PLUGIN_WASM",
                path_var: "UPGATES_PLUGIN_WASM_PATH",
            },
            Guest {
                package: "upgates-spin",
                file: "upgates_spin.wasm",
                override_var: "UPGATES_SPIN_WASM",
                path_var: "UPGATES_SPIN_WASM_PATH",
            },
            Guest {
                package: "upgates-misbehaving-guest",
                file: "upgates_misbehaving_guest.wasm",
                override_var: "UPGATES_MISBEHAVE_WASM",
                path_var: "UPGATES_MISBEHAVE_WASM_PATH",
            },
        ],
        &[
            "plugin/src",
            "plugin/build.rs",
            "plugin/Cargo.toml",
            "spin/src",
            "spin/Cargo.toml",
            "webhook/src",
            "webhook/build.rs",
            "webhook/Cargo.toml",
            // The Spin app serves it (webhook/build.rs embeds it).
            "docs/openapi.yaml",
            "core/src",
            "core/Cargo.toml",
            "tests/guests/misbehave/src",
            "tests/guests/misbehave/Cargo.toml",
            "wit",
            "Cargo.lock",
            "Cargo.toml",
        ],
    );
}
