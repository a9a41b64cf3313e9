//! The `isobox` command line: a thin layer over the library.

mod exit;
mod render;
mod run_cmd;

use clap::{Parser, Subcommand};

/// Run JavaScript in a fresh WebAssembly sandbox per run.
#[derive(Parser)]
#[command(name = "isobox", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a JS file (or `-` for stdin) in a brand-new sandbox.
    Run(run_cmd::RunArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return exit::fail(exit::INTERNAL, &format!("cannot start the async runtime: {error}")),
    };
    match cli.command {
        Command::Run(args) => runtime.block_on(run_cmd::run(args)),
    }
}
