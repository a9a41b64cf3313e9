//! OpenTelemetry from `isobox serve`: a real `isobox serve` process with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an OTLP/HTTP receiver in the
//! test (requests decoded with the specification's message types, from
//! opentelemetry-proto). A request with a W3C `traceparent` gives one trace:
//! the request's span (the caller's span its parent), the run's under it,
//! and under the run each capability call and each fetch; the run's log
//! event carries the trace too. The export never holds serving: with the
//! collector gone, runs are answered as before.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message as _;
use serde_json::json;

use crate::serve::{call_with, listening_address, run};
use crate::upstream::Upstream;

const KEY: &str = "telemetry-key";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

/// A span as the receiver got it.
#[derive(Clone, Debug)]
struct Span {
    name: String,
    trace_id: String,
    span_id: String,
    parent: String,
    kind: i32,
    error: bool,
    attributes: BTreeMap<String, String>,
    service: String,
}

/// A log record as the receiver got it.
#[derive(Clone, Debug)]
struct Log {
    body: String,
    trace_id: String,
    attributes: BTreeMap<String, String>,
}

#[derive(Default)]
struct Received {
    spans: Vec<Span>,
    logs: Vec<Log>,
    content_types: Vec<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(value: &AnyValue) -> String {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attributes(list: &[KeyValue]) -> BTreeMap<String, String> {
    list.iter()
        .map(|kv| (kv.key.clone(), kv.value.as_ref().map(text).unwrap_or_default()))
        .collect()
}

/// An OTLP/HTTP receiver on 127.0.0.1 (protobuf or JSON bodies).
async fn receiver() -> (SocketAddr, Arc<Mutex<Received>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding");
    let addr = listener.local_addr().expect("address");
    let received = Arc::new(Mutex::new(Received::default()));
    let shared = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let shared = shared.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let shared = shared.clone();
                    async move { Ok::<_, Infallible>(receive(&shared, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    (addr, received)
}

async fn receive(shared: &Mutex<Received>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let json = content_type.starts_with("application/json");
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut received = shared.lock().unwrap();
    received.content_types.push(content_type.clone());
    match path.as_str() {
        "/v1/traces" => {
            let export: ExportTraceServiceRequest = if json {
                serde_json::from_slice(&body).expect("OTLP JSON traces")
            } else {
                ExportTraceServiceRequest::decode(body.as_ref()).expect("OTLP protobuf traces")
            };
            for resource in export.resource_spans {
                let service = resource
                    .resource
                    .as_ref()
                    .and_then(|r| attributes(&r.attributes).get("service.name").cloned())
                    .unwrap_or_default();
                for scope in resource.scope_spans {
                    for span in scope.spans {
                        received.spans.push(Span {
                            name: span.name,
                            trace_id: hex(&span.trace_id),
                            span_id: hex(&span.span_id),
                            parent: hex(&span.parent_span_id),
                            kind: span.kind,
                            error: span.status.is_some_and(|s| s.code == 2),
                            attributes: attributes(&span.attributes),
                            service: service.clone(),
                        });
                    }
                }
            }
        }
        "/v1/logs" => {
            let export: ExportLogsServiceRequest = if json {
                serde_json::from_slice(&body).expect("OTLP JSON logs")
            } else {
                ExportLogsServiceRequest::decode(body.as_ref()).expect("OTLP protobuf logs")
            };
            for resource in export.resource_logs {
                for scope in resource.scope_logs {
                    for record in scope.log_records {
                        received.logs.push(Log {
                            body: record.body.as_ref().map(text).unwrap_or_default(),
                            trace_id: hex(&record.trace_id),
                            attributes: attributes(&record.attributes),
                        });
                    }
                }
            }
        }
        _ => return Response::builder().status(404).body(Full::default()).unwrap(),
    }
    let reply = if json { Bytes::from_static(b"{}") } else { Bytes::new() };
    Response::builder()
        .header(
            "content-type",
            if json {
                "application/json"
            } else {
                "application/x-protobuf"
            },
        )
        .body(Full::new(reply))
        .unwrap()
}

/// An `isobox serve` process, killed if the test ends early.
struct Serve(Option<Child>, SocketAddr);

impl Serve {
    fn start(config: &std::path::Path, env: &[(&str, String)]) -> Serve {
        let mut command = Command::new(env!("CARGO_BIN_EXE_isobox"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .env("TELEMETRY_KEY", KEY)
            .env_remove("OTEL_SDK_DISABLED")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("starting isobox serve");
        let addr = listening_address(&mut child);
        Serve(Some(child), addr)
    }

    /// SIGTERM, then the exit status (the export is flushed on the way out).
    fn stop(mut self) -> std::process::ExitStatus {
        let mut child = self.0.take().expect("running");
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        child.wait().expect("waiting")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn config(dir: &std::path::Path, upstream: u16) -> std::path::PathBuf {
    let file = dir.join("serve.toml");
    std::fs::write(
        &file,
        format!(
            "[policies.local]\n[[policies.local.allow]]\nhost = \"127.0.0.1\"\nports = [{upstream}]\n\
             [tenants.acme]\nkey_env = [\"TELEMETRY_KEY\"]\ncapabilities = [\"kv\"]\negress = [\"local\"]\n"
        ),
    )
    .unwrap();
    file
}

const CODE: &str = "await env.kv.put('k', 'v');
    const reply = await fetch(input.url);
    return { kv: await env.kv.get('k'), status: reply.status };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_with_traceparent_is_one_trace_of_request_run_calls_and_fetches() {
    let upstream = Upstream::http();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), upstream.port());
    for protocol in ["http/protobuf", "http/json"] {
        let (collector, received) = receiver().await;
        let serve = Serve::start(
            &config,
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}")),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_owned()),
                ("OTEL_SERVICE_NAME", "isobox-under-test".to_owned()),
            ],
        );
        let traceparent = format!("00-{TRACE_ID}-{PARENT_ID}-01");
        let body = json!({
            "code": CODE,
            "capabilities": ["kv"],
            "egress": "local",
            "input": { "url": format!("http://127.0.0.1:{}/echo/x?secret=1", upstream.port()) },
        });
        let reply = call_with(
            serve.1,
            "POST",
            "/v1/run",
            Some(KEY),
            &[("content-type", "application/json"), ("traceparent", &traceparent)],
            Some(body.to_string().into_bytes()),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.json()["value"], json!({ "kv": "v", "status": 200 }));
        // A request without traceparent starts a trace of its own.
        assert_eq!(run(serve.1, Some(KEY), json!({ "code": "1" })).await.status, 200);
        assert!(serve.stop().success());

        let received = received.lock().unwrap();
        assert!(
            received
                .content_types
                .iter()
                .all(|t| t.starts_with(if protocol == "http/json" {
                    "application/json"
                } else {
                    "application/x-protobuf"
                })),
            "{protocol}: {:?}",
            received.content_types
        );
        let traced: Vec<&Span> = received.spans.iter().filter(|s| s.trace_id == TRACE_ID).collect();
        let named = |name: &str| {
            traced
                .iter()
                .find(|s| s.name == name)
                .copied()
                .unwrap_or_else(|| panic!("{protocol}: no span {name} in {traced:#?}"))
        };
        let request = named("POST /v1/run");
        assert_eq!(request.parent, PARENT_ID, "the caller's span is the request's parent");
        assert_eq!(request.kind, 2, "a server span");
        assert_eq!(request.service, "isobox-under-test");
        assert_eq!(
            request.attributes.get("http.response.status_code").map(String::as_str),
            Some("200")
        );
        assert_eq!(request.attributes.get("tenant").map(String::as_str), Some("acme"));
        let run_span = named("run");
        assert_eq!(run_span.parent, request.span_id, "{protocol}");
        for call in ["kv.put", "kv.get"] {
            let call = named(call);
            assert_eq!(call.parent, run_span.span_id, "{protocol}: {call:?}");
            assert!(!call.error);
        }
        let fetch = named("GET");
        assert_eq!(fetch.parent, run_span.span_id);
        assert_eq!(fetch.kind, 3, "a client span");
        assert_eq!(
            fetch.attributes.get("http.response.status_code").map(String::as_str),
            Some("200")
        );
        let url = &fetch.attributes["url.full"];
        assert!(
            url.ends_with("/echo/x") && !url.contains("secret"),
            "no query in a trace: {url}"
        );
        // The untraced request has a trace of its own, with no parent.
        let others: Vec<&Span> = received
            .spans
            .iter()
            .filter(|s| s.trace_id != TRACE_ID && s.name == "POST /v1/run")
            .collect();
        assert_eq!(others.len(), 1, "{protocol}");
        assert!(others[0].parent.is_empty() || others[0].parent == "0000000000000000");
        // The run's event is a log record in the same trace.
        let finished = received
            .logs
            .iter()
            .find(|l| l.body == "run finished" && l.trace_id == TRACE_ID)
            .unwrap_or_else(|| panic!("{protocol}: no run event in {:#?}", received.logs));
        assert_eq!(finished.attributes.get("outcome").map(String::as_str), Some("ok"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_is_gone_never_holds_a_run_and_a_bad_protocol_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), 9);
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let serve = Serve::start(
        &config,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{closed}")),
            ("OTEL_BSP_SCHEDULE_DELAY", "10".to_owned()),
        ],
    );
    for _ in 0..5 {
        let reply = run(
            serve.1,
            Some(KEY),
            json!({ "code": "await env.kv.put('a', 'b'); 6 * 7", "capabilities": ["kv"] }),
        )
        .await;
        assert_eq!((reply.status, reply.json()["value"].clone()), (200, json!(42)));
    }
    assert!(serve.stop().success(), "it still stops cleanly");

    let refused = Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("TELEMETRY_KEY", KEY)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .output()
        .expect("running isobox serve");
    assert_eq!(refused.status.code(), Some(2), "a usage error");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("OTLP over HTTP only"), "{stderr}");
}
