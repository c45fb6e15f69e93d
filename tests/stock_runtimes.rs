//! The release component under a runtime nobody here wrote: the stock `wasmtime` CLI
//! (`UPGATES_WASMTIME`, else `wasmtime` on `PATH`; CI points it at wasmtime 48.0.8), with
//! only its own WASI providers (`-Shttp -Sconfig -Skeyvalue`) against the fake shop on a
//! loopback port. Each run is a process of its own (the first compiles the component, the others
//! take it from the cache), so the runs are few and each checks a lot: the printed answer (WAVE)
//! and every request the shop got.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::support::{self, Sent, sent};
use upgates_core::{MemoryCounters, WindowedAttempts};
use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};

/// The wasmtime CLI: `UPGATES_WASMTIME`, else `wasmtime` on `PATH`; `None` where there is none
/// (the test says it skipped), as on a user's fresh machine.
fn wasmtime_binary() -> Option<PathBuf> {
    support::servers::runtime_binary("UPGATES_WASMTIME", "wasmtime")
}

/// The stock CLI with the release component (the bytes the host embeds and the size test
/// checks) in a directory of its own, which is also the CLI's home: its compile cache
/// (`~/.cache/wasmtime`) is shared by this test's runs and by nobody else.
struct StockWasmtime {
    wasmtime: PathBuf,
    dir: tempfile::TempDir,
}

impl StockWasmtime {
    fn new(wasmtime: PathBuf) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(
            dir.path().join("upgates_plugin.wasm"),
            upgates_host::PLUGIN_WASM,
        )
        .expect("the component written");
        Self { wasmtime, dir }
    }

    fn component(&self) -> PathBuf {
        self.dir.path().join("upgates_plugin.wasm")
    }

    /// `wasmtime run --invoke <call>` for the shop at `api_url`, with the sample credentials,
    /// the extra settings and the key-value store preset with `stored`.
    fn invoke(
        &self,
        api_url: &str,
        settings: &[(&str, &str)],
        stored: &[(&str, &str)],
        call: &str,
    ) -> Output {
        let mut command = Command::new(&self.wasmtime);
        command
            .args(["run", "-Shttp", "-Sconfig", "-Skeyvalue"])
            // Compiled once for the test's runs, in its own home.
            .arg("-Ccache=y")
            // A hung run fails the test instead of holding CI: the component's own deadlines
            // (5 s to connect, 15 s to the first byte) are far shorter.
            .arg("-Wtimeout=120s");
        let credentials = [
            ("api-url", api_url),
            ("api-login", SAMPLE_LOGIN),
            ("api-key", SAMPLE_KEY),
        ];
        for (key, value) in credentials.iter().chain(settings) {
            command.arg(format!("-Sconfig-var={key}={value}"));
        }
        for (key, value) in stored {
            command.arg(format!("-Skeyvalue-in-memory-data={key}={value}"));
        }
        command
            .arg("--invoke")
            .arg(call)
            .arg(self.component())
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path());
        command.output().expect("wasmtime runs")
    }
}

/// What a run printed, after checking it exited 0 and said nothing on stderr.
fn answer(run: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !stderr.contains("not compiled with this feature"),
        "{what}: this wasmtime CLI lacks a WASI provider the component needs; build it with \
         the features `wasi-http`, `wasi-config` and `wasi-keyvalue`:\n{stderr}"
    );
    assert!(
        run.status.success() && stderr.trim().is_empty(),
        "{what}: wasmtime exited {}\nstdout: {stdout}\nstderr: {stderr}",
        run.status
    );
    stdout.trim_end().to_owned()
}

/// The requests `fake` got since the last call, in the tests' form, with the shop's credentials
/// on each (the component adds them itself under a stock host).
fn take_requests(fake: &FakeShop) -> Vec<Sent> {
    let auth = support::basic_auth();
    for request in fake.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(auth.as_str()),
            "{} {}: credentials",
            request.method,
            request.path
        );
    }
    let requests = sent(fake);
    fake.clear_requests();
    requests
}

/// The counter of e-mail checks begun for `order` in the window that holds the present, as the
/// component names it in its `wasi:keyvalue` bucket (core's rule, keyed per shop). Should the
/// run start in the next window, this one is its previous window, which still counts in full.
fn begun_counter(api_url: &str, order: &str, window_secs: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    WindowedAttempts::for_shop(&support::config(api_url), MemoryCounters::new()).counter_key(
        order,
        now / window_secs * window_secs,
        "begun",
    )
}

/// The stock wasmtime CLI runs the release component with its own `wasi:http`, `wasi:config`
/// and `wasi:keyvalue`: a read, bad input, and the e-mail-gated `verify-customer` under and at
/// its limit (`wasmtime run` keeps its store for one run only, so the counts are preset).
#[test]
fn stock_wasmtime_runs_the_release_component() {
    let Some(wasmtime) = wasmtime_binary() else {
        eprintln!(
            "skipped: stock_wasmtime_runs_the_release_component: no wasmtime CLI \
             (set UPGATES_WASMTIME or put wasmtime on PATH)"
        );
        return;
    };
    let stock = StockWasmtime::new(wasmtime);
    let fake = support::sample_shop();
    let server = fake.serve_in_thread().expect("the fake shop listens");
    let url = server.api_url();

    // A read: the WIT record, one GET.
    let run = stock.invoke(&url, &[], &[], r#"verify-order("2025000123")"#);
    // WAVE leaves out the fields that are `none` and writes a no-break space as `\u{a0}`.
    assert_eq!(
        answer(&run, "verify-order"),
        r#"ok({status: some("Přijatá"), billing: some("Převodem na účet"), shipping: some("PPL"), paid: false, topay: some(1230.5), topay-text: some("1\u{a0}230,50\u{a0}Kč"), currency: some("CZK")})"#
    );
    assert_eq!(
        take_requests(&fake),
        [Sent::get("/api/v2/orders/2025000123")]
    );

    // Bad input: the typed failure, nothing sent.
    let run = stock.invoke(&url, &[], &[], r#"verify-order("  ")"#);
    assert_eq!(
        answer(&run, "verify-order, empty"),
        r#"err(invalid-input("the order number is empty"))"#
    );
    assert_eq!(take_requests(&fake), []);

    // The e-mail-gated action: 3 checks an hour; one under the limit is checked and passes.
    let limit = [("verify-attempts", "3"), ("verify-window-minutes", "60")];
    let counter = begun_counter(&url, "2025000124", 3600);
    let call = r#"verify-customer("2025000124", "jana.novakova@example.cz")"#;
    let run = stock.invoke(&url, &limit, &[(&counter, "2")], call);
    assert_eq!(answer(&run, "verify-customer, 2 of 3 failed"), "ok({:})");
    assert_eq!(
        take_requests(&fake),
        [Sent::get("/api/v2/orders/2025000124")]
    );

    // At the limit even the right e-mail is refused, and Upgates is not asked.
    let run = stock.invoke(&url, &limit, &[(&counter, "3")], call);
    assert_eq!(
        answer(&run, "verify-customer, 3 of 3 failed"),
        "err(not-verified)"
    );
    assert_eq!(take_requests(&fake), []);
}
