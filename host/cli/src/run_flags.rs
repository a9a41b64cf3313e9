//! The flags every command that runs code shares (`isobox run`, `isobox
//! dispatch`, `isobox mcp`): limits, the compiled-snapshot cache, egress and
//! grants, and the one way they become an engine and a request.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use isobox::cache::CacheDir;
use isobox::{Engine, Limits, RunRequest};

use crate::exit;

/// Every sandbox flag: limits, cache, egress and grants.
#[derive(Args, Default)]
pub struct SandboxArgs {
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    cache: CacheArgs,
    #[command(flatten)]
    egress: EgressArgs,
    #[command(flatten)]
    pub grants: crate::grants::GrantArgs,
    #[command(flatten)]
    pub packages: crate::package_flags::PackageArgs,
    /// Whether the engine installs packages even when the request names
    /// none (`isobox mcp --packages`: each execute may).
    #[arg(skip)]
    pub with_packages: bool,
}

impl SandboxArgs {
    /// `request` with the flags' limits and egress policy; the grants need
    /// the engine ([`SandboxArgs::engine_and_request`]).
    pub fn configure(&self, mut request: RunRequest) -> Result<RunRequest, String> {
        request.limits = self.limits.limits()?;
        self.packages.dependencies()?;
        request = request.with_dependencies(self.packages.deps.iter().cloned());
        if let Some(jsx) = self.packages.jsx()? {
            request = request.with_jsx(jsx);
        }
        if let Some(policy) = self.egress.policy()? {
            request = request.with_egress(policy);
        }
        Ok(request)
    }

    /// The engine (with the flags' cache, and at most `max_runs` sandboxes
    /// at once when given), and `request` configured with every flag,
    /// grants included. Errors are printed; the exit code is returned.
    pub async fn engine_and_request(
        &self,
        request: RunRequest,
        max_runs: Option<u32>,
    ) -> Result<(Engine, RunRequest), std::process::ExitCode> {
        let usage = |message: String| exit::fail(exit::USAGE, &message);
        let request = self.configure(request).map_err(usage)?;
        let mut builder = Engine::builder().cache_dir(self.cache.cache_dir());
        if !request.dependencies.is_empty() || self.with_packages {
            builder = builder.packages(self.packages.npm().map_err(usage)?);
        }
        if let Some(runs) = max_runs {
            builder = builder.max_concurrent_runs(runs);
        }
        let engine = builder
            .build()
            .await
            .map_err(|error| exit::fail(exit::INTERNAL, &error.to_string()))?;
        let request = self.grants.apply(&engine, request).await.map_err(usage)?;
        Ok((engine, request))
    }
}

#[derive(Args, Default)]
pub struct LimitArgs {
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
}

#[derive(Args, Default)]
pub struct CacheArgs {
    /// Directory for the compiled-snapshot cache [default: ~/.cache/isobox].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the compiled-snapshot cache.
    #[arg(long)]
    no_cache: bool,
}

#[derive(Args, Default)]
pub struct EgressArgs {
    /// Let fetch() reach HOST[:PORT] (repeatable): a name, `*.example.com`,
    /// an IP or `[IPv6]`. Without this or --policy, every request is refused.
    #[arg(long, value_name = "HOST[:PORT]")]
    allow_net: Vec<String>,
    /// An egress policy file (TOML: allow/deny rules, credentials, direct
    /// responses, limits); --allow-net adds to it.
    #[arg(long, value_name = "FILE.toml")]
    policy: Option<PathBuf>,
}

impl CacheArgs {
    /// Where the engine keeps its compiled snapshot.
    pub fn cache_dir(&self) -> CacheDir {
        match (&self.cache_dir, self.no_cache) {
            (_, true) => CacheDir::Disabled,
            (Some(dir), false) => CacheDir::At(dir.clone()),
            (None, false) => CacheDir::Default,
        }
    }
}

impl EgressArgs {
    /// The policy from --policy and --allow-net; none when neither was given.
    pub fn policy(&self) -> Result<Option<isobox::egress::EgressPolicy>, String> {
        let mut builder = match &self.policy {
            Some(path) => {
                isobox::egress::EgressPolicyBuilder::from_toml_file(path).map_err(|e| format!("--policy: {e}"))?
            }
            None if self.allow_net.is_empty() => return Ok(None),
            None => isobox::egress::EgressPolicy::builder(),
        };
        for spec in &self.allow_net {
            builder = builder.allow_net(spec);
        }
        builder
            .build()
            .map(Some)
            .map_err(|e| format!("--allow-net/--policy: {e}"))
    }
}

impl LimitArgs {
    /// The limits, defaults where no flag was given, checked.
    pub fn limits(&self) -> Result<Limits, String> {
        let mut limits = Limits::default();
        if let Some(ms) = self.wall_time_ms {
            limits.wall_time = Duration::from_millis(ms);
        }
        if let Some(fuel) = self.fuel {
            limits.fuel = fuel;
        }
        if let Some(mib) = self.memory_mib {
            limits.memory_bytes = mib.checked_mul(1024 * 1024).ok_or("--memory-mib is too large")?;
        }
        if let Some(kib) = self.stack_kib {
            limits.stack_bytes = kib.checked_mul(1024).ok_or("--stack-kib is too large")?;
        }
        if let Some(bytes) = self.max_result_bytes {
            limits.result_bytes = bytes;
        }
        if let Some(bytes) = self.max_log_bytes {
            limits.log_bytes = bytes;
        }
        if let Some(lines) = self.max_log_lines {
            limits.log_lines = lines;
        }
        if let Some(bytes) = self.max_code_bytes {
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
}
