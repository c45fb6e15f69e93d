//! The security table of `docs/reliability.md`: each attack, what it got before issue 22, what
//! it gets now, and the test that shows it. The rows are written here, not measured; a test
//! holds every row to a test function that exists, so a renamed or deleted test breaks the table.

use std::path::Path;

/// One attack, by the attacker it assumes.
pub(super) struct Attack {
    pub attacker: &'static str,
    pub attack: &'static str,
    pub before: &'static str,
    pub now: &'static str,
    /// `path/from/the/workspace/root.rs::test_function`.
    pub test: &'static str,
    /// The case of a table test that shows it: its name, as written in `CASES_IN`.
    pub case: Option<&'static str>,
}

/// Where the case tables named by `Attack::case` are written.
const CASES_IN: &[&str] = &[
    "tests/support/guardrails.rs",
    "tests/webhook/http_cases.rs",
    "tests/reliability/sandbox.rs",
];

const HOSTILE: &str = "a hostile component";
const LOCAL: &str = "another local user";
const INTERNET: &str = "the internet";
const STRANGER: &str = "a chat stranger";

pub(super) const ATTACKS: &[Attack] = &[
    Attack {
        attacker: HOSTILE,
        attack: "creates resources in a loop (header sets)",
        before: "up to wasmtime's 1,000,000 table entries in host memory, outside the 64 MiB limit",
        now: "a trap at 1,024 entries, at once; nothing sent",
        test: "tests/reliability/sandbox.rs::resources_in_a_loop_fill_a_bounded_table",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "appends to one header set in a loop",
        before: "128 KiB per header set, times a million sets",
        now: "a trap at 16 KiB per set (header sets at most 16 MiB per call)",
        test: "tests/reliability/sandbox.rs::header_fields_stop_at_the_hosts_limit",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "increments 8 new 1 MiB `wasi:keyvalue` keys",
        before: "(`upgates:bot/attempts`: 4 checks a call, a key over 64 bytes kept as its SHA-256)",
        now: "a key over 128 bytes kept as its SHA-256: 64 bytes a key in the shop's store",
        test: "tests/reliability/sandbox.rs::keyvalue_keys_are_bounded_in_size",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "`set`s a value (1 MiB, text, a number over a counter) in the shop's `wasi:keyvalue` store",
        before: "(no store a component could write values to)",
        now: "refused (`access-denied`): the component only counts up",
        test: "tests/reliability/sandbox.rs::keyvalue_set_is_refused",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "lifts the shop's e-mail check limit: `delete`s `begun` counters or `increment`s `given-back`",
        before: "(`upgates:bot/attempts`: only a key this call's `begin-check` began could be withdrawn; others' failed checks stayed counted)",
        now: "not prevented: the limit is the component's own rule (a hostile component could always skip the check); the host bounds the store's operations and size only",
        test: "tests/reliability/sandbox.rs::a_calls_keyvalue_operations_are_bounded",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "adds 1,000 new keys to the shop's store in one call",
        before: "(`upgates:bot/attempts`: 4 checks a call)",
        now: "16 store operations a call, the rest answer an error; a shop's store holds at most 100,000 keys (the least recently written dropped)",
        test: "tests/reliability/sandbox.rs::a_calls_keyvalue_operations_are_bounded",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "opens another bucket (`default`), lists the shop's keys",
        before: "(no store)",
        now: "`no-such-store` for any bucket but `\"\"`; `list-keys` is `access-denied` (the keys hold order numbers)",
        test: "tests/reliability/sandbox.rs::only_the_shops_bucket_opens_and_its_keys_are_not_listed",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "opens many requests and writes 16 MiB into their bodies",
        before: "the host read every open body at once",
        now: "the host works on two of a call's requests at a time, bodies included; the rest wait for the deadline",
        test: "tests/reliability/sandbox.rs::a_calls_open_request_bodies_are_read_two_at_a_time",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "`DELETE /orders/{n}`, `PUT /customers`, `POST /orders` to the shop's own origin",
        before: "sent, with the key it read from its config",
        now: "`HttpRequestDenied` before anything is sent; the shop counts 0 requests",
        test: "tests/reliability/sandbox.rs::requests_no_action_sends_are_refused",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "reads the API login and key from `wasi:config` (to write them into a note or answer them)",
        before: "both in its config",
        now: "neither (`api-credentials = host`); the host adds `Authorization` to what it lets through",
        test: "tests/reliability/mod.rs::reliability_report",
        case: Some("`wasi:config` keys"),
    },
    Attack {
        attacker: HOSTILE,
        attack: "sends someone else's `Authorization`",
        before: "sent as set",
        now: "replaced by the shop's own; the GET cache stays keyed by the host's credentials",
        test: "tests/reliability/sandbox.rs::the_host_replaces_the_components_authorization",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "writes 1,000 new keys through the CLI (one file per key)",
        before: "(`upgates:bot/attempts`: withdraws of keys never begun created no file)",
        now: "at most 15 files a call (the operations' bound); reads and deletes of a missing key create none",
        test: "tests/reliability/sandbox.rs::the_clis_files_are_bounded_per_call",
        case: None,
    },
    Attack {
        attacker: HOSTILE,
        attack: "`PUT /orders` with the customer's e-mail and address; a history record with keys of its own",
        before: "sent: the allow-list checked methods and paths only",
        now: "`HttpRequestDenied` before anything is sent: a write's JSON keys must be exactly what the actions send",
        test: "tests/reliability/sandbox.rs::write_bodies_no_action_sends_are_refused",
        case: None,
    },
    Attack {
        attacker: INTERNET,
        attack: "a 301 whose `Location` (or `api_url`) is not on Upgates",
        before: "\"moved to https://attacker.example/...; update `api-url`\"",
        now: "\"moved somewhere that is not Upgates\": only `*.upgates.com` hosts are offered",
        test: "core/src/api/tests.rs::statuses_map_to_failures",
        case: None,
    },
    Attack {
        attacker: LOCAL,
        attack: "plants a symbolic link named like a counter or lock file",
        before: "followed: its target truncated and overwritten",
        now: "opened `O_NOFOLLOW` under the checked directory handle: `access-denied`, target untouched; the e-mail check answers Ne unasked",
        test: "tests/units/cli_attempt_files.rs::a_planted_symbolic_link_is_not_followed",
        case: None,
    },
    Attack {
        attacker: LOCAL,
        attack: "reads or rewrites counter and lock files",
        before: "files `0644` in `0755` directories",
        now: "directories `0700`, files `0600` from creation; another user's refused (fails closed), the user's own narrowed",
        test: "tests/units/cli_attempt_files.rs::directories_and_files_are_owner_only",
        case: None,
    },
    Attack {
        attacker: "the user's own umask (`002`)",
        attack: "leaves counter and lock files group-writable (`0664`)",
        before: "refused for good: those orders answered `not-verified`, `append-note` failed on its lock",
        now: "the user's own files in our directories narrowed to `0600` on their handle, then used",
        test: "tests/units/cli_attempt_files.rs::our_own_group_writable_files_are_narrowed_not_refused",
        case: None,
    },
    Attack {
        attacker: "a setting copied from a component's host",
        attack: "`UPGATES_API_CREDENTIALS=host` in the CLI's environment",
        before: "honoured: every request sent `Authorization: Basic Og==` (an empty login and key)",
        now: "refused by name before any request (the CLI; `ShopConnection::new` says `Misconfigured`)",
        test: "tests/units/cli_shops_file.rs::credentials_from_host_is_refused",
        case: None,
    },
    Attack {
        attacker: LOCAL,
        attack: "plants a file where the attempts directory should be (the temp-dir fallback)",
        before: "every e-mail check went ahead uncounted: the limit off",
        now: "Ne `misconfigured` (the store failed), Upgates not asked; a full disk too (logged)",
        test: "tests/units/cli_attempt_files.rs::an_unusable_directory_fails_closed_and_does_not_panic",
        case: None,
    },
    Attack {
        attacker: LOCAL,
        attack: "holds a counter file's lock (even read-only) past the wait",
        before: "the e-mail check went ahead uncounted: past the limit a guess could answer Ano",
        now: "Ne `misconfigured` (the store failed), Upgates not asked, nothing counted",
        test: "tests/cli.rs::a_held_checks_file_fails_closed_within_a_short_timeout",
        case: None,
    },
    Attack {
        attacker: LOCAL,
        attack: "swaps the precompiled cache entry between its check and its load",
        before: "checked by path, then loaded by path again: the swapped machine code ran",
        now: "opened without links, checked on the open handle, the bytes read from that handle deserialized",
        test: "tests/units/host_precompiled.rs::loads_the_checked_handle_not_the_path",
        case: None,
    },
    Attack {
        attacker: LOCAL,
        attack: "reads the logs of `RUST_LOG=trace upgates <action>` or `upgates serve`",
        before: "wasmtime's traces printed the request path with the customer's phone",
        now: "other crates' events stop at warnings: no phone, e-mail, note, key, login (or its base64) or bot token, all nine actions",
        test: "tests/cli.rs::no_secret_or_personal_data_in_logs_or_messages",
        case: None,
    },
    Attack {
        attacker: LOCAL,
        attack: "reads `--email`, `--phone`, `--text` in the process list",
        before: "visible while the call ran",
        now: "`upgates <action> --input -` takes the inputs as JSON on stdin",
        test: "tests/cli.rs::inputs_as_json_on_stdin",
        case: None,
    },
    Attack {
        attacker: LOCAL,
        attack: "reads (or changes) a shops file holding `api_key` that others can read",
        before: "the key (writable: point `api_url` elsewhere and be sent the key)",
        now: "refused like ssh, naming the file and `chmod 600`",
        test: "tests/units/cli_shops_file.rs::a_file_others_can_read_secrets_in_or_change_is_refused",
        case: None,
    },
    Attack {
        attacker: INTERNET,
        attack: "replays a leaked signed invoice link until it expires",
        before: "a PDF each time, each a paid Upgates request",
        now: "`invoice-link-downloads` (3) per link, counted before Upgates is asked; then `410 link-used-up`, no request",
        test: "tests/webhook/http_cases.rs::the_table_through_upgates_serve",
        case: Some("a signed link's fourth download"),
    },
    Attack {
        attacker: INTERNET,
        attack: "Upgates' errors (500, 404, an error page, a timeout) use up a customer's link",
        before: "each counted: after three failures the link answered `410`, no PDF ever sent",
        now: "a download that got no PDF is given back (`invoice-link-downloads` times per link): the link still opens 3 times",
        test: "tests/webhook/http_cases.rs::the_table_through_upgates_serve",
        case: Some("a link whose first three downloads got no PDF, the third PDF"),
    },
    Attack {
        attacker: INTERNET,
        attack: "replays a link whose invoice Upgates keeps failing",
        before: "(failures were not given back)",
        now: "only `invoice-link-downloads` failures given back: 6 Upgates requests, then `410`, no request",
        test: "tests/webhook/http_cases.rs::the_table_through_the_spin_app",
        case: Some("a link whose PDF keeps failing, the seventh time"),
    },
    Attack {
        attacker: "another writer of the key-value store",
        attack: "sets a link's download counter below 0 (Spin)",
        before: "read as 0: a PDF each time until the counter climbed past the limit",
        now: "read as used up: `410 link-used-up`, no request",
        test: "tests/webhook/spin_app/invoices.rs::a_negative_download_count_refuses_the_link",
        case: None,
    },
    Attack {
        attacker: INTERNET,
        attack: "a page opened from the invoice reads the link from `Referer`",
        before: "the token in `Referer`",
        now: "every webhook answer sends `Referrer-Policy: no-referrer`",
        test: "tests/webhook/http_cases.rs::the_table_through_the_spin_app",
        case: None,
    },
    Attack {
        attacker: INTERNET,
        attack: "answers for the shop (a proxy, a hijacked name) with `301 Location: https://evil.com\\.admin.s2.upgates.com/api/v2`",
        before: "offered as the shop's new `api-url` (its host reads as Upgates; a URL parser reads `evil.com`)",
        now: "said to be somewhere that is not Upgates and not offered; such a host is refused as `api-url` and `invoice-link-base-url`",
        test: "core/src/api/tests.rs::statuses_map_to_failures",
        case: None,
    },
    Attack {
        attacker: STRANGER,
        attack: "10 concurrent wrong e-mails for one order on Spin's SQLite store, limit 5",
        before: "all 10 reached Upgates (a swap on a new key writes without comparing)",
        now: "exactly 5 reach Upgates: counters per shop, order and window changed only by atomic increment",
        test: "tests/webhook/spin_app/guardrails.rs::concurrent_first_checks_pass_only_up_to_the_limit",
        case: None,
    },
    Attack {
        attacker: STRANGER,
        attack: "guesses at the end of one window and again at the start of the next (Spin)",
        before: "(a sliding list)",
        now: "the previous window's failures still count: never more than the limit within a window's span",
        test: "tests/webhook/spin_app/guardrails.rs::the_previous_windows_failures_still_count",
        case: None,
    },
    Attack {
        attacker: STRANGER,
        attack: "a burst of wrong e-mails whose refused checks give theirs back while an earlier one still counts",
        before: "(Spin: one counter, taken back by a negative increment)",
        now: "with counters that only grow, `given-back` is read before `begun` is counted: a give-back never lets an earlier check through (core's one rule, for every packaging)",
        test: "core/src/attempts.rs::a_later_checks_give_back_does_not_let_an_earlier_one_through",
        case: None,
    },
    Attack {
        attacker: STRANGER,
        attack: "the limit's worth of wrong e-mails just before a window boundary and as many just after",
        before: "(Spin's fixed windows: a check after the boundary read the earlier window before the checks before it were counted)",
        now: "a check whose clock passed the boundary once it was counted is refused, and the previous window is read again after the count: at most the limit",
        test: "core/src/attempts.rs::checks_on_both_sides_of_a_window_boundary_let_through_at_most_the_limit",
        case: None,
    },
    Attack {
        attacker: STRANGER,
        attack: "floods new order numbers until a store drops an order's `begun` counter but keeps its `given-back`",
        before: "(host memory: the least recently written counters dropped one by one)",
        now: "a window's counters are dropped together, and a `begun` not above `given-back` refuses the check",
        test: "core/src/attempts.rs::a_lost_begun_counter_refuses_the_check",
        case: None,
    },
    Attack {
        attacker: INTERNET,
        attack: "fills Spin's store with check counters that never go",
        before: "every order ever checked kept a key",
        now: "a window's first check deletes the counters of the window before last",
        test: "tests/webhook/spin_app/guardrails.rs::a_windows_first_check_deletes_the_window_before_last",
        case: None,
    },
    Attack {
        attacker: INTERNET,
        attack: "a Spin deployment whose `api_origin` does not match `api_url`",
        before: "never checked under real Spin (spin.toml did not pass `api_origin`)",
        now: "spin.toml passes every variable the app reads; a mismatch is `500 misconfigured`",
        test: "tests/webhook/spin_app/mod.rs::spin_toml_passes_every_variable_the_app_reads",
        case: None,
    },
    Attack {
        attacker: STRANGER,
        attack: "a write or `customer-email` for an order number guessed or read, with no e-mail check",
        before: "the write (a PUT and a history POST), or the customer's e-mail",
        now: "with `require-proof`: Ne `not-verified`, 0 requests",
        test: "tests/guardrails.rs::every_guardrail_scenario_through_the_component",
        case: Some("proofs: required, none given"),
    },
    Attack {
        attacker: STRANGER,
        attack: "replays a proof after it expired",
        before: "(no proofs)",
        now: "Ne `not-verified`, 0 requests: the expiry is under the HMAC",
        test: "tests/guardrails.rs::every_guardrail_scenario_through_the_component",
        case: Some("proofs: expired (made 30 minutes before now)"),
    },
    Attack {
        attacker: STRANGER,
        attack: "uses their own order's proof to write to another order",
        before: "(no proofs)",
        now: "Ne `not-verified`, 0 requests: the order number is under the HMAC",
        test: "tests/guardrails.rs::every_guardrail_scenario_through_the_component",
        case: Some("proofs: another order's"),
    },
    Attack {
        attacker: STRANGER,
        attack: "uses another shop's proof (another `api-url` or `proof-secret`)",
        before: "(no proofs)",
        now: "Ne `not-verified`, 0 requests",
        test: "tests/webhook/spin_app/guardrails.rs::every_guardrail_scenario_through_the_spin_app",
        case: Some("proofs: another shop's (its secret)"),
    },
    Attack {
        attacker: STRANGER,
        attack: "tampers with a proof (a later expiry under the same MAC, garbage)",
        before: "(no proofs)",
        now: "Ne `not-verified`, 0 requests; the MAC compared in constant time",
        test: "core/src/proof.rs::tampered_and_malformed_proofs_are_refused",
        case: Some("proofs: tampered (a later expiry under the same MAC)"),
    },
    Attack {
        attacker: STRANGER,
        attack: "respells a proof's expiry with leading zeros (`0001795885800.<mac>`)",
        before: "verified: one proof in any number of spellings",
        now: "Ne `not-verified` (malformed), 0 requests: the expiry must be written as it was signed",
        test: "core/src/proof.rs::tampered_and_malformed_proofs_are_refused",
        case: None,
    },
    Attack {
        attacker: STRANGER,
        attack: "calls an action the shop's bot is not meant to offer",
        before: "the action ran",
        now: "with `enabled-actions`: Ne `not-allowed`, 0 requests, in every packaging",
        test: "tests/guardrails.rs::every_guardrail_scenario_through_the_component",
        case: Some("enabled actions: the others answer not-allowed, unasked"),
    },
    Attack {
        attacker: STRANGER,
        attack: "finds a shop left open without its owner knowing",
        before: "`upgates check` reported only the API user's rights",
        now: "`upgates check` warns per open door: writes with any status, `customer-email` unmasked, no `require-proof`",
        test: "tests/units/cli_admin.rs::exposure_warnings_name_what_a_stranger_could_do",
        case: None,
    },
];

pub(super) fn render() -> String {
    let mut table = String::from(
        "\n## Security\n\nEach attack, what it got before, what it gets now, and the test that shows it \
         (every row's test is checked to exist).\n\n\
         | attacker | attack | before | now | test |\n|---|---|---|---|---|\n",
    );
    for row in ATTACKS {
        let cells =
            [row.attacker, row.attack, row.before, row.now].map(|cell| cell.replace('|', "\\|"));
        let case = row
            .case
            .map(|case| format!(", case \"{}\"", case.replace('|', "\\|")))
            .unwrap_or_default();
        table.push_str(&format!(
            "| {} | {} | {} | {} | `{}`{case} |\n",
            cells[0], cells[1], cells[2], cells[3], row.test
        ));
    }
    table
}

#[test]
fn every_security_row_names_a_test_that_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(!ATTACKS.is_empty());
    for row in ATTACKS {
        let (file, function) = row
            .test
            .rsplit_once("::")
            .unwrap_or_else(|| panic!("`{}` is not path::function", row.test));
        let source = std::fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("{file} (row `{}`): {e}", row.attack));
        let declared = ["fn ", "async fn "]
            .iter()
            .any(|prefix| source.contains(&format!("{prefix}{function}(")));
        assert!(
            declared,
            "{file} has no test `{function}` (row `{}`)",
            row.attack
        );
        if let Some(case) = row.case {
            let written = CASES_IN.iter().any(|table| {
                std::fs::read_to_string(root.join(table)).is_ok_and(|text| text.contains(case))
            });
            assert!(written, "no case table has the case `{case}`");
        }
    }
}
