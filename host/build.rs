//! Builds what the library embeds, the plugin component (`upgates-plugin`). Set
//! `UPGATES_PLUGIN_WASM=/path/to.wasm` to use a prebuilt one instead. Its path reaches the
//! crate as `UPGATES_PLUGIN_WASM_PATH`. The tests' guests are built by tests/build.rs.

use upgates_guest_build::{Guest, build, workspace_root};

fn main() {
    build(
        &workspace_root(),
        &[Guest {
            package: "upgates-plugin",
            file: "upgates_plugin.wasm",
            override_var: "UPGATES_PLUGIN_WASM",
            path_var: "UPGATES_PLUGIN_WASM_PATH",
        }],
        &[
            "plugin/src",
            "plugin/build.rs",
            "plugin/Cargo.toml",
            "core/src",
            "core/Cargo.toml",
            "wit",
            "Cargo.lock",
            "Cargo.toml",
        ],
    );
}
