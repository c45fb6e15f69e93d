//! The OpenAPI document is written as YAML (`docs/openapi.yaml`, for people) and served as
//! JSON (`GET /v1/openapi.json`): converted here, so the servers carry no YAML parser and
//! the document has one source.

use std::path::Path;

const DOCUMENT: &str = "../docs/openapi.yaml";

fn main() {
    println!("cargo:rerun-if-changed={DOCUMENT}");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let path = Path::new(&manifest_dir).join(DOCUMENT);
    let yaml = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    // Through YAML's own mapping, which refuses a key written twice; straight into JSON's the
    // last one would silently win.
    let document = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&yaml)
        .map_err(|e| e.to_string())
        .and_then(|yaml| serde_json::to_value(yaml).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("{DOCUMENT} is not a YAML document JSON can hold: {e}"));
    // The document describes this build: a release bumps both or the build says so.
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let documented = document["info"]["version"].as_str();
    assert_eq!(
        documented,
        Some(version.as_str()),
        "{DOCUMENT}: info.version must be the crate's version"
    );
    let json = serde_json::to_string(&document).expect("a JSON value serialises");
    std::fs::write(Path::new(&out_dir).join("openapi.json"), json)
        .unwrap_or_else(|e| panic!("cannot write openapi.json into OUT_DIR: {e}"));
}
