//! JSON pointers (RFC 6901) as `$ref`s use them: `#/components/schemas/Pet`,
//! with `~1` for `/` and `~0` for `~` in a token, and percent-encoding (a
//! `$ref` is a URI fragment). Pure functions.

use percent_encoding::percent_decode_str;
use serde_json::Value;

/// The tokens of a local `$ref` (`#/a/b~1c` -> `["a", "b/c"]`); `None` when
/// it is not local (does not start with `#`) or is not a pointer.
pub(crate) fn ref_tokens(reference: &str) -> Option<Vec<String>> {
    let fragment = reference.strip_prefix('#')?;
    let fragment = percent_decode_str(fragment).decode_utf8().ok()?;
    if fragment.is_empty() {
        return Some(Vec::new());
    }
    let rest = fragment.strip_prefix('/')?;
    Some(rest.split('/').map(unescape).collect())
}

/// One token with its escapes undone: `~1` first, then `~0` (RFC 6901).
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// One token escaped for a pointer: `~` -> `~0`, `/` -> `~1`.
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `base` with `token` appended (`#/paths` + `/pets` -> `#/paths/~1pets`).
pub(crate) fn child(base: &str, token: &str) -> String {
    format!("{base}/{}", escape(token))
}

/// The value `tokens` lead to in `root`, if any.
pub(crate) fn lookup<'a>(root: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    let mut at = root;
    for token in tokens {
        at = match at {
            Value::Object(map) => map.get(token.as_str())?,
            Value::Array(items) => {
                // RFC 6901: no leading zeros, no sign.
                if token.len() > 1 && token.starts_with('0') {
                    return None;
                }
                items.get(token.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(at)
}

/// The pointer text of `tokens`: `#/a/b~1c`.
pub(crate) fn pointer_of(tokens: &[String]) -> String {
    let mut out = String::from("#");
    for token in tokens {
        out.push('/');
        out.push_str(&escape(token));
    }
    out
}

/// The `$ref` of a value that is a reference object, if it is one.
pub(crate) fn reference(value: &Value) -> Option<&str> {
    value.get("$ref").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_undo_escapes_in_the_rfc_order() {
        assert_eq!(ref_tokens("#/a/b~1c/d~0e").unwrap(), ["a", "b/c", "d~e"]);
        // `~01` is `~1` literally, not `/`.
        assert_eq!(ref_tokens("#/x~01").unwrap(), ["x~1"]);
        assert_eq!(ref_tokens("#/with%20space").unwrap(), ["with space"]);
        assert_eq!(ref_tokens("#").unwrap(), Vec::<String>::new());
        assert!(ref_tokens("other.yaml#/a").is_none());
        assert!(ref_tokens("#a").is_none());
    }

    #[test]
    fn lookup_walks_objects_and_arrays() {
        let doc = json!({"paths": {"/pets": {"get": {"parameters": [{"name": "limit"}]}}}});
        let tokens = ref_tokens("#/paths/~1pets/get/parameters/0/name").unwrap();
        assert_eq!(lookup(&doc, &tokens), Some(&json!("limit")));
        assert!(lookup(&doc, &ref_tokens("#/paths/~1pets/get/parameters/01").unwrap()).is_none());
        assert_eq!(pointer_of(&tokens), "#/paths/~1pets/get/parameters/0/name");
        assert_eq!(child("#/paths", "/a~b"), "#/paths/~1a~0b");
    }
}
