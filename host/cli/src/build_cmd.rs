//! `isobox build FILE -o app.wasm`: a Workers-style module as a standalone
//! `wasi:http/proxy` component, with the npm packages it imports (`--dep`,
//! or a bundle `isobox bundle` wrote) built in.

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
    #[arg(required_unless_present = "bundle")]
    file: Option<PathBuf>,
    /// Build a bundle `isobox bundle` wrote (its entry, modules and
    /// packages) instead of FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "file")]
    bundle: Option<PathBuf>,
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
    /// A directory of static files the component answers itself, before
    /// the app's `fetch` (ETags, ranges, `.br`/`.gz` variants): a
    /// full-stack app's client side.
    #[arg(long, value_name = "DIR")]
    assets: Option<PathBuf>,
    /// How the assets' HTML pages are found: auto-trailing-slash (default),
    /// force-trailing-slash, drop-trailing-slash or none.
    #[arg(long, value_name = "MODE", requires = "assets")]
    assets_html_handling: Option<String>,
    /// What a GET no asset answers gets: none (the app answers; default),
    /// 404-page or single-page-application.
    #[arg(long, value_name = "MODE", requires = "assets")]
    assets_not_found: Option<String>,
    #[command(flatten)]
    packages: crate::package_flags::PackageArgs,
}

pub async fn build(args: BuildArgs) -> ExitCode {
    let request = match request(&args) {
        Ok(request) => request,
        Err(message) => return exit::fail(exit::USAGE, &message),
    };
    let request = match link(&args, request).await {
        Ok(request) => request,
        Err(code) => return code,
    };
    let assets = match assets(&args) {
        Ok(assets) => assets,
        Err(message) => return exit::fail(exit::USAGE, &message),
    };
    let asset_count = assets.as_ref().map_or(0, |a| a.files.len());
    let app = match isobox::app::build_app_with_assets(request, assets).await {
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
    let with_assets = if asset_count > 0 {
        format!(", {asset_count} static files")
    } else {
        String::new()
    };
    eprintln!(
        "isobox: wrote {} ({} bytes{with_assets}; imports {})",
        args.output.display(),
        app.component.len(),
        app.imports.join(", ")
    );
    ExitCode::SUCCESS
}

/// The app's request: FILE with its flags, or the bundle.
fn request(args: &BuildArgs) -> Result<RunRequest, String> {
    let mut limits = Limits::default();
    if let Some(ms) = args.wall_time_ms {
        limits.wall_time = Duration::from_millis(ms);
    }
    if let Some(mib) = args.memory_mib {
        limits.memory_bytes = mib.saturating_mul(1 << 20);
    }
    limits.validate().map_err(|e| e.to_string())?;
    if let Some(bundle) = &args.bundle {
        if !args.packages.deps.is_empty() {
            return Err("--dep does not apply to --bundle: the bundle carries its packages".into());
        }
        return Ok(crate::run_cmd::bundle_request(bundle)?.with_limits(limits));
    }
    let file = args.file.as_ref().ok_or("give the app's FILE or --bundle")?;
    let code = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let filename = file
        .file_name()
        .map_or_else(|| "app.js".to_owned(), |n| n.to_string_lossy().into_owned());
    let lang = match args.lang {
        crate::run_cmd::LangArg::Auto => Lang::Auto,
        crate::run_cmd::LangArg::Js => Lang::Js,
        crate::run_cmd::LangArg::Ts => Lang::Ts,
    };
    args.packages.dependencies()?;
    let mut request = RunRequest::new(code)
        .with_filename(filename)
        .with_lang(lang)
        .with_limits(limits)
        .with_dependencies(args.packages.deps.iter().cloned());
    if let Some(jsx) = args.packages.jsx()? {
        request = request.with_jsx(jsx);
    }
    args.modules.apply(request, Some(file))
}

/// The `--assets` directory read by isobox-assets's rules (dot-files
/// skipped, links that leave it skipped, the caps), its options checked.
fn assets(args: &BuildArgs) -> Result<Option<isobox::app::AppAssets>, String> {
    let Some(dir) = &args.assets else {
        return Ok(None);
    };
    let mut config = isobox_assets::AssetConfig::default();
    if let Some(mode) = &args.assets_html_handling {
        config.html_handling = mode.parse().map_err(|e| format!("--assets-html-handling: {e}"))?;
    }
    if let Some(mode) = &args.assets_not_found {
        config.not_found_handling = mode.parse().map_err(|e| format!("--assets-not-found: {e}"))?;
    }
    let files = isobox_assets::Assets::read_dir_files(dir, &config).map_err(|e| format!("--assets: {e}"))?;
    Ok(Some(isobox::app::AppAssets {
        files,
        html_handling: config.html_handling.as_str().to_owned(),
        not_found: config.not_found_handling.as_str().to_owned(),
    }))
}

/// Installs and links the app's `--dep` packages (a progress line on a
/// terminal), as a run would.
async fn link(args: &BuildArgs, mut request: RunRequest) -> Result<RunRequest, ExitCode> {
    if request.dependencies.is_empty() {
        return Ok(request);
    }
    let npm = args
        .packages
        .npm()
        .map_err(|message| exit::fail(exit::USAGE, &message))?;
    let linked = isobox::link_dependencies(std::sync::Arc::new(npm), &mut request).await;
    crate::package_flags::finish_progress();
    match linked {
        Ok(()) => Ok(request),
        Err(error) => Err(exit::fail(exit::for_kind(error.kind), &error.to_string())),
    }
}
