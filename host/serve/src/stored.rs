//! Stored workers: `[workers.NAME]` of the serve config (see the `workers`
//! routes for the format), read and checked when the config is loaded,
//! with their static assets (`assets = "DIR"`) read into memory then.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use isobox_assets::{AssetConfig, Assets, HtmlHandling, NotFoundHandling};
use serde::Deserialize;

use super::error::ConfigError;
use super::limits::LimitValues;
use super::plugins::BUILTIN_CAPABILITIES;

/// The largest worker source file.
const MAX_WORKER_FILE_BYTES: u64 = 4 << 20;

/// `[workers.NAME]` as written in the config.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkerFile {
    file: PathBuf,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    egress: Option<String>,
    #[serde(default)]
    limits: LimitValues,
    #[serde(default)]
    dependencies: Vec<String>,
    /// A directory of static assets served before the worker runs.
    #[serde(default)]
    assets: Option<PathBuf>,
    /// `html_handling` of the assets (default `auto-trailing-slash`).
    #[serde(default)]
    assets_html_handling: Option<String>,
    /// `not_found_handling` of the assets (default `none`).
    #[serde(default)]
    assets_not_found: Option<String>,
}

/// A stored worker: its source, read when the config is loaded (or from
/// the registry, [`super::registry`]).
#[derive(Clone, Debug)]
pub(crate) struct StoredWorker {
    /// The main module's source.
    pub(crate) code: Arc<str>,
    /// The main module's name.
    pub(crate) filename: String,
    /// Its other modules, by name (uploaded workers only).
    pub(crate) modules: BTreeMap<String, isobox::ModuleSource>,
    pub(crate) capabilities: Vec<String>,
    pub(crate) egress: Option<String>,
    pub(crate) limits: LimitValues,
    /// npm packages it imports (`hono@^4`), installed through `[npm]`.
    pub(crate) dependencies: Vec<String>,
    /// Its static assets, in memory, answered before a run is started.
    pub(crate) assets: Option<Arc<Assets>>,
}

/// Reads `[workers.NAME]`'s file and checks its grants against the config.
pub(crate) fn load(
    name: &str,
    worker: WorkerFile,
    base: Option<&Path>,
    policies: &BTreeMap<String, isobox::egress::Egress>,
) -> Result<StoredWorker, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid(format!("worker {name}: {message}"));
    check_name(name).map_err(invalid)?;
    let path = match base {
        Some(base) => base.join(&worker.file),
        None => worker.file.clone(),
    };
    let size = std::fs::metadata(&path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?
        .len();
    if size > MAX_WORKER_FILE_BYTES {
        return Err(invalid(format!(
            "{} is over {MAX_WORKER_FILE_BYTES} bytes",
            path.display()
        )));
    }
    let code = std::fs::read_to_string(&path).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    for capability in &worker.capabilities {
        if !BUILTIN_CAPABILITIES.contains(&capability.as_str()) {
            return Err(invalid(format!(
                "no built-in capability named \"{capability}\" (there are kv and todo)"
            )));
        }
    }
    for spec in &worker.dependencies {
        isobox_npm::Dependency::parse(spec).map_err(|e| invalid(format!("dependencies: {e}")))?;
    }
    if let Some(policy) = worker.egress.as_ref().filter(|p| !policies.contains_key(*p)) {
        return Err(invalid(format!("no egress policy named \"{policy}\" in [policies]")));
    }
    let assets = load_assets(&worker, base).map_err(invalid)?;
    let filename = worker
        .file
        .file_name()
        .map_or_else(|| "worker.js".to_owned(), |f| f.to_string_lossy().into_owned());
    Ok(StoredWorker {
        code: code.into(),
        filename,
        modules: BTreeMap::new(),
        capabilities: worker.capabilities,
        egress: worker.egress,
        limits: worker.limits,
        dependencies: worker.dependencies,
        assets,
    })
}

/// Reads `assets = "DIR"` (relative to the config file) with its
/// `assets_html_handling` and `assets_not_found`; the message of an error
/// names the key.
fn load_assets(worker: &WorkerFile, base: Option<&Path>) -> Result<Option<Arc<Assets>>, String> {
    let Some(dir) = &worker.assets else {
        if let Some(key) = [
            ("assets_html_handling", &worker.assets_html_handling),
            ("assets_not_found", &worker.assets_not_found),
        ]
        .iter()
        .find_map(|(key, value)| value.is_some().then_some(key))
        {
            return Err(format!("{key} applies to assets: give assets = \"DIR\" too"));
        }
        return Ok(None);
    };
    let config = asset_config(
        worker.assets_html_handling.as_deref(),
        worker.assets_not_found.as_deref(),
    )?;
    let path = match base {
        Some(base) => base.join(dir),
        None => dir.clone(),
    };
    let assets = Assets::from_dir(&path, config).map_err(|e| format!("assets: {e}"))?;
    Ok(Some(Arc::new(assets)))
}

/// Checks a worker's name: 1 to 100 letters, digits, `-` and `_`.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 100
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("a worker's name is 1 to 100 letters, digits, - and _".into());
    }
    Ok(())
}

/// The assets' settings from `assets_html_handling` and `assets_not_found`
/// (defaults when `None`).
pub(crate) fn asset_config(html_handling: Option<&str>, not_found: Option<&str>) -> Result<AssetConfig, String> {
    let mut config = AssetConfig::default();
    if let Some(value) = html_handling {
        config.html_handling = value.parse().map_err(|_| {
            format!(
                "assets_html_handling = {value:?} is not known: use one of {}",
                HtmlHandling::NAMES
            )
        })?;
    }
    if let Some(value) = not_found {
        config.not_found_handling = value.parse().map_err(|_| {
            format!(
                "assets_not_found = {value:?} is not known: use one of {}",
                NotFoundHandling::NAMES
            )
        })?;
    }
    Ok(config)
}
