//! The module map: what `import` can reach. Only modules the request
//! carries; no file system, no network, no npm.
//!
//! Resolution: a linked module's `imports` table (for the entry and the
//! request's own modules, the entry's `entry-imports`), the host's own
//! resolution of its specifiers, is consulted first: a specifier it lists
//! resolves to the module it names. Otherwise a specifier starting with
//! `./`, `../` or `/` is joined to the importing module's directory and
//! normalised (`lib/../util.js` is `util.js`); the result must be a name in
//! the map, or, between the request's own modules, a name with one of the
//! extensions `.ts .tsx .js .jsx .mjs .mts .json` or a directory's `index`
//! with one (`./util` finds `util.ts`). Other bare specifiers (`lodash`)
//! are refused with a hint to add the package to the run's dependencies. The entry module (the run's code, under
//! its file name) resolves too, so it can import itself and be part of a
//! cycle. `cloudflare:workers` is built in (its `WorkerEntrypoint` and
//! `env`), and so is `node:fs/promises` (also `fs/promises`, and
//! `node:fs`'s `promises`) over the granted workspace (`node_fs.js`). JSON
//! modules import as their parsed value, text modules as a string, both as
//! the default export.
//!
//! Import attributes choose another reading of any module: `with { type:
//! "json" }` parses its text as JSON, `"text"` gives the text as a string and
//! `"bytes"` gives its UTF-8 bytes as a `Uint8Array`. Another `type` is
//! refused. Each reading is its own module (`data.txt (as bytes)`).
//!
//! # Eager modules
//!
//! The modules of the host's resolved graph (`eager`, trusted source) are
//! all compiled, or read from the bytecode an earlier run compiled, before
//! any JS of the run executes ([`load_eager`]): dependencies first, so no
//! compile nests another. Those compiled from source are offered to the
//! host's cache (`compile-cache.keep-module`), and then the guest calls
//! `compile-cache.seal`: from then on JS runs, and the host takes no more
//! offers. Every eager module is then resolved (its static imports loaded),
//! so QuickJS never frees one as unresolved after a failed `import()`, and
//! the loader can hand out the same module for an import with attributes
//! that QuickJS does not match to it. A JS eager module imports only as
//! JavaScript (its source may not have been sent). A module with an import
//! whose attribute chooses another reading is not offered: QuickJS's
//! bytecode keeps no import attributes ([`watch_readings`]).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{CStr, c_char};
use std::ptr::NonNull;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Error, Module, Result, qjs};

use crate::bindings::isobox::sandbox::types::{ModuleKind, ModuleSource, Phase};
use crate::failure::Failure;

thread_local! {
    /// This run's modules by normalised name. Empty in the snapshot.
    static MODULES: RefCell<BTreeMap<String, ModuleSource>> = const { RefCell::new(BTreeMap::new()) };
    /// The entry module's name (the run's file name). Empty in the snapshot.
    static ENTRY: RefCell<String> = const { RefCell::new(String::new()) };
    /// The host's resolution of the entry's specifiers. Empty in the snapshot.
    static ENTRY_IMPORTS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    /// The eager modules loaded so far this run, by name. QuickJS owns
    /// them (its list of loaded modules); they are all resolved once
    /// `load_eager` returns, so it never frees one before the context goes.
    /// (B-trees, not hash maps: std's hash keys would import
    /// `wasi:random/insecure-seed`, which a built app's world lacks.)
    static LOADED: RefCell<BTreeMap<String, NonNull<qjs::JSModuleDef>>> = const { RefCell::new(BTreeMap::new()) };
    /// Whether an eager module compiled now is offered to the host's cache:
    /// only while `load_eager` runs, before `seal`.
    static OFFERING: Cell<bool> = const { Cell::new(false) };
    /// Set when an import attribute chose a reading other than the
    /// module's own (see `watch_readings`).
    static READING_CHOSEN: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (a compile) and says whether an import resolved in it had an
/// attribute that chose another reading than the module's own (`with {
/// type: 'bytes' }`). QuickJS-NG writes no import attributes into
/// bytecode: read back, such an import would resolve to the module's own
/// reading, so code that has one must not be cached. Conservative: an
/// import of a module loaded within `f` counts too.
pub fn watch_readings<R>(f: impl FnOnce() -> R) -> (R, bool) {
    let outer = READING_CHOSEN.with(|chosen| chosen.replace(false));
    let result = f();
    let chosen = READING_CHOSEN.with(|chosen| chosen.replace(outer));
    (result, chosen)
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

impl Reading {
    /// The reading a module of `kind` is imported in without an attribute.
    fn natural(kind: ModuleKind) -> Option<Reading> {
        match kind {
            ModuleKind::Js => None,
            ModuleKind::Json => Some(Reading::Json),
            ModuleKind::Text => Some(Reading::Text),
        }
    }
}

/// Makes the run's modules importable, and the entry module under `entry`
/// with the host's resolution of its specifiers.
pub fn set(modules: Vec<ModuleSource>, entry: &str, entry_imports: Vec<(String, String)>) {
    MODULES.with(|map| {
        let mut map = map.borrow_mut();
        for module in modules {
            map.insert(module.name.clone(), module);
        }
    });
    ENTRY.with(|name| entry.clone_into(&mut name.borrow_mut()));
    ENTRY_IMPORTS.with(|imports| *imports.borrow_mut() = entry_imports);
}

/// Loads every eager module before any JS of the run executes: from its
/// bytecode when the host sent it, else compiled from its source (and
/// offered through `compile-cache.keep-module` when `offer`). Then calls
/// `compile-cache.seal` and resolves them all.
///
/// # Errors
/// A compile-phase failure naming the module that did not compile, read
/// or resolve.
#[cfg_attr(feature = "proxy", allow(dead_code))]
pub fn load_eager(ctx: &Ctx<'_>, offer: bool) -> std::result::Result<(), Failure> {
    use crate::bindings::isobox::sandbox::compile_cache;
    let order = eager_order();
    OFFERING.with(|offering| offering.set(offer));
    let loaded = order.iter().try_for_each(|name| {
        if LOADED.with(|loaded| loaded.borrow().contains_key(name)) {
            return Ok(());
        }
        load_one(ctx, name)
            .map(drop)
            .map_err(|()| Failure::from_pending(ctx, Phase::Compile).in_module(name))
    });
    OFFERING.with(|offering| offering.set(false));
    loaded?;
    compile_cache::seal();
    for name in &order {
        let Some(module) = LOADED.with(|loaded| loaded.borrow().get(name).copied()) else {
            continue;
        };
        // SAFETY: `module` is a live module of this context (see LOADED);
        // resolving loads its imports and runs no JS.
        let resolved = unsafe {
            qjs::JS_ResolveModule(
                ctx.as_raw().as_ptr(),
                qjs::JS_MKPTR(qjs::JS_TAG_MODULE, module.as_ptr().cast()),
            )
        };
        if resolved < 0 {
            // QuickJS has freed the modules left unresolved.
            LOADED.with(|loaded| loaded.borrow_mut().clear());
            return Err(Failure::from_pending(ctx, Phase::Compile).in_module(name));
        }
    }
    Ok(())
}

/// The eager modules, each after the eager modules its `imports` table
/// names (an import cycle is cut where it closes), so that compiling or
/// reading one (QuickJS resolves a module's imports as it reads it) finds
/// its dependencies already loaded instead of loading them inside its own
/// load. Iterative: a long chain of packages needs no stack.
#[cfg_attr(feature = "proxy", allow(dead_code))]
fn eager_order() -> Vec<String> {
    MODULES.with(|map| {
        let map = map.borrow();
        let is_eager = |name: &str| map.get(name).is_some_and(|module| module.eager);
        // A name is in `seen` from when it is first pushed.
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut order = Vec::new();
        for root in map.values().filter(|module| module.eager) {
            if !seen.insert(root.name.as_str()) {
                continue;
            }
            // Each entry: a module and the index of its next import to visit.
            let mut stack: Vec<(&ModuleSource, usize)> = vec![(root, 0)];
            while let Some(top) = stack.len().checked_sub(1) {
                let (module, next) = stack[top];
                match module.imports.get(next) {
                    Some((_, target)) => {
                        stack[top].1 += 1;
                        if is_eager(target)
                            && let Some((name, dependency)) = map.get_key_value(target.as_str())
                            && seen.insert(name.as_str())
                        {
                            stack.push((dependency, 0));
                        }
                    }
                    None => {
                        order.push(module.name.clone());
                        stack.pop();
                    }
                }
            }
        }
        order
    })
}

/// Loads one eager module (bytecode or source) and records it in LOADED.
/// On failure the exception is pending.
fn load_one(ctx: &Ctx<'_>, name: &str) -> std::result::Result<NonNull<qjs::JSModuleDef>, ()> {
    enum Input {
        Bytecode(Vec<u8>),
        Source(String),
    }
    let input = MODULES.with(|map| {
        let mut map = map.borrow_mut();
        let module = map.get_mut(name)?;
        Some(match module.compiled.take() {
            Some(bytecode) => Input::Bytecode(bytecode),
            None => Input::Source(match Reading::natural(module.kind) {
                None => module.source.clone(),
                Some(reading) => read_as(reading, &module.source),
            }),
        })
    });
    let raw_ctx = ctx.as_raw().as_ptr();
    let module = match input {
        None => {
            let _ = rquickjs::Exception::throw_reference(ctx, &format!("no module '{name}' in the module map"));
            return Err(());
        }
        Some(Input::Bytecode(bytecode)) => {
            // SAFETY: the bytes are this engine's own module bytecode, which
            // an earlier run wrote before any JS of it ran (the host's
            // cache keeps nothing else under a module's key); QuickJS copies
            // what it keeps, so they may go after the call.
            let (raw, tag) = unsafe {
                let raw = qjs::JS_ReadObject(
                    raw_ctx,
                    bytecode.as_ptr(),
                    bytecode.len() as _,
                    qjs::JS_READ_OBJ_BYTECODE as i32,
                );
                if qjs::JS_IsException(raw) {
                    return Err(());
                }
                (raw, qjs::JS_VALUE_GET_TAG(raw))
            };
            if tag != qjs::JS_TAG_MODULE {
                // SAFETY: an owned value that is not a module, so freeable.
                unsafe { qjs::JS_FreeValue(raw_ctx, raw) };
                let _ = rquickjs::Exception::throw_internal(ctx, "the cached bytecode is not a module");
                return Err(());
            }
            raw
        }
        Some(Input::Source(source)) => {
            let (compiled, chose_reading) = watch_readings(|| crate::eval::compile_module_named(ctx, &source, name));
            let raw = compiled.map_err(|exception| {
                ctx.throw(exception);
            })?;
            if OFFERING.with(Cell::get)
                && !chose_reading
                && let Some(bytecode) = crate::eval::write_bytecode(ctx, raw)
            {
                crate::bindings::isobox::sandbox::compile_cache::keep_module(name, &bytecode);
            }
            raw
        }
    };
    // SAFETY: `module` has the module tag, so its pointer is the module's
    // definition, which QuickJS keeps in its list of loaded modules. The
    // reference `module` holds is never released: a module value must not
    // be freed (QuickJS aborts), and the instance is discarded after the run.
    let Some(definition) = NonNull::new(unsafe { qjs::JS_VALUE_GET_PTR(module) }.cast::<qjs::JSModuleDef>()) else {
        let _ = rquickjs::Exception::throw_internal(ctx, "QuickJS compiled no module");
        return Err(());
    };
    LOADED.with(|loaded| loaded.borrow_mut().insert(name.to_owned(), definition));
    // A JS eager module imports only as JavaScript: its source is not
    // needed again.
    MODULES.with(|map| {
        if let Some(module) = map.borrow_mut().get_mut(name)
            && module.kind == ModuleKind::Js
        {
            module.source = String::new();
        }
    });
    Ok(definition)
}

/// The loaded eager module named `name`, for `Module::from_load_fn`.
unsafe extern "C" fn loaded_module(_ctx: *mut qjs::JSContext, name: *const c_char) -> *mut qjs::JSModuleDef {
    // SAFETY: `from_load_fn` passes the C string it made of the name.
    let name = unsafe { CStr::from_ptr(name) };
    let Ok(name) = name.to_str() else {
        return std::ptr::null_mut();
    };
    LOADED.with(|loaded| {
        loaded
            .borrow()
            .get(name)
            .map_or(std::ptr::null_mut(), |module| module.as_ptr())
    })
}

/// Installs the resolver and loader. Runs at wizer time; they read the
/// per-run map when an import happens.
pub fn install(runtime: &rquickjs::Runtime) {
    runtime.set_loader(MapResolver, MapLoader);
}

/// What Workers code imports for its class form.
const WORKERS_MODULE: &str = "cloudflare:workers";
/// Node's promise file system over the granted workspace (also
/// `fs/promises`), and `node:fs` (also `fs`) with only its `promises`.
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
        let normalised = match mapped(base, name) {
            Some(target) => target,
            None => match builtin(name).filter(|_| reading.is_none()) {
                Some(builtin) => return Ok(builtin.to_owned()),
                None => {
                    let path = relative(base, name)?;
                    let exact = MODULES.with(|map| map.borrow().contains_key(&path))
                        || ENTRY.with(|entry| *entry.borrow() == path);
                    if exact {
                        path
                    } else {
                        probed(base, &path).unwrap_or(path)
                    }
                }
            },
        };
        let is_entry = ENTRY.with(|entry| *entry.borrow() == normalised);
        MODULES.with(|map| {
            let map = map.borrow();
            let natural = |kind: &ModuleKind| match reading {
                None => true,
                Some(Reading::Json) => *kind == ModuleKind::Json,
                Some(_) => false,
            };
            if let Some(module) = map.get(&normalised) {
                if natural(&module.kind) {
                    Ok(normalised)
                } else if module.eager && module.kind == ModuleKind::Js {
                    Err(Error::new_resolving_message(
                        base,
                        name,
                        format!("'{normalised}' is a linked JavaScript module: import it without a type attribute"),
                    ))
                } else {
                    READING_CHOSEN.with(|chosen| chosen.set(true));
                    Ok(normalised + reading.map_or("", Reading::suffix))
                }
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

/// The module the host's resolution gives `name` imported from `base`: the
/// entry's table or the importing module's.
fn mapped(base: &str, name: &str) -> Option<String> {
    let find = |imports: &[(String, String)]| {
        imports
            .iter()
            .find(|(specifier, _)| specifier == name)
            .map(|(_, target)| target.clone())
    };
    // A linked module has its own table; the entry and the request's own
    // modules share the entry's (the project's root resolution).
    let linked = MODULES.with(|map| {
        map.borrow()
            .get(base)
            .filter(|module| module.eager)
            .map(|module| find(&module.imports))
    });
    match linked {
        Some(found) => found,
        None => ENTRY_IMPORTS.with(|imports| find(&imports.borrow())),
    }
}

/// Extensions tried, in order, for a relative import between the request's
/// own modules that names no module exactly (`./util` finds `util.ts`,
/// `./lib` finds `lib/index.js`), as TypeScript's bundler resolution does.
const EXTENSIONS: [&str; 7] = [".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts", ".json"];

/// The module of the map `normalised` names with an extension or as a
/// directory's index, for imports from the request's own modules.
fn probed(base: &str, normalised: &str) -> Option<String> {
    MODULES.with(|map| {
        let map = map.borrow();
        if map.get(base).is_some_and(|module| module.eager) {
            return None;
        }
        EXTENSIONS
            .iter()
            .map(|extension| format!("{normalised}{extension}"))
            .chain(
                EXTENSIONS
                    .iter()
                    .map(|extension| format!("{normalised}/index{extension}")),
            )
            .find(|candidate| map.get(candidate).is_some_and(|module| !module.eager))
    })
}

/// The built-in module `name` stands for, by its canonical name.
fn builtin(name: &str) -> Option<&'static str> {
    // One module per API, whichever name imported it.
    match name {
        WORKERS_MODULE => Some(WORKERS_MODULE),
        "node:fs/promises" | "fs/promises" => Some("node:fs/promises"),
        "node:fs" | "fs" => Some("node:fs"),
        _ => None,
    }
}

/// A specifier no table maps and no built-in has: a path joined to the
/// importing module's directory and normalised; a bare specifier is refused.
fn relative(base: &str, name: &str) -> Result<String> {
    if !(name.starts_with("./") || name.starts_with("../") || name.starts_with('/')) {
        return Err(Error::new_resolving_message(
            base,
            name,
            "bare specifiers name npm packages: add the package to the run's dependencies \
             (`--dep NAME@RANGE`, or `dependencies` in the request) and isobox installs and links it; \
             or import a module of the map as './name'",
        ));
    }
    let joined = match (name.strip_prefix('/'), base.rsplit_once('/')) {
        (Some(absolute), _) => absolute.to_owned(),
        (None, Some((directory, _))) => format!("{directory}/{name}"),
        (None, None) => name.to_owned(),
    };
    normalise(&joined)
        .ok_or_else(|| Error::new_resolving_message(base, name, "the path climbs above the module map's root"))
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
        let eager =
            reading.is_none() && MODULES.with(|map| map.borrow().get(module_name).is_some_and(|module| module.eager));
        if eager {
            // QuickJS asks again for a loaded module when an import's
            // attributes differ from its own: it gets the same module.
            if !LOADED.with(|loaded| loaded.borrow().contains_key(name)) {
                load_one(ctx, name).map_err(|()| Error::Exception)?;
            }
            // SAFETY: `loaded_module` gives the module LOADED holds for the
            // name, a live module of this context (see LOADED).
            return unsafe { Module::from_load_fn(ctx.clone(), name, loaded_module) };
        }
        let source = MODULES.with(|map| {
            map.borrow()
                .get(module_name)
                .map(|module| match reading.or(Reading::natural(module.kind)) {
                    None => module.source.clone(),
                    Some(reading) => read_as(reading, &module.source),
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

#[cfg(test)]
mod tests {
    //! What eager modules rely on in QuickJS-NG, checked natively: a module
    //! compiled but not run can be written as bytecode, read back in another
    //! runtime, and is then found by name by the modules that import it.

    use rquickjs::{Context, Runtime, Value};

    use super::*;

    fn module(name: &str, kind: ModuleKind, source: &str, compiled: Option<Vec<u8>>) -> ModuleSource {
        ModuleSource {
            name: name.into(),
            kind,
            source: source.into(),
            imports: Vec::new(),
            eager: true,
            compiled,
        }
    }

    /// Runs `f` in a fresh runtime with the module loader, as one run.
    fn in_fresh_runtime<R>(
        modules: Vec<ModuleSource>,
        entry_imports: &[(&str, &str)],
        f: impl FnOnce(&Ctx<'_>) -> R,
    ) -> R {
        MODULES.with(|map| map.borrow_mut().clear());
        LOADED.with(|loaded| loaded.borrow_mut().clear());
        let entry_imports = entry_imports
            .iter()
            .map(|(s, t)| (s.to_string(), t.to_string()))
            .collect();
        set(modules, "main.js", entry_imports);
        let runtime = Runtime::new().unwrap();
        install(&runtime);
        let context = Context::full(&runtime).unwrap();
        let result = context.with(|ctx| f(&ctx));
        // The modules belong to the runtime that goes now.
        LOADED.with(|loaded| loaded.borrow_mut().clear());
        result
    }

    /// The main module's default export, evaluated.
    fn main_default(ctx: &Ctx<'_>, code: &str) -> String {
        let form = crate::eval::compile(
            ctx,
            code,
            "main.js",
            crate::bindings::isobox::sandbox::types::CodeForm::Module,
        )
        .unwrap_or_else(|failure| panic!("{}", failure.describe()));
        let crate::eval::Form::Module(module) = form else {
            panic!("not a module");
        };
        let value: Value =
            crate::eval::module_default(ctx, module).unwrap_or_else(|failure| panic!("{}", failure.describe()));
        ctx.json_stringify(value).unwrap().unwrap().to_string().unwrap()
    }

    #[test]
    fn bytecode_of_a_module_compiled_but_not_run_is_read_back_and_found_by_its_importers() {
        let dep = "import data from './z.json' with { type: 'json' };\n\
                   export const answer = data.n * 2;";
        let (data_bytecode, dep_bytecode) = in_fresh_runtime(
            vec![
                ModuleSource {
                    imports: vec![("./z.json".into(), "lib/z.json".into())],
                    ..module("lib/a.js", ModuleKind::Js, dep, None)
                },
                module("lib/z.json", ModuleKind::Json, r#"{"n": 21}"#, None),
            ],
            &[],
            |ctx| {
                assert_eq!(eager_order(), ["lib/z.json", "lib/a.js"], "dependencies first");
                let write = |name: &str| {
                    let module = load_one(ctx, name).unwrap_or_else(|()| panic!("{:?}", ctx.catch()));
                    let raw = qjs::JS_MKPTR(qjs::JS_TAG_MODULE, module.as_ptr().cast());
                    crate::eval::write_bytecode(ctx, raw).expect("bytecode")
                };
                (write("lib/z.json"), write("lib/a.js"))
            },
        );
        // Another runtime: the JS module comes without its source.
        let modules = vec![
            ModuleSource {
                imports: vec![("./z.json".into(), "lib/z.json".into())],
                ..module("lib/a.js", ModuleKind::Js, "", Some(dep_bytecode))
            },
            module("lib/z.json", ModuleKind::Json, r#"{"n": 21}"#, Some(data_bytecode)),
        ];
        let code = "import { answer } from 'dep';\n\
                    import plain from 'data';\n\
                    import typed from 'data' with { type: 'json' };\n\
                    export default [answer, plain === typed];";
        let result = in_fresh_runtime(modules, &[("dep", "lib/a.js"), ("data", "lib/z.json")], |ctx| {
            for name in ["lib/z.json", "lib/a.js"] {
                load_one(ctx, name).unwrap_or_else(|()| panic!("{:?}", ctx.catch()));
            }
            assert!(
                MODULES.with(|map| map.borrow().values().all(|module| module.compiled.is_none())),
                "the bytecode is dropped once read"
            );
            main_default(ctx, code)
        });
        assert_eq!(result, "[42,true]");
    }

    #[test]
    fn the_hosts_tables_come_before_the_relative_rules_and_the_bare_specifier_refusal() {
        let modules = vec![
            ModuleSource {
                imports: vec![("./x".into(), "b.js".into())],
                ..module("a.js", ModuleKind::Js, "export { b } from './x';", None)
            },
            module("b.js", ModuleKind::Js, "export const b = 'b';", None),
            module("x", ModuleKind::Js, "export const b = 'not me';", None),
        ];
        let result = in_fresh_runtime(modules, &[("pkg", "a.js")], |ctx| {
            main_default(ctx, "import { b } from 'pkg';\nexport default b;")
        });
        assert_eq!(result, "\"b\"");
        let refused = in_fresh_runtime(Vec::new(), &[("pkg", "a.js")], |ctx| {
            let failure = crate::eval::compile(
                ctx,
                "import 'other';",
                "main.js",
                crate::bindings::isobox::sandbox::types::CodeForm::Module,
            )
            .err()
            .expect("refused");
            failure.message().to_owned()
        });
        assert!(refused.contains("bare specifiers"), "{refused}");
    }
}
