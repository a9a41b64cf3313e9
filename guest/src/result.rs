//! The run's result, written as JSON.

use rquickjs::{Ctx, Value};

use crate::bindings::isobox::sandbox::types::{ErrorKind, Phase};
use crate::failure::Failure;

/// JSON text of `value` (`None` for `undefined`), with JSON semantics: nested
/// functions and symbols are left out, `toJSON` is honoured. A value JSON
/// cannot hold at the top, a BigInt anywhere or a cycle is an `unserialisable`
/// failure; a text over `max_bytes` is an `output-limit` failure.
pub fn serialise<'js>(ctx: &Ctx<'js>, value: Value<'js>, max_bytes: u32) -> Result<Option<String>, Failure> {
    if value.is_undefined() {
        return Ok(None);
    }
    let unserialisable = |what: &str, hint: &str| {
        Failure::new(
            Phase::Serialise,
            ErrorKind::Unserialisable,
            Some("TypeError"),
            &format!("the result is {what}, which JSON cannot hold: {hint}"),
        )
    };
    if value.is_function() || value.is_constructor() {
        return Err(unserialisable(
            "a function",
            "return its result instead (did you mean to call it?)",
        ));
    }
    if value.is_symbol() {
        return Err(unserialisable("a symbol", "return a string such as symbol.description"));
    }
    if value.is_big_int() {
        return Err(unserialisable("a BigInt", "return String(n), or Number(n) if it fits"));
    }
    let text = match ctx.json_stringify(value) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(None),
        Err(_) => {
            let failure = Failure::from_pending(ctx, Phase::Serialise);
            // JSON.stringify's own TypeErrors (a cycle, a BigInt) mean the
            // value is not JSON; anything else (a throwing toJSON or getter)
            // keeps its own kind.
            let own_error = failure.name() == Some("TypeError")
                && matches!(
                    failure.message(),
                    "circular reference" | "BigInt are forbidden in JSON.stringify"
                );
            return Err(if own_error {
                failure.with_kind(ErrorKind::Unserialisable)
            } else {
                failure
            });
        }
    };
    let too_large = || {
        Failure::new(
            Phase::Serialise,
            ErrorKind::OutputLimit,
            None,
            &format!("the JSON result is larger than the {max_bytes}-byte limit"),
        )
    };
    let text = text
        .to_string()
        .map_err(|_| Failure::from_pending(ctx, Phase::Serialise))?;
    if text.len() > max_bytes as usize {
        return Err(too_large());
    }
    Ok(Some(text))
}
