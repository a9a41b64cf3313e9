//! `isobox mcp`: the code-mode MCP server, over stdio or streamable HTTP.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;
use isobox::RunRequest;
use isobox_mcp::{CodeModeServer, HTTP_PATH, PackageGrant, Upstream, UpstreamSpec};

use crate::exit;

#[derive(Args)]
pub struct McpArgs {
    /// Serve streamable HTTP on ADDR (e.g. 127.0.0.1:8090; port 0 picks
    /// one) at /mcp instead of stdio; the bound address is printed to stderr.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Connect to another MCP server (started as `command args`, over its
    /// stdio) and give its tools to the code as env.NAME.toolName(args)
    /// (repeatable).
    #[arg(long, value_name = "NAME='COMMAND ARGS'")]
    upstream: Vec<String>,
    /// npm packages the agent may name in execute's `dependencies`, to be
    /// installed for that run: a name, `@scope/*` or `*` (repeatable); none
    /// by default. The --dep packages are always there.
    #[arg(long = "packages", value_name = "PATTERN")]
    packages: Vec<String>,
    /// Keep every execute's run and journal in --store (under the
    /// namespace `mcp`), with the `runs` and `save_snippet` tools; paused
    /// runs wait there for a decision (elicitation when the client
    /// supports it, `isobox serve`'s console on the same store).
    #[arg(long)]
    history: bool,
    /// A call that waits for a person's approval: BINDING or BINDING.METHOD
    /// (needs --history).
    #[arg(long = "gate", value_name = "SPEC", requires = "history")]
    gates: Vec<String>,
    /// Offer the agent a `decide` tool to approve or reject a paused run
    /// (for agents that relay a person's answer).
    #[arg(long, requires = "history")]
    agent_decides: bool,
    #[command(flatten)]
    sandbox: crate::run_flags::SandboxArgs,
}

pub async fn mcp(mut args: McpArgs) -> ExitCode {
    if let Some(bad) = args
        .packages
        .iter()
        .find(|pattern| !isobox_npm::is_name_pattern(pattern))
    {
        return exit::fail(
            exit::USAGE,
            &format!("--packages {bad:?}: not a package pattern (a name, @scope/* or *)"),
        );
    }
    args.sandbox.with_packages = !args.packages.is_empty();
    let specs = match upstream_specs(&args) {
        Ok(specs) => specs,
        Err(message) => return exit::fail(exit::USAGE, &message),
    };
    let (engine, mut template) = match args.sandbox.engine_and_request(RunRequest::new(""), None).await {
        Ok(both) => both,
        Err(code) => return code,
    };
    // Stopped when the server stops (dropping one also ends its process).
    let mut upstreams = Vec::with_capacity(specs.len());
    for spec in &specs {
        match Upstream::start(spec).await {
            Ok(upstream) => {
                for skipped in upstream.tools().skipped() {
                    eprintln!("isobox: --upstream {}: left out {skipped}", spec.name);
                }
                template = template.grant(&spec.name, upstream.capability());
                upstreams.push(upstream);
            }
            Err(error) => return exit::fail(exit::USAGE, &error.to_string()),
        }
    }
    let mut server = CodeModeServer::with_packages(engine, template, package_grant(&args.packages));
    if args.history {
        let approvals = match args
            .gates
            .iter()
            .try_fold(isobox::journal::Approvals::new(), |approvals, spec| {
                approvals.parse_spec(spec)
            }) {
            Ok(approvals) => approvals,
            Err(message) => return exit::fail(exit::USAGE, &message),
        };
        let store = match args.sandbox.grants.open_store().await {
            Ok(store) => store,
            Err(message) => return exit::fail(exit::USAGE, &message),
        };
        server = server.with_durable(isobox_mcp::DurableRuns {
            runs: store.runs(),
            namespace: "mcp".into(),
            approvals,
            agent_decides: args.agent_decides,
        });
    }
    let result = match args.http {
        // Until the client closes stdin, or ctrl-c or SIGTERM.
        None => tokio::select! {
            served = server.serve_stdio() => served.map_err(|e| e.to_string()),
            () = crate::signals::stop_signal() => Ok(()),
        },
        Some(addr) => {
            // With a shared store, sessions live there: every process on it
            // serves them.
            let sessions = if args.sandbox.grants.store_location() == "memory" {
                None
            } else {
                match args.sandbox.grants.open_store().await {
                    Ok(store) => Some(isobox_mcp::StoreSessions::new(&store)),
                    Err(message) => return exit::fail(exit::USAGE, &message),
                }
            };
            serve_http(server, addr, sessions).await
        }
    };
    for upstream in upstreams {
        upstream.stop().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => exit::fail(exit::INTERNAL, &message),
    }
}

/// What `--packages` lets an agent name in execute's `dependencies`.
fn package_grant(patterns: &[String]) -> Option<PackageGrant> {
    if patterns.is_empty() {
        return None;
    }
    let allowed = patterns.to_vec();
    let check = move |spec: &str| -> Result<(), String> {
        let dependency = isobox_npm::Dependency::parse(spec).map_err(|e| format!("dependency {spec:?}: {e}"))?;
        if allowed
            .iter()
            .any(|pattern| isobox_npm::name_matches(pattern, dependency.name()))
        {
            Ok(())
        } else {
            Err(format!(
                "package {:?} is not allowed here (allowed: {})",
                dependency.name(),
                allowed.join(", ")
            ))
        }
    };
    Some(PackageGrant {
        patterns: patterns.to_vec(),
        check: std::sync::Arc::new(check),
    })
}

/// The `--upstream` specs, checked against each other and the grants.
fn upstream_specs(args: &McpArgs) -> Result<Vec<UpstreamSpec>, String> {
    let mut names = args.sandbox.grants.names()?;
    let mut specs = Vec::with_capacity(args.upstream.len());
    for text in &args.upstream {
        let spec = UpstreamSpec::parse(text).map_err(|e| e.to_string())?;
        if names.contains(&spec.name) {
            return Err(format!(
                "--upstream {}: env.{} is already granted; give the upstream another name",
                spec.name, spec.name
            ));
        }
        names.push(spec.name.clone());
        specs.push(spec);
    }
    Ok(specs)
}

async fn serve_http(
    server: CodeModeServer,
    addr: SocketAddr,
    sessions: Option<isobox_mcp::StoreSessions>,
) -> Result<(), String> {
    let stopped = crate::signals::stop_signal();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    eprintln!("isobox mcp: listening on http://{bound}{HTTP_PATH}");
    server
        .serve_http_with_sessions(listener, stopped, sessions)
        .await
        .map_err(|e| format!("serving http://{bound}{HTTP_PATH}: {e}"))
}
