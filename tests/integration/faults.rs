//! Fault injection with real servers on 127.0.0.1 that this file writes
//! byte by byte (raw tokio sockets, no HTTP library on the faulty side):
//!
//! - upstreams that fetch() reaches through an egress policy: a reset or a
//!   close in the middle of the body, a half-open connection that never
//!   answers, a response head trickled one byte at a time, malformed chunked
//!   encoding, a gigantic response header. Each must end as a `TypeError`
//!   the code can catch, with a bounded message and no Wasm backtrace, be in
//!   the audit trail, and leave nothing behind: no descriptor, no socket, no
//!   concurrency slot, and an engine that still runs code;
//! - clients of `isobox serve` that misbehave: a request head or body sent
//!   byte by byte, request headers past any sane size, a client that goes
//!   away in the middle of its run.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use isobox::egress::{AuditDecision, EgressPolicy, EgressRecord};
use isobox::{Limits, Outcome, RunRequest};
use isobox_serve::{ServeConfig, Server, ServerHandle, key_sha256_hex};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{assert_engine_healthy, engine};
use crate::serve::{call, sample};

// ---------------------------------------------------------------------------
// The faulty upstream.

/// A server on 127.0.0.1 that reads one request head per connection and
/// answers by its path:
///
/// - `/ok`: 200 `hello`;
/// - `/reset`: a head with `Content-Length: 1000`, 100 bytes of body, then a
///   reset (`SO_LINGER` 0 and close);
/// - `/close`: the same, then a plain close (FIN) after 100 of 1000 bytes;
/// - `/half-open`: nothing at all, the socket kept open until the client
///   closes it;
/// - `/trickle-head?ms=N`: the response head one byte every N ms, then the
///   body `trickled`;
/// - `/bad-chunked`: a chunked body whose second chunk size is not hex;
/// - `/short-chunk`: a chunk that announces 256 bytes, sends 10, then closes;
/// - `/huge-header?n=N`: a header value of N bytes.
///
/// Runs on its own thread and runtime; stops when dropped.
struct FaultServer {
    addr: SocketAddr,
    /// Server-side connections still open.
    open: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Decrements the open-connection count when a connection's task ends (or
/// is dropped with the runtime).
struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FaultServer {
    fn start() -> FaultServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        std_listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("local address");
        let open = Arc::new(AtomicUsize::new(0));
        let counter = open.clone();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            counter.fetch_add(1, Ordering::SeqCst);
                            let guard = OpenGuard(counter.clone());
                            tokio::spawn(async move {
                                let _guard = guard;
                                let _ = serve_fault(stream).await;
                            });
                        }
                    }
                }
            });
            // Dropping the runtime drops every connection task still running.
        });
        FaultServer {
            addr,
            open,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port())
    }

    /// Waits (at most 20 s) until no server-side connection is open.
    async fn wait_until_idle(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.open.load(Ordering::SeqCst) != 0 {
            assert!(
                Instant::now() < deadline,
                "{} upstream connections are still open 20 s after the runs ended: the client side never closed them",
                self.open.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads up to the end of a request head (at most 64 KiB).
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 64 * 1024 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The number `name=N` in a query string, or `default`.
fn query_number(query: &str, name: &str, default: u64) -> u64 {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(default)
}

/// The head of `/reset` and `/close`, and the 100 body bytes sent of 1000.
const PARTIAL: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\n";

async fn serve_fault(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let head = read_head(&mut stream).await?;
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    match path {
        "/ok" => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello")
                .await?;
            stream.shutdown().await?;
        }
        "/reset" | "/close" => {
            stream.write_all(PARTIAL.as_bytes()).await?;
            stream.write_all(&[b'x'; 100]).await?;
            stream.flush().await?;
            // Let the head and the first bytes arrive before the fault.
            tokio::time::sleep(Duration::from_millis(100)).await;
            if path == "/reset" {
                stream.set_zero_linger()?;
                drop(stream);
            } else {
                stream.shutdown().await?;
            }
        }
        "/half-open" => {
            // Nothing is ever sent; the connection stays open until the
            // client closes it (a read then gives 0 or an error).
            let mut buf = [0u8; 1024];
            while stream.read(&mut buf).await? != 0 {}
        }
        "/trickle-head" => {
            let every = Duration::from_millis(query_number(query, "ms", 10));
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 8\r\nconnection: close\r\n\r\n";
            for byte in head {
                stream.write_all(std::slice::from_ref(byte)).await?;
                tokio::time::sleep(every).await;
            }
            stream.write_all(b"trickled").await?;
            stream.shutdown().await?;
        }
        "/bad-chunked" => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n\
                      5\r\nhello\r\nzz-not-hex\r\nmore\r\n0\r\n\r\n",
                )
                .await?;
            stream.shutdown().await?;
        }
        "/short-chunk" => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n\
                      100\r\n0123456789",
                )
                .await?;
            stream.flush().await?;
            tokio::time::sleep(Duration::from_millis(50)).await;
            stream.shutdown().await?;
        }
        "/huge-header" => {
            let size = query_number(query, "n", 1 << 20) as usize;
            stream.write_all(b"HTTP/1.1 200 OK\r\nx-huge: ").await?;
            let piece = vec![b'a'; 64 * 1024];
            let mut left = size;
            while left > 0 {
                let n = left.min(piece.len());
                // The client gives up part way through: the write fails, and
                // this connection is done.
                stream.write_all(&piece[..n]).await?;
                left -= n;
            }
            stream
                .write_all(b"\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi")
                .await?;
            stream.shutdown().await?;
        }
        _ => {
            stream
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await?;
            stream.shutdown().await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Running fetches against it.

/// Fetches every URL of `input.urls` (in order, or all at once when
/// `input.parallel`), reading each body whole; reports each as
/// `{ok, status, text}` or the error it threw. With `input.healthy`, then
/// fetches those URLs all at once and reports their statuses and bodies.
const PROBE: &str = r#"async (input) => {
  const probe = async (url) => {
    try {
      const r = await fetch(url);
      const text = await r.text();
      return { ok: true, status: r.status, text };
    } catch (e) {
      return { ok: false, name: e?.name, typeError: e instanceof TypeError, message: String(e?.message) };
    }
  };
  const faults = input.parallel
    ? await Promise.all(input.urls.map(probe))
    : await (async () => { const out = []; for (const url of input.urls) out.push(await probe(url)); return out; })();
  let healthy = null;
  if (input.healthy) {
    healthy = await Promise.all(input.healthy.map(async (url) => {
      const r = await fetch(url);
      return [r.status, await r.text()];
    }));
  }
  return { faults, healthy };
}"#;

/// A policy that lets the code reach the fault server on `port`.
fn policy(port: u16, timeout_ms: u64, max_concurrent: u32) -> EgressPolicy {
    let toml = format!(
        "[limits]\nrequest_timeout_ms = {timeout_ms}\nmax_concurrent = {max_concurrent}\nmax_requests = 1000\n\
         [[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    );
    EgressPolicy::from_toml_str(&toml).unwrap_or_else(|e| panic!("test policy: {e}"))
}

/// Runs PROBE on `input` under `policy`, with a wall-clock limit well past
/// any request timeout used here.
async fn probe(input: Value, policy: EgressPolicy) -> Outcome {
    let limits = Limits {
        wall_time: Duration::from_secs(30),
        ..Limits::default()
    };
    engine()
        .run(
            RunRequest::new(PROBE)
                .with_input(input)
                .with_limits(limits)
                .with_egress(policy),
        )
        .await
}

/// The value of a run that must have ended normally (the code catches every
/// fetch error): a trap, a limit or an uncaught error fails the test.
fn value(outcome: &Outcome) -> &Value {
    match &outcome.result {
        Ok(value) => value,
        Err(error) => panic!(
            "the run did not end normally: {error:?}\nlogs: {:?}\negress: {:?}",
            outcome.logs, outcome.egress
        ),
    }
}

/// The words of a Wasm backtrace or a trap, which no message may carry.
const BACKTRACE_MARKERS: [&str; 4] = ["wasm backtrace", "<unknown>!", ".wasm!", "wasm trap"];

fn assert_no_backtrace(text: &str, what: &str) {
    let lower = text.to_ascii_lowercase();
    for marker in BACKTRACE_MARKERS {
        assert!(!lower.contains(marker), "{what} carries {marker:?}: {text}");
    }
}

/// The audit record of the one request to `path_and_query` (panics when
/// there is not exactly one).
fn record<'a>(outcome: &'a Outcome, path_and_query: &str) -> &'a EgressRecord {
    let records: Vec<&EgressRecord> = outcome
        .egress
        .iter()
        .filter(|r| r.url.ends_with(path_and_query))
        .collect();
    assert_eq!(
        records.len(),
        1,
        "audit records for {path_and_query}: {:?}",
        outcome.egress
    );
    records[0]
}

/// Checks that `result` (one entry of PROBE's `faults`) is a caught
/// TypeError with a bounded message free of backtraces, that the audit
/// trail records the request as allowed and failed, and returns the
/// message.
fn assert_caught_type_error(result: &Value, outcome: &Outcome, path_and_query: &str) -> String {
    assert_eq!(
        result["ok"], false,
        "{path_and_query}: expected fetch to fail, got {result}"
    );
    assert_eq!(result["name"], "TypeError", "{path_and_query}: {result}");
    assert_eq!(result["typeError"], true, "{path_and_query}: {result}");
    let message = result["message"].as_str().unwrap_or_default().to_owned();
    assert!(!message.is_empty(), "{path_and_query}: an empty message");
    assert!(
        message.len() <= 1024,
        "{path_and_query}: the message is not bounded ({} bytes): {message}",
        message.len()
    );
    assert!(message.starts_with("fetch"), "{path_and_query}: {message}");
    assert_no_backtrace(&message, path_and_query);
    let audited = record(outcome, path_and_query);
    assert_eq!(audited.decision, AuditDecision::Allowed, "{audited:?}");
    let error = audited
        .error
        .as_deref()
        .unwrap_or_else(|| panic!("{path_and_query}: the audit trail has no error: {audited:?}"));
    assert!(
        error.len() <= 1024,
        "{path_and_query}: audit error not bounded: {error}"
    );
    assert_no_backtrace(error, "the audit error");
    // Shown with --nocapture: what the guest and the audit trail said.
    eprintln!("{path_and_query}: guest: {message:?}; audit: {error:?}");
    message
}

/// The whole outcome, as JSON, carries no backtrace either.
fn assert_outcome_clean(outcome: &Outcome) {
    let text = serde_json::to_string(outcome).expect("the outcome serialises");
    assert_no_backtrace(&text, "the outcome");
}

const GENEROUS_TIMEOUT_MS: u64 = 10_000;

#[tokio::test]
async fn an_upstream_that_resets_or_closes_mid_body_is_a_type_error() {
    let server = FaultServer::start();
    let urls = [server.url("/reset"), server.url("/close")];
    let outcome = probe(json!({ "urls": urls }), policy(server.port(), GENEROUS_TIMEOUT_MS, 6)).await;
    let v = value(&outcome);
    for (i, path) in ["/reset", "/close"].into_iter().enumerate() {
        let message = assert_caught_type_error(&v["faults"][i], &outcome, path);
        // Ended by the fault itself, not by the request timeout.
        assert!(!message.contains("timed out"), "{path}: {message}");
        let audited = record(&outcome, path);
        assert_eq!(audited.status, Some(200), "{audited:?}");
        assert!(audited.response_bytes <= 100, "{audited:?}");
    }
    assert_outcome_clean(&outcome);
    server.wait_until_idle().await;
    assert_engine_healthy().await;
}

#[tokio::test]
async fn a_half_open_upstream_ends_at_the_request_timeout() {
    let server = FaultServer::start();
    let outcome = probe(
        json!({ "urls": [server.url("/half-open")] }),
        policy(server.port(), 300, 6),
    )
    .await;
    let v = value(&outcome);
    let message = assert_caught_type_error(&v["faults"][0], &outcome, "/half-open");
    assert!(message.contains("timed out"), "{message}");
    assert_eq!(record(&outcome, "/half-open").status, None);
    assert_outcome_clean(&outcome);
    // The client closed its side, so the server's read ended.
    server.wait_until_idle().await;
    assert_engine_healthy().await;
}

#[tokio::test]
async fn a_response_head_trickled_byte_by_byte_works_in_time_and_times_out_past_it() {
    let server = FaultServer::start();
    // About 80 bytes, 5 ms apart: well within 10 s.
    let path = "/trickle-head?ms=5";
    let outcome = probe(
        json!({ "urls": [server.url(path)] }),
        policy(server.port(), GENEROUS_TIMEOUT_MS, 6),
    )
    .await;
    let v = value(&outcome);
    assert_eq!(
        v["faults"][0],
        json!({ "ok": true, "status": 200, "text": "trickled" }),
        "{outcome:?}"
    );
    let audited = record(&outcome, path);
    assert_eq!(audited.error, None, "{audited:?}");
    assert_eq!(audited.response_bytes, 8);

    // 100 ms a byte: the head would take 8 s; the policy allows 300 ms.
    let path = "/trickle-head?ms=100";
    let outcome = probe(json!({ "urls": [server.url(path)] }), policy(server.port(), 300, 6)).await;
    let v = value(&outcome);
    let message = assert_caught_type_error(&v["faults"][0], &outcome, path);
    assert!(message.contains("timed out"), "{message}");
    assert_outcome_clean(&outcome);
    server.wait_until_idle().await;
    assert_engine_healthy().await;
}

#[tokio::test]
async fn malformed_chunked_encoding_is_a_type_error() {
    let server = FaultServer::start();
    let paths = ["/bad-chunked", "/short-chunk"];
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let outcome = probe(json!({ "urls": urls }), policy(server.port(), GENEROUS_TIMEOUT_MS, 6)).await;
    let v = value(&outcome);
    for (i, path) in paths.into_iter().enumerate() {
        let message = assert_caught_type_error(&v["faults"][i], &outcome, path);
        assert!(!message.contains("timed out"), "{path}: {message}");
    }
    assert_outcome_clean(&outcome);
    server.wait_until_idle().await;
    assert_engine_healthy().await;
}

#[tokio::test]
async fn a_gigantic_response_header_is_refused_not_hung() {
    let server = FaultServer::start();
    // 1 MiB: past what the HTTP client buffers for a head. 100 KiB: within
    // it, but past the policy's max_header_bytes (64 KiB by default).
    let paths = ["/huge-header?n=1048576", "/huge-header?n=102400"];
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let outcome = probe(json!({ "urls": urls }), policy(server.port(), GENEROUS_TIMEOUT_MS, 6)).await;
    let v = value(&outcome);
    for (i, path) in paths.into_iter().enumerate() {
        let message = assert_caught_type_error(&v["faults"][i], &outcome, path);
        assert!(
            !message.contains("timed out"),
            "{path}: refused only at the timeout: {message}"
        );
    }
    let message = v["faults"][1]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("response headers are larger than the egress policy allows"),
        "{message}"
    );
    assert_outcome_clean(&outcome);
    server.wait_until_idle().await;
    assert_engine_healthy().await;
}

/// Every fault above, by path.
const FAULTS: [&str; 8] = [
    "/reset",
    "/close",
    "/half-open",
    "/trickle-head?ms=100",
    "/bad-chunked",
    "/short-chunk",
    "/huge-header?n=1048576",
    "/huge-header?n=102400",
];

/// This process's open file descriptors.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// The fewest open descriptors seen over about a second: other tests of
/// this binary open and close theirs meanwhile.
async fn settled_fds() -> usize {
    let mut fewest = usize::MAX;
    for _ in 0..10 {
        fewest = fewest.min(open_fds());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fewest
}

/// The TCP sockets this process holds open (not listening) with `port` at
/// either end: the fault server's accepted connections and isobox's
/// connections to it.
fn sockets_on(port: u16) -> usize {
    let inodes: HashSet<u64> = std::fs::read_dir("/proc/self/fd")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| std::fs::read_link(entry.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            link.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect();
    let port_of = |address: &str| {
        address
            .rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    let mut count = 0;
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 10 || fields[3] == "0A" {
                continue;
            }
            let ours = fields[9].parse::<u64>().is_ok_and(|inode| inodes.contains(&inode));
            if ours && (port_of(fields[1]) == Some(port) || port_of(fields[2]) == Some(port)) {
                count += 1;
            }
        }
    }
    count
}

#[tokio::test]
async fn faulty_upstreams_leak_no_descriptors_sockets_or_concurrency_slots() {
    let server = FaultServer::start();
    let port = server.port();
    let urls: Vec<String> = FAULTS.iter().map(|p| server.url(p)).collect();
    let batch = json!({ "urls": urls, "parallel": true });
    let check = |outcome: &Outcome| {
        let v = value(outcome);
        for (i, path) in FAULTS.into_iter().enumerate() {
            assert_caught_type_error(&v["faults"][i], outcome, path);
        }
        assert_outcome_clean(outcome);
    };
    // One batch first: whatever is made once, on first use, is made now.
    check(&probe(batch.clone(), policy(port, 300, 8)).await);
    server.wait_until_idle().await;
    let before = settled_fds().await;

    const RUNS: usize = 20;
    for _ in 0..RUNS {
        check(&probe(batch.clone(), policy(port, 300, 8)).await);
    }
    server.wait_until_idle().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while sockets_on(port) != 0 {
        assert!(
            Instant::now() < deadline,
            "{} sockets to the fault server are still open after {RUNS} runs",
            sockets_on(port)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = settled_fds().await;
    // Other tests in this binary open descriptors too: a little slack.
    const SLACK: usize = 16;
    assert!(
        after <= before + SLACK,
        "open descriptors went from {before} to {after} over {RUNS} runs of {} faults each",
        FAULTS.len()
    );

    // Slots: with two requests in flight at most, every fault in turn, then
    // ten healthy requests at once in the same run. A slot kept by any fault
    // would leave the healthy ones waiting until the wall-clock limit.
    let healthy: Vec<String> = (0..10).map(|i| server.url(&format!("/ok?i={i}"))).collect();
    let outcome = probe(json!({ "urls": urls, "healthy": healthy }), policy(port, 1000, 2)).await;
    let v = value(&outcome);
    for (i, path) in FAULTS.into_iter().enumerate() {
        assert_caught_type_error(&v["faults"][i], &outcome, path);
    }
    assert_eq!(v["healthy"], json!(vec![json!([200, "hello"]); 10]), "{outcome:?}");
    server.wait_until_idle().await;
    assert_engine_healthy().await;
}

// ---------------------------------------------------------------------------
// Misbehaving clients of `isobox serve`.

const KEY: &str = "faults-secret-key";

/// `isobox serve` in this process on 127.0.0.1 (as serve.rs starts it),
/// with one tenant whose key is KEY; `server` goes into `[server]`.
async fn start_serve(server: &str) -> (SocketAddr, ServerHandle) {
    let text = format!(
        "[server]\n{server}\n\
         [tenants.faults]\nkey_sha256 = [\"{}\"]\n\
         [tenants.faults.max_limits]\nwall_time_ms = 10000\nfuel = 1000000000000\n",
        key_sha256_hex(KEY)
    );
    let config = ServeConfig::from_toml_str(&text, None, |_| None).unwrap_or_else(|e| panic!("test config: {e}"));
    Server::bind(config, engine(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("binding the server")
}

/// A `POST /v1/run` head for `body`, closing the connection after the
/// answer; `extra` is more header lines, each ending in CRLF.
fn run_head(addr: SocketAddr, body: &str, extra: &str) -> String {
    format!(
        "POST /v1/run HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {KEY}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
        body.len()
    )
}

/// Writes `bytes` one at a time, `every` apart.
async fn trickle(stream: &mut TcpStream, bytes: &[u8], every: Duration) -> std::io::Result<()> {
    for byte in bytes {
        stream.write_all(std::slice::from_ref(byte)).await?;
        tokio::time::sleep(every).await;
    }
    Ok(())
}

/// Everything the server sends until it closes (a reset after some bytes
/// keeps those bytes).
async fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// The status and body of a raw HTTP/1.1 answer.
fn parse_reply(bytes: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Everything a client may wait for here: generous on a loaded machine, and
/// finite.
const BOUND: Duration = Duration::from_secs(20);

/// Proves the server still serves: a run and /healthz on fresh connections.
async fn assert_serving(addr: SocketAddr, n: u64) {
    let reply = crate::serve::run(addr, Some(KEY), json!({ "code": "(n) => n + 1", "input": n })).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["value"], n + 1, "{}", reply.text());
    let health = call(addr, "GET", "/healthz", None, None).await;
    assert_eq!(health.status, 200);
}

async fn wait_for_gauge(handle: &ServerHandle, name: &str, value: f64) {
    let deadline = Instant::now() + BOUND;
    while sample(&handle.metrics().render(), name) != Some(value) {
        assert!(Instant::now() < deadline, "{name} never reached {value}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_request_head_sent_byte_by_byte_is_answered_while_others_are_served() {
    let (addr, handle) = start_serve("").await;
    let body = json!({ "code": "6 * 7" }).to_string();
    let head = run_head(addr, &body, "");
    let (resume, resumed) = tokio::sync::oneshot::channel::<()>();
    let slow = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.expect("connecting");
        stream.set_nodelay(true).expect("nodelay");
        let bytes = head.as_bytes();
        let half = bytes.len() / 2;
        trickle(&mut stream, &bytes[..half], Duration::from_millis(5))
            .await
            .expect("first half");
        // Half a head is pending on the server while the others are served.
        let _ = resumed.await;
        trickle(&mut stream, &bytes[half..], Duration::from_millis(5))
            .await
            .expect("second half");
        stream.write_all(body.as_bytes()).await.expect("body");
        read_all(&mut stream).await
    });
    for n in 0..5 {
        assert_serving(addr, n).await;
    }
    let _ = resume.send(());
    let reply = tokio::time::timeout(BOUND, slow)
        .await
        .expect("the slow client was answered within the bound")
        .expect("the slow client");
    let (status, body) = parse_reply(&reply);
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(body["value"], 42);
    assert_serving(addr, 9).await;
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_request_body_sent_byte_by_byte_is_read_while_others_run() {
    // One run slot: a slow body must not hold it while it arrives.
    let (addr, handle) = start_serve("max_in_flight = 1\nmax_queued = 4").await;
    let body = json!({ "code": "(s) => s.length", "input": "abcdefghij" }).to_string();
    let head = run_head(addr, &body, "");
    let (resume, resumed) = tokio::sync::oneshot::channel::<()>();
    let slow = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.expect("connecting");
        stream.set_nodelay(true).expect("nodelay");
        stream.write_all(head.as_bytes()).await.expect("head");
        let bytes = body.as_bytes();
        let half = bytes.len() / 2;
        trickle(&mut stream, &bytes[..half], Duration::from_millis(5))
            .await
            .expect("first half");
        let _ = resumed.await;
        trickle(&mut stream, &bytes[half..], Duration::from_millis(5))
            .await
            .expect("second half");
        read_all(&mut stream).await
    });
    for n in 0..5 {
        assert_serving(addr, n).await;
    }
    let _ = resume.send(());
    let reply = tokio::time::timeout(BOUND, slow)
        .await
        .expect("the slow client was answered within the bound")
        .expect("the slow client");
    let (status, body) = parse_reply(&reply);
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(body["value"], 10);
    handle.shutdown().await.expect("shutdown");
}

/// Sends `start`, then one more byte every 200 ms, until the server closes
/// the connection; what it sent before closing (an answer, or nothing), or
/// None when it had not closed within `bound`.
async fn trickle_until_cut_off(addr: SocketAddr, start: &[u8], bound: Duration) -> Option<Vec<u8>> {
    let stream = TcpStream::connect(addr).await.expect("connecting");
    stream.set_nodelay(true).expect("nodelay");
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(start).await.expect("the start");
    let trickle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(b"a").await.is_err() {
                return;
            }
        }
    });
    let read = async move {
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return answer,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    };
    let answer = tokio::time::timeout(bound, read).await.ok();
    trickle.abort();
    answer
}

/// The server setting these two tests need: a request head or body slower
/// than this is cut off.
const READ_TIMEOUT: &str = "read_timeout_ms = 1000";

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off() {
    let (addr, handle) = start_serve(READ_TIMEOUT).await;
    let start = format!("POST /v1/run HTTP/1.1\r\nhost: {addr}\r\nx-slow: ");
    let answer = trickle_until_cut_off(addr, start.as_bytes(), BOUND).await;
    let answer = answer.expect("the server kept a never-ending request head open past the bound");
    // Closed, with or without an answer saying why.
    if !answer.is_empty() {
        let (status, body) = parse_reply(&answer);
        assert!(matches!(status, 400 | 408), "{status}: {body}");
    }
    assert_serving(addr, 1).await;
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_request_body_that_never_ends_is_408() {
    let (addr, handle) = start_serve(READ_TIMEOUT).await;
    let head = format!(
        "POST /v1/run HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {KEY}\r\n\
         content-type: application/json\r\ncontent-length: 100000\r\n\r\n{{\"code\": \""
    );
    let answer = trickle_until_cut_off(addr, head.as_bytes(), BOUND).await;
    let answer = answer.expect("the server kept a never-ending request body open past the bound");
    let (status, body) = parse_reply(&answer);
    assert_eq!(status, 408, "{body}");
    assert_serving(addr, 1).await;
    handle.shutdown().await.expect("shutdown");
}

/// Sends a run request with one extra header of `size` bytes while reading
/// what comes back; the status, or None when the server closed without an
/// answer.
async fn send_big_header(addr: SocketAddr, size: usize) -> Option<u16> {
    let body = json!({ "code": "1" }).to_string();
    let mut request = run_head(addr, &body, &format!("x-big: {}\r\n", "b".repeat(size))).into_bytes();
    request.extend_from_slice(body.as_bytes());
    let stream = TcpStream::connect(addr).await.expect("connecting");
    let (mut reader, mut writer) = stream.into_split();
    // The server may answer and close before it has read it all: the write
    // then fails, and what was answered is still read.
    let write = tokio::spawn(async move {
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    drop(write.await);
    (!answer.is_empty()).then(|| parse_reply(&answer).0)
}

#[tokio::test]
async fn a_request_head_past_the_read_buffer_is_refused() {
    let (addr, handle) = start_serve("").await;
    let status = tokio::time::timeout(BOUND, send_big_header(addr, 1 << 20))
        .await
        .expect("a 1 MiB header was answered or closed within the bound");
    assert!(matches!(status, Some(431 | 400)), "a 1 MiB request header: {status:?}");
    assert_serving(addr, 1).await;
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn request_headers_of_200_kib_are_refused_with_431() {
    let (addr, handle) = start_serve("").await;
    let status = tokio::time::timeout(BOUND, send_big_header(addr, 200 * 1024))
        .await
        .expect("a 200 KiB header was answered or closed within the bound");
    assert!(
        matches!(status, Some(431 | 400)),
        "a 200 KiB request header: {status:?}"
    );
    assert_serving(addr, 1).await;
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_client_that_goes_away_mid_run_frees_its_slot() {
    // One run slot: while it is taken, other runs queue; if the departed
    // client's run kept it, they would all time out in the queue.
    let (addr, handle) = start_serve("max_in_flight = 1\nmax_queued = 8").await;
    let body = json!({
        "code": "const end = Date.now() + 2000; while (Date.now() < end) {} 'done'",
        "limits": { "wall_time_ms": 10000, "fuel": 1_000_000_000_000u64 },
    })
    .to_string();
    let mut stream = TcpStream::connect(addr).await.expect("connecting");
    stream
        .write_all(format!("{}{body}", run_head(addr, &body, "")).as_bytes())
        .await
        .expect("the request");
    wait_for_gauge(&handle, "isobox_sandboxes_in_flight", 1.0).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(stream);
    wait_for_gauge(&handle, "isobox_sandboxes_in_flight", 0.0).await;
    let runs: Vec<_> = (0..4u64)
        .map(|n| {
            tokio::spawn(async move {
                crate::serve::run(addr, Some(KEY), json!({ "code": "(n) => n * 2", "input": n })).await
            })
        })
        .collect();
    for (n, run) in runs.into_iter().enumerate() {
        let reply = tokio::time::timeout(BOUND, run)
            .await
            .expect("answered within the bound")
            .expect("the run");
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.json()["value"], n as u64 * 2);
    }
    assert_serving(addr, 5).await;
    assert_eq!(sample(&handle.metrics().render(), "isobox_requests_queued"), Some(0.0));
    handle.shutdown().await.expect("shutdown");
}
