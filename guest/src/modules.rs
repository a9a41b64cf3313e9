//! The module map: what `import` can reach. Only modules the request
//! carries, by relative specifier; no file system, no network, no npm.
//!
//! Resolution: a specifier starting with `./`, `../` or `/` is joined to the
//! importing module's directory and normalised (`lib/../util.js` is
//! `util.js`); the result must be a name in the map. Bare specifiers
//! (`lodash`) are refused with a hint to bundle. The entry module (the
//! run's code, under its file name) resolves too, so it can import itself
//! and be part of a cycle. `cloudflare:workers` is built in (its
//! `WorkerEntrypoint` and `env`), and so is `node:fs/promises` (also
//! `fs/promises`, and `node:fs`'s `promises`) over the granted workspace
//! (`node_fs.js`). JSON modules import as their parsed value, text
//! modules as a string, both as the default export.
//!
//! Import attributes choose another reading of any module: `with { type:
//! "json" }` parses its text as JSON, `"text"` gives the text as a string and
//! `"bytes"` gives its UTF-8 bytes as a `Uint8Array`. Another `type` is
//! refused. Each reading is its own module (`data.txt (as bytes)`).

use std::cell::RefCell;
use std::collections::BTreeMap;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Error, Module, Result};

use crate::bindings::isobox::sandbox::types::{ModuleKind, ModuleSource};

thread_local! {
    /// This run's modules by normalised name. Empty in the snapshot.
    static MODULES: RefCell<BTreeMap<String, ModuleSource>> = const { RefCell::new(BTreeMap::new()) };
    /// The entry module's name (the run's file name). Empty in the snapshot.
    static ENTRY: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A reading of a module chosen by an import attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    Json,
    Text,
    Bytes,
}

impl Reading {
    /// The suffix that names this reading of a module.
    fn suffix(self) -> &'static str {
        match self {
            Reading::Json => " (as json)",
            Reading::Text => " (as text)",
            Reading::Bytes => " (as bytes)",
        }
    }

    /// The reading a resolved name asks for, and the module's own name.
    fn split(name: &str) -> (Option<Reading>, &str) {
        for reading in [Reading::Json, Reading::Text, Reading::Bytes] {
            if let Some(module) = name.strip_suffix(reading.suffix()) {
                return (Some(reading), module);
            }
        }
        (None, name)
    }
}

/// Makes the run's modules importable, and the entry module under `entry`.
pub fn set(modules: Vec<ModuleSource>, entry: &str) {
    MODULES.with(|map| {
        let mut map = map.borrow_mut();
        for module in modules {
            map.insert(module.name.clone(), module);
        }
    });
    ENTRY.with(|name| entry.clone_into(&mut name.borrow_mut()));
}

/// Installs the resolver and loader. Runs at wizer time; they read the
/// per-run map when an import happens.
pub fn install(runtime: &rquickjs::Runtime) {
    runtime.set_loader(MapResolver, MapLoader);
}

/// What Workers code imports for its class form.
const WORKERS_MODULE: &str = "cloudflare:workers";
/// Node's promise file system over the granted workspace, by its names.
const FS_PROMISES_MODULES: [&str; 2] = ["node:fs/promises", "fs/promises"];
/// `node:fs` (and `fs`): only its `promises`.
const FS_MODULES: [&str; 2] = ["node:fs", "fs"];
const FS_PROMISES_SOURCE: &str = include_str!("node_fs.js");
const FS_SOURCE: &str = "import * as promises from 'node:fs/promises';\n\
    export { promises };\n\
    export default { promises };\n";
/// `WorkerEntrypoint` keeps `ctx` and `env` (isobox dispatch constructs a
/// default-exported class as `new Class(ctx, env)`); `env` is the run's.
const WORKERS_SOURCE: &str = "export class WorkerEntrypoint {\n\
    constructor(ctx, env) { this.ctx = ctx; this.env = env; }\n\
}\n\
export const env = globalThis.env;\n";

struct MapResolver;

impl Resolver for MapResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        attributes: Option<ImportAttributes<'js>>,
    ) -> Result<String> {
        let reading = match attributes.map(|a| a.get_type()).transpose()?.flatten().as_deref() {
            None => None,
            Some("json") => Some(Reading::Json),
            Some("text") => Some(Reading::Text),
            Some("bytes") => Some(Reading::Bytes),
            Some(other) => {
                let shown: String = other.chars().take(32).collect();
                return Err(Error::new_resolving_message(
                    base,
                    name,
                    format!("the import attribute type \"{shown}\" is not supported (use json, text or bytes)"),
                ));
            }
        };
        // A module imported from an attribute reading resolves from the
        // module's own directory.
        let base = Reading::split(base).1;
        if reading.is_none()
            && (name == WORKERS_MODULE || FS_PROMISES_MODULES.contains(&name) || FS_MODULES.contains(&name))
        {
            // One module per API, whichever name imported it.
            return Ok(match name {
                "fs/promises" => "node:fs/promises",
                "fs" => "node:fs",
                other => other,
            }
            .to_owned());
        }
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
        let is_entry = ENTRY.with(|entry| *entry.borrow() == normalised);
        MODULES.with(|map| {
            let map = map.borrow();
            let natural = |kind: &ModuleKind| match reading {
                None => true,
                Some(Reading::Json) => *kind == ModuleKind::Json,
                Some(_) => false,
            };
            if let Some(module) = map.get(&normalised) {
                Ok(if natural(&module.kind) {
                    normalised
                } else {
                    normalised + reading.map_or("", Reading::suffix)
                })
            } else if is_entry && reading.is_none() {
                // QuickJS finds the entry among the modules it has compiled.
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
        match name {
            WORKERS_MODULE => return Module::declare(ctx.clone(), name, WORKERS_SOURCE),
            "node:fs/promises" => return Module::declare(ctx.clone(), name, FS_PROMISES_SOURCE),
            "node:fs" => return Module::declare(ctx.clone(), name, FS_SOURCE),
            _ => {}
        }
        let (reading, module_name) = Reading::split(name);
        let source = MODULES.with(|map| {
            map.borrow().get(module_name).map(|module| {
                let reading = reading.or(match module.kind {
                    ModuleKind::Js => None,
                    ModuleKind::Json => Some(Reading::Json),
                    ModuleKind::Text => Some(Reading::Text),
                });
                match reading {
                    None => module.source.clone(),
                    Some(reading) => read_as(reading, &module.source),
                }
            })
        });
        match source {
            Some(source) => Module::declare(ctx.clone(), name, source),
            None => Err(Error::new_loading_message(name, "not in the module map")),
        }
    }
}

/// A module whose default export is `source` read as JSON, text or bytes.
fn read_as(reading: Reading, source: &str) -> String {
    let literal = string_literal(source);
    match reading {
        // JSON.parse of the text, so a `__proto__` key stays a plain key.
        Reading::Json => format!("export default JSON.parse({literal});"),
        Reading::Text => format!("export default {literal};"),
        Reading::Bytes => format!("export default new TextEncoder().encode({literal});"),
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
