//! `isobox build`: a Workers-style module made into a standalone component
//! for the `wasi:http/proxy` world, which any wasi:http host runs
//! (`wasmtime serve app.wasm`, Spin, wasmCloud).
//!
//! The app guest (the sandbox's engine built with its `proxy` feature,
//! guest/src/app.rs) is initialised by wizer with the app's code already
//! evaluated: a request starts from the initialised module and calls its
//! `fetch` handler. The app's outbound `fetch` uses
//! `wasi:http/outgoing-handler`, so the deploying host's egress controls
//! apply; it has no isobox capability (`env` is empty) and no isobox limit
//! (the host's apply).

mod imports;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use wasmtime::component::Linker;
use wasmtime::{Engine, Store};
use wasmtime_wizer::Wizer;

use crate::bindings::GuestModuleKind;
use crate::outcome::{ErrorKind, Phase, RunError};
use crate::sandbox::RunState;
use crate::{Lang, RunRequest};

pub use imports::PROXY_IMPORTS;

/// The app guest as built (not yet initialised).
const APP_COMPONENT: &[u8] = include_bytes!(env!("ISOBOX_APP_WASM"));

/// Why an app could not be built. Messages say what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The source was refused before any Wasm ran (empty, oversized, a bad
    /// module map, TypeScript that cannot be stripped).
    #[error("{0}")]
    Input(RunError),
    /// The app's code failed at build time: it did not parse, threw while
    /// its top level ran, has no `fetch` handler, or hit a build limit.
    #[error("the app failed at build time: {}", describe(.0))]
    App(RunError),
    /// The component imports something the `wasi:http/proxy` world lacks.
    #[error(
        "the component imports {}, which the wasi:http/proxy world does not offer: a wasi:http host could not run it",
        .0.join(", ")
    )]
    Imports(Vec<String>),
    /// Wizer or wasmtime failed (a bug, or the machine is out of memory).
    #[error("initialising the app component failed: {0}")]
    Snapshot(String),
}

fn describe(error: &RunError) -> String {
    let mut text = String::new();
    if let (Some(line), Some(column)) = (error.line, error.column) {
        text.push_str(&format!("line {line}, column {column}: "));
    }
    if let Some(name) = &error.name {
        text.push_str(name);
        text.push_str(": ");
    }
    text.push_str(&error.message);
    if let Some(stack) = error.stack.as_deref().filter(|s| !s.trim().is_empty()) {
        text.push('\n');
        text.push_str(stack.trim_end());
    }
    text
}

/// A built app.
#[derive(Clone, Debug)]
pub struct BuiltApp {
    /// The component's bytes: what to write to `app.wasm`.
    pub component: Vec<u8>,
    /// The interfaces it imports (all within `wasi:http/proxy`).
    pub imports: Vec<String>,
}

/// Builds `request`'s code (an ES module whose default export has
/// `fetch(request, env, ctx)`; `request.modules`, TypeScript and JSX as for
/// a run) into a `wasi:http/proxy` component. npm packages come in as a
/// linked graph ([`RunRequest::with_linked`], or the request's
/// dependencies linked first by
/// [`link_dependencies`](crate::link_dependencies)): their
/// modules are built into the component, each resolving its imports
/// through the host's table. The app's top level runs now,
/// under `request.limits.wall_time` and `memory_bytes`, with no network;
/// `console` output goes to stderr. Must be called within a tokio runtime.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), isobox::app::BuildError> {
/// let code = "export default { fetch: () => new Response('hello') }";
/// let app = isobox::app::build_app(isobox::RunRequest::new(code)).await?;
/// std::fs::write("app.wasm", &app.component).expect("writing app.wasm");
/// # Ok(()) }
/// ```
///
/// # Errors
/// A [`BuildError`]: the JS error with its line for code that fails, a
/// clear message for a module without a `fetch` handler, the offending
/// imports for a component a wasi:http host could not run.
pub async fn build_app(request: RunRequest) -> Result<BuiltApp, BuildError> {
    build_app_with_assets(request, None).await
}

/// Static files a built app answers itself, before its code runs: the
/// rules of the `isobox-assets` crate (content types, strong ETags and
/// 304s, ranges, precompressed `.br`/`.gz` variants, HTML handling and
/// not-found handling), compiled into the app's component.
#[derive(Clone, Debug, Default)]
pub struct AppAssets {
    /// The files by relative path (`index.html`, `assets/app.3f9a1c2b.js`),
    /// as `isobox_assets::Assets::read_dir_files` reads a directory.
    pub files: Vec<(String, bytes::Bytes)>,
    /// Workers' `html_handling`: `auto-trailing-slash` (the default when
    /// empty), `force-trailing-slash`, `drop-trailing-slash` or `none`.
    pub html_handling: String,
    /// Workers' `not_found_handling`: `none` (the default when empty),
    /// `404-page` or `single-page-application`.
    pub not_found: String,
}

/// [`build_app`], with static `assets` the component serves before the
/// app's `fetch` runs (a GET or HEAD whose path names a file never reaches
/// the JS).
///
/// # Errors
/// As [`build_app`]; a bad asset path or option is a [`BuildError::Input`]
/// or, when the guest refuses it, a [`BuildError::App`].
pub async fn build_app_with_assets(mut request: RunRequest, assets: Option<AppAssets>) -> Result<BuiltApp, BuildError> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(BuildError::Snapshot(
            "build_app must be called within a tokio runtime (it runs the snapshot on a task)".into(),
        ));
    }
    let mut bundle = bundle(&mut request, assets.as_ref()).map_err(BuildError::Input)?;
    if let Some(assets) = &assets {
        append_assets(&mut bundle, assets);
    }
    let component = initialise(&request, bundle).await?;
    let imports = imports::check(&component)?;
    Ok(BuiltApp { component, imports })
}

/// The JSON the app guest reads at init: the code, its name and modules,
/// with the linked graph's modules (npm packages) and the host's
/// resolution of their specifiers.
fn bundle(request: &mut RunRequest, assets: Option<&AppAssets>) -> Result<Vec<u8>, RunError> {
    crate::checks::check_request(
        request,
        crate::config::DEFAULT_MAX_MEMORY_BYTES,
        crate::checks::Purpose::App,
    )?;
    if !request.dependencies.is_empty() && request.linked.is_none() {
        return Err(RunError::new(
            Phase::Input,
            ErrorKind::Dependencies,
            "the app's dependencies are not linked: call isobox::link_dependencies before build_app",
        ));
    }
    let main = request.filename.clone();
    let linked = request.linked.take();
    let mut modules = crate::modules::take_modules(request, &main)?;
    let entry_imports = match &linked {
        Some(graph) => crate::linked::attach(graph, &mut modules, &main, None)?.0,
        None => Vec::new(),
    };
    let code = if crate::typescript::is_jsx_name(&main) {
        crate::typescript::compile_jsx(&request.code, &main, &request.jsx)?
    } else if request.lang.is_typescript(&main) || request.lang == Lang::Ts {
        crate::typescript::strip(&request.code, &main)?
    } else {
        request.code.clone()
    };
    let modules: Vec<serde_json::Value> = modules
        .into_iter()
        .map(|module| {
            let kind = match module.kind {
                GuestModuleKind::Js => "js",
                GuestModuleKind::Json => "json",
                GuestModuleKind::Text => "text",
            };
            serde_json::json!({
                "name": module.name,
                "kind": kind,
                "source": module.source,
                "linked": module.eager,
                "imports": module.imports,
            })
        })
        .collect();
    let mut bundle = serde_json::json!({
        "filename": main,
        "code": code,
        "modules": modules,
        "entry_imports": entry_imports,
    });
    if let Some(assets) = assets {
        if let Some((path, _)) = assets.files.iter().find(|(path, _)| path.contains('\0')) {
            return Err(RunError::new(
                Phase::Input,
                ErrorKind::InvalidInput,
                format!("asset path {:?} has a NUL", crate::text::bounded(path.clone())),
            ));
        }
        bundle["assets"] = serde_json::json!({
            "html_handling": assets.html_handling,
            "not_found": assets.not_found,
            "count": assets.files.len(),
        });
    }
    Ok(bundle.to_string().into_bytes())
}

/// The assets after the JSON: a NUL (JSON text has none), then per file
/// its path's length (u32, little-endian), the path, its body's length
/// (u64, little-endian) and the body.
fn append_assets(bundle: &mut Vec<u8>, assets: &AppAssets) {
    bundle.push(0);
    for (path, body) in &assets.files {
        bundle.extend_from_slice(&(path.len() as u32).to_le_bytes());
        bundle.extend_from_slice(path.as_bytes());
        bundle.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bundle.extend_from_slice(body);
    }
}

/// What the app guest's init writes to stdout.
#[derive(Deserialize)]
struct InitReport {
    ok: bool,
    #[serde(default)]
    phase: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    stack: Option<String>,
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    column: Option<u32>,
}

/// Runs the app guest's `wizer-initialize` on `bundle` and returns the
/// initialised component.
async fn initialise(request: &RunRequest, bundle: Vec<u8>) -> Result<Vec<u8>, BuildError> {
    let snapshot = |e: wasmtime::Error| BuildError::Snapshot(format!("{e:#}"));
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config).map_err(snapshot)?;
    let stdout = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 20);
    let mut store = Store::new(
        &engine,
        RunState::for_app_build(bundle, stdout.clone(), request.limits.memory_bytes),
    );
    store.limiter(|state| &mut state.memory);
    store.set_epoch_deadline(1);
    let mut linker: Linker<RunState> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(snapshot)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(snapshot)?;
    crate::sandbox::add_to_linker(&mut linker).map_err(snapshot)?;

    // The wall-clock limit of the app's top level: from instantiation until
    // the guest writes its report, a thread ends the epoch at the deadline.
    let timed_out = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let wall_time = request.limits.wall_time;
    let watch = {
        let (engine, stdout, timed_out, finished) =
            (engine.clone(), stdout.clone(), timed_out.clone(), finished.clone());
        move || {
            let deadline = Instant::now() + wall_time;
            std::thread::spawn(move || {
                while !finished.load(Ordering::Acquire) && stdout.contents().is_empty() {
                    if Instant::now() >= deadline {
                        timed_out.store(true, Ordering::Release);
                        engine.increment_epoch();
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        }
    };
    // Wizer unwraps the calls that read the snapshot: a deadline in the
    // few instructions after the report would panic, which the task catches.
    let task = tokio::spawn(async move {
        let mut wizer = Wizer::new();
        wizer.init_func("wizer-initialize").keep_init_func(true);
        let mut watchdog = None;
        let initialised = wizer
            .run_component(&mut store, APP_COMPONENT, async |store, component| {
                watchdog = Some(watch());
                linker.instantiate_async(store, component).await
            })
            .await;
        (initialised, store.data().memory.hit, watchdog)
    });
    let (initialised, memory_hit) = match task.await {
        Ok((initialised, memory_hit, watchdog)) => {
            finished.store(true, Ordering::Release);
            if let Some(watchdog) = watchdog {
                let _ = watchdog.join();
            }
            (initialised, memory_hit)
        }
        Err(_) => {
            finished.store(true, Ordering::Release);
            let error = wasmtime::Error::msg("the snapshot was interrupted");
            (Err(error), false)
        }
    };
    let report = stdout.contents();
    let report: Option<InitReport> = std::str::from_utf8(&report)
        .ok()
        .and_then(|text| text.lines().next())
        .and_then(|line| serde_json::from_str(line).ok());
    match (initialised, report) {
        (Ok((component, _)), Some(report)) if report.ok => Ok(component),
        (_, Some(report)) if !report.ok => Err(BuildError::App(report_error(report))),
        (Err(_), _) if timed_out.load(Ordering::Acquire) => Err(BuildError::App(RunError::new(
            Phase::Run,
            ErrorKind::Timeout,
            format!(
                "the app's top-level code ran past the build's wall-clock limit of {} ms",
                request.limits.wall_time.as_millis()
            ),
        ))),
        (Err(_), _) if memory_hit => Err(BuildError::App(RunError::new(
            Phase::Run,
            ErrorKind::MemoryLimit,
            format!(
                "the app's top-level code reached the build's memory limit of {} bytes",
                request.limits.memory_bytes
            ),
        ))),
        (Err(error), _) => Err(snapshot(error)),
        (Ok(_), _) => Err(BuildError::Snapshot(
            "the app guest did not report its initialisation".into(),
        )),
    }
}

/// The init report's error as a [`RunError`], kinds named as for a run.
fn report_error(report: InitReport) -> RunError {
    let phase = match report.phase.as_deref() {
        Some("compile") => Phase::Compile,
        Some("serialise") => Phase::Serialise,
        _ => Phase::Run,
    };
    let kind = match report.kind.as_deref() {
        Some("js-error") if phase == Phase::Compile && report.name.as_deref() == Some("SyntaxError") => {
            ErrorKind::SyntaxError
        }
        Some("stack-overflow") => ErrorKind::StackOverflow,
        Some("out-of-memory") => ErrorKind::MemoryLimit,
        Some("unsettled") => ErrorKind::Unsettled,
        Some("invalid-input") => ErrorKind::InvalidInput,
        _ => ErrorKind::JsError,
    };
    let bound = |text: String| {
        let mut text = text;
        crate::text::truncate(&mut text, 16 * 1024, "… (truncated)");
        text
    };
    RunError {
        phase,
        kind,
        name: report.name.map(bound),
        message: bound(report.message.unwrap_or_default()),
        stack: report.stack.map(bound),
        line: report.line,
        column: report.column,
    }
}
