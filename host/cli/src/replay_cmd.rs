//! `isobox replay RUN_ID --config serve.toml`: re-executes a run that
//! `isobox serve` kept, exactly and offline, and says whether it ended the
//! same way.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use isobox::Engine;
use isobox_serve::{ServeConfig, Server};

use crate::exit;

#[derive(Args)]
pub struct ReplayArgs {
    /// The run's id (`run_id` in its answer, `GET /v1/runs`).
    run_id: String,
    /// The server's config file: its `[store]` holds the run, its tenants
    /// and grants rebuild the run's request.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The tenant that made the run (default: search every tenant).
    #[arg(long, value_name = "ID")]
    tenant: Option<String>,
    /// Print the replayed outcome and the recorded one as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn replay(args: ReplayArgs) -> ExitCode {
    let config = match ServeConfig::from_toml_file(&args.config) {
        Ok(config) => config,
        Err(error) => return exit::fail(exit::USAGE, &error.to_string()),
    };
    let engine = match Engine::builder().max_concurrent_runs(1).build().await {
        Ok(engine) => engine,
        Err(error) => return exit::fail(exit::INTERNAL, &format!("cannot build the engine: {error}")),
    };
    let report = match Server::replay_run(config, engine, args.tenant.as_deref(), &args.run_id).await {
        Ok(report) => report,
        Err(message) => return exit::fail(exit::USAGE, &message),
    };
    let same = report["same"].as_bool().unwrap_or(false);
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => outln!("{}", crate::terminal::stdout_json(&text)),
            Err(error) => return exit::fail(exit::INTERNAL, &format!("cannot write the report: {error}")),
        }
    } else {
        match serde_json::from_value::<isobox::Outcome>(report["outcome"].clone()) {
            Ok(outcome) => crate::render::print(&outcome),
            Err(_) => outln!("{}", report["outcome"]),
        }
        if same {
            eprintln!("isobox: run {} replayed to the same outcome", args.run_id);
        } else {
            eprintln!(
                "isobox: run {} replayed to a different outcome than the recorded one",
                args.run_id
            );
        }
    }
    if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::DIVERGED)
    }
}
