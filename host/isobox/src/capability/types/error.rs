//! The errors of the capability bridge: loading a capability's WIT
//! ([`WitError`]) and moving one call across the guest boundary
//! ([`BridgeError`]). Every message is bounded: text that came from the
//! guest or from WIT is cut to a few hundred bytes.

use std::fmt;
use std::path::PathBuf;

use super::node::JsNode;

/// Why a capability's WIT could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitError {
    /// The file or directory could not be read.
    #[error("cannot read WIT at {}: {message}", path.display())]
    Read {
        /// The path given.
        path: PathBuf,
        /// The operating system's reason.
        message: String,
    },
    /// The WIT text is larger than [`MAX_WIT_BYTES`](super::MAX_WIT_BYTES).
    #[error("WIT {what} is {bytes} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Which source (a path, or "source").
        what: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// wit-parser refused the WIT; its message names the file, line and
    /// column.
    #[error("invalid WIT: {message}")]
    Parse {
        /// wit-parser's message (cut to 4 KiB).
        message: String,
    },
    /// No interface has the name asked for.
    #[error("no interface `{name}` in the WIT (interfaces: {})", list(available))]
    NoInterface {
        /// The name asked for.
        name: String,
        /// The interfaces there are, fully qualified.
        available: Vec<String>,
    },
    /// A short name matches interfaces of several packages.
    #[error("interface name `{name}` is ambiguous ({}); give the full name", list(candidates))]
    AmbiguousInterface {
        /// The name asked for.
        name: String,
        /// The interfaces it matches, fully qualified.
        candidates: Vec<String>,
    },
    /// The interface uses something the bridge does not carry (resources,
    /// futures, streams, error-context, maps, `option<option<T>>`, names
    /// that collide in JavaScript, types nested too deeply).
    #[error("interface `{interface}`, {location}: {message}")]
    Unsupported {
        /// The interface, fully qualified.
        interface: String,
        /// Where: "function `put`, parameter `value`, record `entry`, field
        /// `tags`".
        location: String,
        /// What is not supported, and why.
        message: String,
    },
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Why a call could not cross the boundary, or the error it returned.
/// [`js_error_name`](Self::js_error_name) says what the guest should throw;
/// the message is bounded and names `binding.method`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The interface has no function by that JavaScript (or WIT) name.
    #[error("{binding}.{method}: no such method (methods: {})", list(available))]
    UnknownMethod {
        /// The binding, as the host named it.
        binding: String,
        /// The name the guest called (cut to 64 bytes).
        method: String,
        /// The JavaScript names of the interface's functions.
        available: Vec<String>,
    },
    /// Too many arguments, or too few (trailing `option` parameters may be
    /// left out).
    #[error("{binding}.{method}: expected {}, got {got}", arity(*min, *max))]
    ArgumentCount {
        /// The binding.
        binding: String,
        /// The method's JavaScript name.
        method: String,
        /// The fewest arguments accepted.
        min: usize,
        /// The most arguments accepted.
        max: usize,
        /// How many the guest passed.
        got: usize,
    },
    /// An argument does not match its WIT type:
    /// `kv.put: args[1].items[3].id: expected u32, got -1`.
    #[error("{binding}.{method}: {path}: {message}")]
    TypeMismatch {
        /// The binding.
        binding: String,
        /// The method's JavaScript name.
        method: String,
        /// Where, as JavaScript would write it: `args[1].items[3].id`.
        path: String,
        /// What was expected and what was found.
        message: String,
    },
    /// The node tree the guest sent is not a tree: an index out of range, a
    /// node used twice (a cycle or a shared subtree), no root, a root that
    /// is not an array, or a duplicate object key.
    #[error("{binding}.{method}: malformed value tree: {reason}")]
    Malformed {
        /// The binding.
        binding: String,
        /// The method's JavaScript name.
        method: String,
        /// What is wrong, with the node index.
        reason: String,
    },
    /// A value tree exceeds a [`TreeLimits`](super::TreeLimits) bound (depth,
    /// node count or bytes), going in or coming out.
    #[error("{binding}.{method}: {what} too large: more than {limit} {unit}")]
    TooLarge {
        /// The binding.
        binding: String,
        /// The method's JavaScript name.
        method: String,
        /// "arguments" or "result".
        what: &'static str,
        /// The limit that was hit.
        limit: usize,
        /// "levels of nesting", "nodes" or "bytes".
        unit: &'static str,
    },
    /// The implementation returned a value that does not match the
    /// function's declared result (a plugin may return anything).
    #[error("{binding}.{method}: the implementation returned a bad value: {path}: {message}")]
    BadResult {
        /// The binding.
        binding: String,
        /// The method's JavaScript name.
        method: String,
        /// Where in the result: `result.ok.items[2]`.
        path: String,
        /// What was expected and what was found.
        message: String,
    },
    /// The function returned the `err` case of its `result<T, E>`.
    #[error("{0}")]
    Call(CallError),
}

impl BridgeError {
    /// The JavaScript error the guest should throw for it: `TypeError` for a
    /// call the script got wrong (unknown method, argument count or type, a
    /// malformed tree), `RangeError` for arguments past the limits, `Error`
    /// for the capability's own error ([`Call`](Self::Call)) and for an
    /// implementation's bad or oversized result.
    pub fn js_error_name(&self) -> &'static str {
        match self {
            BridgeError::UnknownMethod { .. }
            | BridgeError::ArgumentCount { .. }
            | BridgeError::TypeMismatch { .. }
            | BridgeError::Malformed { .. } => "TypeError",
            BridgeError::TooLarge { what: "arguments", .. } => "RangeError",
            BridgeError::TooLarge { .. } | BridgeError::BadResult { .. } | BridgeError::Call(_) => "Error",
        }
    }
}

fn arity(min: usize, max: usize) -> String {
    let plural = if max == 1 { "argument" } else { "arguments" };
    if min == max {
        format!("{max} {plural}")
    } else {
        format!("{min} to {max} {plural}")
    }
}

/// The `err` value of a function returning `result<T, E>`: the guest throws
/// an `Error` whose message is [`message`](Self::message) and which carries
/// the error value, as JavaScript, in [`value`](Self::value).
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    /// The message for the JS error: `kv.get: not-found`. An `E` that is a
    /// string gives its text, an enum its case, a variant its tag (and its
    /// payload when that is a string), a record its `message` field when it
    /// has a string one; otherwise `binding.method failed`.
    pub message: String,
    /// The error value as a node tree (node 0 is the root); a bare `err`
    /// (no `E`) is `undefined`.
    pub value: Vec<JsNode>,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = BridgeError::TypeMismatch {
            binding: "kv".into(),
            method: "put".into(),
            path: "args[1].items[3].id".into(),
            message: "expected u32, got -1".into(),
        };
        assert_eq!(e.to_string(), "kv.put: args[1].items[3].id: expected u32, got -1");
        let e = BridgeError::ArgumentCount {
            binding: "kv".into(),
            method: "put".into(),
            min: 1,
            max: 2,
            got: 3,
        };
        assert_eq!(e.to_string(), "kv.put: expected 1 to 2 arguments, got 3");
        let e = BridgeError::ArgumentCount {
            binding: "kv".into(),
            method: "get".into(),
            min: 1,
            max: 1,
            got: 0,
        };
        assert_eq!(e.to_string(), "kv.get: expected 1 argument, got 0");
        let e = WitError::NoInterface {
            name: "x".into(),
            available: vec![],
        };
        assert_eq!(e.to_string(), "no interface `x` in the WIT (interfaces: none)");
    }

    #[test]
    fn truncation_keeps_characters_whole() {}
}
