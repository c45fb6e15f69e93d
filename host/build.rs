//! Builds what the library embeds, the plugin component (`upgates-plugin`, wasm32-wasip2,
//! `component` profile), in a nested cargo run of its own so the workspace's features do not
//! unify into it. Set `UPGATES_PLUGIN_WASM=/path/to.wasm` to use a prebuilt one instead (then
//! it is not built). Its path reaches the crate as `UPGATES_PLUGIN_WASM_PATH`. The tests' guests
//! (the Spin app, the misbehaving guest) are built by the tests' crate (tests/build.rs).

use std::path::PathBuf;
use std::process::Command;

/// (package, file name, override variable, path variable for the crate)
const COMPONENTS: [(&str, &str, &str, &str); 1] = [(
    "upgates-plugin",
    "upgates_plugin.wasm",
    "UPGATES_PLUGIN_WASM",
    "UPGATES_PLUGIN_WASM_PATH",
)];

fn main() {
    let mut to_build = Vec::new();
    for (package, file, override_var, path_var) in COMPONENTS {
        println!("cargo:rerun-if-env-changed={override_var}");
        match std::env::var(override_var) {
            Ok(prebuilt) => {
                println!("cargo:rerun-if-changed={prebuilt}");
                println!("cargo:rustc-env={path_var}={prebuilt}");
            }
            Err(_) => to_build.push((package, file, path_var)),
        }
    }
    if to_build.is_empty() {
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
        "plugin/build.rs",
        "plugin/Cargo.toml",
        "core/src",
        "core/Cargo.toml",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    ensure_wasm_target();
    // Our own target dir: the outer build holds the lock on target/.
    let target_dir = root.join("target").join("plugin-build");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (package, _, _) in &to_build {
        let status = Command::new(&cargo)
            .current_dir(&root)
            .args(["build", "--package", package])
            .args(["--target", "wasm32-wasip2", "--profile", "component"])
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
        assert!(status.success(), "building {package} failed");
    }
    for (_, file, path_var) in to_build {
        let wasm = target_dir
            .join("wasm32-wasip2")
            .join("component")
            .join(file);
        println!("cargo:rustc-env={path_var}={}", wasm.display());
    }
}

const WASM_TARGET: &str = "wasm32-wasip2";

/// rustup installs `rust-toolchain.toml`'s targets only when it installs the toolchain: with
/// rustc 1.95.0 already on the machine, the nested build would fail with "can't find crate
/// for `core`". Under rustup (`RUSTUP_TOOLCHAIN` set for the toolchain cargo runs), adds the
/// target as rustup would have (the README promises a fresh clone needs only rustup and
/// cargo); with any other rustc, or when that fails, says plainly what to install.
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
