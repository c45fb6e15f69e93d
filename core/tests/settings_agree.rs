//! `spin.toml` declares every setting of core's table ([`upgates_core::settings::SETTINGS`])
//! as a Spin variable (`_` for `-`), required where the table requires it and with the
//! table's default otherwise.

use std::collections::BTreeMap;

use upgates_core::settings::SETTINGS;

/// The Spin variables: name to the inline table's text (`{ default = "420", ... }`).
fn spin_variables() -> BTreeMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spin.toml");
    let text = std::fs::read_to_string(path).expect("spin.toml at the workspace root");
    let mut in_variables = false;
    let mut found = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_variables = line == "[variables]";
            continue;
        }
        if !in_variables || line.starts_with('#') {
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            found.insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }
    found
}

/// The value of `field = "..."` or `field = true` in an inline table's text.
fn field<'a>(table: &'a str, field: &str) -> Option<&'a str> {
    let at = table.find(&format!("{field} = "))? + field.len() + 3;
    let rest = &table[at..];
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next(),
        None => rest.split([',', ' ', '}']).next(),
    }
}

#[test]
fn spin_toml_declares_every_setting_with_its_default() {
    let variables = spin_variables();
    for setting in SETTINGS {
        let name = setting.key.replace('-', "_");
        let Some(table) = variables.get(&name) else {
            panic!("spin.toml does not declare `{name}`");
        };
        if setting.required {
            assert_eq!(field(table, "required"), Some("true"), "{name}: {table}");
        } else {
            assert_eq!(
                field(table, "default"),
                Some(setting.default),
                "{name}: {table}"
            );
        }
    }
}
