//! Capability plugins: Wasm components, written in any language, that export
//! a capability's WIT interface. A plugin is compiled once; each run that
//! calls it gets its own instance (created on the first call, dropped with
//! the run), so a plugin keeps state within a run and never across runs or
//! tenants. Its calls run one at a time, in its own Store, under the run's
//! deadline, fuel budget and memory limit; WASI grants it nothing (no files,
//! no network, no environment), and `isobox:capability/context.props` tells
//! it the run's grant properties.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use wasmtime::component::{Component, ComponentExportIndex, Linker, ResourceTable, Val};
use wasmtime::{Store, Trap, UpdateDeadline};
use wasmtime_wasi::runtime::AbortOnDropJoinHandle;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::CapabilityError;
use crate::memory::MemoryLimiter;

/// A compiled plugin, ready to be instantiated per run.
#[derive(Clone)]
pub(crate) struct Plugin {
    inner: Arc<PluginInner>,
}

struct PluginInner {
    pre: wasmtime::component::InstancePre<PluginState>,
    /// Its functions, by WIT name.
    functions: Vec<(String, ComponentExportIndex)>,
}

/// Limits a plugin instance runs under: the run's.
#[derive(Clone, Copy)]
pub(crate) struct PluginLimits {
    pub deadline: Instant,
    pub fuel: Option<u64>,
    pub memory_bytes: u64,
}

impl Plugin {
    /// Compiles the component at `path` for `engine` and checks that it
    /// exports `interface` (e.g. `isobox:text/analyze@0.1.0`) with every
    /// function in `functions`.
    pub fn load(
        engine: &wasmtime::Engine,
        path: &Path,
        interface: &str,
        functions: &[String],
    ) -> Result<Plugin, CapabilityError> {
        let bytes =
            std::fs::read(path).map_err(|e| CapabilityError::new(format!("cannot read {}: {e}", path.display())))?;
        Self::from_bytes(engine, &bytes, &path.display().to_string(), interface, functions)
    }

    /// As [`load`](Plugin::load), for the component's bytes; `name` is what
    /// errors call it.
    pub fn from_bytes(
        engine: &wasmtime::Engine,
        bytes: &[u8],
        name: &str,
        interface: &str,
        functions: &[String],
    ) -> Result<Plugin, CapabilityError> {
        let component = Component::new(engine, bytes)
            .map_err(|e| CapabilityError::new(format!("{name} is not a usable Wasm component: {}", first_line(&e))))?;
        let mut linker: Linker<PluginState> = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| CapabilityError::new(format!("linking WASI for {name}: {}", first_line(&e))))?;
        linker
            .root()
            .instance("isobox:capability/context@0.1.0")
            .and_then(|mut context| {
                context.func_wrap("props", |store: wasmtime::StoreContextMut<'_, PluginState>, (): ()| {
                    Ok((store.data().props.to_string(),))
                })
            })
            .map_err(|e| CapabilityError::new(format!("linking the context for {name}: {}", first_line(&e))))?;
        let pre = linker.instantiate_pre(&component).map_err(|e| {
            CapabilityError::new(format!(
                "{name} imports something isobox cannot give it (only WASI and isobox:capability/context): {}",
                first_line(&e)
            ))
        })?;
        let export = component
            .get_export_index(None, interface)
            .ok_or_else(|| CapabilityError::new(format!("{name} does not export the interface {interface}")))?;
        let mut found = Vec::with_capacity(functions.len());
        for function in functions {
            let index = component.get_export_index(Some(&export), function).ok_or_else(|| {
                CapabilityError::new(format!("{name} exports {interface} without its function {function}"))
            })?;
            found.push((function.clone(), index));
        }
        Ok(Plugin {
            inner: Arc::new(PluginInner { pre, functions: found }),
        })
    }

    /// Starts an instance for one run: a task that owns the Store and
    /// serves calls one at a time. It ends when the handle is dropped.
    pub fn start(&self, props: Arc<serde_json::Value>, limits: PluginLimits) -> PluginInstance {
        let (sender, receiver) = mpsc::unbounded_channel();
        let plugin = self.clone();
        let task = wasmtime_wasi::runtime::spawn(async move { plugin.serve(props, limits, receiver).await });
        PluginInstance { sender, _task: task }
    }

    async fn serve(
        self,
        props: Arc<serde_json::Value>,
        limits: PluginLimits,
        mut calls: mpsc::UnboundedReceiver<Call>,
    ) {
        let engine = self.inner.pre.engine().clone();
        let mut store = Store::new(
            &engine,
            PluginState {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
                props,
                memory: MemoryLimiter::new(limits.memory_bytes),
            },
        );
        store.limiter(|state| &mut state.memory);
        if let Some(fuel) = limits.fuel {
            let _ = store.set_fuel(fuel);
        }
        let deadline = limits.deadline;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                return Err(Trap::Interrupt.into());
            }
            Ok(UpdateDeadline::Yield(1))
        });
        let instance = match self.inner.pre.instantiate_async(&mut store).await {
            Ok(instance) => Ok(instance),
            Err(error) => Err(format!("the plugin could not start: {}", first_line(&error))),
        };
        // A trap leaves a component instance unusable: later calls of the
        // run fail at once with the first failure's reason.
        let (instance, mut dead) = match instance {
            Ok(instance) => (Some(instance), None),
            Err(message) => (None, Some(message)),
        };
        while let Some(call) = calls.recv().await {
            let result = match (&dead, &instance) {
                (None, Some(instance)) => self.call(&mut store, instance, &call.function, &call.args).await,
                (Some(reason), _) => Err(CapabilityError::new(format!("the plugin stopped earlier: {reason}"))),
                (None, None) => Err(CapabilityError::new("the plugin did not start")),
            };
            if let Err(error) = &result
                && dead.is_none()
                && error.trapped
            {
                dead = Some(error.message.clone());
            }
            let _ = call.reply.send(result);
        }
    }

    async fn call(
        &self,
        store: &mut Store<PluginState>,
        instance: &wasmtime::component::Instance,
        function: &str,
        args: &[Val],
    ) -> Result<Option<Val>, CapabilityError> {
        let Some((_, index)) = self.inner.functions.iter().find(|(name, _)| name == function) else {
            return Err(CapabilityError::new(format!("the plugin has no function {function}")));
        };
        let Some(func) = instance.get_func(&mut *store, index) else {
            return Err(CapabilityError::new(format!("the plugin has no function {function}")));
        };
        let results_len = func.ty(&*store).results().len();
        let mut results = vec![Val::Bool(false); results_len];
        match func.call_async(&mut *store, args, &mut results).await {
            Ok(()) => Ok(results.into_iter().next()),
            Err(error) => Err(describe_trap(store, &error)),
        }
    }
}

fn describe_trap(store: &Store<PluginState>, error: &wasmtime::Error) -> CapabilityError {
    if store.data().memory.hit {
        let mut error = CapabilityError::new("the plugin reached the run's memory limit");
        error.trapped = true;
        return error;
    }
    let mut error = match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CapabilityError::new("the plugin ran past the run's wall-clock limit"),
        Some(Trap::OutOfFuel) => CapabilityError::new("the plugin used up the run's fuel"),
        Some(trap) => CapabilityError::new(format!("the plugin trapped: {trap}")),
        None => CapabilityError::new(format!("the plugin failed: {}", first_line(error))),
    };
    error.trapped = true;
    error
}

fn first_line(error: &wasmtime::Error) -> String {
    let text = format!("{error:#}");
    text.lines().next().unwrap_or_default().chars().take(300).collect()
}

/// One run's instance of a plugin.
pub(crate) struct PluginInstance {
    sender: mpsc::UnboundedSender<Call>,
    _task: AbortOnDropJoinHandle<()>,
}

struct Call {
    function: String,
    args: Vec<Val>,
    reply: oneshot::Sender<Result<Option<Val>, CapabilityError>>,
}

impl PluginInstance {
    /// Calls `function`; waits for the instance's earlier calls first.
    pub async fn call(&self, function: String, args: Vec<Val>) -> Result<Option<Val>, CapabilityError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Call { function, args, reply })
            .map_err(|_| CapabilityError::new("the plugin stopped after an earlier failure"))?;
        answer
            .await
            .unwrap_or_else(|_| Err(CapabilityError::new("the plugin stopped after an earlier failure")))
    }
}

/// A plugin Store's state.
struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    props: Arc<serde_json::Value>,
    memory: MemoryLimiter,
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
