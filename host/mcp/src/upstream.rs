//! Upstream MCP servers as capabilities: `--upstream NAME='command args'`
//! starts the command, speaks MCP to it over its stdin and stdout as a
//! client, lists its tools once, and makes them `env.NAME.<method>(args)`
//! in the sandbox ([`Capability::json_tools`]), typed from their JSON
//! Schemas ([`McpTools`]).
//!
//! A call sends `tools/call` and resolves with:
//!
//! - the result's `structuredContent` when the tool declares an
//!   `outputSchema` (and the result has one);
//! - else the text of its `text` content items, joined by `"\n"`: a string,
//!   as the declarations say (`Promise<string>`), never parsed, since a
//!   text that only looks like JSON would change type under the code's
//!   feet; `JSON.parse` it in the sandbox when the tool documents JSON.
//!   Images, audio and resources are not carried.
//!
//! A result with `isError: true` rejects with an `Error` whose message is
//! its text (bounded to 1 KiB); a protocol failure (the server answers an
//! error, or has exited) with an `Error` named `CapabilityError`. A call
//! cut short by the run's end (its wall-clock limit, say) is cancelled
//! upstream (`notifications/cancelled`).
//!
//! The server's stderr is ours (it never touches the MCP stream on our
//! stdout); the child is killed when the [`Upstream`] is dropped. The tool
//! list is read once, at start: later `list_changed` notifications are
//! ignored.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult};
use rmcp::service::{Peer, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Map, Value};

use isobox::Capability;
use isobox::capability::{CallContext, CapabilityError, McpTools, McpToolsError, valid_binding_name};

/// How long an upstream server may take to start and answer `initialize`
/// and `tools/list`.
pub const UPSTREAM_START_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an upstream server could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The spec is not `NAME=command args`.
    #[error("--upstream {spec}: {reason}")]
    BadSpec {
        /// The spec as given (cut to 200 characters).
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The command could not be started.
    #[error("--upstream {name}: cannot start {command:?}: {message}")]
    Spawn {
        /// The binding.
        name: String,
        /// The program.
        command: String,
        /// The operating system's reason.
        message: String,
    },
    /// The server did not complete the MCP handshake or `tools/list`.
    #[error("--upstream {name}: the MCP server did not {step}: {message}")]
    Protocol {
        /// The binding.
        name: String,
        /// `answer initialize`, `list its tools`.
        step: &'static str,
        /// Why (the server's error, or that it exited or timed out).
        message: String,
    },
    /// Its tool list cannot be read.
    #[error("--upstream {name}: {source}")]
    Tools {
        /// The binding.
        name: String,
        /// Why.
        source: McpToolsError,
    },
}

/// `NAME=command args`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamSpec {
    /// The binding: `env.NAME`.
    pub name: String,
    /// The program and its arguments.
    pub argv: Vec<String>,
}

impl UpstreamSpec {
    /// Parses `NAME=command args`: the command line is split as a POSIX
    /// shell would split words (single and double quotes, backslash
    /// escapes), with no expansion of variables or globs.
    ///
    /// ```
    /// use isobox_mcp::UpstreamSpec;
    ///
    /// let spec = UpstreamSpec::parse(r#"memory=node "/opt/my server/index.js" --flag"#)?;
    /// assert_eq!(spec.name, "memory");
    /// assert_eq!(spec.argv, ["node", "/opt/my server/index.js", "--flag"]);
    /// # Ok::<(), isobox_mcp::UpstreamError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`UpstreamError::BadSpec`]: no `=`, a name that is not an
    /// identifier, an empty command, an unclosed quote.
    pub fn parse(spec: &str) -> Result<Self, UpstreamError> {
        let bad = |reason: String| UpstreamError::BadSpec {
            spec: spec.chars().take(200).collect(),
            reason,
        };
        let (name, command) = spec
            .split_once('=')
            .ok_or_else(|| bad("expected NAME='command args'".to_owned()))?;
        if !valid_binding_name(name) {
            return Err(bad(format!(
                "\"{}\" cannot be a name in env: use letters, digits and _",
                name.chars().take(64).collect::<String>()
            )));
        }
        let argv = split_words(command).map_err(bad)?;
        if argv.is_empty() {
            return Err(bad("the command is empty".to_owned()));
        }
        Ok(UpstreamSpec {
            name: name.to_owned(),
            argv,
        })
    }
}

/// Splits a command line into words: whitespace separates, `'...'` keeps
/// everything, `"..."` keeps everything but `\"` and `\\`, a backslash
/// outside quotes escapes the next character.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(done) = word.take() {
                    words.push(done);
                }
            }
            '\'' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => current.push(c),
                        None => return Err("a single quote is not closed".to_owned()),
                    }
                }
            }
            '"' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => current.push(c),
                            Some(c) => {
                                current.push('\\');
                                current.push(c);
                            }
                            None => return Err("a double quote is not closed".to_owned()),
                        },
                        Some(c) => current.push(c),
                        None => return Err("a double quote is not closed".to_owned()),
                    }
                }
            }
            '\\' => {
                let current = word.get_or_insert_with(String::new);
                match chars.next() {
                    Some(c) => current.push(c),
                    None => return Err("the command ends with a backslash".to_owned()),
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// A running upstream MCP server and its tools. Dropping it ends the
/// connection and the process; [`stop`](Self::stop) does so and waits.
pub struct Upstream {
    name: String,
    tools: McpTools,
    service: RunningService<RoleClient, ()>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("name", &self.name)
            .field("tools", &self.tools.tools().len())
            .finish()
    }
}

impl Upstream {
    /// Starts `spec`'s command (stdin and stdout for MCP, stderr inherited),
    /// completes the handshake and lists its tools, within
    /// [`UPSTREAM_START_TIMEOUT`].
    ///
    /// # Errors
    ///
    /// [`UpstreamError::Spawn`], [`UpstreamError::Protocol`],
    /// [`UpstreamError::Tools`].
    pub async fn start(spec: &UpstreamSpec) -> Result<Self, UpstreamError> {
        let name = spec.name.clone();
        let mut command = tokio::process::Command::new(&spec.argv[0]);
        command.args(&spec.argv[1..]).kill_on_drop(true);
        let spawn_error = |error: std::io::Error| UpstreamError::Spawn {
            name: name.clone(),
            command: spec.argv[0].clone(),
            message: error.to_string(),
        };
        let (transport, _) = TokioChildProcess::builder(command)
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(spawn_error)?;
        let protocol = |step: &'static str, message: String| UpstreamError::Protocol {
            name: name.clone(),
            step,
            message,
        };
        let timed_out = || format!("no answer within {} s", UPSTREAM_START_TIMEOUT.as_secs());
        let service = tokio::time::timeout(UPSTREAM_START_TIMEOUT, ().serve(transport))
            .await
            .map_err(|_| protocol("answer initialize", timed_out()))?
            .map_err(|e| protocol("answer initialize", bounded(e.to_string())))?;
        let listed = tokio::time::timeout(UPSTREAM_START_TIMEOUT, service.list_all_tools())
            .await
            .map_err(|_| protocol("list its tools", timed_out()))?
            .map_err(|e| protocol("list its tools", bounded(e.to_string())))?;
        let list = serde_json::to_value(&listed).map_err(|e| protocol("list its tools", e.to_string()))?;
        let tools =
            McpTools::from_value(&serde_json::json!({ "tools": list })).map_err(|source| UpstreamError::Tools {
                name: name.clone(),
                source,
            })?;
        Ok(Upstream { name, tools, service })
    }

    /// Ends the connection and the process (stdin closed, then SIGTERM,
    /// then SIGKILL if it lingers) and waits for it. Calls in flight, and
    /// later calls of its capability, fail.
    pub async fn stop(self) {
        let _ = self.service.cancel().await;
    }

    /// The binding's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its tools, as listed at start.
    pub fn tools(&self) -> &McpTools {
        &self.tools
    }

    /// The capability that calls its tools; grant it as [`name`](Self::name).
    pub fn capability(&self) -> Capability {
        let structured: BTreeSet<String> = self
            .tools
            .tools()
            .iter()
            .filter(|t| t.output_schema.is_some())
            .map(|t| t.name.clone())
            .collect();
        let caller = Caller {
            peer: self.service.peer().clone(),
            structured: Arc::new(structured),
        };
        Capability::json_tools(self.tools.clone(), caller)
    }
}

/// Sends the calls of one upstream's capability.
struct Caller {
    peer: Peer<RoleClient>,
    structured: Arc<BTreeSet<String>>,
}

impl isobox::capability::JsonToolHandler for Caller {
    fn call(&self, _context: CallContext, tool: &str, args: Map<String, Value>) -> isobox::capability::JsonCallFuture {
        let peer = self.peer.clone();
        let structured = self.structured.contains(tool);
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(args);
        Box::pin(async move {
            let response = peer
                .call_tool_once(params)
                .await
                .map_err(|e| CapabilityError::new(format!("the upstream MCP server failed: {e}")))?;
            match response {
                CallToolResponse::Complete(result) => tool_value(result, structured),
                _ => Err(CapabilityError::new(
                    "the upstream MCP server asked for input or started a task, which isobox does not support",
                )),
            }
        })
    }
}

/// What a `tools/call` result resolves (or rejects) with; see the module
/// docs.
pub(crate) fn tool_value(result: CallToolResult, structured: bool) -> Result<Value, CapabilityError> {
    let text = || {
        result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if result.is_error == Some(true) {
        let message = text();
        return Err(CapabilityError::tool(if message.is_empty() {
            "the tool reported an error (without a message)".to_owned()
        } else {
            message
        }));
    }
    if structured && let Some(value) = &result.structured_content {
        return Ok(value.clone());
    }
    let joined = text();
    if joined.is_empty()
        && let Some(value) = &result.structured_content
    {
        return Ok(Value::String(value.to_string()));
    }
    Ok(Value::String(joined))
}

/// At most 1 KiB of an upstream's message, cut on a character boundary and
/// marked when cut.
fn bounded(mut message: String) -> String {
    if message.len() > 1024 {
        message.truncate(message.floor_char_boundary(1024));
        message.push_str("...");
    }
    message
}

#[cfg(test)]
mod tests {
    use rmcp::model::ContentBlock;
    use serde_json::json;

    use super::*;

    #[test]
    fn specs_split_like_a_shell() {
        let spec = UpstreamSpec::parse(r#"fs=npx -y 'a b' "c \"d\"" e\ f"#).unwrap();
        assert_eq!(spec.argv, ["npx", "-y", "a b", "c \"d\"", "e f"]);
        assert_eq!(UpstreamSpec::parse("x= a  b ").unwrap().argv, ["a", "b"]);
        assert_eq!(UpstreamSpec::parse("x=''").unwrap().argv, [""]);
        for (bad, reason) in [
            ("memory", "expected NAME="),
            ("my-server=node x", "cannot be a name in env"),
            ("x=   ", "the command is empty"),
            ("x=node 'open", "single quote is not closed"),
            ("x=node \"open", "double quote is not closed"),
            ("x=node \\", "ends with a backslash"),
        ] {
            let error = UpstreamSpec::parse(bad).unwrap_err().to_string();
            assert!(error.contains(reason), "{bad}: {error}");
        }
    }

    #[test]
    fn results_become_values_text_or_errors() {
        let mut typed = CallToolResult::structured(json!({ "n": 1 }));
        assert_eq!(tool_value(typed.clone(), true), Ok(json!({ "n": 1 })));
        // Without a declared outputSchema, the text, as declared.
        assert_eq!(tool_value(typed.clone(), false), Ok(json!("{\"n\":1}")));
        typed.content.clear();
        assert_eq!(tool_value(typed, false), Ok(json!("{\"n\":1}")));
        let text = CallToolResult::success(vec![ContentBlock::text("a"), ContentBlock::text("b")]);
        assert_eq!(tool_value(text, true), Ok(json!("a\nb")));
        let error = tool_value(CallToolResult::error(vec![ContentBlock::text("no such entity")]), false).unwrap_err();
        assert_eq!(error.message, "no such entity");
        assert_eq!(error, CapabilityError::tool("no such entity"));
        let long = tool_value(CallToolResult::error(vec![ContentBlock::text("x".repeat(5000))]), false).unwrap_err();
        assert!(long.message.len() <= 1030, "{}", long.message.len());
        let empty = tool_value(CallToolResult::error(vec![]), false).unwrap_err();
        assert!(empty.message.contains("without a message"));
    }
}
