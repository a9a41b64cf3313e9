//! The engine: built once (wasmtime engine, compiled snapshot, instance
//! pool), shared by cloning, and used by every run.

use std::sync::Arc;

use wasmtime::{InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::SandboxPre;
use crate::config::{CacheDir, EngineConfig};
use crate::error::{EngineError, Stage};
use crate::sandbox::RunState;
use crate::snapshot;
use crate::ticker::EpochTicker;

/// Native Wasm stack of a sandbox. QuickJS's own check (`Limits::stack_bytes`
/// of shadow stack) fires long before deep JS recursion uses this much.
const MAX_WASM_STACK: usize = 16 * 1024 * 1024;
/// Core instances, memories and tables one guest instance may use: the
/// guest's component has a handful of each.
const CORE_INSTANCES_PER_SANDBOX: u32 = 16;
const MEMORIES_PER_SANDBOX: u32 = 2;
const TABLES_PER_SANDBOX: u32 = 8;

/// A shared, cloneable sandbox engine: the compiled snapshot and an instance
/// pool. Build one per process with [`Engine::builder`]; every
/// [`run`](Engine::run) gets a fresh instance and Store from it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), isobox::EngineError> {
/// let engine = isobox::Engine::builder().build().await?;
/// let outcome = engine.run(isobox::RunRequest::new("6 * 7")).await;
/// assert_eq!(outcome.result.unwrap(), serde_json::json!(42));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

pub(crate) struct EngineInner {
    pub engine: wasmtime::Engine,
    pub pre: SandboxPre<RunState>,
    pub config: EngineConfig,
    /// Compiled code by content hash; `None` when disabled.
    pub bytecode: Option<crate::bytecode_cache::BytecodeCache>,
    /// One permit per pooled sandbox: runs past the pool wait for a slot.
    pub slots: tokio::sync::Semaphore,
    pub ticker: EpochTicker,
    /// Fresh sandboxes made ahead of runs; `None` when turned off.
    pub spares: Option<crate::spares::Spares>,
    /// The snapshot's memory image and the recycled sandboxes waiting for a
    /// run; `None` when the image could not be made (nothing is recycled).
    pub recycler: Option<Arc<crate::recycle::Stash>>,
    /// Installs and links the packages runs name; `None`: runs with
    /// dependencies are refused.
    pub packages: Option<Arc<dyn crate::packages::PackageLinker>>,
}

/// Settings for an [`Engine`]. Every default is stated on its method.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), isobox::EngineError> {
/// let engine = isobox::Engine::builder()
///     .max_concurrent_runs(64)
///     .max_memory_bytes(128 * 1024 * 1024)
///     .cache_dir(isobox::cache::CacheDir::Disabled)
///     .build()
///     .await?;
/// # let _ = engine;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct EngineBuilder {
    config: EngineConfig,
    packages: Option<Arc<dyn crate::packages::PackageLinker>>,
}

impl std::fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("config", &self.config)
            .field("packages", &self.packages.is_some())
            .finish()
    }
}

impl EngineBuilder {
    /// The largest memory limit any run may ask for; each pooled slot is sized
    /// for it (virtual address space only). Default 512 MiB.
    pub fn max_memory_bytes(mut self, bytes: u64) -> Self {
        self.config.max_memory_bytes = bytes;
        self
    }

    /// Sandboxes that may exist at once; further runs wait for a free one.
    /// Default 1000.
    pub fn max_concurrent_runs(mut self, runs: u32) -> Self {
        self.config.max_concurrent_runs = runs;
        self
    }

    /// Capability plugin instances that may exist at once, beyond the
    /// sandboxes (each run instantiates a plugin it calls once, on first
    /// use). A plugin call that finds none free fails with a clear error.
    /// Default: `max_concurrent_runs`, at least 16.
    pub fn max_plugin_instances(mut self, instances: u32) -> Self {
        self.config.max_plugin_instances = Some(instances);
        self
    }

    /// Bytes of each pooled linear memory left resident (zeroed in place,
    /// not returned to the kernel) after a run: faster runs for that much
    /// resident memory per warm slot. Default 4 MiB; 0 returns everything.
    pub fn memory_keep_resident(mut self, bytes: usize) -> Self {
        self.config.memory_keep_resident = bytes;
        self
    }

    /// Meter fuel so [`Limits::fuel`](crate::Limits::fuel) bounds CPU work
    /// and stats report it. Default on; off makes CPU-bound code a little
    /// faster and leaves only the wall-clock limit.
    pub fn fuel_metering(mut self, enabled: bool) -> Self {
        self.config.fuel_metering = enabled;
        self
    }

    /// Bytes of QuickJS bytecode the engine keeps, so runs of code it has
    /// seen (same source, file name and form) skip parsing. Default 64 MiB;
    /// 0 turns the cache off.
    pub fn bytecode_cache_bytes(mut self, bytes: usize) -> Self {
        self.config.bytecode_cache_bytes = bytes;
        self
    }

    /// Fresh sandboxes kept instantiated ahead of runs, by a thread of the
    /// engine's, which also tears finished runs' sandboxes down, so that a
    /// run's own path is mostly its guest call when a core is free for the
    /// thread. Each is used by one run only, exactly as a sandbox the run
    /// made itself; when none is ready the run makes its own. With
    /// [`recycle_sandboxes`](Self::recycle_sandboxes) on, the thread also
    /// puts finished runs' sandboxes back to the snapshot and keeps them as
    /// spares. Each holds a pool slot (about half a MiB resident).
    ///
    /// Default 0 (off): measured on 2 cores, the thread moves work rather
    /// than removing it, so with every core busy it lowers throughput
    /// (`ISOBOX_BENCH_ONLY=latency cargo bench --bench run` prints both).
    /// At most 64.
    pub fn warm_sandboxes(mut self, sandboxes: u32) -> Self {
        self.config.warm_sandboxes = sandboxes;
        self
    }

    /// Whether a sandbox whose run ended cleanly is put back to the
    /// snapshot in place and hosts another run, rather than torn down and a
    /// new one instantiated. A recycled sandbox starts each run exactly as a
    /// fresh one: its memory is reset page by page to the snapshot's image,
    /// its host state replaced, and it is only recycled when its call
    /// returned, its memory did not grow and its guest holds no host
    /// resource (`recycle.rs` lists what a run can change and how each is
    /// put back). It saves instantiation and teardown: measured on 2 cores,
    /// `isobox run --repeat` of `2` went from a p50 of 29 to 21 us.
    ///
    /// Default on (Linux 6.7 or later; elsewhere nothing is recycled). Off,
    /// every run instantiates a sandbox of its own, as before.
    pub fn recycle_sandboxes(mut self, recycle: bool) -> Self {
        self.config.recycle_sandboxes = recycle;
        self
    }

    /// Where the compiled snapshot is cached. Default [`CacheDir::Default`].
    pub fn cache_dir(mut self, cache_dir: CacheDir) -> Self {
        self.config.cache_dir = cache_dir;
        self
    }

    /// Installs and links the npm packages runs name
    /// ([`RunRequest::with_dependencies`](crate::RunRequest::with_dependencies))
    /// with `linker` (isobox-npm's `Npm`). Default none: a run with
    /// dependencies fails with a `dependencies` error.
    pub fn packages(mut self, linker: impl crate::packages::PackageLinker) -> Self {
        self.packages = Some(Arc::new(linker));
        self
    }

    /// Snapshots the guest (or loads the cached snapshot), compiles it and
    /// sets up the instance pool. Takes about a second without a cache entry,
    /// milliseconds with one.
    ///
    /// # Errors
    /// [`EngineError::Setting`] for an out-of-range setting; the other
    /// variants, naming the step, when wasmtime, wizer or compilation fail.
    pub async fn build(self) -> Result<Engine, EngineError> {
        let mut config = self.config;
        if config.max_plugin_instances.is_none() {
            config.max_plugin_instances = Some(config.max_concurrent_runs.max(16));
        }
        if config.max_concurrent_runs == 0 || config.max_concurrent_runs > 100_000 {
            return Err(EngineError::Setting {
                setting: "max_concurrent_runs",
                value: config.max_concurrent_runs.into(),
                min: 1,
                max: 100_000,
            });
        }
        if config.warm_sandboxes > crate::config::MAX_WARM_SANDBOXES {
            return Err(EngineError::Setting {
                setting: "warm_sandboxes",
                value: config.warm_sandboxes.into(),
                min: 0,
                max: crate::config::MAX_WARM_SANDBOXES.into(),
            });
        }
        let min_memory = crate::limits::MIN_MEMORY_BYTES;
        if config.max_memory_bytes < min_memory || config.max_memory_bytes > 4 * 1024 * 1024 * 1024 {
            return Err(EngineError::Setting {
                setting: "max_memory_bytes",
                value: config.max_memory_bytes,
                min: min_memory,
                max: 4 * 1024 * 1024 * 1024,
            });
        }
        let engine = wasmtime::Engine::new(&wasmtime_config(&config))
            .map_err(|e| EngineError::at(Stage::Wasmtime, "configuring the engine", &e))?;
        let cache = config.cache_dir.resolve();
        let (component, image) = snapshot::load(&engine, cache.as_deref()).await?;
        let mut linker = wasmtime::component::Linker::<RunState>::new(&engine);
        let linking = |e: wasmtime::Error| EngineError::at(Stage::Compile, "linking the sandbox's imports", &e);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(linking)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(linking)?;
        crate::sandbox::add_to_linker(&mut linker).map_err(linking)?;
        crate::journal::add_to_linker(&mut linker).map_err(linking)?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(|e| EngineError::at(Stage::Compile, "pre-instantiating the snapshot", &e))?;
        let pre = SandboxPre::new(instance_pre)
            .map_err(|e| EngineError::at(Stage::Compile, "finding the guest's exports", &e))?;
        let ticker = EpochTicker::start(engine.clone())
            .map_err(|e| EngineError::at(Stage::Wasmtime, "starting the epoch thread", &e))?;
        // Finished runs' sandboxes are recycled (recycle.rs) when the
        // snapshot's memory image could be made: by the spares' thread when
        // there is one, else kept for the next run, at most one per run
        // that may be in flight (so they fit in the pool).
        let recycler = image.filter(|_| config.recycle_sandboxes).map(|image| {
            Arc::new(crate::recycle::Stash::new(
                image,
                config.max_concurrent_runs as usize,
                config.memory_keep_resident,
            ))
        });
        let spares = match config.warm_sandboxes {
            0 => None,
            sandboxes => {
                let factory = crate::spares::Factory {
                    engine: engine.clone(),
                    pre: pre.clone(),
                    recycler: recycler.clone(),
                };
                let spares = crate::spares::Spares::start(factory, sandboxes as usize)
                    .map_err(|e| EngineError::at(Stage::Wasmtime, "starting the warm sandboxes' thread", &e))?;
                Some(spares)
            }
        };
        let slots = tokio::sync::Semaphore::new(config.max_concurrent_runs as usize);
        let bytecode = (config.bytecode_cache_bytes > 0)
            .then(|| crate::bytecode_cache::BytecodeCache::new(config.bytecode_cache_bytes));
        Ok(Engine {
            inner: Arc::new(EngineInner {
                engine,
                pre,
                config,
                bytecode,
                slots,
                ticker,
                spares,
                recycler,
                packages: self.packages,
            }),
        })
    }
}

/// Room in each pooled memory slot for the image a sandbox starts from (the
/// snapshot's memory, about 14.5 MiB), above the largest memory limit.
const IMAGE_HEADROOM_BYTES: u64 = 64 * 1024 * 1024;

fn wasmtime_config(config: &EngineConfig) -> wasmtime::Config {
    // Capability plugins are component instances too, in the same pool, and
    // so are the warm spares and the finished runs waiting to be dropped.
    let runs = config
        .max_concurrent_runs
        .saturating_add(config.max_plugin_instances.unwrap_or(0))
        .saturating_add(config.warm_sandboxes.saturating_mul(2));
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(runs)
        .total_core_instances(runs.saturating_mul(CORE_INSTANCES_PER_SANDBOX))
        .total_memories(runs.saturating_mul(MEMORIES_PER_SANDBOX))
        .total_tables(runs.saturating_mul(TABLES_PER_SANDBOX))
        .total_stacks(runs)
        .max_core_instances_per_component(CORE_INSTANCES_PER_SANDBOX)
        .max_memories_per_component(MEMORIES_PER_SANDBOX)
        .max_tables_per_component(TABLES_PER_SANDBOX)
        // A run's limit counts from the image it starts with (memory.rs), so
        // a slot holds the image on top of the largest limit.
        .max_memory_size(
            usize::try_from(config.max_memory_bytes.saturating_add(IMAGE_HEADROOM_BYTES)).unwrap_or(usize::MAX),
        )
        .linear_memory_keep_resident(config.memory_keep_resident)
        .table_keep_resident(config.memory_keep_resident)
        // Reset only the pages a run dirtied (Linux 6.7+ PAGEMAP_SCAN)
        // instead of every kept-resident byte.
        .pagemap_scan(wasmtime::Enabled::Auto);

    let mut wasm = wasmtime::Config::new();
    // Profiling aid: `ISOBOX_PERFMAP=1` writes /tmp/perf-PID.map so `perf`
    // names the guest's functions (the snapshot is cached separately).
    if std::env::var_os("ISOBOX_PERFMAP").is_some() {
        wasm.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    wasm.epoch_interruption(true)
        .consume_fuel(config.fuel_metering)
        .max_wasm_stack(MAX_WASM_STACK)
        .async_stack_size(MAX_WASM_STACK + 1024 * 1024)
        .memory_init_cow(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    wasm
}

impl Engine {
    /// The default ceiling for any run's memory limit (512 MiB).
    pub const DEFAULT_MAX_MEMORY_BYTES: u64 = crate::config::DEFAULT_MAX_MEMORY_BYTES;

    /// An [`EngineBuilder`] with every default.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The largest memory limit a run may ask for.
    pub fn max_memory_bytes(&self) -> u64 {
        self.inner.config.max_memory_bytes
    }

    /// Whether runs are metered in fuel.
    pub fn fuel_metering(&self) -> bool {
        self.inner.config.fuel_metering
    }
}
