//! Real Workers apps no one here wrote: a Hono 4 app and an itty-router 5
//! app (tests/apps, pinned npm versions, bundled by esbuild as a user
//! would), every route through `Engine::dispatch`, `isobox serve` and
//! `isobox build` + `wasmtime serve`. Routes cover what broke before: cors
//! and corsify copying a response (`new Response(r.body, r)`), etag
//! (`res.clone().body`), a header set after `next()`, jwt sign and verify
//! (`crypto.subtle.importKey` + HMAC), a multipart form (`parseBody`) and a
//! streamed response (TransformStream).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use isobox::RunRequest;
use isobox::worker::HttpRequest;
use isobox_serve::{ServeConfig, Server, key_sha256_hex};
use serde_json::{Value, json};

use crate::build_serve::{Served, isobox_build};
use crate::common::engine;

/// The bundled apps: `hono.js` and `itty.js` in a directory made once.
fn bundles() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let apps = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/apps");
        assert!(
            apps.join("node_modules/hono").is_dir(),
            "tests/apps/node_modules is missing: run tests/apps/install.sh (make test does)"
        );
        let out = std::env::temp_dir().join(format!("isobox-apps-{}", std::process::id()));
        let status = Command::new("node")
            .arg(apps.join("bundle.mjs"))
            .arg(&out)
            .status()
            .expect("running node tests/apps/bundle.mjs");
        assert!(status.success(), "bundling the apps failed");
        out
    })
}

/// One answer, whatever carried it.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A multipart/form-data body with a text field and a file.
const BOUNDARY: &str = "----isobox-test-boundary";

fn multipart() -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"notes.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nfile body\nline two\r\n--{BOUNDARY}--\r\n"
    )
    .into_bytes()
}

/// Sends one request however the transport does it.
trait Transport {
    async fn send(&self, app: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer;
}

/// Every route of the Hono app, checked.
async fn check_hono(transport: &impl Transport) {
    let origin = [("origin", "https://app.example")];
    let answer = transport.send("hono", "GET", "/", &[], b"").await;
    assert_eq!((answer.status, answer.text().as_str()), (200, "hello from hono"));

    let answer = transport.send("hono", "GET", "/json", &origin, b"").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json(), json!({ "ok": true, "n": 42 }));
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://app.example")
    );

    // cors copies the response after next(): the body must survive.
    let answer = transport.send("hono", "GET", "/after/page", &origin, b"").await;
    assert_eq!((answer.status, answer.text().as_str()), (200, "the body survives"));
    assert_eq!(answer.header("x-after"), Some("set after next"));

    let answer = transport.send("hono", "GET", "/etag/page", &[], b"").await;
    assert_eq!((answer.status, answer.text().as_str()), (200, "tagged content"));
    let etag = answer.header("etag").expect("an etag").to_owned();
    let again = transport
        .send("hono", "GET", "/etag/page", &[("if-none-match", &etag)], b"")
        .await;
    assert_eq!(again.status, 304, "{}", again.text());

    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let answer = transport
        .send(
            "hono",
            "POST",
            "/form",
            &[("content-type", &content_type)],
            &multipart(),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        answer.json(),
        json!({ "name": "Ada", "file": { "name": "notes.txt", "type": "text/plain", "text": "file body\nline two" } })
    );

    let answer = transport.send("hono", "GET", "/token", &[], b"").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let token = answer.json()["token"].as_str().expect("a token").to_owned();
    let bearer = format!("Bearer {token}");
    let answer = transport
        .send("hono", "GET", "/secure/me", &[("x-token", &bearer)], b"")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json(), json!({ "sub": "user-1", "role": "admin" }));
    let forged = format!("Bearer {}x", &token[..token.len() - 1]);
    let answer = transport
        .send("hono", "GET", "/secure/me", &[("x-token", &forged)], b"")
        .await;
    assert_eq!(answer.status, 401, "{}", answer.text());

    let answer = transport.send("hono", "GET", "/stream", &[], b"").await;
    assert_eq!((answer.status, answer.text().as_str()), (200, "one two three"));

    let preflight = [
        ("origin", "https://app.example"),
        ("access-control-request-method", "POST"),
    ];
    let answer = transport.send("hono", "OPTIONS", "/form", &preflight, b"").await;
    assert_eq!(answer.status, 204, "{}", answer.text());
    assert!(
        answer
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("POST"))
    );
}

/// Every route of the itty-router app, checked.
async fn check_itty(transport: &impl Transport) {
    let origin = [("origin", "https://app.example")];
    let answer = transport.send("itty", "GET", "/", &origin, b"").await;
    // AutoRouter formats what a route returns as JSON, strings included.
    assert_eq!((answer.status, answer.text().as_str()), (200, "\"hello from itty\""));
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://app.example")
    );

    let answer = transport.send("itty", "GET", "/items/7?sort=asc", &origin, b"").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json(), json!({ "id": "7", "sort": "asc" }));
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://app.example")
    );

    let json_type = [("content-type", "application/json"), ("origin", "https://app.example")];
    let answer = transport
        .send("itty", "POST", "/echo", &json_type, br#"{"a":[1,2.5]}"#)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json(), json!({ "got": { "a": [1, 2.5] } }));

    let answer = transport.send("itty", "GET", "/missing", &origin, b"").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json(), json!({ "status": 404, "error": "no such thing" }));

    let preflight = [
        ("origin", "https://app.example"),
        ("access-control-request-method", "POST"),
    ];
    let answer = transport.send("itty", "OPTIONS", "/echo", &preflight, b"").await;
    assert_eq!(answer.status, 204, "{}", answer.text());
}

/// `Engine::dispatch`, in process.
struct Library;

impl Transport for Library {
    async fn send(&self, app: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let code = std::fs::read_to_string(bundles().join(format!("{app}.js"))).expect("a bundle");
        let mut http = HttpRequest::new(method, format!("http://app.example{path}"));
        for (name, value) in headers {
            http = http.with_header(*name, *value);
        }
        if !body.is_empty() {
            http = http.with_body(body.to_vec());
        }
        let done = engine()
            .dispatch(RunRequest::new(code).with_filename(format!("{app}.js")), http)
            .await;
        assert!(
            done.outcome.result.is_ok(),
            "{method} {path}: {:?}",
            done.outcome.result
        );
        Answer {
            status: done.response.status,
            headers: done.response.headers.clone(),
            body: done.response.body.clone(),
        }
    }
}

#[tokio::test]
async fn hono_and_itty_router_apps_answer_every_route_through_dispatch() {
    check_hono(&Library).await;
    check_itty(&Library).await;
}

/// Real HTTP to an address, with `authorization` added when `key` is set
/// and the path put under `prefix`.
struct Http {
    addr: SocketAddr,
    prefix: &'static str,
    key: Option<&'static str>,
}

impl Transport for Http {
    async fn send(&self, app: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let stream = tokio::net::TcpStream::connect(self.addr).await.expect("connecting");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        let uri = format!("{}{path}", self.prefix.replace("{app}", app));
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "app.example");
        if let Some(key) = self.key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(Bytes::copy_from_slice(body))).expect("request");
        let response = sender.send_request(request).await.expect("sending");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
        Answer { status, headers, body }
    }
}

#[tokio::test]
async fn hono_and_itty_router_apps_answer_every_route_through_isobox_serve() {
    const KEY: &str = "apps-test-key";
    let dir = bundles();
    let text = format!(
        "[workers.hono]\nfile = \"hono.js\"\n[workers.itty]\nfile = \"itty.js\"\n\
         [tenants.acme]\nkey_sha256 = [\"{}\"]\nworkers = [\"hono\", \"itty\"]\n",
        key_sha256_hex(KEY)
    );
    let config = ServeConfig::from_toml_str(&text, Some(dir), |_| None).unwrap_or_else(|e| panic!("config: {e}"));
    let (addr, _server) = Server::bind(config, engine(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("binding the server");
    let http = Http {
        addr,
        prefix: "/v1/workers/{app}",
        key: Some(KEY),
    };
    check_hono(&http).await;
    check_itty(&http).await;
}

/// One app built with `isobox build` and served by `wasmtime serve`.
struct Built {
    hono: Served,
    itty: Served,
}

impl Transport for Built {
    async fn send(&self, app: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let served = if app == "hono" { &self.hono } else { &self.itty };
        let (status, headers, body) = served.send(method, path, headers, body).await;
        let headers = headers
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        Answer {
            status,
            headers,
            body: body.to_vec(),
        }
    }
}

fn build(app: &str) -> PathBuf {
    let component = bundles().join(format!("{app}.wasm"));
    isobox_build(&bundles().join(format!("{app}.js")), &component);
    component
}

#[tokio::test]
async fn hono_and_itty_router_apps_answer_every_route_when_built_and_served_by_wasmtime() {
    let built = Built {
        hono: Served::start(&build("hono")),
        itty: Served::start(&build("itty")),
    };
    check_hono(&built).await;
    check_itty(&built).await;
}
