//! Builds wasm guests of this workspace from a build script: the host's (the plugin it embeds)
//! and the tests' (every guest they load). Each guest is built in a nested cargo run of its own
//! (one package per run, so the workspace's features do not unify into it), for wasm32-wasip2
//! with the `component` profile, into `target/plugin-build` (not `target/`: the outer build
//! holds its lock). A guest whose override variable names a prebuilt file is not built.

use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";

/// One guest: its package, the file it builds, the variable that names a prebuilt file
/// instead, and the variable its path reaches the crate under (`env!`).
pub struct Guest {
    pub package: &'static str,
    pub file: &'static str,
    pub override_var: &'static str,
    pub path_var: &'static str,
}

/// Builds `guests` (or takes their prebuilt files) and hands their paths to the crate whose
/// build script calls this. `inputs` are the workspace paths (from its root) whose changes
/// make the build script run again. `root` is the workspace root.
pub fn build(root: &Path, guests: &[Guest], inputs: &[&str]) {
    let mut to_build = Vec::new();
    for guest in guests {
        println!("cargo:rerun-if-env-changed={}", guest.override_var);
        match std::env::var(guest.override_var) {
            Ok(prebuilt) => {
                println!("cargo:rerun-if-changed={prebuilt}");
                println!("cargo:rustc-env={}={prebuilt}", guest.path_var);
            }
            Err(_) => to_build.push(guest),
        }
    }
    if to_build.is_empty() {
        return;
    }
    for input in inputs {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    ensure_wasm_target();
    let target_dir = root.join("target").join("plugin-build");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for guest in &to_build {
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(["build", "--package", guest.package])
            .args(["--target", WASM_TARGET, "--profile", "component"])
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
        assert!(status.success(), "building {} failed", guest.package);
    }
    for guest in to_build {
        let wasm = target_dir
            .join(WASM_TARGET)
            .join("component")
            .join(guest.file);
        println!("cargo:rustc-env={}={}", guest.path_var, wasm.display());
    }
}

/// The workspace root, the parent of the calling crate's folder.
pub fn workspace_root() -> PathBuf {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("the crate sits in the workspace root")
        .to_path_buf()
}

/// rustup installs `rust-toolchain.toml`'s targets only when it installs the toolchain: with
/// that rustc already on the machine, the nested build would fail with "can't find crate for
/// `core`". Under rustup (`RUSTUP_TOOLCHAIN` set for the toolchain cargo runs), adds the
/// target as rustup would have (a fresh clone needs only rustup and cargo); with any other
/// rustc, or when that fails, says plainly what to install.
fn ensure_wasm_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let installed = |sysroot: &PathBuf| {
        sysroot
            .join("lib")
            .join("rustlib")
            .join(WASM_TARGET)
            .join("lib")
            .is_dir()
    };
    let Some(sysroot) = sysroot else {
        return; // no answer from rustc: let the nested build report what is wrong
    };
    if installed(&sysroot) {
        return;
    }
    // Only the toolchain cargo runs under rustup: a distro's or Nix's rustc is not rustup's
    // to change, and a bare `rustup target add` here would install rust-toolchain.toml's.
    let Ok(toolchain) = std::env::var("RUSTUP_TOOLCHAIN") else {
        panic!(
            "the {WASM_TARGET} target is not installed for {rustc}: install it for this \
             compiler, then build again"
        );
    };
    println!(
        "cargo:warning=the {WASM_TARGET} target is missing; running `rustup target add \
         {WASM_TARGET} --toolchain {toolchain}`"
    );
    let added = Command::new("rustup")
        .args(["target", "add", WASM_TARGET, "--toolchain", &toolchain])
        // Cargo reads a build script's stdout for directives: rustup's output goes to stderr.
        .stdout(std::process::Stdio::null())
        .status();
    match added {
        Ok(status) if status.success() && installed(&sysroot) => {}
        Ok(_) => panic!(
            "`rustup target add {WASM_TARGET} --toolchain {toolchain}` did not install the \
             target (offline?): run it, then build again"
        ),
        Err(e) => panic!(
            "the {WASM_TARGET} target is not installed and rustup did not run ({e}): run \
             `rustup target add {WASM_TARGET} --toolchain {toolchain}`, then build again"
        ),
    }
}
