//! The web platform globals beyond web.rs, each in its own prelude, installed
//! in dependency order at wizer time: idl.js (the helpers that give classes
//! their Web IDL shape), events.js (Event, CustomEvent, EventTarget),
//! abort.js (AbortController, AbortSignal), url.rs, clone.rs
//! (structuredClone), subtle.rs (crypto.subtle) and encoding.rs (TextEncoder,
//! TextDecoder). Nothing here runs per run.

use rquickjs::{Ctx, Function, Object};

use crate::engine::eval_prelude;
use crate::{clone, encoding, subtle, url};

const IDL: &str = include_str!("idl.js");
const EVENTS: &str = include_str!("events.js");
const ABORT: &str = include_str!("abort.js");

/// Defines the globals. Runs at wizer time, after web.rs and timers.rs:
/// events need `performance` and `reportError`, AbortSignal.timeout needs
/// `setTimeout`, and structuredClone needs DOMException.
pub fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let idl: Object = eval_prelude(ctx, "isobox:idl", IDL)?.call(())?;
    let events: Object = eval_prelude(ctx, "isobox:events", EVENTS)?.call((idl.clone(),))?;
    let abort: Function = eval_prelude(ctx, "isobox:abort", ABORT)?;
    abort.call::<_, ()>((idl.clone(), events))?;
    url::install(ctx, &idl)?;
    clone::install(ctx, &idl)?;
    subtle::install(ctx, &idl)?;
    encoding::install(ctx, &idl)
}
