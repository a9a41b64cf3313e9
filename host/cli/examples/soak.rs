//! The driver of `make soak` (scripts/soak.sh starts the server and runs
//! this): a mix of runs through a real `isobox serve` on 127.0.0.1, with
//! the server's resident memory, open descriptors and threads read from
//! /proc every tenth of the runs, and the pass criteria checked at the end.
//!
//! Settings come from the environment:
//! - `SOAK_ADDR`: the server's `127.0.0.1:PORT`; `SOAK_PID`: its process id;
//! - `ISOBOX_SOAK_KEY`: the tenant's API key;
//! - `SOAK_RUNS` (default 1,000,000), `SOAK_CONCURRENCY` (default 12),
//!   `SOAK_SLOTS` (the server's `max_in_flight`, default 16).
//!
//! The mix (per mille): plain results, results from input, kv round trips,
//! thrown errors, syntax errors, timeouts (a timer past a 5 ms wall-clock
//! limit; rarely a busy loop), memory limits (one huge allocation; rarely a
//! growing array), fetches the egress policy blocks (no policy, or one that
//! does not allow the host), capabilities called wrongly (kv with a number,
//! todo with a negative id), console output past its caps, runs streamed as
//! server-sent events, and refusals (malformed JSON 400, a wrong key 401, a
//! limit above the ceiling 403). Once per tenth of the runs, a burst of
//! slow runs on fresh connections overfills the server's slots and queue on
//! purpose: some of them, and possibly some mix requests sent meanwhile, get
//! a 503; those are the deliberate ones.
//!
//! Pass: no transport error, no answer other than the one expected, no 5xx
//! but those deliberate 503s, the server alive, and from the second row (the
//! baseline: 200,000 runs for the default count) to the last, resident
//! memory within 10% and descriptors and threads within 10% or 4.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

/// What one request of the mix is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Ok,
    OkInput,
    KvRoundTrip,
    Throw,
    SyntaxError,
    TimeoutTimer,
    TimeoutSpin,
    MemoryAlloc,
    MemoryGrow,
    BlockedNoPolicy,
    BlockedByPolicy,
    CapabilityWrongType,
    CapabilityBadId,
    LogCaps,
    Stream,
    BadJson,
    WrongKey,
    AboveCeiling,
}

/// Per mille of the mix; the weights add up to 1000.
const MIX: [(Kind, u32); 18] = [
    (Kind::Ok, 400),
    (Kind::OkInput, 150),
    (Kind::KvRoundTrip, 50),
    (Kind::Throw, 80),
    (Kind::SyntaxError, 20),
    (Kind::TimeoutTimer, 40),
    (Kind::TimeoutSpin, 3),
    (Kind::MemoryAlloc, 30),
    (Kind::MemoryGrow, 2),
    (Kind::BlockedNoPolicy, 40),
    (Kind::BlockedByPolicy, 20),
    (Kind::CapabilityWrongType, 40),
    (Kind::CapabilityBadId, 20),
    (Kind::LogCaps, 60),
    (Kind::Stream, 20),
    (Kind::BadJson, 10),
    (Kind::WrongKey, 10),
    (Kind::AboveCeiling, 5),
];

/// The 1000 slots of the mix, shuffled with a fixed seed, so every
/// thousand requests carry each kind its weight's number of times.
fn schedule() -> Vec<Kind> {
    let mut slots: Vec<Kind> = MIX
        .iter()
        .flat_map(|&(kind, weight)| std::iter::repeat_n(kind, weight as usize))
        .collect();
    assert_eq!(slots.len(), 1000, "the mix's weights must add up to 1000");
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..slots.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = (state >> 33) as usize % (i + 1);
        slots.swap(i, j);
    }
    slots
}

/// The request for `kind`: its body, whether to ask for events, whether to
/// send the wrong key.
fn request_for(kind: Kind, n: u64, worker: usize) -> (Vec<u8>, bool, bool) {
    let body = match kind {
        Kind::Ok => json!({ "code": "1+1" }),
        Kind::OkInput => json!({ "code": "(n) => n * 2", "input": n }),
        Kind::KvRoundTrip => json!({
            "code": "async (input, env) => { await env.kv.put(input.key, String(input.n)); return await env.kv.get(input.key); }",
            "input": { "key": format!("soak-{worker}"), "n": n },
            "capabilities": ["kv"],
        }),
        Kind::Throw => json!({ "code": "throw new RangeError('soak')" }),
        Kind::SyntaxError => json!({ "code": "let = ;" }),
        Kind::TimeoutTimer => json!({
            "code": "await new Promise((r) => setTimeout(r, 1000))",
            "limits": { "wall_time_ms": 5 },
        }),
        Kind::TimeoutSpin => json!({ "code": "while (true) {}", "limits": { "wall_time_ms": 5 } }),
        Kind::MemoryAlloc => json!({
            "code": "new ArrayBuffer(64 * 1024 * 1024).byteLength",
            "limits": { "memory_bytes": 8 << 20 },
        }),
        Kind::MemoryGrow => json!({
            "code": "const a = []; while (true) a.push('x'.repeat(1000) + a.length);",
            "limits": { "memory_bytes": 8 << 20 },
        }),
        Kind::BlockedNoPolicy => json!({ "code": "await fetch('http://10.0.0.1/')" }),
        Kind::BlockedByPolicy => json!({ "code": "await fetch('http://10.0.0.1/')", "egress": "blocked" }),
        Kind::CapabilityWrongType => json!({ "code": "await env.kv.put('k', 1)", "capabilities": ["kv"] }),
        Kind::CapabilityBadId => json!({ "code": "await env.todo.complete(-1)", "capabilities": ["todo"] }),
        Kind::LogCaps => json!({
            "code": "for (let i = 0; i < 100; i++) console.log('line ' + i + ' ' + 'x'.repeat(40)); 'logged'",
            "limits": { "log_lines": 20, "log_bytes": 4096 },
        }),
        Kind::Stream => json!({ "code": "console.log('one'); console.warn('two'); 3" }),
        Kind::BadJson => return (b"{\"code\": ".to_vec(), false, false),
        Kind::WrongKey => json!({ "code": "1" }),
        Kind::AboveCeiling => json!({ "code": "1", "limits": { "wall_time_ms": 999_999 } }),
    };
    (
        body.to_string().into_bytes(),
        kind == Kind::Stream,
        kind == Kind::WrongKey,
    )
}

/// Whether the answer is the one `kind` must get; `Err` says what came.
fn check(kind: Kind, n: u64, status: u16, body: &[u8]) -> Result<(), String> {
    let expected_status = match kind {
        Kind::BadJson => 400,
        Kind::WrongKey => 401,
        Kind::AboveCeiling => 403,
        _ => 200,
    };
    let text = || String::from_utf8_lossy(&body[..body.len().min(400)]).into_owned();
    if status != expected_status {
        return Err(format!("status {status}, expected {expected_status}: {}", text()));
    }
    if kind == Kind::Stream {
        let body = String::from_utf8_lossy(body);
        let good = body.contains("event: log") && body.contains("event: outcome") && body.contains("\"value\":3");
        return if good { Ok(()) } else { Err(text()) };
    }
    let json: Value = serde_json::from_slice(body).map_err(|e| format!("{e}: {}", text()))?;
    let kind_is = |expected: &str| json["ok"] == false && json["error"]["kind"] == expected;
    let denied = || json["egress"][0]["decision"] == "denied";
    let good = match kind {
        Kind::Ok => json["value"] == 2,
        Kind::OkInput => json["value"] == n * 2,
        Kind::KvRoundTrip => json["value"].as_str().and_then(|v| v.parse::<u64>().ok()) == Some(n),
        Kind::Throw => kind_is("js-error") && json["error"]["message"] == "soak",
        Kind::SyntaxError => kind_is("syntax-error"),
        Kind::TimeoutTimer | Kind::TimeoutSpin => kind_is("timeout"),
        Kind::MemoryAlloc | Kind::MemoryGrow => kind_is("memory-limit"),
        Kind::BlockedNoPolicy | Kind::BlockedByPolicy => kind_is("js-error") && denied(),
        Kind::CapabilityWrongType | Kind::CapabilityBadId => {
            kind_is("js-error") && json["error"]["name"] == "TypeError"
        }
        Kind::LogCaps => {
            json["value"] == "logged"
                && json["logs"]["truncated"] == true
                && json["logs"]["entries"].as_array().is_some_and(|e| e.len() == 20)
        }
        Kind::BadJson | Kind::WrongKey | Kind::AboveCeiling => json["error"]["status"] == expected_status,
        Kind::Stream => unreachable!(),
    };
    if good { Ok(()) } else { Err(text()) }
}

/// Counters shared by every task.
#[derive(Default)]
struct Counts {
    claimed: AtomicU64,
    done: AtomicU64,
    status_2xx: AtomicU64,
    status_4xx: AtomicU64,
    status_503: AtomicU64,
    status_5xx_other: AtomicU64,
    /// 503s of mix requests sent while no burst was on.
    undeliberate_503: AtomicU64,
    /// 503s of mix requests during a burst (each such request went again).
    mix_503: AtomicU64,
    ok: AtomicU64,
    js_error: AtomicU64,
    timeout: AtomicU64,
    memory: AtomicU64,
    syntax: AtomicU64,
    mismatch: AtomicU64,
    transport: AtomicU64,
    burst_requests: AtomicU64,
    bursts_started: AtomicU64,
    bursts_ended: AtomicU64,
}

struct Settings {
    addr: String,
    pid: u32,
    key: String,
    runs: u64,
    concurrency: usize,
    row: u64,
    /// The server's run slots (its `max_in_flight`).
    slots: usize,
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {value:?}")),
        Err(_) => default,
    }
}

fn settings() -> Settings {
    let var =
        |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set (scripts/soak.sh sets it)"));
    let runs = env_number("SOAK_RUNS", 1_000_000).max(10);
    Settings {
        addr: var("SOAK_ADDR"),
        pid: var("SOAK_PID").parse().expect("SOAK_PID is a process id"),
        key: var("ISOBOX_SOAK_KEY"),
        runs,
        concurrency: env_number("SOAK_CONCURRENCY", 12).max(1) as usize,
        slots: env_number("SOAK_SLOTS", 16).max(1) as usize,
        // A row every 100,000 runs, or every tenth when there are fewer
        // than a million.
        row: (runs / 10).clamp(1, 100_000),
    }
}

/// One keep-alive HTTP/1.1 connection to the server.
async fn connect(addr: &str) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one `POST /v1/run`; the status and the whole body.
async fn post(
    sender: &mut SendRequest<Full<Bytes>>,
    settings: &Settings,
    body: Vec<u8>,
    events: bool,
    wrong_key: bool,
) -> Result<(u16, Bytes), String> {
    let key = if wrong_key {
        "not-the-key"
    } else {
        settings.key.as_str()
    };
    let mut request = hyper::Request::builder()
        .method("POST")
        .uri("/v1/run")
        .header("host", settings.addr.as_str())
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"));
    if events {
        request = request.header("accept", "text/event-stream");
    }
    let request = request.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
    sender.ready().await.map_err(|e| format!("ready: {e}"))?;
    let response = sender.send_request(request).await.map_err(|e| format!("send: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok((status, body))
}

fn count_status(counts: &Counts, status: u16) {
    let counter = match status {
        200..=299 => &counts.status_2xx,
        400..=499 => &counts.status_4xx,
        503 => &counts.status_503,
        _ => &counts.status_5xx_other,
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

fn count_outcome(counts: &Counts, body: &[u8]) {
    // The outcome's `"ok":` comes first; its error's kind names the class.
    let head = &body[..body.len().min(300)];
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    let counter = if has(b"\"ok\":true") {
        &counts.ok
    } else if has(b"\"kind\":\"js-error\"") {
        &counts.js_error
    } else if has(b"\"kind\":\"timeout\"") {
        &counts.timeout
    } else if has(b"\"kind\":\"memory-limit\"") {
        &counts.memory
    } else if has(b"\"kind\":\"syntax-error\"") {
        &counts.syntax
    } else {
        return;
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Before the first row: waves of memory-hungry runs, as many at once as
/// the server has run slots (`SOAK_SLOTS`), so every slot has held a run
/// at its memory limit; a slot keeps some of those pages resident (the
/// engine's `memory_keep_resident`), and the mix's rare memory-hungry runs
/// would otherwise raise resident memory slot by slot for a long while.
async fn warm_up(settings: &Settings) {
    for _wave in 0..3 {
        let runs: Vec<_> = (0..settings.slots)
            .map(|_| {
                let addr = settings.addr.clone();
                let key = settings.key.clone();
                tokio::spawn(async move {
                    let settings = Settings {
                        addr,
                        pid: 0,
                        key,
                        runs: 0,
                        concurrency: 0,
                        row: 1,
                        slots: 0,
                    };
                    let (body, _, _) = request_for(Kind::MemoryGrow, 0, 0);
                    let mut sender = connect(&settings.addr).await?;
                    let (status, body) = post(&mut sender, &settings, body, false, false).await?;
                    check(Kind::MemoryGrow, 0, status, &body)
                })
            })
            .collect();
        for run in runs {
            match run.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => panic!("soak: warm-up: {error}"),
                Err(error) => panic!("soak: warm-up: {error}"),
            }
        }
    }
}

/// Keeps the first 50 failures, to show at the end.
fn push_failure(failures: &std::sync::Mutex<Vec<String>>, message: String) {
    let mut failures = failures.lock().unwrap_or_else(|e| e.into_inner());
    if failures.len() < 50 {
        failures.push(message);
    }
}

const BURST: usize = 48;

/// Slow runs on fresh connections, all at once: more than the server's
/// slots and queue hold. Each must be a 200 or a 503.
async fn burst(settings: Arc<Settings>, counts: Arc<Counts>, failures: Arc<std::sync::Mutex<Vec<String>>>) {
    counts.bursts_started.fetch_add(1, Ordering::SeqCst);
    let tasks: Vec<_> = (0..BURST)
        .map(|_| {
            let settings = settings.clone();
            let counts = counts.clone();
            tokio::spawn(async move {
                let body = json!({
                    "code": "await new Promise((r) => setTimeout(r, 300)); 'slow'",
                    "limits": { "wall_time_ms": 3000 },
                })
                .to_string()
                .into_bytes();
                counts.burst_requests.fetch_add(1, Ordering::Relaxed);
                let mut sender = connect(&settings.addr).await?;
                let (status, body) = post(&mut sender, &settings, body, false, false).await?;
                count_status(&counts, status);
                match status {
                    200 if body.windows(13).any(|w| w == b"\"value\":\"slow") => Ok(()),
                    503 => Ok(()),
                    _ => Err(format!(
                        "burst: status {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    )),
                }
            })
        })
        .collect();
    for task in tasks {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                if error.starts_with("burst: status") {
                    counts.mismatch.fetch_add(1, Ordering::Relaxed);
                } else {
                    counts.transport.fetch_add(1, Ordering::Relaxed);
                }
                push_failure(&failures, error);
            }
            Err(panic) => push_failure(&failures, format!("burst task: {panic}")),
        }
    }
    counts.bursts_ended.fetch_add(1, Ordering::SeqCst);
}

/// Sends `body` on the worker's connection (opened again, once, when the
/// server closed it); the answer, or None after a transport error.
async fn exchange(
    sender: &mut Option<SendRequest<Full<Bytes>>>,
    settings: &Settings,
    counts: &Counts,
    request: (&[u8], bool, bool),
    fail: &(dyn Fn(String) + Sync),
    what: &str,
) -> Option<(u16, Bytes)> {
    let (body, events, wrong_key) = request;
    for attempt in 0..2 {
        let mut current = match sender.take() {
            Some(current) => current,
            None => match connect(&settings.addr).await {
                Ok(fresh) => fresh,
                Err(error) => {
                    counts.transport.fetch_add(1, Ordering::Relaxed);
                    fail(format!("{what}: {error}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        match post(&mut current, settings, body.to_vec(), events, wrong_key).await {
            Ok(answer) => {
                *sender = Some(current);
                return Some(answer);
            }
            Err(error) => {
                counts.transport.fetch_add(1, Ordering::Relaxed);
                fail(format!("{what}, attempt {attempt}: {error}"));
            }
        }
    }
    None
}

async fn worker(
    id: usize,
    settings: Arc<Settings>,
    counts: Arc<Counts>,
    schedule: Arc<Vec<Kind>>,
    failures: Arc<std::sync::Mutex<Vec<String>>>,
    mut finished: tokio::sync::watch::Receiver<bool>,
) {
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    let fail = |message: String| push_failure(&failures, message);
    loop {
        let n = counts.claimed.fetch_add(1, Ordering::Relaxed);
        if n >= settings.runs {
            // The connection stays open until the last row is taken, so
            // every row counts the same connections.
            let _ = finished.wait_for(|done| *done).await;
            return;
        }
        if n % settings.row == settings.row / 2 {
            tokio::spawn(burst(settings.clone(), counts.clone(), failures.clone()));
        }
        let kind = schedule[(n % schedule.len() as u64) as usize];
        let (body, events, wrong_key) = request_for(kind, n, id);
        let what = format!("run {n} ({kind:?})");
        let mut reply = None;
        // A 503 while a burst fills the server is deliberate: the same
        // request goes again a little later (at most 30 s of tries).
        for _ in 0..1500 {
            let bursts_ended_before = counts.bursts_ended.load(Ordering::SeqCst);
            let answer = exchange(
                &mut sender,
                &settings,
                &counts,
                (&body, events, wrong_key),
                &fail,
                &what,
            )
            .await;
            let Some((status, body)) = answer else { break };
            count_status(&counts, status);
            if status != 503 {
                reply = Some((status, body));
                break;
            }
            // Deliberate when a burst was on at some point while this
            // request was out: one began before the answer came, and had
            // not ended when the request was sent.
            if counts.bursts_started.load(Ordering::SeqCst) <= bursts_ended_before {
                counts.undeliberate_503.fetch_add(1, Ordering::Relaxed);
                fail(format!(
                    "{what}: a 503 with no burst on: {}",
                    String::from_utf8_lossy(&body)
                ));
                break;
            }
            counts.mix_503.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        counts.done.fetch_add(1, Ordering::Relaxed);
        let Some((status, body)) = reply else { continue };
        if status == 200 && kind != Kind::Stream {
            count_outcome(&counts, &body);
        }
        if let Err(answer) = check(kind, n, status, &body) {
            counts.mismatch.fetch_add(1, Ordering::Relaxed);
            fail(format!("{what}: {answer}"));
        }
    }
}

/// The server's resident memory (KiB), open descriptors and threads.
#[derive(Clone, Copy)]
struct Sample {
    rss_kib: u64,
    fds: u64,
    threads: u64,
}

fn sample(pid: u32) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    Some(Sample {
        rss_kib: field("VmRSS:")?,
        fds,
        threads: field("Threads:")?,
    })
}

fn header() {
    println!(
        "{:>9} {:>9} {:>8} {:>5} {:>7} | {:>8} {:>6} {:>5} {:>5} | {:>8} {:>8} {:>7} {:>6} {:>6} | {:>5} {:>8} {:>9}",
        "runs",
        "elapsed",
        "rss MiB",
        "fds",
        "threads",
        "2xx",
        "4xx",
        "503",
        "5xx",
        "ok",
        "js-error",
        "timeout",
        "memory",
        "syntax",
        "burst",
        "mismatch",
        "transport"
    );
}

fn row(runs: u64, elapsed: Duration, s: Option<Sample>, c: &Counts) {
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let (rss, fds, threads) = match s {
        Some(s) => (
            format!("{:.1}", s.rss_kib as f64 / 1024.0),
            s.fds.to_string(),
            s.threads.to_string(),
        ),
        None => ("gone".into(), "-".into(), "-".into()),
    };
    println!(
        "{:>9} {:>8.1}s {:>8} {:>5} {:>7} | {:>8} {:>6} {:>5} {:>5} | {:>8} {:>8} {:>7} {:>6} {:>6} | {:>5} {:>8} {:>9}",
        runs,
        elapsed.as_secs_f64(),
        rss,
        fds,
        threads,
        get(&c.status_2xx),
        get(&c.status_4xx),
        get(&c.status_503),
        get(&c.status_5xx_other),
        get(&c.ok),
        get(&c.js_error),
        get(&c.timeout),
        get(&c.memory),
        get(&c.syntax),
        get(&c.burst_requests),
        get(&c.mismatch),
        get(&c.transport),
    );
}

/// Within 10% of `base`, or (for counts) `absolute` above or below it.
fn within(value: u64, base: u64, absolute: u64) -> bool {
    let tolerance = (base as f64 * 0.10).max(absolute as f64);
    (value as f64 - base as f64).abs() <= tolerance
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let settings = Arc::new(settings());
    let counts = Arc::new(Counts::default());
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let schedule = Arc::new(schedule());
    let started = Instant::now();
    println!(
        "soak: {} runs, {} at a time, against {} (pid {}); a row every {} runs, a burst of {BURST} slow runs in each",
        settings.runs, settings.concurrency, settings.addr, settings.pid, settings.row
    );
    warm_up(&settings).await;
    // The server closes its side of the warm-up's connections.
    tokio::time::sleep(Duration::from_millis(300)).await;
    header();
    row(0, Duration::ZERO, sample(settings.pid), &counts);
    let (finished, finished_rx) = tokio::sync::watch::channel(false);
    let workers: Vec<_> = (0..settings.concurrency)
        .map(|id| {
            tokio::spawn(worker(
                id,
                settings.clone(),
                counts.clone(),
                schedule.clone(),
                failures.clone(),
                finished_rx.clone(),
            ))
        })
        .collect();

    let mut rows: Vec<(u64, Option<Sample>)> = Vec::new();
    let mut next = settings.row;
    let mut server_gone = false;
    while next <= settings.runs {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if counts.done.load(Ordering::Relaxed) >= next {
            // Not in the middle of a burst: its connections would count.
            let mut waited = false;
            while counts.bursts_ended.load(Ordering::SeqCst) < counts.bursts_started.load(Ordering::SeqCst) {
                waited = true;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if waited {
                // The server closes its side of the burst's connections.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let s = sample(settings.pid);
            server_gone |= s.is_none();
            row(next, started.elapsed(), s, &counts);
            rows.push((next, s));
            next += settings.row;
        }
        if server_gone {
            // Nothing more to send to.
            counts.claimed.store(settings.runs, Ordering::SeqCst);
            break;
        }
    }
    let _ = finished.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    // Bursts still out end before the verdict.
    while counts.bursts_ended.load(Ordering::SeqCst) < counts.bursts_started.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let total = counts.done.load(Ordering::Relaxed);
    println!(
        "soak: {total} runs (and {} burst requests) in {:.1} s, {:.0} runs/s",
        counts.burst_requests.load(Ordering::Relaxed),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    let mut by_kind: BTreeMap<Kind, u64> = BTreeMap::new();
    for i in 0..total {
        *by_kind
            .entry(schedule[(i % schedule.len() as u64) as usize])
            .or_default() += 1;
    }
    println!("soak: mix sent: {by_kind:?}");
    println!(
        "soak: 503s: {} of the {} burst requests, and {} to mix requests during bursts (each sent again)",
        counts.status_503.load(Ordering::Relaxed) - counts.mix_503.load(Ordering::Relaxed),
        counts.burst_requests.load(Ordering::Relaxed),
        counts.mix_503.load(Ordering::Relaxed)
    );

    let mut verdict: Vec<String> = Vec::new();
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    if server_gone || sample(settings.pid).is_none() {
        verdict.push("the server process is gone".into());
    }
    if get(&counts.transport) > 0 {
        verdict.push(format!("{} transport errors", get(&counts.transport)));
    }
    if get(&counts.mismatch) > 0 {
        verdict.push(format!("{} answers other than expected", get(&counts.mismatch)));
    }
    if get(&counts.status_5xx_other) > 0 {
        verdict.push(format!("{} 5xx answers other than 503", get(&counts.status_5xx_other)));
    }
    if get(&counts.undeliberate_503) > 0 {
        verdict.push(format!("{} 503s with no burst on", get(&counts.undeliberate_503)));
    }
    if let (Some((base_runs, Some(base))), true) = (rows.get(1).copied(), rows.len() >= 3) {
        for &(runs, s) in &rows[2..] {
            let Some(s) = s else { continue };
            if !within(s.rss_kib, base.rss_kib, 0) {
                verdict.push(format!(
                    "resident memory {} KiB at {runs} runs is not within 10% of {} KiB at {base_runs}",
                    s.rss_kib, base.rss_kib
                ));
            }
            if !within(s.fds, base.fds, 4) {
                verdict.push(format!(
                    "{} open descriptors at {runs} runs, {} at {base_runs}",
                    s.fds, base.fds
                ));
            }
            if !within(s.threads, base.threads, 4) {
                verdict.push(format!(
                    "{} threads at {runs} runs, {} at {base_runs}",
                    s.threads, base.threads
                ));
            }
        }
    } else {
        verdict.push("too few rows to compare against the baseline".into());
    }
    let failures = failures.lock().unwrap_or_else(|e| e.into_inner());
    for failure in failures.iter().take(20) {
        println!("soak: failure: {failure}");
    }
    if verdict.is_empty() {
        println!("soak: PASS");
    } else {
        for reason in &verdict {
            println!("soak: FAIL: {reason}");
        }
        std::process::exit(1);
    }
}
