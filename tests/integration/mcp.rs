//! `isobox mcp` with real MCP clients: rmcp's, over stdio (the binary as a
//! child process) and streamable HTTP; the official TypeScript SDK over
//! stdio; and a real upstream server from npm
//! (@modelcontextprotocol/server-memory, run by the machine's node) whose
//! tools the sandboxed code chains. The npm packages are installed by
//! tests/mcp/install.sh (`make test` runs it); without them these tests
//! fail, saying so.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

pub(crate) type Client = RunningService<RoleClient, ()>;

fn isobox() -> &'static str {
    env!("CARGO_BIN_EXE_isobox")
}

/// tests/mcp, where the npm fixtures are.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/mcp")
}

/// A path inside tests/mcp/node_modules, which must have been installed.
fn node_module(path: &str) -> PathBuf {
    let full = fixtures().join("node_modules").join(path);
    assert!(
        full.exists(),
        "{} is missing: run `bash tests/mcp/install.sh` (make test does) to install the pinned npm packages",
        full.display()
    );
    full
}

/// The upstream spec of server-memory, storing its graph in `dir`.
fn memory_upstream() -> String {
    let server = node_module("@modelcontextprotocol/server-memory/dist/index.js");
    format!("memory=node '{}'", server.display())
}

/// A fresh scratch directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("isobox-mcp-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a scratch dir");
    dir
}

/// `isobox mcp ARGS` as a child process, with an rmcp client on its stdio.
async fn stdio_client(args: &[&str], env: &[(&str, &Path)]) -> Client {
    let mut command = tokio::process::Command::new(isobox());
    command.arg("mcp").args(args).kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting isobox mcp");
    ().serve(transport).await.expect("the MCP handshake with isobox mcp")
}

pub(crate) async fn call<H: rmcp::ClientHandler>(
    client: &RunningService<RoleClient, H>,
    tool: &str,
    arguments: Value,
) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

pub(crate) fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn execute(client: &Client, code: &str) -> CallToolResult {
    call(client, "execute", json!({ "code": code })).await
}

/// The structured result of a successful execute, checked against its text.
fn value(result: &CallToolResult) -> Value {
    let structured = result
        .structured_content
        .clone()
        .expect("execute returns structured content");
    let from_text: Value = serde_json::from_str(&text(result)).expect("the text content is JSON");
    assert_eq!(structured, from_text);
    assert_eq!(result.is_error, Some(false), "{structured}");
    structured["value"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_lists_the_tools_and_runs_code() {
    let client = stdio_client(&["--grant", "kv"], &[]).await;
    let info = client.peer_info().expect("server info");
    let instructions = info.instructions.clone().unwrap_or_default();
    assert!(instructions.contains("env.kv"), "{instructions}");

    let tools = client.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["execute", "search", "describe"]);
    for tool in &tools {
        let description = tool.description.as_deref().unwrap_or_default();
        assert!(description.contains("Example: {"), "{}: {description}", tool.name);
    }
    let execute_doc = tools[0].description.as_deref().unwrap_or_default();
    assert!(execute_doc.contains("env.kv"), "{execute_doc}");

    // A trivial run: the value and the console lines come back.
    let result = call(
        &client,
        "execute",
        json!({ "code": "async (input) => { console.log('hi'); console.warn('w'); return input.n * 2 }",
                "input": { "n": 21 } }),
    )
    .await;
    assert_eq!(value(&result), json!(42));
    assert_eq!(
        result.structured_content.as_ref().unwrap()["logs"],
        json!(["hi", "warn: w"])
    );

    // TypeScript by default; lang: js refuses types.
    let typed = execute(&client, "const n: number = 20; n + 1").await;
    assert_eq!(value(&typed), json!(21));
    let js = call(
        &client,
        "execute",
        json!({ "code": "const n: number = 1; n", "lang": "js" }),
    )
    .await;
    assert_eq!(js.is_error, Some(true), "{}", text(&js));
    assert_eq!(js.structured_content.unwrap()["error"]["kind"], json!("syntax-error"));

    // A failed run is a tool error with the error's kind, name and message.
    let failed = execute(&client, "throw new TypeError('nope')").await;
    assert_eq!(failed.is_error, Some(true));
    let error = &failed.structured_content.as_ref().unwrap()["error"];
    assert_eq!(error["kind"], json!("js-error"));
    assert_eq!(error["name"], json!("TypeError"));
    assert_eq!(error["message"], json!("nope"));

    // The kv grant: one run writes and reads; a later run (a fresh
    // sandbox) still sees what the capability stored.
    let kv = execute(
        &client,
        "async (input, env) => { await env.kv.put('greeting', 'hello'); return await env.kv.get('greeting') }",
    )
    .await;
    assert_eq!(value(&kv), json!("hello"));
    let again = execute(&client, "await env.kv.get('greeting')").await;
    assert_eq!(value(&again), json!("hello"));

    // Bad arguments are a tool error the model can read.
    let bad = call(&client, "execute", json!({ "source": "1" })).await;
    assert_eq!(bad.is_error, Some(true));
    assert!(text(&bad).contains("bad arguments"), "{}", text(&bad));

    client.cancel().await.expect("closing the client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_and_describe_show_typescript() {
    let client = stdio_client(&["--grant", "kv", "--grant", "tasks=todo"], &[]).await;

    let found = text(&call(&client, "search", json!({ "query": "put" })).await);
    assert!(found.starts_with("// env.kv.put\n"), "{found}");
    assert!(
        found.contains("put(key: string, value: string, options?: kv.PutOptions | null): Promise<kv.Written>"),
        "{found}"
    );

    let fetch = text(&call(&client, "search", json!({ "query": "fetch" })).await);
    assert!(fetch.contains("declare function fetch("), "{fetch}");

    let all = text(&call(&client, "describe", json!({})).await);
    assert!(all.contains("declare namespace env {"), "{all}");
    assert!(all.contains("const kv: {") && all.contains("const tasks: {"), "{all}");

    let kv = text(&call(&client, "describe", json!({ "name": "kv" })).await);
    assert!(kv.contains("const kv: {") && !kv.contains("const tasks"), "{kv}");

    let globals = text(&call(&client, "describe", json!({ "name": "globals" })).await);
    assert!(globals.contains("declare class URL"), "{globals}");

    let unknown = call(&client, "describe", json!({ "name": "nothing" })).await;
    assert_eq!(unknown.is_error, Some(true));
    assert!(text(&unknown).contains("kv, tasks"), "{}", text(&unknown));

    client.cancel().await.expect("closing the client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamable_http_serves_the_same_tools() {
    let mut child = tokio::process::Command::new(isobox())
        .args(["mcp", "--http", "127.0.0.1:0", "--grant", "kv"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting isobox mcp --http");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = lines
            .next_line()
            .await
            .expect("reading stderr")
            .expect("isobox mcp --http exited before printing its address");
        if let Some(url) = line.strip_prefix("isobox mcp: listening on ") {
            break url.to_owned();
        }
    };
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"), "{url}");

    let client = ().serve(StreamableHttpClientTransport::from_uri(url.as_str())).await.expect("MCP over HTTP");
    let tools = client.list_all_tools().await.expect("tools/list");
    assert_eq!(tools.len(), 3);
    let result = execute(
        &client,
        "async (input, env) => { await env.kv.put('a', '1'); return [1, 2, 3].map(x => x * 2) }",
    )
    .await;
    assert_eq!(value(&result), json!([2, 4, 6]));

    // A second client (its own session) shares the engine and the grants.
    let other = ().serve(StreamableHttpClientTransport::from_uri(url.as_str())).await.expect("a second session");
    let read = execute(&other, "await env.kv.get('a')").await;
    assert_eq!(value(&read), json!("1"));
    let described = text(&call(&other, "describe", json!({ "name": "kv" })).await);
    assert!(described.contains("const kv: {"), "{described}");

    other.cancel().await.expect("closing");
    client.cancel().await.expect("closing");
    child.start_kill().expect("stopping the server");
    let _ = child.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_execute_chains_upstream_memory_calls() {
    let dir = scratch("memory-chain");
    let file = dir.join("memory.jsonl");
    let upstream = memory_upstream();
    let client = stdio_client(&["--upstream", &upstream], &[("MEMORY_FILE_PATH", &file)]).await;

    let described = text(&call(&client, "describe", json!({ "name": "memory" })).await);
    for method in ["createEntities(", "addObservations(", "readGraph(", "searchNodes("] {
        assert!(described.contains(method), "{method} missing from:\n{described}");
    }
    let found = text(&call(&client, "search", json!({ "query": "add observations" })).await);
    assert!(found.starts_with("// env.memory.addObservations\n"), "{found}");

    let code = r#"
        async (input, env) => {
          await env.memory.createEntities({ entities: [
            { name: 'ada', entityType: 'person', observations: ['wrote the first program'] },
            { name: 'engine', entityType: 'machine', observations: [] },
          ] });
          await env.memory.createRelations({ relations: [{ from: 'ada', to: 'engine', relationType: 'programmed' }] });
          await env.memory.addObservations({ observations: [
            { entityName: 'engine', contents: ['analytical', 'never finished'] },
          ] });
          const raw = await env.memory.readGraph();
          const graph = typeof raw === 'string' ? JSON.parse(raw) : raw;
          return {
            entities: graph.entities.map(e => `${e.name}:${e.observations.length}`).sort(),
            relations: graph.relations.map(r => `${r.from}-${r.relationType}->${r.to}`),
          };
        }"#;
    let result = execute(&client, code).await;
    assert_eq!(
        value(&result),
        json!({ "entities": ["ada:1", "engine:2"], "relations": ["ada-programmed->engine"] })
    );
    // The upstream really stored it.
    let stored = std::fs::read_to_string(&file).expect("server-memory wrote its file");
    assert!(stored.contains("never finished"), "{stored}");

    client.cancel().await.expect("closing the client");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_tool_error_rejects_and_can_be_caught() {
    let dir = scratch("memory-error");
    let file = dir.join("memory.jsonl");
    let upstream = memory_upstream();
    let client = stdio_client(
        &["--grant", "kv", "--upstream", &upstream],
        &[("MEMORY_FILE_PATH", &file)],
    )
    .await;

    let code = r#"
        async (input, env) => {
          try {
            await env.memory.addObservations({ observations: [{ entityName: 'nobody', contents: ['x'] }] });
            return 'no error';
          } catch (e) {
            return { name: e.name, message: e.message, isError: e instanceof Error };
          }
        }"#;
    let caught = value(&execute(&client, code).await);
    assert_eq!(caught["name"], json!("Error"), "{caught}");
    assert_eq!(caught["isError"], json!(true));
    assert!(caught["message"].as_str().unwrap().contains("nobody"), "{caught}");

    // Arguments JSON cannot carry are a TypeError naming the path, before
    // anything is sent.
    let code = "async (i, env) => { try { await env.memory.createEntities({ entities: [1n] }) } catch (e) { return `${e.name}: ${e.message}` } }";
    let refused = value(&execute(&client, code).await);
    assert_eq!(
        refused,
        json!("TypeError: memory.createEntities: args[0].entities[0]: a BigInt is not JSON: pass a number or a string")
    );

    // Uncaught, the rejection is the run's error.
    let uncaught = execute(
        &client,
        "async (i, env) => env.memory.deleteEntities({ entityNames: 'not an array' })",
    )
    .await;
    assert_eq!(uncaught.is_error, Some(true), "{}", text(&uncaught));

    client.cancel().await.expect("closing the client");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether process `pid` still runs (`kill -0`).
fn alive(pid: &str) -> bool {
    std::process::Command::new("kill")
        .args(["-0", pid])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts `isobox mcp` with server-memory as an upstream that writes its
/// pid to a file; returns the client, isobox's pid and the upstream's pid.
async fn with_recorded_upstream(dir: &Path) -> (Client, u32, String) {
    let pid_file = dir.join("upstream.pid");
    let server = node_module("@modelcontextprotocol/server-memory/dist/index.js");
    let upstream = format!(
        "memory=sh -c 'echo $$ > \"{}\"; exec node \"{}\"'",
        pid_file.display(),
        server.display()
    );
    let mut command = tokio::process::Command::new(isobox());
    command
        .args(["mcp", "--upstream", &upstream])
        .env("MEMORY_FILE_PATH", dir.join("memory.jsonl"))
        .kill_on_drop(true);
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting isobox mcp");
    let isobox_pid = transport.id().expect("isobox's pid");
    let client = ().serve(transport).await.expect("the MCP handshake");
    // The handshake comes after the upstream started and listed its tools.
    let pid = std::fs::read_to_string(&pid_file).expect("the upstream wrote its pid");
    let pid = pid.trim().to_owned();
    assert!(alive(&pid), "the upstream {pid} runs while the server does");
    let result = execute(
        &client,
        "async (i, env) => (await env.memory.readGraph()).entities.length",
    )
    .await;
    assert_eq!(value(&result), json!(0));
    (client, isobox_pid, pid)
}

/// Waits (up to a minute: not a timing check) for `pid` to be gone.
async fn gone(pid: &str) -> bool {
    for _ in 0..600 {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstreams_end_with_the_server() {
    // The client closes stdin.
    let dir = scratch("upstream-stdin");
    let (client, _, pid) = with_recorded_upstream(&dir).await;
    client.cancel().await.expect("closing the client");
    assert!(
        gone(&pid).await,
        "the upstream {pid} outlived isobox mcp (stdin closed)"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // SIGTERM.
    let dir = scratch("upstream-sigterm");
    let (client, isobox_pid, pid) = with_recorded_upstream(&dir).await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &isobox_pid.to_string()])
        .status()
        .expect("running kill");
    assert!(status.success());
    assert!(gone(&pid).await, "the upstream {pid} outlived isobox mcp (SIGTERM)");
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_upstreams_are_usage_errors() {
    let run = |args: &[&str]| {
        std::process::Command::new(isobox())
            .arg("mcp")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("running isobox mcp")
    };
    for (args, message) in [
        (vec!["--upstream", "memory"], "expected NAME='command args'"),
        (vec!["--upstream", "my-server=node x"], "cannot be a name in env"),
        (vec!["--upstream", "x=node 'open"], "quote is not closed"),
        (
            vec!["--grant", "kv", "--upstream", "kv=node x.js"],
            "env.kv is already granted",
        ),
        (
            vec!["--upstream", "m=node a.js", "--upstream", "m=node b.js"],
            "env.m is already granted",
        ),
        (
            vec!["--upstream", "x=/nonexistent/isobox-test-server"],
            "cannot start \"/nonexistent/isobox-test-server\"",
        ),
        (vec!["--upstream", "x=true"], "the MCP server did not answer initialize"),
    ] {
        let output = run(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn the_official_typescript_sdk_lists_and_executes() {
    let client = fixtures().join("sdk-client.mjs");
    node_module("@modelcontextprotocol/sdk/package.json");
    let output = std::process::Command::new("node")
        .arg(&client)
        .arg(isobox())
        .output()
        .expect("running node (install nodejs)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "sdk-client.mjs failed: {stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("sdk-client.mjs prints JSON");
    assert_eq!(report["server"], json!("isobox"));
    assert_eq!(report["tools"], json!(["execute", "search", "describe"]));
    assert_eq!(report["execute"]["isError"], json!(false), "{report}");
    assert_eq!(
        report["execute"]["structuredContent"]["value"],
        json!({ "sum": 6, "kv": "from the SDK" })
    );
    assert_eq!(report["failed"]["isError"], json!(true), "{report}");
    assert_eq!(
        report["failed"]["structuredContent"]["error"]["kind"],
        json!("js-error")
    );
}

/// `isobox mcp --store FILE --grant workspace --grant kv`: what one session's
/// code writes, a later server process's code reads; `search` finds the
/// workspace's methods.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_and_kv_outlive_the_server_process() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = dir.path().join("mcp.db");
    let store = store.to_str().expect("a UTF-8 path");
    let args = [
        "--store",
        store,
        "--grant",
        "workspace",
        "--workspace",
        "notes",
        "--grant",
        "kv",
    ];
    let first = stdio_client(&args, &[]).await;
    let found = text(&call(&first, "search", json!({ "query": "grep workspace" })).await);
    assert!(found.contains("env.workspace.grep"), "{found}");
    let written = execute(
        &first,
        "await env.workspace.writeFile({ path: '/todo.md', content: '- ship the store\\n' });
         await env.kv.put('sessions', '1'); 'saved'",
    )
    .await;
    assert_eq!(value(&written), json!("saved"));
    first.cancel().await.expect("closing the first client");
    let second = stdio_client(&args, &[]).await;
    let read = execute(
        &second,
        "[await env.workspace.readFile({ path: '/todo.md' }), await env.kv.get('sessions')]",
    )
    .await;
    assert_eq!(value(&read), json!(["- ship the store\n", "1"]));
    second.cancel().await.expect("closing the second client");
}

/// `isobox mcp --dep`: the operator's packages, named in execute's
/// description and imported by the agent's code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_imports_the_operators_packages() {
    let dir = scratch("npm");
    let cache = dir.join("cache");
    let client = stdio_client(
        &["--dep", "nanoid@^5", "--registry", crate::npm::registry_url()],
        &[("ISOBOX_CACHE_DIR", cache.as_path())],
    )
    .await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let execute_tool = tools.iter().find(|t| t.name == "execute").expect("execute");
    assert!(
        execute_tool.description.as_deref().unwrap_or("").contains("nanoid@^5"),
        "{:?}",
        execute_tool.description
    );
    let result = execute(
        &client,
        "async () => { const { nanoid } = await import('nanoid'); return nanoid(12).length }",
    )
    .await;
    assert_eq!(value(&result), json!(12));
    client.cancel().await.expect("closing");
}

/// `isobox mcp --packages`: the agent names its own packages in execute's
/// `dependencies`, within the operator's patterns; others are refused
/// before anything runs, and a server without --packages takes none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_installs_the_packages_the_agent_names_within_the_operators_patterns() {
    let dir = scratch("npm-per-call");
    let cache = dir.join("cache");
    let client = stdio_client(
        &[
            "--packages",
            "nanoid",
            "--packages",
            "@nodable/*",
            "--registry",
            crate::npm::registry_url(),
        ],
        &[("ISOBOX_CACHE_DIR", cache.as_path())],
    )
    .await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let execute_tool = tools.iter().find(|t| t.name == "execute").expect("execute");
    let dependencies = &execute_tool.input_schema["properties"]["dependencies"];
    assert!(
        dependencies["description"]
            .as_str()
            .unwrap_or("")
            .contains("allowed: nanoid, @nodable/*"),
        "{dependencies}"
    );
    let code = "async () => { const { nanoid } = await import('nanoid'); return nanoid(10).length }";
    let ran = call(
        &client,
        "execute",
        json!({ "code": code, "dependencies": ["nanoid@^5"] }),
    )
    .await;
    assert_eq!(value(&ran), json!(10));
    let refused = call(&client, "execute", json!({ "code": "1", "dependencies": ["zod@^4"] })).await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).contains("package \"zod\" is not allowed here (allowed: nanoid, @nodable/*)"),
        "{}",
        text(&refused)
    );
    // Without the dependency the import fails as a run error, not a crash.
    let missing = call(&client, "execute", json!({ "code": code })).await;
    assert_eq!(missing.is_error, Some(true));
    client.cancel().await.expect("closing");

    let plain = stdio_client(&[], &[]).await;
    let tools = plain.list_all_tools().await.expect("tools/list");
    let execute_tool = tools.iter().find(|t| t.name == "execute").expect("execute");
    assert!(execute_tool.input_schema["properties"].get("dependencies").is_none());
    let refused = call(&plain, "execute", json!({ "code": "1", "dependencies": ["nanoid@^5"] })).await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).contains("this server takes no `dependencies`"),
        "{}",
        text(&refused)
    );
    plain.cancel().await.expect("closing");
}
