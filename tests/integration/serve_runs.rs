//! Durable runs in `isobox serve`: a real server process with a SQLite
//! store pauses a run at an approval gate, is stopped and started again,
//! and the approval finishes the run with every side effect done exactly
//! once (requests counted by a real loopback server, a kv counter read
//! back); rejection, replay, history and snippets over HTTP.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::serve::{call, listening_address, run};
use crate::upstream::{Upstream, count};

const KEY: &str = "durable-key";

/// A serve process, killed if the test ends before stopping it.
struct Served(Option<Child>);

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start_serve(config: &Path) -> (Served, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .env("DURABLE_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting isobox serve");
    let addr = listening_address(&mut child);
    (Served(Some(child)), addr)
}

fn stop(mut served: Served) {
    let mut child = served.0.take().expect("running");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let status = child.wait().expect("waiting for isobox serve");
    assert!(status.success(), "{status:?}");
}

const COUNTER: &str = r#"
const seen = await fetch(input.base + '/count?key=' + input.key).then((r) => r.text());
const n = Number((await env.kv.get('counter')) ?? '0');
await env.kv.put('counter', String(n + 1));
const after = await fetch(input.base + '/count?key=' + input.key + '-after').then((r) => r.text());
return { seen, counter: n + 1, after };
"#;

async fn post(addr: SocketAddr, path: &str, body: Value) -> crate::serve::Reply {
    call(addr, "POST", path, Some(KEY), Some(body.to_string().into_bytes())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_run_survives_a_restart_and_finishes_with_each_side_effect_once() {
    let upstream = Upstream::http();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\nlocation = \"{}\"\n\
             [runs]\nhistory = true\napprovals = [\"kv.put\"]\n\
             [policies.local]\n[[policies.local.allow]]\nhost = \"127.0.0.1\"\nports = [{}]\n\
             [tenants.ops]\nkey_env = [\"DURABLE_KEY\"]\ncapabilities = [\"kv\"]\negress = [\"local\"]\n",
            dir.path().join("state.db").display(),
            upstream.port()
        ),
    )
    .unwrap();
    let base = format!("http://127.0.0.1:{}", upstream.port());
    let body = |key: &str| json!({ "code": COUNTER, "capabilities": ["kv"], "egress": "local", "input": { "base": base, "key": key } });

    let (child, addr) = start_serve(&config);
    let paused = run(addr, Some(KEY), body("restart")).await;
    assert_eq!(paused.status, 202, "{}", paused.text());
    let paused = paused.json();
    assert_eq!(paused["status"], "pending-approval");
    assert_eq!(paused["error"]["kind"], "pending-approval");
    let id = paused["run_id"].as_str().expect("a run id").to_owned();
    assert_eq!(paused["pending"][0]["binding"], "kv");
    assert_eq!(paused["pending"][0]["method"], "put");
    assert_eq!(paused["pending"][0]["arguments"], json!(["counter", "1"]));
    assert_eq!((count("restart"), count("restart-after")), (1, 0));
    let listed = call(addr, "GET", "/v1/runs?status=pending-approval", Some(KEY), None)
        .await
        .json();
    assert_eq!(listed["runs"][0]["id"], json!(id), "{listed}");
    stop(child);

    // A new process, the same store: the approval resumes the run.
    let (child, addr) = start_serve(&config);
    let done = post(addr, &format!("/v1/runs/{id}/approve"), json!({ "by": "ada" })).await;
    assert_eq!(done.status, 200, "{}", done.text());
    let done = done.json();
    assert_eq!(done["status"], "ok");
    assert_eq!(
        done["value"],
        json!({ "seen": "1", "counter": 1, "after": "1" }),
        "{done}"
    );
    assert_eq!(
        (count("restart"), count("restart-after")),
        (1, 1),
        "each request was sent once"
    );
    let read = run(
        addr,
        Some(KEY),
        json!({ "code": "await env.kv.get('counter')", "capabilities": ["kv"] }),
    )
    .await;
    assert_eq!(
        read.json()["value"],
        "1",
        "the counter was written once: {}",
        read.text()
    );

    // Decided once only.
    let again = post(addr, &format!("/v1/runs/{id}/approve"), json!({})).await;
    assert_eq!(again.status, 409, "{}", again.text());

    // The whole run replays offline to the same outcome, sending nothing.
    let replay = post(addr, &format!("/v1/runs/{id}/replay"), json!({})).await;
    assert_eq!(replay.status, 200, "{}", replay.text());
    assert_eq!(replay.json()["same"], true, "{}", replay.text());
    assert_eq!((count("restart"), count("restart-after")), (1, 1));

    let record = call(addr, "GET", &format!("/v1/runs/{id}"), Some(KEY), None)
        .await
        .json();
    assert_eq!(record["status"], "ok");
    assert_eq!(
        record["gates"][0]["decision"],
        json!({ "decision": "approved", "by": "ada" }),
        "{record}"
    );
    assert_eq!(record["request"]["input"]["key"], "restart");
    let journal = call(addr, "GET", &format!("/v1/runs/{id}/journal"), Some(KEY), None).await;
    assert!(isobox::journal::Journal::from_json(&journal.text()).is_ok());
    // Another tenant's key sees nothing of it; no key is refused.
    assert_eq!(
        call(addr, "GET", &format!("/v1/runs/{id}"), None, None).await.status,
        401
    );

    // A rejection: the call throws in the code, nothing is written.
    let second = run(addr, Some(KEY), body("rejected")).await.json();
    let second_id = second["run_id"].as_str().unwrap().to_owned();
    let rejected = post(
        addr,
        &format!("/v1/runs/{second_id}/reject"),
        json!({ "reason": "not today", "by": "grace" }),
    )
    .await
    .json();
    assert_eq!(rejected["status"], "error");
    let message = rejected["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("ApprovalRejectedError") || rejected["error"]["name"] == "ApprovalRejectedError",
        "{rejected}"
    );
    assert!(message.contains("not today"), "{rejected}");
    assert_eq!((count("rejected"), count("rejected-after")), (1, 0));
    let read = run(
        addr,
        Some(KEY),
        json!({ "code": "await env.kv.get('counter')", "capabilities": ["kv"] }),
    )
    .await;
    assert_eq!(read.json()["value"], "1");

    // The first run's code as a snippet, run by name with new input.
    let saved = post(
        addr,
        &format!("/v1/runs/{id}/snippet"),
        json!({ "name": "bump-counter", "description": "Counts a visit and bumps the counter",
                "input_schema": { "type": "object", "properties": { "key": { "type": "string" } } } }),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let list = call(addr, "GET", "/v1/snippets", Some(KEY), None).await.json();
    assert_eq!(list["snippets"][0]["name"], "bump-counter");
    assert_eq!(
        list["snippets"][0]["description"],
        "Counts a visit and bumps the counter"
    );
    let by_name = post(
        addr,
        "/v1/snippets/bump-counter/run",
        json!({ "input": { "base": base, "key": "snippet" }, "capabilities": ["kv"], "egress": "local" }),
    )
    .await;
    assert_eq!(
        by_name.status,
        202,
        "the snippet's write waits for approval too: {}",
        by_name.text()
    );
    assert_eq!(count("snippet"), 1);
    let refused = post(addr, "/v1/snippets/bump-counter/run", json!({ "code": "1" })).await;
    assert_eq!(refused.status, 400);
    assert_eq!(post(addr, "/v1/snippets/nope/run", json!({})).await.status, 404);
    stop(child);

    // Offline, from the command line: the stored run replays the same.
    let replay = Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["replay", &id, "--config"])
        .arg(&config)
        .env("DURABLE_KEY", KEY)
        .output()
        .expect("isobox replay");
    let stderr = String::from_utf8_lossy(&replay.stderr);
    assert!(replay.status.success(), "{stderr}");
    assert!(stderr.contains("replayed to the same outcome"), "{stderr}");
    let value: Value = serde_json::from_str(&String::from_utf8_lossy(&replay.stdout)).expect("the value as JSON");
    assert_eq!(value["counter"], 1, "{replay:?}");
    assert_eq!((count("restart"), count("restart-after")), (1, 1));
    let missing = Command::new(env!("CARGO_BIN_EXE_isobox"))
        .args(["replay", "no-such-run", "--config"])
        .arg(&config)
        .env("DURABLE_KEY", KEY)
        .output()
        .expect("isobox replay");
    assert_eq!(missing.status.code(), Some(2));
}

/// A person approves a paused run in the web console, in a real headless
/// chromium (tests/console/approve.mjs, installed by tests/console/install.sh),
/// and sees it finish; the counter is written once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_approves_a_paused_run_in_the_web_console() {
    let text = format!(
        "[runs]\nhistory = true\napprovals = [\"kv.put\"]\n\
         [tenants.ops]\nkey_sha256 = [\"{}\"]\ncapabilities = [\"kv\"]\n",
        isobox_serve::key_sha256_hex(KEY)
    );
    let config = isobox_serve::ServeConfig::from_toml_str(&text, None, |_| None).expect("config");
    let (addr, handle) = crate::serve::start_with(config).await;
    let code = "const n = Number((await env.kv.get('c')) ?? '0'); console.log('bump', n); \
                await env.kv.put('c', String(n + 1)); return n + 1";
    let paused = run(addr, Some(KEY), json!({ "code": code, "capabilities": ["kv"] })).await;
    assert_eq!(paused.status, 202, "{}", paused.text());
    let id = paused.json()["run_id"].as_str().unwrap().to_owned();

    // The console page itself: served with a policy that allows nothing
    // from elsewhere and no inline script.
    let page = call(addr, "GET", "/console", None, None).await;
    assert_eq!(page.status, 200);
    let policy = page.header("content-security-policy").expect("a CSP").to_owned();
    assert!(
        policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    assert!(!page.text().contains("<script>"), "no inline script");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/console/approve.mjs");
    let base = format!("http://{addr}");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([script, &base, KEY, &id, "ada"])
            .output()
            .expect("node runs (tests/console/install.sh installs what it needs)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser run failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(seen["approved"], true, "{seen}");
    assert_eq!(seen["status"], "ok", "{seen}");
    assert_eq!(seen["result"], 1, "{seen}");
    assert_eq!(seen["replay_same"], true, "{seen}");
    assert_eq!(seen["decisions"][0], "approved by ada", "{seen}");

    // The API agrees: finished, the counter written once.
    let read = run(
        addr,
        Some(KEY),
        json!({ "code": "await env.kv.get('c')", "capabilities": ["kv"] }),
    )
    .await;
    assert_eq!(read.json()["value"], "1");
    handle.shutdown().await.expect("shutdown");
}
