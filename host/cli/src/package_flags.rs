//! `--dep NAME@RANGE` and the registry flags: npm packages for `isobox
//! run`, `dispatch`, `build` and `bundle`, installed through isobox-npm
//! with a progress line on a terminal.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Whether a progress line is on the terminal, to be cleared.
static LINE_SHOWN: AtomicBool = AtomicBool::new(false);

use clap::Args;
use isobox_npm::{Cache, Dependency, Installer, Npm, Progress, Registry};

/// Packages the code imports by name.
#[derive(Args, Default, Clone)]
pub struct PackageArgs {
    /// A package the code imports by name, with a version range or tag:
    /// `zod@^4`, `@scope/pkg@1.x`, `date-fns` (latest). Repeatable.
    #[arg(long = "dep", value_name = "NAME@RANGE")]
    pub deps: Vec<String>,
    /// The npm registry [default: $ISOBOX_NPM_REGISTRY, else https://registry.npmjs.org/].
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    /// The environment variable holding the registry's token (sent as a
    /// bearer token to the registry's own origin only).
    #[arg(long, value_name = "VAR")]
    pub registry_token_env: Option<String>,
    /// An egress policy (TOML) for registry traffic, instead of the default
    /// that allows GET to the registry's host only. The run's own egress
    /// policy never applies to the registry.
    #[arg(long, value_name = "FILE")]
    pub registry_policy: Option<PathBuf>,
    /// A lockfile: honoured when it answers the dependencies, written after
    /// a new resolution.
    #[arg(long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
    /// A condition `exports` are matched with, in priority order
    /// (repeatable) [default: workerd, worker, browser]; `import` or
    /// `require` and `default` always apply after them.
    #[arg(long = "condition", value_name = "NAME")]
    pub conditions: Vec<String>,
    /// Where JSX's automatic runtime is imported from, for .jsx and .tsx
    /// files (`preact` imports `preact/jsx-runtime`) [default: react].
    #[arg(long, value_name = "MODULE", conflicts_with = "jsx_pragma")]
    pub jsx_import_source: Option<String>,
    /// The classic JSX runtime instead: calls to this function (`h`,
    /// `React.createElement`), with --jsx-fragment.
    #[arg(long, value_name = "NAME")]
    pub jsx_pragma: Option<String>,
    /// The classic runtime's fragment [default: Fragment].
    #[arg(long, value_name = "NAME", requires = "jsx_pragma")]
    pub jsx_fragment: Option<String>,
}

impl PackageArgs {
    /// The dependencies, checked.
    pub fn dependencies(&self) -> Result<Vec<Dependency>, String> {
        self.deps
            .iter()
            .map(|spec| Dependency::parse(spec).map_err(|e| format!("--dep {spec}: {e}")))
            .collect()
    }

    /// How JSX compiles, when a flag says.
    pub fn jsx(&self) -> Result<Option<isobox::typescript::Jsx>, String> {
        Ok(match (&self.jsx_import_source, &self.jsx_pragma) {
            (Some(source), _) => Some(isobox::typescript::Jsx::Automatic {
                import_source: source.clone(),
            }),
            (None, Some(pragma)) => Some(isobox::typescript::Jsx::Classic {
                pragma: pragma.clone(),
                fragment: self.jsx_fragment.clone().unwrap_or_else(|| "Fragment".into()),
            }),
            (None, None) => None,
        })
    }

    /// The registry the flags name, with its token and policy.
    pub fn registry(&self) -> Result<Registry, String> {
        let url = self
            .registry
            .clone()
            .or_else(|| std::env::var("ISOBOX_NPM_REGISTRY").ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| isobox_npm::NPMJS.to_owned());
        let mut registry = Registry::new(&url).map_err(|e| format!("--registry: {e}"))?;
        if let Some(var) = &self.registry_token_env {
            let token = std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("--registry-token-env {var}: the variable is not set"))?;
            registry = registry.with_token(token);
        }
        if let Some(file) = &self.registry_policy {
            let policy = isobox::egress::EgressPolicy::from_toml_file(file)
                .map_err(|e| format!("--registry-policy {}: {e}", file.display()))?;
            registry = registry.with_egress(isobox::egress::Egress::new(policy));
        }
        Ok(registry)
    }

    /// The linker the flags describe, reporting progress on stderr.
    pub fn npm(&self) -> Result<Npm, String> {
        let installer = Installer::new(self.registry()?, Cache::default_location()).on_progress(progress_line());
        let mut npm = Npm::new(installer);
        if let Some(lockfile) = &self.lockfile {
            npm = npm.with_lockfile(lockfile);
        }
        Ok(if self.conditions.is_empty() {
            npm
        } else {
            npm.with_conditions(self.conditions.clone())
        })
    }
}

/// A progress sink: on a terminal, one line rewritten in place (packages
/// resolved, tarballs fetched, bytes); notes on lines of their own.
pub fn progress_line() -> impl Fn(&Progress) + Send + Sync + 'static {
    let tty = std::io::stderr().is_terminal();
    let counts = Arc::new(Mutex::new((0usize, 0usize, 0u64)));
    move |progress: &Progress| {
        let mut counts = counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stderr = std::io::stderr().lock();
        match progress {
            Progress::Resolved { count, .. } => counts.0 = *count,
            Progress::Fetched { bytes, .. } => {
                counts.1 += 1;
                counts.2 += bytes;
            }
            Progress::Cached { .. } => counts.1 += 1,
            Progress::Note { package, message } => {
                let line = crate::terminal::stderr(&format!("npm: {package}: {message}")).into_owned();
                let _ = writeln!(stderr, "{}{line}", if tty { "\r\x1b[2K" } else { "" });
            }
            _ => {}
        }
        if tty {
            LINE_SHOWN.store(true, Ordering::Relaxed);
            let _ = write!(
                stderr,
                "\r\x1b[2Knpm: {} resolved, {} installed, {} KiB fetched",
                counts.0,
                counts.1,
                counts.2 / 1024
            );
            let _ = stderr.flush();
        }
    }
}

/// Clears the progress line, if one is on the terminal.
pub fn finish_progress() {
    if LINE_SHOWN.swap(false, Ordering::Relaxed) {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
}
