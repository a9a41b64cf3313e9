//! `isobox run FILE`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use isobox::{CacheDir, CodeForm, Engine, Limits, RunRequest};

use crate::{exit, render};

#[derive(Args)]
pub struct RunArgs {
    /// The JS file to run, or `-` to read the code from stdin.
    file: String,
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
    /// Wall-clock limit in milliseconds [default: 5000].
    #[arg(long, value_name = "MS")]
    wall_time_ms: Option<u64>,
    /// Fuel (CPU) budget, about one unit per Wasm instruction [default: 10000000000].
    #[arg(long, value_name = "UNITS")]
    fuel: Option<u64>,
    /// Memory limit in MiB [default: 64].
    #[arg(long, value_name = "MIB")]
    memory_mib: Option<u64>,
    /// JS stack limit in KiB [default: 256].
    #[arg(long, value_name = "KIB")]
    stack_kib: Option<u32>,
    /// Largest JSON result in bytes [default: 1048576].
    #[arg(long, value_name = "BYTES")]
    max_result_bytes: Option<u32>,
    /// Console bytes kept [default: 65536].
    #[arg(long, value_name = "BYTES")]
    max_log_bytes: Option<u32>,
    /// Console lines kept [default: 1000].
    #[arg(long, value_name = "LINES")]
    max_log_lines: Option<u32>,
    /// Largest code in bytes [default: 1048576].
    #[arg(long, value_name = "BYTES")]
    max_code_bytes: Option<u32>,
    /// Directory for the compiled-snapshot cache [default: ~/.cache/isobox].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the compiled-snapshot cache.
    #[arg(long)]
    no_cache: bool,
    /// Let fetch() reach HOST[:PORT] (repeatable): a name, `*.example.com`,
    /// an IP or `[IPv6]`. Without this or --policy, every request is refused.
    #[arg(long, value_name = "HOST[:PORT]")]
    allow_net: Vec<String>,
    /// An egress policy file (TOML: allow/deny rules, credentials, direct
    /// responses, limits); --allow-net adds to it.
    #[arg(long, value_name = "FILE.toml")]
    policy: Option<PathBuf>,
    #[command(flatten)]
    grants: crate::grants::GrantArgs,
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
    let request = match build_request(&args) {
        Ok(request) => request,
        Err(message) => return exit::fail(exit::USAGE, &message),
    };
    let cache = match (&args.cache_dir, args.no_cache) {
        (_, true) => CacheDir::Disabled,
        (Some(dir), false) => CacheDir::At(dir.clone()),
        (None, false) => CacheDir::Default,
    };
    let engine = match Engine::builder().max_concurrent_runs(1).cache_dir(cache).build().await {
        Ok(engine) => engine,
        Err(error) => return exit::fail(exit::INTERNAL, &error.to_string()),
    };
    let request = match args.grants.apply(&engine, request) {
        Ok(request) => request,
        Err(message) => return exit::fail(exit::USAGE, &message),
    };
    if args.repeat > 1 {
        return repeat(&engine, request, args.repeat, args.json).await;
    }
    let outcome = engine.run(request).await;
    if args.json {
        match serde_json::to_string_pretty(&outcome) {
            Ok(text) => outln!("{text}"),
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
    let cache = match (&args.cache_dir, args.no_cache) {
        (_, true) => CacheDir::Disabled,
        (Some(dir), false) => CacheDir::At(dir.clone()),
        (None, false) => CacheDir::Default,
    };
    let engine = Engine::builder()
        .max_concurrent_runs(1)
        .cache_dir(cache)
        .build()
        .await
        .map_err(|error| exit::fail(exit::INTERNAL, &error.to_string()))?;
    let request = args
        .grants
        .apply(&engine, request)
        .map_err(|message| exit::fail(exit::USAGE, &message))?;
    Ok((engine, request))
}

impl RunArgs {
    /// Whether `--json` was given.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    /// Whether `--input` was given.
    pub(crate) fn has_input(&self) -> bool {
        self.input.is_some()
    }
}

fn build_request(args: &RunArgs) -> Result<RunRequest, String> {
    let (bytes, filename) = if args.file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        (bytes, "stdin.js".to_owned())
    } else {
        let path = PathBuf::from(&args.file);
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "main.js".into());
        (bytes, name)
    };
    let mut request = RunRequest::from_utf8(bytes)
        .map_err(|e| format!("{}: {e}", args.file))?
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
    request.limits = limits(args)?;
    if let Some(policy) = egress_policy(args)? {
        request = request.with_egress(policy);
    }
    Ok(request)
}

/// The policy from --policy and --allow-net; none when neither was given.
fn egress_policy(args: &RunArgs) -> Result<Option<isobox::EgressPolicy>, String> {
    let mut builder = match &args.policy {
        Some(path) => {
            isobox::egress::EgressPolicyBuilder::from_toml_file(path).map_err(|e| format!("--policy: {e}"))?
        }
        None if args.allow_net.is_empty() => return Ok(None),
        None => isobox::EgressPolicy::builder(),
    };
    for spec in &args.allow_net {
        builder = builder.allow_net(spec);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| format!("--allow-net/--policy: {e}"))
}

fn limits(args: &RunArgs) -> Result<Limits, String> {
    let mut limits = Limits::default();
    if let Some(ms) = args.wall_time_ms {
        limits.wall_time = Duration::from_millis(ms);
    }
    if let Some(fuel) = args.fuel {
        limits.fuel = fuel;
    }
    if let Some(mib) = args.memory_mib {
        limits.memory_bytes = mib.checked_mul(1024 * 1024).ok_or("--memory-mib is too large")?;
    }
    if let Some(kib) = args.stack_kib {
        limits.stack_bytes = kib.checked_mul(1024).ok_or("--stack-kib is too large")?;
    }
    if let Some(bytes) = args.max_result_bytes {
        limits.result_bytes = bytes;
    }
    if let Some(bytes) = args.max_log_bytes {
        limits.log_bytes = bytes;
    }
    if let Some(lines) = args.max_log_lines {
        limits.log_lines = lines;
    }
    if let Some(bytes) = args.max_code_bytes {
        limits.code_bytes = bytes;
    }
    limits
        .validate_with_memory_ceiling(isobox::Engine::DEFAULT_MAX_MEMORY_BYTES)
        .map_err(|e| {
            let flag = match e.name {
                "wall_time_ms" => "--wall-time-ms",
                "fuel" => "--fuel",
                "memory_bytes" => "--memory-mib",
                "stack_bytes" => "--stack-kib",
                "result_bytes" => "--max-result-bytes",
                "log_bytes" => "--max-log-bytes",
                "log_lines" => "--max-log-lines",
                "code_bytes" => "--max-code-bytes",
                other => other,
            };
            format!("{flag}: {e}")
        })?;
    Ok(limits)
}

/// `--repeat N`: the same request in N fresh sandboxes, one line each.
async fn repeat(engine: &Engine, request: RunRequest, times: u32, json: bool) -> ExitCode {
    let mut wall_times = Vec::with_capacity(times as usize);
    let mut last = exit::OK;
    for index in 1..=times {
        let outcome = engine.run(request.clone()).await;
        wall_times.push(outcome.stats.wall_time_us);
        let line = if json {
            serde_json::to_string(&outcome).unwrap_or_default()
        } else {
            match &outcome.result {
                Ok(value) => format!("run {index}: {value}"),
                Err(error) => format!("run {index}: error [{}]: {}", error.kind, error.message),
            }
        };
        outln!("{line}");
        last = match &outcome.result {
            Ok(_) => exit::OK,
            Err(error) => exit::for_kind(error.kind),
        };
    }
    if !json {
        wall_times.sort_unstable();
        let p50 = wall_times[wall_times.len() / 2];
        let max = wall_times[wall_times.len() - 1];
        eprintln!("{times} runs, each in a fresh sandbox: p50 {p50} us, max {max} us (instantiate, run, tear down)");
    }
    ExitCode::from(last)
}
