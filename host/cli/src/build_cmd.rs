//! `isobox build FILE -o app.wasm`: a Workers-style module as a standalone
//! `wasi:http/proxy` component.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use isobox::app::BuildError;
use isobox::{Lang, Limits, RunRequest};

use crate::exit;

#[derive(Args)]
pub struct BuildArgs {
    /// The app: an ES module whose default export has
    /// `fetch(request, env, ctx)`.
    file: PathBuf,
    /// Where to write the component.
    #[arg(short, long, value_name = "APP.wasm")]
    output: PathBuf,
    #[command(flatten)]
    modules: crate::module_flags::ModuleArgs,
    /// The language: `auto` is TypeScript for .ts/.mts/.cts files.
    #[arg(long, value_enum, default_value_t = crate::run_cmd::LangArg::Auto)]
    lang: crate::run_cmd::LangArg,
    /// Wall-clock limit of the app's top-level code at build time, in ms
    /// [default: 5000].
    #[arg(long, value_name = "MS")]
    wall_time_ms: Option<u64>,
    /// Memory limit at build time in MiB [default: 64].
    #[arg(long, value_name = "MIB")]
    memory_mib: Option<u64>,
}

pub async fn build(args: BuildArgs) -> ExitCode {
    let request = match request(&args) {
        Ok(request) => request,
        Err(message) => return exit::fail(exit::USAGE, &message),
    };
    let app = match isobox::app::build_app(request).await {
        Ok(app) => app,
        Err(error) => {
            let code = match &error {
                BuildError::Input(_) => exit::USAGE,
                BuildError::App(error) => exit::for_kind(error.kind).max(exit::JS_ERROR),
                // Imports, snapshot, and any later kind: isobox's own failure.
                _ => exit::INTERNAL,
            };
            return exit::fail(code, &error.to_string());
        }
    };
    if let Err(error) = std::fs::write(&args.output, &app.component) {
        return exit::fail(exit::USAGE, &format!("cannot write {}: {error}", args.output.display()));
    }
    eprintln!(
        "isobox: wrote {} ({} bytes; imports {})",
        args.output.display(),
        app.component.len(),
        app.imports.join(", ")
    );
    ExitCode::SUCCESS
}

fn request(args: &BuildArgs) -> Result<RunRequest, String> {
    let code = std::fs::read_to_string(&args.file).map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let filename = args
        .file
        .file_name()
        .map_or_else(|| "app.js".to_owned(), |n| n.to_string_lossy().into_owned());
    let mut limits = Limits::default();
    if let Some(ms) = args.wall_time_ms {
        limits.wall_time = Duration::from_millis(ms);
    }
    if let Some(mib) = args.memory_mib {
        limits.memory_bytes = mib.saturating_mul(1 << 20);
    }
    limits.validate().map_err(|e| e.to_string())?;
    let lang = match args.lang {
        crate::run_cmd::LangArg::Auto => Lang::Auto,
        crate::run_cmd::LangArg::Js => Lang::Js,
        crate::run_cmd::LangArg::Ts => Lang::Ts,
    };
    let request = RunRequest::new(code)
        .with_filename(filename)
        .with_lang(lang)
        .with_limits(limits);
    args.modules.apply(request, Some(&args.file))
}
