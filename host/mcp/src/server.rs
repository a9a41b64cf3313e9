//! The code-mode MCP server: `execute`, `search` and `describe` over any
//! rmcp transport (stdio, streamable HTTP).

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::declarations::Declarations;
use super::tools;
use isobox::{Engine, Lang, Outcome, RunRequest};

/// The server: an engine, the grants, limits and egress policy every
/// `execute` runs with, and the declarations `search` and `describe` show.
/// Cloning is cheap; every clone serves the same runs.
///
/// ```no_run
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use isobox_mcp::CodeModeServer;
/// use isobox::{Capability, Engine, RunRequest};
/// use isobox::capability::TodoStore;
///
/// let engine = Engine::builder().build().await?;
/// let template = RunRequest::new("").grant("todo", Capability::todo(TodoStore::shared()));
/// CodeModeServer::new(engine, template).serve_stdio().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CodeModeServer {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    template: RunRequest,
    packages: Option<PackageGrant>,
    declarations: Declarations,
    tools: Vec<Tool>,
    instructions: String,
    /// Runs journaled and kept, with approval gates (`--history`).
    durable: Option<crate::DurableRuns>,
}

/// The arguments of `execute`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecuteArgs {
    #[serde(default)]
    code: Option<String>,
    /// A saved snippet's name, run instead of `code`.
    #[serde(default)]
    snippet: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Most packages one `execute` may name.
pub const MAX_EXECUTE_DEPENDENCIES: usize = 32;

/// The check of one dependency as written (`zod@^4`): `Err` says why it is
/// refused.
pub type DependencyCheck = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The npm packages an agent may name in `execute`'s `dependencies`, besides
/// the server's own: the patterns (shown in the tool's schema) and the check
/// of one dependency as written (`zod@^4`), which says why it is refused.
#[derive(Clone)]
pub struct PackageGrant {
    /// The patterns, as the operator gave them (`zod`, `@hono/*`, `*`).
    pub patterns: Vec<String>,
    /// `Ok` when the dependency may be installed.
    pub check: DependencyCheck,
}

impl std::fmt::Debug for PackageGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageGrant")
            .field("patterns", &self.patterns)
            .finish()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    query: String,
    #[serde(default)]
    offset: usize,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DescribeArgs {
    #[serde(default)]
    name: Option<String>,
}

impl CodeModeServer {
    /// A server whose runs use `engine` and the grants, limits and egress
    /// policy of `template` (its code, input, file name, language and
    /// modules are replaced by each `execute`).
    pub fn new(engine: Engine, template: RunRequest) -> Self {
        Self::with_packages(engine, template, None)
    }

    /// [`CodeModeServer::new`], and `execute` takes `dependencies` that
    /// `packages` allows (the engine must install packages:
    /// [`EngineBuilder::packages`](isobox::EngineBuilder::packages)).
    pub fn with_packages(engine: Engine, template: RunRequest, packages: Option<PackageGrant>) -> Self {
        let declarations = Declarations::new(&template.grants);
        let names: Vec<&str> = declarations.binding_names().collect();
        let patterns = packages.as_ref().map_or(&[][..], |grant| grant.patterns.as_slice());
        let tools = tools::tools(&names, &template.limits, &template.dependencies, patterns, None);
        let instructions = tools::instructions(&names);
        CodeModeServer {
            inner: Arc::new(Inner {
                engine,
                template,
                packages,
                declarations,
                tools,
                instructions,
                durable: None,
            }),
        }
    }

    /// This server with every `execute` journaled and kept in `durable`'s
    /// store, calls it gates paused for approval, and the `runs`,
    /// `save_snippet` (and, when `durable.agent_decides`, `decide`) tools.
    pub fn with_durable(self, durable: crate::DurableRuns) -> Self {
        let inner = &self.inner;
        let server = Self::with_packages(inner.engine.clone(), inner.template.clone(), inner.packages.clone());
        let names: Vec<&str> = server.inner.declarations.binding_names().collect();
        let patterns = inner
            .packages
            .as_ref()
            .map_or(&[][..], |grant| grant.patterns.as_slice());
        let tools = tools::tools(
            &names,
            &inner.template.limits,
            &inner.template.dependencies,
            patterns,
            Some(durable.agent_decides),
        );
        let Ok(mut fresh) = Arc::try_unwrap(server.inner) else {
            return self;
        };
        fresh.tools = tools;
        fresh.durable = Some(durable);
        CodeModeServer { inner: Arc::new(fresh) }
    }

    /// Runs `code` as `execute` does: in a fresh sandbox, TypeScript unless
    /// `lang` is `js`.
    pub async fn execute(&self, code: String, lang: Lang, input: Option<Value>) -> Outcome {
        self.execute_with(code, lang, input, Vec::new()).await
    }

    /// [`CodeModeServer::execute`] with the run's own npm packages besides
    /// the server's (checked by the caller against the grant).
    async fn execute_with(&self, code: String, lang: Lang, input: Option<Value>, dependencies: Vec<String>) -> Outcome {
        let request = self.request_for(code, lang, input, dependencies);
        self.inner.engine.run(request).await
    }

    /// The template with one execute's code, input and packages.
    fn request_for(&self, code: String, lang: Lang, input: Option<Value>, dependencies: Vec<String>) -> RunRequest {
        let mut request = self.inner.template.clone();
        for dependency in dependencies {
            if !request.dependencies.contains(&dependency) {
                request.dependencies.push(dependency);
            }
        }
        request.filename = match lang {
            Lang::Js => "execute.js",
            _ => "execute.ts",
        }
        .to_owned();
        request.lang = lang;
        request.code = code;
        request.input = input;
        request.modules.clear();
        request
    }

    /// The TypeScript `describe` shows for `name` (see the tool's
    /// description).
    ///
    /// # Errors
    ///
    /// What can be described, when nothing is named `name`.
    pub fn describe(&self, name: Option<&str>) -> Result<String, String> {
        self.inner.declarations.describe(name)
    }

    /// What `search` answers for `query`: the first page.
    pub fn search(&self, query: &str) -> String {
        self.inner.declarations.search(query)
    }

    /// What `search` answers for `query` from the `offset`-th match of
    /// each catalog (an OpenAPI binding's operations) on.
    pub fn search_page(&self, query: &str, offset: usize) -> String {
        self.inner.declarations.search_page(query, offset)
    }

    /// Whether an `execute` may name `dependencies`: the grant's check of
    /// each, within [`MAX_EXECUTE_DEPENDENCIES`].
    fn check_dependencies(&self, dependencies: &[String]) -> Result<(), String> {
        if dependencies.is_empty() {
            return Ok(());
        }
        let Some(grant) = &self.inner.packages else {
            return Err(
                "execute: this server takes no `dependencies` (its operator allows packages with \
                        `isobox mcp --packages`); import only the packages its description lists"
                    .into(),
            );
        };
        if dependencies.len() > MAX_EXECUTE_DEPENDENCIES {
            return Err(format!(
                "execute: at most {MAX_EXECUTE_DEPENDENCIES} dependencies, not {}",
                dependencies.len()
            ));
        }
        dependencies
            .iter()
            .try_for_each(|dependency| (grant.check)(dependency).map_err(|why| format!("execute: {why}")))
    }

    async fn call(
        &self,
        name: &str,
        arguments: Value,
        peer: Option<&rmcp::Peer<RoleServer>>,
    ) -> Result<CallToolResult, ErrorData> {
        let bad = |tool: &str, error: serde_json::Error| {
            CallToolResult::error(vec![ContentBlock::text(format!(
                "{tool}: bad arguments: {error}; see the tool's input schema"
            ))])
        };
        Ok(match name {
            tools::EXECUTE => {
                let args: ExecuteArgs = match serde_json::from_value(arguments) {
                    Ok(args) => args,
                    Err(error) => return Ok(bad(name, error)),
                };
                let lang = match args.lang.as_deref() {
                    None | Some("ts") | Some("typescript") => Lang::Ts,
                    Some("js") | Some("javascript") => Lang::Js,
                    Some(other) => {
                        return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                            "execute: lang must be \"ts\" or \"js\", not {:?}",
                            other.chars().take(40).collect::<String>()
                        ))]));
                    }
                };
                if let Err(message) = self.check_dependencies(&args.dependencies) {
                    return Ok(CallToolResult::error(vec![ContentBlock::text(message)]));
                }
                let code = match (args.code, args.snippet, &self.inner.durable) {
                    (Some(code), None, _) => code,
                    (None, Some(snippet), Some(durable)) => {
                        match durable.runs.snippet(&durable.namespace, &snippet).await {
                            Ok(Some(saved)) => saved.code,
                            Ok(None) => {
                                return Ok(failed(format!(
                                    "execute: no snippet named {snippet:?}; `search` lists them"
                                )));
                            }
                            Err(error) => return Ok(failed(format!("execute: {error}"))),
                        }
                    }
                    (None, Some(_), None) => {
                        return Ok(failed(
                            "execute: this server keeps no snippets (isobox mcp --history)".into(),
                        ));
                    }
                    _ => return Ok(failed("execute: give `code` or `snippet`, one of them".into())),
                };
                match &self.inner.durable {
                    None => execute_result(&self.execute_with(code, lang, args.input, args.dependencies).await),
                    Some(durable) => {
                        let stored = crate::durable::StoredExecute {
                            code: code.clone(),
                            lang: if lang == Lang::Js { "js" } else { "ts" }.into(),
                            input: args.input.clone(),
                            dependencies: args.dependencies.clone(),
                        };
                        let request = self.request_for(code, lang, args.input, args.dependencies);
                        let (id, journaled) =
                            crate::durable::run(durable, &self.inner.engine, request, &stored, peer).await;
                        durable_result(&id, &journaled)
                    }
                }
            }
            tools::SEARCH => match serde_json::from_value::<SearchArgs>(arguments) {
                Ok(args) => {
                    let mut text = self.search_page(&args.query, args.offset);
                    if let Some(durable) = &self.inner.durable {
                        let snippets = durable.search_snippets(&args.query).await;
                        if !snippets.is_empty() {
                            text.push_str("\n\nSaved snippets:\n");
                            text.push_str(&snippets.join("\n"));
                        }
                    }
                    CallToolResult::success(vec![ContentBlock::text(text)])
                }
                Err(error) => bad(name, error),
            },
            tools::RUNS | tools::SAVE_SNIPPET | tools::DECIDE if self.inner.durable.is_some() => {
                let Some(durable) = &self.inner.durable else {
                    return Ok(failed(format!("{name}: this server keeps no runs")));
                };
                self.durable_tool(durable, name, arguments).await
            }
            tools::DESCRIBE => {
                let args = match arguments {
                    Value::Null => Ok(DescribeArgs::default()),
                    other => serde_json::from_value::<DescribeArgs>(other),
                };
                match args {
                    Ok(args) => match self.describe(args.name.as_deref()) {
                        Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
                        Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
                    },
                    Err(error) => bad(name, error),
                }
            }
            other => {
                return Err(ErrorData::invalid_params(
                    format!(
                        "no tool named {:?}: the tools are execute, search and describe",
                        other.chars().take(64).collect::<String>()
                    ),
                    None,
                ));
            }
        })
    }
}

fn failed(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// A durable run's tool result: the run's result with its `run_id`, or,
/// paused, what it waits for (not an error: a person decides).
fn durable_result(id: &str, journaled: &isobox::journal::Journaled) -> CallToolResult {
    if journaled.status() == "pending-approval" {
        let pending: Vec<String> = journaled.pending().iter().map(|g| g.describe()).collect();
        return CallToolResult::structured(json!({
            "status": "pending-approval",
            "run_id": id,
            "pending": pending,
            "message": "The run is paused: these calls need a person's approval. It is kept and resumes once decided; \
                        read it later with `runs`.",
        }));
    }
    let mut result = execute_result(&journaled.outcome);
    if let Some(Value::Object(body)) = result.structured_content.as_mut() {
        body.insert("run_id".into(), json!(id));
    }
    result
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RunsArgs {
    #[serde(default)]
    run_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveSnippetArgs {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    input_schema: Option<Value>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    run_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideArgs {
    run_id: String,
    approve: bool,
    #[serde(default)]
    reason: Option<String>,
}

impl CodeModeServer {
    async fn durable_tool(&self, durable: &crate::DurableRuns, name: &str, arguments: Value) -> CallToolResult {
        let bad =
            |error: serde_json::Error| failed(format!("{name}: bad arguments: {error}; see the tool's input schema"));
        match name {
            tools::RUNS => {
                let args = match arguments {
                    Value::Null => RunsArgs::default(),
                    other => match serde_json::from_value::<RunsArgs>(other) {
                        Ok(args) => args,
                        Err(error) => return bad(error),
                    },
                };
                match durable.describe_runs(args.run_id.as_deref()).await {
                    Ok(value) => CallToolResult::structured(value),
                    Err(message) => failed(format!("runs: {message}")),
                }
            }
            tools::SAVE_SNIPPET => {
                let args: SaveSnippetArgs = match serde_json::from_value(arguments) {
                    Ok(args) => args,
                    Err(error) => return bad(error),
                };
                let code = match (args.code, args.run_id) {
                    (Some(code), None) => code,
                    (None, Some(id)) => match durable.load(&id).await {
                        Ok((_, execute, _)) => execute.code,
                        Err(message) => return failed(format!("save_snippet: {message}")),
                    },
                    _ => return failed("save_snippet: give `code` or `run_id`, one of them".into()),
                };
                match durable
                    .save_snippet(&args.name, args.description, args.input_schema, code)
                    .await
                {
                    Ok(value) => CallToolResult::structured(value),
                    Err(message) => failed(format!("save_snippet: {message}")),
                }
            }
            _ => {
                let args: DecideArgs = match serde_json::from_value(arguments) {
                    Ok(args) => args,
                    Err(error) => return bad(error),
                };
                let (record, stored, mut journal) = match durable.load(&args.run_id).await {
                    Ok(loaded) => loaded,
                    Err(message) => return failed(format!("decide: {message}")),
                };
                if record.status != "pending-approval"
                    || !durable
                        .runs
                        .claim(&durable.namespace, &args.run_id, "pending-approval", "resuming")
                        .await
                        .unwrap_or(false)
                {
                    return failed(format!("decide: run {} is not waiting for approval", args.run_id));
                }
                let decision = if args.approve {
                    isobox::journal::Decision::Approved {
                        by: Some("agent".into()),
                    }
                } else {
                    isobox::journal::Decision::reject(args.reason.unwrap_or_else(|| "rejected".into()))
                };
                journal.decide(&decision);
                let request = self
                    .request_for(
                        stored.code.clone(),
                        stored.lang(),
                        stored.input.clone(),
                        stored.dependencies.clone(),
                    )
                    .with_approvals(durable.approvals.clone());
                let journaled = self
                    .inner
                    .engine
                    .run_journaled(request, isobox::journal::JournalStart::Resume(journal))
                    .await;
                let _ = durable.keep(&args.run_id, record.created_ms, &stored, &journaled).await;
                durable_result(&args.run_id, &journaled)
            }
        }
    }
}

/// The tool result of a run: `{value, logs}` or `{error, logs}` as compact
/// JSON text and as structured content; `isError` when the run failed.
pub(crate) fn execute_result(outcome: &Outcome) -> CallToolResult {
    let logs: Vec<String> = outcome
        .logs
        .entries
        .iter()
        .map(|entry| match entry.level {
            isobox::console::LogLevel::Log => entry.message.clone(),
            level => format!("{}: {}", level.as_str(), entry.message),
        })
        .collect();
    let mut body = serde_json::Map::new();
    match &outcome.result {
        Ok(value) => {
            body.insert("value".into(), value.clone());
        }
        Err(error) => {
            let mut described = serde_json::Map::new();
            described.insert("kind".into(), json!(error.kind));
            if let Some(name) = &error.name {
                described.insert("name".into(), json!(name));
            }
            described.insert("message".into(), json!(error.message));
            if let Some(line) = error.line {
                described.insert("line".into(), json!(line));
            }
            if let Some(column) = error.column {
                described.insert("column".into(), json!(column));
            }
            body.insert("error".into(), Value::Object(described));
        }
    }
    body.insert("logs".into(), json!(logs));
    if outcome.logs.truncated {
        body.insert("logs_truncated".into(), json!(true));
    }
    let body = Value::Object(body);
    let mut result = CallToolResult::structured(body);
    result.is_error = Some(outcome.result.is_err());
    result
}

impl ServerHandler for CodeModeServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("isobox", env!("CARGO_PKG_VERSION")))
            .with_instructions(self.inner.instructions.clone())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.inner.tools.clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        self.call(&request.name, arguments, Some(&context.peer))
            .await
            .map(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isobox::console::{LogEntry, LogLevel, Logs};
    use isobox::{ErrorKind, Phase, RunError};

    fn outcome(result: Result<Value, RunError>) -> Outcome {
        Outcome {
            result,
            logs: Logs {
                entries: vec![
                    LogEntry {
                        level: LogLevel::Log,
                        message: "hi".into(),
                    },
                    LogEntry {
                        level: LogLevel::Warn,
                        message: "careful".into(),
                    },
                ],
                truncated: false,
            },
            stats: Default::default(),
            egress: vec![],
            calls: vec![],
        }
    }

    #[test]
    fn a_value_and_its_logs() {
        let result = execute_result(&outcome(Ok(json!({ "n": 42 }))));
        assert_eq!(result.is_error, Some(false));
        let expected = json!({ "value": { "n": 42 }, "logs": ["hi", "warn: careful"] });
        assert_eq!(result.structured_content, Some(expected.clone()));
        let text = &result.content[0].as_text().unwrap().text;
        assert_eq!(serde_json::from_str::<Value>(text).unwrap(), expected);
    }

    #[test]
    fn an_error_is_a_tool_error() {
        let mut error = RunError::new(Phase::Run, ErrorKind::JsError, "boom");
        error.name = Some("TypeError".into());
        error.line = Some(3);
        let result = execute_result(&outcome(Err(error)));
        assert_eq!(result.is_error, Some(true));
        assert_eq!(
            result.structured_content.unwrap()["error"],
            json!({ "kind": "js-error", "name": "TypeError", "message": "boom", "line": 3 })
        );
    }
}
