//! `isobox mcp --history --gate`: runs kept and paused at gates, decided
//! by the person behind the client (MCP elicitation, a real rmcp client
//! that answers the form) or by the agent (`decide`), read back with
//! `runs`, saved as snippets that `search` finds and `execute` runs.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use rmcp::model::{ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationCapability};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::mcp::{call, text};

/// A client whose person answers every approval form with `approve`.
#[derive(Clone)]
struct Person {
    approve: bool,
    asked: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Person {
    fn get_info(&self) -> ClientConfig {
        let mut info = ClientConfig::default();
        info.capabilities.elicitation = Some(ElicitationCapability::default());
        info
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.asked.lock().unwrap().push(message);
        }
        let content = if self.approve {
            json!({ "approve": true })
        } else {
            json!({ "approve": false, "reason": "not on a Sunday" })
        };
        let mut result = ElicitResult::new(ElicitationAction::Accept);
        result.content = Some(content);
        Ok(result)
    }
}

async fn client<H: ClientHandler>(handler: H, store: &Path, extra: &[&str]) -> RunningService<RoleClient, H> {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_isobox"));
    command
        .args(["mcp", "--grant", "kv", "--history", "--gate", "kv.put", "--store"])
        .arg(store)
        .args(extra)
        .kill_on_drop(true);
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting isobox mcp");
    handler.serve(transport).await.expect("the MCP handshake")
}

const BUMP: &str = "async (input, env) => { const n = Number((await env.kv.get('n')) ?? '0'); \
                    await env.kv.put('n', String(n + input.by)); return n + input.by }";

fn structured(result: &rmcp::model::CallToolResult) -> Value {
    result
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("no structured content: {}", text(result)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_supports_elicitation_asks_its_person_and_the_run_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("mcp.db");
    let asked = Arc::new(Mutex::new(Vec::new()));
    let approving = client(
        Person {
            approve: true,
            asked: asked.clone(),
        },
        &store,
        &[],
    )
    .await;
    let done = call(&approving, "execute", json!({ "code": BUMP, "input": { "by": 2 } })).await;
    let body = structured(&done);
    assert_eq!(body["value"], 2, "{body}");
    assert!(body["run_id"].is_string());
    let asked_about = asked.lock().unwrap().clone();
    assert_eq!(asked_about.len(), 1);
    assert!(asked_about[0].contains("env.kv.put(\"n\",\"2\")"), "{asked_about:?}");
    // The run is kept with the person's decision.
    let read = structured(&call(&approving, "runs", json!({ "run_id": body["run_id"] })).await);
    assert_eq!(read["status"], "ok");
    assert_eq!(read["gates"][0]["decision"]["decision"], "approved", "{read}");
    approving.cancel().await.unwrap();

    // A person who says no: the call throws in the code.
    let refusing = client(
        Person {
            approve: false,
            asked: Arc::new(Mutex::new(Vec::new())),
        },
        &store,
        &[],
    )
    .await;
    let refused = call(&refusing, "execute", json!({ "code": BUMP, "input": { "by": 5 } })).await;
    assert_eq!(refused.is_error, Some(true));
    let message = text(&refused);
    assert!(
        message.contains("ApprovalRejectedError") && message.contains("not on a Sunday"),
        "{message}"
    );
    let value = call(&refusing, "execute", json!({ "code": "await env.kv.get('n')" })).await;
    assert_eq!(structured(&value)["value"], "2", "nothing written by the rejected run");
    refusing.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_elicitation_the_run_waits_and_snippets_are_kept_and_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("mcp.db");
    let agent = client((), &store, &["--agent-decides"]).await;
    let tools: Vec<String> = agent
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    for name in ["execute", "search", "describe", "runs", "save_snippet", "decide"] {
        assert!(tools.contains(&name.to_owned()), "{tools:?}");
    }
    let paused = structured(&call(&agent, "execute", json!({ "code": BUMP, "input": { "by": 3 } })).await);
    assert_eq!(paused["status"], "pending-approval", "{paused}");
    assert_eq!(paused["pending"][0], "env.kv.put(\"n\",\"3\")");
    let id = paused["run_id"].as_str().unwrap().to_owned();
    let listed = structured(&call(&agent, "runs", json!({})).await);
    assert_eq!(listed["runs"][0]["run_id"], json!(id));
    assert_eq!(listed["runs"][0]["status"], "pending-approval");

    let decided = structured(&call(&agent, "decide", json!({ "run_id": id, "approve": true })).await);
    assert_eq!(decided["value"], 3, "{decided}");
    let again = call(&agent, "decide", json!({ "run_id": id, "approve": true })).await;
    assert_eq!(again.is_error, Some(true), "decided once only");

    // The run's code as a snippet; search finds it; execute runs it by name.
    let saved = call(
        &agent,
        "save_snippet",
        json!({ "name": "read-counter", "description": "Reads the visit counter",
                "code": "async (input, env) => Number((await env.kv.get('n')) ?? '0') + input.extra",
                "input_schema": { "type": "object", "properties": { "extra": { "type": "number" } } } }),
    )
    .await;
    assert_eq!(saved.is_error, Some(false), "{}", text(&saved));
    let found = text(&call(&agent, "search", json!({ "query": "visit counter" })).await);
    assert!(
        found.contains("snippet \"read-counter\"") && found.contains("Reads the visit counter"),
        "{found}"
    );
    let by_name = structured(
        &call(
            &agent,
            "execute",
            json!({ "snippet": "read-counter", "input": { "extra": 10 } }),
        )
        .await,
    );
    assert_eq!(by_name["value"], 13, "{by_name}");
    let from_run = call(&agent, "save_snippet", json!({ "name": "bump", "run_id": id })).await;
    assert_eq!(from_run.is_error, Some(false), "{}", text(&from_run));
    let missing = call(&agent, "execute", json!({ "snippet": "nope" })).await;
    assert_eq!(missing.is_error, Some(true));
    agent.cancel().await.unwrap();

    // Without --agent-decides there is no decide tool.
    let plain = client((), &store, &[]).await;
    let tools: Vec<String> = plain
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(!tools.contains(&"decide".to_owned()), "{tools:?}");
    plain.cancel().await.unwrap();
}

/// One JSON-RPC message POSTed to `url` as an MCP client sends it; the
/// status, the session id header and the body.
async fn post_mcp(url: &str, session: Option<&str>, body: Value) -> (u16, Option<String>, String) {
    use http_body_util::{BodyExt, Full};
    let uri: hyper::Uri = url.parse().unwrap();
    let authority = uri.authority().unwrap().to_string();
    let stream = tokio::net::TcpStream::connect(&authority).await.expect("connecting");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let mut request = hyper::Request::builder()
        .method("POST")
        .uri(uri.path())
        .header("host", authority)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18");
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let request = request.body(Full::new(bytes::Bytes::from(body.to_string()))).unwrap();
    let response = sender.send_request(request).await.expect("sending");
    let status = response.status().as_u16();
    let session = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // A streamed answer ends once its result event is out: read up to it.
    let mut body = response.into_body();
    let mut text = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while let Ok(Some(frame)) = tokio::time::timeout_at(deadline.into(), body.frame()).await {
        if let Ok(data) = frame.expect("a body frame").into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        if text.contains("\"result\"") || text.contains("\"error\"") {
            break;
        }
    }
    (status, session, text)
}

async fn mcp_http(store: &Path) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["mcp", "--http", "127.0.0.1:0", "--grant", "kv", "--store"])
        .arg(store)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting isobox mcp --http");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next_line().await.unwrap().expect("the address line");
        if let Some(url) = line.strip_prefix("isobox mcp: listening on ") {
            break url.to_owned();
        }
    };
    (child, url)
}

/// Two `isobox mcp --http` processes on one store file serve the same
/// session: a client that initialized with the first continues with the
/// second (its session restored from the store). With a store of its own
/// each (`memory`), the second does not know the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_sessions_live_in_the_store_and_any_process_on_it_serves_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("shared.db");
    let (_first, first) = mcp_http(&store).await;
    let (_second, second) = mcp_http(&store).await;
    let initialize = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "replica-test", "version": "1" } } });
    let (status, session, _) = post_mcp(&first, None, initialize.clone()).await;
    assert_eq!(status, 200);
    let session = session.expect("a session id");
    let (status, _, _) = post_mcp(
        &first,
        Some(&session),
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
    )
    .await;
    assert_eq!(status, 202);
    let execute = json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": { "name": "execute", "arguments": { "code": "await env.kv.put('via', 'second'); 6 * 7" } } });
    let (status, _, body) = post_mcp(&second, Some(&session), execute.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("42"),
        "the second process answered the first's session: {body}"
    );

    // Without a shared store, a session belongs to its process.
    let (_third, third) = mcp_http(Path::new("memory")).await;
    let (status, _, body) = post_mcp(&third, Some(&session), execute).await;
    assert_eq!(status, 404, "{body}");
}
