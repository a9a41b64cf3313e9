//! Linked modules: a module graph the host has already resolved (the files
//! of npm packages, say), built once and handed to many runs.
//!
//! The sandbox compiles every linked module before any JS of a run
//! executes, and the engine's bytecode cache keeps what it compiled, so a
//! later run that links the same graph reads bytecode and compiles none.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use crate::bindings::{GuestModule, GuestModuleKind};
use crate::bytecode_cache::{BytecodeCache, CacheKey};
use crate::modules::{is_ts_name, normalise_name};
use crate::outcome::{ErrorKind, Phase, RunError};
use crate::request::ModuleSource;

/// Most modules one graph may hold.
pub const MAX_LINKED_MODULES: usize = 10_000;

/// A resolved module graph for [`RunRequest::with_linked`](crate::RunRequest::with_linked):
/// modules by name, each with the host's resolution of its import
/// specifiers, and the resolution of the main code's own specifiers.
///
/// A specifier a module's table lists resolves to the module it names,
/// before the relative-path rules and before a bare specifier is refused;
/// an import attribute (`with { type: "json" }`) still chooses its reading.
/// A specifier no table lists follows the usual rules (`./x.js`, the
/// built-in `node:fs/promises` and `cloudflare:workers`). Every static
/// import of a linked module must resolve, whether or not the run imports
/// it. A linked JS module imports only as JavaScript (no `type` attribute);
/// a JSON or text module in any reading.
///
/// Each module is checked when it is added: its name normalised
/// (`./node_modules/pkg/index.js` is `node_modules/pkg/index.js`), JSON
/// parsed, TypeScript (`.ts`, `.mts`, `.cts`) stripped. A table's targets
/// must be modules of the graph (checked at the first run that links it);
/// the entry's may also name the request's own modules. The names must
/// not be those of the request's own modules or of its main module.
///
/// The graph's source bytes (names, sources and tables) count against
/// [`Limits::dependency_bytes`](crate::Limits::dependency_bytes) (default
/// 32 MiB), not against `code_bytes`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use isobox::{Engine, LinkedModules, ModuleSource, RunRequest};
///
/// let mut graph = LinkedModules::new();
/// graph
///     .add_module(
///         "node_modules/pkg/index.js",
///         ModuleSource::Js("import { twice } from './lib'; export default (n) => twice(n) + 1;".into()),
///         [("./lib", "node_modules/pkg/lib.js")],
///     )?
///     .add_module(
///         "node_modules/pkg/lib.js",
///         ModuleSource::Js("export const twice = (n) => n * 2;".into()),
///         [] as [(&str, &str); 0],
///     )?
///     .add_entry_import("pkg", "node_modules/pkg/index.js")?;
/// let graph = Arc::new(graph);
///
/// let engine = Engine::builder().build().await?;
/// let code = "import f from 'pkg'; export default (input) => f(input.n)";
/// let request = || RunRequest::new(code).with_input(serde_json::json!({ "n": 20 }));
/// let first = engine.run(request().with_linked(graph.clone())).await;
/// assert_eq!(first.result?, serde_json::json!(41));
/// assert_eq!(first.stats.modules_compiled, 2);
/// // The same graph again: both modules come from the bytecode cache.
/// let second = engine.run(request().with_linked(graph)).await;
/// assert_eq!((second.stats.modules_compiled, second.stats.modules_cached), (0, 2));
/// # Ok(()) }
/// ```
pub struct LinkedModules {
    modules: BTreeMap<String, Linked>,
    entry_imports: Vec<(String, String)>,
    bytes: u64,
    /// Whether every table's targets are modules of the graph: checked at
    /// the first run, once the graph is complete.
    checked: OnceLock<Result<(), String>>,
}

/// One linked module, checked and ready to send.
struct Linked {
    kind: GuestModuleKind,
    source: String,
    imports: Vec<(String, String)>,
    /// Its key in the bytecode cache.
    key: CacheKey,
}

/// Why a module or an import could not be added to [`LinkedModules`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// A module's name, or an import's target, is not a usable module name.
    #[error("{what} {name:?} {why}")]
    BadName {
        /// What the name is for.
        what: &'static str,
        /// The name as given.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Two modules have the same (normalised) name.
    #[error("two linked modules are named {0:?}")]
    Duplicate(String),
    /// A module whose kind or name says JSON is not valid JSON.
    #[error("linked module {name:?} is not valid JSON: {reason}")]
    NotJson {
        /// The module's name.
        name: String,
        /// The parser's message.
        reason: String,
    },
    /// A TypeScript module's types could not be stripped.
    #[error("linked module {name:?}: {reason}")]
    TypeScript {
        /// The module's name.
        name: String,
        /// What the stripper said.
        reason: String,
    },
    /// The graph already holds [`MAX_LINKED_MODULES`] modules.
    #[error("a graph holds at most {MAX_LINKED_MODULES} linked modules")]
    TooMany,
}

impl Default for LinkedModules {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for LinkedModules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkedModules")
            .field("modules", &self.modules.len())
            .field("entry_imports", &self.entry_imports.len())
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl LinkedModules {
    /// An empty graph.
    pub fn new() -> Self {
        LinkedModules {
            modules: BTreeMap::new(),
            entry_imports: Vec::new(),
            bytes: 0,
            checked: OnceLock::new(),
        }
    }

    /// Adds the module `name` with its `source` and the resolution of its
    /// import specifiers: (specifier as written, name of a module of the
    /// graph). A [`ModuleSource::Js`] whose name ends in `.json` is JSON
    /// text; one whose name ends in `.ts`, `.mts` or `.cts` is TypeScript.
    ///
    /// # Errors
    /// [`LinkError`] for a bad or duplicate name, a bad import target, JSON
    /// that does not parse, TypeScript that does not strip, or a graph
    /// already at [`MAX_LINKED_MODULES`].
    pub fn add_module<I, S, T>(
        &mut self,
        name: impl Into<String>,
        source: ModuleSource,
        imports: I,
    ) -> Result<&mut Self, LinkError>
    where
        I: IntoIterator<Item = (S, T)>,
        S: Into<String>,
        T: Into<String>,
    {
        let name = name.into();
        let normalised = normalise_name(&name).map_err(|why| LinkError::BadName {
            what: "linked module name",
            name: name.clone(),
            why,
        })?;
        if self.modules.len() >= MAX_LINKED_MODULES {
            return Err(LinkError::TooMany);
        }
        if self.modules.contains_key(&normalised) {
            return Err(LinkError::Duplicate(normalised));
        }
        let (kind, source) = match source {
            ModuleSource::Js(text) if normalised.ends_with(".json") => {
                serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|e| LinkError::NotJson {
                    name: normalised.clone(),
                    reason: e.to_string(),
                })?;
                (GuestModuleKind::Json, text)
            }
            ModuleSource::Js(text) if is_ts_name(&normalised) => {
                let js = crate::typescript::strip(&text, &normalised).map_err(|e| LinkError::TypeScript {
                    name: normalised.clone(),
                    reason: e.message,
                })?;
                (GuestModuleKind::Js, js)
            }
            ModuleSource::Js(text) => (GuestModuleKind::Js, text),
            ModuleSource::Json(value) => (GuestModuleKind::Json, value.to_string()),
            ModuleSource::Text(text) => (GuestModuleKind::Text, text),
        };
        let imports = imports
            .into_iter()
            .map(|(specifier, target)| Ok((specifier.into(), import_target(target.into())?)))
            .collect::<Result<Vec<_>, LinkError>>()?;
        self.bytes += (normalised.len() + source.len() + table_bytes(&imports)) as u64;
        let key = BytecodeCache::module_key(kind, &normalised, &source);
        self.modules.insert(
            normalised,
            Linked {
                kind,
                source,
                imports,
                key,
            },
        );
        self.checked = OnceLock::new();
        Ok(self)
    }

    /// Resolves the main code's `specifier` (`"pkg"`) to the module named
    /// `target`: a module of the graph, or one of the request's own.
    ///
    /// # Errors
    /// [`LinkError::BadName`] when `target` is not a usable module name.
    pub fn add_entry_import(
        &mut self,
        specifier: impl Into<String>,
        target: impl Into<String>,
    ) -> Result<&mut Self, LinkError> {
        let entry = (specifier.into(), import_target(target.into())?);
        self.bytes += table_bytes(std::slice::from_ref(&entry)) as u64;
        self.entry_imports.push(entry);
        Ok(self)
    }

    /// How many modules the graph holds.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether the graph holds no module.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// Whether the graph holds a module of this (normalised) name.
    pub fn contains(&self, name: &str) -> bool {
        self.modules.contains_key(name)
    }

    /// The bytes that count against
    /// [`Limits::dependency_bytes`](crate::Limits::dependency_bytes): every
    /// module's name and source (JSON as text, TypeScript stripped) and
    /// the text of every import table.
    pub fn source_bytes(&self) -> u64 {
        self.bytes
    }

    /// Checks that every module's imports name modules of the graph; the
    /// answer is kept until a module is added.
    fn check(&self) -> Result<(), String> {
        self.checked
            .get_or_init(|| {
                for (name, module) in &self.modules {
                    if let Some((specifier, target)) = module
                        .imports
                        .iter()
                        .find(|(_, target)| !self.modules.contains_key(target))
                    {
                        return Err(format!(
                            "linked module {name:?} imports {specifier:?} as {target:?}, which is not a linked module"
                        ));
                    }
                }
                Ok(())
            })
            .clone()
    }
}

fn import_target(target: String) -> Result<String, LinkError> {
    normalise_name(&target).map_err(|why| LinkError::BadName {
        what: "import target",
        name: target,
        why,
    })
}

fn table_bytes(imports: &[(String, String)]) -> usize {
    imports
        .iter()
        .map(|(specifier, target)| specifier.len() + target.len())
        .sum()
}

/// What the bytecode cache gave a run's linked modules, and which offers
/// of compiled modules the host takes from it.
#[derive(Debug, Default)]
pub(crate) struct LinkedPlan {
    /// The modules sent without bytecode while the engine caches, by name,
    /// with their cache keys: the only names `keep-module` may offer.
    pub wanted: HashMap<String, CacheKey>,
    /// Linked modules the run compiles from source.
    pub compiled: u32,
    /// Linked modules the run reads from cached bytecode.
    pub cached: u32,
}

/// Adds `linked`'s modules to a run's `modules` (the request's own, names
/// normalised), eager and with their cached bytecode where the cache has
/// it; a JS module with bytecode goes without its source. Gives the
/// entry's import table and the plan.
///
/// # Errors
/// An `input` / `invalid-input` [`RunError`] when a name of the graph is
/// the main module's or one of the request's modules', when a table names
/// a module that is not there, or when the graph is over `dependency_bytes`.
pub(crate) fn attach(
    linked: &LinkedModules,
    modules: &mut Vec<GuestModule>,
    main_name: &str,
    cache: Option<&BytecodeCache>,
) -> Result<(Vec<(String, String)>, LinkedPlan), RunError> {
    let invalid = |message: String| RunError::new(Phase::Input, ErrorKind::InvalidInput, message);
    linked.check().map_err(invalid)?;
    let main = normalise_name(main_name).map_err(|why| invalid(format!("the main module's name {why}")))?;
    if linked.contains(&main) {
        return Err(invalid(format!(
            "the main module's name {main:?} is also a linked module's: rename the file"
        )));
    }
    if let Some(clash) = modules.iter().find(|module| linked.contains(&module.name)) {
        return Err(invalid(format!(
            "module {:?} of the request has the name of a linked module: rename one of them",
            clash.name
        )));
    }
    let own = |target: &str| target == main || modules.iter().any(|module| module.name == target);
    if let Some((specifier, target)) = linked
        .entry_imports
        .iter()
        .find(|(_, target)| !linked.contains(target) && !own(target))
    {
        return Err(invalid(format!(
            "the entry imports {specifier:?} as {target:?}, which is neither a linked module nor one of the request's"
        )));
    }
    let hits = match cache {
        Some(cache) => cache.get_all(linked.modules.values().map(|module| &module.key)),
        None => vec![None; linked.modules.len()],
    };
    let mut plan = LinkedPlan::default();
    modules.reserve(linked.modules.len());
    for ((name, module), hit) in linked.modules.iter().zip(hits) {
        let compiled = hit.map(|hit| hit.compiled.bytecode.clone());
        if compiled.is_some() {
            plan.cached += 1;
        } else {
            plan.compiled += 1;
            if cache.is_some() {
                plan.wanted.insert(name.clone(), module.key);
            }
        }
        // A JSON or text module keeps its source for its other readings.
        let source = if compiled.is_some() && module.kind == GuestModuleKind::Js {
            String::new()
        } else {
            module.source.clone()
        };
        modules.push(GuestModule {
            name: name.clone(),
            kind: module.kind,
            source,
            imports: module.imports.clone(),
            eager: true,
            compiled,
        });
    }
    Ok((linked.entry_imports.clone(), plan))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: [(&str, &str); 0] = [];

    fn module(name: &str, source: &str) -> GuestModule {
        GuestModule {
            name: name.into(),
            kind: GuestModuleKind::Js,
            source: source.into(),
            imports: Vec::new(),
            eager: false,
            compiled: None,
        }
    }

    #[test]
    fn names_are_normalised_checked_and_counted() {
        let mut graph = LinkedModules::new();
        graph
            .add_module("./a/b.js", ModuleSource::Js("1".into()), [("./c", "/a/c.json")])
            .unwrap();
        assert!(graph.contains("a/b.js"));
        assert_eq!(
            graph.source_bytes(),
            ("a/b.js".len() + 1 + "./c".len() + "a/c.json".len()) as u64
        );
        assert_eq!(
            graph
                .add_module("a/b.js", ModuleSource::Js("2".into()), NONE)
                .unwrap_err(),
            LinkError::Duplicate("a/b.js".into())
        );
        assert!(matches!(
            graph.add_module("a/../b.js", ModuleSource::Js("2".into()), NONE),
            Err(LinkError::BadName { .. })
        ));
        let error = graph
            .add_module("a/c.json", ModuleSource::Js("{ bad".into()), NONE)
            .unwrap_err();
        assert!(error.to_string().contains("not valid JSON"), "{error}");
        assert!(graph.add_entry_import("pkg", "").is_err());
    }

    #[test]
    fn collisions_and_missing_targets_are_refused_with_what_to_do() {
        let mut graph = LinkedModules::new();
        graph
            .add_module("lib.js", ModuleSource::Js("export {}".into()), [("./x", "x.js")])
            .unwrap();
        let message = |graph: &LinkedModules, modules: &mut Vec<GuestModule>, main: &str| {
            attach(graph, modules, main, None).unwrap_err().message
        };
        assert!(message(&graph, &mut Vec::new(), "main.js").contains("\"x.js\", which is not a linked module"));
        graph.add_module("x.js", ModuleSource::Js("".into()), NONE).unwrap();

        assert!(message(&graph, &mut Vec::new(), "./lib.js").contains("main module's name \"lib.js\""));
        let mut own = vec![module("x.js", "")];
        assert!(message(&graph, &mut own, "main.js").contains("module \"x.js\" of the request"));

        graph.add_entry_import("y", "y.js").unwrap();
        assert!(message(&graph, &mut Vec::new(), "main.js").contains("\"y\" as \"y.js\", which is neither"));
        let mut own = vec![module("y.js", "")];
        let (entry, plan) = attach(&graph, &mut own, "main.js", None).unwrap();
        assert_eq!(entry, vec![("y".to_owned(), "y.js".to_owned())]);
        assert_eq!((plan.compiled, plan.cached), (2, 0));
        assert!(plan.wanted.is_empty(), "no cache, nothing to keep");
        assert_eq!(own.len(), 3);
        assert!(own[1..].iter().all(|module| module.eager && module.compiled.is_none()));
    }

    #[test]
    fn cached_bytecode_goes_instead_of_a_js_source_and_only_misses_are_wanted() {
        let cache = BytecodeCache::new(1 << 20);
        let mut graph = LinkedModules::new();
        graph
            .add_module("a.js", ModuleSource::Js("export const a = 1".into()), NONE)
            .unwrap()
            .add_module("b.json", ModuleSource::Json(serde_json::json!([1])), NONE)
            .unwrap()
            .add_module("c.js", ModuleSource::Js("export const c = 1".into()), NONE)
            .unwrap();
        let bytecode = |bytes: Vec<u8>| crate::bindings::GuestCompiled {
            form: crate::bindings::isobox::sandbox::types::CompiledForm::Module,
            bytecode: bytes,
        };
        cache.insert(graph.modules["a.js"].key, bytecode(vec![1, 2]), None);
        cache.insert(graph.modules["b.json"].key, bytecode(vec![3]), None);
        let mut modules = Vec::new();
        let (_, plan) = attach(&graph, &mut modules, "main.js", Some(&cache)).unwrap();
        assert_eq!((plan.compiled, plan.cached), (1, 2));
        assert_eq!(plan.wanted.keys().collect::<Vec<_>>(), ["c.js"]);
        let by_name = |name: &str| modules.iter().find(|module| module.name == name).unwrap();
        assert_eq!(by_name("a.js").compiled.as_deref(), Some(&[1u8, 2][..]));
        assert_eq!(
            by_name("a.js").source,
            "",
            "a JS module with bytecode goes without its source"
        );
        assert_eq!(
            by_name("b.json").source,
            "[1]",
            "JSON keeps its text for other readings"
        );
        assert_eq!(by_name("c.js").source, "export const c = 1");
    }
}
