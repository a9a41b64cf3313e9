//! The module map: what `import` can reach. Only modules the request
//! carries, by relative specifier; no file system, no network, no npm.
//!
//! Resolution: a specifier starting with `./`, `../` or `/` is joined to the
//! importing module's directory and normalised (`lib/../util.js` is
//! `util.js`); the result must be a name in the map. Bare specifiers
//! (`lodash`) are refused with a hint to bundle. JSON modules import as
//! their parsed value, text modules as a string, both as the default export.

use std::cell::RefCell;
use std::collections::BTreeMap;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Error, Module, Result};

use crate::bindings::isobox::sandbox::types::{ModuleKind, ModuleSource};

thread_local! {
    /// This run's modules by normalised name. Empty in the snapshot.
    static MODULES: RefCell<BTreeMap<String, ModuleSource>> = const { RefCell::new(BTreeMap::new()) };
}

/// Makes the run's modules importable.
pub fn set(modules: Vec<ModuleSource>) {
    MODULES.with(|map| {
        let mut map = map.borrow_mut();
        for module in modules {
            map.insert(module.name.clone(), module);
        }
    });
}

/// Installs the resolver and loader. Runs at wizer time; they read the
/// per-run map when an import happens.
pub fn install(runtime: &rquickjs::Runtime) {
    runtime.set_loader(MapResolver, MapLoader);
}

struct MapResolver;

impl Resolver for MapResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> Result<String> {
        if !(name.starts_with("./") || name.starts_with("../") || name.starts_with('/')) {
            return Err(Error::new_resolving_message(
                base,
                name,
                "bare specifiers are not resolved at run time: bundle packages into your modules \
                 (for example `esbuild --bundle --format=esm`), or import a module of the map as './name'",
            ));
        }
        let joined = match (name.strip_prefix('/'), base.rsplit_once('/')) {
            (Some(absolute), _) => absolute.to_owned(),
            (None, Some((directory, _))) => format!("{directory}/{name}"),
            (None, None) => name.to_owned(),
        };
        let normalised = normalise(&joined)
            .ok_or_else(|| Error::new_resolving_message(base, name, "the path climbs above the module map's root"))?;
        MODULES.with(|map| {
            let map = map.borrow();
            if map.contains_key(&normalised) {
                Ok(normalised)
            } else {
                let known: Vec<&str> = map.keys().map(String::as_str).take(20).collect();
                Err(Error::new_resolving_message(
                    base,
                    name,
                    format!(
                        "no module '{normalised}' in the module map (it has: {})",
                        known.join(", ")
                    ),
                ))
            }
        })
    }
}

/// Removes `.` and empty segments and applies `..`; None when `..` would
/// leave the root.
fn normalise(path: &str) -> Option<String> {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            other => segments.push(other),
        }
    }
    Some(segments.join("/"))
}

struct MapLoader;

impl Loader for MapLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> Result<Module<'js, Declared>> {
        let source = MODULES.with(|map| {
            map.borrow().get(name).map(|module| match module.kind {
                ModuleKind::Js => module.source.clone(),
                // A JSON string literal of the text, parsed by JSON.parse so a
                // `__proto__` key stays a plain key.
                ModuleKind::Json => format!("export default JSON.parse({});", string_literal(&module.source)),
                ModuleKind::Text => format!("export default {};", string_literal(&module.source)),
            })
        });
        match source {
            Some(source) => Module::declare(ctx.clone(), name, source),
            None => Err(Error::new_loading_message(name, "not in the module map")),
        }
    }
}

/// `text` as a double-quoted JS string literal, which is also a JSON string
/// (the app build reports its errors as JSON with it).
pub(crate) fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
