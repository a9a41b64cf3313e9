//! Linking packages into runs: the dependencies resolved and installed
//! (through the [`Installer`] and its caches), then the graph of modules
//! the code imports built once and kept, so a later run with the same
//! dependencies and imports reuses it without a request or a parse.

use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{NpmError, NpmErrorKind};
use crate::graph::{self, Graph};
use crate::install::{Installed, Installer};
use crate::lock::Lockfile;
use crate::spec::Dependency;

/// The conditions `exports` are matched with by default, after which
/// `import` (or `require`) and `default` apply.
pub const DEFAULT_CONDITIONS: [&str; 3] = ["workerd", "worker", "browser"];

/// Installed trees kept in memory.
const TREES_KEPT: usize = 16;
/// Module graphs kept in memory.
const GRAPHS_KEPT: usize = 256;

/// Installs packages and links the modules runs import.
///
/// ```no_run
/// # async fn f() -> Result<(), isobox_npm::NpmError> {
/// use isobox_npm::{Cache, Dependency, Installer, Npm, Registry};
///
/// let npm = Npm::new(Installer::new(Registry::npmjs(), Cache::default_location()));
/// let linked = npm
///     .link(&[Dependency::parse("zod@^4")?], None, &["zod".to_owned()])
///     .await?;
/// assert!(linked.modules().count() > 1);
/// # Ok(()) }
/// ```
pub struct Npm {
    installer: Installer,
    conditions: Vec<String>,
    lockfile: Option<std::path::PathBuf>,
    trees: Mutex<Vec<(Lockfile, Arc<Installed>)>>,
    graphs: Mutex<Vec<(GraphKey, Arc<Linked>)>>,
    /// What a run's request linked, by a digest of everything that decides
    /// it (dependencies, code, modules): a repeated request (a stored
    /// worker's) is answered without reading the disk cache or parsing.
    runs: Mutex<Vec<([u8; 32], Arc<isobox::LinkedModules>)>>,
}

#[derive(Clone, PartialEq, Eq)]
struct GraphKey {
    lock: Lockfile,
    entry: graph::EntryImports,
}

/// The modules one run imports from its packages.
#[derive(Debug)]
pub struct Linked {
    graph: Graph,
    lock: Lockfile,
    /// The graph in the form runs take, made once.
    for_runs: OnceLock<Result<Arc<isobox::LinkedModules>, String>>,
}

/// One linked module, for callers that hand the graph to a sandbox.
#[derive(Debug)]
pub struct LinkedModule<'a> {
    /// Its module name (`node_modules/zod/index.js`).
    pub name: &'a str,
    /// Whether it is JSON (else JavaScript).
    pub json: bool,
    /// The source the sandbox compiles.
    pub source: &'a str,
    /// Specifiers it imports, resolved to module names.
    pub imports: &'a std::collections::BTreeMap<String, String>,
}

impl Linked {
    pub(crate) fn from_parts(graph: Graph, lock: Lockfile) -> Linked {
        Linked {
            graph,
            lock,
            for_runs: OnceLock::new(),
        }
    }

    /// The graph as runs take it
    /// ([`RunRequest::with_linked`](isobox::RunRequest::with_linked)),
    /// made once and shared.
    ///
    /// # Errors
    /// [`NpmErrorKind::Parse`] when a module cannot be linked (bad JSON,
    /// TypeScript that does not strip).
    pub fn linked_modules(&self) -> Result<Arc<isobox::LinkedModules>, NpmError> {
        self.for_runs
            .get_or_init(|| {
                let mut graph = isobox::LinkedModules::new();
                for module in &self.graph.modules {
                    graph
                        .add_module(
                            module.name.clone(),
                            isobox::ModuleSource::Js(module.source.clone()),
                            module.imports.iter().map(|(s, t)| (s.clone(), t.clone())),
                        )
                        .map_err(|e| e.to_string())?;
                }
                for (specifier, target) in &self.graph.entry_imports {
                    graph
                        .add_entry_import(specifier.clone(), target.clone())
                        .map_err(|e| e.to_string())?;
                }
                Ok(Arc::new(graph))
            })
            .clone()
            .map_err(|message| NpmError::new(NpmErrorKind::Parse, message))
    }

    /// The modules, sorted by name.
    pub fn modules(&self) -> impl Iterator<Item = LinkedModule<'_>> {
        self.graph.modules.iter().map(|m| LinkedModule {
            name: &m.name,
            json: m.kind == graph::ModuleKind::Json,
            source: &m.source,
            imports: &m.imports,
        })
    }

    /// The run's own bare specifiers, resolved to module names.
    pub fn entry_imports(&self) -> &std::collections::BTreeMap<String, String> {
        &self.graph.entry_imports
    }

    /// Bytes of every module's source.
    pub fn source_bytes(&self) -> u64 {
        self.graph.source_bytes()
    }

    /// The lockfile the modules were installed from.
    pub fn lock(&self) -> &Lockfile {
        &self.lock
    }
}

impl Npm {
    /// Links with `installer` under the default conditions.
    pub fn new(installer: Installer) -> Npm {
        Npm {
            installer,
            conditions: DEFAULT_CONDITIONS.iter().map(|c| (*c).to_owned()).collect(),
            lockfile: None,
            trees: Mutex::new(Vec::new()),
            graphs: Mutex::new(Vec::new()),
            runs: Mutex::new(Vec::new()),
        }
    }

    /// Matches `exports` with these conditions (in priority order) instead
    /// of [`DEFAULT_CONDITIONS`]; `import` or `require` and `default` still
    /// apply after them.
    #[must_use]
    pub fn with_conditions(mut self, conditions: impl IntoIterator<Item = impl Into<String>>) -> Npm {
        self.conditions = conditions.into_iter().map(Into::into).collect();
        self
    }

    /// Honours the lockfile at `path` (when it answers the dependencies)
    /// and writes it after a new resolution.
    #[must_use]
    pub fn with_lockfile(mut self, path: impl Into<std::path::PathBuf>) -> Npm {
        self.lockfile = Some(path.into());
        self
    }

    /// The installer.
    pub fn installer(&self) -> &Installer {
        &self.installer
    }

    /// The conditions `exports` are matched with.
    pub fn conditions(&self) -> &[String] {
        &self.conditions
    }

    /// Resolves and installs `dependencies` (from `lock` when it answers
    /// them) and links the modules the bare specifiers in `imports` reach.
    ///
    /// # Errors
    /// An [`NpmError`] from resolving, installing or linking.
    pub async fn link(
        &self,
        dependencies: &[Dependency],
        lock: Option<&Lockfile>,
        imports: &[String],
    ) -> Result<Arc<Linked>, NpmError> {
        let whole = imports.iter().map(|specifier| (specifier.clone(), None)).collect();
        self.link_entry(dependencies, lock, whole).await
    }

    /// [`Npm::link`] with the names each specifier is imported for
    /// (`None`: the whole module): a few names from a side-effect-free
    /// package's re-export index link only the modules defining them.
    async fn link_entry(
        &self,
        dependencies: &[Dependency],
        lock: Option<&Lockfile>,
        entry: graph::EntryImports,
    ) -> Result<Arc<Linked>, NpmError> {
        let from_file = match (&self.lockfile, lock) {
            (Some(path), None) => Lockfile::read(path)?,
            _ => None,
        };
        let given = lock.or(from_file.as_ref());
        let lock = self.installer.resolve(dependencies, given).await?;
        if let Some(path) = &self.lockfile
            && given != Some(&lock)
        {
            lock.write(path)?;
        }
        let key = GraphKey {
            lock: lock.clone(),
            entry,
        };
        if let Some(found) = lookup(&self.graphs, &key) {
            return Ok(found);
        }
        let installed = match lookup(&self.trees, &lock) {
            Some(installed) => installed,
            None => {
                let installed = Arc::new(self.installer.install(&lock).await?);
                keep(&self.trees, lock.clone(), Arc::clone(&installed), TREES_KEPT);
                installed
            }
        };
        let conditions = self.conditions.clone();
        let entry = key.entry.clone();
        let graph = tokio::task::spawn_blocking(move || graph::build(&installed, &conditions, &entry))
            .await
            .map_err(|_| NpmError::new(NpmErrorKind::Parse, "linking stopped"))??;
        let linked = Arc::new(Linked::from_parts(graph, lock));
        keep(&self.graphs, key, Arc::clone(&linked), GRAPHS_KEPT);
        Ok(linked)
    }
}

fn lookup<K: PartialEq, V>(list: &Mutex<Vec<(K, Arc<V>)>>, key: &K) -> Option<Arc<V>> {
    let mut list = list.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let index = list.iter().position(|(k, _)| k == key)?;
    // Most recently used last.
    let entry = list.remove(index);
    let value = Arc::clone(&entry.1);
    list.push(entry);
    Some(value)
}

fn keep<K, V>(list: &Mutex<Vec<(K, Arc<V>)>>, key: K, value: Arc<V>, max: usize) {
    let mut list = list.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if list.len() >= max {
        list.remove(0);
    }
    list.push((key, value));
}

/// The bare specifiers a run's code imports: what [`Npm::link`] needs.
/// Relative imports, `cloudflare:workers` and Node built-ins are left out.
/// Code that does not parse gives none (the run then reports the syntax
/// error itself).
///
/// ```
/// let found = isobox_npm::bare_imports(
///     "import { z } from 'zod'; import './local.js'; const m = await import('date-fns/format');",
///     "main.js",
/// );
/// assert_eq!(found, ["date-fns/format", "zod"]);
/// ```
pub fn bare_imports(code: &str, filename: &str) -> Vec<String> {
    bare_import_names(code, filename).into_keys().collect()
}

/// The bare specifiers `code` imports, each with the names it imports
/// (`None`: the whole module).
fn bare_import_names(code: &str, filename: &str) -> graph::EntryImports {
    let typescript = [".ts", ".mts", ".cts", ".tsx"].iter().any(|e| filename.ends_with(e));
    let Ok(scanned) = crate::scan::scan(code, filename, typescript) else {
        return graph::EntryImports::new();
    };
    let mut found = graph::EntryImports::new();
    for specifier in scanned.imports.iter().chain(&scanned.dynamic_imports) {
        let relative = specifier.starts_with('.') || specifier.starts_with('/');
        if !relative && !specifier.contains(':') && crate::resolve::builtin(specifier).is_none() {
            let names = scanned.esm.imported.get(specifier).cloned().flatten();
            found.insert(specifier.clone(), names);
        }
    }
    found
}

/// Adds `more` to `entry`: names joined, `None` (the whole module) winning.
fn merge_entry(entry: &mut graph::EntryImports, more: graph::EntryImports) {
    for (specifier, names) in more {
        match (entry.get_mut(&specifier), names) {
            (Some(Some(known)), Some(names)) => known.extend(names),
            (Some(slot), None) => *slot = None,
            (Some(None), Some(_)) => {}
            (None, names) => {
                entry.insert(specifier, names);
            }
        }
    }
}

impl isobox::PackageLinker for Npm {
    fn link<'a>(&'a self, request: isobox::PackageRequest<'a>) -> isobox::LinkFuture<'a> {
        Box::pin(async move {
            let digest = request_digest(&request);
            if let Some(found) = lookup(&self.runs, &digest) {
                return Ok(found);
            }
            let dependencies = request
                .dependencies
                .iter()
                .map(|spec| Dependency::parse(spec))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let mut entry = bare_import_names(request.code, request.filename);
            for (name, source) in &request.modules {
                merge_entry(&mut entry, bare_import_names(source, name));
            }
            for implied in &request.implied {
                merge_entry(&mut entry, [(implied.clone(), None)].into());
            }
            let linked = self
                .link_entry(&dependencies, None, entry)
                .await
                .map_err(|e| e.to_string())?;
            let modules = linked.linked_modules().map_err(|e| e.to_string())?;
            keep(&self.runs, digest, Arc::clone(&modules), GRAPHS_KEPT);
            Ok(modules)
        })
    }
}

/// A digest of what decides a request's graph.
fn request_digest(request: &isobox::PackageRequest<'_>) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    let mut field = |bytes: &[u8]| {
        digest.update((bytes.len() as u64).to_le_bytes());
        digest.update(bytes);
    };
    for dependency in request.dependencies {
        field(dependency.as_bytes());
    }
    field(b"");
    field(request.filename.as_bytes());
    field(request.code.as_bytes());
    for (name, source) in &request.modules {
        field(name.as_bytes());
        field(source.as_bytes());
    }
    for implied in &request.implied {
        field(implied.as_bytes());
    }
    digest.finalize().into()
}
