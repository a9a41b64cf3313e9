//! The engine's settings, fixed when it is built.

use std::path::PathBuf;

/// Default ceiling for any run's memory limit.
pub const DEFAULT_MAX_MEMORY_BYTES: u64 = 512 * 1024 * 1024;
/// Default number of sandboxes that may exist at once.
pub const DEFAULT_MAX_CONCURRENT_RUNS: u32 = 1000;
/// Default bytes of each pooled linear memory kept resident between runs.
pub const DEFAULT_MEMORY_KEEP_RESIDENT: usize = 4 * 1024 * 1024;

/// Default capacity of the bytecode cache.
pub const DEFAULT_BYTECODE_CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Fresh sandboxes an engine keeps instantiated ahead of runs (spares.rs):
/// none unless asked for (see `EngineBuilder::warm_sandboxes`).
pub const DEFAULT_WARM_SANDBOXES: u32 = 0;
/// The most warm sandboxes an engine may keep.
pub const MAX_WARM_SANDBOXES: u32 = 64;

/// Where the precompiled snapshot is cached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheDir {
    /// `$ISOBOX_CACHE_DIR`, else `$XDG_CACHE_HOME/isobox`, else
    /// `$HOME/.cache/isobox`; no cache if none of them is set.
    Default,
    /// This directory (created with mode 0700 if missing).
    At(PathBuf),
    /// No cache: snapshot and compile on every build.
    Disabled,
}

/// Settings of an [`Engine`](crate::Engine). Built by [`EngineBuilder`](crate::EngineBuilder).
#[derive(Clone, Debug)]
pub(crate) struct EngineConfig {
    pub max_memory_bytes: u64,
    pub max_concurrent_runs: u32,
    /// None until the builder settles it from `max_concurrent_runs`.
    pub max_plugin_instances: Option<u32>,
    pub memory_keep_resident: usize,
    pub fuel_metering: bool,
    pub cache_dir: CacheDir,
    pub bytecode_cache_bytes: usize,
    pub warm_sandboxes: u32,
    pub recycle_sandboxes: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES,
            max_concurrent_runs: DEFAULT_MAX_CONCURRENT_RUNS,
            max_plugin_instances: None,
            memory_keep_resident: DEFAULT_MEMORY_KEEP_RESIDENT,
            fuel_metering: true,
            cache_dir: CacheDir::Default,
            bytecode_cache_bytes: DEFAULT_BYTECODE_CACHE_BYTES,
            warm_sandboxes: DEFAULT_WARM_SANDBOXES,
            recycle_sandboxes: true,
        }
    }
}

impl CacheDir {
    /// The directory this setting names, if any (other caches, such as
    /// isobox-npm's, live in subdirectories of it).
    pub fn resolve(&self) -> Option<PathBuf> {
        match self {
            CacheDir::Disabled => None,
            CacheDir::At(path) => Some(path.clone()),
            CacheDir::Default => {
                let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
                var("ISOBOX_CACHE_DIR")
                    .or_else(|| var("XDG_CACHE_HOME").map(|p| p.join("isobox")))
                    .or_else(|| var("HOME").map(|p| p.join(".cache/isobox")))
            }
        }
    }
}
