//! `spin.toml` and docs/configuration.md follow core's table of settings
//! ([`upgates_core::settings::SETTINGS`]): `spin.toml` declares each as a Spin variable (`_`
//! for `-`), required where the table requires it and with the table's default otherwise; the
//! docs' table lists them in the same order with the same defaults.

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

/// The rows of docs/configuration.md's settings table: the cells of each row whose first cell
/// is a backticked `wasi:config` key.
fn documented_settings() -> Vec<Vec<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/configuration.md");
    let text = std::fs::read_to_string(path).expect("docs/configuration.md");
    let header = "| `wasi:config` key |";
    let table = text
        .split_once(header)
        .map(|(_, rest)| rest)
        .expect("the settings table");
    table
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            line.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn the_docs_table_lists_every_setting_with_its_default() {
    let rows = documented_settings();
    let keys: Vec<String> = rows.iter().map(|row| row[0].clone()).collect();
    let want: Vec<String> = SETTINGS.iter().map(|s| format!("`{}`", s.key)).collect();
    assert_eq!(
        keys, want,
        "docs/configuration.md lists the settings in core's order"
    );
    for (setting, row) in SETTINGS.iter().zip(&rows) {
        let spin = format!("`{}`", setting.key.replace('-', "_"));
        assert!(
            row[3].starts_with(&spin),
            "{}: Spin variable {}",
            setting.key,
            row[3]
        );
        if setting.required {
            assert_eq!(row[4], "required", "{}", setting.key);
        } else if !setting.default.is_empty() {
            assert_eq!(row[4], format!("`{}`", setting.default), "{}", setting.key);
        }
    }
}
