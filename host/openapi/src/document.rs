//! Reading a spec: the size cap, JSON or YAML into one JSON value, the
//! OpenAPI version, and a check of every `$ref` (local, present, and not a
//! chain of refs that only leads back to itself), each failure naming the
//! JSON pointer where it is.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::{QUOTE_CHARS, SpecError, clip, quote_pointer};
use crate::pointer::{lookup, pointer_of, ref_tokens, reference};

/// The largest spec read, in bytes (32 MiB). GitHub's REST API spec is
/// about 12 MiB of JSON.
pub const MAX_SPEC_BYTES: u64 = 32 << 20;

/// The most `$ref` hops followed from one reference before a chain is
/// called a cycle.
const MAX_REF_HOPS: usize = 64;

/// Which OpenAPI the spec is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenApiVersion {
    /// 3.0.x: `nullable: true`, `exclusiveMinimum` as a flag.
    V3_0,
    /// 3.1.x: JSON Schema 2020-12, `type` may be an array.
    V3_1,
}

/// The spec text as a JSON value: JSON when it starts with `{`, else YAML.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, SpecError> {
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(SpecError::TooLarge {
            bytes: bytes.len() as u64,
            limit: MAX_SPEC_BYTES,
        });
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return serde_json::from_slice(bytes).map_err(|e| SpecError::Syntax {
            format: "JSON",
            message: clip(&e.to_string(), 300),
        });
    }
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_slice(bytes).map_err(|e| SpecError::Syntax {
        format: "YAML",
        message: clip(&e.to_string(), 300),
    })?;
    yaml_to_json(yaml, "#")
}

/// A YAML value as JSON: scalar mapping keys (`200:`) become strings, tags
/// are dropped; other keys are refused.
fn yaml_to_json(value: serde_yaml_ng::Value, at: &str) -> Result<Value, SpecError> {
    use serde_yaml_ng::Value as Yaml;
    Ok(match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                out.push(yaml_to_json(item, &format!("{at}/{index}"))?);
            }
            Value::Array(out)
        }
        Yaml::Mapping(mapping) => {
            let mut out = Map::with_capacity(mapping.len());
            for (key, item) in mapping {
                let key = match key {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    Yaml::Null => "null".to_owned(),
                    _ => {
                        return Err(SpecError::Invalid {
                            pointer: quote_pointer(at),
                            message: "a mapping key is not a string, number or boolean".into(),
                        });
                    }
                };
                let child = crate::pointer::child(at, &key);
                let value = yaml_to_json(item, &child)?;
                out.insert(key, value);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value, at)?,
    })
}

/// The OpenAPI version the document declares.
pub(crate) fn version(doc: &Value) -> Result<OpenApiVersion, SpecError> {
    if !doc.is_object() {
        return Err(SpecError::Invalid {
            pointer: "#".into(),
            message: "the spec is not an object".into(),
        });
    }
    if let Some(swagger) = doc.get("swagger") {
        return Err(SpecError::Version {
            pointer: "#/swagger".into(),
            message: format!(
                "this is Swagger {}: only OpenAPI 3.0 and 3.1 are read (convert it, e.g. with swagger2openapi)",
                clip(&swagger.to_string(), 20)
            ),
        });
    }
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0") => Ok(OpenApiVersion::V3_0),
        Some(v) if v.starts_with("3.1") => Ok(OpenApiVersion::V3_1),
        Some(v) => Err(SpecError::Version {
            pointer: "#/openapi".into(),
            message: format!("OpenAPI {} is not read: only 3.0 and 3.1 are", clip(v, 20)),
        }),
        None => Err(SpecError::Version {
            pointer: "#".into(),
            message: "no `openapi` version string: is this an OpenAPI 3 document?".into(),
        }),
    }
}

/// One step of the path to a value, kept without allocating.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn pointer_text(steps: &[Step<'_>]) -> String {
    let tokens: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => (*k).to_owned(),
            Step::Index(i) => i.to_string(),
        })
        .collect();
    quote_pointer(&pointer_of(&tokens))
}

/// Keys whose values are data (examples, defaults, literal values) or
/// vendor extensions, not spec structure: a `$ref` inside is not followed.
fn is_data_key(key: &str) -> bool {
    matches!(key, "example" | "default" | "enum" | "const") || key.starts_with("x-")
}

/// Checks every `$ref` in `doc`: local, present, and not a cycle of refs
/// alone.
pub(crate) fn check_refs(doc: &Value) -> Result<(), SpecError> {
    let mut checked: HashMap<&str, ()> = HashMap::new();
    let mut steps: Vec<Step<'_>> = Vec::new();
    walk(doc, doc, &mut steps, &mut checked)
}

fn walk<'a>(
    doc: &'a Value,
    value: &'a Value,
    steps: &mut Vec<Step<'a>>,
    checked: &mut HashMap<&'a str, ()>,
) -> Result<(), SpecError> {
    match value {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str)
                && !checked.contains_key(target)
            {
                check_chain(doc, target, steps)?;
                checked.insert(target, ());
            }
            for (key, child) in map {
                if is_data_key(key) || !(child.is_object() || child.is_array()) {
                    continue;
                }
                steps.push(Step::Key(key));
                walk(doc, child, steps, checked)?;
                steps.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                if child.is_object() || child.is_array() {
                    steps.push(Step::Index(index));
                    walk(doc, child, steps, checked)?;
                    steps.pop();
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Follows `target` (the `$ref` at `steps`) through any refs its target
/// is, until a value that is not a ref.
fn check_chain(doc: &Value, target: &str, steps: &[Step<'_>]) -> Result<(), SpecError> {
    let mut seen: Vec<String> = Vec::new();
    let mut current = target.to_owned();
    loop {
        let Some(tokens) = ref_tokens(&current) else {
            return Err(SpecError::ExternalRef {
                pointer: pointer_text(steps),
                target: clip(&current, QUOTE_CHARS),
            });
        };
        let Some(found) = lookup(doc, &tokens) else {
            return Err(SpecError::MissingRef {
                pointer: if seen.is_empty() {
                    pointer_text(steps)
                } else {
                    quote_pointer(seen.last().map(String::as_str).unwrap_or("#"))
                },
                target: clip(&current, QUOTE_CHARS),
            });
        };
        let here = pointer_of(&tokens);
        if seen.contains(&here) || seen.len() > MAX_REF_HOPS {
            seen.push(here);
            return Err(SpecError::CyclicRef {
                pointer: pointer_text(steps),
                target: clip(target, QUOTE_CHARS),
                chain: clip(&seen.join(" -> "), 400),
            });
        }
        seen.push(here);
        match reference(found) {
            Some(next) => current = next.to_owned(),
            None => return Ok(()),
        }
    }
}

/// What `value` is once its refs are followed (at most [`MAX_REF_HOPS`]),
/// with the pointer of where it is; `None` for a ref that leads nowhere
/// (checked at load, so not expected).
pub(crate) fn resolve<'a>(doc: &'a Value, value: &'a Value, at: &str) -> Option<(&'a Value, String)> {
    let mut current = value;
    let mut pointer = at.to_owned();
    for _ in 0..MAX_REF_HOPS {
        match reference(current) {
            Some(target) => {
                let tokens = ref_tokens(target)?;
                current = lookup(doc, &tokens)?;
                pointer = pointer_of(&tokens);
            }
            None => return Some((current, pointer)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_missing_ref_names_where_it_is_and_what_it_wanted() {
        let doc = json!({"paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/Nope"}}}}}});
        let error = check_refs(&doc).unwrap_err();
        assert_eq!(error.pointer(), "#/paths/~1a/get/responses/200");
        assert!(error.to_string().contains("#/components/responses/Nope"), "{error}");
    }

    #[test]
    fn a_cycle_of_refs_alone_is_refused_and_a_cycle_through_properties_is_not() {
        let doc = json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"$ref": "#/components/schemas/A"}}}});
        let error = check_refs(&doc).unwrap_err();
        assert!(matches!(error, SpecError::CyclicRef { .. }), "{error}");
        assert_eq!(error.pointer(), "#/components/schemas/A");
        assert!(
            error
                .to_string()
                .contains("#/components/schemas/B -> #/components/schemas/A"),
            "{error}"
        );

        let tree = json!({"components": {"schemas": {"Node": {"type": "object", "properties": {
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}}});
        check_refs(&tree).unwrap();
    }

    #[test]
    fn external_refs_are_refused_and_refs_in_examples_are_data() {
        let doc = json!({"a": {"$ref": "other.yaml#/X"}});
        assert!(matches!(check_refs(&doc).unwrap_err(), SpecError::ExternalRef { .. }));
        let doc = json!({"a": {"example": {"$ref": "#/nowhere"}}});
        check_refs(&doc).unwrap();
    }

    #[test]
    fn yaml_keys_that_are_numbers_become_strings() {
        let doc = parse(
            b"openapi: 3.0.3\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: ok\n",
        )
        .unwrap();
        assert_eq!(doc["paths"]["/a"]["get"]["responses"]["200"]["description"], "ok");
        assert_eq!(version(&doc).unwrap(), OpenApiVersion::V3_0);
    }

    #[test]
    fn versions_other_than_3_0_and_3_1_are_refused_by_pointer() {
        assert_eq!(version(&json!({"swagger": "2.0"})).unwrap_err().pointer(), "#/swagger");
        assert_eq!(version(&json!({"openapi": "4.0"})).unwrap_err().pointer(), "#/openapi");
        assert_eq!(version(&json!({"openapi": "3.1.0"})).unwrap(), OpenApiVersion::V3_1);
    }

    #[test]
    fn oversized_and_malformed_text_is_refused() {
        let big = vec![b' '; (MAX_SPEC_BYTES + 1) as usize];
        assert!(matches!(parse(&big).unwrap_err(), SpecError::TooLarge { .. }));
        assert!(matches!(
            parse(b"{\"a\": ").unwrap_err(),
            SpecError::Syntax { format: "JSON", .. }
        ));
        assert!(matches!(
            parse(b"a: [").unwrap_err(),
            SpecError::Syntax { format: "YAML", .. }
        ));
    }
}
