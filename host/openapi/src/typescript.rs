//! JSON Schema (as OpenAPI 3.0 and 3.1 write it) in TypeScript, for
//! `describe`: `$ref`s to `#/components/schemas/X` are named types,
//! `allOf` an intersection, `oneOf`/`anyOf` a union (with a discriminator's
//! mapping, each member `& { kind: "value" }`), `enum`/`const` literals,
//! `nullable` (3.0) and `type` arrays (3.1) unions with `null`; `format`,
//! `description` and `deprecated` are doc comments, cut to bounded lengths.
//! Named types are referred to, never expanded, so cycles end; refs to
//! anything else are expanded once per path and `unknown` where they recur.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::document::resolve;
use crate::error::clip;
use crate::pointer::{lookup, ref_tokens, reference};

/// Schemas nested deeper than this are `unknown`.
pub const MAX_SCHEMA_DEPTH: usize = 24;

/// The most schema objects rendered for one `describe`; past it, `unknown`.
pub const MAX_RENDERED_SCHEMAS: usize = 20_000;

/// A property's or type's doc comment is cut to this many characters.
pub const MAX_PROPERTY_DOC_CHARS: usize = 300;

/// The most literals written for an `enum`; past it, the base type.
const MAX_ENUM_LITERALS: usize = 64;

/// Writes schemas as TypeScript, noting the named types used.
pub(crate) struct Renderer<'a> {
    doc: &'a Value,
    names: &'a HashMap<String, String>,
    /// Named types referred to, in first-use order (pointers).
    pub used: Vec<String>,
    used_set: HashSet<String>,
    /// Unnamed refs being expanded (a recurrence is `unknown`).
    expanding: Vec<String>,
    rendered: usize,
}

fn indent(level: usize) -> String {
    "  ".repeat(level)
}

/// `name` as a property key: itself when an identifier, else quoted.
pub(crate) fn property_key(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        name.to_owned()
    } else {
        serde_json::to_string(name).unwrap_or_else(|_| "\"\"".to_owned())
    }
}

/// A doc comment's text on one line: whitespace collapsed, `*/` broken,
/// cut to `max` characters.
pub(crate) fn doc_line(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    clip(&collapsed, max).replace("*/", "*\\/")
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(doc: &'a Value, names: &'a HashMap<String, String>) -> Self {
        Renderer {
            doc,
            names,
            used: Vec::new(),
            used_set: HashSet::new(),
            expanding: Vec::new(),
            rendered: 0,
        }
    }

    /// The schema at `pointer` (a pointer into the document), at `level`.
    pub(crate) fn at_pointer(&mut self, pointer: &str, level: usize) -> String {
        match ref_tokens(pointer).and_then(|tokens| lookup(self.doc, &tokens)) {
            Some(schema) => self.schema(schema, 0, level),
            None => "unknown".to_owned(),
        }
    }

    /// The body of named type `pointer` (what `type X = ...` says),
    /// expanded one level rather than referred to by its own name.
    pub(crate) fn named_body(&mut self, pointer: &str) -> String {
        match ref_tokens(pointer).and_then(|tokens| lookup(self.doc, &tokens)) {
            // A named type that is only an alias of another named type.
            Some(schema) => self.schema_inner(schema, 0, 0),
            None => "unknown".to_owned(),
        }
    }

    fn note_used(&mut self, pointer: &str) {
        if self.used_set.insert(pointer.to_owned()) {
            self.used.push(pointer.to_owned());
        }
    }

    /// `schema` as a TypeScript type; `level` is the indentation of the
    /// line it starts on.
    pub(crate) fn schema(&mut self, schema: &Value, depth: usize, level: usize) -> String {
        if let Some(target) = reference(schema) {
            return self.reference(target, depth, level);
        }
        self.schema_inner(schema, depth, level)
    }

    fn reference(&mut self, target: &str, depth: usize, level: usize) -> String {
        let Some(tokens) = ref_tokens(target) else {
            return "unknown".to_owned();
        };
        let pointer = crate::pointer::pointer_of(&tokens);
        if let Some(name) = self.names.get(&pointer) {
            let name = name.clone();
            self.note_used(&pointer);
            return name;
        }
        if self.expanding.contains(&pointer) {
            return "unknown".to_owned();
        }
        let Some(found) = lookup(self.doc, &tokens) else {
            return "unknown".to_owned();
        };
        self.expanding.push(pointer);
        let out = self.schema(found, depth + 1, level);
        self.expanding.pop();
        out
    }

    fn schema_inner(&mut self, schema: &Value, depth: usize, level: usize) -> String {
        self.rendered += 1;
        if depth > MAX_SCHEMA_DEPTH || self.rendered > MAX_RENDERED_SCHEMAS {
            return "unknown".to_owned();
        }
        let object = match schema {
            Value::Bool(true) => return "unknown".to_owned(),
            Value::Bool(false) => return "never".to_owned(),
            Value::Object(object) => object,
            _ => return "unknown".to_owned(),
        };
        let mut out = if let Some(constant) = object.get("const") {
            literal(constant)
        } else if let Some(values) = object.get("enum").and_then(Value::as_array)
            && !values.is_empty()
            && values.len() <= MAX_ENUM_LITERALS
        {
            union(values.iter().map(literal).collect())
        } else if let Some(parts) = object.get("allOf").and_then(Value::as_array) {
            let mut members: Vec<String> = parts
                .iter()
                .map(|part| wrap(self.schema(part, depth + 1, level)))
                .collect();
            if object.contains_key("properties") {
                members.push(self.object(object, depth, level));
            }
            members.dedup();
            if members.is_empty() {
                "unknown".to_owned()
            } else {
                members.join(" & ")
            }
        } else if let Some(parts) = object
            .get("oneOf")
            .or_else(|| object.get("anyOf"))
            .and_then(Value::as_array)
        {
            self.alternatives(object, parts, depth, level)
        } else {
            self.typed(object, depth, level)
        };
        let nullable_30 = object.get("nullable").and_then(Value::as_bool) == Some(true);
        if nullable_30 && out != "null" && !out.ends_with("| null") && out != "unknown" {
            out = if top_level(&out).1 {
                format!("({out}) | null")
            } else {
                format!("{out} | null")
            };
        }
        out
    }

    /// `oneOf`/`anyOf`: a union; with a discriminator's mapping, each
    /// mapped member intersected with its tag.
    fn alternatives(
        &mut self,
        object: &serde_json::Map<String, Value>,
        parts: &[Value],
        depth: usize,
        level: usize,
    ) -> String {
        let discriminator = object.get("discriminator");
        let property = discriminator
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str);
        let mapping: Vec<(String, String)> = discriminator
            .and_then(|d| d.get("mapping"))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let mut members = Vec::with_capacity(parts.len());
        for part in parts {
            let mut member = wrap(self.schema(part, depth + 1, level));
            if let (Some(property), Some(target)) = (property, reference(part)) {
                let tags: Vec<String> = mapping
                    .iter()
                    .filter(|(_, to)| to == target)
                    .map(|(tag, _)| literal(&Value::String(tag.clone())))
                    .collect();
                if !tags.is_empty() {
                    member = format!("({member} & {{ {}: {} }})", property_key(property), tags.join(" | "));
                }
            }
            members.push(member);
        }
        let mut base = union(members);
        // Properties beside the alternatives apply to each of them.
        if object.contains_key("properties") {
            base = format!("({base}) & {}", self.object(object, depth, level));
        }
        base
    }

    /// A schema by its `type` (a string, or an array of them in 3.1).
    fn typed(&mut self, object: &serde_json::Map<String, Value>, depth: usize, level: usize) -> String {
        let types: Vec<&str> = match object.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => {
                if object.contains_key("properties") || object.contains_key("additionalProperties") {
                    vec!["object"]
                } else if object.contains_key("items") {
                    vec!["array"]
                } else {
                    return "unknown".to_owned();
                }
            }
        };
        let mut members = Vec::with_capacity(types.len());
        for kind in types {
            let member = match kind {
                "string" => "string".to_owned(),
                "number" | "integer" => "number".to_owned(),
                "boolean" => "boolean".to_owned(),
                "null" => "null".to_owned(),
                "array" => self.array(object, depth, level),
                "object" => self.object(object, depth, level),
                _ => "unknown".to_owned(),
            };
            members.push(member);
        }
        union(members)
    }

    fn array(&mut self, object: &serde_json::Map<String, Value>, depth: usize, level: usize) -> String {
        if let Some(prefix) = object.get("prefixItems").and_then(Value::as_array) {
            let items: Vec<String> = prefix.iter().map(|p| self.schema(p, depth + 1, level)).collect();
            return format!("[{}]", items.join(", "));
        }
        let item = match object.get("items") {
            Some(items) => self.schema(items, depth + 1, level),
            None => "unknown".to_owned(),
        };
        if item
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.')
        {
            format!("{item}[]")
        } else {
            format!("Array<{item}>")
        }
    }

    fn object(&mut self, object: &serde_json::Map<String, Value>, depth: usize, level: usize) -> String {
        let required: HashSet<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties = object.get("properties").and_then(Value::as_object);
        let additional = match object.get("additionalProperties") {
            None | Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some("unknown".to_owned()),
            Some(schema) => Some(self.schema(schema, depth + 1, level + 1)),
        };
        let Some(properties) = properties.filter(|p| !p.is_empty()) else {
            return format!("Record<string, {}>", additional.unwrap_or_else(|| "unknown".to_owned()));
        };
        let inner = indent(level + 1);
        let mut out = String::from("{\n");
        for (name, property) in properties {
            let doc = self.property_doc(property);
            if !doc.is_empty() {
                out.push_str(&format!("{inner}/** {doc} */\n"));
            }
            let optional = if required.contains(name.as_str()) { "" } else { "?" };
            let ty = self.schema(property, depth + 1, level + 1);
            out.push_str(&format!("{inner}{}{optional}: {ty};\n", property_key(name)));
        }
        if let Some(additional) = additional {
            out.push_str(&format!("{inner}[key: string]: {additional};\n"));
        }
        out.push_str(&indent(level));
        out.push('}');
        out
    }

    /// A property's doc: its description (or its target's title), format,
    /// default and deprecation, on one line.
    pub(crate) fn property_doc(&self, property: &Value) -> String {
        let own = property.as_object();
        let mut parts: Vec<String> = Vec::new();
        if let Some(description) = own.and_then(|o| o.get("description")).and_then(Value::as_str) {
            parts.push(doc_line(description, MAX_PROPERTY_DOC_CHARS));
        }
        let resolved = resolve(self.doc, property, "#").map(|(v, _)| v).unwrap_or(property);
        if let Some(format) = resolved.get("format").and_then(Value::as_str) {
            parts.push(format!("@format {}", doc_line(format, 40)));
        }
        if let Some(default) = own.and_then(|o| o.get("default")) {
            parts.push(format!("@default {}", doc_line(&default.to_string(), 80)));
        }
        if own.and_then(|o| o.get("deprecated")).and_then(Value::as_bool) == Some(true) {
            parts.push("@deprecated".to_owned());
        }
        parts.join(" ")
    }
}

/// A JSON value as a TypeScript literal type.
fn literal(value: &Value) -> String {
    match value {
        Value::String(s) => serde_json::to_string(&clip(s, 200)).unwrap_or_else(|_| "string".into()),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        _ => "unknown".to_owned(),
    }
}

/// Members joined by ` | `, each once; `never` for none.
fn union(members: Vec<String>) -> String {
    let mut seen = HashSet::new();
    let unique: Vec<String> = members.into_iter().filter(|m| seen.insert(m.clone())).collect();
    if unique.is_empty() {
        return "never".to_owned();
    }
    if unique.iter().any(|m| m == "unknown") {
        return "unknown".to_owned();
    }
    unique.join(" | ")
}

/// Whether `ty` has a `|` and a `&` outside brackets and strings.
fn top_level(ty: &str) -> (bool, bool) {
    let mut depth = 0i32;
    let (mut union, mut intersection) = (false, false);
    let mut in_string = false;
    let mut previous = ' ';
    for c in ty.chars() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '{' | '(' | '<' | '[' if !in_string => depth += 1,
            '}' | ')' | '>' | ']' if !in_string => depth -= 1,
            '|' if !in_string && depth == 0 => union = true,
            '&' if !in_string && depth == 0 => intersection = true,
            _ => {}
        }
        previous = c;
    }
    (union, intersection)
}

/// A type in parentheses when it is a union or intersection at the top.
fn wrap(ty: String) -> String {
    let (union, intersection) = top_level(&ty);
    if union || intersection { format!("({ty})") } else { ty }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(doc: &Value, schema: &Value) -> String {
        let names: HashMap<String, String> = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|schemas| {
                schemas
                    .keys()
                    .map(|k| (format!("#/components/schemas/{k}"), crate::names::pascal_case(k)))
                    .collect()
            })
            .unwrap_or_default();
        Renderer::new(doc, &names).schema(schema, 0, 0)
    }

    #[test]
    fn primitives_nullable_and_type_arrays() {
        let doc = json!({});
        assert_eq!(
            render(&doc, &json!({"type": "string", "nullable": true})),
            "string | null"
        );
        assert_eq!(render(&doc, &json!({"type": ["integer", "null"]})), "number | null");
        assert_eq!(render(&doc, &json!({"enum": ["a", "b", null]})), "\"a\" | \"b\" | null");
        assert_eq!(
            render(&doc, &json!({"type": "array", "items": {"type": "string"}})),
            "string[]"
        );
        assert_eq!(
            render(&doc, &json!({"type": "array", "items": {"type": ["string", "number"]}})),
            "Array<string | number>"
        );
        assert_eq!(render(&doc, &json!({"type": "object"})), "Record<string, unknown>");
        assert_eq!(render(&doc, &json!(false)), "never");
    }

    #[test]
    fn objects_carry_docs_formats_and_optionality() {
        let doc = json!({});
        let schema = json!({"type": "object", "required": ["id"], "properties": {
            "id": {"type": "integer", "format": "int64", "description": "The id."},
            "created-at": {"type": "string", "format": "date-time", "deprecated": true}},
            "additionalProperties": {"type": "string"}});
        assert_eq!(
            render(&doc, &schema),
            "{\n  /** The id. @format int64 */\n  id: number;\n  /** @format date-time @deprecated */\n  \"created-at\"?: string;\n  [key: string]: string;\n}"
        );
    }

    #[test]
    fn refs_are_named_and_cycles_end() {
        let doc = json!({"components": {"schemas": {"node": {"type": "object", "properties": {
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/node"}}}}}}});
        let names = HashMap::from([("#/components/schemas/node".to_owned(), "Node".to_owned())]);
        let mut renderer = Renderer::new(&doc, &names);
        assert_eq!(
            renderer.named_body("#/components/schemas/node"),
            "{\n  children?: Node[];\n}"
        );
        assert_eq!(renderer.used, ["#/components/schemas/node"]);
        // An unnamed ref that recurs is unknown where it recurs.
        let doc = json!({"x": {"type": "object", "properties": {"self": {"$ref": "#/x"}}}});
        assert_eq!(render(&doc, &json!({"$ref": "#/x"})), "{\n  self?: unknown;\n}");
    }

    #[test]
    fn combinators_and_discriminators() {
        let doc = json!({"components": {"schemas": {
            "Cat": {"type": "object", "properties": {"meow": {"type": "boolean"}}},
            "Dog": {"type": "object", "properties": {"bark": {"type": "boolean"}}}}}});
        let schema = json!({"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": "kind", "mapping": {
                "cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"}}});
        assert_eq!(
            render(&doc, &schema),
            "(Cat & { kind: \"cat\" }) | (Dog & { kind: \"dog\" })"
        );
        assert_eq!(
            render(
                &doc,
                &json!({"allOf": [{"$ref": "#/components/schemas/Cat"}, {"anyOf": [{"type": "string"}, {"type": "number"}]}]})
            ),
            "Cat & (string | number)"
        );
    }
}
