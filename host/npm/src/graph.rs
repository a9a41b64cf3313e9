//! The modules a run needs from an installed tree: from the specifiers
//! the run's code imports, every file reachable through static imports,
//! literal dynamic imports and literal `require`s, each with its own
//! specifiers resolved to module names. Only reachable files are taken, so
//! a package's tests, TypeScript sources or other builds never matter.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

use serde_json::Value;

use crate::cjs::{self, Required};
use crate::error::{NpmError, NpmErrorKind};
use crate::install::Installed;
use crate::resolve::{Kind, Resolved, Resolver};
use crate::scan::{Scanned, scan};

/// Built-ins the sandbox itself provides to ES modules.
const SANDBOX_BUILTINS: [&str; 4] = ["node:fs/promises", "fs/promises", "node:fs", "fs"];

/// The module that stands for a file a `browser` field removes.
const EMPTY_MODULE: &str = "node_modules/.isobox/empty.js";

/// How a linked module's source is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ModuleKind {
    Js,
    Json,
}

/// One module of the graph.
#[derive(Clone, Debug)]
pub(crate) struct GraphModule {
    pub name: String,
    pub kind: ModuleKind,
    pub source: String,
    /// Specifier as written -> module name.
    pub imports: BTreeMap<String, String>,
}

/// The modules and the entry's resolved bare specifiers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Graph {
    pub modules: Vec<GraphModule>,
    pub entry_imports: BTreeMap<String, String>,
}

impl Graph {
    /// Bytes of every module's source.
    pub fn source_bytes(&self) -> u64 {
        self.modules.iter().map(|m| m.source.len() as u64).sum()
    }
}

/// What a file is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Module,
    CommonJs,
    Json,
}

/// One file read and scanned.
struct FileInfo {
    format: Format,
    text: String,
    scanned: Scanned,
}

struct Builder<'a> {
    resolver: Resolver<'a>,
    files: BTreeMap<String, FileInfo>,
    modules: BTreeMap<String, GraphModule>,
    /// CommonJS files whose ES view is needed.
    views: BTreeSet<String>,
    queue: VecDeque<String>,
    /// Files queued for linking (each once).
    queued: BTreeSet<String>,
}

/// The bare specifiers a run's code imports, each with the names it
/// imports (`None`: the whole module).
pub(crate) type EntryImports = BTreeMap<String, Option<BTreeSet<String>>>;

/// How deep re-exports are followed to find where a name is defined.
const MAX_REEXPORT_DEPTH: usize = 8;

/// Builds the graph for the bare specifiers the run's code imports. An
/// import of a few names from a side-effect-free package's re-export
/// index (`import { format } from 'date-fns'`) links a reduced index that
/// re-exports only those names from the modules that define them, so the
/// rest of the package never enters the graph.
pub(crate) fn build(installed: &Installed, conditions: &[String], entry: &EntryImports) -> Result<Graph, NpmError> {
    let mut builder = Builder {
        resolver: Resolver::new(installed, conditions),
        files: BTreeMap::new(),
        modules: BTreeMap::new(),
        views: BTreeSet::new(),
        queue: VecDeque::new(),
        queued: BTreeSet::new(),
    };
    let mut entry_imports = BTreeMap::new();
    for (specifier, names) in entry {
        if SANDBOX_BUILTINS.contains(&specifier.as_str()) {
            continue;
        }
        let resolved = builder
            .resolver
            .resolve(None, specifier, Kind::Import)
            .map_err(|why| NpmError::new(NpmErrorKind::Resolve, format!("import {specifier:?}: {why}")))?;
        let reduced = match (&resolved, names) {
            (Resolved::File(file), Some(names)) if !names.is_empty() => builder.reduced(file, names)?,
            _ => None,
        };
        let target = match reduced {
            Some(reduced) => reduced,
            None => builder.import_target(None, specifier, resolved)?,
        };
        entry_imports.insert(specifier.clone(), target);
    }
    while let Some(file) = builder.queue.pop_front() {
        builder.link(&file)?;
    }
    for body in std::mem::take(&mut builder.views) {
        let names = builder.export_names(&body, &mut BTreeSet::new());
        let name = view_name(&body);
        builder.modules.insert(
            name.clone(),
            GraphModule {
                name,
                kind: ModuleKind::Js,
                source: cjs::view(&body, &names),
                imports: [(body.clone(), body)].into(),
            },
        );
    }
    Ok(Graph {
        modules: builder.modules.into_values().collect(),
        entry_imports,
    })
}

/// Whether `name` can stand in an `export { a as b }` clause unquoted.
fn is_export_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The name of a CommonJS file's ES view.
fn view_name(file: &str) -> String {
    format!("{file}?esm")
}

impl Builder<'_> {
    /// Reads and scans `file` once; queues it for linking.
    fn info(&mut self, file: &str) -> Result<&FileInfo, NpmError> {
        self.read(file)?;
        if self.queued.insert(file.to_owned()) {
            self.queue.push_back(file.to_owned());
        }
        self.read(file)
    }

    /// Reads and scans `file` once, without linking it.
    fn read(&mut self, file: &str) -> Result<&FileInfo, NpmError> {
        if !self.files.contains_key(file) {
            let bytes = self
                .resolver
                .read(file)
                .ok_or_else(|| NpmError::new(NpmErrorKind::Resolve, format!("{file}: no such file")))?;
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| NpmError::new(NpmErrorKind::Parse, format!("{file}: not UTF-8 text")))?;
            let typescript = [".ts", ".mts", ".cts", ".tsx"].iter().any(|e| file.ends_with(e));
            let text = if typescript {
                isobox::typescript::strip(&text, file)
                    .map_err(|e| NpmError::new(NpmErrorKind::Parse, format!("{file}: {}", e.message)))?
            } else {
                text
            };
            let (format, scanned) = if file.ends_with(".json") {
                (Format::Json, Scanned::default())
            } else {
                let scanned = scan(&text, file, false).map_err(|e| {
                    NpmError::new(
                        NpmErrorKind::Parse,
                        format!("{file}:{}:{}: {}", e.line, e.column, e.message),
                    )
                })?;
                (self.format_of(file, &scanned), scanned)
            };
            self.files.insert(file.to_owned(), FileInfo { format, text, scanned });
        }
        // Inserted above.
        self.files
            .get(file)
            .ok_or_else(|| NpmError::new(NpmErrorKind::Resolve, format!("{file}: lost")))
    }

    fn format_of(&self, file: &str, scanned: &Scanned) -> Format {
        if file.ends_with(".mjs") || file.ends_with(".mts") {
            return Format::Module;
        }
        if file.ends_with(".cjs") || file.ends_with(".cts") {
            return Format::CommonJs;
        }
        if scanned.is_module {
            return Format::Module;
        }
        let type_module = self
            .resolver
            .package_of(file)
            .and_then(|(_, package)| {
                package
                    .manifest
                    .get("type")
                    .and_then(Value::as_str)
                    .map(|t| t == "module")
            })
            .unwrap_or(false);
        if type_module && scanned.requires.is_empty() {
            Format::Module
        } else {
            Format::CommonJs
        }
    }

    /// The module name an `import` of a resolved file gets: the file for
    /// ES modules and JSON, the ES view for CommonJS.
    fn import_target(
        &mut self,
        importer: Option<&str>,
        specifier: &str,
        resolved: Resolved,
    ) -> Result<String, NpmError> {
        match resolved {
            Resolved::File(file) => {
                let format = self.info(&file)?.format;
                Ok(if format == Format::CommonJs {
                    self.views.insert(file.clone());
                    view_name(&file)
                } else {
                    file
                })
            }
            Resolved::Empty => Ok(self.empty_module()),
            Resolved::Builtin(name) => Err(NpmError::new(
                NpmErrorKind::Resolve,
                format!(
                    "{} imports {specifier:?}, Node's built-in '{name}', which the sandbox does not have \
                     (it has node:fs/promises over a granted workspace); use a package made for browsers or workers",
                    importer.unwrap_or("the code")
                ),
            )),
        }
    }

    fn empty_module(&mut self) -> String {
        self.modules
            .entry(EMPTY_MODULE.to_owned())
            .or_insert_with(|| GraphModule {
                name: EMPTY_MODULE.to_owned(),
                kind: ModuleKind::Js,
                source: "export default {};\n".into(),
                imports: BTreeMap::new(),
            });
        EMPTY_MODULE.to_owned()
    }

    /// Makes `file`'s module, resolving its specifiers.
    fn link(&mut self, file: &str) -> Result<(), NpmError> {
        let (format, specifiers, requires) = {
            let info = self.info(file)?;
            let mut specifiers = info.scanned.imports.clone();
            for dynamic in &info.scanned.dynamic_imports {
                if !specifiers.contains(dynamic) {
                    specifiers.push(dynamic.clone());
                }
            }
            (info.format, specifiers, info.scanned.requires.clone())
        };
        let resolve_error = |specifier: &str, why: String| {
            NpmError::new(NpmErrorKind::Resolve, format!("{file} imports {specifier:?}: {why}"))
        };
        let text = self.files.get(file).map(|i| i.text.clone()).unwrap_or_default();
        let (kind, source, imports) = match format {
            Format::Json => (ModuleKind::Json, text, BTreeMap::new()),
            Format::Module => {
                let mut table = BTreeMap::new();
                for specifier in specifiers {
                    if SANDBOX_BUILTINS.contains(&specifier.as_str()) {
                        continue;
                    }
                    let resolved = self
                        .resolver
                        .resolve(Some(file), &specifier, Kind::Import)
                        .map_err(|why| resolve_error(&specifier, why))?;
                    let target = self.import_target(Some(file), &specifier, resolved)?;
                    table.insert(specifier, target);
                }
                (ModuleKind::Js, text, table)
            }
            Format::CommonJs => {
                let mut table = BTreeMap::new();
                let mut required = Vec::new();
                for specifier in requires {
                    let resolved = self
                        .resolver
                        .resolve(Some(file), &specifier, Kind::Require)
                        .map_err(|why| resolve_error(&specifier, why));
                    let entry = match resolved {
                        // A require that cannot be resolved fails when it
                        // runs (code often tries optional modules).
                        Err(error) => Required::Missing(error.message().to_owned()),
                        Ok(Resolved::Builtin(name)) => Required::Missing(name),
                        Ok(Resolved::Empty) => {
                            let empty = self.empty_module();
                            table.insert(empty.clone(), empty.clone());
                            Required::Module(empty)
                        }
                        Ok(Resolved::File(target)) => {
                            let format = self.info(&target)?.format;
                            table.insert(target.clone(), target.clone());
                            match format {
                                Format::CommonJs => Required::CommonJs(target),
                                Format::Module => Required::Module(target),
                                Format::Json => Required::Json(target),
                            }
                        }
                    };
                    required.push((specifier, entry));
                }
                (ModuleKind::Js, cjs::body(&text, file, &required), table)
            }
        };
        self.modules.insert(
            file.to_owned(),
            GraphModule {
                name: file.to_owned(),
                kind,
                source,
                imports,
            },
        );
        Ok(())
    }

    /// Whether `file`'s package says its modules have no side effects
    /// (`"sideEffects": false`): a module of it no import needs may be left
    /// out.
    fn side_effect_free(&self, file: &str) -> bool {
        self.resolver
            .package_of(file)
            .is_some_and(|(_, package)| package.manifest.get("sideEffects") == Some(&Value::Bool(false)))
    }

    /// A module re-exporting only `names` from where `barrel` (an ES module
    /// of a side-effect-free package) gets them, when every name is found
    /// through re-exports into other modules; `None` otherwise (the barrel
    /// is linked whole).
    fn reduced(&mut self, barrel: &str, names: &BTreeSet<String>) -> Result<Option<String>, NpmError> {
        if !self.side_effect_free(barrel) || self.read(barrel)?.format != Format::Module {
            return Ok(None);
        }
        let mut source = String::new();
        let mut imports = BTreeMap::new();
        for name in names {
            let Some((origin, imported)) = self.origin(barrel, name, 0)? else {
                return Ok(None);
            };
            if origin == barrel || !is_export_name(name) || !(imported == "*" || is_export_name(&imported)) {
                return Ok(None);
            }
            let from = cjs::js_string(&origin);
            if imported == "*" {
                let _ = writeln!(source, "export * as {name} from {from};");
            } else {
                let _ = writeln!(source, "export {{ {imported} as {name} }} from {from};");
            }
            imports.insert(origin.clone(), origin);
        }
        for origin in imports.keys().cloned().collect::<Vec<_>>() {
            self.info(&origin)?;
        }
        let digest = {
            use sha2::Digest as _;
            let joined = names.iter().cloned().collect::<Vec<_>>().join(",");
            let hash = sha2::Sha256::digest(joined.as_bytes());
            hash[..6].iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        let name = format!("{barrel}?only-{digest}");
        self.modules.insert(
            name.clone(),
            GraphModule {
                name: name.clone(),
                kind: ModuleKind::Js,
                source,
                imports,
            },
        );
        Ok(Some(name))
    }

    /// The ES module that defines the export `name` of `file`, and its own
    /// name for it (`*` for a namespace), following re-exports through
    /// side-effect-free modules; `None` when it cannot be told.
    fn origin(&mut self, file: &str, name: &str, depth: usize) -> Result<Option<(String, String)>, NpmError> {
        if depth > MAX_REEXPORT_DEPTH {
            return Ok(None);
        }
        let info = self.read(file)?;
        if info.format != Format::Module {
            return Ok(None);
        }
        let shape = &info.scanned.esm;
        if shape.local.contains(name) {
            return Ok(Some((file.to_owned(), name.to_owned())));
        }
        let named: Vec<(String, String)> = shape
            .named_from
            .iter()
            .filter(|(exported, _, _)| exported == name)
            .map(|(_, imported, specifier)| (imported.clone(), specifier.clone()))
            .collect();
        let stars = shape.star_from.clone();
        let resolve =
            |builder: &Self, specifier: &str| match builder.resolver.resolve(Some(file), specifier, Kind::Import) {
                Ok(Resolved::File(target)) => Some(target),
                _ => None,
            };
        if let Some((imported, specifier)) = named.into_iter().next() {
            let Some(target) = resolve(self, &specifier) else {
                return Ok(None);
            };
            if self.read(&target)?.format != Format::Module {
                return Ok(None);
            }
            if imported == "*" || !self.side_effect_free(&target) {
                return Ok(Some((target, imported)));
            }
            return self.origin(&target, &imported, depth + 1);
        }
        // `export *` never re-exports a default.
        if name == "default" {
            return Ok(None);
        }
        for specifier in stars {
            let Some(target) = resolve(self, &specifier) else {
                return Ok(None);
            };
            // Every module passed over is left out: it must be free of side effects.
            if !self.side_effect_free(&target) {
                return Ok(None);
            }
            if let Some(found) = self.origin(&target, name, depth + 1)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The names a CommonJS file exports, its re-exports' included.
    fn export_names(&mut self, file: &str, seen: &mut BTreeSet<String>) -> BTreeSet<String> {
        if !seen.insert(file.to_owned()) {
            return BTreeSet::new();
        }
        let Some(info) = self.files.get(file) else {
            return BTreeSet::new();
        };
        let mut names = info.scanned.exports.clone();
        let reexports = info.scanned.reexports.clone();
        for specifier in reexports {
            if let Ok(Resolved::File(target)) = self.resolver.resolve(Some(file), &specifier, Kind::Require)
                && self.files.get(&target).is_some_and(|i| i.format == Format::CommonJs)
            {
                names.extend(self.export_names(&target, seen));
            }
        }
        names
    }
}
