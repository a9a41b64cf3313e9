//! `isobox serve`: the HTTP service, configured by a TOML file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use isobox::Engine;
use isobox_serve::{Finished, ServeConfig, Server};

use crate::exit;
use crate::telemetry::Telemetry;

#[derive(Args)]
pub struct ServeArgs {
    /// The config file: tenants, keys, ceilings, egress policies (see
    /// `isobox_serve::config`). Without it: a local development setup on
    /// loopback (one tenant, a key generated and printed once, the
    /// built-in capabilities, no network access).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The address to listen on (port 0 picks a free one; the address
    /// bound is printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Log filter, as `info` or `isobox=debug,warn` [default: $RUST_LOG,
    /// else info]. Logs go to stderr.
    #[arg(long, value_name = "FILTER")]
    log: Option<String>,
    /// `text` for people, or `json`: one JSON object per line, each run's
    /// event (target `isobox::run`: tenant, outcome, times, CPU, calls,
    /// egress) among them, for a log pipeline.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Starts logging to stderr (`filter`, `format`) and, when the `OTEL_*`
/// variables name an endpoint, the OpenTelemetry export
/// ([`crate::telemetry`]), which is returned to be shut down at the end.
fn init_logging(filter: Option<&str>, format: LogFormat) -> Result<Option<Telemetry>, String> {
    let text = match filter {
        Some(text) => text.to_owned(),
        None => std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()),
    };
    let targets: tracing_subscriber::filter::Targets = text.parse().map_err(|e| format!("--log {text}: {e}"))?;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let (exported, telemetry) = match crate::telemetry::from_env(&targets)? {
        Some((layers, telemetry)) => (Some(layers), Some(telemetry)),
        None => (None, None),
    };
    // Each layer filters for itself: the console by --log, the export by
    // its own (a run's capability calls and fetches are debug spans).
    let console = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .with_filter(targets)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_target(false)
            .with_filter(targets)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(exported)
        .with(console)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(telemetry)
}

/// Sends the telemetry still queued, waiting a few seconds at most for a
/// collector that does not answer.
async fn stop_telemetry(telemetry: Option<Telemetry>) {
    let Some(telemetry) = telemetry else {
        return;
    };
    let failed = tokio::task::spawn_blocking(move || telemetry.shutdown(Duration::from_secs(3)))
        .await
        .unwrap_or_default();
    for message in failed {
        eprintln!("isobox serve: OpenTelemetry: {message}");
    }
}

pub async fn serve(args: ServeArgs) -> ExitCode {
    let telemetry = match init_logging(args.log.as_deref(), args.log_format) {
        Ok(telemetry) => telemetry,
        Err(message) => return exit::fail(exit::USAGE, &message),
    };
    let (mut config, local_key) = match &args.config {
        Some(path) => match ServeConfig::from_toml_file(path) {
            Ok(config) => (config, None),
            Err(error) => return exit::fail(exit::USAGE, &error.to_string()),
        },
        None if !args.listen.ip().is_loopback() => {
            return exit::fail(
                exit::USAGE,
                &format!(
                    "--listen {}: without --config, isobox serve runs a local development setup \
                     with a generated key and listens on loopback only (127.0.0.1 or [::1]); \
                     give --config FILE (tenants, keys, ceilings) to serve other machines",
                    args.listen
                ),
            );
        }
        None => {
            let (config, key) = ServeConfig::local_development();
            (config, Some(key))
        }
    };
    let slots = u32::try_from(config.server.max_in_flight).unwrap_or(u32::MAX);
    let mut builder = Engine::builder()
        .max_concurrent_runs(slots)
        .recycle_sandboxes(config.server.recycle_sandboxes);
    match config.npm() {
        Ok(Some(npm)) => builder = builder.packages(npm),
        Ok(None) => {}
        Err(error) => return exit::fail(exit::USAGE, &error.to_string()),
    }
    let engine = match builder.build().await {
        Ok(engine) => engine,
        Err(error) => return exit::fail(exit::INTERNAL, &format!("cannot build the engine: {error}")),
    };
    if let Err(error) = config.load_plugins(&engine) {
        return exit::fail(exit::USAGE, &error.to_string());
    }
    let stopped = crate::signals::stop_signal();
    let (addr, handle) = match Server::bind(config, engine, args.listen).await {
        Ok(bound) => bound,
        Err(error) => return exit::fail(exit::USAGE, &error.to_string()),
    };
    outln!("isobox serve listening on http://{addr}");
    if let Some(key) = local_key {
        // Shown once, here; only its digest is kept.
        eprintln!(
            "isobox serve: no --config, so a local development setup: loopback only, one tenant \
             \"{}\" with the built-in capabilities (kv, todo) and no network access.\n\
             API key (shown once): {key}\n\
             Try: curl -s http://{addr}/v1/run -H 'Authorization: Bearer {key}' -d '{{\"code\": \"6 * 7\"}}'",
            isobox_serve::LOCAL_TENANT
        );
    }
    stopped.await;
    let drained = handle.drain().await;
    stop_telemetry(telemetry).await;
    match drained {
        Ok(Finished::Drained) => ExitCode::SUCCESS,
        Ok(Finished::DeadlinePassed) => exit::fail(
            exit::INTERNAL,
            "runs still in flight at the end of the grace period were dropped",
        ),
        Err(error) => exit::fail(exit::INTERNAL, &error.to_string()),
    }
}
