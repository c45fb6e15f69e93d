//! Builds the component (`upgates-plugin`, wasm32-wasip2, `component` profile) so the host can
//! embed it. Set `UPGATES_PLUGIN_WASM=/path/to.wasm` to embed a prebuilt one instead.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=UPGATES_PLUGIN_WASM");
    if let Ok(prebuilt) = std::env::var("UPGATES_PLUGIN_WASM") {
        println!("cargo:rerun-if-changed={prebuilt}");
        println!("cargo:rustc-env=UPGATES_PLUGIN_WASM_PATH={prebuilt}");
        return;
    }
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ sits in the workspace root")
        .to_path_buf();
    for input in [
        "plugin/src",
        "plugin/Cargo.toml",
        "core/src",
        "core/Cargo.toml",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    // Our own target dir: the outer build holds the lock on target/.
    let target_dir = root.join("target").join("plugin-build");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--package",
            "upgates-plugin",
            "--target",
            "wasm32-wasip2",
            "--profile",
            "component",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // Flags and wrappers meant for the host build (clippy, coverage, ...) must not leak.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_MAKEFLAGS")
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building the upgates-plugin component failed"
    );
    let wasm = target_dir
        .join("wasm32-wasip2")
        .join("component")
        .join("upgates_plugin.wasm");
    println!(
        "cargo:rustc-env=UPGATES_PLUGIN_WASM_PATH={}",
        wasm.display()
    );
}
