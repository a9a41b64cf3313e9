//! `isobox run FILE`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use isobox::{CodeForm, Engine, RunRequest};

use crate::{exit, render};

#[derive(Args)]
pub struct RunArgs {
    /// The JS file to run, or `-` to read the code from stdin.
    #[arg(required_unless_present = "bundle")]
    file: Option<String>,
    /// Run a bundle `isobox bundle` wrote (its entry, modules and
    /// packages) instead of FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "file")]
    bundle: Option<PathBuf>,
    /// The input as JSON, given to the code as `input`.
    #[arg(long, value_name = "JSON")]
    input: Option<String>,
    /// How to read the code.
    #[arg(long, value_enum, default_value_t = Form::Auto)]
    form: Form,
    /// The language: `auto` is TypeScript for .ts/.mts/.cts files.
    #[arg(long, value_enum, default_value_t = LangArg::Auto)]
    lang: LangArg,
    /// Print the whole outcome (value or error, logs, stats) as JSON.
    #[arg(long)]
    json: bool,
    /// Run the code this many times, each in a brand-new sandbox, and print
    /// one line per run and the timings.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    repeat: u32,
    #[command(flatten)]
    journal: crate::journal_flags::JournalArgs,
    #[command(flatten)]
    modules: crate::module_flags::ModuleArgs,
    #[command(flatten)]
    sandbox: crate::run_flags::SandboxArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LangArg {
    Auto,
    Js,
    Ts,
}

#[derive(Clone, Copy, ValueEnum)]
enum Form {
    Auto,
    Module,
    Script,
}

pub async fn run(args: RunArgs) -> ExitCode {
    let (engine, request) = match engine_and_request(&args).await {
        Ok(both) => both,
        Err(code) => return code,
    };
    let usage = |message: String| exit::fail(exit::USAGE, &message);
    let mode = match args.journal.mode() {
        Ok(mode) => mode,
        Err(message) => return usage(message),
    };
    let request = match args.journal.approvals() {
        Ok(approvals) => request.with_approvals(approvals),
        Err(message) => return usage(message),
    };
    let cassette = match args.journal.cassette() {
        Ok(cassette) => cassette,
        Err(message) => return usage(message),
    };
    let request = match &cassette {
        Some(cassette) => request.with_cassette(cassette.clone()),
        None => request,
    };
    if args.repeat > 1 {
        if !matches!(mode, crate::journal_flags::Mode::Plain) || cassette.is_some() {
            return usage("--repeat runs a plain run: it takes no journal or cassette flags".into());
        }
        return repeat(&engine, request, args.repeat, args.json).await;
    }
    let outcome = match mode {
        crate::journal_flags::Mode::Plain => engine.run(request).await,
        crate::journal_flags::Mode::Journaled { start, write } => {
            let journaled = engine.run_journaled(request, start).await;
            if let Some(path) = write {
                let text = match serde_json::to_string(&journaled.journal) {
                    Ok(text) => text,
                    Err(error) => return exit::fail(exit::INTERNAL, &format!("cannot write the journal: {error}")),
                };
                if let Err(message) = crate::journal_flags::write_atomically(&path, &text) {
                    return exit::fail(exit::INTERNAL, &message);
                }
                for gate in journaled.pending() {
                    eprintln!("isobox: gate {} waits for approval: {}", gate.id, gate.describe());
                }
                if !journaled.pending().is_empty() {
                    eprintln!(
                        "isobox: the run is paused in {0}: run the same command with `--resume {0} --approve` (or `--reject REASON`) instead of --journal",
                        path.display()
                    );
                }
            }
            journaled.outcome
        }
    };
    crate::package_flags::finish_progress();
    if let (Some(cassette), Some(path)) = (&cassette, args.journal.cassette_path())
        && let Err(message) = crate::journal_flags::write_atomically(path, &cassette.to_json())
    {
        return exit::fail(exit::INTERNAL, &message);
    }
    if args.json {
        match serde_json::to_string_pretty(&outcome) {
            Ok(text) => outln!("{}", crate::terminal::stdout_json(&text)),
            Err(error) => return exit::fail(exit::INTERNAL, &format!("cannot write the outcome: {error}")),
        }
    } else {
        render::print(&outcome);
    }
    ExitCode::from(match &outcome.result {
        Ok(_) => exit::OK,
        Err(error) => exit::for_kind(error.kind),
    })
}

/// The engine and the request `args` ask for, as `run` builds them; for
/// `isobox dispatch`, which reuses every flag of `isobox run`.
pub(crate) async fn engine_and_request(args: &RunArgs) -> Result<(Engine, RunRequest), ExitCode> {
    let request = build_request(args).map_err(|message| exit::fail(exit::USAGE, &message))?;
    args.sandbox.engine_and_request(request, Some(1)).await
}

impl RunArgs {
    /// Whether `--json` was given.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    /// `--repeat`: how many fresh sandboxes to run the request in.
    pub(crate) fn repeat(&self) -> u32 {
        self.repeat
    }

    /// Whether `--input` was given.
    pub(crate) fn has_input(&self) -> bool {
        self.input.is_some()
    }
}

fn build_request(args: &RunArgs) -> Result<RunRequest, String> {
    if let Some(path) = &args.bundle {
        let mut request = bundle_request(path)?;
        request.form = match args.form {
            Form::Auto => CodeForm::Auto,
            Form::Module => CodeForm::Module,
            Form::Script => CodeForm::Script,
        };
        if let Some(input) = &args.input {
            request.input = Some(serde_json::from_str(input).map_err(|e| format!("--input is not valid JSON: {e}"))?);
        }
        return Ok(request);
    }
    let file = args.file.clone().unwrap_or_else(|| "-".into());
    let (bytes, filename, main) = if file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        (bytes, "stdin.js".to_owned(), None)
    } else {
        let path = PathBuf::from(&file);
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "main.js".into());
        (bytes, name, Some(path))
    };
    let mut request = RunRequest::from_utf8(bytes)
        .map_err(|e| format!("{file}: {e}"))?
        .with_filename(filename);
    request.form = match args.form {
        Form::Auto => CodeForm::Auto,
        Form::Module => CodeForm::Module,
        Form::Script => CodeForm::Script,
    };
    request.lang = match args.lang {
        LangArg::Auto => isobox::Lang::Auto,
        LangArg::Js => isobox::Lang::Js,
        LangArg::Ts => isobox::Lang::Ts,
    };
    if let Some(input) = &args.input {
        let value = serde_json::from_str(input).map_err(|e| format!("--input is not valid JSON: {e}"))?;
        request.input = Some(value);
    }
    args.modules.apply(request, main.as_deref())
}

/// The request of a bundle file: its entry as the code, its own modules,
/// its packages linked.
pub(crate) fn bundle_request(path: &std::path::Path) -> Result<RunRequest, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bundle = isobox_npm::Bundle::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let main = &bundle.modules[&bundle.main];
    let mut request = RunRequest::new(main.source.clone()).with_filename(bundle.main.clone());
    if let Some(jsx) = &bundle.jsx {
        request = request.with_jsx(jsx.clone());
    }
    for (name, module) in &bundle.modules {
        if *name == bundle.main {
            continue;
        }
        let source = match module.kind.as_str() {
            "json" => isobox::ModuleSource::Json(
                serde_json::from_str(&module.source).map_err(|e| format!("{}: module {name}: {e}", path.display()))?,
            ),
            "text" => isobox::ModuleSource::Text(module.source.clone()),
            _ => isobox::ModuleSource::Js(module.source.clone()),
        };
        request = request.with_module(name.clone(), source);
    }
    if let Some(linked) = bundle.linked() {
        let graph = linked
            .linked_modules()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        request = request.with_linked(graph);
    }
    Ok(request)
}

/// `--repeat N`: the same request in N fresh sandboxes, one line each.
async fn repeat(engine: &Engine, request: RunRequest, times: u32, json: bool) -> ExitCode {
    let mut wall_times = Vec::with_capacity(times as usize);
    let mut last = exit::OK;
    for index in 1..=times {
        let outcome = engine.run(request.clone()).await;
        wall_times.push(outcome.stats.wall_time_us);
        if json {
            let line = serde_json::to_string(&outcome).unwrap_or_default();
            outln!("{}", crate::terminal::stdout_json(&line));
        } else {
            let line = match &outcome.result {
                Ok(value) => format!("run {index}: {value}"),
                Err(error) => format!("run {index}: error [{}]: {}", error.kind, error.message),
            };
            outln!("{}", crate::terminal::stdout(&line));
        }
        last = match &outcome.result {
            Ok(_) => exit::OK,
            Err(error) => exit::for_kind(error.kind),
        };
    }
    if !json {
        eprintln!("{}", timing_line(times, wall_times, "runs"));
    }
    ExitCode::from(last)
}

/// `N runs, each in a fresh sandbox: p50 .. us, p99 .. us, max .. us`.
pub(crate) fn timing_line(times: u32, mut wall_times: Vec<u64>, what: &str) -> String {
    wall_times.sort_unstable();
    let at = |fraction: f64| {
        let index = ((wall_times.len() as f64 - 1.0) * fraction).round() as usize;
        wall_times.get(index).copied().unwrap_or(0)
    };
    format!(
        "{times} {what}, each in a fresh sandbox: p50 {} us, p99 {} us, max {} us (instantiate, run, tear down)",
        at(0.5),
        at(0.99),
        at(1.0)
    )
}
