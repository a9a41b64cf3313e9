//! Tests of the MCP tool declarations: exact TypeScript for each JSON
//! Schema feature, names, errors, and hostile input.

mod hostile;
mod schema;

use serde_json::{Value, json};

use super::*;
use crate::capability::types::typescript_env;

/// The declarations of binding `t` for a tools/list result.
fn declare(list: Value) -> String {
    mcp_typescript("t", &McpTools::from_value(&list).expect("a tools array"))
}

/// The method line(s) of one tool `f` taking `input`, without the
/// surrounding `const t: {` and `};` (indented 4).
fn method(input: Value) -> String {
    method_with_output(input, None)
}

fn method_with_output(input: Value, output: Option<Value>) -> String {
    let mut tool = json!({ "name": "f", "inputSchema": input });
    if let Some(output) = output {
        tool["outputSchema"] = output;
    }
    let text = declare(json!({ "tools": [tool] }));
    let body = text
        .strip_prefix("  const t: {\n")
        .and_then(|t| t.strip_suffix("  };\n"))
        .unwrap_or_else(|| panic!("not a plain const:\n{text}"));
    body.to_owned()
}

/// The one-line type of property `p` of a tool's input.
fn prop(schema: Value) -> String {
    let line = method(json!({ "type": "object", "properties": { "p": schema }, "required": ["p"] }));
    line.strip_prefix("    f(args: { p: ")
        .and_then(|l| l.strip_suffix(" }): Promise<string>;\n"))
        .unwrap_or_else(|| panic!("not one line:\n{line}"))
        .to_owned()
}

#[test]
fn a_tool_list_becomes_methods() {
    let tools = McpTools::from_json(
        r#"{"tools": [
            {"name": "create_entities", "description": "Create entities.", "inputSchema": {"type": "object",
              "properties": {"names": {"type": "array", "items": {"type": "string"}}}, "required": ["names"]}},
            {"name": "read-graph", "inputSchema": {"type": "object", "properties": {}}},
            {"name": "echo", "title": "Echo Tool", "inputSchema": {"type": "object",
              "properties": {"message": {"type": "string", "description": "Message to echo"}}, "required": ["message"]},
              "annotations": {"readOnlyHint": true}}
        ]}"#,
    )
    .unwrap();
    assert_eq!(
        mcp_typescript("mem", &tools),
        "  const mem: {
    /** Create entities. */
    createEntities(args: { names: string[] }): Promise<string>;
    readGraph(): Promise<string>;
    /** Echo Tool */
    echo(args: {
      /** Message to echo */
      message: string;
    }): Promise<string>;
  };
"
    );
    assert_eq!(tools.by_method("readGraph").unwrap().name, "read-graph");
    assert_eq!(tools.by_method("createEntities").unwrap().name, "create_entities");
    assert!(tools.by_method("create_entities").is_none());
    assert!(tools.skipped().is_empty());
}

#[test]
fn the_env_block_has_the_note_once() {
    let a = McpTools::from_value(&json!({"tools": [{"name": "x", "inputSchema": {"type": "object"}}]})).unwrap();
    let b = McpTools::from_value(&json!({"tools": [{"name": "y", "inputSchema": {"type": "object"}}]})).unwrap();
    assert_eq!(
        mcp_typescript_env(&[("a", &a), ("b", &b)]),
        format!(
            "{MCP_RESULT_NOTE}declare namespace env {{
  const a: {{
    x(): Promise<string>;
  }};
  const b: {{
    y(): Promise<string>;
  }};
}}
"
        )
    );
    assert_eq!(mcp_typescript_env(&[]), "declare namespace env {\n}\n");
}

#[test]
fn wit_and_mcp_bindings_share_one_block() {
    let kv = CapabilityInterface::from_wit(
        "package a:kv;\ninterface store {\n  get: func(key: string) -> result<string, string>;\n}",
        "store",
    )
    .unwrap();
    let mcp = McpTools::from_value(&json!({"tools": [{"name": "ping", "inputSchema": {"type": "object"}}]})).unwrap();
    let ts = typescript_env_with_mcp(&[("kv", &kv)], &[("up", &mcp)]);
    assert_eq!(
        ts,
        format!(
            "{MCP_RESULT_NOTE}// A method marked @throws E rejects with an Error whose .value is the E.
declare namespace env {{
  const kv: {{
    /** @throws string */
    get(key: string): Promise<string>;
  }};
  const up: {{
    ping(): Promise<string>;
  }};
}}
"
        )
    );
    // Without MCP bindings it is exactly typescript_env.
    assert_eq!(
        typescript_env_with_mcp(&[("kv", &kv)], &[]),
        typescript_env(&[("kv", &kv)])
    );
}

#[test]
fn names_are_camel_case_or_quoted() {
    let tools = McpTools::from_value(&json!({"tools": [
        {"name": "get_user.by-id"},
        {"name": "getUser"},
        {"name": "get_user"},
        {"name": "2fa check"},
        {"name": "new"},
        {"name": "delete"},
        {"name": "_private_"},
        {"name": "ünïcode-tool"},
    ]}))
    .unwrap();
    let methods: Vec<&str> = tools.tools().iter().map(|t| t.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "getUserById",
            "getUser",
            "get_user",
            "2fa check",
            "new",
            "delete",
            "private",
            "ünïcode-tool"
        ]
    );
    let ts = mcp_typescript("t", &tools);
    for line in [
        "    getUserById(args?: Record<string, unknown>): Promise<string>;\n",
        "    getUser(args?: Record<string, unknown>): Promise<string>;\n",
        "    get_user(args?: Record<string, unknown>): Promise<string>;\n",
        "    \"2fa check\"(args?: Record<string, unknown>): Promise<string>;\n",
        "    \"new\"(args?: Record<string, unknown>): Promise<string>;\n",
        "    delete(args?: Record<string, unknown>): Promise<string>;\n",
        "    private(args?: Record<string, unknown>): Promise<string>;\n",
        "    \"ünïcode-tool\"(args?: Record<string, unknown>): Promise<string>;\n",
    ] {
        assert!(ts.contains(line), "{line} in\n{ts}");
    }
    assert_eq!(tools.by_method("2fa check").unwrap().name, "2fa check");
}

#[test]
fn a_camel_case_name_that_another_tool_has_is_not_taken() {
    let tools = McpTools::from_value(&json!({"tools": [{"name": "a_b"}, {"name": "aB"}, {"name": "a-b"}]})).unwrap();
    let methods: Vec<&str> = tools.tools().iter().map(|t| t.method.as_str()).collect();
    assert_eq!(methods, ["a_b", "aB", "a-b"]);
}

#[test]
fn bad_entries_are_skipped_and_listed() {
    let tools = McpTools::from_value(&json!({"tools": [
        {"name": "ok"}, 42, {"title": "no name"}, {"name": ""}, {"name": "ok"}, {"name": 7}
    ]}))
    .unwrap();
    assert_eq!(tools.tools().len(), 1);
    assert_eq!(
        tools.skipped(),
        [
            "tools[1]: no name",
            "tools[2]: no name",
            "tools[3]: no name",
            "tools[4]: ok repeats an earlier tool's name",
            "tools[5]: no name"
        ]
    );
}

#[test]
fn typed_errors() {
    assert!(matches!(
        McpTools::from_json("{\"tools\": ["),
        Err(McpToolsError::NotJson { message }) if message.contains("line 1")
    ));
    assert_eq!(McpTools::from_json("{}"), Err(McpToolsError::NoTools));
    assert_eq!(McpTools::from_json("[]"), Err(McpToolsError::NoTools));
    assert_eq!(McpTools::from_json("{\"tools\": {}}"), Err(McpToolsError::NoTools));
    assert_eq!(McpTools::from_json("{\"result\": {}}"), Err(McpToolsError::NoTools));
    let too_large = " ".repeat(MAX_MCP_TOOLS_BYTES + 1);
    assert_eq!(
        McpTools::from_json(&too_large),
        Err(McpToolsError::TooLarge {
            bytes: MAX_MCP_TOOLS_BYTES + 1,
            limit: MAX_MCP_TOOLS_BYTES
        })
    );
    let many = json!({"tools": vec![json!({"name": "x"}); MAX_MCP_TOOLS + 1]});
    assert_eq!(
        McpTools::from_value(&many),
        Err(McpToolsError::TooManyTools {
            count: MAX_MCP_TOOLS + 1,
            limit: MAX_MCP_TOOLS
        })
    );
    assert!(
        McpToolsError::NoTools.to_string().contains("{\"tools\": [...]}"),
        "{}",
        McpToolsError::NoTools
    );
}

#[test]
fn a_json_rpc_response_is_read_too() {
    let tools = McpTools::from_json(r#"{"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "ping"}]}}"#).unwrap();
    assert_eq!(tools.tools()[0].method, "ping");
}

#[test]
fn arguments_and_results() {
    // No properties: no argument.
    assert_eq!(method(json!({"type": "object"})), "    f(): Promise<string>;\n");
    assert_eq!(
        method(json!({"type": "object", "properties": {}, "additionalProperties": false})),
        "    f(): Promise<string>;\n"
    );
    // Any properties: an optional record.
    assert_eq!(
        method(json!({"type": "object", "additionalProperties": true})),
        "    f(args?: Record<string, unknown>): Promise<string>;\n"
    );
    assert_eq!(
        method(json!({})),
        "    f(args?: Record<string, unknown>): Promise<string>;\n"
    );
    assert_eq!(
        method(json!({"type": "object", "patternProperties": {"^x-": {"type": "string"}}})),
        "    f(args?: Record<string, unknown>): Promise<string>;\n"
    );
    assert_eq!(
        method(json!({"type": "object", "additionalProperties": {"type": "number"}})),
        "    f(args?: Record<string, number>): Promise<string>;\n"
    );
    // Every property optional: an optional argument.
    assert_eq!(
        method(json!({"type": "object", "properties": {"a": {"type": "string"}}})),
        "    f(args?: { a?: string }): Promise<string>;\n"
    );
    // With an output schema, the structured result.
    assert_eq!(
        method_with_output(
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}),
            Some(
                json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"],
                        "additionalProperties": false})
            )
        ),
        "    f(args: { a: string }): Promise<{ n: number }>;\n"
    );
    // A non-object input schema is still the argument's type.
    assert_eq!(
        method(json!({"type": "string"})),
        "    f(args: string): Promise<string>;\n"
    );
}
