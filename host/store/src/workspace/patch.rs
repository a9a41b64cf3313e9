//! JSON Pointer (RFC 6901) and JSON Patch (RFC 6902) over `serde_json`.
//! A patch applies to a copy: the document changes only when every
//! operation succeeded.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FsCode, FsError};

/// The most operations one patch holds.
pub const MAX_OPS: usize = 10_000;

/// One JSON Patch operation (RFC 6902), as `{"op": "add", "path": ..., "value": ...}`.
/// Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum PatchOp {
    /// Adds `value` at `path`: a member of an object (replacing one there),
    /// or an element of an array inserted at an index (`-` appends).
    Add {
        /// A JSON Pointer.
        path: String,
        /// The value added.
        value: Value,
    },
    /// Removes what is at `path` (it must exist).
    Remove {
        /// A JSON Pointer.
        path: String,
    },
    /// Replaces what is at `path` (it must exist) by `value`.
    Replace {
        /// A JSON Pointer.
        path: String,
        /// The new value.
        value: Value,
    },
    /// Removes what is at `from` and adds it at `path` (not inside itself).
    Move {
        /// A JSON Pointer to the source.
        from: String,
        /// A JSON Pointer to the destination.
        path: String,
    },
    /// Adds a copy of what is at `from` at `path`.
    Copy {
        /// A JSON Pointer to the source.
        from: String,
        /// A JSON Pointer to the destination.
        path: String,
    },
    /// Fails (and with it the whole patch) unless what is at `path` equals
    /// `value` (numbers compare by value: `1` equals `1.0`).
    Test {
        /// A JSON Pointer.
        path: String,
        /// The value expected.
        value: Value,
    },
}

impl PatchOp {
    /// The operation's name (`"add"`).
    pub fn name(&self) -> &'static str {
        match self {
            PatchOp::Add { .. } => "add",
            PatchOp::Remove { .. } => "remove",
            PatchOp::Replace { .. } => "replace",
            PatchOp::Move { .. } => "move",
            PatchOp::Copy { .. } => "copy",
            PatchOp::Test { .. } => "test",
        }
    }
}

/// A pointer or token for a message: quoted, at most about 300 bytes.
fn show(text: &str) -> String {
    format!("{:?}", crate::error::bounded(text))
}

fn invalid(message: String) -> FsError {
    FsError::new(FsCode::EINVAL, "", message)
}

fn missing(pointer: &str) -> FsError {
    FsError::new(
        FsCode::ENOENT,
        "",
        format!("nothing at {} in the document", show(pointer)),
    )
}

/// The reference tokens of a JSON Pointer (`""` is the whole document;
/// otherwise it starts with `/`; `~1` is `/` and `~0` is `~`).
///
/// # Errors
/// `EINVAL` for a pointer without the leading `/` or with a `~` not
/// followed by `0` or `1`.
pub fn pointer_tokens(pointer: &str) -> Result<Vec<String>, FsError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(invalid(format!(
            "{} is not a JSON Pointer: it is empty (the whole document) or starts with /",
            show(pointer)
        )));
    };
    rest.split('/')
        .map(|token| {
            let mut out = String::with_capacity(token.len());
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                if c != '~' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('0') => out.push('~'),
                    Some('1') => out.push('/'),
                    _ => return Err(invalid(format!("{}: `~` must be followed by 0 or 1", show(pointer)))),
                }
            }
            Ok(out)
        })
        .collect()
}

/// An array index token: digits without a leading zero.
fn index(token: &str, pointer: &str) -> Result<usize, FsError> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return Err(invalid(format!(
            "{}: {} is not an array index",
            show(pointer),
            show(token)
        )));
    }
    token
        .parse()
        .map_err(|_| invalid(format!("{}: the index {} is too large", show(pointer), show(token))))
}

fn get_mut<'v>(doc: &'v mut Value, tokens: &[String], pointer: &str) -> Result<&'v mut Value, FsError> {
    let mut at = doc;
    for token in tokens {
        at = match at {
            Value::Object(map) => map.get_mut(token.as_str()).ok_or_else(|| missing(pointer))?,
            Value::Array(items) => {
                let i = index(token, pointer)?;
                items.get_mut(i).ok_or_else(|| missing(pointer))?
            }
            _ => return Err(missing(pointer)),
        };
    }
    Ok(at)
}

/// What is at `pointer` in `doc`.
///
/// # Errors
/// `EINVAL` for a malformed pointer, `ENOENT` when nothing is there.
pub fn get<'v>(doc: &'v Value, pointer: &str) -> Result<&'v Value, FsError> {
    let tokens = pointer_tokens(pointer)?;
    let mut at = doc;
    for token in &tokens {
        at = match at {
            Value::Object(map) => map.get(token.as_str()).ok_or_else(|| missing(pointer))?,
            Value::Array(items) => items.get(index(token, pointer)?).ok_or_else(|| missing(pointer))?,
            _ => return Err(missing(pointer)),
        };
    }
    Ok(at)
}

fn add(doc: &mut Value, pointer: &str, value: Value) -> Result<(), FsError> {
    let tokens = pointer_tokens(pointer)?;
    let Some((last, parents)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_mut(doc, parents, pointer)? {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => {
            let at = if last == "-" {
                items.len()
            } else {
                index(last, pointer)?
            };
            if at > items.len() {
                return Err(invalid(format!(
                    "{}: index {at} is past the end of an array of {}",
                    show(pointer),
                    items.len()
                )));
            }
            items.insert(at, value);
        }
        _ => {
            return Err(invalid(format!(
                "{}: its parent is neither an object nor an array",
                show(pointer)
            )));
        }
    }
    Ok(())
}

fn remove(doc: &mut Value, pointer: &str) -> Result<Value, FsError> {
    let tokens = pointer_tokens(pointer)?;
    let Some((last, parents)) = tokens.split_last() else {
        return Err(invalid(
            "the whole document cannot be removed: replace it instead".into(),
        ));
    };
    match get_mut(doc, parents, pointer)? {
        Value::Object(map) => map.remove(last.as_str()).ok_or_else(|| missing(pointer)),
        Value::Array(items) => {
            let at = index(last, pointer)?;
            if at >= items.len() {
                return Err(missing(pointer));
            }
            Ok(items.remove(at))
        }
        _ => Err(missing(pointer)),
    }
}

/// Whether two JSON values are equal, numbers by value.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

fn apply_one(doc: &mut Value, op: &PatchOp) -> Result<(), FsError> {
    match op {
        PatchOp::Add { path, value } => add(doc, path, value.clone()),
        PatchOp::Remove { path } => remove(doc, path).map(drop),
        PatchOp::Replace { path, value } => {
            let tokens = pointer_tokens(path)?;
            *get_mut(doc, &tokens, path)? = value.clone();
            Ok(())
        }
        PatchOp::Move { from, path } => {
            if from == path {
                return get(doc, from).map(drop);
            }
            if path.starts_with(from.as_str()) && path.as_bytes().get(from.len()) == Some(&b'/') {
                return Err(invalid(format!(
                    "cannot move {} into itself ({})",
                    show(from),
                    show(path)
                )));
            }
            let value = remove(doc, from)?;
            add(doc, path, value)
        }
        PatchOp::Copy { from, path } => {
            let value = get(doc, from)?.clone();
            add(doc, path, value)
        }
        PatchOp::Test { path, value } => {
            let found = get(doc, path)?;
            if json_equal(found, value) {
                Ok(())
            } else {
                Err(invalid(format!(
                    "test failed: {} is {}, not {}",
                    show(path),
                    crate::error::bounded(found),
                    crate::error::bounded(value)
                )))
            }
        }
    }
}

/// Applies `ops` to `doc`, all or nothing: on an error `doc` is as it was.
/// The error's message starts with the failing operation (`op 2 (test):`).
///
/// # Errors
/// `EINVAL` for a malformed pointer, a bad index, a failed `test`, a move
/// into itself, or more than [`MAX_OPS`] operations; `ENOENT` when an
/// operation's target (or `from`) is missing.
pub fn apply(doc: &mut Value, ops: &[PatchOp]) -> Result<(), FsError> {
    if ops.len() > MAX_OPS {
        return Err(invalid(format!("a patch may hold at most {MAX_OPS} operations")));
    }
    let mut work = doc.clone();
    for (i, op) in ops.iter().enumerate() {
        apply_one(&mut work, op)
            .map_err(|e| FsError::new(e.code, e.path, format!("op {i} ({}): {}", op.name(), e.message)))?;
    }
    *doc = work;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(value: Value) -> Vec<PatchOp> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn pointers() {
        let doc = json!({"a/b": {"m~n": [10, 20]}, "": 1});
        assert_eq!(get(&doc, "/a~1b/m~0n/1").unwrap(), &json!(20));
        assert_eq!(get(&doc, "/").unwrap(), &json!(1));
        assert_eq!(get(&doc, "").unwrap(), &doc);
        assert_eq!(get(&doc, "/a~1b/m~0n/01").unwrap_err().code, FsCode::EINVAL);
        assert_eq!(get(&doc, "/a~1b/m~0n/2").unwrap_err().code, FsCode::ENOENT);
        assert_eq!(get(&doc, "/x~2").unwrap_err().code, FsCode::EINVAL);
        assert_eq!(get(&doc, "a").unwrap_err().code, FsCode::EINVAL);
    }

    #[test]
    fn every_operation() {
        let mut doc = json!({"list": [1, 2], "obj": {"k": "v"}, "n": 1});
        let patch = ops(json!([
            {"op": "add", "path": "/list/1", "value": 9},
            {"op": "add", "path": "/list/-", "value": 3},
            {"op": "add", "path": "/obj/new", "value": {"deep": true}},
            {"op": "remove", "path": "/obj/k"},
            {"op": "replace", "path": "/n", "value": 2},
            {"op": "move", "from": "/obj/new", "path": "/moved"},
            {"op": "copy", "from": "/list", "path": "/copy"},
            {"op": "test", "path": "/n", "value": 2.0},
            {"op": "test", "path": "/moved", "value": {"deep": true}},
        ]));
        apply(&mut doc, &patch).unwrap();
        assert_eq!(
            doc,
            json!({"list": [1, 9, 2, 3], "obj": {}, "n": 2, "moved": {"deep": true}, "copy": [1, 9, 2, 3]})
        );
        apply(&mut doc, &ops(json!([{"op": "replace", "path": "", "value": [1]}]))).unwrap();
        assert_eq!(doc, json!([1]));
    }

    #[test]
    fn failures_leave_the_document() {
        let original = json!({"a": 1, "b": [1]});
        let cases = [
            (
                json!([{"op": "add", "path": "/x", "value": 1}, {"op": "test", "path": "/a", "value": 2}]),
                FsCode::EINVAL,
                "op 1 (test)",
            ),
            (
                json!([{"op": "remove", "path": "/zz"}]),
                FsCode::ENOENT,
                "op 0 (remove)",
            ),
            (
                json!([{"op": "replace", "path": "/b/5", "value": 1}]),
                FsCode::ENOENT,
                "op 0",
            ),
            (
                json!([{"op": "add", "path": "/b/3", "value": 1}]),
                FsCode::EINVAL,
                "past the end",
            ),
            (
                json!([{"op": "add", "path": "/a/x", "value": 1}]),
                FsCode::EINVAL,
                "neither",
            ),
            (
                json!([{"op": "move", "from": "/b", "path": "/b/0"}]),
                FsCode::EINVAL,
                "into itself",
            ),
            (
                json!([{"op": "copy", "from": "/nope", "path": "/c"}]),
                FsCode::ENOENT,
                "op 0 (copy)",
            ),
            (json!([{"op": "remove", "path": ""}]), FsCode::EINVAL, "whole document"),
            (
                json!([{"op": "test", "path": "/missing", "value": 1}]),
                FsCode::ENOENT,
                "test",
            ),
        ];
        for (patch, code, text) in cases {
            let mut doc = original.clone();
            let err = apply(&mut doc, &ops(patch.clone())).unwrap_err();
            assert_eq!(err.code, code, "{patch}: {err}");
            assert!(err.message.contains(text), "{patch}: {err}");
            assert_eq!(doc, original, "{patch}");
        }
        let long = format!("/{}", "x".repeat(100_000));
        let err = apply(&mut json!({}), &ops(json!([{"op": "remove", "path": long}]))).unwrap_err();
        assert!(err.message.len() < 500, "messages stay bounded: {}", err.message.len());
        let typo = serde_json::from_value::<Vec<PatchOp>>(json!([{"op": "add", "path": "/a", "valeu": 1}]));
        assert!(typo.is_err());
        let unknown = serde_json::from_value::<Vec<PatchOp>>(json!([{"op": "merge", "path": "/a"}]));
        assert!(unknown.is_err());
    }
}
