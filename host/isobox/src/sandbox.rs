//! The state one run keeps in its Store, and the sandbox world's host
//! interfaces it implements (console, compile cache, bridge, worker).

use std::collections::HashMap;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use wasmtime::component::Resource;

use crate::bindings::isobox::sandbox as world;
use crate::bindings::pending::PendingCall;
use crate::bindings::{BridgeCallError, BridgeHost, GuestCompiled, GuestStarted, HostPendingCall, JsNode};
use crate::bytecode_cache::CacheKey;
use crate::capability::Started;
use crate::console::{LogCapture, LogLevel};
use crate::egress::{EgressHooks, EgressRun};
use crate::memory::MemoryLimiter;

/// Adds the sandbox world's own interfaces (console, compile cache, bridge)
/// to `linker`; WASI (including `wasi:io/poll`) is added from wasmtime-wasi.
pub(crate) fn add_to_linker(linker: &mut wasmtime::component::Linker<RunState>) -> wasmtime::Result<()> {
    use wasmtime::component::HasSelf;
    world::types::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    world::console::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    world::compile_cache::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    world::bridge::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    world::worker::add_to_linker::<_, HasSelf<RunState>>(linker, |state| state)?;
    crate::pages::add_to_linker(linker)?;
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
    /// Bytes of a run's dirty pages the pool slot may keep resident (the
    /// engine's keep-resident setting); 0 leaves the pages as wasmtime
    /// finds them (`pages.rs`).
    pub(crate) resident_budget: usize,
    /// The arming thread's page faults when the run was armed (`pages.rs`).
    pub(crate) faults_at_arm: u64,
    /// What teardown does to the guest's memory before the reset, chosen
    /// when the run ends (`pages.rs`).
    pub(crate) settle: Option<crate::pages::Settle>,
    /// The guest's linear memory (start and end address), as the guest
    /// showed it before any of the run's code ran (`pages.rs`).
    pub(crate) memory_range: Option<(usize, usize)>,
    pub clock: WallClock,
    // What the guest reports: console lines, compiled code to cache, a
    // worker's Response.
    pub console: LogCapture,
    pub compile: CompileOffer,
    /// Where a worker's Response streams to, for a dispatch.
    pub worker: Option<crate::worker::Sink>,
    // Egress: wasi:http, with every request of `fetch()` going through the
    // hooks, and the run's grant, counters and audit trail.
    http: WasiHttpCtx,
    http_hooks: EgressHooks,
    pub egress: std::sync::Arc<EgressRun>,
    /// Capabilities: the grants of the run, and its calls.
    pub capabilities: crate::capability::RunBridge,
    /// A journaled run's journal (see [`crate::journal`]); `None` for the
    /// others, whose host calls go straight through.
    pub journal: Option<crate::journal::JournalHandle>,
}

/// The wall-clock limit of a run.
pub(crate) struct WallClock {
    /// When the wall-clock limit expires.
    pub deadline: Instant,
    /// Set when the epoch callback stopped the run at the deadline.
    pub timed_out: bool,
}

/// Compiled code the guest offers for the bytecode cache, and what of it
/// the host takes.
///
/// Bytecode in the cache is shared with other runs, so the host takes only
/// bytecode the guest wrote before any JS of the run executed: before that
/// the guest is still the trusted snapshot; afterwards it may have been
/// corrupted by the code it runs. So it takes:
///
/// - the main code's first `keep`, and only when it asked for one (it sent
///   no bytecode): the guest compiles the code, offers it and only then
///   runs it;
/// - a linked module's `keep-module` only for a name it sent eager and
///   without bytecode, at most once per name, and only before the guest
///   calls `seal` (which it does before running any JS) and before the
///   main code's `keep`. After either, every offer is ignored.
#[derive(Default)]
pub(crate) struct CompileOffer {
    /// Whether the run asked the guest for its main code's bytecode.
    pub accept: bool,
    /// The guest's first offer, when asked for.
    pub offered: Option<GuestCompiled>,
    /// The linked modules whose bytecode the host still takes, with their
    /// cache keys; emptied by `seal`.
    wanted: HashMap<String, CacheKey>,
    /// The module bytecode taken, by cache key.
    modules: Vec<(CacheKey, Vec<u8>)>,
}

impl CompileOffer {
    /// Takes the main code's bytecode when `accept`, and the bytecode of
    /// the modules in `wanted` (name and cache key).
    pub fn new(accept: bool, wanted: HashMap<String, CacheKey>) -> Self {
        CompileOffer {
            accept,
            offered: None,
            wanted,
            modules: Vec::new(),
        }
    }

    /// The main code's bytecode: taken when asked for and not yet given.
    /// Seals: no module offer is taken after it.
    fn keep(&mut self, compiled: GuestCompiled) {
        self.seal();
        if std::mem::take(&mut self.accept) {
            self.offered = Some(compiled);
        }
    }

    /// A module's bytecode: taken only for a wanted name, once, before
    /// the seal.
    fn keep_module(&mut self, name: &str, bytecode: Vec<u8>) {
        if let Some(key) = self.wanted.remove(name) {
            self.modules.push((key, bytecode));
        }
    }

    /// From now on, JS of the run may execute: no more module offers.
    fn seal(&mut self) {
        self.wanted = HashMap::new();
    }

    /// The module bytecode taken, by cache key.
    pub fn take_modules(&mut self) -> Vec<(CacheKey, Vec<u8>)> {
        std::mem::take(&mut self.modules)
    }
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
            worker: None,
            http: http_ctx(),
            http_hooks: EgressHooks {
                run: egress.clone(),
                journal: None,
            },
            egress,
            capabilities,
            journal: None,
            resident_budget: 0,
            faults_at_arm: 0,
            settle: None,
            memory_range: None,
        }
    }
}

/// wasi:http's state for one run. Its limit on a header map is a trap when
/// exceeded, so it sits far above anything the guest sends: the guest
/// refuses a header section over the policy's `max_header_bytes` (at most
/// 1 MiB) or of more than 4,096 fields before it calls the host, and the
/// host's own count (name + value + 4 per field) is checked again in
/// `egress/send.rs`; wasi:http counts about 72 bytes more per field.
fn http_ctx() -> WasiHttpCtx {
    let mut http = WasiHttpCtx::new();
    http.set_field_size_limit(4 * 1024 * 1024);
    http
}

impl RunState {
    /// State for a Store no run has armed yet (a warm spare's, or a run's
    /// own before [`RunState::arm`]): no limit yet, no grants, nowhere to
    /// send anything.
    pub fn blank() -> Self {
        let now = Instant::now();
        let bridge = crate::capability::RunBridge::new(
            &[],
            crate::capability::plugin_limits(&crate::Limits::default(), now, false),
        );
        RunState::new(u64::MAX, LogCapture::new(0, 0), now, EgressRun::new(None), bridge)
    }

    /// Gives the state its run's memory limit, console, deadline, egress
    /// and capabilities.
    pub fn arm(
        &mut self,
        memory_limit: u64,
        console: LogCapture,
        deadline: Instant,
        egress: std::sync::Arc<EgressRun>,
        capabilities: crate::capability::RunBridge,
    ) {
        self.memory.set_limit(memory_limit);
        self.console = console;
        self.clock = WallClock {
            deadline,
            timed_out: false,
        };
        self.http_hooks = EgressHooks {
            run: egress.clone(),
            journal: None,
        };
        self.egress = egress;
        self.capabilities = capabilities;
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

impl world::console::Host for RunState {
    fn write(&mut self, level: world::console::Level, message: String) -> bool {
        use world::console::Level;
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

impl world::types::Host for RunState {}

/// What the guest offers is taken by `CompileOffer`'s rules.
impl world::compile_cache::Host for RunState {
    fn keep(&mut self, compiled: GuestCompiled) {
        self.compile.keep(compiled);
    }

    fn keep_module(&mut self, name: String, bytecode: Vec<u8>) {
        self.compile.keep_module(&name, bytecode);
    }

    fn seal(&mut self) {
        self.compile.seal();
    }
}

/// A run with no sink (not a dispatch) refuses every part of a Response.
impl world::worker::Host for RunState {
    fn respond_head(&mut self, status: u16, headers: Vec<(String, String)>) {
        if let Some(sink) = self.worker.as_mut() {
            sink.head(status, headers);
        }
    }

    async fn respond_chunk(&mut self, chunk: Vec<u8>) -> bool {
        match self.worker.as_mut() {
            Some(sink) => sink.chunk(chunk).await,
            None => false,
        }
    }

    async fn respond_end(&mut self) {
        if let Some(sink) = self.worker.as_mut() {
            sink.end().await;
        }
    }
}

impl RunState {
    /// Journals the run: its clocks and random sources, waits, capability
    /// calls and requests go through `journal` from now on.
    pub(crate) fn journal_with(&mut self, journal: crate::journal::JournalHandle, random_seed: u64) {
        use crate::journal::clocks;
        self.wasi = WasiCtx::builder()
            .wall_clock(clocks::WallClock(journal.clone()))
            .monotonic_clock(clocks::MonotonicClock {
                journal: journal.clone(),
                base: Instant::now(),
            })
            .secure_random(clocks::Random(journal.clone()))
            .insecure_random(clocks::Random(journal.clone()))
            .insecure_random_seed(u128::from(random_seed))
            .build();
        self.http_hooks.journal = Some(journal.clone());
        self.journal = Some(journal);
    }
}

impl BridgeHost for RunState {
    fn start(&mut self, binding: String, method: String, args: Vec<JsNode>) -> wasmtime::Result<GuestStarted> {
        if let Some(journal) = self.journal.clone() {
            return crate::journal::start_call(self, &journal, binding, method, args);
        }
        Ok(match self.capabilities.start(&binding, &method, args) {
            Started::Done(outcome) => GuestStarted::Done(outcome),
            // The table is full only when the guest floods it: the trap
            // ends the run.
            Started::Pending(call) => GuestStarted::Pending(self.table.push(call)?),
        })
    }
}

impl HostPendingCall for RunState {
    fn subscribe(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<Resource<wasmtime_wasi::p2::DynPollable>> {
        wasmtime_wasi::p2::subscribe(&mut self.table, call)
    }

    fn take(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<Option<Result<Vec<JsNode>, BridgeCallError>>> {
        if let Some(journal) = self.journal.clone() {
            return crate::journal::take_call(self, &journal, &call);
        }
        Ok(self.table.get_mut(&call)?.take())
    }

    fn drop(&mut self, call: Resource<PendingCall>) -> wasmtime::Result<()> {
        if let (PendingCall::Held, Some(journal)) = (self.table.delete(call)?, self.journal.as_ref()) {
            let mut journal = journal.lock();
            journal.held = journal.held.saturating_sub(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::isobox::sandbox::types::CompiledForm;

    fn offer(names: &[&str]) -> CompileOffer {
        let wanted = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.to_string(), [i as u8; 32]));
        CompileOffer::new(true, wanted.collect())
    }

    fn main_code() -> GuestCompiled {
        GuestCompiled {
            form: CompiledForm::Module,
            bytecode: vec![9],
        }
    }

    #[test]
    fn a_wanted_module_is_taken_once_and_only_before_the_seal() {
        let mut compile = offer(&["a.js", "b.js", "c.js"]);
        compile.keep_module("a.js", vec![1]);
        compile.keep_module("a.js", vec![66]);
        compile.keep_module("not-sent.js", vec![66]);
        compile.seal();
        compile.keep_module("b.js", vec![66]);
        assert_eq!(compile.take_modules(), vec![([0; 32], vec![1])]);
        // The main code's keep is still taken after the seal.
        compile.keep(main_code());
        assert!(compile.offered.is_some());
    }

    #[test]
    fn the_main_codes_keep_also_seals() {
        let mut compile = offer(&["a.js"]);
        compile.keep(main_code());
        compile.keep_module("a.js", vec![66]);
        assert!(compile.take_modules().is_empty());
        // And only its first offer is taken.
        compile.offered = None;
        compile.keep(main_code());
        assert!(compile.offered.is_none());
    }

    #[test]
    fn nothing_is_taken_when_nothing_was_asked_for() {
        let mut compile = CompileOffer::default();
        compile.keep_module("a.js", vec![1]);
        compile.keep(main_code());
        assert!(compile.take_modules().is_empty() && compile.offered.is_none());
    }
}
