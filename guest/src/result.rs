//! The run's result, written as JSON.

use std::collections::HashMap;

use rquickjs::{Atom, Ctx, Object, Value};

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
    // Deeper than the host reads, checked in one linear pass: JSON.stringify's
    // cycle check costs time quadratic in the depth, so a value 10,000
    // levels deep would spend the run's whole fuel before failing.
    match height(&value, &mut HashMap::new(), 0) {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Err(unserialisable(
                &format!("nested more than {MAX_RESULT_DEPTH} levels deep (arrays and objects inside each other)"),
                "the host reads JSON nested at most that deep; flatten it or return part of it as a string",
            ));
        }
        Err(_) => return Err(Failure::from_pending(ctx, Phase::Serialise)),
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

/// The deepest JSON result the host reads: arrays and objects nested this
/// many levels (serde_json refuses the 128th).
pub const MAX_RESULT_DEPTH: usize = 127;

/// Levels of arrays and objects in `value` as JSON would write it, for a
/// value `depth` levels down; `None` once that would pass
/// [`MAX_RESULT_DEPTH`], without looking further. An object with a `toJSON`
/// method counts as one level (what it returns is not known without
/// calling it); an object met again on its own path (a cycle, which
/// JSON.stringify reports itself) counts as none. Each object is measured
/// once (`heights`, by identity), so shared subtrees cost nothing more.
fn height<'js>(
    value: &Value<'js>,
    heights: &mut HashMap<usize, usize>,
    depth: usize,
) -> rquickjs::Result<Option<usize>> {
    let Some(object) = value.as_object() else {
        return Ok(Some(0));
    };
    if value.is_function() {
        return Ok(Some(0));
    }
    if depth >= MAX_RESULT_DEPTH {
        return Ok(None);
    }
    let identity = identity(object);
    if let Some(&known) = heights.get(&identity) {
        return Ok((depth + known <= MAX_RESULT_DEPTH).then_some(known));
    }
    // On the path now: met again below, it is a cycle.
    heights.insert(identity, 0);
    let mut deepest = 0;
    if let Some(array) = object.as_array() {
        for item in array.iter::<Value>() {
            match height(&item?, heights, depth + 1)? {
                Some(levels) => deepest = deepest.max(levels),
                None => return Ok(None),
            }
        }
    } else if !object.get::<_, Value>("toJSON")?.is_function() {
        for key in object.keys::<Atom>() {
            let item: Value = object.get(key?)?;
            match height(&item, heights, depth + 1)? {
                Some(levels) => deepest = deepest.max(levels),
                None => return Ok(None),
            }
        }
    }
    heights.insert(identity, deepest + 1);
    Ok(Some(deepest + 1))
}

/// The address of the object behind `object`: the same for every value
/// that refers to it.
fn identity(object: &Object<'_>) -> usize {
    // SAFETY: reading the pointer of an object value owned by `object`.
    unsafe { rquickjs::qjs::JS_VALUE_GET_PTR(object.as_raw()) as usize }
}
