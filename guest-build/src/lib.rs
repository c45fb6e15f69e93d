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
        let built = target_dir
            .join(WASM_TARGET)
            .join("component")
            .join(guest.file);
        // Beside cargo's output, not over it: every cargo run links its own output there again,
        // so a file stripped in place could be replaced by the other build script's run
        // before this crate reads it.
        let wasm = target_dir.join(guest.file);
        write_without_component_names(&built, &wasm);
        println!("cargo:rustc-env={}={}", guest.path_var, wasm.display());
    }
}

/// The custom section wit-component adds with names for the component's own items (its
/// imports' adapters, instances, shims): debug names no runtime reads, and a large part of
/// the size budget. The profile's `strip` reaches only the core module, which wasm-ld strips.
const COMPONENT_NAMES: &str = "component-name";

/// Writes `built` to `wasm` without its top-level `component-name` section. Written through a
/// temporary file and a rename: the host's and the tests' build scripts may both write the
/// same file at once, and neither may read the other's half-written one.
fn write_without_component_names(built: &Path, wasm: &Path) {
    let bytes = std::fs::read(built).unwrap_or_else(|e| panic!("reading {}: {e}", built.display()));
    let stripped = without_custom_section(&bytes, COMPONENT_NAMES).unwrap_or(bytes);
    let temporary = wasm.with_extension(format!("wasm.{}.tmp", std::process::id()));
    std::fs::write(&temporary, stripped)
        .and_then(|()| std::fs::rename(&temporary, wasm))
        .unwrap_or_else(|e| panic!("writing {}: {e}", wasm.display()));
}

/// `module` (a core module or a component) without its top-level custom sections named
/// `name`, or `None` if it has none or does not parse as Wasm. Nested modules and components
/// are copied as they are.
fn without_custom_section(module: &[u8], name: &str) -> Option<Vec<u8>> {
    use wasmparser::{Parser, Payload};
    let mut kept = Vec::with_capacity(module.len());
    // Each top-level section is copied from the end of the one before, its header included.
    let mut copied_to = 0;
    let mut nested = 0usize;
    let mut dropped = false;
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload.ok()?;
        if nested > 0 {
            match payload {
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => nested += 1,
                Payload::End(_) => nested -= 1,
                _ => {}
            }
            continue;
        }
        let Some((_, range)) = payload.as_section() else {
            continue;
        };
        let unwanted = matches!(&payload, Payload::CustomSection(c) if c.name() == name);
        if unwanted {
            dropped = true;
        } else {
            kept.extend_from_slice(module.get(copied_to..range.end)?);
        }
        copied_to = range.end;
        if matches!(
            payload,
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. }
        ) {
            nested = 1;
        }
    }
    (dropped && copied_to == module.len()).then_some(kept)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A section: its id, its size as LEB128 (in two bytes when `long`), its contents.
    fn section(id: u8, contents: &[u8], long: bool) -> Vec<u8> {
        let size = u8::try_from(contents.len()).unwrap();
        let mut out = vec![id];
        if long {
            out.extend([size | 0x80, 0]);
        } else {
            out.push(size);
        }
        out.extend_from_slice(contents);
        out
    }

    fn custom(name: &str, data: &[u8], long: bool) -> Vec<u8> {
        let mut contents = vec![u8::try_from(name.len()).unwrap()];
        contents.extend_from_slice(name.as_bytes());
        contents.extend_from_slice(data);
        section(0, &contents, long)
    }

    /// A component's preamble (version 0x0d, layer 1).
    const COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";

    #[test]
    fn only_the_named_top_level_custom_section_is_dropped() {
        let nested_module = [
            b"\0asm\x01\0\0\0".as_slice(),
            &custom("component-name", b"x", false),
        ]
        .concat();
        let kept = [
            section(1, &nested_module, false),
            custom("component-names", b"other", false),
            custom("producers", b"p", true),
            section(7, &[1, 2, 3], true),
        ];
        let names = custom("component-name", &[0xff; 40], true);
        let with_names = [
            COMPONENT.to_vec(),
            kept[0].clone(),
            names.clone(),
            kept[1].clone(),
            kept[2].clone(),
            names,
            kept[3].clone(),
        ]
        .concat();
        let expected = [COMPONENT.to_vec(), kept.concat()].concat();
        assert_eq!(
            without_custom_section(&with_names, COMPONENT_NAMES),
            Some(expected.clone())
        );
        assert_eq!(
            without_custom_section(&expected, COMPONENT_NAMES),
            None,
            "nothing to drop"
        );
    }

    #[test]
    fn a_file_not_framed_as_wasm_is_left_alone() {
        let names = custom("component-name", b"n", false);
        let truncated = [COMPONENT.to_vec(), names.clone(), vec![7, 9, 1]].concat();
        assert_eq!(without_custom_section(&truncated, COMPONENT_NAMES), None);
        let not_wasm = [b"\0elf\x0d\x00\x01\x00".to_vec(), names].concat();
        assert_eq!(without_custom_section(&not_wasm, COMPONENT_NAMES), None);
        assert_eq!(without_custom_section(b"\0as", COMPONENT_NAMES), None);
    }
}
