//! The `isobox serve` configuration file: server bounds, egress policies by
//! name, and tenants with their keys, ceilings and grants.
//!
//! ```toml
//! [server]
//! max_in_flight = 64          # runs at once (default 64)
//! max_queued = 256            # requests waiting for a run slot (default 256)
//! max_body_bytes = 2097152    # request body (default 2 MiB)
//! shutdown_grace_ms = 10000   # how long runs in flight may finish (default 10 s)
//! retry_after_secs = 1        # the Retry-After of a 503 (default 1)
//! max_queue_wait_ms = 5000    # longest wait for a run slot; then 503 queue-timeout
//! read_timeout_ms = 30000     # a request head slower: connection closed; a body: 408
//! recycle_sandboxes = true    # put a cleanly finished run's sandbox back for the next
//!
//! [policies.github]           # an egress policy in its own file,
//! file = "github.toml"        # relative to this file's directory
//!
//! [policies.mock]             # or inline: the keys of a policy file
//! [[policies.mock.respond]]
//! host = "mock.example"
//! body = "hi"
//!
//! [plugins.text]             # a Wasm component plugin, compiled once at start
//! component = "isobox_plugin_text.wasm"   # relative to this file's directory
//! wit = "text/wit"            # a .wit file, or a directory with deps/
//! interface = "analyze"       # may be left out when the WIT has one interface
//!
//! [openapi.github]           # an HTTP API from its OpenAPI spec: env.github.<operation>(args)
//! spec = "api.github.com.json"    # JSON or YAML, relative to this file's directory
//! base_url = "https://api.github.com"   # calls go here and nowhere else (default: servers[0])
//! auth = [{ scheme = "bearer", env = "GITHUB_TOKEN" }]   # a security scheme of the spec, or bearer/basic
//!
//! [workers.app]              # a stored worker at /v1/workers/app/ (see the workers routes)
//! file = "app.js"             # relative to this file's directory
//! assets = "public"           # static files, read at start, served before the worker
//! assets_html_handling = "auto-trailing-slash"  # force-trailing-slash, drop-trailing-slash, none
//! assets_not_found = "none"   # 404-page, single-page-application
//!
//! [registry]                 # workers tenants upload (PUT /v1/workers/NAME)
//! keep_versions = 10          # versions kept per worker (default 10)
//! max_upload_bytes = 50331648 # the PUT body (default 48 MiB)
//! max_code_bytes = 4194304    # main module and modules (default 4 MiB)
//! max_assets_bytes = 26214400 # assets, decoded (default 25 MiB)
//! max_asset_files = 20000     # (default 20,000)
//! cache_entries = 256         # versions kept parsed per replica (default 256)
//!
//! [tenants.acme]
//! key_sha256 = ["<hex sha256 of the API key>"]
//! key_env = ["ACME_KEY"]      # or keys read from the environment at start
//! upload_workers = true       # may upload and delete its own workers (default false)
//! capabilities = ["kv", "todo", "text", "github"]   # built-ins, plugins and APIs, by name
//! egress = ["github"]
//! [tenants.acme.max_limits]   # absent: the default limit is the ceiling
//! wall_time_ms = 10000
//! memory_bytes = 134217728
//! [[tenants.acme.credential]] # as a policy's [[credential]]: added to every
//! origin = "https://api.github.com"   # policy this tenant's runs use, before
//! header = "authorization"    # the policy's own (so for a header both set,
//! value_env = "ACME_GITHUB_TOKEN"     # the tenant's is sent); the code never
//! prefix = "Bearer "          # sees the value
//! ```
//!
//! A worker's `assets` directory is read into memory when the config
//! loads (dot-files skipped, at most 20,000 files and 256 MiB); a request
//! for one of its files is answered by the host with no run (ETags, 304s,
//! ranges, precompressed `.br`/`.gz` variants: `isobox_assets`). An
//! unreadable directory, a cap passed, an unknown `assets_html_handling`
//! or `assets_not_found`, or either of them without `assets` is an error.
//!
//! Capabilities are granted with `props = {"tenant": "<tenant id>"}`; a
//! plugin's component is compiled by [`ServeConfig::load_plugins`] (or by
//! [`Server::bind`](super::Server::bind)).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use isobox::egress::Egress;
use isobox::{Capability, Limits};

pub use super::error::ConfigError;
use super::limits::LimitValues;
pub use super::plugins::BUILTIN_CAPABILITIES;
use super::plugins::{PluginEntry, PluginFile, check_plugin};
use super::policies::{PolicySource, tenant_credentials};

/// A loaded configuration: checked, with keys hashed and policies built.
#[derive(Clone)]
pub struct ServeConfig {
    /// Bounds of the server.
    pub server: ServerSettings,
    pub(crate) tenants: Vec<Tenant>,
    pub(crate) policies: BTreeMap<String, Egress>,
    pub(crate) plugins: BTreeMap<String, PluginEntry>,
    /// The `[openapi.NAME]` capabilities, loaded.
    pub(crate) openapi: BTreeMap<String, Capability>,
    /// Stored workers (`[workers.NAME]`), by name.
    pub(crate) workers: BTreeMap<String, std::sync::Arc<super::stored::StoredWorker>>,
    /// Where `kv` and workspaces keep their data (`[store]`).
    pub store: StoreSettings,
    /// Where runs' packages come from (`[npm]`); none: runs naming
    /// dependencies are refused.
    pub npm: Option<super::packages::NpmSettings>,
    /// Run history, journals and approval gates (`[runs]`).
    pub runs: RunsSettings,
    /// Bounds of uploaded workers (`[registry]`).
    pub registry: super::registry::RegistrySettings,
}

/// `[runs]`: durable runs. With `history`, every `POST /v1/run` is
/// journaled and kept in the store (`GET /v1/runs`), and calls named in
/// `approvals` pause the run until someone approves or rejects them
/// (`POST /v1/runs/{id}/approve`). Every default is on its field.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunsSettings {
    /// Keep runs and their journals. Default false.
    pub history: bool,
    /// Calls that need a person's approval: `BINDING` (every method) or
    /// `BINDING.METHOD`. Egress rules ask for approval with `approval =
    /// true`. Needs `history`. Default none.
    pub approvals: Vec<String>,
    /// Finished runs older than this are removed. Default 30.
    pub retention_days: u32,
    /// At most this many finished runs are kept per tenant. Default 10,000.
    pub keep: usize,
    /// The largest journal a run may write, in bytes. Default 64 MiB.
    pub max_journal_bytes: usize,
}

impl Default for RunsSettings {
    fn default() -> Self {
        RunsSettings {
            history: false,
            approvals: Vec::new(),
            retention_days: 30,
            keep: 10_000,
            max_journal_bytes: isobox::journal::DEFAULT_MAX_JOURNAL_BYTES,
        }
    }
}

impl RunsSettings {
    /// The gates every run gets.
    pub fn gates(&self) -> isobox::journal::Approvals {
        let mut approvals = isobox::journal::Approvals::new().max_journal_bytes(self.max_journal_bytes);
        for spec in &self.approvals {
            // Checked when the config was read.
            if let Ok(next) = approvals.clone().parse_spec(spec) {
                approvals = next;
            }
        }
        approvals
    }
}

/// `[store]`: where the `kv` and `workspace` capabilities keep each
/// tenant's data. Every default is on its field.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// `memory` (lost when the server stops), a SQLite file, or a
    /// `postgres://` URL (replicas sharing it behave as one service).
    /// Default `memory`.
    pub location: String,
    /// Where file contents over 64 KiB go: a directory, or an `s3://`
    /// URL (with the `s3` feature). Default: beside a SQLite file
    /// (`FILE.blobs/`); none for PostgreSQL (contents stay in the
    /// database); in memory for `memory`.
    pub blobs: Option<String>,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            location: "memory".into(),
            blobs: None,
        }
    }
}

/// Bounds of the server. Every default is on its field.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Runs in flight at once. Default 64.
    pub max_in_flight: usize,
    /// Requests waiting for a run slot; past them a 503. Default 256.
    pub max_queued: usize,
    /// The largest request body, in bytes; past it a 413. Default 2 MiB.
    pub max_body_bytes: usize,
    /// How long runs in flight may go on after shutdown begins. Default 10 s.
    pub shutdown_grace_ms: u64,
    /// On SIGTERM, how long the server keeps serving with `/readyz`
    /// failing before it stops accepting, so load balancers (a Kubernetes
    /// Service) stop routing to it first; then runs in flight finish within
    /// `shutdown_grace_ms`. Default 0; at most 600000.
    pub drain_delay_ms: u64,
    /// The `Retry-After` header of a 503, in seconds. Default 1.
    pub retry_after_secs: u32,
    /// The longest a request waits for a run slot; past it a 503 with
    /// code `queue-timeout`. Default 5000 ms; at least 1.
    pub max_queue_wait_ms: u64,
    /// How long a client may take to send a request's head, and then its
    /// body: a connection whose head is slower is closed, a body that is
    /// slower is a 408. Default 30000 ms; 1 to 600000.
    pub read_timeout_ms: u64,
    /// Whether a sandbox whose run ended cleanly is put back to the
    /// snapshot in place for the next run (`EngineBuilder::recycle_sandboxes`)
    /// rather than a new one instantiated for every run. Default true.
    pub recycle_sandboxes: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            max_in_flight: 64,
            max_queued: 256,
            max_body_bytes: 2 << 20,
            shutdown_grace_ms: 10_000,
            drain_delay_ms: 0,
            retry_after_secs: 1,
            max_queue_wait_ms: 5000,
            read_timeout_ms: 30_000,
            recycle_sandboxes: true,
        }
    }
}

impl ServerSettings {
    /// The shutdown grace period as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    /// The longest wait for a run slot, as a duration.
    pub fn max_queue_wait(&self) -> Duration {
        Duration::from_millis(self.max_queue_wait_ms)
    }

    /// The read timeout of a request head, and of its body, as a duration.
    pub fn read_timeout(&self) -> Duration {
        Duration::from_millis(self.read_timeout_ms)
    }
}

/// One tenant: who it is, what it may ask for.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// The tenant's id (its table name), passed to capabilities as `props.tenant`.
    pub id: String,
    pub(crate) key_digests: Vec<[u8; 32]>,
    /// Capabilities it may be granted.
    pub capabilities: BTreeSet<String>,
    /// Egress policies it may name.
    pub egress: BTreeSet<String>,
    /// The largest value of each limit it may ask for.
    pub max_limits: Limits,
    /// The egress it may name, by policy name: the shared policy, or the
    /// policy with this tenant's credentials added.
    pub(crate) egress_by_name: BTreeMap<String, Egress>,
    /// How many credentials of its own it has.
    pub credentials: usize,
    /// The stored workers it may call (`workers = ["hello"]`).
    pub workers: BTreeSet<String>,
    /// Whether it may upload workers of its own (`PUT /v1/workers/{name}`)
    /// and delete them. Default false.
    pub upload_workers: bool,
    /// Packages its runs may name in `dependencies`: names, `@scope/*`
    /// or `*` (`packages = ["zod", "@hono/*"]`); none unless listed.
    pub packages: Vec<String>,
    /// Packages refused even when `packages` matches.
    pub packages_deny: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    server: ServerSettings,
    #[serde(default)]
    policies: BTreeMap<String, toml::Table>,
    #[serde(default)]
    tenants: BTreeMap<String, TenantFile>,
    #[serde(default)]
    plugins: BTreeMap<String, PluginFile>,
    #[serde(default)]
    openapi: BTreeMap<String, super::openapi::OpenApiFile>,
    #[serde(default)]
    workers: BTreeMap<String, super::stored::WorkerFile>,
    #[serde(default)]
    store: StoreSettings,
    #[serde(default)]
    npm: Option<super::packages::NpmSettings>,
    #[serde(default)]
    runs: RunsSettings,
    #[serde(default)]
    registry: super::registry::RegistrySettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantFile {
    #[serde(default)]
    key_sha256: Vec<String>,
    #[serde(default)]
    key_env: Vec<String>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    egress: Vec<String>,
    #[serde(default)]
    max_limits: LimitValues,
    #[serde(default)]
    credential: Vec<toml::Table>,
    #[serde(default)]
    workers: Vec<String>,
    #[serde(default)]
    upload_workers: bool,
    #[serde(default)]
    packages: Vec<String>,
    #[serde(default)]
    packages_deny: Vec<String>,
}

/// The hex SHA-256 of an API key, as `key_sha256` takes it.
///
/// ```
/// assert_eq!(
///     isobox_serve::key_sha256_hex("secret"),
///     "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
/// );
/// ```
pub fn key_sha256_hex(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// `bytes` as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn key_digest(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

fn parse_hex_digest(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The tenant of a local development setup ([`ServeConfig::local_development`]).
pub const LOCAL_TENANT: &str = "local";

impl ServeConfig {
    /// A local development setup, for `isobox serve` started without a
    /// config: one tenant ([`LOCAL_TENANT`]) with the built-in capabilities
    /// (`kv`, `todo`), no egress policy (no network access), the default
    /// limits and ceilings. Returns the config and its API key, freshly
    /// generated (32 random bytes as hex): the caller shows it once; only
    /// its digest is kept. Serve it on loopback only.
    ///
    /// ```
    /// let (config, key) = isobox_serve::ServeConfig::local_development();
    /// assert_eq!(key.len(), 64);
    /// assert_eq!(config.tenants()[0].id, isobox_serve::LOCAL_TENANT);
    /// ```
    pub fn local_development() -> (ServeConfig, String) {
        let key = hex(&rand::random::<[u8; 32]>());
        let text = format!(
            "[tenants.{LOCAL_TENANT}]\nkey_sha256 = [\"{}\"]\ncapabilities = [\"kv\", \"todo\"]\nupload_workers = true\n",
            key_sha256_hex(&key)
        );
        let config = Self::from_toml_str(&text, None, |_| None).expect("the local development config is valid");
        (config, key)
    }

    /// Reads a config file; policy files are relative to its directory.
    ///
    /// # Errors
    /// [`ConfigError`] naming what is wrong.
    pub fn from_toml_file(path: &Path) -> Result<ServeConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text, path.parent(), |name| std::env::var(name).ok())
    }

    /// A config from TOML text; policy files are relative to `base`
    /// (the current directory when `None`); `key_env` variables are read
    /// through `env`.
    ///
    /// # Errors
    /// [`ConfigError`] naming what is wrong: a syntax error, an unknown key,
    /// a tenant without keys, a key given twice, an unset variable, an
    /// unknown capability or policy, a ceiling out of range.
    pub fn from_toml_str(
        text: &str,
        base: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ServeConfig, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        if file.server.max_in_flight == 0 {
            return Err(ConfigError::Invalid("server.max_in_flight must be at least 1".into()));
        }
        if file.server.read_timeout_ms == 0 || file.server.read_timeout_ms > 600_000 {
            return Err(ConfigError::Invalid(
                "server.read_timeout_ms must be 1 to 600000".into(),
            ));
        }
        if file.server.drain_delay_ms > 600_000 {
            return Err(ConfigError::Invalid(
                "server.drain_delay_ms must be at most 600000".into(),
            ));
        }
        if file.server.max_queue_wait_ms == 0 {
            return Err(ConfigError::Invalid(
                "server.max_queue_wait_ms must be at least 1".into(),
            ));
        }
        for spec in &file.runs.approvals {
            isobox::journal::Approvals::new()
                .parse_spec(spec)
                .map_err(|e| ConfigError::Invalid(format!("runs.approvals: {e}")))?;
        }
        if !file.runs.history && !file.runs.approvals.is_empty() {
            return Err(ConfigError::Invalid(
                "runs.approvals needs runs.history = true: a run paused for approval is kept in the store".into(),
            ));
        }
        if file.registry.keep_versions == 0 || file.registry.cache_entries == 0 {
            return Err(ConfigError::Invalid(
                "registry.keep_versions and registry.cache_entries must be at least 1".into(),
            ));
        }
        if file.runs.keep == 0 || file.runs.retention_days == 0 {
            return Err(ConfigError::Invalid(
                "runs.keep and runs.retention_days must be at least 1".into(),
            ));
        }
        if file.runs.max_journal_bytes < 4096 {
            return Err(ConfigError::Invalid(
                "runs.max_journal_bytes must be at least 4096".into(),
            ));
        }
        let mut sources = BTreeMap::new();
        let mut policies = BTreeMap::new();
        for (name, table) in file.policies {
            let source = PolicySource::of(&name, table, base)?;
            policies.insert(name.clone(), Egress::new(source.build(&name, Vec::new())?));
            sources.insert(name, source);
        }
        let mut plugins = BTreeMap::new();
        for (name, plugin) in file.plugins {
            plugins.insert(name.clone(), check_plugin(&name, plugin, base)?);
        }
        let mut openapi = BTreeMap::new();
        for (name, api) in file.openapi {
            if plugins.contains_key(&name) {
                return Err(ConfigError::Plugin {
                    name,
                    message: "a plugin has this name too".into(),
                });
            }
            let capability = super::openapi::load_openapi(&name, api, base, &env)?;
            openapi.insert(name, capability);
        }
        let mut workers = BTreeMap::new();
        for (name, worker) in file.workers {
            let stored = super::stored::load(&name, worker, base, &policies)?;
            workers.insert(name, std::sync::Arc::new(stored));
        }
        let mut tenants = Vec::new();
        let mut seen = BTreeSet::new();
        for (id, tenant) in file.tenants {
            check_tenant_id(&id)?;
            let mut key_digests = Vec::new();
            for hex in &tenant.key_sha256 {
                let digest = parse_hex_digest(hex).ok_or_else(|| {
                    ConfigError::Invalid(format!("tenant {id}: key_sha256 entries must be 64 hex digits"))
                })?;
                key_digests.push(digest);
            }
            for variable in &tenant.key_env {
                let key = env(variable).filter(|k| !k.is_empty()).ok_or_else(|| {
                    ConfigError::Invalid(format!("tenant {id}: the environment variable {variable} is not set"))
                })?;
                key_digests.push(key_digest(key.as_bytes()));
            }
            if key_digests.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "tenant {id}: no key (give key_sha256 or key_env)"
                )));
            }
            for digest in &key_digests {
                if !seen.insert(*digest) {
                    return Err(ConfigError::Invalid(format!(
                        "tenant {id}: a key is given twice (each key maps to one tenant)"
                    )));
                }
            }
            for capability in &tenant.capabilities {
                if !BUILTIN_CAPABILITIES.contains(&capability.as_str())
                    && !plugins.contains_key(capability)
                    && !openapi.contains_key(capability)
                {
                    let known: Vec<&str> = BUILTIN_CAPABILITIES
                        .iter()
                        .copied()
                        .chain(plugins.keys().map(String::as_str))
                        .chain(openapi.keys().map(String::as_str))
                        .collect();
                    return Err(ConfigError::Invalid(format!(
                        "tenant {id}: no capability named \"{capability}\" (there are {}; plugins are declared in [plugins.NAME], APIs in [openapi.NAME])",
                        known.join(", ")
                    )));
                }
            }
            for policy in &tenant.egress {
                if !policies.contains_key(policy) {
                    return Err(ConfigError::Invalid(format!(
                        "tenant {id}: no egress policy named \"{policy}\" in [policies]"
                    )));
                }
            }
            let credentials = tenant_credentials(&id, tenant.credential, &env)?;
            let mut used = vec![false; credentials.len()];
            let mut egress_by_name = BTreeMap::new();
            for policy in &tenant.egress {
                // Each credential goes into the policies that let it out.
                let base = policies[policy].policy();
                let mut these = Vec::new();
                for (index, credential) in credentials.iter().enumerate() {
                    if credential.is_allowed_by(base) {
                        used[index] = true;
                        these.push(credential.clone());
                    }
                }
                let egress = if these.is_empty() {
                    policies[policy].clone()
                } else {
                    let built = sources[policy]
                        .build(policy, these)
                        .map_err(|e| ConfigError::Invalid(format!("tenant {id}: {e}")))?;
                    Egress::new(built)
                };
                egress_by_name.insert(policy.clone(), egress);
            }
            if let Some(index) = used.iter().position(|used| !used) {
                let origin: String = credentials[index].origin().chars().take(100).collect();
                return Err(ConfigError::Invalid(format!(
                    "tenant {id}: credential #{} for `{origin}`: none of the tenant's egress policies ({}) \
                     lets a request to this origin out, so it would never be sent",
                    index + 1,
                    if tenant.egress.is_empty() {
                        "none".to_owned()
                    } else {
                        tenant.egress.join(", ")
                    }
                )));
            }
            if let Some(missing) = tenant.workers.iter().find(|w| !workers.contains_key(*w)) {
                return Err(ConfigError::Invalid(format!(
                    "tenant {id}: no worker named \"{missing}\" in [workers]"
                )));
            }
            super::packages::check_patterns(&id, &tenant.packages)?;
            super::packages::check_patterns(&id, &tenant.packages_deny)?;
            let max_limits = tenant.max_limits.over(&Limits::default());
            max_limits
                .validate_with_memory_ceiling(u64::MAX)
                .map_err(|e| ConfigError::Invalid(format!("tenant {id}: max_limits: {e}")))?;
            tenants.push(Tenant {
                id,
                key_digests,
                capabilities: tenant.capabilities.into_iter().collect(),
                egress: tenant.egress.into_iter().collect(),
                max_limits,
                egress_by_name,
                credentials: credentials.len(),
                workers: tenant.workers.into_iter().collect(),
                upload_workers: tenant.upload_workers,
                packages: tenant.packages,
                packages_deny: tenant.packages_deny,
            });
        }
        Ok(ServeConfig {
            server: file.server,
            tenants,
            policies,
            plugins,
            openapi,
            workers,
            store: file.store,
            npm: file.npm,
            runs: file.runs,
            registry: file.registry,
        })
    }

    /// The package linker `[npm]` describes, for
    /// [`EngineBuilder::packages`](isobox::EngineBuilder::packages); None
    /// without `[npm]`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a bad registry URL, an unset token
    /// variable or an unknown policy.
    pub fn npm(&self) -> Result<Option<isobox_npm::Npm>, ConfigError> {
        self.npm
            .as_ref()
            .map(|settings| settings.npm(&self.policies))
            .transpose()
    }

    /// Compiles every plugin not compiled yet for `engine` (the engine the
    /// server runs with), once. [`Server::bind`](super::Server::bind) calls
    /// it too; call it first to report a bad plugin before binding.
    ///
    /// # Errors
    /// [`ConfigError::Plugin`]: the component cannot be read or compiled, its
    /// WIT cannot be parsed, or it does not export the interface.
    pub fn load_plugins(&mut self, engine: &isobox::Engine) -> Result<(), ConfigError> {
        for (name, plugin) in &mut self.plugins {
            if plugin.capability.is_some() {
                continue;
            }
            let capability = Capability::from_component_and_wit_files(
                engine,
                &plugin.component,
                &plugin.wit,
                plugin.interface.as_deref(),
            )
            .map_err(|e| ConfigError::Plugin {
                name: name.clone(),
                message: e.to_string(),
            })?;
            plugin.capability = Some(capability);
        }
        Ok(())
    }

    /// The names of the plugin capabilities.
    pub fn plugin_names(&self) -> impl Iterator<Item = &str> {
        self.plugins.keys().map(String::as_str)
    }

    /// The tenants, in id order.
    pub fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }

    /// The names of the egress policies.
    pub fn policy_names(&self) -> impl Iterator<Item = &str> {
        self.policies.keys().map(String::as_str)
    }
}

/// The longest tenant id: it is logged with every request and passed to
/// capabilities as `props.tenant`.
pub const MAX_TENANT_ID_BYTES: usize = 128;

/// A tenant id is 1 to 128 letters, digits and `. _ - : @`: short and
/// plain enough to log and to key data by.
fn check_tenant_id(id: &str) -> Result<(), ConfigError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-:@".contains(c);
    if !id.is_empty() && id.len() <= MAX_TENANT_ID_BYTES && id.chars().all(plain) {
        return Ok(());
    }
    let shown: String = id.chars().take(32).collect();
    Err(ConfigError::Invalid(format!(
        "tenant {shown:?}{}: a tenant id must be 1 to {MAX_TENANT_ID_BYTES} letters, digits and . _ - : @ (it is {} bytes)",
        if id.chars().count() > 32 { "..." } else { "" },
        id.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<ServeConfig, ConfigError> {
        ServeConfig::from_toml_str(text, None, |name| (name == "K").then(|| "from-env".to_owned()))
    }

    #[test]
    fn a_tenant_with_keys_grants_and_ceilings_loads() {
        let config = load(&format!(
            "[policies.local]\n[[policies.local.allow]]\nhost = \"127.0.0.1\"\n\n\
             [tenants.acme]\nkey_sha256 = [\"{}\"]\nkey_env = [\"K\"]\ncapabilities = [\"kv\"]\negress = [\"local\"]\n\
             [tenants.acme.max_limits]\nwall_time_ms = 100\n",
            key_sha256_hex("a")
        ))
        .unwrap();
        let tenant = &config.tenants()[0];
        assert_eq!(tenant.id, "acme");
        assert_eq!(tenant.key_digests, vec![key_digest(b"a"), key_digest(b"from-env")]);
        assert_eq!(tenant.max_limits.wall_time, Duration::from_millis(100));
        assert_eq!(tenant.max_limits.fuel, Limits::default().fuel);
        assert_eq!(config.policy_names().collect::<Vec<_>>(), ["local"]);
    }

    #[test]
    fn sandboxes_are_recycled_unless_the_server_section_says_not() {
        let tenant = format!("[tenants.acme]\nkey_sha256 = [\"{}\"]\n", key_sha256_hex("a"));
        assert!(load(&tenant).unwrap().server.recycle_sandboxes);
        let off = load(&format!("[server]\nrecycle_sandboxes = false\n{tenant}")).unwrap();
        assert!(!off.server.recycle_sandboxes);
        assert!(load(&format!("[server]\nrecycle_sandboxes = 0\n{tenant}")).is_err());
    }

    #[test]
    fn mistakes_are_refused_with_where() {
        let cases = [
            ("[tenants.a]\n", "no key"),
            ("[tenants.a]\nkey_sha256 = [\"zz\"]\n", "64 hex digits"),
            ("[tenants.a]\nkey_env = [\"UNSET\"]\n", "UNSET is not set"),
            ("[tenants.a]\nkey_env = [\"K\"]\ncapabilities = [\"fs\"]\n", "\"fs\""),
            ("[tenants.a]\nkey_env = [\"K\"]\negress = [\"nope\"]\n", "\"nope\""),
            (
                "[tenants.a]\nkey_env = [\"K\"]\n[tenants.b]\nkey_env = [\"K\"]\n",
                "given twice",
            ),
            (
                "[tenants.a]\nkey_env = [\"K\"]\n[tenants.a.max_limits]\nfuel = 1\n",
                "fuel",
            ),
            ("[tenants.a]\nkey_env = [\"K\"]\ncolour = 1\n", "colour"),
            ("[policies.p]\nfile = \"x.toml\"\nextra = 1\n", "either `file`"),
            ("[server]\nmax_queue_wait_ms = 0\n", "max_queue_wait_ms"),
            (
                "[plugins.p]\ncomponent = \"p.wasm\"\nwit = \"p.wit\"\ncolour = 1\n",
                "colour",
            ),
            (
                "[plugins.p]\ncomponent = \"missing.wasm\"\nwit = \"p.wit\"\n",
                "plugin p: cannot read component",
            ),
            (
                "[tenants.a]\nkey_env = [\"K\"]\n[[tenants.a.credential]]\norigin = \"https://x.example\"\nheader = \"h\"\nvalue_env = \"UNSET\"\n",
                "credential #1: the environment variable UNSET is not set",
            ),
        ];
        for (text, expected) in cases {
            let error = load(text).err().unwrap_or_else(|| panic!("{text} loaded")).to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn a_tenant_id_is_short_and_plain() {
        for id in [
            "a".repeat(10_000),
            "a b".into(),
            "tab\there".into(),
            "\u{1b}[2J".into(),
            "é".into(),
        ] {
            let text = format!("[tenants.{}]\nkey_env = [\"K\"]\n", toml_key(&id));
            let error = load(&text).err().unwrap_or_else(|| panic!("{id:?} loaded")).to_string();
            assert!(error.contains("a tenant id must be 1 to 128"), "{error}");
            assert!(error.len() < 300, "the message is bounded: {} bytes", error.len());
        }
        for id in ["acme", "team-a.prod", "user@example.com", "org:42_x", &"a".repeat(128)] {
            let text = format!("[tenants.{}]\nkey_env = [\"K\"]\n", toml_key(id));
            assert!(load(&text).is_ok(), "{id}");
        }
    }

    #[test]
    fn worker_assets_are_read_and_their_options_checked() {
        let dir = std::env::temp_dir().join(format!("isobox-serve-assets-config-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("public")).unwrap();
        std::fs::write(
            dir.join("app.js"),
            "export default { fetch() { return new Response('') } }",
        )
        .unwrap();
        std::fs::write(dir.join("public/index.html"), "<h1>hi</h1>").unwrap();
        std::fs::write(dir.join("not-a-dir"), "").unwrap();
        let with = |keys: &str| {
            ServeConfig::from_toml_str(&format!("[workers.app]\nfile = \"app.js\"\n{keys}"), Some(&dir), |_| {
                None
            })
        };
        let config = with(
            "assets = \"public\"\nassets_html_handling = \"drop-trailing-slash\"\nassets_not_found = \"single-page-application\"\n",
        )
        .unwrap();
        let assets = config.workers["app"].assets.as_ref().expect("assets loaded");
        assert_eq!(assets.len(), 1);
        assert_eq!(
            assets.config().html_handling,
            isobox_assets::HtmlHandling::DropTrailingSlash
        );
        assert!(with("").unwrap().workers["app"].assets.is_none());
        for (keys, expected) in [
            (
                "assets = \"public\"\nassets_html_handling = \"auto\"\n",
                "worker app: assets_html_handling = \"auto\" is not known: use one of auto-trailing-slash,",
            ),
            (
                "assets = \"public\"\nassets_not_found = \"spa\"\n",
                "worker app: assets_not_found = \"spa\" is not known: use one of none, 404-page, single-page-application",
            ),
            (
                "assets_not_found = \"404-page\"\n",
                "worker app: assets_not_found applies to assets: give assets = \"DIR\" too",
            ),
            ("assets = \"missing\"\n", "worker app: assets: cannot read"),
            ("assets = \"not-a-dir\"\n", "is not a directory"),
            ("asset = \"public\"\n", "unknown field `asset`"),
        ] {
            let error = with(keys).err().unwrap_or_else(|| panic!("{keys} loaded")).to_string();
            assert!(error.contains(expected), "{keys}: {error}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// `id` as a quoted TOML key.
    fn toml_key(id: &str) -> String {
        toml::Value::String(id.to_owned()).to_string()
    }
}
