//! `isobox build FILE -o app.wasm`: a Workers-style module as a standalone
//! `wasi:http/proxy` component.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use isobox::app::BuildError;
use isobox::{Lang, Limits, ModuleSource, RunRequest};

use crate::exit;

#[derive(Args)]
pub struct BuildArgs {
    /// The app: an ES module whose default export has
    /// `fetch(request, env, ctx)`.
    file: PathBuf,
    /// Where to write the component.
    #[arg(short, long, value_name = "APP.wasm")]
    output: PathBuf,
    /// A module the app may import as `./NAME` (repeatable).
    #[arg(long, value_name = "NAME=FILE")]
    module: Vec<String>,
    /// Every file under DIR as a module, named by its path inside DIR.
    #[arg(long, value_name = "DIR")]
    modules: Option<PathBuf>,
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
    let mut request = RunRequest::new(code)
        .with_filename(filename)
        .with_lang(lang)
        .with_limits(limits);
    if let Some(dir) = &args.modules {
        let mut files = Vec::new();
        collect(dir, &mut files).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for file in files {
            let name = file
                .strip_prefix(dir)
                .map_err(|_| format!("{} is outside {}", file.display(), dir.display()))?
                .to_string_lossy()
                .replace(std::path::MAIN_SEPARATOR, "/");
            if file.canonicalize().ok() == args.file.canonicalize().ok() {
                continue;
            }
            request = request.with_module(name, module_source(&file)?);
        }
    }
    for entry in &args.module {
        let (name, file) = entry
            .split_once('=')
            .ok_or_else(|| format!("--module {entry}: write NAME=FILE"))?;
        request = request.with_module(name, module_source(Path::new(file))?);
    }
    Ok(request)
}

/// A module file: JSON text for `.json`, plain text for `.txt`, else JS.
fn module_source(file: &Path) -> Result<ModuleSource, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok(match file.extension().and_then(|e| e.to_str()) {
        Some("txt") => ModuleSource::Text(text),
        _ => ModuleSource::Js(text),
    })
}

/// Every file under `dir`, sorted.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
