//! Workers' Responses stream: through the library
//! (`Engine::dispatch_streaming`) and through `isobox serve`'s stored-worker
//! route over real HTTP on 127.0.0.1. The handlers fetch from a loopback
//! [`Gate`] the test controls, so the order of events is certain without
//! timing: the test reads the first chunk, and only then lets the handler
//! go on. A failure after the head aborts the body; a reader or client that
//! goes away cancels the run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use isobox::egress::{Egress, EgressPolicy};
use isobox::worker::{HttpRequest, WorkerResponse};
use isobox::{ErrorKind, Limits, RunRequest};
use isobox_serve::{ServeConfig, Server, ServerHandle, key_sha256_hex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::engine;

/// How long a step the test waits for may take before the test fails (a
/// bound against hanging, never a figure asserted).
const PATIENCE: Duration = Duration::from_secs(30);

/// A loopback HTTP server the handlers fetch from: `/gate` answers `open`
/// only once the test opened the gate; anything else answers `ok` at once.
/// Counts the requests of each kind.
struct Gate {
    addr: SocketAddr,
    open: tokio::sync::watch::Sender<bool>,
    gated: Arc<AtomicUsize>,
    ticks: Arc<AtomicUsize>,
}

impl Gate {
    async fn start() -> Gate {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding");
        let addr = listener.local_addr().expect("address");
        let (open, watch) = tokio::sync::watch::channel(false);
        let gated = Arc::new(AtomicUsize::new(0));
        let ticks = Arc::new(AtomicUsize::new(0));
        let (g, t) = (gated.clone(), ticks.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (mut watch, gated, ticks) = (watch.clone(), g.clone(), t.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = if head.starts_with(b"GET /gate") {
                        gated.fetch_add(1, Ordering::SeqCst);
                        let _ = watch.wait_for(|open| *open).await;
                        "open"
                    } else {
                        ticks.fetch_add(1, Ordering::SeqCst);
                        "ok"
                    };
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        Gate {
            addr,
            open,
            gated,
            ticks,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    fn open(&self) {
        let _ = self.open.send(true);
    }

    fn policy_toml(&self) -> String {
        format!("[[allow]]\nhost = \"127.0.0.1\"\nports = [{}]\n", self.addr.port())
    }
}

/// The worker of every test here; the path picks the behaviour, `?to=` is
/// the gate's URL.
const STREAMER: &str = r#"
const enc = new TextEncoder();
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const to = url.searchParams.get('to');
    const stream = (start, pull) => new Response(new ReadableStream({ start, pull }), {
      status: 206, headers: { 'content-type': 'text/plain', 'x-streamed': 'yes' },
    });
    switch (url.pathname) {
      // A chunk, then the next one only once the gate opens.
      case '/gated':
        return stream(async (c) => {
          c.enqueue(enc.encode('first;'));
          const reply = await fetch(to + '/gate');
          c.enqueue(enc.encode('second:' + await reply.text()));
          c.close();
        });
      // Chunks that arrive over timers.
      case '/timers':
        return stream(async (c) => {
          for (const part of ['a', 'b', 'c']) {
            await new Promise((r) => setTimeout(r, 20));
            c.enqueue(enc.encode(part));
          }
          c.close();
        });
      // 600 bytes, then 600 more: over a result_bytes of 1000. The pause
      // lets the server write the head and first chunk before the abort
      // (hyper drops what it has not written when a body fails).
      case '/over':
        return stream(async (c) => {
          c.enqueue(enc.encode('x'.repeat(600)));
          await new Promise((r) => setTimeout(r, 50));
          c.enqueue(enc.encode('y'.repeat(600)));
          c.close();
        });
      // A chunk, then a wait at the gate, which the test never opens.
      case '/hangs':
        return stream(async (c) => {
          c.enqueue(enc.encode('first;'));
          await fetch(to + '/gate');
          c.close();
        });
      // A chunk, then a thrown error.
      case '/throws':
        return stream(async (c) => {
          c.enqueue(enc.encode('partial'));
          await new Promise((r) => setTimeout(r, 50));
          c.error(new RangeError('broken mid-body'));
        });
      // One chunk per request to the gate's other route, `n` of them (or
      // until the run's 50 requests are used up).
      case '/ticks': {
        const n = Number(url.searchParams.get('n') ?? Infinity);
        let sent = 0;
        return stream(undefined, async (c) => {
          if (sent === n) return c.close();
          // Paced, so a client's going away is seen well before the run's
          // 50 requests are used up.
          await new Promise((r) => setTimeout(r, 5));
          await (await fetch(to + '/tick')).text();
          sent += 1;
          c.enqueue(enc.encode(`tick ${sent}\n`));
        });
      }
      // A whole body, and waitUntil work that waits at the gate.
      case '/after':
        ctx.waitUntil(fetch(to + '/gate').then((r) => r.text()).then((t) => console.log('after:', t)));
        return new Response('done');
      default:
        return new Response('unknown path', { status: 404 });
    }
  },
};
"#;

fn request_to(gate: &Gate, path_and_query: &str, limits: Limits) -> (RunRequest, HttpRequest) {
    let policy = EgressPolicy::from_toml_str(&gate.policy_toml()).expect("policy");
    let run = RunRequest::new(STREAMER)
        .with_limits(limits)
        .with_egress(Egress::new(policy));
    let sep = if path_and_query.contains('?') { '&' } else { '?' };
    let http = HttpRequest::new("GET", format!("http://w.test{path_and_query}{sep}to={}", gate.url()));
    (run, http)
}

async fn dispatch(gate: &Gate, path: &str, limits: Limits) -> WorkerResponse {
    let (run, http) = request_to(gate, path, limits);
    tokio::time::timeout(PATIENCE, engine().dispatch_streaming(run, http))
        .await
        .expect("the head came")
}

async fn next(response: &mut WorkerResponse) -> Option<Result<Bytes, isobox::worker::BodyAborted>> {
    tokio::time::timeout(PATIENCE, response.body.chunk())
        .await
        .expect("a chunk or the end came")
}

#[tokio::test]
async fn the_first_chunk_reaches_the_caller_before_the_handler_goes_on() {
    let gate = Gate::start().await;
    let mut response = dispatch(&gate, "/gated", Limits::default()).await;
    assert_eq!(response.status, 206);
    assert_eq!(response.header("x-streamed"), Some("yes"));
    assert!(response.error.is_none());
    let first = next(&mut response).await.expect("a chunk").expect("not aborted");
    assert_eq!(first.as_ref(), b"first;");
    // The handler cannot have gone past the gate: it is still closed.
    gate.open();
    let second = next(&mut response).await.expect("a chunk").expect("not aborted");
    assert_eq!(second.as_ref(), b"second:open");
    assert!(next(&mut response).await.is_none(), "the body ends");
    let outcome = response.run.await;
    assert!(outcome.is_ok(), "{:?}", outcome.result);
    assert_eq!(gate.gated.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn chunks_made_over_timers_arrive_one_by_one() {
    let gate = Gate::start().await;
    let mut response = dispatch(&gate, "/timers", Limits::default()).await;
    let mut chunks = Vec::new();
    while let Some(chunk) = next(&mut response).await {
        chunks.push(chunk.expect("not aborted"));
    }
    assert_eq!(chunks, [&b"a"[..], b"b", b"c"]);
    assert!(response.run.await.is_ok());
}

#[tokio::test]
async fn a_body_over_the_limit_mid_stream_is_aborted() {
    let gate = Gate::start().await;
    let limits = Limits {
        result_bytes: 1000,
        ..Limits::default()
    };
    let mut response = dispatch(&gate, "/over", limits.clone()).await;
    assert_eq!(
        response.status, 206,
        "the head went out before the body passed the limit"
    );
    let first = next(&mut response).await.expect("a chunk").expect("not aborted yet");
    assert_eq!(first.len(), 600);
    let aborted = next(&mut response)
        .await
        .expect("not a clean end")
        .expect_err("aborted");
    assert_eq!(aborted.error().kind, ErrorKind::OutputLimit);
    assert!(next(&mut response).await.is_none());
    let outcome = response.run.await;
    assert_eq!(outcome.error_kind(), Some(ErrorKind::OutputLimit));

    // Read whole, the same run is an error response.
    let (run, http) = request_to(&gate, "/over", limits);
    let done = engine().dispatch(run, http).await;
    assert_eq!(done.response.status, 500);
    assert_eq!(done.outcome.error_kind(), Some(ErrorKind::OutputLimit));
}

#[tokio::test]
async fn an_error_after_the_head_aborts_the_body() {
    let gate = Gate::start().await;
    let mut response = dispatch(&gate, "/throws", Limits::default()).await;
    assert_eq!(response.status, 206);
    let first = next(&mut response).await.expect("a chunk").expect("not aborted yet");
    assert_eq!(first.as_ref(), b"partial");
    let aborted = next(&mut response)
        .await
        .expect("not a clean end")
        .expect_err("aborted");
    assert_eq!(aborted.error().kind, ErrorKind::JsError);
    assert!(aborted.to_string().contains("broken mid-body"), "{aborted}");
    let outcome = response.run.await;
    assert_eq!(outcome.error_kind(), Some(ErrorKind::JsError));
}

#[tokio::test]
async fn the_wall_clock_limit_after_the_head_aborts_the_body() {
    let gate = Gate::start().await;
    let limits = Limits {
        wall_time: Duration::from_millis(300),
        ..Limits::default()
    };
    // The handler waits at the gate, which never opens, past its limit.
    let mut response = dispatch(&gate, "/hangs", limits).await;
    assert_eq!(response.status, 206);
    let first = next(&mut response).await.expect("a chunk").expect("not aborted yet");
    assert_eq!(first.as_ref(), b"first;");
    let aborted = next(&mut response)
        .await
        .expect("not a clean end")
        .expect_err("aborted");
    assert_eq!(aborted.error().kind, ErrorKind::Timeout);
    assert_eq!(response.run.await.error_kind(), Some(ErrorKind::Timeout));
}

#[tokio::test]
async fn a_failure_before_the_head_is_the_error_response() {
    let gate = Gate::start().await;
    let (_, http) = request_to(&gate, "/", Limits::default());
    let run = RunRequest::new("export default { fetch() { throw new TypeError('early') } }");
    let mut response = engine().dispatch_streaming(run, http).await;
    assert_eq!(response.status, 500);
    assert_eq!(response.error.as_ref().map(|e| e.kind), Some(ErrorKind::JsError));
    let body = next(&mut response).await.expect("the error text").expect("complete");
    assert!(String::from_utf8_lossy(&body).contains("TypeError: early"));
    assert!(next(&mut response).await.is_none());
    assert_eq!(response.run.await.error_kind(), Some(ErrorKind::JsError));
}

#[tokio::test]
async fn the_body_ends_before_wait_until_work_and_the_run_after_it() {
    let gate = Gate::start().await;
    let mut response = dispatch(&gate, "/after", Limits::default()).await;
    let body = next(&mut response).await.expect("a chunk").expect("not aborted");
    assert_eq!(body.as_ref(), b"done");
    // Complete while the waitUntil work still waits at the closed gate.
    assert!(next(&mut response).await.is_none());
    let WorkerResponse { body, run, .. } = response;
    // A reader done with a complete body does not cancel the run.
    drop(body);
    gate.open();
    let outcome = tokio::time::timeout(PATIENCE, run).await.expect("the run ended");
    assert!(outcome.is_ok(), "{:?}", outcome.result);
    assert_eq!(outcome.logs.entries[0].message, "after: open");
}

#[tokio::test]
async fn a_reader_that_does_not_read_holds_the_handler_back() {
    let gate = Gate::start().await;
    let mut response = dispatch(&gate, "/ticks?n=40", Limits::default()).await;
    // Wait until the handler has filled what the host buffers.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while gate.ticks.load(Ordering::SeqCst) < 8 {
        assert!(tokio::time::Instant::now() < deadline, "the handler never produced");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Give it every chance to run ahead: it cannot, the buffer is full.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let produced = gate.ticks.load(Ordering::SeqCst);
    assert!(
        produced < 16,
        "{produced} chunks made while nothing was read: the buffer is not bounded"
    );
    let mut count = 0;
    while let Some(chunk) = next(&mut response).await {
        chunk.expect("not aborted");
        count += 1;
    }
    assert_eq!(count, 40);
    assert!(response.run.await.is_ok());
}

#[tokio::test]
async fn dropping_the_body_cancels_the_run() {
    let gate = Gate::start().await;
    let mut response = dispatch(&gate, "/ticks", Limits::default()).await;
    let first = next(&mut response).await.expect("a chunk").expect("not aborted");
    assert_eq!(first.as_ref(), b"tick 1\n");
    let WorkerResponse { body, run, .. } = response;
    drop(body);
    let outcome = tokio::time::timeout(PATIENCE, run).await.expect("the run ended");
    assert_eq!(outcome.error_kind(), Some(ErrorKind::Cancelled), "{:?}", outcome.result);
    // A request sent just before the end may still be arriving; none after.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after = gate.ticks.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(gate.ticks.load(Ordering::SeqCst), after, "the handler stopped");
}

// `isobox serve`: the stored worker's route streams with chunked transfer.

const KEY: &str = "stream-worker-key";

/// A directory holding the worker file, removed when dropped.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn serve(gate: &Gate) -> (SocketAddr, ServerHandle, Dir) {
    let dir = std::env::temp_dir().join(format!(
        "isobox-worker-stream-{}-{}",
        std::process::id(),
        gate.addr.port()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("streamer.js"), STREAMER).expect("worker file");
    let text = format!(
        "[policies.gate]\n[[policies.gate.allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n\
         [workers.streamer]\nfile = \"streamer.js\"\negress = \"gate\"\n\
         [workers.small]\nfile = \"streamer.js\"\negress = \"gate\"\nlimits = {{ result_bytes = 1000 }}\n\
         [tenants.acme]\nkey_sha256 = [\"{}\"]\negress = [\"gate\"]\nworkers = [\"streamer\", \"small\"]\n",
        key_sha256_hex(KEY),
        port = gate.addr.port(),
    );
    let config = ServeConfig::from_toml_str(&text, Some(&dir), |_| None).unwrap_or_else(|e| panic!("config: {e}"));
    let (addr, handle) = Server::bind(config, engine(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("binding the server");
    (addr, handle, Dir(dir))
}

/// Sends GET `path` (with the key) on a fresh connection, and gives the
/// response with its body unread, and the connection's task.
async fn get(addr: SocketAddr, path: &str) -> (hyper::Response<hyper::body::Incoming>, tokio::task::JoinHandle<()>) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connecting");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = hyper::Request::builder()
        .uri(path)
        .header("host", "app.example")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Empty::<Bytes>::new())
        .expect("request");
    let response = tokio::time::timeout(PATIENCE, sender.send_request(request))
        .await
        .expect("the head came")
        .expect("sending");
    (response, connection)
}

/// The next data frame; `Err` when the transfer failed.
async fn frame(body: &mut hyper::body::Incoming) -> Option<Result<Bytes, hyper::Error>> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, body.frame())
            .await
            .expect("a frame or the end came")?;
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
            }
            Err(error) => return Some(Err(error)),
        }
    }
}

async fn metrics(addr: SocketAddr) -> String {
    let (response, _) = get(addr, "/metrics").await;
    let body = response.into_body().collect().await.expect("metrics").to_bytes();
    String::from_utf8_lossy(&body).into_owned()
}

/// Waits until `/metrics` counts a run with `outcome`.
async fn wait_for_run(addr: SocketAddr, outcome: &str) -> String {
    let line = format!("isobox_runs_total{{outcome=\"{outcome}\"}} 1");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let text = metrics(addr).await;
        if text.contains(&line) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {outcome} run counted:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn serve_streams_the_first_chunk_before_the_handler_goes_on() {
    let gate = Gate::start().await;
    let (addr, handle, _dir) = serve(&gate).await;
    let path = format!("/v1/workers/streamer/gated?to={}", gate.url());
    let (response, _connection) = get(addr, &path).await;
    assert_eq!(response.status(), 206);
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert_eq!(response.headers()["x-streamed"], "yes");
    assert_eq!(response.headers()["x-request-id"].len(), 16);
    let mut body = response.into_body();
    let first = frame(&mut body).await.expect("a chunk").expect("not failed");
    assert_eq!(first.as_ref(), b"first;");
    // Only now may the handler go on.
    gate.open();
    let mut rest = Vec::new();
    while let Some(chunk) = frame(&mut body).await {
        rest.extend_from_slice(&chunk.expect("the transfer completes"));
    }
    assert_eq!(rest, b"second:open");
    wait_for_run(addr, "ok").await;
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn serve_aborts_a_body_that_fails_after_the_head() {
    let gate = Gate::start().await;
    let (addr, handle, _dir) = serve(&gate).await;
    for (worker, path, outcome) in [("small", "over", "output-limit"), ("streamer", "throws", "js-error")] {
        let (response, _connection) = get(addr, &format!("/v1/workers/{worker}/{path}?to={}", gate.url())).await;
        assert_eq!(response.status(), 206, "{path}: the head went out first");
        let mut body = response.into_body();
        let first = frame(&mut body).await.expect("a chunk").expect("not failed yet");
        assert!(!first.is_empty());
        let mut failed = false;
        while let Some(chunk) = frame(&mut body).await {
            if chunk.is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "{path}: the client saw a complete body");
        wait_for_run(addr, outcome).await;
    }
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn serve_cancels_the_run_of_a_client_that_went_away_while_it_waits() {
    let gate = Gate::start().await;
    let (addr, handle, _dir) = serve(&gate).await;
    let (response, connection) = get(addr, &format!("/v1/workers/streamer/hangs?to={}", gate.url())).await;
    let mut body = response.into_body();
    let first = frame(&mut body).await.expect("a chunk").expect("not failed");
    assert_eq!(first.as_ref(), b"first;");
    // The handler waits at the gate; the client goes away.
    drop(body);
    connection.abort();
    wait_for_run(addr, "cancelled").await;
    assert_eq!(gate.gated.load(Ordering::SeqCst), 1);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn serve_cancels_the_run_of_a_client_that_went_away() {
    let gate = Gate::start().await;
    let (addr, handle, _dir) = serve(&gate).await;
    let (response, connection) = get(addr, &format!("/v1/workers/streamer/ticks?to={}", gate.url())).await;
    let mut body = response.into_body();
    let first = frame(&mut body).await.expect("a chunk").expect("not failed");
    assert_eq!(first.as_ref(), b"tick 1\n");
    // The client goes away: the connection is closed.
    drop(body);
    connection.abort();
    let text = wait_for_run(addr, "cancelled").await;
    assert!(!text.contains("outcome=\"timeout\""), "{text}");
    // A request sent just before the end may still be arriving; none after.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after = gate.ticks.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(gate.ticks.load(Ordering::SeqCst), after, "the handler stopped");
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn serve_shutdown_waits_for_wait_until_work_after_a_complete_body() {
    let gate = Gate::start().await;
    let (addr, handle, _dir) = serve(&gate).await;
    let (response, _connection) = get(addr, &format!("/v1/workers/streamer/after?to={}", gate.url())).await;
    assert_eq!(response.status(), 200);
    let body = tokio::time::timeout(PATIENCE, response.into_body().collect())
        .await
        .expect("the body came")
        .expect("complete")
        .to_bytes();
    assert_eq!(body.as_ref(), b"done");
    // The body is complete; the run still waits at the gate.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while gate.gated.load(Ordering::SeqCst) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the waitUntil fetch never came");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!handle.metrics().render().contains("isobox_runs_total{outcome="));
    let shutdown = tokio::spawn(handle.shutdown());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!shutdown.is_finished(), "shutdown did not wait for the run");
    gate.open();
    let finished = tokio::time::timeout(PATIENCE, shutdown)
        .await
        .expect("shutdown ended")
        .expect("task")
        .expect("shutdown");
    assert_eq!(finished, isobox_serve::Finished::Drained);
}
