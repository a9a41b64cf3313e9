//! Resolving dependencies to a tree of exact versions, and installing that
//! tree: tarballs fetched (or read from the cache), checked against their
//! integrity, and unpacked into memory under the caps.
//!
//! Placement follows npm's nested `node_modules`: a package goes to the top
//! (`node_modules/NAME`) unless another version of it is already there,
//! and then under the package that needs it
//! (`node_modules/a/node_modules/NAME`), so several versions live side by
//! side when ranges conflict. A dependency already reachable from the
//! package that needs it (walking up, as Node resolves) is reused when its
//! version fits. Packages are visited breadth first in name order, so the
//! same metadata always gives the same tree.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use futures_util::future::join_all;
use nodejs_semver::Version;
use serde_json::Value;

use crate::cache::Cache;
use crate::error::{NpmError, NpmErrorKind};
use crate::integrity::Integrity;
use crate::lock::{LockedPackage, Lockfile, ancestors, child_path};
use crate::registry::{Manifest, Packument, Registry, RegistrySession};
use crate::spec::{Dependency, Wanted};
use crate::tarball::{PackageFiles, UnpackCaps};

/// Caps on one installation.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct InstallLimits {
    /// Packages in the tree. Default 1,000.
    pub max_packages: usize,
    /// Compressed tarball bytes, all packages together. Default 256 MiB.
    pub max_tarball_bytes: u64,
    /// Decompressed bytes of one package. Default 128 MiB.
    pub max_package_bytes: u64,
    /// Files in one package. Default 20,000.
    pub max_package_files: usize,
}

impl Default for InstallLimits {
    fn default() -> Self {
        InstallLimits {
            max_packages: 1000,
            max_tarball_bytes: 256 << 20,
            max_package_bytes: 128 << 20,
            max_package_files: 20_000,
        }
    }
}

impl InstallLimits {
    /// These limits with another package count.
    #[must_use]
    pub fn with_max_packages(mut self, max: usize) -> Self {
        self.max_packages = max;
        self
    }

    /// These limits with another per-package decompressed size.
    #[must_use]
    pub fn with_max_package_bytes(mut self, max: u64) -> Self {
        self.max_package_bytes = max;
        self
    }

    /// These limits with another total of tarball bytes.
    #[must_use]
    pub fn with_max_tarball_bytes(mut self, max: u64) -> Self {
        self.max_tarball_bytes = max;
        self
    }
}

/// What an installation reports as it goes (for a progress line).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A package's version was chosen; `count` packages so far.
    Resolved { package: String, count: usize },
    /// A tarball was fetched from the network.
    Fetched { package: String, bytes: u64 },
    /// A tarball came from the disk cache.
    Cached { package: String },
    /// Something was skipped or is worth a line (an optional dependency
    /// that could not be installed, a deprecated version, a weak hash).
    Note { package: String, message: String },
}

type ProgressSink = Arc<dyn Fn(&Progress) + Send + Sync>;

/// An installed tree: every package's manifest and files, by install path.
#[derive(Debug)]
pub struct Installed {
    pub(crate) packages: BTreeMap<String, Arc<InstalledPackage>>,
    pub(crate) lock: Lockfile,
}

/// One installed package.
#[derive(Debug)]
pub(crate) struct InstalledPackage {
    pub name: String,
    pub version: String,
    /// Its package.json.
    pub manifest: Value,
    pub files: PackageFiles,
}

impl Installed {
    /// The lockfile of this tree.
    pub fn lock(&self) -> &Lockfile {
        &self.lock
    }

    /// How many packages the tree has.
    pub fn package_count(&self) -> usize {
        self.packages.len()
    }
}

/// Resolves and installs packages from one registry, with one cache.
///
/// ```no_run
/// # async fn f() -> Result<(), isobox_npm::NpmError> {
/// use isobox_npm::{Cache, Dependency, Installer, Registry};
///
/// let installer = Installer::new(Registry::npmjs(), Cache::default_location());
/// let lock = installer.resolve(&[Dependency::parse("zod@^4")?], None).await?;
/// let installed = installer.install(&lock).await?;
/// assert!(installed.package_count() >= 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Installer {
    registry: Registry,
    cache: Cache,
    limits: InstallLimits,
    progress: Option<ProgressSink>,
}

impl Installer {
    /// An installer for `registry`, caching in `cache`, with default limits.
    pub fn new(registry: Registry, cache: Cache) -> Installer {
        Installer {
            registry,
            cache,
            limits: InstallLimits::default(),
            progress: None,
        }
    }

    /// Other limits.
    #[must_use]
    pub fn with_limits(mut self, limits: InstallLimits) -> Installer {
        self.limits = limits;
        self
    }

    /// Calls `sink` as packages are resolved and fetched.
    #[must_use]
    pub fn on_progress(mut self, sink: impl Fn(&Progress) + Send + Sync + 'static) -> Installer {
        self.progress = Some(Arc::new(sink));
        self
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    fn report(&self, progress: Progress) {
        if let Some(sink) = &self.progress {
            sink(&progress);
        }
    }

    /// Resolves `dependencies` to a tree of exact versions. A `locked`
    /// lockfile that answers exactly these dependencies from this registry
    /// is returned as it is (no request); so is a resolution of the same
    /// dependencies cached on disk. Otherwise versions the lockfile holds
    /// are preferred where they fit.
    ///
    /// # Errors
    /// An [`NpmError`]: a package or version that does not exist, the
    /// registry unreachable or refused by the egress policy, or more
    /// packages than the limit.
    pub async fn resolve(&self, dependencies: &[Dependency], locked: Option<&Lockfile>) -> Result<Lockfile, NpmError> {
        let mut wanted: BTreeMap<String, String> = BTreeMap::new();
        for dependency in dependencies {
            if let Some(other) = wanted.insert(dependency.name().to_owned(), dependency.wanted().to_owned())
                && other != dependency.wanted()
            {
                return Err(NpmError::new(
                    NpmErrorKind::BadSpec,
                    format!(
                        "{} is asked for twice ({other} and {}); name it once",
                        dependency.name(),
                        dependency.wanted()
                    ),
                ));
            }
        }
        let registry = self.registry.url().to_owned();
        if let Some(lock) = locked.filter(|lock| lock.answers(&registry, &wanted)) {
            return Ok(lock.clone());
        }
        let key = crate::cache::resolution_key(&registry, wanted.iter().map(|(n, w)| (n.as_str(), w.as_str())));
        if locked.is_none()
            && let Some(lock) = self
                .cache
                .read_resolution(&key)
                .filter(|lock| lock.answers(&registry, &wanted))
        {
            return Ok(lock);
        }
        let lock = Resolution::new(self, locked).run(wanted).await?;
        self.cache.write_resolution(&key, &lock);
        Ok(lock)
    }

    /// Installs the tree `lock` names: each tarball read from the cache or
    /// fetched, checked against its integrity, and unpacked in memory.
    ///
    /// # Errors
    /// [`NpmErrorKind::Integrity`] for a tarball whose bytes do not match,
    /// [`NpmErrorKind::UnsafeTarball`] for one that escapes its package,
    /// holds links or decompresses past the cap, [`NpmErrorKind::Limit`]
    /// past the installation's caps, or a registry error.
    pub async fn install(&self, lock: &Lockfile) -> Result<Installed, NpmError> {
        if lock.packages.len() > self.limits.max_packages {
            return Err(too_many(self.limits.max_packages));
        }
        let session = Arc::new(self.registry.session());
        let caps = UnpackCaps {
            bytes: self.limits.max_package_bytes,
            files: self.limits.max_package_files,
        };
        let mut tasks = tokio::task::JoinSet::new();
        let mut total: u64 = 0;
        let mut packages = BTreeMap::new();
        let mut queue: VecDeque<(String, LockedPackage)> =
            lock.packages.iter().map(|(p, l)| (p.clone(), l.clone())).collect();
        // At most eight downloads and unpackings at a time.
        loop {
            while tasks.len() < 8
                && let Some((path, locked)) = queue.pop_front()
            {
                let installer = self.clone();
                let session = Arc::clone(&session);
                tasks.spawn(async move {
                    let fetched = installer.fetch_checked(&session, &locked).await?;
                    let bytes = fetched.len() as u64;
                    let files = tokio::task::spawn_blocking(move || crate::tarball::unpack(&fetched, caps))
                        .await
                        .map_err(|_| NpmError::new(NpmErrorKind::UnsafeTarball, "unpacking stopped"))?
                        .map_err(|why| {
                            NpmError::new(
                                NpmErrorKind::UnsafeTarball,
                                format!("{}@{}: the tarball is refused: {why}", locked.name, locked.version),
                            )
                        })?;
                    Ok::<_, NpmError>((path, locked, files, bytes))
                });
            }
            let Some(done) = tasks.join_next().await else { break };
            let (path, locked, files, bytes) =
                done.map_err(|_| NpmError::new(NpmErrorKind::Registry, "an installation task stopped"))??;
            total += bytes;
            if total > self.limits.max_tarball_bytes {
                return Err(NpmError::new(
                    NpmErrorKind::Limit,
                    format!(
                        "the packages' tarballs are over the limit of {} bytes together",
                        self.limits.max_tarball_bytes
                    ),
                ));
            }
            let manifest = files
                .get("package.json")
                .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok())
                .filter(Value::is_object)
                .ok_or_else(|| {
                    NpmError::new(
                        NpmErrorKind::UnsafeTarball,
                        format!(
                            "{}@{}: the tarball has no readable package.json",
                            locked.name, locked.version
                        ),
                    )
                })?;
            packages.insert(
                path,
                Arc::new(InstalledPackage {
                    name: locked.name,
                    version: locked.version,
                    manifest,
                    files,
                }),
            );
        }
        Ok(Installed {
            packages,
            lock: lock.clone(),
        })
    }

    /// A locked package's tarball, from the cache or the network, checked.
    async fn fetch_checked(&self, session: &RegistrySession, locked: &LockedPackage) -> Result<Vec<u8>, NpmError> {
        let package = format!("{}@{}", locked.name, locked.version);
        let integrity = Integrity::parse(&locked.integrity)
            .or_else(|| Integrity::from_shasum(&locked.integrity))
            .ok_or_else(|| {
                NpmError::new(
                    NpmErrorKind::Integrity,
                    format!("{package}: no integrity to check the tarball against"),
                )
            })?;
        if let Some(bytes) = self.cache.read_tarball(&integrity) {
            self.report(Progress::Cached { package });
            return Ok(bytes);
        }
        let bytes = session.tarball(&locked.resolved, &package).await?;
        if let Err(actual) = integrity.check(&bytes) {
            return Err(NpmError::new(
                NpmErrorKind::Integrity,
                format!(
                    "{package}: the tarball's integrity is {}, not the recorded {}; refused \
                     (the registry or something between changed it)",
                    crate::error::clip(&actual.to_string(), 40),
                    crate::error::clip(&integrity.to_string(), 40)
                ),
            ));
        }
        self.cache.write_tarball(&integrity, &bytes);
        self.report(Progress::Fetched {
            package,
            bytes: bytes.len() as u64,
        });
        Ok(bytes.to_vec())
    }
}

fn too_many(max: usize) -> NpmError {
    NpmError::new(
        NpmErrorKind::Limit,
        format!("the dependencies need more than {max} packages (the installation's limit)"),
    )
}

/// One resolution in progress.
struct Resolution<'a> {
    installer: &'a Installer,
    session: RegistrySession,
    /// Versions an earlier lockfile chose, by package name.
    preferred: HashMap<String, Vec<String>>,
    packuments: HashMap<String, Arc<Packument>>,
    tree: BTreeMap<String, LockedPackage>,
}

/// One dependency edge to satisfy.
struct Edge {
    name: String,
    wanted: String,
    optional: bool,
}

impl<'a> Resolution<'a> {
    fn new(installer: &'a Installer, locked: Option<&Lockfile>) -> Self {
        let mut preferred: HashMap<String, Vec<String>> = HashMap::new();
        for package in locked.iter().flat_map(|lock| lock.packages.values()) {
            preferred
                .entry(package.name.clone())
                .or_default()
                .push(package.version.clone());
        }
        Resolution {
            installer,
            session: installer.registry.session(),
            preferred,
            packuments: HashMap::new(),
            tree: BTreeMap::new(),
        }
    }

    async fn run(mut self, wanted: BTreeMap<String, String>) -> Result<Lockfile, NpmError> {
        let registry = self.installer.registry.url().to_owned();
        let root: Vec<Edge> = wanted
            .iter()
            .map(|(name, wanted)| Edge {
                name: name.clone(),
                wanted: wanted.clone(),
                optional: false,
            })
            .collect();
        let mut queue: VecDeque<(String, Vec<Edge>)> = VecDeque::from([(String::new(), root)]);
        while let Some((dir, edges)) = queue.pop_front() {
            self.prefetch(&dir, &edges).await?;
            for edge in edges {
                if let Some((path, manifest)) = self.place(&dir, &edge)? {
                    queue.push_back((path, dependency_edges(&manifest)));
                }
            }
        }
        let mut lock = Lockfile::new(&registry, wanted);
        lock.packages = self.tree;
        Ok(lock)
    }

    /// Fetches, several at once, the metadata the edges will need.
    async fn prefetch(&mut self, dir: &str, edges: &[Edge]) -> Result<(), NpmError> {
        let mut needed: Vec<&str> = edges
            .iter()
            .filter(|edge| !self.packuments.contains_key(&edge.name) && self.found(dir, &edge.name).is_none())
            .map(|edge| edge.name.as_str())
            .collect();
        needed.sort_unstable();
        needed.dedup();
        for chunk in needed.chunks(8) {
            let fetched = join_all(chunk.iter().map(|name| self.session.packument(name))).await;
            for (name, result) in chunk.iter().zip(fetched) {
                match result {
                    Ok(packument) => {
                        self.packuments.insert((*name).to_owned(), Arc::new(packument));
                    }
                    // An optional edge may fail later, quietly; a required
                    // one reports this error when it is placed.
                    Err(error) => {
                        let optional = edges.iter().filter(|e| e.name == *name).all(|e| e.optional);
                        if !optional {
                            return Err(error);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The install path of `name` as seen from `dir`, walking up.
    fn found(&self, dir: &str, name: &str) -> Option<String> {
        ancestors(dir)
            .iter()
            .map(|ancestor| child_path(ancestor, name))
            .find(|path| self.tree.contains_key(path))
    }

    /// Places `edge` needed by the package at `dir`; returns the new
    /// package's path and manifest, or None when an installed one serves.
    fn place(&mut self, dir: &str, edge: &Edge) -> Result<Option<(String, Manifest)>, NpmError> {
        let needed_by = if dir.is_empty() {
            "the dependencies".to_owned()
        } else {
            self.tree
                .get(dir)
                .map_or_else(|| dir.to_owned(), |p| format!("{}@{}", p.name, p.version))
        };
        let dependency = match Dependency::new(&edge.name, &edge.wanted) {
            Ok(dependency) => dependency,
            Err(error) if edge.optional => {
                self.note(&edge.name, format!("optional dependency skipped: {error}"));
                return Ok(None);
            }
            Err(error) => {
                return Err(NpmError::new(
                    NpmErrorKind::BadSpec,
                    format!("{needed_by} depends on {}@{}: {error}", edge.name, edge.wanted),
                ));
            }
        };
        let wanted = dependency.parsed();
        if let Some(path) = self.found(dir, &edge.name)
            && self.tree.get(&path).is_some_and(|p| fits(&p.version, &wanted))
        {
            return Ok(None);
        }
        let Some(packument) = self.packuments.get(&edge.name).cloned() else {
            if edge.optional {
                self.note(&edge.name, "optional dependency skipped: no metadata".into());
                return Ok(None);
            }
            return Err(NpmError::new(
                NpmErrorKind::NotFound,
                format!("{}: no metadata (needed by {needed_by})", edge.name),
            ));
        };
        let Some(manifest) = self.choose(&packument, &edge.name, &wanted) else {
            if edge.optional {
                self.note(
                    &edge.name,
                    format!("optional dependency skipped: no version fits {}", edge.wanted),
                );
                return Ok(None);
            }
            let latest = packument.dist_tags.get("latest").map_or("none", String::as_str);
            return Err(NpmError::new(
                NpmErrorKind::NoMatchingVersion,
                format!(
                    "{}@{}: no published version fits (needed by {needed_by}; latest is {latest})",
                    edge.name, edge.wanted
                ),
            ));
        };
        if edge.optional && (manifest.os.is_some() || manifest.cpu.is_some()) {
            // Platform builds (native binaries) are of no use in a sandbox.
            return Ok(None);
        }
        if self.tree.len() >= self.installer.limits.max_packages {
            return Err(too_many(self.installer.limits.max_packages));
        }
        let top = child_path("", &edge.name);
        let path = if self.tree.contains_key(&top) {
            child_path(dir, &edge.name)
        } else {
            top
        };
        let integrity = match (&manifest.dist.integrity, &manifest.dist.shasum) {
            (Some(integrity), _) if Integrity::parse(integrity).is_some() => integrity.clone(),
            (_, Some(shasum)) if Integrity::from_shasum(shasum).is_some() => {
                self.note(
                    &edge.name,
                    "the registry gives only a sha1 shasum for this old version; checked with it".into(),
                );
                shasum.clone()
            }
            _ => {
                return Err(NpmError::new(
                    NpmErrorKind::Integrity,
                    format!(
                        "{}@{}: the registry gives no integrity for its tarball; refused",
                        manifest.name, manifest.version
                    ),
                ));
            }
        };
        if let Some(deprecated) = manifest.deprecated.as_ref().and_then(Value::as_str) {
            self.note(&edge.name, format!("{} is deprecated: {deprecated}", manifest.version));
        }
        let locked = LockedPackage {
            name: edge.name.clone(),
            version: manifest.version.clone(),
            resolved: manifest.dist.tarball.clone(),
            integrity,
            dependencies: dependency_edges(&manifest)
                .into_iter()
                .map(|edge| (edge.name, edge.wanted))
                .collect(),
        };
        self.tree.insert(path.clone(), locked);
        self.installer.report(Progress::Resolved {
            package: format!("{}@{}", edge.name, manifest.version),
            count: self.tree.len(),
        });
        Ok(Some((path, manifest)))
    }

    /// The version to install: a tag's; else an earlier lockfile's choice
    /// when it fits; else `latest` when it fits; else the highest that
    /// fits.
    fn choose(&self, packument: &Packument, name: &str, wanted: &Wanted) -> Option<Manifest> {
        let version = match wanted {
            Wanted::Tag(tag) => packument.dist_tags.get(tag)?.clone(),
            Wanted::Range(range) => {
                let preferred = self.preferred.get(name).into_iter().flatten();
                let latest = packument.dist_tags.get("latest").into_iter();
                preferred
                    .chain(latest)
                    .find(|v| {
                        packument.versions.contains_key(*v) && Version::parse(v).is_ok_and(|v| range.satisfies(&v))
                    })
                    .cloned()
                    .or_else(|| {
                        packument
                            .versions
                            .keys()
                            .filter_map(|v| Version::parse(v).ok().map(|parsed| (parsed, v)))
                            .filter(|(parsed, _)| range.satisfies(parsed))
                            .max_by(|a, b| a.0.cmp(&b.0))
                            .map(|(_, v)| v.clone())
                    })?
            }
        };
        packument.versions.get(&version).cloned()
    }

    fn note(&self, package: &str, message: String) {
        self.installer.report(Progress::Note {
            package: package.to_owned(),
            message,
        });
    }
}

/// Whether an installed version serves what is wanted.
fn fits(version: &str, wanted: &Wanted) -> bool {
    match wanted {
        Wanted::Range(range) => Version::parse(version).is_ok_and(|v| range.satisfies(&v)),
        // A tag names whatever the registry says now: an installed copy
        // serves it (as npm dedupes).
        Wanted::Tag(_) => true,
    }
}

/// A manifest's dependency edges: dependencies, optional ones, and peers
/// (optional when their meta says so), each name once, sorted.
fn dependency_edges(manifest: &Manifest) -> Vec<Edge> {
    let mut edges: BTreeMap<&str, Edge> = BTreeMap::new();
    for (name, wanted) in &manifest.peer_dependencies {
        let optional = manifest.peer_dependencies_meta.get(name).is_some_and(|m| m.optional);
        if !optional {
            edges.insert(
                name,
                Edge {
                    name: name.clone(),
                    wanted: wanted.clone(),
                    optional: false,
                },
            );
        }
    }
    for (name, wanted) in &manifest.dependencies {
        edges.insert(
            name,
            Edge {
                name: name.clone(),
                wanted: wanted.clone(),
                optional: false,
            },
        );
    }
    for (name, wanted) in &manifest.optional_dependencies {
        edges.insert(
            name,
            Edge {
                name: name.clone(),
                wanted: wanted.clone(),
                optional: true,
            },
        );
    }
    edges.into_values().collect()
}
