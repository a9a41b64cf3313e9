//! One JSON Schema feature at a time, with the exact TypeScript.

use super::*;

#[test]
fn primitive_types() {
    assert_eq!(prop(json!({"type": "string"})), "string");
    assert_eq!(prop(json!({"type": "number"})), "number");
    assert_eq!(prop(json!({"type": "integer"})), "number");
    assert_eq!(prop(json!({"type": "boolean"})), "boolean");
    assert_eq!(prop(json!({"type": "null"})), "null");
    assert_eq!(prop(json!({"type": "bogus"})), "unknown");
    assert_eq!(prop(json!({"type": 42})), "unknown");
    assert_eq!(prop(json!({})), "unknown");
    assert_eq!(prop(json!(true)), "unknown");
    assert_eq!(prop(json!(false)), "never");
}

#[test]
fn type_arrays_and_nullable() {
    assert_eq!(prop(json!({"type": ["string", "null"]})), "string | null");
    assert_eq!(prop(json!({"type": ["integer", "number"]})), "number");
    assert_eq!(prop(json!({"type": ["string", "bogus"]})), "unknown");
    assert_eq!(prop(json!({"type": "string", "nullable": true})), "string | null");
    assert_eq!(
        prop(json!({"type": ["string", "null"], "nullable": true})),
        "string | null"
    );
    assert_eq!(
        prop(
            json!({"type": ["array", "object"], "items": {"type": "number"}, "properties": {"a": {"type": "string"}}})
        ),
        "number[] | { a?: string }"
    );
}

#[test]
fn objects_with_required_and_optional_properties() {
    assert_eq!(
        prop(json!({"type": "object", "properties": {
            "a": {"type": "string"}, "b": {"type": "number"}, "c-d": {"type": "boolean"}
        }, "required": ["a", "c-d", "missing"]})),
        "{ a: string; b?: number; \"c-d\": boolean }"
    );
    // `properties` alone implies an object; `required` that is not a list
    // of strings is ignored.
    assert_eq!(
        prop(json!({"properties": {"a": {"type": "string"}}, "required": "a"})),
        "{ a?: string }"
    );
    assert_eq!(
        prop(json!({"properties": {"a": {"type": "string"}}, "required": [1, "a"]})),
        "{ a: string }"
    );
}

#[test]
fn additional_properties() {
    assert_eq!(
        prop(json!({"type": "object", "additionalProperties": {"type": "number"}})),
        "Record<string, number>"
    );
    assert_eq!(
        prop(json!({"additionalProperties": {"type": "string"}})),
        "Record<string, string>"
    );
    assert_eq!(prop(json!({"type": "object"})), "Record<string, unknown>");
    assert_eq!(
        prop(json!({"type": "object", "additionalProperties": false})),
        "Record<string, never>"
    );
    assert_eq!(
        prop(json!({"type": "object", "patternProperties": {"^x": {"type": "string"}}})),
        "Record<string, unknown>"
    );
    // Beside properties: an index signature of unknown (a typed one could
    // contradict the properties).
    assert_eq!(
        prop(
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
                    "additionalProperties": true})
        ),
        "{ a: string; [key: string]: unknown }"
    );
    assert_eq!(
        prop(
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
                    "additionalProperties": {"type": "number"}})
        ),
        "{ a: string; [key: string]: unknown }"
    );
    assert_eq!(
        prop(
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
                    "additionalProperties": false})
        ),
        "{ a: string }"
    );
}

#[test]
fn enum_and_const_are_literals() {
    assert_eq!(prop(json!({"type": "string", "enum": ["a", "b"]})), "\"a\" | \"b\"");
    assert_eq!(
        prop(json!({"enum": [1, -2.5, true, null, "x\"y"]})),
        "1 | -2.5 | true | null | \"x\\\"y\""
    );
    assert_eq!(prop(json!({"const": "fixed"})), "\"fixed\"");
    assert_eq!(prop(json!({"type": "number", "const": 3})), "3");
    assert_eq!(prop(json!({"enum": ["a", "a", "b"]})), "\"a\" | \"b\"");
    // Values that are not literals: the type instead.
    assert_eq!(
        prop(json!({"type": "object", "enum": [{"a": 1}]})),
        "Record<string, unknown>"
    );
    assert_eq!(prop(json!({"enum": [[1]]})), "unknown");
    assert_eq!(prop(json!({"type": "string", "enum": []})), "string");
}

#[test]
fn any_of_and_one_of_are_unions() {
    assert_eq!(
        prop(json!({"anyOf": [{"type": "string"}, {"type": "number"}]})),
        "string | number"
    );
    assert_eq!(
        prop(json!({"oneOf": [{"type": "string"}, {"anyOf": [{"type": "number"}, {"type": "string"}]}]})),
        "string | number"
    );
    assert_eq!(prop(json!({"anyOf": [{"type": "string"}, {}]})), "unknown");
    assert_eq!(
        prop(json!({"anyOf": [{"type": "string"}, {"type": "null"}]})),
        "string | null"
    );
    // Beside a type: an intersection; constraint-only members add nothing.
    assert_eq!(
        prop(
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                    "oneOf": [{"required": ["a"]}, {"required": ["b"]}]})
        ),
        "{ a?: string; b?: string }"
    );
    assert_eq!(
        prop(
            json!({"type": "object", "properties": {"kind": {"type": "string"}}, "required": ["kind"],
                    "oneOf": [{"properties": {"a": {"type": "number"}}, "required": ["a"]},
                              {"properties": {"b": {"type": "number"}}, "required": ["b"]}]})
        ),
        "{ kind: string } & ({ a: number } | { b: number })"
    );
}

#[test]
fn all_of_merges_objects_or_intersects() {
    assert_eq!(
        prop(json!({"allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"type": "object", "properties": {"b": {"type": "number"}}}
        ]})),
        "{ a: string; b?: number }"
    );
    // The same property twice: an intersection.
    assert_eq!(
        prop(json!({"allOf": [
            {"properties": {"a": {"type": "string"}}},
            {"properties": {"a": {"const": "x"}}}
        ]})),
        "{ a?: string } & { a?: \"x\" }"
    );
    assert_eq!(
        prop(json!({"allOf": [{"type": "string"}, {"type": ["string", "null"]}]})),
        "string & (string | null)"
    );
    assert_eq!(prop(json!({"allOf": [{}, {"type": "string"}]})), "string");
}

#[test]
fn arrays_and_tuples() {
    assert_eq!(prop(json!({"type": "array", "items": {"type": "string"}})), "string[]");
    assert_eq!(prop(json!({"type": "array"})), "unknown[]");
    assert_eq!(prop(json!({"items": {"type": "number"}})), "number[]");
    assert_eq!(
        prop(json!({"type": "array", "items": {"type": ["string", "number"]}})),
        "(string | number)[]"
    );
    assert_eq!(
        prop(json!({"type": "array", "items": {"type": "array", "items": {"type": "boolean"}}})),
        "boolean[][]"
    );
    assert_eq!(prop(json!({"type": "array", "items": {"const": -1}})), "(-1)[]");
    assert_eq!(
        prop(json!({"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "minItems": 2})),
        "[number, number]"
    );
    assert_eq!(
        prop(json!({"type": "array", "prefixItems": [{"type": "string"}, {"enum": ["a", "b"]}], "minItems": 1})),
        "[string, (\"a\" | \"b\")?]"
    );
    assert_eq!(
        prop(json!({"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "number"}, "minItems": 1})),
        "[string, ...number[]]"
    );
    assert_eq!(
        prop(json!({"type": "array", "prefixItems": [{"type": "string"}], "items": false, "minItems": 1})),
        "[string]"
    );
    // Draft 4 tuples.
    assert_eq!(
        prop(
            json!({"type": "array", "items": [{"type": "string"}, {"type": "number"}], "minItems": 2,
                    "additionalItems": {"type": "boolean"}})
        ),
        "[string, number, ...boolean[]]"
    );
}

#[test]
fn refs_become_named_types() {
    let ts = declare(json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object",
        "properties": {"where": {"$ref": "#/$defs/point"}, "old": {"$ref": "#/definitions/Point"}},
        "required": ["where"],
        "$defs": {"point": {"type": "object", "description": "A point.",
                            "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}},
        "definitions": {"Point": {"type": "array", "items": {"type": "number"}}}
    }}]}));
    assert_eq!(
        ts,
        "  namespace t {
    /** A point. */
    interface Point { x: number; y: number }
    type Point2 = number[];
  }
  const t: {
    f(args: { where: t.Point; old?: t.Point2 }): Promise<string>;
  };
"
    );
}

#[test]
fn refs_that_cannot_be_followed_are_unknown() {
    for reference in [
        "#/$defs/missing",
        "#",
        "#/properties/a",
        "#/$defs/a/properties/b",
        "https://example.com/schema.json",
        "other.json#/$defs/a",
    ] {
        let ts = method(
            json!({"type": "object", "properties": {"p": {"$ref": reference}}, "required": ["p"],
                               "$defs": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}}}),
        );
        assert_eq!(ts, "    f(args: { p: unknown }): Promise<string>;\n", "{reference}");
    }
}

#[test]
fn pointer_escapes_in_refs() {
    let ts = declare(json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object", "properties": {"a": {"$ref": "#/$defs/a~1b"}, "c": {"$ref": "#/$defs/c%20d"}},
        "required": ["a", "c"],
        "$defs": {"a/b": {"type": "string"}, "c d": {"type": "number"}}
    }}]}));
    assert!(ts.contains("    type AB = string;\n    type CD = number;\n"), "{ts}");
    assert!(ts.contains("f(args: { a: t.AB; c: t.CD }): Promise<string>;"), "{ts}");
}

#[test]
fn recursive_refs_are_interfaces() {
    let ts = declare(json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object", "properties": {"root": {"$ref": "#/$defs/node"}}, "required": ["root"],
        "$defs": {"node": {"type": "object", "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}
        }, "required": ["name"]}}
    }}]}));
    assert_eq!(
        ts,
        "  namespace t {
    interface Node { name: string; children?: Node[] }
  }
  const t: {
    f(args: { root: t.Node }): Promise<string>;
  };
"
    );
}

#[test]
fn aliases_never_refer_to_themselves() {
    // a = b | null, b = a: TypeScript would refuse both.
    let ts = declare(json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object", "properties": {"p": {"$ref": "#/$defs/a"}}, "required": ["p"],
        "$defs": {
            "a": {"anyOf": [{"$ref": "#/$defs/b"}, {"type": "null"}]},
            "b": {"$ref": "#/$defs/a"},
            "c": {"anyOf": [{"$ref": "#/$defs/c"}, {"type": "array", "items": {"$ref": "#/$defs/c"}}]}
        }
    }}, {"name": "g", "inputSchema": {
        "type": "object", "properties": {"p": {"$ref": "#/$defs/c"}}, "required": ["p"],
        "$defs": {"c": {"anyOf": [{"$ref": "#/$defs/c"}, {"type": "array", "items": {"$ref": "#/$defs/c"}}]}}
    }}]}));
    assert!(ts.contains("    type A = B | null;\n    type B = unknown;\n"), "{ts}");
    // In an array the reference is fine; at the top it is cut.
    assert!(ts.contains("    type C = unknown;\n"), "{ts}");
}

#[test]
fn refs_across_tools_get_distinct_names() {
    let tool = |name: &str, def: Value| {
        json!({"name": name, "inputSchema": {
            "type": "object", "properties": {"x": {"$ref": "#/$defs/Item"}}, "required": ["x"],
            "$defs": {"Item": def}
        }})
    };
    let ts = declare(json!({"tools": [
        tool("f", json!({"type": "string"})),
        tool("g", json!({"type": "number"}))
    ]}));
    assert!(
        ts.contains("    type Item = string;\n    type Item2 = number;\n"),
        "{ts}"
    );
    assert!(
        ts.contains("f(args: { x: t.Item })") && ts.contains("g(args: { x: t.Item2 })"),
        "{ts}"
    );
    // A def named like a type the declarations use is renamed.
    let ts = declare(json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object", "properties": {"x": {"$ref": "#/$defs/promise"}}, "required": ["x"],
        "$defs": {"promise": {"type": "string"}}
    }}]}));
    assert!(ts.contains("    type Promise2 = string;\n"), "{ts}");
}

#[test]
fn docs_from_description_default_and_format() {
    assert_eq!(
        method(json!({"type": "object", "properties": {
            "url": {"type": "string", "format": "uri", "description": "Where to go."},
            "n": {"type": "integer", "default": 3},
            "tags": {"type": "array", "items": {"type": "string"}, "default": ["a"]}
        }, "required": ["url"]})),
        "    f(args: {
      /** Where to go. @format uri */
      url: string;
      /** @default 3 */
      n?: number;
      /** @default [\"a\"] */
      tags?: string[];
    }): Promise<string>;
"
    );
}

#[test]
fn redundant_docs_are_dropped() {
    let ts = declare(
        json!({"tools": [{"name": "f", "inputSchema": {"type": "object", "properties": {
        "path": {"type": "string", "description": "The path."},
        "entity_name": {"type": "string", "description": "Entity name"},
        "kind": {"$ref": "#/$defs/kind", "description": "The kind of thing."},
        "other": {"$ref": "#/$defs/kind", "description": "Another kind, for comparison."}
    }, "required": ["path", "entity_name", "kind", "other"],
    "$defs": {"kind": {"enum": ["a", "b"], "description": "The kind of thing."}}}}]}),
    );
    assert_eq!(
        ts,
        "  namespace t {
    /** The kind of thing. */
    type Kind = \"a\" | \"b\";
  }
  const t: {
    f(args: {
      path: string;
      entity_name: string;
      kind: t.Kind;
      /** Another kind, for comparison. */
      other: t.Kind;
    }): Promise<string>;
  };
"
    );
}

#[test]
fn docs_are_cleaned_escaped_and_cut() {
    let ts = declare(json!({"tools": [{
        "name": "f",
        "description": "  First line.   \n\n\n   Second */ line.  \n",
        "inputSchema": {"type": "object", "properties": {
            "a": {"type": "string", "description": "x".repeat(MAX_SCHEMA_DOC_CHARS + 10)},
            "b": {"type": "string", "description": "   "}
        }, "required": ["a", "b"]}
    }]}));
    assert!(
        ts.contains("    /**\n     * First line.\n     *\n     *    Second *\\/ line.\n     */\n    f(args: {\n"),
        "{ts}"
    );
    assert!(ts.contains(&format!(
        "      /** {}... */\n      a: string;\n",
        "x".repeat(MAX_SCHEMA_DOC_CHARS)
    )));
    assert!(ts.contains("      a: string;\n      b: string;\n"), "{ts}");
}

#[test]
fn a_recurring_shape_is_declared_once() {
    let entity = json!({"type": "object", "properties": {
        "name": {"type": "string", "description": "The name of the entity"},
        "observations": {"type": "array", "items": {"type": "string"}}
    }, "required": ["name", "observations"]});
    let input = json!({"type": "object", "properties": {"entities": {"type": "array", "items": entity}},
                       "required": ["entities"]});
    let graph = json!({"type": "object", "properties": {"entities": {"type": "array", "items": entity},
                                                         "count": {"type": "number"}},
                       "required": ["entities", "count"]});
    let ts = declare(json!({"tools": [
        {"name": "create_entities", "inputSchema": input},
        {"name": "read_graph", "inputSchema": {"type": "object"}, "outputSchema": graph},
        {"name": "small", "inputSchema": {"type": "object", "properties": {"a": {"type": "string"}}}},
        {"name": "small2", "inputSchema": {"type": "object", "properties": {"a": {"type": "string"}}}}
    ]}));
    // A short shape (`{ a?: string }`) costs less written twice.
    assert_eq!(
        ts,
        "  namespace t {
    interface Entity {
      /** The name of the entity */
      name: string;
      observations: string[];
    }
  }
  const t: {
    createEntities(args: { entities: t.Entity[] }): Promise<string>;
    readGraph(): Promise<{ entities: t.Entity[]; count: number }>;
    small(args?: { a?: string }): Promise<string>;
    small2(args?: { a?: string }): Promise<string>;
  };
"
    );
}

#[test]
fn a_shape_that_is_an_argument_and_a_result_is_named_after_its_property() {
    let list = json!({"type": "object", "properties": {"entities": {"type": "array", "items": {
        "type": "object", "properties": {"name": {"type": "string", "description": "The name of the entity"}},
        "required": ["name"]}}}, "required": ["entities"]});
    let ts = declare(json!({"tools": [
        {"name": "create_entities", "inputSchema": list, "outputSchema": list},
        {"name": "read_graph", "inputSchema": {"type": "object"}, "outputSchema": list}
    ]}));
    assert!(
        ts.contains(
            "    interface Entities {
      entities: {
"
        ),
        "{ts}"
    );
    assert!(
        ts.contains(
            "    createEntities(args: t.Entities): Promise<t.Entities>;
"
        ),
        "{ts}"
    );
    assert!(
        ts.contains(
            "    readGraph(): Promise<t.Entities>;
"
        ),
        "{ts}"
    );
    assert_eq!(ts.matches("The name of the entity").count(), 1, "{ts}");
}

#[test]
fn a_shape_that_a_def_has_is_written_by_its_name() {
    let point = json!({"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"},
                                                        "label": {"type": "string"}},
                       "required": ["x", "y", "label"]});
    let ts = declare(json!({"tools": [{"name": "f", "inputSchema": {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/Point"}, "b": point},
        "required": ["a", "b"],
        "$defs": {"Point": point}
    }}]}));
    assert!(
        ts.contains("f(args: { a: t.Point; b: t.Point }): Promise<string>;"),
        "{ts}"
    );
    assert_eq!(ts.matches("label").count(), 1, "{ts}");
}

#[test]
fn the_shorter_form_puts_methods_in_an_interface() {
    let def = json!({"type": "object", "properties": {"v": {"type": "string"}}, "required": ["v"]});
    let tool = |name: &str| {
        json!({"name": name, "inputSchema": {
        "type": "object", "properties": {"a": {"$ref": "#/$defs/Value"}, "b": {"$ref": "#/$defs/Value"}},
        "required": ["a", "b"], "$defs": {"Value": def}
    }, "outputSchema": {"$ref": "#/$defs/Value", "$defs": {"Value": def}}})
    };
    let tools = McpTools::from_value(&json!({"tools": [tool("one"), tool("two"), tool("three")]})).unwrap();
    let ts = mcp_typescript("a_long_binding_name", &tools);
    assert!(
        ts.contains("    interface Api {\n      one(args: { a: Value; b: Value }): Promise<Value>;\n"),
        "{ts}"
    );
    assert!(
        ts.ends_with("  const a_long_binding_name: a_long_binding_name.Api;\n"),
        "{ts}"
    );
    // The same defs in every tool are one type.
    assert_eq!(ts.matches("interface Value").count(), 1, "{ts}");
}
