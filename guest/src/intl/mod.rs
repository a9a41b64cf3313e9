//! ECMA-402 (`Intl`, and the `toLocale*String` and `localeCompare` methods
//! that go through it) on ICU4X with its compiled CLDR data, and IANA time
//! zones from jiff's bundled copy of the tz database.
//!
//! intl.js does what the specification does in JS terms (reading options,
//! negotiating locales, `resolvedOptions`); the natives here hold ICU4X
//! formatters in opaque JS objects (one per `Intl.*` instance, built once)
//! and do the formatting, comparing and segmenting. Locale data covers the
//! locales ICU4X 2.4 ships compiled data for (CLDR's modern coverage);
//! anything else falls back through CLDR's parent chain to the root locale.
//! Nothing here runs per run: the natives are defined at wizer time.

mod datetime;
mod locale;
mod number;
mod parts;
mod text;

use rquickjs::{Ctx, Function, Object};

const PRELUDE: &str = include_str!("intl.js");

/// Defines `Intl` and points the locale-sensitive built-in methods at it.
/// Runs at wizer time, after the platform globals.
pub fn install<'js>(ctx: &Ctx<'js>, idl: &Object<'js>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:intl", PRELUDE)?;
    let natives = Object::new(ctx.clone())?;
    locale::define(ctx, &natives)?;
    datetime::define(ctx, &natives)?;
    number::define(ctx, &natives)?;
    text::define(ctx, &natives)?;
    installer.call::<_, ()>((idl.clone(), natives))
}
