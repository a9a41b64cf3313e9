//! The sandbox world's bindings and the state one run keeps in its Store.

use std::time::Instant;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::console::{LogCapture, LogLevel};
use crate::egress::{EgressHooks, EgressRun};

wasmtime::component::bindgen!({
    world: "sandbox",
    path: "../../wit",
    exports: { default: async },
    imports: { "isobox:sandbox/bridge": trappable },
    with: {
        "wasi:io/poll": wasmtime_wasi::p2::bindings::io::poll,
        "isobox:sandbox/bridge.pending-call": crate::capability::pending::PendingCall,
    },
});

pub(crate) use self::isobox::sandbox::bridge::{
    CallError as BridgeCallError, Host as BridgeHost, HostPendingCall, JsNode, Started as GuestStarted,
};

pub(crate) use self::isobox::sandbox::types::{
    Binding as GuestBinding, CodeForm as GuestCodeForm, Compiled as GuestCompiled, ErrorKind as GuestErrorKind,
    ModuleKind as GuestModuleKind, ModuleSource as GuestModule, Phase as GuestPhase, RunRequest as GuestRequest,
};
pub(crate) use self::isobox::sandbox::types::{HttpRequest as GuestHttpRequest, HttpResponse as GuestHttpResponse};

/// Adds the sandbox world's own interfaces (console, compile cache, bridge)
/// to `linker`; WASI (including `wasi:io/poll`) is added from wasmtime-wasi.
pub(crate) fn add_to_linker(linker: &mut wasmtime::component::Linker<RunState>) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    self::isobox::sandbox::types::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    self::isobox::sandbox::console::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    self::isobox::sandbox::compile_cache::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    self::isobox::sandbox::bridge::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    self::isobox::sandbox::worker::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    Ok(())
}

/// Everything one run keeps in its Store, grouped by concern; dropped with
/// it, so nothing of one run reaches the next.
pub(crate) struct RunState {
    // WASI: nothing granted (see `new`); the resource table every interface
    // of the run shares.
    wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    // The limits the host enforces within the Store (fuel and the epoch
    // deadline are the Store's own).
    pub memory: MemoryLimiter,
    pub clock: WallClock,
    // What the guest reports: console lines, compiled code to cache, a
    // worker's Response.
    pub console: LogCapture,
    pub compile: CompileOffer,
    /// A worker's Response (the first the guest gave), for a dispatch.
    pub worker_response: Option<GuestHttpResponse>,
    // Egress: wasi:http, with every request of `fetch()` going through the
    // hooks, and the run's grant, counters and audit trail.
    http: WasiHttpCtx,
    http_hooks: EgressHooks,
    pub egress: std::sync::Arc<EgressRun>,
    /// Capabilities: the grants of the run, and its calls.
    pub capabilities: crate::capability::RunBridge,
}

/// The wall-clock limit of a run.
pub(crate) struct WallClock {
    /// When the wall-clock limit expires.
    pub deadline: Instant,
    /// Set when the epoch callback stopped the run at the deadline.
    pub timed_out: bool,
}

/// Compiled code the guest offers for the bytecode cache.
#[derive(Default)]
pub(crate) struct CompileOffer {
    /// Whether the run asked the guest for its compiled code.
    pub accept: bool,
    /// The guest's first offer, when asked for.
    pub offered: Option<GuestCompiled>,
}

impl RunState {
    pub fn new(
        memory_limit: u64,
        console: LogCapture,
        deadline: Instant,
        egress: std::sync::Arc<EgressRun>,
        capabilities: crate::capability::RunBridge,
    ) -> Self {
        RunState {
            // Grants nothing: no preopened directories, no environment, no
            // arguments, no sockets; stdio goes nowhere.
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            memory: MemoryLimiter::new(memory_limit),
            clock: WallClock {
                deadline,
                timed_out: false,
            },
            console,
            compile: CompileOffer::default(),
            worker_response: None,
            http: WasiHttpCtx::new(),
            http_hooks: EgressHooks { run: egress.clone() },
            egress,
            capabilities,
        }
    }
}

impl RunState {
    /// State for the wizer run: like a run's, but the guest's stderr reaches
    /// the host's, so a failing initialisation explains itself.
    pub fn for_snapshot() -> Self {
        let far = Instant::now() + std::time::Duration::from_secs(3600);
        let bridge = crate::capability::RunBridge::new(
            &[],
            crate::capability::plugin_limits(&crate::Limits::default(), far, false),
        );
        let mut state = RunState::new(u64::MAX, LogCapture::new(0, 0), far, EgressRun::new(None), bridge);
        state.wasi = WasiCtx::builder().inherit_stderr().build();
        state
    }
}

impl RunState {
    /// State for `isobox build`'s wizer run: the app's bundle on stdin, its
    /// init report on `stdout`, console lines on the host's stderr, no
    /// network, memory bounded by `memory_bytes`.
    #[cfg(feature = "app")]
    pub fn for_app_build(
        bundle: Vec<u8>,
        stdout: wasmtime_wasi::p2::pipe::MemoryOutputPipe,
        memory_bytes: u64,
    ) -> Self {
        let mut state = Self::for_snapshot();
        state.memory = MemoryLimiter::new(memory_bytes);
        state.wasi = WasiCtx::builder()
            .stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(bundle))
            .stdout(stdout)
            .inherit_stderr()
            .build();
        state
    }
}

impl WasiView for RunState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RunState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_hooks,
        }
    }
}

impl self::isobox::sandbox::console::Host for RunState {
    fn write(&mut self, level: self::isobox::sandbox::console::Level, message: String) -> bool {
        use self::isobox::sandbox::console::Level;
        let level = match level {
            Level::Debug => LogLevel::Debug,
            Level::Info => LogLevel::Info,
            Level::Log => LogLevel::Log,
            Level::Warn => LogLevel::Warn,
            Level::Error => LogLevel::Error,
        };
        self.console.write(level, message)
    }
}

impl self::isobox::sandbox::types::Host for RunState {}

impl self::isobox::sandbox::compile_cache::Host for RunState {
    fn keep(&mut self, compiled: GuestCompiled) {
        // Only the first offer, made before the code ran, is trusted.
        if std::mem::take(&mut self.compile.accept) {
            self.compile.offered = Some(compiled);
        }
    }
}

impl self::isobox::sandbox::worker::Host for RunState {
    fn respond(&mut self, response: GuestHttpResponse) {
        if self.worker_response.is_none() {
            self.worker_response = Some(response);
        }
    }
}

/// Bounds the sandbox's linear memory and remembers its peak.
pub(crate) struct MemoryLimiter {
    limit: usize,
    pub peak: usize,
    /// Set when a growth was refused.
    pub hit: bool,
}

impl MemoryLimiter {
    pub(crate) fn new(limit: u64) -> Self {
        MemoryLimiter {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            peak: 0,
            hit: false,
        }
    }
}

/// Entries of a table the sandbox may have: far above what the guest uses.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.hit = true;
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
