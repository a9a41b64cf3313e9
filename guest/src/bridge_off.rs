//! The bridge of a built app (`isobox build`): a wasi:http host has no
//! isobox capabilities, so `env` is an empty object and nothing waits on a
//! capability call. Same functions as bridge.rs, no host import.

use rquickjs::{Ctx, Object, Value};
use wasip2::io::poll::Pollable;

use crate::bindings::isobox::sandbox::types::Binding;

/// Nothing to install.
pub fn install(_ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    Ok(())
}

/// An empty `env`: a built app is granted no capability.
pub fn make_env<'js>(ctx: &Ctx<'js>, _bindings: &[Binding]) -> rquickjs::Result<Value<'js>> {
    Ok(Object::new(ctx.clone())?.into_value())
}

/// No call is ever in flight.
pub fn pending() -> bool {
    false
}

/// No call, no pollable.
pub fn pollables() -> Vec<(u32, Pollable)> {
    Vec::new()
}

/// Nothing to settle.
pub fn dispatch(_ctx: &Ctx<'_>, _ready: &[u32]) {}
