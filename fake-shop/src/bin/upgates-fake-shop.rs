//! `upgates-fake-shop`: the sample fake shop on a loopback port, until killed.
//!
//! For embeddings in other runtimes (`examples/node/`) and for trying the CLI by hand:
//!
//! ```text
//! $ cargo run -q -p upgates-fake-shop --bin upgates-fake-shop
//! http://127.0.0.1:40123/api/v2
//! UPGATES_API_LOGIN=demo
//! UPGATES_API_KEY=demo-key-4f1c2a9e
//! ```
//!
//! The first line on stdout is the API URL (an ephemeral port on 127.0.0.1), the next two the
//! sample shop's credentials. The sample data is dated relative to the start, as in
//! `upgates demo`. The shop is stateful: writes (statuses, notes) stay until the process ends.
//! As Upgates, it answers 3 requests at once and refuses a 4th with 429 (requests take no
//! time here, so only truly simultaneous ones overlap).

use std::io::Write as _;
use std::process::ExitCode;
use std::time::SystemTime;

use upgates_fake_shop::{FakeShop, SAMPLE_KEY, SAMPLE_LOGIN};

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        let help = matches!(arg.as_str(), "-h" | "--help");
        eprintln!(
            "usage: upgates-fake-shop\n\
             Serves the sample Upgates shop on 127.0.0.1 (an ephemeral port) until killed; \
             prints the API URL, then UPGATES_API_LOGIN=... and UPGATES_API_KEY=..., on stdout."
        );
        return if help {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    let shop = FakeShop::sample(SystemTime::now());
    let server = match shop.serve_in_thread() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("upgates-fake-shop: cannot listen on 127.0.0.1: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let printed = writeln!(
        out,
        "{}\nUPGATES_API_LOGIN={SAMPLE_LOGIN}\nUPGATES_API_KEY={SAMPLE_KEY}",
        server.api_url()
    )
    .and_then(|()| out.flush());
    if let Err(e) = printed {
        eprintln!("upgates-fake-shop: cannot write to stdout: {e}");
        return ExitCode::FAILURE;
    }
    drop(out);
    // The server runs on its own thread; this one only keeps the process (and `server`) alive.
    loop {
        std::thread::park();
    }
}
