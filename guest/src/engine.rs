//! The one QuickJS runtime and context of an instance, and the run itself.

use std::cell::RefCell;

use rquickjs::allocator::RustAllocator;
use rquickjs::{Context, Ctx, Function, Object, Runtime, Value, qjs};

use crate::bindings::isobox::sandbox::compile_cache;
use crate::bindings::isobox::sandbox::types::{ErrorKind, GuestError, Phase, RunRequest};
use crate::failure::Failure;
use crate::{bridge, console, eval, event_loop, fetch, modules, platform, random, rejections, result, timers, web};

struct JsEngine {
    // The runtime must outlive the context; both live as long as the instance.
    _runtime: Runtime,
    context: Context,
}

/// The JS stack limit while the built-ins are installed.
const INIT_STACK_BYTES: usize = 256 * 1024;

thread_local! {
    static ENGINE: RefCell<Option<JsEngine>> = const { RefCell::new(None) };
}

/// Creates the runtime, the context and the built-ins, once.
pub fn initialise() {
    ENGINE.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            // Without an engine the sandbox cannot do anything: a trap here
            // fails the snapshot (or the run), which the host reports.
            *slot = Some(JsEngine::new().expect("creating the QuickJS runtime and context"));
            #[cfg(target_arch = "wasm32")]
            crate::heap::take_holes();
        }
    });
}

impl JsEngine {
    fn new() -> rquickjs::Result<Self> {
        // The Rust allocator reports usable sizes to QuickJS and returns null
        // (a JS "out of memory" error) when linear memory cannot grow.
        let runtime = Runtime::new_with_alloc(RustAllocator)?;
        // QuickJS's default (1 MiB) is the whole shadow stack: measured from
        // a stack top inside it, the limit would wrap below address 0 and
        // every call would overflow. `run` arms the per-run limit.
        runtime.set_max_stack_size(INIT_STACK_BYTES);
        modules::install(&runtime);
        rejections::install(&runtime);
        let context = Context::full(&runtime)?;
        context.with(|ctx| -> rquickjs::Result<()> {
            let installed = console::install(&ctx)
                .and_then(|()| timers::install(&ctx))
                .and_then(|()| web::install(&ctx))
                .and_then(|()| platform::install(&ctx))
                // blob.rs's hooks, for fetch's Blob and FormData bodies;
                // fetch's parts for the worker glue.
                .and_then(|bodies| fetch::install(&ctx, &bodies))
                .and_then(|worker_parts| {
                    bridge::install(&ctx)?;
                    crate::worker::install(&ctx, worker_parts)
                })
                .and_then(|()| {
                    // `input` and `env` exist from the start, so a run only
                    // replaces their values instead of growing the global object.
                    ctx.globals().set("input", Value::new_null(ctx.clone()))?;
                    ctx.globals().set("env", Value::new_null(ctx.clone()))?;
                    let math: Object = ctx.globals().get("Math")?;
                    math.set(
                        "random",
                        Function::new(ctx.clone(), random::next_f64)?.with_name("random")?,
                    )
                });
            if let Err(rquickjs::Error::Exception) = installed {
                let exception = ctx.catch();
                let text = exception
                    .as_exception()
                    .map(|e| format!("{}: {}", e.message().unwrap_or_default(), e.stack().unwrap_or_default()));
                panic!("installing the built-ins threw: {text:?} {exception:?}");
            }
            installed
        })?;
        // Collect the garbage of initialisation now, so no run frees (and
        // so dirties) snapshot pages on its behalf.
        runtime.run_gc();
        Ok(JsEngine {
            _runtime: runtime,
            context,
        })
    }
}

/// Evaluates built-in JS (at wizer time) under its own file name, so stack
/// frames inside it read `isobox:web` rather than an anonymous script.
pub fn eval_prelude<'js>(ctx: &Ctx<'js>, name: &str, source: &str) -> rquickjs::Result<Function<'js>> {
    let value = eval::eval_named(ctx, source, name).map_err(|_| rquickjs::Error::Exception)?;
    value.into_function().ok_or(rquickjs::Error::Exception)
}

/// Runs one request. The instance is not used again afterwards.
#[cfg_attr(feature = "proxy", allow(dead_code))]
pub fn run(mut request: RunRequest) -> Result<Option<String>, GuestError> {
    initialise();
    random::seed(request.random_seed);
    modules::set(
        std::mem::take(&mut request.modules),
        &request.filename,
        std::mem::take(&mut request.entry_imports),
    );
    ENGINE.with(|slot| {
        let slot = slot.borrow();
        // `initialise` above filled the slot or trapped.
        let engine = slot.as_ref().expect("engine initialised");
        engine.context.with(|ctx| {
            arm_stack_limit(&ctx, request.max_stack_bytes);
            crate::fetch::set_max_header_bytes(request.max_header_bytes);
            web::start_run();
            let outcome = run_in(&ctx, &request);
            rejections::report(&ctx);
            outcome.map_err(Failure::into_guest_error)
        })
    })
}

/// Calls `f` with the instance's context (the engine is created first if
/// need be): what a built app's init and requests run in.
#[cfg(feature = "proxy")]
pub fn with_context<R>(f: impl FnOnce(&Ctx<'_>) -> R) -> R {
    initialise();
    ENGINE.with(|slot| {
        let slot = slot.borrow();
        // `initialise` above filled the slot or trapped.
        let engine = slot.as_ref().expect("engine initialised");
        engine.context.with(|ctx| f(&ctx))
    })
}

/// Measures the stack from here: QuickJS throws a RangeError once a call
/// would take it more than `max_bytes` below this point.
pub fn arm_stack_limit(ctx: &Ctx<'_>, max_bytes: u32) {
    // SAFETY: the runtime pointer comes from a live context; both calls only
    // write the runtime's stack fields.
    unsafe {
        let runtime = qjs::JS_GetRuntime(ctx.as_raw().as_ptr());
        qjs::JS_UpdateStackTop(runtime);
        qjs::JS_SetMaxStackSize(runtime, max_bytes as _);
    }
}

fn run_in(ctx: &Ctx<'_>, request: &RunRequest) -> Result<Option<String>, Failure> {
    // First, before any JS of the run: the host's resolved modules, whose
    // bytecode the host may keep until `seal`.
    modules::load_eager(ctx, request.keep_compiled)?;
    let input = ctx.json_parse(request.input_json.as_str()).map_err(|_| {
        let _ = ctx.catch();
        Failure::new(Phase::Run, ErrorKind::InvalidInput, None, "the input is not valid JSON")
    })?;
    let env = bridge::make_env(ctx, &request.bindings).map_err(|_| Failure::from_pending(ctx, Phase::Run))?;
    let globals = ctx.globals();
    globals
        .set("input", input.clone())
        .and_then(|()| globals.set("env", env.clone()))
        .map_err(|_| Failure::from_pending(ctx, Phase::Run))?;

    let form = match &request.compiled {
        Some(compiled) => eval::from_bytecode(ctx, compiled, &request.filename)?,
        None => {
            let (form, chose_reading) =
                modules::watch_readings(|| eval::compile(ctx, &request.code, &request.filename, request.form));
            let form = form?;
            // Offered before any of the code runs, so the bytes are the
            // compiler's own, whatever the code later does; not when an
            // import's attribute chose a reading, which bytecode loses.
            if request.keep_compiled
                && !chose_reading
                && let Some(compiled) = eval::to_bytecode(ctx, &form)
            {
                compile_cache::keep(&compiled);
            }
            form
        }
    };
    if let Some(http) = &request.http {
        return crate::worker::run(ctx, form, env, http, request.max_result_bytes);
    }
    let evaluation = eval::evaluate(ctx, form, input.clone(), env.clone())?;
    let mut value = settle(ctx, evaluation.value)?;
    if let Some(completion) = evaluation.script {
        if completion == eval::Completion::Record {
            value = match value.as_object() {
                Some(record) => record
                    .get("value")
                    .map_err(|_| Failure::from_pending(ctx, Phase::Run))?,
                None => Value::new_undefined(ctx.clone()),
            };
        }
        // A script whose last statement is a promise (`fetch(u).then(...)`)
        // gives what the promise settles to.
        value = settle(ctx, value)?;
        // A lone function the expression form could not parse (a `;` and
        // a comment after it) is still the entry point.
        if let Some(function) = value
            .as_function()
            .filter(|f| eval::is_lone_function(ctx, &request.code, f))
        {
            value = settle(ctx, eval::call_entry(ctx, function, input, env)?)?;
        }
    }
    result::serialise(ctx, value, request.max_result_bytes)
}

/// Drives the job queue until `value` (if it is a promise) settles, and
/// returns what it settled to.
pub fn settle<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<Value<'js>, Failure> {
    let Some(promise) = value.as_promise().cloned() else {
        return Ok(value);
    };
    loop {
        if let Some(outcome) = promise.result::<Value>() {
            // The sandbox handles this promise: its rejection is the run's
            // error, not an unhandled rejection. No handler is attached (user
            // code could observe a `.then` call), the tracker forgets it.
            rejections::forget(promise.as_value());
            return outcome.map_err(|_| Failure::from_pending(ctx, Phase::Run));
        }
        if run_one_job(ctx)? {
            continue;
        }
        if event_loop::has_work() {
            event_loop::wait_and_dispatch(ctx);
            continue;
        }
        return Err(Failure::new(
            Phase::Run,
            ErrorKind::Unsettled,
            None,
            "the result promise never settled: no job or timer is left that could settle it \
             (a promise whose resolve is never called?)",
        ));
    }
}

/// Runs one pending job; false when there was none.
fn run_one_job(ctx: &Ctx<'_>) -> Result<bool, Failure> {
    let mut job_ctx = std::ptr::null_mut();
    // SAFETY: the runtime pointer comes from a live context, and `job_ctx` is
    // a valid out-pointer; on an exception it names the job's context, which
    // is this one (the sandbox has a single context).
    let status = unsafe {
        let runtime = qjs::JS_GetRuntime(ctx.as_raw().as_ptr());
        qjs::JS_ExecutePendingJob(runtime, &mut job_ctx)
    };
    if status < 0 {
        return Err(Failure::from_pending(ctx, Phase::Run));
    }
    Ok(status > 0)
}
