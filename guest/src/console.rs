//! `console.*`: formatted in JS (console.js), sent to the host's console
//! import line by line, with the level.

use rquickjs::{Ctx, Function};

#[cfg(feature = "proxy")]
pub use crate::app::log as write;
pub use crate::bindings::isobox::sandbox::console::Level;
/// Records one console line: the host's console import in the sandbox,
/// stderr in a built app.
#[cfg(not(feature = "proxy"))]
pub use crate::bindings::isobox::sandbox::console::write;

const PRELUDE: &str = include_str!("console.js");

/// Defines `globalThis.console`. Runs at wizer time: it only defines
/// functions and calls no host import.
pub fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:console", PRELUDE)?;
    // A line holding a lone surrogate is written with U+FFFD in its place:
    // logging never throws for the text it is given.
    let sink = Function::new(
        ctx.clone(),
        |level: u32, line: rquickjs::String<'_>| -> rquickjs::Result<bool> {
            Ok(write(level_from_index(level), &crate::text::lossy(&line)?))
        },
    )?;
    installer.call::<_, ()>((sink,))
}

fn level_from_index(index: u32) -> Level {
    match index {
        0 => Level::Debug,
        1 => Level::Info,
        3 => Level::Warn,
        4 => Level::Error,
        _ => Level::Log,
    }
}
