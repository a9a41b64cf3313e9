//! Input made to hurt: deep, wide, cyclic, or not a schema at all. The
//! declarations must come back, bounded, without a panic.

use super::*;

/// A schema of properties nested `depth` deep: `{a: {a: ... string}}`.
fn nested(depth: usize) -> Value {
    let mut schema = json!({"type": "string"});
    for _ in 0..depth {
        schema = json!({"type": "object", "properties": {"a": schema}, "required": ["a"]});
    }
    schema
}

#[test]
fn deep_schemas_end_in_unknown() {
    let ts = method(nested(MAX_SCHEMA_DEPTH + 40));
    assert!(ts.contains("a: unknown"), "{ts}");
    assert!(!ts.contains("a: string"), "{ts}");
    // Within the limit, the whole schema.
    let ts = method(nested(5));
    assert!(ts.contains("{ a: { a: { a: { a: string } } } }"), "{ts}");
    // serde_json's own nesting limit refuses deeper JSON as not JSON.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let text = format!("{{\"tools\": [{{\"name\": \"f\", \"inputSchema\": {deep}}}]}}");
    assert!(matches!(McpTools::from_json(&text), Err(McpToolsError::NotJson { .. })));
}

#[test]
fn many_schemas_are_cut_at_the_node_limit() {
    let properties: serde_json::Map<String, Value> = (0..MAX_SCHEMA_NODES + 100)
        .map(|i| (format!("p{i}"), json!({"type": "string"})))
        .collect();
    let tools = McpTools::from_value(&json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object", "properties": properties
    }}]}))
    .unwrap();
    let ts = mcp_typescript("t", &tools);
    assert!(ts.contains("p0?: string;"), "starts typed");
    assert!(
        ts.contains(&format!("p{}?: unknown;", MAX_SCHEMA_NODES + 99)),
        "ends unknown"
    );
    assert_eq!(ts.matches(": string;").count(), MAX_SCHEMA_NODES - 1);
}

#[test]
fn a_long_chain_of_refs_does_not_exhaust_the_stack() {
    let count = 20_000;
    let defs: serde_json::Map<String, Value> = (0..count)
        .map(|i| {
            let body = if i + 1 < count {
                json!({"type": "array", "items": {"$ref": format!("#/$defs/d{}", i + 1)}})
            } else {
                json!({"type": "string"})
            };
            (format!("d{i}"), body)
        })
        .collect();
    let tools = McpTools::from_value(&json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object", "properties": {"p": {"$ref": "#/$defs/d0"}}, "required": ["p"], "$defs": defs
    }}]}))
    .unwrap();
    let ts = mcp_typescript("t", &tools);
    assert!(ts.contains("    type D0 = D1[];\n"), "{}", &ts[..200]);
    assert!(ts.contains("    type D19999 = string;\n"));
}

#[test]
fn a_long_chain_of_aliases_is_checked_without_recursion() {
    // d0 = d1 | null, d1 = d2 | null, ..., the last = d0 | null.
    let count = 10_000;
    let defs: serde_json::Map<String, Value> = (0..count)
        .map(|i| {
            let next = (i + 1) % count;
            (
                format!("d{i}"),
                json!({"anyOf": [{"$ref": format!("#/$defs/d{next}")}, {"type": "null"}]}),
            )
        })
        .collect();
    let tools = McpTools::from_value(&json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object", "properties": {"p": {"$ref": "#/$defs/d0"}}, "required": ["p"], "$defs": defs
    }}]}))
    .unwrap();
    let ts = mcp_typescript("t", &tools);
    // Exactly one link of the cycle is cut.
    assert_eq!(ts.matches("= unknown;").count(), 1, "{}", &ts[..300]);
    assert!(ts.contains("    type D0 = D1 | null;\n"));
}

#[test]
fn schemas_of_the_wrong_shape_degrade() {
    for input in [
        json!(null),
        json!(42),
        json!("object"),
        json!([]),
        json!({"type": "object", "properties": 7}),
        json!({"type": "object", "properties": {"a": 7}, "required": ["a"]}),
        json!({"anyOf": "x"}),
        json!({"allOf": [1, 2]}),
        json!({"type": "array", "items": 3, "prefixItems": {}}),
        json!({"$ref": 5}),
        json!({"enum": "x"}),
        json!({"type": "object", "properties": {"a": {"type": "array", "minItems": -1, "prefixItems": [{}]}}}),
        json!({"type": "array", "prefixItems": [{"type": "string"}], "minItems": u64::MAX}),
    ] {
        let tools = McpTools::from_value(&json!({"tools": [
            {"name": "f", "description": 12, "inputSchema": input.clone(), "outputSchema": input.clone()}
        ]}))
        .unwrap();
        let ts = mcp_typescript("t", &tools);
        assert!(ts.contains("f("), "{input}: {ts}");
    }
}

#[test]
fn output_stays_proportional_to_input() {
    // One def used by many properties is named, not written out each time.
    let def = json!({"type": "object", "description": "d".repeat(1000),
                     "properties": {"x": {"type": "string", "description": "x".repeat(1000)}}});
    let properties: serde_json::Map<String, Value> = (0..2000)
        .map(|i| (format!("p{i}"), json!({"$ref": "#/$defs/big"})))
        .collect();
    let input = json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object", "properties": properties, "$defs": {"big": def}
    }}]});
    let text = input.to_string();
    let ts = mcp_typescript("t", &McpTools::from_json(&text).unwrap());
    assert!(
        ts.len() < text.len(),
        "{} bytes of declarations from {} of JSON",
        ts.len(),
        text.len()
    );
    assert_eq!(ts.matches(&"x".repeat(1000)).count(), 1);
}

#[test]
fn names_and_literals_are_escaped() {
    let ts = method(json!({"type": "object", "properties": {
        "a\"b": {"const": "*/ \n \u{2028}"},
        "": {"type": "string"},
        "\u{0}": {"type": "string"}
    }, "required": ["a\"b"]}));
    assert_eq!(
        ts,
        "    f(args: { \"a\\\"b\": \"*/ \\n \u{2028}\"; \"\"?: string; \"\\u0000\"?: string }): Promise<string>;\n"
    );
}

#[test]
fn large_bindings_are_not_searched_for_recurring_shapes() {
    let shape = json!({"type": "object", "properties": {
        "first": {"type": "string", "description": "A long enough description to be worth naming."},
        "second": {"type": "number"}
    }, "required": ["first", "second"]});
    let tool = |i: usize, padding: usize| {
        let properties: serde_json::Map<String, Value> = std::iter::once(("shape".to_owned(), shape.clone()))
            .chain((0..padding).map(|j| (format!("p{j}"), json!({"type": "string"}))))
            .collect();
        json!({"name": format!("t{i}"), "inputSchema": {"type": "object", "properties": properties}})
    };
    // Small: the shape is declared once.
    let small = declare(json!({"tools": (0..3).map(|i| tool(i, 0)).collect::<Vec<_>>()}));
    assert_eq!(small.matches("worth naming").count(), 1, "{small}");
    // Past 10,000 schemas: written where it is used.
    let large = declare(json!({"tools": (0..3).map(|i| tool(i, 4000)).collect::<Vec<_>>()}));
    assert_eq!(large.matches("worth naming").count(), 3);
}
