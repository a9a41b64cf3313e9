//! `isobox dispatch FILE`: one HTTP request to a Workers-style module
//! (`export default { fetch(request, env, ctx) }`) in a fresh sandbox. The
//! response body goes to stdout; the status, headers and console lines to
//! stderr (or everything as JSON with `--json`).

use std::process::ExitCode;

use clap::Args;
use isobox::worker::HttpRequest;

use crate::exit;
use crate::run_cmd::RunArgs;
use crate::terminal;

#[derive(Args)]
pub struct DispatchArgs {
    /// The request's method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// The request's path and query, or an absolute URL.
    #[arg(long, default_value = "/")]
    path: String,
    /// A request header (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The request body (it may start with `-`, as a multipart body does).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    body: Option<String>,
    /// The worker file and every `isobox run` flag (limits, network,
    /// capabilities, --json).
    #[command(flatten)]
    run: RunArgs,
}

pub async fn dispatch(args: DispatchArgs) -> ExitCode {
    if args.run.has_input() {
        return exit::fail(
            exit::USAGE,
            "--input does not apply to a worker: give --body, --header and --path",
        );
    }
    let url = if args.path.starts_with("http://") || args.path.starts_with("https://") {
        args.path.clone()
    } else if args.path.starts_with('/') {
        format!("http://localhost{}", args.path)
    } else {
        return exit::fail(exit::USAGE, "--path must start with / or be an absolute http(s) URL");
    };
    let mut http = HttpRequest::new(args.method.clone(), url);
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return exit::fail(exit::USAGE, &format!("--header {header:?}: write NAME: VALUE"));
        };
        http = http.with_header(name.trim(), value.trim());
    }
    if let Some(body) = &args.body {
        http = http.with_body(body.clone().into_bytes());
    }
    let (engine, request) = match crate::run_cmd::engine_and_request(&args.run).await {
        Ok(ready) => ready,
        Err(code) => return code,
    };
    if args.run.repeat() > 1 {
        return repeat(&engine, request, http, args.run.repeat(), args.run.json()).await;
    }
    let done = engine.dispatch(request, http).await;
    if args.run.json() {
        let json = serde_json::json!({
            "response": {
                "status": done.response.status,
                "headers": done.response.headers,
                "body": done.response.text(),
            },
            "outcome": done.outcome,
        });
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        outln!("{}", terminal::stdout_json(&text));
    } else {
        for entry in &done.outcome.logs.entries {
            match entry.level {
                isobox::console::LogLevel::Log => eprintln!("{}", terminal::stderr(&entry.message)),
                level => eprintln!("[{}] {}", level.as_str(), terminal::stderr(&entry.message)),
            }
        }
        eprintln!("HTTP {}", done.response.status);
        for (name, value) in &done.response.headers {
            eprintln!("{}: {}", terminal::stderr(name), terminal::stderr(value));
        }
        use std::io::{IsTerminal as _, Write as _};
        let mut stdout = std::io::stdout().lock();
        if stdout.is_terminal() {
            // A terminal gets the body as text, escaped; a pipe gets the bytes.
            let text = String::from_utf8_lossy(&done.response.body);
            let _ = stdout.write_all(terminal::stdout(&text).as_bytes());
        } else {
            let _ = stdout.write_all(&done.response.body);
        }
        // A terminal's prompt should not run into the body.
        if stdout.is_terminal() && !done.response.body.ends_with(b"\n") {
            let _ = stdout.write_all(b"\n");
        }
        if let Err(error) = &done.outcome.result {
            eprintln!(
                "error [{} / {}]: {}",
                error.phase,
                error.kind,
                terminal::stderr(&error.message)
            );
        }
    }
    ExitCode::from(match &done.outcome.result {
        Ok(_) => exit::OK,
        Err(error) => exit::for_kind(error.kind),
    })
}

/// `--repeat N`: the same request to the worker in N fresh sandboxes, one
/// line each (the status and body size, or the error), then the timings.
async fn repeat(
    engine: &isobox::Engine,
    request: isobox::RunRequest,
    http: HttpRequest,
    times: u32,
    json: bool,
) -> ExitCode {
    let mut wall_times = Vec::with_capacity(times as usize);
    let mut last = exit::OK;
    for index in 1..=times {
        let done = engine.dispatch(request.clone(), http.clone()).await;
        wall_times.push(done.outcome.stats.wall_time_us);
        if json {
            let line = serde_json::json!({
                "response": { "status": done.response.status, "bytes": done.response.body.len() },
                "outcome": done.outcome,
            });
            outln!("{}", terminal::stdout_json(&line.to_string()));
        } else {
            let line = match &done.outcome.result {
                Ok(_) => format!(
                    "request {index}: HTTP {} ({} bytes)",
                    done.response.status,
                    done.response.body.len()
                ),
                Err(error) => format!("request {index}: error [{}]: {}", error.kind, error.message),
            };
            outln!("{}", terminal::stdout(&line));
        }
        last = match &done.outcome.result {
            Ok(_) => exit::OK,
            Err(error) => exit::for_kind(error.kind),
        };
    }
    if !json {
        eprintln!("{}", crate::run_cmd::timing_line(times, wall_times, "requests"));
    }
    ExitCode::from(last)
}
