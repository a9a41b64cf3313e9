//! `--grant`, `--plugin` and `--props`: the capabilities a CLI run may call.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use isobox::capability::{CapabilityInterface, McpTools, TodoStore, WitPackage};
use isobox::{Capability, Engine, RunRequest};
use isobox_state::Tenancy;

#[derive(Args, Default)]
pub struct GrantArgs {
    /// Grant a built-in capability: `kv`, `workspace` or `todo`, or
    /// `NAME=kv` to call it env.NAME (repeatable).
    #[arg(long, value_name = "[NAME=]BUILTIN")]
    grant: Vec<String>,
    /// Where kv and workspaces keep their data: `memory` (gone when the
    /// command ends), a SQLite file (made if absent), or a postgres:// URL.
    #[arg(long, value_name = "memory|FILE|postgres://...", default_value = "memory")]
    store: String,
    /// Where file contents over 64 KiB go: a directory, or s3://BUCKET/PREFIX
    /// (with ?endpoint=, ?region=; a build with the `s3` feature) [default:
    /// beside a SQLite file; in the database for PostgreSQL].
    #[arg(long, value_name = "DIR|s3://...")]
    blobs: Option<String>,
    /// The workspace a `workspace` grant opens (letters, digits, -, _, .).
    #[arg(long, value_name = "ID", default_value = "default")]
    workspace: String,
    /// A `workspace` grant opens this host directory instead (confined: no
    /// path, `..` or link leaves it; batches on it are best-effort).
    #[arg(long, value_name = "DIR", conflicts_with = "workspace")]
    workspace_dir: Option<std::path::PathBuf>,
    /// With --workspace-dir: the code may read, not write.
    #[arg(long, requires = "workspace_dir")]
    workspace_read_only: bool,
    /// Grant a Wasm component plugin: NAME=COMPONENT.wasm:WIT[:INTERFACE],
    /// WIT a .wit file or a directory with deps/ (repeatable).
    #[arg(long, value_name = "NAME=COMPONENT:WIT[:INTERFACE]")]
    plugin: Vec<String>,
    /// Properties for a granted capability (a tenant id, say):
    /// NAME=JSON (repeatable).
    #[arg(long, value_name = "NAME=JSON")]
    props: Vec<String>,
    #[command(flatten)]
    pub openapi: crate::openapi_flags::OpenApiArgs,
}

/// `isobox types`: the grants, and MCP tool lists to declare beside them.
#[derive(Args)]
pub struct TypesArgs {
    #[command(flatten)]
    grants: GrantArgs,
    /// Declare an MCP server's tools as env.NAME: FILE is its tools/list
    /// result as JSON (repeatable).
    #[arg(long, value_name = "NAME=FILE.json")]
    mcp_tools: Vec<String>,
}

/// What a grant refers to, before anything is loaded.
enum Source {
    Builtin(&'static str),
    Plugin {
        component: PathBuf,
        wit: PathBuf,
        interface: Option<String>,
    },
}

struct Spec {
    name: String,
    source: Source,
}

impl GrantArgs {
    fn specs(&self) -> Result<Vec<Spec>, String> {
        let mut specs = Vec::new();
        for grant in &self.grant {
            let (name, builtin) = grant.split_once('=').unwrap_or((grant, grant));
            let builtin = match builtin {
                "kv" => "kv",
                "todo" => "todo",
                "workspace" => "workspace",
                other => {
                    return Err(format!(
                        "--grant {grant}: no built-in capability named \"{other}\" (there are kv, workspace \
                         and todo; use --plugin for a component)"
                    ));
                }
            };
            specs.push(Spec {
                name: name.to_owned(),
                source: Source::Builtin(builtin),
            });
        }
        for plugin in &self.plugin {
            let usage = || format!("--plugin {plugin}: expected NAME=COMPONENT.wasm:WIT[:INTERFACE]");
            let (name, rest) = plugin.split_once('=').ok_or_else(usage)?;
            let mut parts = rest.split(':');
            let component = parts.next().filter(|p| !p.is_empty()).ok_or_else(usage)?;
            let wit = parts.next().filter(|p| !p.is_empty()).ok_or_else(usage)?;
            let interface = parts.next().map(str::to_owned);
            if parts.next().is_some() {
                return Err(usage());
            }
            specs.push(Spec {
                name: name.to_owned(),
                source: Source::Plugin {
                    component: component.into(),
                    wit: wit.into(),
                    interface,
                },
            });
        }
        Ok(specs)
    }

    fn props(&self, names: &[&str]) -> Result<BTreeMap<String, serde_json::Value>, String> {
        let mut props = BTreeMap::new();
        for entry in &self.props {
            let (name, json) = entry
                .split_once('=')
                .ok_or_else(|| format!("--props {entry}: expected NAME=JSON"))?;
            if !names.contains(&name) {
                return Err(format!("--props {name}: no capability of that name is granted"));
            }
            let value = serde_json::from_str(json).map_err(|e| format!("--props {name}: not valid JSON: {e}"))?;
            if props.insert(name.to_owned(), value).is_some() {
                return Err(format!(
                    "--props {name} is given twice: give one JSON value with every property"
                ));
            }
        }
        Ok(props)
    }

    /// The names `workspace` grants give in env (JSON-typed, declared as
    /// tools rather than WIT).
    pub fn workspace_names(&self) -> Result<Vec<String>, String> {
        Ok(self
            .specs()?
            .into_iter()
            .filter(|s| matches!(s.source, Source::Builtin("workspace")))
            .map(|s| s.name)
            .collect())
    }

    /// The names the grants give in env.
    pub fn names(&self) -> Result<Vec<String>, String> {
        let mut names: Vec<String> = self.specs()?.into_iter().map(|s| s.name).collect();
        for name in self.openapi.names()? {
            if names.contains(&name) {
                return Err(format!("--openapi {name}: env.{name} is already granted"));
            }
            names.push(name);
        }
        Ok(names)
    }

    /// Where --store says kv, workspaces, runs and sessions live.
    pub fn store_location(&self) -> &str {
        &self.store
    }

    /// The store --store names, opened (and migrated).
    pub async fn open_store(&self) -> Result<isobox_store::Store, String> {
        isobox_store::Store::open_with_blobs(&self.store, self.blobs.as_deref())
            .await
            .map_err(|e| format!("--store: {e}"))
    }

    /// Adds the grants to `request`, loading plugins for `engine` and
    /// opening the store when kv or a workspace is granted.
    pub async fn apply(&self, engine: &Engine, mut request: RunRequest) -> Result<RunRequest, String> {
        let specs = self.specs()?;
        let all_names = self.names()?;
        let names: Vec<&str> = all_names.iter().map(String::as_str).collect();
        let mut props = self.props(&names)?;
        let needs_store = specs.iter().any(|s| match s.source {
            Source::Builtin("kv") => true,
            Source::Builtin("workspace") => self.workspace_dir.is_none(),
            _ => false,
        });
        let store = if needs_store {
            Some(
                isobox_store::Store::open_with_blobs(&self.store, self.blobs.as_deref())
                    .await
                    .map_err(|e| format!("--store: {e}"))?,
            )
        } else {
            None
        };
        let directory = self.workspace_dir.as_deref();
        for spec in specs {
            let capability = match (&spec.source, &store) {
                (Source::Builtin("workspace"), _) if let Some(dir) = directory => {
                    let access = if self.workspace_read_only {
                        isobox_store::workspace::DirAccess::ReadOnly
                    } else {
                        isobox_store::workspace::DirAccess::ReadWrite
                    };
                    let workspace = isobox_store::workspace::Workspace::directory(dir, access, Default::default())
                        .map_err(|e| format!("--workspace-dir {}: {e}", dir.display()))?;
                    isobox_state::add_workspace_imports(&workspace, &mut request)
                        .await
                        .map_err(|e| format!("--workspace-dir {}: imports: {e}", dir.display()))?;
                    isobox_state::fixed_workspace_capability(workspace)
                }
                (Source::Builtin("kv"), Some(store)) => isobox_state::kv_capability(store.kv(), Tenancy::Shared),
                (Source::Builtin("workspace"), Some(store)) => {
                    // The workspace id is checked here, before any run, and
                    // the code's relative imports read from it.
                    let workspace = store
                        .workspace("", &self.workspace)
                        .map_err(|e| format!("--workspace {}: {e}", self.workspace))?;
                    isobox_state::add_workspace_imports(&workspace, &mut request)
                        .await
                        .map_err(|e| format!("--workspace {}: imports: {e}", self.workspace))?;
                    let value = props.entry(spec.name.clone()).or_insert_with(|| serde_json::json!({}));
                    if let Some(object) = value.as_object_mut() {
                        object
                            .entry("workspace")
                            .or_insert_with(|| serde_json::Value::String(self.workspace.clone()));
                    }
                    isobox_state::workspace_capability(store.clone(), Default::default(), Tenancy::Shared)
                }
                (Source::Builtin(_), _) => Capability::todo(TodoStore::shared()),
                (
                    Source::Plugin {
                        component,
                        wit,
                        interface,
                    },
                    _,
                ) => Capability::from_component_and_wit_files(engine, component, wit, interface.as_deref())
                    .map_err(|e| format!("--plugin {}: {e}", spec.name))?,
            };
            let value = props.remove(&spec.name).unwrap_or(serde_json::Value::Null);
            request = request.grant_with_props(&spec.name, capability, value);
        }
        for (name, capability) in self.openapi.capabilities()? {
            let value = props.remove(&name).unwrap_or(serde_json::Value::Null);
            request = request.grant_with_props(&name, capability, value);
        }
        Ok(request)
    }

    /// The granted interfaces by name, for `isobox types` (no component is
    /// loaded).
    pub fn interfaces(&self) -> Result<Vec<(String, CapabilityInterface)>, String> {
        let mut interfaces = Vec::new();
        for spec in self.specs()? {
            let interface = match &spec.source {
                Source::Builtin("workspace") => continue,
                Source::Builtin("kv") => CapabilityInterface::from_wit(isobox_state::KV_WIT, "store")
                    .map_err(|e| format!("--grant {}: {e}", spec.name))?,
                Source::Builtin(_) => CapabilityInterface::from_wit(TodoStore::WIT, "todos")
                    .map_err(|e| format!("--grant {}: {e}", spec.name))?,
                Source::Plugin { wit, interface, .. } => {
                    let package = WitPackage::load(wit).map_err(|e| format!("--plugin {}: {e}", spec.name))?;
                    let name = match interface {
                        Some(name) => name.clone(),
                        None => match package.interface_names().as_slice() {
                            [only] => only.clone(),
                            names => {
                                return Err(format!(
                                    "--plugin {}: the WIT has {} interfaces ({}): name one",
                                    spec.name,
                                    names.len(),
                                    names.join(", ")
                                ));
                            }
                        },
                    };
                    package
                        .interface(&name)
                        .map_err(|e| format!("--plugin {}: {e}", spec.name))?
                }
            };
            if !isobox::capability::valid_binding_name(&spec.name) {
                return Err(format!(
                    "\"{}\" cannot be a name in env: use letters, digits and _",
                    spec.name
                ));
            }
            interfaces.push((spec.name, interface));
        }
        Ok(interfaces)
    }
}

/// What `isobox types` prints: the globals, and `env` typed from the grants
/// and the MCP tool lists.
pub fn typescript(args: &TypesArgs) -> Result<String, String> {
    let interfaces = args.grants.interfaces()?;
    let mut mcp: Vec<(String, McpTools)> = Vec::new();
    for name in args.grants.workspace_names()? {
        mcp.push((name, isobox_state::workspace_tools()));
    }
    for entry in &args.mcp_tools {
        let (name, file) = entry
            .split_once('=')
            .ok_or_else(|| format!("--mcp-tools {entry}: expected NAME=FILE.json"))?;
        if !isobox::capability::valid_binding_name(name) {
            return Err(format!(
                "--mcp-tools {entry}: \"{name}\" cannot be a name in env: use letters, digits and _"
            ));
        }
        if interfaces.iter().any(|(n, _)| n == name) || mcp.iter().any(|(n, _)| n == name) {
            return Err(format!("--mcp-tools {entry}: env.{name} is already declared"));
        }
        let text = std::fs::read_to_string(file).map_err(|e| format!("--mcp-tools {name}: cannot read {file}: {e}"))?;
        let tools = McpTools::from_json(&text).map_err(|e| format!("--mcp-tools {name}: {e}"))?;
        for skipped in tools.skipped() {
            eprintln!("isobox: --mcp-tools {name}: left out {skipped}");
        }
        mcp.push((name.to_owned(), tools));
    }
    let openapi = args.grants.openapi.capabilities()?;
    if interfaces.is_empty() && mcp.is_empty() && openapi.is_empty() {
        return Ok(isobox::typescript::GLOBALS.to_owned());
    }
    let globals: String = isobox::typescript::GLOBALS
        .lines()
        .filter(|line| {
            !line.starts_with("declare const env:") && !line.contains("/** Granted capabilities, by name. */")
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let bindings: Vec<(&str, &CapabilityInterface)> = interfaces
        .iter()
        .map(|(name, interface)| (name.as_str(), interface))
        .collect();
    let mcp: Vec<(&str, &McpTools)> = mcp.iter().map(|(name, tools)| (name.as_str(), tools)).collect();
    // Each OpenAPI binding is summarised (its operations are found with
    // `isobox mcp`'s search and describe).
    let summaries: Vec<String> = openapi
        .iter()
        .filter_map(|(name, capability)| capability.json_catalog().map(|catalog| catalog.summary(name)))
        .collect();
    let env = isobox::capability::typescript_env_with_summaries(&bindings, &mcp, &summaries);
    Ok(format!("{globals}\n{env}"))
}
