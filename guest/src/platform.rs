//! The web platform globals beyond web.rs, each in its own prelude, installed
//! in dependency order at wizer time: idl.js (the helpers that give classes
//! their Web IDL shape), atomics.js (Atomics, which QuickJS leaves out on
//! WASI), events.js (Event, CustomEvent, EventTarget),
//! abort.js (AbortController, AbortSignal), url.rs, clone.rs
//! (structuredClone), messaging.js (MessageChannel, MessagePort,
//! MessageEvent), subtle.rs (crypto.subtle), encoding.rs (TextEncoder,
//! TextDecoder), streams.rs (the WHATWG Streams, the text and compression
//! streams), blob.rs (Blob, File, FileReader, FormData) and intl/ (Intl and
//! the locale-sensitive methods of the built-ins). Nothing here runs
//! per run.

use rquickjs::{Ctx, Function, Object};

use crate::engine::eval_prelude;
use crate::{blob, clone, encoding, streams, subtle, url};

const IDL: &str = include_str!("idl.js");
const EVENTS: &str = include_str!("events.js");
const ABORT: &str = include_str!("abort.js");
const MESSAGING: &str = include_str!("messaging.js");
const ATOMICS: &str = include_str!("atomics.js");

/// Defines the globals. Runs at wizer time, after web.rs and timers.rs:
/// events need `performance` and `reportError`, AbortSignal.timeout needs
/// `setTimeout`, and structuredClone needs DOMException.
/// Returns blob.rs's hooks (Blob and FormData bodies), which fetch uses.
pub fn install<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let idl: Object = eval_prelude(ctx, "isobox:idl", IDL)?.call(())?;
    eval_prelude(ctx, "isobox:atomics", ATOMICS)?.call::<_, ()>(())?;
    let events: Object = eval_prelude(ctx, "isobox:events", EVENTS)?.call((idl.clone(),))?;
    let abort: Function = eval_prelude(ctx, "isobox:abort", ABORT)?;
    abort.call::<_, ()>((idl.clone(), events.clone()))?;
    url::install(ctx, &idl)?;
    clone::install(ctx, &idl)?;
    let messaging: Function = eval_prelude(ctx, "isobox:messaging", MESSAGING)?;
    messaging.call::<_, ()>((idl.clone(), events))?;
    subtle::install(ctx, &idl)?;
    encoding::install(ctx, &idl)?;
    // After encoding (the text streams capture TextEncoder and TextDecoder).
    streams::install(ctx, &idl)?;
    let blobs = blob::install(ctx, &idl)?;
    #[cfg(feature = "intl")]
    crate::intl::install(ctx, &idl)?;
    Ok(blobs)
}
