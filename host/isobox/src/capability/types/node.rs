//! The value tree that crosses the guest boundary: any JavaScript value
//! flattened into a list of nodes, node 0 the root, containers referring to
//! other nodes by index.

use crate::text::truncated as truncate;

/// One node of a flattened JavaScript value. Node 0 of a tree is its root;
/// [`Array`](Self::Array) and [`Object`](Self::Object) refer to other nodes
/// by index. A well-formed tree uses every index at most once and only
/// indices that exist; the bridge checks this and refuses anything else
/// (cycles, shared subtrees, dangling indices) with
/// [`BridgeError::Malformed`](super::BridgeError::Malformed).
#[derive(Debug, Clone, PartialEq)]
pub enum JsNode {
    /// `undefined`.
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Boolean(bool),
    /// A number (any f64, NaN and the infinities included).
    Number(f64),
    /// A BigInt, in decimal (`-123`).
    BigInt(String),
    /// A string.
    String(String),
    /// A `Uint8Array` or an `ArrayBuffer`.
    Bytes(Vec<u8>),
    /// An array: the indices of its elements.
    Array(Vec<u32>),
    /// A plain object: its own enumerable string keys and the indices of
    /// their values.
    Object(Vec<(String, u32)>),
}

/// Bounds on a value tree, checked going in ([`lift_args`](super::lift_args))
/// and coming out ([`lower_result`](super::lower_result)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeLimits {
    /// Containers nested deeper than this are refused (the arguments array
    /// is level 0). Default 64; WIT types nest at most
    /// [`MAX_TYPE_DEPTH`](super::MAX_TYPE_DEPTH) levels anyway.
    pub max_depth: usize,
    /// Trees of more nodes are refused. Default 1,048,576.
    pub max_nodes: usize,
    /// Trees whose strings, object keys, BigInt digits and bytes add up to
    /// more are refused. Default 16 MiB.
    pub max_bytes: usize,
    /// Arguments that would make more [`wasmtime::component::Val`]s are
    /// refused. A `list<u8>` is one `Val` (40 bytes) per byte, so this bounds
    /// the host memory a call's arguments take: a Uint8Array of n bytes
    /// counts n. Default 2,097,152 (about 80 MiB of `Val`s; a 2 MiB
    /// Uint8Array).
    pub max_values: usize,
}

impl Default for TreeLimits {
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_nodes: 1 << 20,
            max_bytes: 16 << 20,
            max_values: 2 << 20,
        }
    }
}

impl JsNode {
    /// The bytes this node counts against [`TreeLimits::max_bytes`].
    pub(crate) fn payload_bytes(&self) -> usize {
        match self {
            JsNode::BigInt(text) | JsNode::String(text) => text.len(),
            JsNode::Bytes(bytes) => bytes.len(),
            JsNode::Object(entries) => entries.iter().map(|(key, _)| key.len()).sum(),
            _ => 0,
        }
    }

    /// A short description for messages: `-1`, `1.5`, `12n`, `"abc"`,
    /// `undefined`, `an array`, `an object`, `a Uint8Array` ...; bounded.
    pub(crate) fn describe(&self) -> String {
        match self {
            JsNode::Undefined => "undefined".to_owned(),
            JsNode::Null => "null".to_owned(),
            JsNode::Boolean(b) => b.to_string(),
            JsNode::Number(n) => js_number(*n),
            JsNode::BigInt(digits) => format!("{}n", truncate(digits, 40)),
            JsNode::String(text) => format!("{:?}", truncate(text, 40)),
            JsNode::Bytes(bytes) => format!("a Uint8Array of {} bytes", bytes.len()),
            JsNode::Array(items) => format!("an array of {} elements", items.len()),
            JsNode::Object(_) => "an object".to_owned(),
        }
    }
}

/// A number as JavaScript prints it, for the usual cases: `-1`, `1.5`, `-0`,
/// `NaN`, `Infinity`.
pub(crate) fn js_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if n == 0.0 && n.is_sign_negative() {
        "-0".to_owned()
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions() {
        assert_eq!(JsNode::Number(-1.0).describe(), "-1");
        assert_eq!(JsNode::Number(1.5).describe(), "1.5");
        assert_eq!(JsNode::Number(-0.0).describe(), "-0");
        assert_eq!(JsNode::Number(f64::NAN).describe(), "NaN");
        assert_eq!(JsNode::Number(f64::NEG_INFINITY).describe(), "-Infinity");
        assert_eq!(JsNode::BigInt("-12".into()).describe(), "-12n");
        assert_eq!(JsNode::String("a\"b".into()).describe(), "\"a\\\"b\"");
        let long = JsNode::String("x".repeat(1000)).describe();
        assert!(long.len() < 50, "{long}");
        assert_eq!(JsNode::Array(vec![1, 2]).describe(), "an array of 2 elements");
    }

    #[test]
    fn payload_bytes_count_keys_and_text() {
        assert_eq!(
            JsNode::Object(vec![("ab".into(), 1), ("c".into(), 2)]).payload_bytes(),
            3
        );
        assert_eq!(JsNode::Bytes(vec![0; 7]).payload_bytes(), 7);
        assert_eq!(JsNode::Number(1.0).payload_bytes(), 0);
    }
}
