//! `--module NAME=FILE` and `--modules DIR`: the module map of `isobox run`,
//! `isobox dispatch` and `isobox build`, read from files in one way.

use std::path::{Path, PathBuf};

use clap::Args;
use isobox::{ModuleSource, RunRequest};

/// The files the code may import as `./NAME`.
#[derive(Args, Default)]
pub struct ModuleArgs {
    /// A module the code may import as `./NAME` (repeatable).
    #[arg(long, value_name = "NAME=FILE")]
    module: Vec<String>,
    /// Every file under DIR as a module, named by its path inside DIR
    /// (`.json` files import as JSON, `.txt` as text).
    #[arg(long, value_name = "DIR")]
    modules: Option<PathBuf>,
}

impl ModuleArgs {
    /// `request` with the modules added. `main` is the file of the code
    /// itself, which `--modules` does not add a second time.
    pub fn apply(&self, mut request: RunRequest, main: Option<&Path>) -> Result<RunRequest, String> {
        if let Some(dir) = &self.modules {
            if !dir.is_dir() {
                return Err(format!("--modules {}: not a directory", dir.display()));
            }
            let main = main.and_then(|file| file.canonicalize().ok());
            let mut files = Vec::new();
            collect(dir, &mut files).map_err(|e| format!("--modules: cannot read {}: {e}", dir.display()))?;
            for file in files {
                if main.is_some() && file.canonicalize().ok() == main {
                    continue;
                }
                let name = file
                    .strip_prefix(dir)
                    .map_err(|_| format!("{} is outside {}", file.display(), dir.display()))?
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                request = request.with_module(name, source(&file)?);
            }
        }
        for entry in &self.module {
            let (name, file) = entry
                .split_once('=')
                .filter(|(name, file)| !name.is_empty() && !file.is_empty())
                .ok_or_else(|| format!("--module {entry}: write NAME=FILE"))?;
            request = request.with_module(name, source(Path::new(file))?);
        }
        Ok(request)
    }
}

/// A module file: a JSON value for `.json`, text for `.txt`, else JS (or
/// TypeScript, by its name).
fn source(file: &Path) -> Result<ModuleSource, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok(match file.extension().and_then(|e| e.to_str()) {
        Some("txt") => ModuleSource::Text(text),
        Some("json") => ModuleSource::Json(
            serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", file.display()))?,
        ),
        _ => ModuleSource::Js(text),
    })
}

/// Every file under `dir`, sorted, following no symbolic link out of it.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(&path, files)?;
        } else if kind.is_file() {
            files.push(path);
        }
    }
    Ok(())
}
