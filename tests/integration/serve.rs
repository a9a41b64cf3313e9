//! `isobox serve` over real HTTP on 127.0.0.1: auth, tenant ceilings, grants,
//! egress by name, backpressure, body limits, graceful shutdown, metrics,
//! and the CLI.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use isobox_serve::{Finished, ServeConfig, Server, ServerHandle, key_sha256_hex};
use serde_json::{Value, json};

use crate::common::engine;
use crate::upstream::Upstream;

pub(crate) const ACME: &str = "acme-secret-key";
pub(crate) const BETA: &str = "beta-secret-key";

pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One request on a fresh HTTP/1.1 connection.
pub(crate) async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Vec<u8>>,
) -> Reply {
    call_typed(addr, method, path, key, Some("application/json"), body).await
}

/// As [`call`], with the given `Content-Type` (or none).
pub(crate) async fn call_typed(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> Reply {
    let headers: Vec<(&str, &str)> = content_type.map(|t| ("content-type", t)).into_iter().collect();
    call_with(addr, method, path, key, &headers, body).await
}

/// As [`call`], with these headers (and no `Content-Type` but theirs).
pub(crate) async fn call_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connecting");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .expect("request");
    let response = sender.send_request(request).await.expect("sending");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body }
}

pub(crate) async fn run(addr: SocketAddr, key: Option<&str>, body: Value) -> Reply {
    call(addr, "POST", "/v1/run", key, Some(body.to_string().into_bytes())).await
}

pub(crate) fn config(extra_server: &str, upstream_port: u16) -> ServeConfig {
    let text = format!(
        "[server]\nmax_body_bytes = 102400\n{extra_server}\n\
         [policies.local]\n[[policies.local.allow]]\nhost = \"127.0.0.1\"\nports = [{upstream_port}]\n\
         [policies.other]\n[[policies.other.allow]]\nhost = \"example.com\"\n\
         [tenants.acme]\nkey_sha256 = [\"{}\"]\ncapabilities = [\"kv\"]\negress = [\"local\"]\n\
         [tenants.acme.max_limits]\nwall_time_ms = 2000\nmemory_bytes = 67108864\n\
         [tenants.beta]\nkey_env = [\"BETA_KEY\"]\ncapabilities = [\"kv\", \"todo\"]\negress = [\"other\"]\n",
        key_sha256_hex(ACME)
    );
    ServeConfig::from_toml_str(&text, None, |name| (name == "BETA_KEY").then(|| BETA.to_owned()))
        .unwrap_or_else(|e| panic!("test config: {e}"))
}

pub(crate) async fn start(extra_server: &str) -> (SocketAddr, ServerHandle) {
    start_with(config(extra_server, 9)).await
}

pub(crate) async fn start_with(config: ServeConfig) -> (SocketAddr, ServerHandle) {
    Server::bind(config, engine(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("binding the server")
}

/// The value of an unlabelled or labelled sample in the metrics text.
pub(crate) fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|line| line.split_once(' ').is_some_and(|(n, _)| n == name))
        .and_then(|line| line.rsplit_once(' '))
        .and_then(|(_, v)| v.parse().ok())
}

pub(crate) async fn wait_for_gauge(handle: &ServerHandle, name: &str, value: f64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while sample(&handle.metrics().render(), name) != Some(value) {
        assert!(Instant::now() < deadline, "{name} never reached {value}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

pub(crate) const SLOW: &str = "await new Promise((r) => setTimeout(r, 600)); 'slow done'";

#[tokio::test]
async fn a_run_returns_its_outcome_with_a_request_id() {
    let (addr, handle) = start("").await;
    let reply = run(
        addr,
        Some(ACME),
        json!({ "code": "(input) => { console.log('hi'); return input.a + 1 }", "input": { "a": 41 } }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["ok"], true);
    assert_eq!(body["value"], 42);
    assert_eq!(body["logs"]["entries"][0]["message"], "hi");
    assert!(body["stats"]["wall_time_us"].as_u64().is_some());
    let id = body["request_id"].as_str().expect("a request id");
    assert_eq!(id.len(), 16);
    assert_eq!(reply.header("x-request-id"), Some(id));

    // A module map with TypeScript, and a failing run is still a 200 outcome.
    let reply = run(
        addr,
        Some(BETA),
        json!({ "filename": "main.ts", "modules": {
            "main.ts": "import { twice } from './lib.ts'; export default (n: number) => twice(n)",
            "lib.ts": "export const twice = (n: number): number => n * 2" }, "input": 4 }),
    )
    .await;
    assert_eq!(reply.json()["value"], 8, "{}", reply.text());
    let reply = run(addr, Some(BETA), json!({ "code": "throw new TypeError('nope')" })).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["error"]["kind"], "js-error");
    assert_eq!(reply.json()["error"]["message"], "nope");
    assert_ne!(reply.header("x-request-id"), Some(id), "ids differ per request");
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_401() {
    let (addr, handle) = start("").await;
    let body = json!({ "code": "1" });
    for key in [None, Some("wrong"), Some(""), Some(&ACME[..ACME.len() - 1])] {
        let reply = run(addr, key, body.clone()).await;
        assert_eq!(reply.status, 401, "{key:?}");
        assert_eq!(reply.json()["error"]["code"], "unauthorized");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert!(!reply.text().contains(ACME));
    }
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn asking_past_the_tenant_is_403_with_the_reason() {
    let (addr, handle) = start("").await;
    let cases = [
        (
            ACME,
            json!({ "wall_time_ms": 2001 }),
            None,
            None,
            "limit `wall_time_ms` is 2001",
        ),
        (
            ACME,
            json!({ "memory_bytes": 67108865 }),
            None,
            None,
            "limit `memory_bytes`",
        ),
        (ACME, json!({ "fuel": 10000000001u64 }), None, None, "limit `fuel`"),
        (ACME, json!({}), Some("todo"), None, "capability \"todo\""),
        (ACME, json!({}), Some("fs"), None, "capability \"fs\""),
        (ACME, json!({}), None, Some("other"), "egress policy \"other\""),
        (BETA, json!({}), None, Some("local"), "egress policy \"local\""),
        (BETA, json!({}), None, Some("nope"), "egress policy \"nope\""),
    ];
    for (key, limits, capability, egress, reason) in cases {
        let mut body = json!({ "code": "1", "limits": limits });
        if let Some(capability) = capability {
            body["capabilities"] = json!([capability]);
        }
        if let Some(egress) = egress {
            body["egress"] = json!(egress);
        }
        let reply = run(addr, Some(key), body.clone()).await;
        assert_eq!(reply.status, 403, "{body}: {}", reply.text());
        let message = reply.json()["error"]["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(reason), "{body}: {message}");
    }
    // At the ceiling is fine; absent limits are lowered to it.
    let reply = run(
        addr,
        Some(ACME),
        json!({ "code": "1", "limits": { "wall_time_ms": 2000 } }),
    )
    .await;
    assert_eq!(reply.json()["value"], 1);
    let reply = run(
        addr,
        Some(ACME),
        json!({ "code": "await new Promise((r) => setTimeout(r, 3000))" }),
    )
    .await;
    assert_eq!(
        reply.json()["error"]["kind"],
        "timeout",
        "the 2 s ceiling applies by default"
    );
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn bad_bodies_are_400_and_oversized_ones_413() {
    let (addr, handle) = start("").await;
    let bad = [
        b"not json".to_vec(),
        json!({ "code": "1", "colour": 1 }).to_string().into_bytes(),
        json!({ "input": 1 }).to_string().into_bytes(),
        json!({ "code": "1", "capabilities": ["kv", "kv"] })
            .to_string()
            .into_bytes(),
    ];
    for body in bad {
        let reply = call(addr, "POST", "/v1/run", Some(ACME), Some(body)).await;
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert_eq!(reply.json()["error"]["code"], "bad-request");
    }
    let big = json!({ "code": format!("'{}'", "x".repeat(200 * 1024)) });
    let reply = run(addr, Some(ACME), big).await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(reply.json()["error"]["code"], "too-large");
    let reply = run(
        addr,
        Some(ACME),
        json!({ "code": format!("'{}'.length", "x".repeat(90 * 1024)) }),
    )
    .await;
    assert_eq!(reply.json()["value"], 90 * 1024, "just under the limit runs");
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn only_a_json_object_is_a_run_request() {
    let (addr, handle) = start("").await;
    // A top-level array used to run positionally (["code"]).
    for (body, what) in [
        ("[\"6 * 7\"]", "an array"),
        ("\"6 * 7\"", "a string"),
        ("42", "another JSON value"),
    ] {
        for path in ["/v1/run", "/v1/dispatch"] {
            let reply = call(addr, "POST", path, Some(ACME), Some(body.as_bytes().to_vec())).await;
            assert_eq!(reply.status, 400, "{path} {body}: {}", reply.text());
            let message = reply.json()["error"]["message"].as_str().unwrap().to_owned();
            assert!(
                message.contains("one JSON object") && message.contains(what),
                "{message}"
            );
        }
    }
    // Another media type is 415; none, or JSON with a charset, is fine.
    let code = br#"{"code": "6 * 7"}"#.to_vec();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let reply = call_typed(
            addr,
            "POST",
            "/v1/run",
            Some(ACME),
            Some(content_type),
            Some(code.clone()),
        )
        .await;
        assert_eq!(reply.status, 415, "{content_type}: {}", reply.text());
        assert_eq!(reply.json()["error"]["code"], "unsupported-media-type");
    }
    for content_type in [None, Some("application/json; charset=utf-8"), Some("Application/JSON")] {
        let reply = call_typed(addr, "POST", "/v1/run", Some(ACME), content_type, Some(code.clone())).await;
        assert_eq!(reply.status, 200, "{content_type:?}: {}", reply.text());
        assert_eq!(reply.json()["value"], 42);
    }
    // A long unknown field name does not come back whole.
    let long = format!("{{\"code\": \"1\", \"{}\": 1}}", "f".repeat(20_000));
    let reply = call(addr, "POST", "/v1/run", Some(ACME), Some(long.into_bytes())).await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.len() < 2048, "{} bytes", reply.body.len());
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_granted_kv_is_scoped_to_the_tenant() {
    let (addr, handle) = start("").await;
    let put = |value: &str| {
        json!({ "code": format!("await env.kv.put('shared', '{value}'); await env.kv.put('{value}-only', '1'); 0"),
                "capabilities": ["kv"] })
    };
    assert_eq!(run(addr, Some(ACME), put("a")).await.json()["value"], 0);
    assert_eq!(run(addr, Some(BETA), put("b")).await.json()["value"], 0);
    let read = json!({ "code": "({ v: await env.kv.get('shared'), keys: (await env.kv.list()).keys.map((k) => k.name) })",
                       "capabilities": ["kv"] });
    let acme = run(addr, Some(ACME), read.clone()).await.json();
    assert_eq!(
        acme["value"],
        json!({ "v": "a", "keys": ["a-only", "shared"] }),
        "{acme}"
    );
    assert_eq!(acme["calls"].as_array().map(Vec::len), Some(2));
    let beta = run(addr, Some(BETA), read).await.json();
    assert_eq!(beta["value"], json!({ "v": "b", "keys": ["b-only", "shared"] }));
    // Without the grant there is no env.kv.
    let reply = run(addr, Some(ACME), json!({ "code": "typeof env.kv" })).await;
    assert_eq!(reply.json()["value"], "undefined");
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn an_egress_policy_by_name_lets_fetch_reach_a_loopback_server() {
    let upstream = Upstream::http();
    let (addr, handle) = start_with(config("", upstream.port())).await;
    let code = format!(
        "const r = await fetch('http://127.0.0.1:{}/echo'); ({{ status: r.status, body: await r.json() }})",
        upstream.port()
    );
    let reply = run(addr, Some(ACME), json!({ "code": code, "egress": "local" })).await;
    let body = reply.json();
    assert_eq!(body["value"]["status"], 200, "{body}");
    assert_eq!(body["value"]["body"]["method"], "GET");
    assert_eq!(body["egress"][0]["decision"], "allowed");
    // Without naming the policy, the same fetch is refused.
    let reply = run(addr, Some(ACME), json!({ "code": code })).await;
    assert_eq!(reply.json()["error"]["kind"], "js-error");
    assert_eq!(reply.json()["egress"][0]["decision"], "denied");
    let metrics = handle.metrics().render();
    assert_eq!(
        sample(&metrics, "isobox_egress_requests_total{decision=\"allowed\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&metrics, "isobox_egress_requests_total{decision=\"denied\"}"),
        Some(1.0)
    );
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn past_the_bounds_requests_get_503_with_retry_after_while_runs_in_flight_succeed() {
    let (addr, handle) = start("max_in_flight = 1\nmax_queued = 1\nretry_after_secs = 2").await;
    let slow = json!({ "code": SLOW });
    let first = tokio::spawn(async move { run(addr, Some(ACME), json!({ "code": SLOW })).await });
    wait_for_gauge(&handle, "isobox_sandboxes_in_flight", 1.0).await;
    let second = tokio::spawn(async move { run(addr, Some(BETA), json!({ "code": SLOW })).await });
    wait_for_gauge(&handle, "isobox_requests_queued", 1.0).await;
    let third = run(addr, Some(ACME), slow).await;
    assert_eq!(third.status, 503, "{}", third.text());
    assert_eq!(third.header("retry-after"), Some("2"));
    assert_eq!(third.json()["error"]["code"], "overloaded");
    let first = first.await.expect("first");
    let second = second.await.expect("second");
    assert_eq!(first.json()["value"], "slow done");
    assert_eq!(
        second.json()["value"],
        "slow done",
        "the queued request ran after the first"
    );
    let metrics = handle.metrics().render();
    assert_eq!(
        sample(&metrics, "isobox_http_responses_total{status=\"503\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&metrics, "isobox_sandboxes_in_flight"), Some(0.0));
    assert_eq!(sample(&metrics, "isobox_requests_queued"), Some(0.0));
    // Once the slots are free again, requests run.
    assert_eq!(run(addr, Some(ACME), json!({ "code": "2" })).await.json()["value"], 2);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn graceful_shutdown_lets_a_run_in_flight_finish() {
    let (addr, handle) = start("").await;
    let in_flight = tokio::spawn(async move { run(addr, Some(ACME), json!({ "code": SLOW })).await });
    wait_for_gauge(&handle, "isobox_sandboxes_in_flight", 1.0).await;
    let started = Instant::now();
    assert_eq!(handle.shutdown().await.expect("shutdown"), Finished::Drained);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "shutdown waited for the run"
    );
    let reply = in_flight.await.expect("the run");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["value"], "slow done");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn shutdown_drops_runs_past_the_grace_period() {
    let (addr, handle) = start_with(config("shutdown_grace_ms = 100", 9)).await;
    let _in_flight = tokio::spawn(async move { run(addr, Some(ACME), json!({ "code": SLOW })).await });
    wait_for_gauge(&handle, "isobox_sandboxes_in_flight", 1.0).await;
    assert_eq!(handle.shutdown().await.expect("shutdown"), Finished::DeadlinePassed);
}

#[tokio::test]
async fn metrics_count_runs_by_outcome_and_latency() {
    let (addr, handle) = start("").await;
    let before = call(addr, "GET", "/metrics", None, None).await;
    assert_eq!(before.status, 200);
    assert!(
        before
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    assert_eq!(sample(&before.text(), "isobox_run_duration_seconds_count"), Some(0.0));
    run(addr, Some(ACME), json!({ "code": "1" })).await;
    run(addr, Some(ACME), json!({ "code": "2" })).await;
    run(addr, Some(ACME), json!({ "code": "throw 1" })).await;
    run(addr, None, json!({ "code": "1" })).await;
    let text = call(addr, "GET", "/metrics", None, None).await.text();
    assert_eq!(sample(&text, "isobox_runs_total{outcome=\"ok\"}"), Some(2.0), "{text}");
    assert_eq!(sample(&text, "isobox_runs_total{outcome=\"js-error\"}"), Some(1.0));
    assert_eq!(sample(&text, "isobox_run_duration_seconds_count"), Some(3.0));
    assert_eq!(
        sample(&text, "isobox_run_duration_seconds_bucket{le=\"+Inf\"}"),
        Some(3.0)
    );
    assert_eq!(
        sample(&text, "isobox_run_duration_seconds_bucket{le=\"60\"}"),
        Some(3.0)
    );
    assert_eq!(sample(&text, "isobox_http_responses_total{status=\"200\"}"), Some(3.0));
    assert_eq!(sample(&text, "isobox_http_responses_total{status=\"401\"}"), Some(1.0));
    assert!(text.contains("# TYPE isobox_run_duration_seconds histogram"));
    // Per tenant, the slots and the build.
    assert_eq!(
        sample(&text, "isobox_tenant_runs_total{tenant=\"acme\",outcome=\"ok\"}"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "isobox_tenant_runs_total{tenant=\"acme\",outcome=\"js-error\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&text, "isobox_run_slots"), Some(64.0), "{text}");
    assert!(text.contains(&format!(
        "isobox_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    )));
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn healthz_and_openapi() {
    let (addr, handle) = start("").await;
    let health = call(addr, "GET", "/healthz", None, None).await;
    assert_eq!((health.status, health.json()), (200, json!({ "status": "ok" })));
    let reply = call(addr, "GET", "/openapi.json", None, None).await;
    assert_eq!(reply.status, 200);
    let spec = reply.json();
    assert_eq!(spec["openapi"], "3.1.0");
    for (path, method) in [
        ("/v1/run", "post"),
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(spec["paths"][path][method].is_object(), "{method} {path} is described");
    }
    for status in ["200", "400", "401", "403", "413", "503"] {
        assert!(
            spec["paths"]["/v1/run"]["post"]["responses"][status].is_object(),
            "{status}"
        );
    }
    assert_eq!(call(addr, "GET", "/nope", None, None).await.status, 404);
    assert_eq!(call(addr, "GET", "/v1/run", None, None).await.status, 405);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn the_cli_serves_from_a_config_file() {
    let dir = std::env::temp_dir().join(format!("isobox-serve-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("local.toml"), "[[allow]]\nhost = \"127.0.0.1\"\nports = [9]\n").expect("policy");
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        "[policies.local]\nfile = \"local.toml\"\n[tenants.cli]\nkey_env = [\"ISOBOX_TEST_KEY\"]\negress = [\"local\"]\n",
    )
    .expect("config");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log",
            "info",
            "--log-format",
            "json",
            "--config",
        ])
        .arg(&config)
        .env("ISOBOX_TEST_KEY", "cli-key")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting isobox serve");
    let addr = listening_address(&mut child);
    let reply = run(addr, Some("cli-key"), json!({ "code": "6 * 7", "egress": "local" })).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["value"], 42);
    let id = reply.header("x-request-id").expect("id").to_owned();
    assert_eq!(run(addr, Some("wrong"), json!({ "code": "1" })).await.status, 401);
    // SIGTERM: a graceful stop and exit 0.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("waiting for isobox serve");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(stderr.contains(&id), "the request id is logged: {stderr}");
    // One JSON object per line; each run's event has its tenant and outcome.
    let events: Vec<Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let run = events
        .iter()
        .find(|e| e["target"] == "isobox::run")
        .unwrap_or_else(|| panic!("no run event: {stderr}"));
    assert_eq!(run["fields"]["tenant"], "cli", "{run}");
    assert_eq!(run["fields"]["outcome"], "ok");
    assert!(run["fields"]["wall_time_us"].as_u64().is_some_and(|t| t > 0), "{run}");
    assert_eq!(run["span"]["request_id"], json!(id), "{run}");
    assert!(!stderr.contains("cli-key"), "keys are never logged: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The address a spawned `isobox serve` prints as its first line.
pub(crate) fn listening_address(child: &mut std::process::Child) -> SocketAddr {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reading the address");
    line.trim()
        .strip_prefix("isobox serve listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("an address")
}

#[tokio::test]
async fn bare_isobox_serve_is_a_local_development_setup() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting isobox serve");
    let addr = listening_address(&mut child);
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut key = None;
    for _ in 0..20 {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("reading stderr") == 0 {
            break;
        }
        if let Some(found) = line.trim().strip_prefix("API key (shown once): ") {
            key = Some(found.to_owned());
            break;
        }
    }
    let key = key.expect("the key is printed once");
    assert_eq!(key.len(), 64);
    // The built-ins work for the one tenant; nothing reaches the network.
    let code = "await env.kv.put('n', '6'); const n = Number(await env.kv.get('n'));
                let net; try { await fetch('http://127.0.0.1:9/'); net = 'reached'; } catch (e) { net = e.message; }
                ({ product: n * 7, net })";
    let reply = run(
        addr,
        Some(&key),
        json!({ "code": code, "capabilities": ["kv", "todo"] }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let v = reply.json();
    assert_eq!(v["value"]["product"], 42, "{v}");
    assert!(v["value"]["net"].as_str().unwrap().contains("no network access"), "{v}");
    assert_eq!(run(addr, Some("guess"), json!({ "code": "1" })).await.status, 401);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("waiting for isobox serve");
    assert!(status.success(), "{status:?}");

    // Anywhere but loopback needs a config.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .expect("running isobox serve");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("loopback only") && stderr.contains("--config"),
        "{stderr}"
    );
}

#[test]
fn the_openapi_file_parses_and_names_every_route() {
    let spec: Value = serde_json::from_str(isobox_serve::OPENAPI_JSON).expect("openapi.json parses");
    let paths: Vec<&String> = spec["paths"].as_object().expect("paths").keys().collect();
    assert_eq!(
        paths,
        [
            "/v1/run",
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/v1/dispatch",
            "/v1/workers",
            "/v1/workers/{name}",
            "/v1/workers/{name}/{path}",
            "/v1/runs",
            "/v1/runs/{id}",
            "/v1/runs/{id}/journal",
            "/v1/runs/{id}/approve",
            "/v1/runs/{id}/reject",
            "/v1/runs/{id}/replay",
            "/v1/runs/{id}/snippet",
            "/v1/snippets",
            "/v1/snippets/{name}",
            "/v1/snippets/{name}/run",
            "/console"
        ]
    );
}
