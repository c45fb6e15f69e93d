//! The shops file: which shop, what the environment overrides, and load errors that never
//! echo the file (cli/src/shops_file.rs).

use upgates_cli::shops_file::{ShopsFile, is_override, line_and_column};

const FILE: &str = r#"
default = "cz"
[shops.cz]
api_url = "https://a.admin.s1.upgates.com/api/v2"
api_login = "bot"
api_key = "file-key"
[shops.sk]
api_url = "https://b.admin.s2.upgates.com/api/v2"
api_login = "bot"
api_key_env = "SK_KEY"
default_country_code = "421"
allowed_statuses = "Odoslaná; Stornovaná: Prijatá"
max_note_length = 300
audit_trail = false
verify_attempts = 3
mask_personal_data = true
[shops.sk-proofs]
api_url = "https://b.admin.s2.upgates.com/api/v2"
api_login = "bot"
api_key = "file-key"
enabled_actions = "verify-customer, set-order-status"
proof_secret_env = "SK_PROOF_SECRET"
proof_minutes = 10
require_proof = true
"#;

/// Writes `text` as a shops file and loads it; the error.
fn load_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shops.toml");
    std::fs::write(&path, text).unwrap();
    ShopsFile::load(&path, true).unwrap_err()
}

/// An unquoted all-digit key is a TOML integer: toml's message would quote it. The error
/// gives its line and what was expected, never the digits.
#[test]
fn a_numeric_key_is_not_echoed() {
    let text = "default = \"cz\"\n\n[shops.cz]\napi_url = \"https://a.admin.s1.upgates.com/api/v2\"\n\
                    api_login = \"bot\"\n\n# the key\napi_key = 1234567890\n";
    let err = load_error(text);
    assert!(!err.contains("1234567890"), "{err}");
    assert!(err.contains("line 8, column 11"), "{err}");
    assert!(
        err.ends_with(": wrong type of value, expected a string"),
        "{err}"
    );
}

#[test]
fn errors_never_echo_the_file() {
    for (text, position, description) in [
        (
            "[shops.cz]\napi_key = hunter2123abc\n",
            "line 2, column 11",
            "string values must be quoted",
        ),
        (
            "[shops.cz]\napi_key = 12.5e3\n",
            "line 2",
            "wrong type of value, expected a string",
        ),
        (
            "[shops.cz]\napi_key = true\n",
            "line 2",
            "wrong type of value, expected a string",
        ),
        (
            "[shops.cz]\naudit_trail = \"hunter2, expected x\"\n",
            "line 2",
            "wrong type of value, expected a boolean",
        ),
        (
            "[shops.cz]\nmax_note_length = -987654\n",
            "line 2",
            "value not allowed, expected a whole number from 0 to 4294967295",
        ),
        (
            "[shops.cz]\napi_kee = \"hunter2\"\n",
            "line 2, column 1",
            "unknown setting, expected one of `api_url`",
        ),
        (
            "[shops.cz]\napi_key = \"hunter2\"\napi_key = \"hunter2\"\n",
            "line 3",
            "duplicate key",
        ),
        (
            "[shops.cz]\napi_key = \"hunter2\" hunter2\n",
            "line 2",
            "expected newline",
        ),
    ] {
        let err = load_error(text);
        assert!(!err.contains("hunter2") && !err.contains("987654"), "{err}");
        assert!(err.contains(position), "{err}");
        assert!(err.contains(description), "{err}");
    }
}

#[test]
fn line_and_column_count_characters() {
    let text = "a = 1\nžluťoučký = 2\n";
    assert_eq!(line_and_column(text, 0), (1, 1));
    assert_eq!(line_and_column(text, 4), (1, 5));
    let two = text.find('2').unwrap();
    assert_eq!(line_and_column(text, two), (2, 13));
    assert_eq!(line_and_column(text, text.len() + 10), (3, 1));
}

#[test]
fn overrides_are_the_settings_variables() {
    for var in [
        "UPGATES_API_KEY",
        "UPGATES_BOT_TOKEN",
        "UPGATES_INVOICE_LINK_SECRET",
    ] {
        assert!(is_override(var), "{var}");
    }
    for var in [
        "UPGATES_SK_KEY",
        "MYSHOP_CZ_KEY",
        "UPGATES_CONFIG",
        "UPGATES_SHOP",
    ] {
        assert!(!is_override(var), "{var}");
    }
}

#[test]
fn picks_shops_and_env_overrides() {
    let file: ShopsFile = toml::from_str(FILE).unwrap();
    let none = |_: &str| None;
    assert_eq!(file.resolve(None, none).unwrap().key, "file-key");
    let sk = file
        .resolve(Some("sk"), |k| {
            (k == "SK_KEY").then(|| "env-key".to_string())
        })
        .unwrap();
    assert_eq!(
        (sk.key.as_str(), sk.default_country_code.as_str()),
        ("env-key", "421")
    );
    let g = &sk.guardrails;
    assert_eq!(
        g.allowed_statuses
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("Odoslaná; Stornovaná: Prijatá")
    );
    assert_eq!(g.max_note_length, Some(300));
    assert!(!g.audit_trail && g.mask_personal_data);
    assert_eq!(g.verify_attempts, 3);
    // Which actions, and the proofs, their secret from the variable the file names.
    let proofs = file
        .resolve(Some("sk-proofs"), |k| {
            (k == "SK_PROOF_SECRET").then(|| "0123456789abcdef0123456789abcdef".to_string())
        })
        .unwrap()
        .guardrails;
    assert_eq!(
        proofs.enabled_actions.to_string(),
        "set-order-status, verify-customer"
    );
    assert_eq!(
        proofs.proof_secret.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert!(proofs.require_proof && proofs.proof_lifetime.as_secs() == 600);
    // The environment overrides a guardrail too.
    let audited = file
        .resolve(Some("sk"), |k| match k {
            "SK_KEY" => Some("env-key".into()),
            "UPGATES_AUDIT_TRAIL" => Some("true".into()),
            _ => None,
        })
        .unwrap();
    assert!(audited.guardrails.audit_trail);
    let overridden = file
        .resolve(Some("cz"), |k| {
            (k == "UPGATES_API_KEY").then(|| "override".to_string())
        })
        .unwrap();
    assert_eq!(overridden.key, "override");
    let err = file.resolve(Some("de"), none).unwrap_err();
    assert!(err.contains("cz, sk"));
    let missing = file.resolve(Some("sk"), none).unwrap_err();
    assert!(missing.contains("`api-key` is not set") && !missing.contains("env-key"));
    // It names the variable the file points to.
    assert!(
        missing.contains("SK_KEY") && missing.contains("UPGATES_API_KEY"),
        "{missing}"
    );
    assert!(!format!("{:?}", file.shops["cz"]).contains("file-key"));
}

/// An empty or blank variable is unset: it neither replaces the file's key nor switches
/// the file's guardrail off.
#[test]
fn an_empty_variable_does_not_override_the_file() {
    let file: ShopsFile = toml::from_str(FILE).unwrap();
    let blank = |k: &str| {
        matches!(
            k,
            "UPGATES_API_KEY" | "UPGATES_ALLOWED_STATUSES" | "UPGATES_MAX_NOTE_LENGTH"
        )
        .then(|| " ".to_string())
    };
    let cz = file.resolve(Some("cz"), blank).unwrap();
    assert_eq!(cz.key, "file-key");
    let sk = file
        .resolve(Some("sk"), |k| match k {
            "SK_KEY" => Some("env-key".into()),
            other => blank(other),
        })
        .unwrap();
    assert!(sk.guardrails.allowed_statuses.is_some());
    assert_eq!(sk.guardrails.max_note_length, Some(300));
    // An empty `api_key_env` variable is unset too.
    let empty_key = file
        .resolve(Some("sk"), |k| (k == "SK_KEY").then(String::new))
        .unwrap_err();
    assert!(empty_key.contains("`api-key` is not set"), "{empty_key}");
    // Errors other than a missing setting get no hint about where to set it.
    let bad_url = file
        .resolve(Some("cz"), |k| {
            (k == "UPGATES_API_URL").then(|| "ftp://x/api/v2".to_string())
        })
        .unwrap_err();
    assert!(!bad_url.contains("UPGATES_API_URL"), "{bad_url}");
}

/// `UPGATES_API_CREDENTIALS=host` is the component's setting: the CLI, which adds the
/// credentials itself, refuses it by name instead of sending an empty login and key.
#[test]
fn credentials_from_host_is_refused() {
    let file: ShopsFile = toml::from_str(FILE).unwrap();
    for value in ["host", "other"] {
        let refused = file
            .resolve(Some("cz"), |k| {
                (k == "UPGATES_API_CREDENTIALS").then(|| value.to_string())
            })
            .unwrap_err();
        assert!(
            refused.starts_with("UPGATES_API_CREDENTIALS is set: "),
            "{refused}"
        );
    }
    // Unset or blank, the file's login and key are used.
    let cz = file
        .resolve(Some("cz"), |k| {
            (k == "UPGATES_API_CREDENTIALS").then(|| " ".to_string())
        })
        .unwrap();
    assert_eq!(cz.key, "file-key");
    assert!(!cz.credentials_from_host);
}

/// `ssh`'s rule: a shops file holding a secret that its group or others can read is refused,
/// naming the file and the fix; so is one they can write (they could point `api_url`
/// elsewhere and be sent the key from a variable), or another user's. Owner-only, or no
/// secret in a readable file, loads.
#[cfg(unix)]
#[test]
fn a_file_others_can_read_secrets_in_or_change_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shops.toml");
    let load_as = |text: &str, mode: u32| {
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        ShopsFile::load(&path, true)
    };
    let shown = path.display().to_string();
    for mode in [0o644, 0o640, 0o604] {
        let err = load_as(FILE, mode).unwrap_err();
        assert!(err.starts_with(&format!("{shown} holds a secret")), "{err}");
        assert!(err.contains(&format!("run `chmod 600 {shown}`")), "{err}");
        assert!(!err.contains("file-key"), "{err}");
    }
    for secret in [
        "bot_token = \"t\"",
        "invoice_link_secret = \"s\"",
        "proof_secret = \"p\"",
    ] {
        let text =
            format!("[shops.a]\napi_url = \"https://a.admin.s1.upgates.com/api/v2\"\n{secret}\n");
        assert!(load_as(&text, 0o644).is_err(), "{secret}");
        assert!(load_as(&text, 0o600).is_ok(), "{secret}");
    }
    assert!(load_as(FILE, 0o600).is_ok());
    assert!(load_as(FILE, 0o400).is_ok());
    let no_secret = "[shops.sk]\napi_url = \"https://b.admin.s2.upgates.com/api/v2\"\n\
                     api_login = \"bot\"\napi_key_env = \"SK_KEY\"\n";
    assert!(load_as(no_secret, 0o644).is_ok());
    for mode in [0o664, 0o646, 0o620] {
        let err = load_as(no_secret, mode).unwrap_err();
        assert!(
            err.contains("can be changed by its group or by others")
                && err.contains(&format!("run `chmod go-w {shown}`")),
            "{err}"
        );
    }
    if upgates_host::private_files::effective_uid() == 0 {
        load_as(no_secret, 0o600).unwrap();
        std::os::unix::fs::chown(&path, Some(4242), None).unwrap();
        let err = ShopsFile::load(&path, true).unwrap_err();
        assert!(err.contains("is owned by another user (uid 4242)"), "{err}");
    }
}
