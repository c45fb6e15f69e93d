//! The webhook's servers as users run them, each a process of its own over real HTTP:
//! `upgates serve` (this workspace's binary) and `spin up` (a real Spin, where one is
//! installed), each in front of a fake shop on a loopback port.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;

/// An answer as a client sees it.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends `request` to `base` (`http://127.0.0.1:PORT`) on a connection of its own.
pub async fn send(base: &str, request: http::Request<Full<Bytes>>) -> Answer {
    let authority = base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .unwrap_or_else(|e| panic!("connect to {authority}: {e}"));
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("an HTTP/1.1 handshake");
    tokio::spawn(connection);
    let (mut parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/".to_owned(), |p| p.to_string());
    parts.uri = path.parse().expect("a path");
    parts
        .headers
        .insert(http::header::HOST, authority.parse().expect("an authority"));
    let response = sender
        .send_request(http::Request::from_parts(parts, body))
        .await
        .expect("an answer");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a whole body").to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// A server process, stopped when dropped; what it wrote to stderr so far.
pub struct Process {
    pub base: String,
    /// `None` once waited for: its pid and group may be another process's by then.
    child: Option<Child>,
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Process {
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Its log once it holds `count` lines containing `marker`: the server writes a request's
    /// line before its answer, but the line reaches this process through a pipe, later.
    pub fn log_with(&self, marker: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.lines().filter(|l| l.contains(marker)).count() >= count
                || Instant::now() > deadline
            {
                return log;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Waits for the process to exit; its exit code.
    pub fn wait(mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        let child = self.child.as_mut()?;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().expect("a child") {
                self.child = None;
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Process {
    /// The whole process group: `spin up` runs its trigger as a child process of its own,
    /// which outlives a killed `spin up`.
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            kill_group(child);
        }
    }
}

/// Starts `command` as the leader of a process group of its own, for [`kill_group`].
fn spawn_group(command: &mut Command) -> Child {
    use std::os::unix::process::CommandExt as _;
    command.process_group(0).spawn().expect("the server starts")
}

fn kill_group(child: &mut Child) {
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Copies the child's stderr into `log`, and hands the first line containing `marker` to
/// `found`.
fn capture_stderr(
    child: &mut Child,
    marker: &'static str,
) -> (Arc<Mutex<String>>, std::sync::mpsc::Receiver<String>) {
    let log = Arc::new(Mutex::new(String::new()));
    let (found, line) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("piped stderr");
    let copy = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(marker) {
                let _ = found.send(line.clone());
            }
            let mut log = copy.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    (log, line)
}

/// The precompiled component, shared by every `upgates serve` of this test binary: only
/// the first one compiles it.
fn cache_dir() -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temp dir"))
        .path()
        .join("cache")
}

/// `upgates serve` on an ephemeral loopback port with these `UPGATES_*` variables (the
/// default shop's settings: no shops file) and these extra arguments; `binary` as for
/// [`crate::upgates_command`].
pub fn upgates_serve(binary: &str, env: &[(String, String)], args: &[&str]) -> Process {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut command = crate::upgates_command(binary);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--cache-dir"])
        .arg(cache_dir())
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = spawn_group(&mut command);
    let (log, line) = capture_stderr(&mut child, "listening on http://");
    let base = match line.recv_timeout(Duration::from_secs(120)) {
        Ok(line) => line
            .split("listening on ")
            .nth(1)
            .expect("an address")
            .trim()
            .to_owned(),
        Err(_) => {
            kill_group(&mut child);
            panic!(
                "upgates serve did not start:\n{}",
                log.lock().unwrap().as_str()
            );
        }
    };
    Process {
        base,
        child: Some(child),
        log,
        _dir: dir,
    }
}

/// The spin CLI: `UPGATES_SPIN`, else `spin` on `PATH`; `None` (the test says it skipped)
/// where there is none, as on a user's fresh machine. CI sets `UPGATES_SPIN`.
pub fn spin_binary() -> Option<PathBuf> {
    runtime_binary("UPGATES_SPIN", "spin")
}

/// A runtime nobody here wrote: the file `variable` names, else `name` on `PATH`; `None`
/// where there is none. A variable naming no file fails the test: CI set it on purpose.
pub fn runtime_binary(variable: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{variable}={} is not a file",
            path.display()
        );
        return Some(path);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// `spin up` of the repository's `spin.toml`, with the Spin app this test binary was built
/// with, these Spin variables, and a key-value store of its own.
pub fn spin_up(spin: &std::path::Path, variables: &HashMap<String, String>) -> Process {
    let dir = tempfile::tempdir().expect("a temp dir");
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spin.toml"))
        .expect("spin.toml");
    // The manifest names the app as `spin build` leaves it; the tests built it elsewhere.
    let manifest = manifest.replace(
        "source = \"target/wasm32-wasip2/component/upgates_spin.wasm\"",
        &format!("source = \"{}\"", crate::SPIN_WASM_PATH),
    );
    assert!(manifest.contains(crate::SPIN_WASM_PATH));
    let path = dir.path().join("spin.toml");
    std::fs::write(&path, manifest).expect("a manifest");
    let port = free_port();
    let mut command = Command::new(spin);
    command
        .arg("up")
        .arg("-f")
        .arg(&path)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .envs(
            variables
                .iter()
                .map(|(k, v)| (format!("SPIN_VARIABLE_{}", k.to_ascii_uppercase()), v)),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = spawn_group(&mut command);
    let (log, _) = capture_stderr(&mut child, "Serving http://");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            kill_group(&mut child);
            panic!("spin up did not start:\n{}", log.lock().unwrap().as_str());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Process {
        base,
        child: Some(child),
        log,
        _dir: dir,
    }
}

/// A port nobody listens on now (another process could take it before `spin up` does; the
/// start then fails loudly).
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
