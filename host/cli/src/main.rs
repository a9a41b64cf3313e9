//! The `isobox` command line: a thin layer over the library.

/// `print!` that ends quietly when stdout is closed (`isobox run x | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `println!` that ends quietly when stdout is closed.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod build_cmd;
mod bundle_cmd;
mod dispatch_cmd;
mod exit;
mod grants;
mod journal_flags;
mod mcp_cmd;
mod module_flags;
mod openapi_flags;
mod package_flags;
mod render;
mod replay_cmd;
mod run_cmd;
mod run_flags;
mod serve_cmd;
mod signals;
mod telemetry;
mod terminal;

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
    Run(Box<run_cmd::RunArgs>),
    /// Print the JavaScript a TypeScript file runs as (types blanked out,
    /// positions kept), or the error that refuses it.
    Strip {
        /// The TypeScript file, or `-` for stdin.
        file: String,
    },
    /// Print TypeScript declarations of what code in the sandbox can use
    /// (the globals: fetch, URL, timers, crypto ..., and `env` typed from the
    /// granted capabilities), to show an agent.
    Types(grants::TypesArgs),
    /// Serve runs over HTTP: POST /v1/run, GET /healthz, /metrics and
    /// /openapi.json, with tenants and API keys from a TOML config file.
    Serve(serve_cmd::ServeArgs),
    /// A Model Context Protocol server that gives an agent code mode: the
    /// tools execute (run code in a fresh sandbox), search and describe (the
    /// TypeScript of what the code can use), over stdio or, with --http,
    /// streamable HTTP; --upstream turns other MCP servers' tools into
    /// env.NAME.tool(args).
    Mcp(Box<mcp_cmd::McpArgs>),
    /// Build a Workers-style module (`export default { fetch(request, env,
    /// ctx) }`) into a standalone wasi:http/proxy component, initialised
    /// with the code already evaluated: `wasmtime serve app.wasm`.
    Build(Box<build_cmd::BuildArgs>),
    /// Send one HTTP request to a Workers-style module (`export default {
    /// fetch(request, env, ctx) }`) in a brand-new sandbox: the body to
    /// stdout, status and headers to stderr. Takes every `run` flag.
    Dispatch(Box<dispatch_cmd::DispatchArgs>),
    /// Install a project's dependencies (its package.json, honouring and
    /// writing isobox-lock.json) and write its code with every package
    /// module it imports into one file that runs with no registry:
    /// `isobox run --bundle FILE`.
    Bundle(Box<bundle_cmd::BundleArgs>),
    /// Re-execute a run `isobox serve` kept ([runs] history), exactly and
    /// offline from its journal, and say whether it ended the same way.
    Replay(replay_cmd::ReplayArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match &cli.command {
        // The servers use every core; the other commands run one sandbox.
        Command::Serve(_) | Command::Mcp(_) => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
        _ => tokio::runtime::Builder::new_current_thread().enable_all().build(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => return exit::fail(exit::INTERNAL, &format!("cannot start the async runtime: {error}")),
    };
    match cli.command {
        Command::Run(args) => runtime.block_on(run_cmd::run(*args)),
        Command::Strip { file } => strip(&file),
        Command::Serve(args) => runtime.block_on(serve_cmd::serve(args)),
        Command::Mcp(args) => {
            let code = runtime.block_on(mcp_cmd::mcp(*args));
            // A blocking read of stdin may still be in flight (after
            // SIGTERM): exit without waiting for it.
            runtime.shutdown_background();
            code
        }
        Command::Build(args) => runtime.block_on(build_cmd::build(*args)),
        Command::Dispatch(args) => runtime.block_on(dispatch_cmd::dispatch(*args)),
        Command::Bundle(args) => runtime.block_on(bundle_cmd::bundle(*args)),
        Command::Replay(args) => runtime.block_on(replay_cmd::replay(args)),
        Command::Types(grants) => match grants::typescript(&grants) {
            Ok(text) => {
                out!("{text}");
                std::process::ExitCode::SUCCESS
            }
            Err(message) => exit::fail(exit::USAGE, &message),
        },
    }
}

/// `isobox strip FILE`.
fn strip(file: &str) -> std::process::ExitCode {
    use std::io::Read;
    let (source, name) = if file == "-" {
        let mut source = String::new();
        if let Err(error) = std::io::stdin().read_to_string(&mut source) {
            return exit::fail(exit::USAGE, &format!("cannot read stdin: {error}"));
        }
        (source, "stdin.ts".to_owned())
    } else {
        match std::fs::read_to_string(file) {
            Ok(source) => (source, file.to_owned()),
            Err(error) => return exit::fail(exit::USAGE, &format!("cannot read {file}: {error}")),
        }
    };
    match isobox::typescript::strip(&source, &name) {
        Ok(js) => {
            out!("{js}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            let position = match (error.line, error.column) {
                (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
                _ => String::new(),
            };
            exit::fail(exit::JS_ERROR, &format!("{}{position}", error.message))
        }
    }
}
