//! One run: check the request, build a fresh Store and instance, call the
//! guest under the limits, and say exactly what happened.

use std::time::Instant;

use wasmtime::{Store, Trap, UpdateDeadline};

use crate::Engine;
use crate::bindings::isobox::sandbox::types::CompiledForm as GuestCompiledForm;
use crate::bindings::{GuestCodeForm, GuestCompiled, GuestError, GuestErrorKind, GuestPhase, GuestRequest, Sandbox};
use crate::bytecode_cache::{BytecodeCache, CacheUse};
use crate::checks::Purpose;
use crate::console::{LogCapture, Logs};
use crate::outcome::{ErrorKind, Outcome, Phase, RunError, Stats};
use crate::request::{CodeForm, RunRequest};
use crate::sandbox::{CompileOffer, RunState};
use crate::text::bounded;

impl Engine {
    /// Runs `request` in a brand-new sandbox and reports what happened. Never
    /// panics on anything the request or the code does; every failure is an
    /// [`Outcome`] with a typed [`RunError`].
    ///
    /// Runs may be called from many tokio tasks at once; past
    /// [`max_concurrent_runs`](crate::EngineBuilder::max_concurrent_runs) they
    /// wait for a free sandbox. Must be called within a tokio runtime (the
    /// wall-clock limit uses its timer).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), isobox::EngineError> {
    /// # let engine = isobox::Engine::builder().build().await?;
    /// let limits = isobox::Limits { fuel: 1_000_000, ..Default::default() };
    /// let outcome = engine.run(isobox::RunRequest::new("while (true) {}").with_limits(limits)).await;
    /// assert_eq!(outcome.error_kind(), Some(isobox::ErrorKind::CpuLimit));
    /// # Ok(()) }
    /// ```
    pub async fn run(&self, mut request: RunRequest) -> Outcome {
        // The wall-clock limit needs tokio's timer: refuse to run without it.
        if tokio::runtime::Handle::try_current().is_err() {
            return refused(RunError::new(
                Phase::Input,
                ErrorKind::Internal,
                "Engine::run must be called within a tokio runtime (its timer enforces the wall-clock limit)",
            ));
        }
        if !request.approvals.is_empty() {
            // Only a journaled run can pause for a person: fail closed.
            return refused(RunError::new(
                Phase::Input,
                ErrorKind::InvalidInput,
                "the request gates calls for approval, and only a journaled run can pause: use Engine::run_journaled",
            ));
        }
        if let Err(error) = crate::packages::link(self.inner.packages.as_ref(), &mut request).await {
            return refused(error);
        }
        let prepared = match self.prepare(&mut request) {
            Ok(prepared) => prepared,
            Err(error) => return refused(error),
        };
        // The semaphore is never closed, so acquire cannot fail.
        let _slot = self.inner.slots.acquire().await;
        let _ticking = self.inner.ticker.enter();
        self.run_prepared(&request, prepared, None, None).await.0
    }

    /// Checks limits, code and input before any Wasm runs, looks the code
    /// and the linked modules up in the bytecode cache, strips TypeScript on
    /// a miss, and moves the code into the guest's request (the host keeps
    /// the limits and the name).
    pub(crate) fn prepare(&self, request: &mut RunRequest) -> Result<Prepared, RunError> {
        crate::checks::check_request(request, self.inner.config.max_memory_bytes, Purpose::Run)?;
        let input_json = crate::checks::input_json(request)?;
        let main_name = request.filename.clone();
        let mut modules = crate::modules::take_modules(request, &main_name)?;
        let (entry_imports, linked) = match &request.linked {
            Some(linked) => crate::linked::attach(linked, &mut modules, &main_name, self.inner.bytecode.as_ref())?,
            None => Default::default(),
        };
        let form = match request.form {
            CodeForm::Auto => GuestCodeForm::Auto,
            CodeForm::Module => GuestCodeForm::Module,
            CodeForm::Script => GuestCodeForm::Script,
        };
        let jsx = crate::typescript::is_jsx_name(&request.filename);
        let typescript = jsx || request.lang.is_typescript(&request.filename);
        let cache = self.inner.bytecode.as_ref();
        let key = cache.map(|_| {
            if jsx {
                // How JSX compiles is part of what the bytecode is.
                let settings = serde_json::to_string(&request.jsx).unwrap_or_default();
                BytecodeCache::key(form, &request.filename, true, &format!("{}\0{settings}", request.code))
            } else {
                BytecodeCache::key(form, &request.filename, typescript, &request.code)
            }
        });
        let mut plan = CachePlan {
            key,
            cache_use: CacheUse::Off,
            stripped: None,
            linked,
        };
        let (code, compiled) = match cache.zip(key.as_ref()).and_then(|(cache, key)| cache.get(key)) {
            Some(hit) => {
                plan.cache_use = CacheUse::Hit;
                let code = match hit.js {
                    Some(js) => js.to_string(),
                    None => std::mem::take(&mut request.code),
                };
                (code, Some(GuestCompiled::clone(&hit.compiled)))
            }
            None => {
                let code = if typescript {
                    let js = if jsx {
                        crate::typescript::compile_jsx(&request.code, &request.filename, &request.jsx)?
                    } else {
                        crate::typescript::strip(&request.code, &request.filename)?
                    };
                    plan.stripped = key.map(|_| std::sync::Arc::from(js.as_str()));
                    js
                } else {
                    std::mem::take(&mut request.code)
                };
                if key.is_some() {
                    plan.cache_use = CacheUse::Miss;
                }
                (code, None)
            }
        };
        let guest = GuestRequest {
            code,
            filename: request.filename.clone(),
            form,
            input_json,
            max_stack_bytes: request.limits.stack_bytes,
            max_result_bytes: request.limits.result_bytes,
            max_header_bytes: u32::try_from(
                request
                    .egress
                    .as_ref()
                    .map(|egress| egress.policy().limits().max_header_bytes)
                    .unwrap_or_else(|| crate::egress::EgressLimits::default().max_header_bytes),
            )
            .unwrap_or(u32::MAX),
            random_seed: fresh_seed(),
            modules,
            entry_imports,
            keep_compiled: plan.cache_use == CacheUse::Miss || !plan.linked.wanted.is_empty(),
            bindings: request
                .grants
                .iter()
                .map(|grant| crate::bindings::GuestBinding {
                    name: grant.name.clone(),
                    methods: grant.capability.methods(),
                })
                .collect(),
            compiled,
            http: None,
        };
        Ok(Prepared { guest, plan })
    }

    /// Runs a checked request; a worker's run streams its Response into
    /// `worker`'s sink, which comes back with the outcome, and is cancelled
    /// when `worker`'s signal fires.
    pub(crate) async fn run_prepared(
        &self,
        request: &RunRequest,
        prepared: Prepared,
        worker: Option<(crate::worker::Sink, CancelSignal)>,
        journal: Option<crate::journal::JournalHandle>,
    ) -> (Outcome, Option<crate::worker::Sink>) {
        let started = Instant::now();
        let Prepared { guest, plan } = prepared;
        let compile = CompileOffer::new(plan.cache_use == CacheUse::Miss, plan.linked.wanted);
        let (called, mut store, used) = self.execute(request, guest, compile, started, worker, journal).await;
        let offered = store.data_mut().compile.offered.take();
        let modules = store.data_mut().compile.take_modules();
        let response = store.data_mut().worker.take();
        if let Some(cache) = self.inner.bytecode.as_ref() {
            if let (Some(key), Some(compiled)) = (plan.key, offered) {
                cache.insert(key, compiled, plan.stripped);
            }
            for (key, bytecode) in modules {
                let compiled = GuestCompiled {
                    form: GuestCompiledForm::Module,
                    bytecode,
                };
                cache.insert(key, compiled, None);
            }
        }
        let mut outcome = self.conclude(request, called, store, used, started);
        outcome.stats.bytecode_cache = plan.cache_use;
        outcome.stats.modules_compiled = plan.linked.compiled;
        outcome.stats.modules_cached = plan.linked.cached;
        (outcome, response)
    }

    /// Takes a warm or recycled sandbox, or builds a fresh Store and
    /// instantiates the snapshot, and calls the guest under the request's
    /// limits, taking the compiled code `compile` allows. The Store comes
    /// back still holding the instance, with the instance's handle and what
    /// recycling needs ([`Used`]) when it was made.
    pub(crate) async fn execute(
        &self,
        request: &RunRequest,
        guest_request: GuestRequest,
        compile: CompileOffer,
        started: Instant,
        worker: Option<(crate::worker::Sink, CancelSignal)>,
        journal: Option<crate::journal::JournalHandle>,
    ) -> (Called, Store<RunState>, Option<Used>) {
        let deadline = started + request.limits.wall_time;
        let egress = crate::egress::EgressRun::new(request.egress.clone());
        if let Some(cassette) = &request.cassette {
            let _ = egress.cassette.set(cassette.clone());
        }
        let bridge = crate::capability::RunBridge::new(
            &request.grants,
            crate::capability::plugin_limits(&request.limits, deadline, self.inner.config.fuel_metering),
        );
        // A warm spare or a recycled sandbox when one is ready (spares.rs,
        // recycle.rs), else a Store and instance of its own: the same fresh
        // sandbox either way. A journaled run always instantiates its own,
        // so that a replay meets the guest exactly as the run did, down to
        // the numbers of its resource handles.
        let ready = match (&self.inner.spares, &journal) {
            (_, Some(_)) => None,
            (Some(spares), None) => spares.take(),
            (None, None) => self.inner.recycler.as_ref().and_then(|stash| stash.take()),
        };
        let (mut store, warm) = match ready {
            Some(crate::spares::Warm {
                mut store,
                sandbox,
                history,
            }) => {
                self.arm_store(&mut store, &request.limits, deadline, egress, bridge);
                (store, Some((sandbox, history)))
            }
            None => (self.new_store(&request.limits, deadline, egress, bridge), None),
        };
        let history = warm
            .as_ref()
            .map_or(crate::recycle::History::FRESH, |(_, history)| *history);
        let mut used: Option<Sandbox> = None;
        store.data_mut().compile = compile;
        if let Some(journal) = journal {
            store.data_mut().journal_with(journal, guest_request.random_seed);
        }
        store.data_mut().console.set_sink(request.log_sink.clone());
        let cancel = match worker {
            Some((sink, cancel)) => {
                store.data_mut().worker = Some(sink);
                Some(cancel)
            }
            None => None,
        };
        // The run's span: its capability calls and fetches are its
        // children. Debug, as theirs: made only when a subscriber wants it
        // (an OpenTelemetry exporter does), never on a plain run's path.
        let span = tracing::debug_span!(
            target: "isobox::run",
            "run",
            code.filename = %request.filename,
            otel.status_code = tracing::field::Empty,
        );
        let called = {
            let pre = &self.inner.pre;
            let store = &mut store;
            let used = &mut used;
            let call = tracing::Instrument::instrument(
                async move {
                    let sandbox = match warm {
                        Some((sandbox, _)) => sandbox,
                        None => pre.instantiate_async(&mut *store).await?,
                    };
                    used.insert(sandbox).call_run(&mut *store, &guest_request).await
                },
                span.clone(),
            );
            let mut call = std::pin::pin!(tokio::time::timeout_at(deadline.into(), call));
            let mut cancel = cancel;
            // Dropping the call stops the guest wherever it is (also inside
            // an async host call); the Store stays whole for `conclude`.
            std::future::poll_fn(|cx| {
                if let std::task::Poll::Ready(called) = call.as_mut().poll(cx) {
                    return std::task::Poll::Ready(called.map_err(|_| Stopped::Elapsed));
                }
                if let Some(signal) = cancel.as_mut()
                    && signal.as_mut().poll(cx).is_ready()
                {
                    return std::task::Poll::Ready(Err(Stopped::Cancelled));
                }
                std::task::Poll::Pending
            })
            .await
        };
        if !matches!(called, Ok(Ok(Ok(_)))) {
            span.record("otel.status_code", "ERROR");
        }
        (called, store, used.map(|sandbox| Used { sandbox, history }))
    }

    /// A fresh Store with every limit armed: the memory limiter, fuel (when
    /// metered) and the epoch deadline that ends the run at `deadline`.
    pub(crate) fn new_store(
        &self,
        limits: &crate::Limits,
        deadline: Instant,
        egress: std::sync::Arc<crate::egress::EgressRun>,
        bridge: crate::capability::RunBridge,
    ) -> Store<RunState> {
        let console = LogCapture::new(limits.log_bytes, limits.log_lines);
        let state = RunState::new(limits.memory_bytes, console, deadline, egress, bridge);
        let mut store = store_with(&self.inner.engine, state);
        self.arm_limits(&mut store, limits);
        store
    }

    /// Gives a warm spare's blank Store the run's limits and state.
    fn arm_store(
        &self,
        store: &mut Store<RunState>,
        limits: &crate::Limits,
        deadline: Instant,
        egress: std::sync::Arc<crate::egress::EgressRun>,
        bridge: crate::capability::RunBridge,
    ) {
        let console = LogCapture::new(limits.log_bytes, limits.log_lines);
        store
            .data_mut()
            .arm(limits.memory_bytes, console, deadline, egress, bridge);
        self.arm_limits(store, limits);
    }

    /// What every run's Store gets from the engine, fresh or warm: fuel,
    /// the first epoch deadline, and what `pages.rs` needs.
    fn arm_limits(&self, store: &mut Store<RunState>, limits: &crate::Limits) {
        let state = store.data_mut();
        state.resident_budget = self.inner.config.memory_keep_resident;
        state.faults_at_arm = crate::pages::faults_so_far();
        if self.inner.config.fuel_metering {
            // Cannot fail: the engine was built with fuel metering on.
            let _ = store.set_fuel(limits.fuel);
        }
        store.set_epoch_deadline(1);
    }

    /// Recycles a finished run's sandbox when it may host another run
    /// (`used`: its instance; `returned`: the guest's call returned), on the spares' thread when there is one,
    /// else here. Otherwise drops its Store, which resets its slot and
    /// returns it to the pool: on the spares' thread when it has room, else
    /// here; either way through `pages::drop_store`.
    fn retire(&self, mut store: Store<RunState>, used: Option<Used>, returned: bool) {
        use crate::spares::Finished;
        if let (Some(stash), Some(Used { sandbox, history })) = (&self.inner.recycler, used)
            && crate::recycle::eligible(returned, store.data(), history.runs)
        {
            let history = crate::recycle::History {
                runs: history.runs + 1,
                ..history
            };
            let warm = crate::spares::Warm {
                store,
                sandbox,
                history,
            };
            let left = match &self.inner.spares {
                Some(spares) => spares.hand_over(Finished::Renew(warm)).map(Finished::into_store),
                None => stash.keep(warm),
            };
            let Some(left) = left else {
                return;
            };
            store = left;
        }
        crate::pages::choose_settle(store.data_mut());
        let left = match self.inner.spares.as_ref() {
            Some(spares) => spares.hand_over(Finished::Drop(store)).map(Finished::into_store),
            None => Some(store),
        };
        if let Some(store) = left {
            crate::pages::drop_store(store);
        }
    }

    /// Tears the sandbox down and says what happened.
    fn conclude(
        &self,
        request: &RunRequest,
        called: Called,
        mut store: Store<RunState>,
        used: Option<Used>,
        started: Instant,
    ) -> Outcome {
        let limits = &request.limits;
        let returned = matches!(called, Ok(Ok(_)));
        let fuel_used = self
            .inner
            .config
            .fuel_metering
            .then(|| limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0)));
        let state = store.data_mut();
        let stats = Stats {
            // Set below, once the Store is gone: the teardown counts.
            wall_time_us: 0,
            fuel_used,
            peak_memory_bytes: state.memory.peak as u64,
            bytecode_cache: CacheUse::Off,
            modules_compiled: 0,
            modules_cached: 0,
        };
        let journal_stop = state.journal.as_ref().and_then(|journal| {
            let mut journal = journal.lock();
            if journal.stop.is_none() && journal.held > 0 && matches!(called, Ok(Ok(_))) {
                // The code finished without waiting for a gated call: it
                // still waits for the person.
                journal.stop = Some(crate::journal::Stop::Paused);
            }
            journal.stop.clone().map(|stop| {
                (
                    stop,
                    journal
                        .journal
                        .pending()
                        .iter()
                        .map(|g| g.describe())
                        .collect::<Vec<_>>(),
                )
            })
        });
        let result = match (journal_stop, called) {
            (Some((stop, pending)), _) => Err(crate::journal::stop_error(stop, &pending)),
            (None, called) => match called {
                Err(Stopped::Elapsed) => Err(timeout_error(request)),
                Err(Stopped::Cancelled) => Err(crate::worker::cancelled()),
                Ok(Err(trap)) => Err(trap_error(request, &trap, state, fuel_used)),
                Ok(Ok(Err(guest))) => Err(guest_error(request, guest, state.memory.hit)),
                Ok(Ok(Ok(json))) => parse_result(request, json),
            },
        };
        let mut outcome = Outcome {
            result,
            logs: std::mem::replace(&mut state.console, LogCapture::new(0, 0)).finish(),
            stats,
            egress: state.egress.records(),
            calls: state.capabilities.calls(),
        };
        self.retire(store, used, returned);
        outcome.stats.wall_time_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        outcome
    }

    /// Checks a request as [`run`](Engine::run) does; for the bench module.
    pub(crate) fn prepare_for_bench(&self, request: &RunRequest) -> Result<GuestRequest, RunError> {
        self.prepare(&mut request.clone()).map(|prepared| prepared.guest)
    }
}

/// The sandbox a run used, for recycling: its instance and what recycling
/// knows of its earlier runs.
pub(crate) struct Used {
    sandbox: Sandbox,
    history: crate::recycle::History,
}

/// A checked request, ready for a sandbox.
pub(crate) struct Prepared {
    pub guest: GuestRequest,
    plan: CachePlan,
}

/// What the bytecode cache gave this run, and what to keep after it.
struct CachePlan {
    key: Option<crate::bytecode_cache::CacheKey>,
    cache_use: CacheUse,
    /// The stripped JavaScript of TypeScript code, kept with its bytecode.
    stripped: Option<std::sync::Arc<str>>,
    /// What the cache gave the linked modules, and which to keep.
    linked: crate::linked::LinkedPlan,
}

/// What calling the guest gave: the tokio deadline or a cancellation, a
/// trap, or its answer.
pub(crate) type Called = Result<wasmtime::Result<Result<Option<String>, GuestError>>, Stopped>;

/// Why the host stopped a run before the guest returned.
#[derive(Debug)]
pub(crate) enum Stopped {
    /// The wall-clock deadline passed.
    Elapsed,
    /// The caller went away (a worker's client, before its body's end).
    Cancelled,
}

/// Resolves when a run is to be cancelled.
pub(crate) type CancelSignal = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

pub(crate) fn refused(error: RunError) -> Outcome {
    Outcome {
        result: Err(error),
        logs: Logs::default(),
        stats: Stats::default(),
        egress: Vec::new(),
        calls: Vec::new(),
    }
}

/// A seed for the run's Math.random, from a CSPRNG seeded by the OS.
pub(crate) fn fresh_seed() -> u64 {
    // The thread's ChaCha generator, seeded from the OS: no system call
    // per run.
    rand::random()
}

fn timeout_error(request: &RunRequest) -> RunError {
    RunError::new(
        Phase::Run,
        ErrorKind::Timeout,
        format!(
            "the run exceeded its wall-clock limit of {} ms",
            request.limits.wall_time.as_millis()
        ),
    )
}

fn memory_error(request: &RunRequest) -> RunError {
    RunError::new(
        Phase::Run,
        ErrorKind::MemoryLimit,
        format!(
            "the sandbox reached its memory limit of {} bytes",
            request.limits.memory_bytes
        ),
    )
}

/// Explains a trap by the limit that caused it, if any.
fn trap_error(request: &RunRequest, error: &wasmtime::Error, state: &RunState, fuel_used: Option<u64>) -> RunError {
    let trap = error.downcast_ref::<Trap>().copied();
    if state.clock.timed_out {
        return timeout_error(request);
    }
    if trap == Some(Trap::OutOfFuel) {
        return RunError::new(
            Phase::Run,
            ErrorKind::CpuLimit,
            format!(
                "the run used its whole fuel budget of {} (the CPU limit){}",
                request.limits.fuel,
                fuel_used
                    .map(|_| "; raise limits.fuel for longer computations")
                    .unwrap_or_default()
            ),
        );
    }
    if state.memory.hit {
        return memory_error(request);
    }
    if trap == Some(Trap::StackOverflow) {
        return RunError::new(
            Phase::Run,
            ErrorKind::StackOverflow,
            "the sandbox's native stack ran out before the JS stack limit fired; lower limits.stack_bytes",
        );
    }
    // The trap's kind or innermost cause, one line: never the Wasm
    // backtrace wasmtime attaches (guest symbols, no use to the caller).
    let cause = match trap {
        Some(trap) => trap.to_string(),
        None => error.root_cause().to_string(),
    };
    let cause = cause.lines().next().unwrap_or_default();
    RunError::new(
        Phase::Run,
        ErrorKind::Internal,
        bounded(format!(
            "the sandbox trapped ({cause}): a fault in isobox or a host capability, not in the code; \
             please report it with the code that caused it"
        )),
    )
}

fn guest_error(request: &RunRequest, error: GuestError, memory_hit: bool) -> RunError {
    let phase = match error.phase {
        GuestPhase::Compile => Phase::Compile,
        GuestPhase::Run => Phase::Run,
        GuestPhase::Serialise => Phase::Serialise,
    };
    let kind = match error.kind {
        GuestErrorKind::JsError if phase == Phase::Compile && error.name.as_deref() == Some("SyntaxError") => {
            ErrorKind::SyntaxError
        }
        GuestErrorKind::JsError => ErrorKind::JsError,
        GuestErrorKind::StackOverflow => ErrorKind::StackOverflow,
        GuestErrorKind::OutOfMemory => ErrorKind::MemoryLimit,
        GuestErrorKind::Unsettled => ErrorKind::Unsettled,
        GuestErrorKind::Unserialisable => ErrorKind::Unserialisable,
        GuestErrorKind::OutputLimit => ErrorKind::OutputLimit,
        GuestErrorKind::InvalidInput => ErrorKind::InvalidInput,
    };
    // QuickJS throws InternalError("out of memory"), or `null` when even that
    // error cannot be allocated; either way the limiter refused a growth.
    if memory_hit && (kind == ErrorKind::MemoryLimit || error.name.is_none()) {
        let mut limit = memory_error(request);
        limit.stack = error.stack.map(bounded);
        return limit;
    }
    RunError {
        phase,
        kind,
        name: error.name.map(bounded),
        message: bounded(error.message),
        stack: error.stack.map(bounded),
        line: error.line,
        column: error.column,
    }
}

fn parse_result(request: &RunRequest, json: Option<String>) -> Result<serde_json::Value, RunError> {
    let Some(json) = json else {
        return Ok(serde_json::Value::Null);
    };
    if json.len() > request.limits.result_bytes as usize {
        return Err(RunError::new(
            Phase::Serialise,
            ErrorKind::OutputLimit,
            format!(
                "the JSON result is larger than the {}-byte limit",
                request.limits.result_bytes
            ),
        ));
    }
    serde_json::from_str(&json).map_err(|e| {
        RunError::new(
            Phase::Serialise,
            ErrorKind::Unserialisable,
            format!("the result is not usable JSON: {e}"),
        )
    })
}

/// A Store holding `state`, with the memory limiter and the epoch callback
/// installed: what both a run's own Store and a warm spare's start from.
fn store_with(engine: &wasmtime::Engine, state: RunState) -> Store<RunState> {
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.memory);
    store.epoch_deadline_callback(|mut context| {
        if Instant::now() >= context.data().clock.deadline {
            context.data_mut().clock.timed_out = true;
            return Err(Trap::Interrupt.into());
        }
        Ok(UpdateDeadline::Yield(1))
    });
    store
}

impl crate::spares::Factory {
    /// A blank Store of this engine for a spare: no fuel, and a deadline
    /// already past, until [`Engine::arm_store`] gives it the run's.
    pub(crate) fn blank_store(&self) -> Store<RunState> {
        store_with(&self.engine, RunState::blank())
    }
}
