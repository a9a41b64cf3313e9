//! JSON-typed capabilities (`Capability::json_tools`): tools described by
//! JSON Schema, as MCP servers describe theirs, implemented in Rust here.

use std::sync::Arc;
use std::time::Duration;

use isobox::capability::{CallContext, CapabilityError, McpTools};
use isobox::{Capability, Limits, Outcome, RunRequest};
use serde_json::{Map, Value, json};

use crate::common::engine;

fn value(outcome: &Outcome) -> &Value {
    match &outcome.result {
        Ok(value) => value,
        Err(error) => panic!("the run failed: {error:?}\nlogs: {:?}", outcome.logs),
    }
}

fn tools() -> McpTools {
    McpTools::from_json(
        r#"{"tools": [
          {"name": "echo_args", "inputSchema": {"type": "object"}},
          {"name": "fail_tool", "inputSchema": {"type": "object"}},
          {"name": "break_down", "inputSchema": {"type": "object"}},
          {"name": "wait_pair", "inputSchema": {"type": "object"}},
          {"name": "never", "inputSchema": {"type": "object"}}
        ]}"#,
    )
    .expect("a valid tool list")
}

/// echo_args returns its arguments and the grant's tenant; fail_tool is a
/// tool error; break_down a failure of the implementation; wait_pair
/// returns only once two calls of it are in flight together; never never
/// returns.
fn capability() -> Capability {
    let pair = Arc::new(tokio::sync::Barrier::new(2));
    Capability::json_tools(
        tools(),
        move |context: CallContext, tool: String, args: Map<String, Value>| {
            let pair = pair.clone();
            async move {
                match tool.as_str() {
                    "echo_args" => Ok(json!({ "args": args, "tenant": context.tenant() })),
                    "fail_tool" => Err(CapabilityError::tool("the tool says no")),
                    "break_down" => Err(CapabilityError::new("the connection dropped")),
                    "wait_pair" => {
                        pair.wait().await;
                        Ok(json!(args["n"]))
                    }
                    _ => std::future::pending().await,
                }
            }
        },
    )
}

#[tokio::test]
async fn arguments_and_results_cross_as_json() {
    let code = "async (input, env) => [
        await env.t.echoArgs({ s: 'x', n: 1.5, i: 3, nested: { list: [true, null, 'y'] }, gone: undefined }),
        await env.t.echoArgs(),
    ]";
    let outcome = engine()
        .run(RunRequest::new(code).grant_with_props("t", capability(), json!({ "tenant": "acme" })))
        .await;
    assert_eq!(
        value(&outcome),
        &json!([
            { "args": { "s": "x", "n": 1.5, "i": 3, "nested": { "list": [true, null, "y"] } }, "tenant": "acme" },
            { "args": {}, "tenant": "acme" },
        ])
    );
    assert_eq!(outcome.calls.len(), 2);
    assert!(
        outcome
            .calls
            .iter()
            .all(|c| c.binding == "t" && c.method == "echoArgs" && c.ok)
    );
}

#[tokio::test]
async fn errors_reject_with_what_the_code_can_handle() {
    let code = "async (input, env) => {
        const caught = [];
        for (const call of [
          () => env.t.failTool({}),
          () => env.t.breakDown({}),
          () => env.t.echoArgs('not an object'),
          () => env.t.echoArgs({ list: [undefined] }),
          () => env.t.echoArgs({ big: 10n }),
          () => env.t.echoArgs({ bytes: new Uint8Array(2) }),
          () => env.t.echoArgs({ n: NaN }),
          () => env.t.echoArgs({}, {}),
        ]) {
          try { await call(); caught.push('no error'); } catch (e) { caught.push(`${e.name}: ${e.message}`); }
        }
        return caught;
      }";
    let outcome = engine().run(RunRequest::new(code).grant("t", capability())).await;
    assert_eq!(
        value(&outcome),
        &json!([
            "Error: the tool says no",
            "CapabilityError: t.breakDown failed: the connection dropped",
            "TypeError: t.echoArgs: args[0]: expected an object (the tool's arguments), got \"not an object\"",
            "TypeError: t.echoArgs: args[0].list[0]: undefined in an array is not JSON: write null",
            "TypeError: t.echoArgs: args[0].big: a BigInt is not JSON: pass a number or a string",
            "TypeError: t.echoArgs: args[0].bytes: a Uint8Array is not JSON: pass an array of numbers or a base64 string",
            "TypeError: t.echoArgs: args[0].n: NaN is not JSON: pass a finite number (or null)",
            "TypeError: t.echoArgs: expected 0 to 1 argument, got 2",
        ])
    );
    let failed: Vec<bool> = outcome.calls.iter().map(|c| c.ok).collect();
    assert_eq!(failed, [false; 8]);
    assert_eq!(outcome.calls[0].error.as_deref(), Some("the tool says no"));
}

#[tokio::test]
async fn calls_overlap_under_promise_all() {
    // Each wait_pair call returns only when the other is in flight too: a
    // bridge that ran them one after the other would hang to the timeout.
    let code = "async (input, env) => Promise.all([env.t.waitPair({ n: 1 }), env.t.waitPair({ n: 2 })])";
    let limits = Limits {
        wall_time: Duration::from_secs(30),
        ..Limits::default()
    };
    let outcome = engine()
        .run(RunRequest::new(code).grant("t", capability()).with_limits(limits))
        .await;
    assert_eq!(value(&outcome), &json!([1, 2]));
}

#[tokio::test]
async fn the_wall_clock_covers_calls_in_flight() {
    let limits = Limits {
        wall_time: Duration::from_millis(300),
        ..Limits::default()
    };
    let outcome = engine()
        .run(
            RunRequest::new("async (input, env) => env.t.never({})")
                .grant("t", capability())
                .with_limits(limits),
        )
        .await;
    let error = outcome.result.expect_err("the run cannot finish");
    assert_eq!(error.kind, isobox::ErrorKind::Timeout, "{error:?}");
}

#[tokio::test]
async fn declarations_and_methods_come_from_the_tool_list() {
    let capability = capability();
    assert_eq!(
        capability.methods(),
        ["echoArgs", "failTool", "breakDown", "waitPair", "never"]
    );
    assert!(capability.interface().is_none());
    let ts = capability.typescript("t");
    assert!(
        ts.contains("declare namespace env {") && ts.contains("echoArgs("),
        "{ts}"
    );
    let methods = engine()
        .run(RunRequest::new("async (input, env) => Object.keys(env.t)").grant("t", capability))
        .await;
    assert_eq!(
        value(&methods),
        &json!(["echoArgs", "failTool", "breakDown", "waitPair", "never"])
    );
}
