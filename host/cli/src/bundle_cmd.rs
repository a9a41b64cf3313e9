//! `isobox bundle DIR`: a project's dependencies (its package.json)
//! installed, and everything its code imports written into one file that
//! runs with no registry and no node_modules (`isobox run --bundle FILE`,
//! `isobox build --bundle FILE`); with `--client ENTRY`, each client entry
//! also bundled for the browser into one script (and its gzip) to serve as
//! a static asset.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use isobox_npm::{Bundle, BundleModule, Dependency, Lockfile};

use crate::exit;

/// Most files of a project's own.
const MAX_FILES: usize = 10_000;
/// Most bytes of a project's own files.
const MAX_BYTES: u64 = 64 << 20;
/// Entry files tried, in order, when neither --entry nor package.json names one.
const ENTRIES: [&str; 12] = [
    "src/index.ts",
    "src/index.tsx",
    "src/index.js",
    "src/index.jsx",
    "src/worker.ts",
    "src/worker.js",
    "index.ts",
    "index.tsx",
    "index.js",
    "index.jsx",
    "worker.ts",
    "worker.js",
];

#[derive(Args)]
pub struct BundleArgs {
    /// The project: a directory with a package.json.
    dir: PathBuf,
    /// The entry module, relative to DIR [default: package.json's `module`
    /// or `main`, else src/index.ts, src/index.js, index.ts ...].
    #[arg(long, value_name = "FILE")]
    entry: Option<String>,
    /// Where to write the bundle [default: DIR/isobox-bundle.json].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// A client entry, relative to DIR (`src/client.tsx`), bundled for the
    /// browser into CLIENT_DIR/<its name>.js with the packages' browser
    /// builds. Repeatable.
    #[arg(long = "client", value_name = "FILE")]
    clients: Vec<String>,
    /// Where client scripts are written [default: DIR/dist].
    #[arg(long, value_name = "DIR")]
    client_dir: Option<PathBuf>,
    #[command(flatten)]
    packages: crate::package_flags::PackageArgs,
}

pub async fn bundle(args: BundleArgs) -> ExitCode {
    match write_bundle(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            crate::package_flags::finish_progress();
            exit::fail(code, &message)
        }
    }
}

async fn write_bundle(args: &BundleArgs) -> Result<(), (u8, String)> {
    let usage = |message: String| (exit::USAGE, message);
    let dir = &args.dir;
    let manifest_path = dir.join("package.json");
    let manifest: serde_json::Value = std::fs::read_to_string(&manifest_path)
        .map_err(|e| usage(format!("{}: {e}", manifest_path.display())))
        .and_then(|text| serde_json::from_str(&text).map_err(|e| usage(format!("{}: {e}", manifest_path.display()))))?;
    let mut dependencies = Vec::new();
    if let Some(map) = manifest.get("dependencies").and_then(serde_json::Value::as_object) {
        for (name, wanted) in map {
            let wanted = wanted.as_str().unwrap_or("");
            dependencies.push(Dependency::new(name, wanted).map_err(|e| usage(format!("package.json: {e}")))?);
        }
    }
    dependencies.extend(args.packages.dependencies().map_err(usage)?);
    let main = entry(args, &manifest)?;
    let output = args.output.clone().unwrap_or_else(|| dir.join("isobox-bundle.json"));
    let mut modules = BTreeMap::new();
    let mut files = Vec::new();
    let client_dir = args.client_dir.clone().unwrap_or_else(|| dir.join("dist"));
    collect(dir, dir, &[&output, &client_dir], &mut files)
        .map_err(|e| usage(format!("cannot read {}: {e}", dir.display())))?;
    let mut bytes = 0u64;
    for (name, path) in files {
        if modules.len() >= MAX_FILES {
            return Err(usage(format!(
                "{} has more than {MAX_FILES} files to bundle",
                dir.display()
            )));
        }
        let source =
            std::fs::read_to_string(&path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
        bytes += source.len() as u64;
        if bytes > MAX_BYTES {
            return Err(usage(format!("{}'s files are over {MAX_BYTES} bytes", dir.display())));
        }
        let kind = if name.ends_with(".json") {
            "json"
        } else if name.ends_with(".txt") {
            "text"
        } else {
            "js"
        };
        modules.insert(
            name,
            BundleModule {
                kind: kind.into(),
                source,
                imports: BTreeMap::new(),
            },
        );
    }
    if !modules.contains_key(&main) {
        return Err(usage(format!("the entry {main} is not a file of {}", dir.display())));
    }
    let jsx = args.packages.jsx().map_err(usage)?.unwrap_or_default();
    let mut imports: BTreeSet<String> = BTreeSet::new();
    for (name, module) in &modules {
        if module.kind == "js" {
            imports.extend(isobox_npm::bare_imports(&module.source, name));
            if isobox::typescript::is_jsx_name(name) {
                imports.extend(jsx.runtime_module());
            }
        }
    }
    let linked = if dependencies.is_empty() && imports.is_empty() {
        None
    } else {
        let lockfile = args
            .packages
            .lockfile
            .clone()
            .unwrap_or_else(|| dir.join("isobox-lock.json"));
        let lock = Lockfile::read(&lockfile).map_err(|e| usage(e.to_string()))?;
        let npm = args.packages.npm().map_err(usage)?;
        let imports: Vec<String> = imports.into_iter().collect();
        let linked = npm
            .link(&dependencies, lock.as_ref(), &imports)
            .await
            .map_err(|e| (exit::JS_ERROR, e.to_string()))?;
        if lock.as_ref() != Some(linked.lock()) {
            linked.lock().write(&lockfile).map_err(|e| usage(e.to_string()))?;
        }
        crate::package_flags::finish_progress();
        Some(linked)
    };
    let lock_now = linked.as_ref().map(|l| l.lock().clone());
    for client in &args.clients {
        write_client(args, client, &modules, &dependencies, lock_now.as_ref()).await?;
    }
    let package_count = linked.as_ref().map_or(0, |l| l.lock().package_count());
    let mut bundle = Bundle::new(main, modules, linked.as_deref());
    bundle.jsx = args.packages.jsx().map_err(usage)?;
    let text = bundle.to_json();
    std::fs::write(&output, &text).map_err(|e| usage(format!("cannot write {}: {e}", output.display())))?;
    eprintln!(
        "isobox: wrote {} ({} of its own modules, {} package modules from {package_count} packages, {} KiB)",
        output.display(),
        bundle.modules.len(),
        bundle.packages.len(),
        text.len() / 1024
    );
    Ok(())
}

/// Bundles the client entry `client` for the browser: the project's
/// modules it reaches and the packages' browser builds (resolved with the
/// `browser` condition from the same lockfile as the server's), written
/// with a `.gz` beside it.
async fn write_client(
    args: &BundleArgs,
    client: &str,
    modules: &BTreeMap<String, BundleModule>,
    dependencies: &[Dependency],
    lock: Option<&Lockfile>,
) -> Result<(), (u8, String)> {
    let usage = |message: String| (exit::USAGE, message);
    let failed = |message: String| (exit::JS_ERROR, format!("client {client}: {message}"));
    let entry = client.trim_start_matches("./").to_owned();
    if !modules.contains_key(&entry) {
        return Err(usage(format!(
            "the client entry {entry} is not a file of {}",
            args.dir.display()
        )));
    }
    let jsx = args.packages.jsx().map_err(usage)?;
    let imports = isobox_npm::client_imports(modules, &entry, &jsx.clone().unwrap_or_default())
        .map_err(|e| failed(e.to_string()))?;
    let linked = if imports.is_empty() {
        None
    } else {
        let npm = args.packages.npm().map_err(usage)?.with_conditions(["browser"]);
        let linked = npm
            .link(dependencies, lock, &imports)
            .await
            .map_err(|e| failed(e.to_string()))?;
        crate::package_flags::finish_progress();
        Some(linked)
    };
    let mut bundle = Bundle::new(entry.clone(), modules.clone(), linked.as_deref());
    bundle.jsx = jsx;
    let script = bundle.browser_script().map_err(|e| failed(e.to_string()))?;
    let dir = args.client_dir.clone().unwrap_or_else(|| args.dir.join("dist"));
    std::fs::create_dir_all(&dir).map_err(|e| usage(format!("cannot create {}: {e}", dir.display())))?;
    let stem = entry
        .rsplit('/')
        .next()
        .and_then(|file| file.split('.').next())
        .filter(|stem| !stem.is_empty())
        .unwrap_or("client");
    let path = dir.join(format!("{stem}.js"));
    std::fs::write(&path, &script.code).map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?;
    let gzipped =
        gzip(script.code.as_bytes()).map_err(|e| usage(format!("cannot compress {}: {e}", path.display())))?;
    let gz_path = dir.join(format!("{stem}.js.gz"));
    std::fs::write(&gz_path, &gzipped).map_err(|e| usage(format!("cannot write {}: {e}", gz_path.display())))?;
    eprintln!(
        "isobox: wrote {} ({} modules, {} KiB; {} KiB gzipped)",
        path.display(),
        script.modules,
        script.code.len() / 1024,
        gzipped.len() / 1024
    );
    Ok(())
}

/// `bytes` gzipped at the best compression.
fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// The entry module's name.
fn entry(args: &BundleArgs, manifest: &serde_json::Value) -> Result<String, (u8, String)> {
    if let Some(entry) = &args.entry {
        return Ok(entry.trim_start_matches("./").to_owned());
    }
    for field in ["module", "main"] {
        if let Some(name) = manifest.get(field).and_then(serde_json::Value::as_str) {
            let name = name.trim_start_matches("./");
            if args.dir.join(name).is_file() {
                return Ok(name.to_owned());
            }
        }
    }
    ENTRIES
        .iter()
        .find(|name| args.dir.join(name).is_file())
        .map(|name| (*name).to_owned())
        .ok_or_else(|| {
            (
                exit::USAGE,
                format!(
                    "{}: no entry module (name one with --entry, or package.json's \"main\")",
                    args.dir.display()
                ),
            )
        })
}

/// The project's code, JSON and text files (not node_modules, dot files,
/// the lockfile, package.json, the output or the client directory), by name.
fn collect(root: &Path, dir: &Path, skipped: &[&Path], files: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with('.') || file_name == "node_modules" {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !skipped.contains(&path.as_path()) {
                collect(root, &path, skipped, files)?;
            }
        } else if kind.is_file() {
            let wanted = [
                ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx", ".json", ".txt",
            ]
            .iter()
            .any(|ext| file_name.ends_with(ext));
            let skipped = ["package.json", "package-lock.json", "isobox-lock.json", "tsconfig.json"]
                .contains(&file_name.as_str())
                || skipped.contains(&path.as_path());
            if wanted && !skipped {
                let name = path
                    .strip_prefix(root)
                    .map_err(std::io::Error::other)?
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                files.push((name, path));
            }
        }
    }
    Ok(())
}
