//! JSON-typed calls: the arguments of `env.NAME.tool(args)` as a JSON
//! object, and a JSON result as the tree the guest resolves the promise
//! with. Used by capabilities whose methods are described by JSON Schema
//! (MCP tools) rather than WIT. Pure logic: no I/O.
//!
//! # Arguments
//!
//! A JSON tool takes one argument, an object: `tool()` and
//! `tool(undefined)` send `{}`; anything else but a plain object, or more
//! than one argument, is a `TypeError`. Values cross as `JSON.stringify`
//! would write them, except that what it would lose silently is refused
//! with a `TypeError` naming the path (`memory.addObservations:
//! args[0].observations[1]: ...`):
//!
//! | JavaScript | JSON |
//! |---|---|
//! | `undefined` as an object's property | left out |
//! | `undefined` in an array | refused (write `null`) |
//! | a number | an integer when it is one and safe (\|n\| <= 2^53 - 1; `-0` is 0), else a float |
//! | `NaN`, `Infinity` | refused |
//! | a BigInt | refused (pass a number or a string) |
//! | a `Uint8Array`, an `ArrayBuffer` | refused (pass an array or a base64 string) |
//!
//! # Results
//!
//! Any JSON value, as `JSON.parse` would give it: integers past 2^53 lose
//! precision as they would there.
//!
//! Both ways, the trees are bounded by [`TreeLimits`] (nesting, nodes,
//! bytes); a tree that is not one (an index out of range, a node used
//! twice, a duplicate key) is refused. Nothing panics.

use serde_json::{Map, Number, Value};

use super::error::BridgeError;
use super::lift::{Failure, TreeNodes, check_tree};
use super::node::{JsNode, TreeLimits, js_number};
use super::path::{Path, Segment};

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The arguments of a JSON tool call: `nodes` is the flattened JS array of
/// the arguments (node 0), `binding` and `method` name the call in
/// messages.
///
/// ```text
/// use isobox::capability::{JsNode, TreeLimits, json_args};
///
/// let nodes = [
///     JsNode::Array(vec![1]),
///     JsNode::Object(vec![("name".into(), 2), ("n".into(), 3)]),
///     JsNode::String("ada".into()),
///     JsNode::Number(3.0),
/// ];
/// let args = json_args("memory", "createEntities", &nodes, &TreeLimits::default()).unwrap();
/// assert_eq!(serde_json::Value::Object(args), serde_json::json!({ "name": "ada", "n": 3 }));
///
/// let bad = [JsNode::Array(vec![1]), JsNode::Object(vec![("n".into(), 2)]), JsNode::BigInt("1".into())];
/// let error = json_args("memory", "createEntities", &bad, &TreeLimits::default()).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "memory.createEntities: args[0].n: a BigInt is not JSON: pass a number or a string"
/// );
/// ```
///
/// # Errors
///
/// [`BridgeError::ArgumentCount`] for more than one argument;
/// [`BridgeError::TypeMismatch`] for an argument that is not an object or
/// holds a value JSON cannot carry; [`BridgeError::Malformed`] and
/// [`BridgeError::TooLarge`] as for [`lift_args`](super::lift_args).
pub fn json_args(
    binding: &str,
    method: &str,
    nodes: &[JsNode],
    limits: &TreeLimits,
) -> Result<Map<String, Value>, BridgeError> {
    let fail = |failure: Failure| failure.into_error(binding, method);
    check_tree(nodes, limits).map_err(fail)?;
    let Some(JsNode::Array(args)) = nodes.first() else {
        return Err(fail(Failure::Malformed(
            "the arguments (node 0) are not an array".to_owned(),
        )));
    };
    if args.len() > 1 {
        return Err(BridgeError::ArgumentCount {
            binding: binding.to_owned(),
            method: method.to_owned(),
            min: 0,
            max: 1,
            got: args.len(),
        });
    }
    let mut reader = Reader {
        tree: TreeNodes::new(nodes),
        path: Path::default(),
        limits,
    };
    let Some(&first) = args.first() else {
        return Ok(Map::new());
    };
    reader.path.push(Segment::Arg(0));
    match reader.node(first).map_err(fail)? {
        JsNode::Undefined => Ok(Map::new()),
        JsNode::Object(entries) => reader.object(entries).map_err(fail),
        other => Err(fail(reader.mismatch(format!(
            "expected an object (the tool's arguments), got {}",
            other.describe()
        )))),
    }
}

/// The tree the guest resolves a JSON tool's promise with (node 0 the
/// root).
///
/// ```text
/// use isobox::capability::{JsNode, TreeLimits, json_result};
///
/// let nodes = json_result("memory", "readGraph", &serde_json::json!({ "n": [1] }), &TreeLimits::default()).unwrap();
/// assert_eq!(nodes, [
///     JsNode::Object(vec![("n".into(), 1)]),
///     JsNode::Array(vec![2]),
///     JsNode::Number(1.0),
/// ]);
/// ```
///
/// # Errors
///
/// [`BridgeError::TooLarge`] (`result`) past the limits.
pub fn json_result(
    binding: &str,
    method: &str,
    value: &Value,
    limits: &TreeLimits,
) -> Result<Vec<JsNode>, BridgeError> {
    let mut writer = Writer {
        out: Vec::new(),
        bytes: 0,
        limits,
    };
    writer.write(value, 0).map_err(|(limit, unit)| BridgeError::TooLarge {
        binding: binding.to_owned(),
        method: method.to_owned(),
        what: "result",
        limit,
        unit,
    })?;
    Ok(writer.out)
}

struct Reader<'a> {
    tree: TreeNodes<'a>,
    path: Path<'a>,
    limits: &'a TreeLimits,
}

impl<'a> Reader<'a> {
    fn node(&mut self, index: u32) -> Result<&'a JsNode, Failure> {
        self.tree.take(index, &self.path)
    }

    fn mismatch(&self, message: String) -> Failure {
        Failure::Mismatch {
            path: self.path.to_string(),
            message,
        }
    }

    fn object(&mut self, entries: &'a [(String, u32)]) -> Result<Map<String, Value>, Failure> {
        if self.path.depth() > self.limits.max_depth {
            return Err(Failure::TooLarge(self.limits.max_depth, "levels of nesting"));
        }
        let mut map = Map::new();
        for (key, index) in entries {
            self.path.push(Segment::Field(key));
            let node = self.node(*index)?;
            if !matches!(node, JsNode::Undefined) {
                let value = self.value(node)?;
                if map.insert(key.clone(), value).is_some() {
                    return Err(Failure::Malformed(format!("the key {key:?} appears twice")));
                }
            }
            self.path.pop();
        }
        Ok(map)
    }

    fn value(&mut self, node: &'a JsNode) -> Result<Value, Failure> {
        Ok(match node {
            JsNode::Null => Value::Null,
            JsNode::Boolean(b) => Value::Bool(*b),
            JsNode::Number(n) => number(*n).ok_or_else(|| {
                self.mismatch(format!("{} is not JSON: pass a finite number (or null)", js_number(*n)))
            })?,
            JsNode::String(text) => Value::String(text.clone()),
            JsNode::Undefined => {
                return Err(self.mismatch("undefined in an array is not JSON: write null".to_owned()));
            }
            JsNode::BigInt(_) => {
                return Err(self.mismatch("a BigInt is not JSON: pass a number or a string".to_owned()));
            }
            JsNode::Bytes(_) => {
                return Err(
                    self.mismatch("a Uint8Array is not JSON: pass an array of numbers or a base64 string".to_owned())
                );
            }
            JsNode::Object(entries) => Value::Object(self.object(entries)?),
            JsNode::Array(items) => {
                if self.path.depth() > self.limits.max_depth {
                    return Err(Failure::TooLarge(self.limits.max_depth, "levels of nesting"));
                }
                let mut values = Vec::with_capacity(items.len());
                for (i, index) in items.iter().enumerate() {
                    self.path.push(Segment::Index(i));
                    let node = self.node(*index)?;
                    values.push(self.value(node)?);
                    self.path.pop();
                }
                Value::Array(values)
            }
        })
    }
}

/// A JS number as JSON: an integer when it is a safe one, else a float;
/// `None` for NaN and the infinities.
fn number(n: f64) -> Option<Value> {
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER {
        // Exact: a safe integer fits an i64; -0 becomes 0.
        Some(Value::Number(Number::from(n as i64)))
    } else {
        Number::from_f64(n).map(Value::Number)
    }
}

struct Writer<'a> {
    out: Vec<JsNode>,
    bytes: usize,
    limits: &'a TreeLimits,
}

impl Writer<'_> {
    fn push(&mut self, node: JsNode) -> Result<u32, (usize, &'static str)> {
        if self.out.len() >= self.limits.max_nodes {
            return Err((self.limits.max_nodes, "nodes"));
        }
        self.bytes = self.bytes.saturating_add(node.payload_bytes());
        if self.bytes > self.limits.max_bytes {
            return Err((self.limits.max_bytes, "bytes"));
        }
        self.out.push(node);
        // At most max_nodes, which a u32 holds (checked above).
        Ok(u32::try_from(self.out.len() - 1).unwrap_or(u32::MAX))
    }

    fn write(&mut self, value: &Value, depth: usize) -> Result<u32, (usize, &'static str)> {
        let simple = match value {
            Value::Null => JsNode::Null,
            Value::Bool(b) => JsNode::Boolean(*b),
            Value::Number(n) => JsNode::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(text) => JsNode::String(text.clone()),
            Value::Array(_) | Value::Object(_) => {
                if depth >= self.limits.max_depth {
                    return Err((self.limits.max_depth, "levels of nesting"));
                }
                JsNode::Null
            }
        };
        let at = self.push(simple)?;
        let node = match value {
            Value::Array(items) => {
                let mut indices = Vec::with_capacity(items.len().min(self.limits.max_nodes));
                for item in items {
                    indices.push(self.write(item, depth + 1)?);
                }
                JsNode::Array(indices)
            }
            Value::Object(map) => {
                let mut entries = Vec::with_capacity(map.len().min(self.limits.max_nodes));
                for (key, item) in map {
                    self.bytes = self.bytes.saturating_add(key.len());
                    if self.bytes > self.limits.max_bytes {
                        return Err((self.limits.max_bytes, "bytes"));
                    }
                    entries.push((key.clone(), self.write(item, depth + 1)?));
                }
                JsNode::Object(entries)
            }
            _ => return Ok(at),
        };
        self.out[at as usize] = node;
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args(nodes: &[JsNode]) -> Result<Value, String> {
        json_args("m", "t", nodes, &TreeLimits::default())
            .map(Value::Object)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn no_argument_or_undefined_is_an_empty_object() {
        assert_eq!(args(&[JsNode::Array(vec![])]), Ok(json!({})));
        assert_eq!(args(&[JsNode::Array(vec![1]), JsNode::Undefined]), Ok(json!({})));
    }

    #[test]
    fn values_cross_as_json() {
        let nodes = [
            JsNode::Array(vec![1]),
            JsNode::Object(vec![
                ("a".into(), 2),
                ("skip".into(), 3),
                ("list".into(), 4),
                ("f".into(), 8),
                ("neg0".into(), 9),
                ("big".into(), 10),
            ]),
            JsNode::Boolean(true),
            JsNode::Undefined,
            JsNode::Array(vec![5, 6, 7]),
            JsNode::Null,
            JsNode::String("s".into()),
            JsNode::Object(vec![]),
            JsNode::Number(1.5),
            JsNode::Number(-0.0),
            JsNode::Number(1e300),
        ];
        let value = args(&nodes).unwrap();
        assert_eq!(
            value,
            json!({ "a": true, "list": [null, "s", {}], "f": 1.5, "neg0": 0, "big": 1e300 })
        );
        assert_eq!(serde_json::to_string(&value["neg0"]).unwrap(), "0");
    }

    #[test]
    fn what_json_cannot_carry_is_a_type_error_with_its_path() {
        let in_array = |node: JsNode| {
            let nodes = [
                JsNode::Array(vec![1]),
                JsNode::Object(vec![("xs".into(), 2)]),
                JsNode::Array(vec![3, 4]),
                JsNode::Null,
                node,
            ];
            json_args("m", "t", &nodes, &TreeLimits::default()).unwrap_err()
        };
        for (node, message) in [
            (JsNode::Undefined, "undefined in an array is not JSON: write null"),
            (JsNode::BigInt("12".into()), "a BigInt is not JSON"),
            (JsNode::Bytes(vec![1]), "a Uint8Array is not JSON"),
            (JsNode::Number(f64::NAN), "NaN is not JSON"),
            (JsNode::Number(f64::INFINITY), "Infinity is not JSON"),
        ] {
            let error = in_array(node);
            assert_eq!(error.js_error_name(), "TypeError");
            let text = error.to_string();
            assert!(text.starts_with("m.t: args[0].xs[1]: "), "{text}");
            assert!(text.contains(message), "{text}");
        }
    }

    #[test]
    fn the_argument_must_be_one_object() {
        let error = args(&[JsNode::Array(vec![1]), JsNode::String("x".into())]).unwrap_err();
        assert_eq!(
            error,
            "m.t: args[0]: expected an object (the tool's arguments), got \"x\""
        );
        let error = args(&[JsNode::Array(vec![1, 2]), JsNode::Null, JsNode::Null]).unwrap_err();
        assert_eq!(error, "m.t: expected 0 to 1 argument, got 2");
        let error = args(&[JsNode::Array(vec![1]), JsNode::Array(vec![])]).unwrap_err();
        assert!(error.contains("expected an object"), "{error}");
    }

    #[test]
    fn malformed_trees_are_refused() {
        // A node used twice (a shared subtree), an index out of range, a
        // root that is not an array, a duplicate key.
        for nodes in [
            vec![
                JsNode::Array(vec![1]),
                JsNode::Object(vec![("a".into(), 2), ("b".into(), 2)]),
                JsNode::Null,
                JsNode::Null,
            ],
            vec![JsNode::Array(vec![1]), JsNode::Object(vec![("a".into(), 9)])],
            vec![JsNode::Object(vec![])],
            vec![
                JsNode::Array(vec![1]),
                JsNode::Object(vec![("a".into(), 2), ("a".into(), 3)]),
                JsNode::Null,
                JsNode::Null,
            ],
            vec![],
        ] {
            let error = json_args("m", "t", &nodes, &TreeLimits::default()).unwrap_err();
            assert!(matches!(error, BridgeError::Malformed { .. }), "{error}");
        }
    }

    #[test]
    fn deep_arguments_are_refused_without_recursing_far() {
        let limits = TreeLimits {
            max_depth: 8,
            ..TreeLimits::default()
        };
        let mut nodes = vec![JsNode::Array(vec![1])];
        for i in 1..100u32 {
            nodes.push(JsNode::Object(vec![("x".into(), i + 1)]));
        }
        nodes.push(JsNode::Null);
        let error = json_args("m", "t", &nodes, &limits).unwrap_err();
        assert!(
            matches!(
                error,
                BridgeError::TooLarge {
                    unit: "levels of nesting",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn results_round_trip_and_are_bounded() {
        let value = json!({ "a": [1, 2.5, null, true, "x"], "b": { "c": {} } });
        let nodes = json_result("m", "t", &value, &TreeLimits::default()).unwrap();
        assert_eq!(nodes.len(), 9);
        assert_eq!(nodes[0], JsNode::Object(vec![("a".into(), 1), ("b".into(), 7)]));
        let small = TreeLimits {
            max_nodes: 4,
            ..TreeLimits::default()
        };
        let error = json_result("m", "t", &value, &small).unwrap_err();
        assert_eq!(error.to_string(), "m.t: result too large: more than 4 nodes");
        assert_eq!(error.js_error_name(), "Error");
        let bytes = TreeLimits {
            max_bytes: 3,
            ..TreeLimits::default()
        };
        let error = json_result("m", "t", &json!(["abcd"]), &bytes).unwrap_err();
        assert!(error.to_string().contains("more than 3 bytes"), "{error}");
        let mut deep = json!(1);
        for _ in 0..100 {
            deep = json!([deep]);
        }
        let error = json_result("m", "t", &deep, &TreeLimits::default()).unwrap_err();
        assert!(error.to_string().contains("levels of nesting"), "{error}");
    }
}
