//! The three tools of the code-mode server, as a model reads them: names,
//! descriptions (short, exact, with an example) and input schemas; and the
//! server's instructions.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::json;

use isobox::Limits;

/// `execute`: run code.
pub const EXECUTE: &str = "execute";
/// `search`: find declarations.
pub const SEARCH: &str = "search";
/// `describe`: show declarations.
pub const DESCRIBE: &str = "describe";
/// Reads past runs (`--history`).
pub const RUNS: &str = "runs";
/// Saves code as a named snippet (`--history`).
pub const SAVE_SNIPPET: &str = "save_snippet";
/// Approves or rejects a paused run (`--agent-decides`).
pub const DECIDE: &str = "decide";

/// What the server tells a model about itself, before any tool is used.
pub fn instructions(bindings: &[&str]) -> String {
    format!(
        "Code mode: instead of calling many tools, write one JavaScript or TypeScript program that does \
         the whole task and run it with `execute`; only its result comes back. The program calls \
         capabilities as `await env.NAME.method(...)`; granted here: {}. Use `search` to find a \
         declaration and `describe` to read the exact TypeScript of env and the globals (fetch, URL, \
         crypto, timers ...) before writing code. Every execute runs in a fresh sandbox: nothing \
         survives between calls except what capabilities store.",
        binding_list(bindings)
    )
}

fn binding_list(bindings: &[&str]) -> String {
    if bindings.is_empty() {
        "none (env is empty)".to_owned()
    } else {
        bindings
            .iter()
            .map(|b| format!("env.{b}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The tool list.
/// The tools; `durable` is `Some(agent_decides)` when runs are kept.
pub fn tools(
    bindings: &[&str],
    limits: &Limits,
    packages: &[String],
    allowed: &[String],
    durable: Option<bool>,
) -> Vec<Tool> {
    let mut execute = format!(
        "Run JavaScript or TypeScript in a fresh sandbox and get back its result as JSON with its console \
         output: {{\"value\", \"logs\"}}, or {{\"error\", \"logs\"}} when it failed. The code is an expression, \
         a script (top-level await; the last expression is the result) or a function `async (input, env) => \
         {{...}}`, which is called. Capabilities: {}; see `describe` for their TypeScript. Chain many calls in \
         one program and return only what is needed. fetch() reaches only hosts the server allows. \
         Limits: {} ms, {} MiB.\nExample: {{\"code\": \"async (input, env) => {{ console.log('hi'); return \
         input.n * 2 }}\", \"input\": {{\"n\": 21}}}}",
        binding_list(bindings),
        limits.wall_time.as_millis(),
        limits.memory_bytes / (1024 * 1024),
    );
    if !packages.is_empty() {
        execute.push_str(&format!(
            "\nnpm packages the code may import: {} (`const {{ z }} = await import('zod')` in a script or \
             function; `import` in a module).",
            packages.join(", ")
        ));
    }
    let search = "Find the TypeScript declarations code run by `execute` can use: methods of the capabilities \
                  (env.NAME.method) and globals (fetch, URL, crypto, timers ...), matched by words of their \
                  names and docs; at most 8 are shown, best first (HTTP API operations ranked, paged with \
                  `offset`).\nExample: {\"query\": \"create entities\"}";
    let describe = "Show TypeScript declarations in full: no name for every capability in env, \"globals\" for \
                    the sandbox's globals, a capability's name (\"memory\") for that one, or a name `search` \
                    showed (\"env.memory.createEntities\", \"fetch\").\nExample: {\"name\": \"memory\"}";
    let mut input_schema = json!({
        "type": "object",
        "properties": {
            "code": { "type": "string", "description": "The program." },
            "lang": { "type": "string", "enum": ["ts", "js"], "default": "ts",
                      "description": "TypeScript (types are stripped) or JavaScript." },
            "input": { "description": "Any JSON, given to the code as `input`." }
        },
        "required": ["code"],
        "additionalProperties": false
    });
    if !allowed.is_empty() {
        input_schema["properties"]["dependencies"] = json!({
            "type": "array",
            "items": { "type": "string" },
            "maxItems": crate::server::MAX_EXECUTE_DEPENDENCIES,
            "description": format!(
                "npm packages the code imports, NAME@RANGE (\"zod@^4\"), installed for this run; allowed: {}.",
                allowed.join(", ")
            )
        });
    }
    if durable.is_some() {
        execute.push_str(
            "\nEach run is kept (`runs` reads it back). Some calls need a person's approval: the run then \
             pauses and the result says `pending-approval` with its `run_id`. `execute {\"snippet\": NAME, \
             \"input\": ...}` runs saved code; `search` finds snippets.",
        );
        input_schema["properties"]["snippet"] = json!({
            "type": "string",
            "description": "Run this saved snippet (see `search`) instead of `code`."
        });
        input_schema["required"] = json!([]);
    }
    let mut all = vec![
        Tool::new(EXECUTE, execute, schema(input_schema))
        .with_raw_output_schema(schema(json!({
            "type": "object",
            "properties": {
                "value": { "description": "The program's result (JSON)." },
                "error": {
                    "type": "object",
                    "properties": {
                        "kind": { "type": "string" },
                        "name": { "type": "string" },
                        "message": { "type": "string" },
                        "line": { "type": "integer" },
                        "column": { "type": "integer" }
                    },
                    "required": ["kind", "message"]
                },
                "logs": { "type": "array", "items": { "type": "string" } },
                "logs_truncated": { "type": "boolean" }
            },
            "required": ["logs"]
        })))
        .with_annotations(ToolAnnotations::with_title("Run code in a sandbox").open_world(true)),
        Tool::new(
            SEARCH,
            search,
            schema(json!({
                "type": "object",
                "properties": {
                    "query": { "type": "string", "description": "Words to look for." },
                    "offset": { "type": "integer", "minimum": 0, "description": "Skip this many API operations (the next page)." }
                },
                "required": ["query"],
                "additionalProperties": false
            })),
        )
        .with_annotations(ToolAnnotations::with_title("Search declarations").read_only(true)),
        Tool::new(
            DESCRIBE,
            describe,
            schema(json!({
                "type": "object",
                "properties": {
                    "name": { "type": "string", "description": "What to describe; leave out for all of env." }
                },
                "additionalProperties": false
            })),
        )
        .with_annotations(ToolAnnotations::with_title("Show declarations").read_only(true)),
    ];
    if let Some(agent_decides) = durable {
        all.push(
            Tool::new(
                RUNS,
                "Read past runs: with `run_id`, one run's code, input, result or error, logs, capability calls, \
                 requests and approval gates; without, the newest 20 with their status.\nExample: {\"run_id\": \"4f2a...\"}",
                schema(json!({
                    "type": "object",
                    "properties": { "run_id": { "type": "string" } },
                    "additionalProperties": false
                })),
            )
            .with_annotations(ToolAnnotations::with_title("Read past runs").read_only(true)),
        );
        all.push(
            Tool::new(
                SAVE_SNIPPET,
                "Save code as a named snippet to run again with new input (`execute {\"snippet\": NAME, \"input\": ...}`): \
                 `code`, or a past run's `run_id`; a description `search` matches, and the input's JSON Schema.",
                schema(json!({
                    "type": "object",
                    "properties": {
                        "name": { "type": "string", "pattern": "^[A-Za-z0-9._-]{1,100}$" },
                        "description": { "type": "string" },
                        "input_schema": { "type": "object" },
                        "code": { "type": "string" },
                        "run_id": { "type": "string" }
                    },
                    "required": ["name"],
                    "additionalProperties": false
                })),
            )
            .with_annotations(ToolAnnotations::with_title("Save a snippet")),
        );
        if agent_decides {
            all.push(
                Tool::new(
                    DECIDE,
                    "Approve or reject the calls a paused run waits for, as the person you asked decided; the \
                     run resumes (a rejected call throws ApprovalRejectedError in the code).",
                    schema(json!({
                        "type": "object",
                        "properties": {
                            "run_id": { "type": "string" },
                            "approve": { "type": "boolean" },
                            "reason": { "type": "string" }
                        },
                        "required": ["run_id", "approve"],
                        "additionalProperties": false
                    })),
                )
                .with_annotations(ToolAnnotations::with_title("Decide a paused run")),
            );
        }
    }
    all
}

fn schema(value: serde_json::Value) -> Arc<JsonObject> {
    match value {
        serde_json::Value::Object(object) => Arc::new(object),
        // Every schema above is an object literal.
        _ => Arc::new(JsonObject::new()),
    }
}
