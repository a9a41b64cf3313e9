//! `env.workspace`: an agent's file system in the store, as JSON-typed
//! methods (each takes one object; `isobox types` shows them as
//! TypeScript). The grant's props name the workspace:
//! `{ "tenant": "acme", "workspace": "main", "readOnly": false }` (the
//! workspace defaults to `default`). A refused operation rejects with an
//! `Error` whose message starts with its POSIX-style code
//! (`ENOENT: no such file or directory (/a.txt)`).

use std::sync::Arc;

use base64::Engine as _;
use isobox::Capability;
use isobox::capability::{CallContext, CapabilityError, McpTools};
use isobox_store::workspace::{Encoding, FsCode, FsError, Stat, Workspace, WorkspaceLimits, WriteOptions};
use isobox_store::{Store, StoreError};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::kv::Tenancy;

const TOOLS: &str = include_str!("workspace_tools.json");

/// The JSON Schema of an entry, put where a tool's schema says
/// `{"$ref": "#/$defs/Stat"}`.
fn stat_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "kind": {"enum": ["file", "directory", "symlink"], "description": "symlink: only in a host directory, for a link that dangles or leads outside it"},
            "size": {"type": "integer"},
            "mtime": {"type": "integer", "description": "Milliseconds since the Unix epoch."},
            "hash": {"type": ["string", "null"], "description": "SHA-256 of a file's content, hex."}
        },
        "required": ["path", "kind", "size", "mtime", "hash"]
    })
}

fn inline_stat(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("$ref").and_then(Value::as_str) == Some("#/$defs/Stat") {
                *value = stat_schema();
                return;
            }
            map.values_mut().for_each(inline_stat);
        }
        Value::Array(items) => items.iter_mut().for_each(inline_stat),
        _ => {}
    }
}

/// The workspace's tool list (as an MCP server would list it).
pub fn workspace_tools() -> McpTools {
    let mut tools: Value = serde_json::from_str(TOOLS).expect("workspace_tools.json is JSON");
    inline_stat(&mut tools);
    McpTools::from_value(&tools).expect("workspace_tools.json is a valid tool list")
}

/// Where a grant's workspace comes from.
enum Source {
    /// The store: `props.workspace` of `props.tenant`.
    Store {
        store: Store,
        limits: WorkspaceLimits,
        tenancy: Tenancy,
    },
    /// One workspace for every grant (a host directory, say).
    Fixed(Workspace),
}

struct Handler {
    source: Source,
}

/// `env.workspace` over `store`, each workspace under `limits`.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use isobox::RunRequest;
/// use isobox_state::{Tenancy, workspace_capability};
///
/// let store = isobox_store::Store::open("memory").await?;
/// let workspace = workspace_capability(store, Default::default(), Tenancy::PerTenant);
/// let request = RunRequest::new("await env.workspace.writeFile({ path: '/a.txt', content: 'hi' })")
///     .grant_with_props("workspace", workspace, serde_json::json!({ "tenant": "acme", "workspace": "main" }));
/// # let _ = request;
/// # Ok::<(), isobox_store::StoreError>(())
/// # }).unwrap();
/// ```
pub fn workspace_capability(store: Store, limits: WorkspaceLimits, tenancy: Tenancy) -> Capability {
    let per_tenant = tenancy == Tenancy::PerTenant;
    handler_capability(
        Handler {
            source: Source::Store { store, limits, tenancy },
        },
        per_tenant,
    )
}

/// `env.workspace` over one workspace for every run it is granted to: a
/// host directory ([`Workspace::directory`], confined with cap-std; its
/// batches are best-effort, undone from a journal when a step fails), or a
/// store's workspace chosen by the embedder. `props.readOnly` still makes
/// a grant read-only.
///
/// ```no_run
/// use isobox_store::workspace::{DirAccess, Workspace};
///
/// let repo = Workspace::directory("checkout".as_ref(), DirAccess::ReadWrite, Default::default())?;
/// let workspace = isobox_state::fixed_workspace_capability(repo);
/// # let _ = workspace;
/// # Ok::<(), isobox_store::StoreError>(())
/// ```
pub fn fixed_workspace_capability(workspace: Workspace) -> Capability {
    handler_capability(
        Handler {
            source: Source::Fixed(workspace),
        },
        false,
    )
}

/// The capability over `handler`; `per_tenant`: a grant without a tenant
/// is refused before the run starts.
fn handler_capability(handler: Handler, per_tenant: bool) -> Capability {
    let handler = Arc::new(handler);
    let call = move |context: CallContext, tool: String, args: Map<String, Value>| {
        let handler = handler.clone();
        async move { handler.call(&context, &tool, args).await }
    };
    if per_tenant {
        Capability::json_tools_per_tenant(workspace_tools(), call)
    } else {
        Capability::json_tools(workspace_tools(), call)
    }
}

/// A refused operation: the code handles it by its message's code; any
/// other failure is the store's.
fn failed(error: StoreError) -> CapabilityError {
    match error {
        StoreError::Fs(error) => CapabilityError::tool(error.to_string()),
        other => CapabilityError::new(format!("workspace: {other}")),
    }
}

fn arguments<T: for<'de> Deserialize<'de>>(tool: &str, args: Map<String, Value>) -> Result<T, CapabilityError> {
    serde_json::from_value(Value::Object(args))
        .map_err(|e| CapabilityError::tool(format!("EINVAL: workspace.{tool}: {e}")))
}

/// The bytes `content` stands for, in `encoding`.
fn decode(content: &str, encoding: Encoding, path: &str) -> Result<Vec<u8>, CapabilityError> {
    encoding.decode(content, path).map_err(failed)
}

fn stat_json(stat: &Stat) -> Value {
    serde_json::to_value(stat).unwrap_or(Value::Null)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathArgs {
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadArgs {
    path: String,
    #[serde(default)]
    encoding: Encoding,
    offset: Option<u64>,
    length: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteArgs {
    path: String,
    content: String,
    #[serde(default)]
    encoding: Encoding,
    #[serde(default)]
    parents: bool,
    #[serde(default)]
    exclusive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppendArgs {
    path: String,
    content: String,
    #[serde(default)]
    encoding: Encoding,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MkdirArgs {
    path: String,
    #[serde(default)]
    recursive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReaddirArgs {
    path: String,
    cursor: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RmArgs {
    path: String,
    #[serde(default)]
    recursive: bool,
    #[serde(default)]
    force: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CopyArgs {
    from: String,
    to: String,
    #[serde(default)]
    recursive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveArgs {
    from: String,
    to: String,
}

/// Tools that change the workspace (refused on a read-only grant).
const WRITERS: &[&str] = &[
    "writeFile",
    "appendFile",
    "mkdir",
    "rm",
    "cp",
    "mv",
    "replaceInFiles",
    "edit",
    "writeJson",
    "updateJson",
    "archiveExtract",
    "batch",
];

/// Takes the required string `name` out of a tool's arguments.
fn take_string(tool: &str, args: &mut Map<String, Value>, name: &str) -> Result<String, CapabilityError> {
    match args.remove(name) {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(CapabilityError::tool(format!(
            "EINVAL: workspace.{tool}: {name} must be a string"
        ))),
        None => Err(CapabilityError::tool(format!(
            "EINVAL: workspace.{tool}: {name} is required"
        ))),
    }
}

/// Takes an optional value out of a tool's arguments, read as `T`.
fn take<T: for<'de> Deserialize<'de>>(
    tool: &str,
    args: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<T>, CapabilityError> {
    args.remove(name)
        .map(|value| {
            serde_json::from_value(value)
                .map_err(|e| CapabilityError::tool(format!("EINVAL: workspace.{tool}: {name}: {e}")))
        })
        .transpose()
}

/// The rest of a tool's arguments as its options struct.
fn options<T: serde::de::DeserializeOwned>(args: Map<String, Value>) -> Result<T, CapabilityError> {
    isobox_store::workspace::parse_options(Value::Object(args)).map_err(failed)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, CapabilityError> {
    serde_json::to_value(value).map_err(|e| CapabilityError::new(format!("workspace: {e}")))
}

/// An archive's bytes: the workspace file at `path`, or base64 `data`.
async fn archive_bytes(tool: &str, ws: &Workspace, args: &mut Map<String, Value>) -> Result<Vec<u8>, CapabilityError> {
    let path: Option<String> = take(tool, args, "path")?;
    let data: Option<String> = take(tool, args, "data")?;
    match (path, data) {
        (Some(path), None) => ws.read_file(&path).await.map_err(failed),
        (None, Some(data)) => decode(&data, Encoding::Base64, ""),
        _ => Err(CapabilityError::tool(format!(
            "EINVAL: workspace.{tool}: give path or data (base64), one of them"
        ))),
    }
}

impl Handler {
    fn open(&self, context: &CallContext) -> Result<(Workspace, bool), CapabilityError> {
        let read_only = context.props.get("readOnly").and_then(Value::as_bool).unwrap_or(false);
        let (store, limits, tenancy) = match &self.source {
            Source::Fixed(workspace) => return Ok((workspace.clone(), read_only)),
            Source::Store { store, limits, tenancy } => (store, limits, *tenancy),
        };
        let ns = match context.tenant() {
            Some(tenant) if !tenant.is_empty() => tenant.to_owned(),
            _ if tenancy == Tenancy::Shared => String::new(),
            _ => {
                return Err(CapabilityError::new(
                    "workspace: this grant names no tenant (props.tenant)",
                ));
            }
        };
        let id = context
            .props
            .get("workspace")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let workspace = store.workspace(&ns, id).map_err(failed)?.with_limits(*limits);
        Ok((workspace, read_only))
    }

    async fn call(
        &self,
        context: &CallContext,
        tool: &str,
        args: Map<String, Value>,
    ) -> Result<Value, CapabilityError> {
        let (ws, read_only) = self.open(context)?;
        if read_only && WRITERS.contains(&tool) {
            return Err(CapabilityError::tool(
                FsError::new(
                    FsCode::EACCES,
                    "",
                    format!("workspace.{tool}: this workspace is granted read-only"),
                )
                .to_string(),
            ));
        }
        match tool {
            "readFile" => {
                let a: ReadArgs = arguments(tool, args)?;
                let bytes = match (a.offset, a.length) {
                    (None, None) => ws.read_file(&a.path).await,
                    (offset, length) => {
                        // A length past the largest file reads to the end.
                        let max = ws.limits().max_file_bytes;
                        let length = length.unwrap_or(max).min(max);
                        ws.read_range(&a.path, offset.unwrap_or(0), length).await
                    }
                }
                .map_err(failed)?;
                match a.encoding {
                    Encoding::Base64 => Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(&bytes))),
                    Encoding::Utf8 => String::from_utf8(bytes).map(Value::String).map_err(|_| {
                        CapabilityError::tool(format!(
                            "EINVAL: the file is not UTF-8 text: read it with encoding \"base64\" ({})",
                            a.path
                        ))
                    }),
                }
            }
            "writeFile" => {
                let a: WriteArgs = arguments(tool, args)?;
                let content = decode(&a.content, a.encoding, &a.path)?;
                let options = WriteOptions {
                    parents: a.parents,
                    exclusive: a.exclusive,
                };
                Ok(stat_json(
                    &ws.write_file_with(&a.path, &content, options).await.map_err(failed)?,
                ))
            }
            "appendFile" => {
                let a: AppendArgs = arguments(tool, args)?;
                let content = decode(&a.content, a.encoding, &a.path)?;
                Ok(stat_json(&ws.append_file(&a.path, &content).await.map_err(failed)?))
            }
            "exists" => {
                let a: PathArgs = arguments(tool, args)?;
                Ok(Value::Bool(ws.exists(&a.path).await.map_err(failed)?))
            }
            "stat" => {
                let a: PathArgs = arguments(tool, args)?;
                match ws.stat(&a.path).await.map_err(failed)? {
                    Some(stat) => Ok(stat_json(&stat)),
                    None => Err(failed(
                        FsError::new(FsCode::ENOENT, a.path, "no such file or directory").into(),
                    )),
                }
            }
            "mkdir" => {
                let a: MkdirArgs = arguments(tool, args)?;
                ws.mkdir(&a.path, a.recursive).await.map_err(failed)?;
                Ok(Value::Null)
            }
            "readdir" => {
                let a: ReaddirArgs = arguments(tool, args)?;
                let page = ws
                    .readdir(&a.path, a.cursor.as_deref(), a.limit)
                    .await
                    .map_err(failed)?;
                Ok(serde_json::to_value(&page).unwrap_or(Value::Null))
            }
            "rm" => {
                let a: RmArgs = arguments(tool, args)?;
                match ws.rm(&a.path, a.recursive).await {
                    Ok(count) => Ok(json!(count)),
                    Err(StoreError::Fs(e)) if a.force && e.code == FsCode::ENOENT => Ok(json!(0)),
                    Err(e) => Err(failed(e)),
                }
            }
            "cp" => {
                let a: CopyArgs = arguments(tool, args)?;
                Ok(json!(ws.cp(&a.from, &a.to, a.recursive).await.map_err(failed)?))
            }
            "mv" => {
                let a: MoveArgs = arguments(tool, args)?;
                ws.mv(&a.from, &a.to).await.map_err(failed)?;
                Ok(Value::Null)
            }
            "info" => {
                let limits = *ws.limits();
                let id = ws.id().to_owned();
                let (version, (files, bytes)) = ws
                    .transaction(false, None, |fs| Ok((fs.version(), fs.usage())))
                    .await
                    .map(|(v, _)| v)
                    .map_err(failed)?;
                Ok(json!({
                    "id": id, "version": version, "files": files, "bytes": bytes, "readOnly": read_only,
                    "maxFiles": limits.max_files, "maxBytes": limits.max_bytes, "maxFileBytes": limits.max_file_bytes,
                }))
            }
            _ => self.call_more(&ws, tool, args).await,
        }
    }

    /// The search, edit, JSON, archive and batch tools.
    async fn call_more(
        &self,
        ws: &Workspace,
        tool: &str,
        mut args: Map<String, Value>,
    ) -> Result<Value, CapabilityError> {
        match tool {
            "glob" => {
                let patterns: Vec<String> = take(tool, &mut args, "patterns")?.unwrap_or_default();
                to_json(&ws.glob(patterns, options(args)?).await.map_err(failed)?)
            }
            "find" => {
                let path = take_string(tool, &mut args, "path")?;
                to_json(&ws.find(&path, options(args)?).await.map_err(failed)?)
            }
            "grep" => {
                let pattern = take_string(tool, &mut args, "pattern")?;
                to_json(&ws.grep(&pattern, options(args)?).await.map_err(failed)?)
            }
            "replaceInFiles" => {
                let pattern = take_string(tool, &mut args, "pattern")?;
                let replacement = take_string(tool, &mut args, "replacement")?;
                to_json(
                    &ws.replace_in_files(&pattern, &replacement, options(args)?)
                        .await
                        .map_err(failed)?,
                )
            }
            "edit" => {
                let path = take_string(tool, &mut args, "path")?;
                let edits: Vec<isobox_store::workspace::TextEdit> = take(tool, &mut args, "edits")?.unwrap_or_default();
                to_json(&ws.edit(&path, edits, options(args)?).await.map_err(failed)?)
            }
            "diff" => {
                let a = take_string(tool, &mut args, "a")?;
                let b = take_string(tool, &mut args, "b")?;
                Ok(Value::String(ws.diff(&a, &b, options(args)?).await.map_err(failed)?))
            }
            "diffContent" => {
                let a = take_string(tool, &mut args, "a")?;
                let b = take_string(tool, &mut args, "b")?;
                Ok(Value::String(
                    ws.diff_content(&a, &b, options(args)?).await.map_err(failed)?,
                ))
            }
            "readJson" => {
                let a: PathArgs = arguments(tool, args)?;
                ws.read_json(&a.path).await.map_err(failed)
            }
            "writeJson" => {
                let path = take_string(tool, &mut args, "path")?;
                let value = args.remove("value").unwrap_or(Value::Null);
                Ok(stat_json(
                    &ws.write_json(&path, value, options(args)?).await.map_err(failed)?,
                ))
            }
            "queryJson" => {
                let path = take_string(tool, &mut args, "path")?;
                let query = take_string(tool, &mut args, "query")?;
                let _: Map<String, Value> = options(args)?;
                ws.query_json(&path, &query).await.map_err(failed)
            }
            "updateJson" => {
                let path = take_string(tool, &mut args, "path")?;
                let ops: Vec<isobox_store::workspace::PatchOp> = take(tool, &mut args, "ops")?.unwrap_or_default();
                ws.update_json(&path, ops, options(args)?).await.map_err(failed)
            }
            "archiveCreate" => {
                let paths: Vec<String> = take(tool, &mut args, "paths")?.unwrap_or_default();
                let output: Option<String> = take(tool, &mut args, "output")?;
                let bytes = ws.archive_create(paths, options(args)?).await.map_err(failed)?;
                match output {
                    Some(output) => Ok(stat_json(&ws.write_file(&output, &bytes).await.map_err(failed)?)),
                    None => Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(&bytes))),
                }
            }
            "archiveList" => {
                let bytes = archive_bytes(tool, ws, &mut args).await?;
                to_json(&ws.archive_list(bytes, options(args)?).await.map_err(failed)?)
            }
            "archiveExtract" => {
                let bytes = archive_bytes(tool, ws, &mut args).await?;
                let dest = take_string(tool, &mut args, "dest")?;
                to_json(&ws.archive_extract(bytes, &dest, options(args)?).await.map_err(failed)?)
            }
            "hash" => {
                let a: PathArgs = arguments(tool, args)?;
                Ok(Value::String(ws.hash(&a.path).await.map_err(failed)?))
            }
            "batch" => {
                let ops: Vec<isobox_store::workspace::Op> = match args.remove("ops") {
                    Some(ops) => isobox_store::workspace::parse_options(ops).map_err(failed)?,
                    None => return Err(CapabilityError::tool("EINVAL: workspace.batch: ops is required")),
                };
                let if_version: Option<u64> = take(tool, &mut args, "ifVersion")?;
                let _: Map<String, Value> = options(args)?;
                to_json(&ws.batch(ops, if_version).await.map_err(failed)?)
            }
            other => Err(CapabilityError::new(format!("workspace has no method {other}"))),
        }
    }
}
