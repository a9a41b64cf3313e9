//! `isobox serve`'s worker routes over real HTTP on 127.0.0.1: a stored
//! worker behind `ANY /v1/workers/{name}/{*path}` and inline workers on
//! `POST /v1/dispatch`, with the tenants' keys, grants and ceilings.

use std::net::SocketAddr;
use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use isobox_serve::{ServeConfig, Server, ServerHandle, key_sha256_hex};
use serde_json::{Value, json};

use crate::common::engine;
use crate::upstream::Upstream;

const ACME: &str = "acme-worker-key";
const BETA: &str = "beta-worker-key";

/// The stored worker: echoes what it saw, keeps a counter in kv, and
/// fetches from the upstream when asked to.
const HELLO: &str = r#"
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/boom') throw new Error('boom at ' + url.pathname);
    if (url.pathname === '/upstream') {
      const reply = await fetch(url.searchParams.get('to'));
      return new Response('upstream said ' + await reply.text());
    }
    if (url.pathname === '/count') {
      const n = Number(await env.kv.get('n') ?? 0) + 1;
      await env.kv.put('n', String(n));
      return new Response(String(n));
    }
    return Response.json({
      method: request.method,
      url: request.url,
      auth: request.headers.get('authorization'),
      custom: request.headers.get('x-custom'),
      body: await request.text(),
    }, { status: 201, headers: { 'x-worker': 'hello' } });
  },
};
"#;

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn call(addr: SocketAddr, method: &str, path: &str, key: Option<&str>, body: &[u8]) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connecting");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "app.example")
        .header("x-custom", "custom value");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let request = request.body(Full::new(Bytes::copy_from_slice(body))).expect("request");
    let response = sender.send_request(request).await.expect("sending");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body }
}

/// A directory holding the worker files, removed when dropped.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn worker_dir() -> Dir {
    let dir = std::env::temp_dir().join(format!(
        "isobox-serve-workers-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("hello.js"), HELLO).expect("worker file");
    Dir(dir)
}

fn config(dir: &Dir, upstream_port: u16) -> ServeConfig {
    let text = format!(
        "[policies.local]\n[[policies.local.allow]]\nhost = \"127.0.0.1\"\nports = [{upstream_port}]\n\
         [workers.hello]\nfile = \"hello.js\"\ncapabilities = [\"kv\"]\negress = \"local\"\n\
         [tenants.acme]\nkey_sha256 = [\"{}\"]\ncapabilities = [\"kv\"]\negress = [\"local\"]\nworkers = [\"hello\"]\n\
         [tenants.beta]\nkey_sha256 = [\"{}\"]\n",
        key_sha256_hex(ACME),
        key_sha256_hex(BETA)
    );
    ServeConfig::from_toml_str(&text, Some(&dir.0), |_| None).unwrap_or_else(|e| panic!("test config: {e}"))
}

async fn start(dir: &Dir, upstream_port: u16) -> (SocketAddr, ServerHandle) {
    Server::bind(
        config(dir, upstream_port),
        engine(),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("binding the server")
}

#[tokio::test]
async fn a_stored_worker_answers_with_its_own_response() {
    let dir = worker_dir();
    let (addr, handle) = start(&dir, 9).await;
    for method in ["GET", "POST", "PUT", "DELETE"] {
        let body: &[u8] = if method == "GET" { b"" } else { b"payload" };
        let reply = call(addr, method, "/v1/workers/hello/items/3?x=1", Some(ACME), body).await;
        assert_eq!(reply.status, 201, "{method}: {}", reply.text());
        assert_eq!(reply.header("x-worker"), Some("hello"));
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("x-request-id").map(str::len), Some(16));
        let seen = reply.json();
        assert_eq!(seen["method"], method);
        assert_eq!(seen["url"], "http://app.example/items/3?x=1");
        assert_eq!(seen["auth"], Value::Null, "the caller's key never reaches the worker");
        assert_eq!(seen["custom"], "custom value");
        assert_eq!(seen["body"], String::from_utf8_lossy(body).as_ref());
    }
    let root = call(addr, "GET", "/v1/workers/hello/", Some(ACME), b"").await;
    assert_eq!(root.json()["url"], "http://app.example/");
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn stored_workers_use_their_grants_and_report_errors() {
    let dir = worker_dir();
    let upstream = Upstream::http();
    let (addr, handle) = start(&dir, upstream.port()).await;

    let first = call(addr, "POST", "/v1/workers/hello/count", Some(ACME), b"").await;
    let second = call(addr, "POST", "/v1/workers/hello/count", Some(ACME), b"").await;
    assert_eq!((first.text().as_str(), second.text().as_str()), ("1", "2"));

    let to = format!("http://127.0.0.1:{}/plain", upstream.port());
    let fetched = call(
        addr,
        "GET",
        &format!("/v1/workers/hello/upstream?to={to}"),
        Some(ACME),
        b"",
    )
    .await;
    assert_eq!(fetched.status, 200, "{}", fetched.text());
    assert_eq!(fetched.text(), "upstream said hello");

    let boom = call(addr, "GET", "/v1/workers/hello/boom", Some(ACME), b"").await;
    assert_eq!(boom.status, 500);
    assert_eq!(boom.header("x-isobox-error"), Some("js-error"));
    assert!(boom.text().contains("Error: boom at /boom"), "{}", boom.text());
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn only_tenants_with_the_worker_and_a_key_may_call_it() {
    let dir = worker_dir();
    let (addr, handle) = start(&dir, 9).await;
    let anonymous = call(addr, "GET", "/v1/workers/hello/", None, b"").await;
    assert_eq!(anonymous.status, 401);
    let other = call(addr, "GET", "/v1/workers/hello/", Some(BETA), b"").await;
    assert_eq!(other.status, 404);
    assert_eq!(other.json()["error"]["code"], "not-found");
    let missing = call(addr, "GET", "/v1/workers/nope/x", Some(ACME), b"").await;
    assert_eq!(missing.status, 404);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn an_inline_worker_is_dispatched_from_json() {
    let dir = worker_dir();
    let (addr, handle) = start(&dir, 9).await;
    let body = json!({
        "code": "export default { async fetch(r) { console.log('got', r.method); return new Response(`${r.method} ${new URL(r.url).pathname} ${await r.text()}`, { status: 207, headers: { 'x-a': 'b' } }); } }",
        "request": { "method": "PATCH", "url": "https://inline.test/p", "headers": [["x-h", "v"]], "body": "data" },
    });
    let reply = call(addr, "POST", "/v1/dispatch", Some(BETA), body.to_string().as_bytes()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let json = reply.json();
    assert_eq!(json["ok"], true);
    assert_eq!(json["response"]["status"], 207);
    assert_eq!(json["response"]["body"], "PATCH /p data");
    assert_eq!(
        json["response"]["headers"],
        json!([["content-type", "text/plain;charset=UTF-8"], ["x-a", "b"]])
    );
    assert_eq!(json["logs"]["entries"][0]["message"], "got PATCH");
    assert_eq!(json["request_id"].as_str(), reply.header("x-request-id"));

    let bytes = json!({
        "code": "export default { fetch: () => new Response(new Uint8Array([255, 0, 1])) }",
        "request": {},
    });
    let reply = call(addr, "POST", "/v1/dispatch", Some(BETA), bytes.to_string().as_bytes()).await;
    assert_eq!(reply.json()["response"]["body_base64"], "/wAB");

    let thrown = json!({ "code": "export default { fetch() { throw new TypeError('bad') } }", "request": {} });
    let reply = call(addr, "POST", "/v1/dispatch", Some(BETA), thrown.to_string().as_bytes()).await;
    let json = reply.json();
    assert_eq!(json["ok"], false);
    assert_eq!(json["error"]["message"], "bad");
    assert_eq!(json["response"]["status"], 500);

    // A capability the tenant lacks is refused, as for a run.
    let forbidden =
        json!({ "code": "export default { fetch: () => new Response('') }", "request": {}, "capabilities": ["kv"] });
    let reply = call(
        addr,
        "POST",
        "/v1/dispatch",
        Some(BETA),
        forbidden.to_string().as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 403);
    let no_request = json!({ "code": "export default {}" });
    let reply = call(
        addr,
        "POST",
        "/v1/dispatch",
        Some(BETA),
        no_request.to_string().as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(reply.json()["error"]["message"].as_str().unwrap().contains("`request`"));
    handle.shutdown().await.expect("shutdown");
}

#[test]
fn a_config_naming_a_missing_worker_or_file_is_refused() {
    let dir = worker_dir();
    let missing_file = ServeConfig::from_toml_str("[workers.w]\nfile = \"nope.js\"\n", Some(&dir.0), |_| None);
    let message = missing_file.err().expect("refused").to_string();
    assert!(message.contains("worker w: cannot read"), "{message}");
    let unknown = ServeConfig::from_toml_str(
        &format!(
            "[tenants.t]\nkey_sha256 = [\"{}\"]\nworkers = [\"ghost\"]\n",
            key_sha256_hex("k")
        ),
        Some(&dir.0),
        |_| None,
    );
    let message = unknown.err().expect("refused").to_string();
    assert!(message.contains("no worker named \"ghost\""), "{message}");
}
