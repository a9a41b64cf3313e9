//! Stored workers: `[workers.NAME]` of the serve config (see the `workers`
//! routes for the format), read and checked when the config is loaded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
}

/// A stored worker: its source, read when the config is loaded.
#[derive(Clone, Debug)]
pub(crate) struct StoredWorker {
    pub(crate) code: Arc<str>,
    pub(crate) filename: String,
    pub(crate) capabilities: Vec<String>,
    pub(crate) egress: Option<String>,
    pub(crate) limits: LimitValues,
    /// npm packages it imports (`hono@^4`), installed through `[npm]`.
    pub(crate) dependencies: Vec<String>,
}

/// Reads `[workers.NAME]`'s file and checks its grants against the config.
pub(crate) fn load(
    name: &str,
    worker: WorkerFile,
    base: Option<&Path>,
    policies: &BTreeMap<String, isobox::egress::Egress>,
) -> Result<StoredWorker, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid(format!("worker {name}: {message}"));
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(invalid("a worker's name may hold only letters, digits, - and _".into()));
    }
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
    let filename = worker
        .file
        .file_name()
        .map_or_else(|| "worker.js".to_owned(), |f| f.to_string_lossy().into_owned());
    Ok(StoredWorker {
        code: code.into(),
        filename,
        capabilities: worker.capabilities,
        egress: worker.egress,
        limits: worker.limits,
        dependencies: worker.dependencies,
    })
}
