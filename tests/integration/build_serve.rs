//! End to end: `isobox build` makes a component, the real `wasmtime serve`
//! (wasmtime-cli 48.0.8, installed into .cache/wasmtime-cli by
//! scripts/install-wasmtime-cli.sh, which `make test` runs) serves it on
//! 127.0.0.1 without `-S cli`, so only the wasi:http/proxy world is
//! provided, and a real HTTP client checks the answers, one of which comes
//! from an outbound fetch to a loopback server.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::upstream::Upstream;

/// The app: TypeScript, with state set at build time.
const APP: &str = r#"
const builtWith: string = 'wizer';
let requests = 0;
console.log('evaluated at build time');

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
    requests += 1;
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/echo':
        return Response.json({
          method: request.method,
          path: url.pathname,
          query: url.searchParams.get('q'),
          header: request.headers.get('x-test'),
          body: await request.text(),
          builtWith,
          requests,
          env: Object.keys(env).length,
        });
      case '/teapot':
        return new Response('short and stout', { status: 418, headers: { 'x-custom': 'yes' } });
      case '/bytes':
        return new Response(new Uint8Array([0, 1, 2, 255]), { headers: { 'content-type': 'application/octet-stream' } });
      case '/random':
        return new Response(String(Math.random()));
      case '/throw':
        console.error('about to throw');
        throw new RangeError('the handler failed');
      case '/upstream': {
        const reply = await fetch(url.searchParams.get('to')!, { method: 'POST', body: 'from the app' });
        const seen = await reply.json();
        return new Response(`${reply.status} ${seen.method} ${seen.body}`);
      }
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
"#;

fn wasmtime() -> PathBuf {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.cache/wasmtime-cli/bin/wasmtime"
    ));
    assert!(
        path.is_file(),
        "{} is missing: run scripts/install-wasmtime-cli.sh (make test does)",
        path.display()
    );
    path
}

/// `wasmtime serve` on a free loopback port; killed when dropped.
pub(crate) struct Served {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    pub(crate) fn start(component: &std::path::Path) -> Served {
        let mut child = Command::new(wasmtime())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .arg(component)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting wasmtime serve");
        // Lines read as bytes and kept lossily: a guest may write anything.
        let mut lines = BufReader::new(child.stderr.take().expect("stderr"))
            .split(b'\n')
            .map_while(Result::ok)
            .map(|line| String::from_utf8_lossy(&line).trim_end_matches('\r').to_owned());
        let mut seen = Vec::new();
        let addr = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                panic!("wasmtime serve ended before listening: {seen:?}");
            };
            if let Some(rest) = line.strip_prefix("Serving HTTP on http://") {
                break rest.trim_end_matches('/').parse().expect("an address");
            }
            seen.push(line);
        };
        let stderr = Arc::new(Mutex::new(seen));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in lines {
                sink.lock().expect("stderr lines").push(line);
            }
        });
        Served { child, addr, stderr }
    }

    /// wasmtime's stderr so far, once it contains `needle` or after 30 s
    /// (a readiness wait, not a timing check: the caller asserts).
    async fn stderr_containing(&self, needle: &str) -> String {
        for _ in 0..600 {
            let text = self.stderr.lock().expect("stderr lines").join("\n");
            if text.contains(needle) {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.stderr.lock().expect("stderr lines").join("\n")
    }

    async fn call(&self, method: &str, path: &str, body: &str) -> (u16, HeaderMap, Bytes) {
        self.send(method, path, &[("x-test", "from the client")], body.as_bytes())
            .await
    }

    /// One request with `headers` (and `host`) on a new connection.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, HeaderMap, Bytes) {
        let stream = tokio::net::TcpStream::connect(self.addr).await.expect("connecting");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(Bytes::copy_from_slice(body))).expect("request");
        let response = sender.send_request(request).await.expect("sending");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("body").to_bytes();
        (status, headers, body)
    }
}

/// `isobox build SOURCE -o COMPONENT`, which must succeed; its stderr.
pub(crate) fn isobox_build(source: &std::path::Path, component: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_isobox"))
        .arg("build")
        .arg(source)
        .arg("-o")
        .arg(component)
        .output()
        .expect("running isobox build");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "isobox build {} failed: {stderr}",
        source.display()
    );
    stderr
}

fn build(dir: &std::path::Path) -> PathBuf {
    let source = dir.join("app.ts");
    std::fs::write(&source, APP).expect("writing the app");
    let component = dir.join("app.wasm");
    let stderr = isobox_build(&source, &component);
    assert!(
        stderr.contains("evaluated at build time"),
        "the top level ran at build time: {stderr}"
    );
    assert!(stderr.contains("wasi:http/outgoing-handler@0.2"), "{stderr}");
    component
}

#[tokio::test]
async fn wasmtime_serve_runs_a_built_app() {
    let dir = std::env::temp_dir().join(format!("isobox-build-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let component = build(&dir);
    let served = Served::start(&component);

    for method in ["GET", "POST", "PUT", "DELETE"] {
        let body = if method == "GET" { "" } else { "a body" };
        let (status, headers, reply) = served.call(method, "/echo?q=1", body).await;
        assert_eq!(status, 200, "{method}: {}", String::from_utf8_lossy(&reply));
        assert_eq!(
            headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let seen: Value = serde_json::from_slice(&reply).expect("JSON");
        assert_eq!(seen["method"], method);
        assert_eq!(seen["path"], "/echo");
        assert_eq!(seen["query"], "1");
        assert_eq!(seen["header"], "from the client");
        assert_eq!(seen["body"], body);
        assert_eq!(seen["builtWith"], "wizer");
        // Each request starts from the snapshot: the counter never grows.
        assert_eq!(seen["requests"], 1);
        assert_eq!(seen["env"], 0);
    }

    let (status, headers, reply) = served.call("GET", "/teapot", "").await;
    assert_eq!((status, reply.as_ref()), (418, b"short and stout".as_ref()));
    assert_eq!(headers.get("x-custom").and_then(|v| v.to_str().ok()), Some("yes"));

    let (status, _, reply) = served.call("GET", "/bytes", "").await;
    assert_eq!((status, reply.as_ref()), (200, [0u8, 1, 2, 255].as_ref()));

    let (_, _, first) = served.call("GET", "/random", "").await;
    let (_, _, second) = served.call("GET", "/random", "").await;
    assert_ne!(first, second, "Math.random is reseeded per request");

    let (status, _, reply) = served.call("GET", "/throw", "").await;
    assert_eq!(status, 500);
    let text = String::from_utf8_lossy(&reply);
    assert!(text.contains("RangeError: the handler failed"), "{text}");

    let upstream = Upstream::http();
    let to = format!("http://127.0.0.1:{}/echo", upstream.port());
    let (status, _, reply) = served.call("GET", &format!("/upstream?to={to}"), "").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    assert_eq!(String::from_utf8_lossy(&reply), "200 POST from the app");

    let (status, _, _) = served.call("GET", "/elsewhere", "").await;
    assert_eq!(status, 404);

    // wasmtime writes the guest's stderr as it comes; the lines reach this
    // process through a pipe and a reader thread, so they may land a little
    // after the response.
    let stderr = served.stderr_containing("about to throw").await;
    assert!(
        stderr.contains("about to throw"),
        "console output reaches stderr: {stderr}"
    );
    drop(served);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn isobox_build_explains_code_it_cannot_build() {
    let dir = std::env::temp_dir().join(format!("isobox-build-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (code, exit, expected) in [
        ("export default { get() {} }", 2, "no fetch handler"),
        ("export default {\n  fetch() { return 1 +; }\n}", 1, "line 2, column"),
        (
            "throw new Error('config missing');\nexport default {}",
            1,
            "Error: config missing",
        ),
    ] {
        let source = dir.join("bad.js");
        std::fs::write(&source, code).expect("writing");
        let output = Command::new(env!("CARGO_BIN_EXE_isobox"))
            .arg("build")
            .arg(&source)
            .args(["-o"])
            .arg(dir.join("bad.wasm"))
            .output()
            .expect("running isobox build");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(exit), "{code}: {stderr}");
        assert!(stderr.contains("the app failed at build time"), "{stderr}");
        assert!(stderr.contains(expected), "{code}: {stderr}");
        assert!(!dir.join("bad.wasm").exists(), "nothing is written for a failed build");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A built app whose Response is a stream: the first chunk is written at
/// once, the second only after an upstream answers.
const STREAMING_APP: &str = r#"
export default {
  async fetch(request) {
    const gate = new URL(request.url).searchParams.get('gate');
    const { readable, writable } = new TransformStream();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    (async () => {
      await writer.write(encoder.encode('first;'));
      const reply = await fetch(gate);
      await writer.write(encoder.encode(await reply.text()));
      await writer.close();
    })();
    return new Response(readable, { headers: { 'content-type': 'text/plain' } });
  },
};
"#;

/// An HTTP/1.1 server on 127.0.0.1 that answers one request with `second`,
/// only once `open` fires.
async fn gated_upstream(open: tokio::sync::oneshot::Receiver<()>) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding the gate");
    let addr = listener.local_addr().expect("the gate's address");
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut head = Vec::new();
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buffer[..n]),
            }
        }
        let _ = open.await;
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nsecond")
            .await;
    });
    addr
}

#[tokio::test]
async fn a_built_app_streams_its_response_to_the_client_as_it_is_made() {
    let dir = std::env::temp_dir().join(format!("isobox-build-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let source = dir.join("stream.js");
    std::fs::write(&source, STREAMING_APP).expect("writing the app");
    let component = dir.join("stream.wasm");
    isobox_build(&source, &component);
    let served = Served::start(&component);
    let (open, gate) = tokio::sync::oneshot::channel();
    let gate_addr = gated_upstream(gate).await;

    let stream = tokio::net::TcpStream::connect(served.addr).await.expect("connecting");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let request = hyper::Request::builder()
        .uri(format!("/?gate=http://{gate_addr}/"))
        .header("host", served.addr.to_string())
        .body(Full::new(Bytes::new()))
        .expect("request");
    // The first chunk arrives while the upstream still holds the second:
    // a buffered response could not arrive before the gate opens. The
    // timeout only keeps a regression from hanging the test run.
    let read = async {
        let response = sender.send_request(request).await.expect("sending");
        assert_eq!(response.status(), 200);
        let mut body = response.into_body();
        let mut seen = Vec::new();
        while !seen.ends_with(b"first;") {
            let frame = body.frame().await.expect("a frame").expect("body bytes");
            if let Some(data) = frame.data_ref() {
                seen.extend_from_slice(data);
            }
        }
        open.send(()).expect("opening the gate");
        while let Some(frame) = body.frame().await {
            if let Some(data) = frame.expect("body bytes").data_ref() {
                seen.extend_from_slice(data);
            }
        }
        seen
    };
    let seen = tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .expect("the first chunk never arrived on its own: the response was buffered");
    assert_eq!(String::from_utf8_lossy(&seen), "first;second");
    let _ = std::fs::remove_dir_all(&dir);
}
