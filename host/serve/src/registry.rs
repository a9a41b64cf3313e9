//! The worker registry over HTTP: a tenant uploads workers by name and
//! calls them at `/v1/workers/{name}/...`, like the `[workers.NAME]` of
//! the config, on every replica that shares the store.
//!
//! - `PUT /v1/workers/{name}`: a new version (JSON: `code` or `modules`
//!   with `filename`, `dependencies`, `capabilities`, `egress`, `limits`,
//!   `assets` as `{path: text | {"base64": ...}}`, `assets_html_handling`,
//!   `assets_not_found`). `If-Match: "N"` writes only over version N,
//!   `If-None-Match: *` only a new name (412 otherwise). The grants are
//!   checked against the tenant's ceilings now, and again on every run.
//!   Needs `upload_workers = true` on the tenant.
//! - `GET /v1/workers/{name}` (`?version=N`): the version's spec, its
//!   assets' names and sizes, and the versions kept; `DELETE` removes the
//!   worker and every version; `GET /v1/workers` lists the tenant's
//!   workers, configured and uploaded.
//!
//! Which version is the newest: on PostgreSQL every write notifies every
//! replica (LISTEN/NOTIFY), and a replica keeps each worker's newest
//! version as it last read it until it hears of a change, so a request
//! reads nothing from the database; a version written through one replica
//! is served by the others as soon as the notification arrives (well
//! under a millisecond on a local network), and by the replica that wrote
//! it at once. While the listening connection is down, and on SQLite (one
//! machine, where the read costs microseconds), each request reads the
//! newest version's row. The parsed version (code, modules, assets) is
//! cached per replica by the SHA-256 of its content, and its code compiles
//! once per content hash in the engine's bytecode cache; a new version is
//! a new hash, so nothing stale is served.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use isobox::ModuleSource;
use isobox_store::StoreError;
use isobox_store::workers::{NewVersion, WorkerChanges, WorkerHead};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::api::{
    ApiError, AppState, RunBody, as_tenant, build_request, expect_json, finish, parse_object, read_body_within,
    request_id,
};
use super::config::Tenant;
use super::limits::LimitValues;
use super::stored::{StoredWorker, asset_config, check_name};

/// `[registry]`: bounds of uploaded workers. Every default is on its field.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrySettings {
    /// Versions kept per worker (older ones are removed). Default 10.
    pub keep_versions: usize,
    /// The largest upload (the PUT body, base64 included). Default 48 MiB.
    pub max_upload_bytes: usize,
    /// The most bytes of code: the main module and every other module.
    /// Default 4 MiB.
    pub max_code_bytes: usize,
    /// The most bytes of assets, decoded. Default 25 MiB.
    pub max_assets_bytes: usize,
    /// The most asset files. Default 20,000.
    pub max_asset_files: usize,
    /// Versions kept parsed in memory, per replica. Default 256.
    pub cache_entries: usize,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        RegistrySettings {
            keep_versions: 10,
            max_upload_bytes: 48 << 20,
            max_code_bytes: 4 << 20,
            max_assets_bytes: 25 << 20,
            max_asset_files: 20_000,
            cache_entries: 256,
        }
    }
}

/// A version as the registry keeps it (JSON), and the body of `PUT
/// /v1/workers/{name}` but its `assets`, whose bodies go into the archive
/// beside it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(default = "default_filename")]
    filename: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    modules: BTreeMap<String, ModuleSource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    capabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    egress: Option<String>,
    #[serde(default)]
    limits: LimitValues,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assets_html_handling: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assets_not_found: Option<String>,
}

fn default_filename() -> String {
    "worker.js".into()
}

/// An asset's body in an upload: text, or `{"base64": "..."}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum AssetBody {
    Text(String),
    Encoded { base64: String },
}

/// Per replica: parsed versions by content hash, and, where the store
/// notifies changes (PostgreSQL), each worker's newest version as last
/// read, valid until the next change is heard.
pub(crate) struct RegistryCache {
    versions: Mutex<HashMap<String, (Arc<StoredWorker>, u64)>>,
    clock: std::sync::atomic::AtomicU64,
    heads: Mutex<Heads>,
    changes: Option<WorkerChanges>,
}

/// Each worker's newest version (`None`: no such worker) by namespace and
/// name, with the generation it was read at.
type Heads = HashMap<(String, String), (Option<WorkerHead>, u64)>;

/// An upload's asset files: path and body.
type AssetFiles = Vec<(String, Vec<u8>)>;

/// The most newest-version rows kept; past it the map starts over.
const MAX_HEADS: usize = 10_000;

impl RegistryCache {
    /// A cache that keeps newest versions while `changes` is live.
    pub(crate) fn new(changes: Option<WorkerChanges>) -> Self {
        RegistryCache {
            versions: Mutex::default(),
            clock: std::sync::atomic::AtomicU64::new(0),
            heads: Mutex::default(),
            changes,
        }
    }

    fn get(&self, sha256: &str) -> Option<Arc<StoredWorker>> {
        let tick = self.clock.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut entries = self.versions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get_mut(sha256).map(|(worker, used)| {
            *used = tick;
            worker.clone()
        })
    }

    /// Keeps `worker` under `sha256`, dropping the least recently used
    /// entry past `capacity`.
    fn insert(&self, sha256: &str, worker: Arc<StoredWorker>, capacity: usize) {
        let tick = self.clock.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut entries = self.versions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while entries.len() >= capacity.max(1) {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            entries.remove(&oldest);
        }
        entries.insert(sha256.to_owned(), (worker, tick));
    }

    /// The newest version of `ns`/`name` as last read, if nothing has
    /// changed since (outer `None`: read it).
    #[allow(clippy::option_option)]
    fn cached_head(&self, ns: &str, name: &str) -> Option<Option<WorkerHead>> {
        let changes = self.changes.as_ref().filter(|c| c.is_live())?;
        let generation = changes.generation();
        let heads = self.heads.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        heads
            .get(&(ns.to_owned(), name.to_owned()))
            .filter(|(_, at)| *at == generation)
            .map(|(head, _)| head.clone())
    }

    /// The generation a read starts at (what it may be cached under).
    fn generation(&self) -> Option<u64> {
        self.changes
            .as_ref()
            .filter(|c| c.is_live())
            .map(WorkerChanges::generation)
    }

    /// Keeps what a read that started at `generation` found.
    fn keep_head(&self, ns: &str, name: &str, head: Option<WorkerHead>, generation: Option<u64>) {
        let Some(generation) = generation else {
            return;
        };
        let mut heads = self.heads.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if heads.len() >= MAX_HEADS {
            heads.clear();
        }
        heads.insert((ns.to_owned(), name.to_owned()), (head, generation));
    }

    /// This replica changed the registry: what it read before is stale
    /// (other replicas hear of it through the store).
    fn changed(&self) {
        if let Some(changes) = &self.changes {
            changes.bump();
        }
    }
}

/// A worker a request names: configured, or uploaded (with its version).
pub(crate) struct Resolved {
    pub(crate) worker: Arc<StoredWorker>,
    pub(crate) version: Option<i64>,
}

/// The worker `name` of `tenant`: a configured one it may call, else its
/// uploaded one's newest version.
pub(crate) async fn resolve(state: &AppState, tenant: &Tenant, name: &str) -> Result<Resolved, ApiError> {
    if let Some(worker) = state.config.workers.get(name).filter(|_| tenant.workers.contains(name)) {
        return Ok(Resolved {
            worker: worker.clone(),
            version: None,
        });
    }
    let missing = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no worker named \"{name}\" for this tenant"),
        )
    };
    if check_name(name).is_err() {
        return Err(missing());
    }
    let workers = state.store.workers();
    // The newest version can be pruned between the two reads by a writer
    // on another replica: read the head again then.
    for _ in 0..3 {
        let head = match state.registry.cached_head(&tenant.id, name) {
            Some(head) => head,
            None => {
                let generation = state.registry.generation();
                let head = workers.head(&tenant.id, name).await.map_err(store_error)?;
                state.registry.keep_head(&tenant.id, name, head.clone(), generation);
                head
            }
        };
        let Some(head) = head else {
            return Err(missing());
        };
        if let Some(worker) = state.registry.get(&head.sha256) {
            return Ok(Resolved {
                worker,
                version: Some(head.version),
            });
        }
        let Some(stored) = workers
            .get(&tenant.id, name, Some(head.version))
            .await
            .map_err(store_error)?
        else {
            // Pruned or deleted since: what was read is stale.
            state.registry.changed();
            continue;
        };
        let worker = Arc::new(parse_version(&stored.spec, stored.assets.as_deref())?);
        state
            .registry
            .insert(&head.sha256, worker.clone(), state.config.registry.cache_entries);
        return Ok(Resolved {
            worker,
            version: Some(head.version),
        });
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("worker \"{name}\" changed while it was being read: try again"),
    ))
}

/// A kept version as a worker to run.
fn parse_version(spec: &str, assets: Option<&[u8]>) -> Result<StoredWorker, ApiError> {
    let corrupt = |message: String| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("a kept worker version cannot be read: {message}"),
        )
    };
    let spec: WorkerSpec = serde_json::from_str(spec).map_err(|e| corrupt(e.to_string()))?;
    let assets = match assets {
        Some(archive) => {
            let files = read_archive(archive).map_err(corrupt)?;
            let config = asset_config(spec.assets_html_handling.as_deref(), spec.assets_not_found.as_deref())
                .map_err(corrupt)?;
            Some(Arc::new(
                isobox_assets::Assets::from_files(files, config).map_err(|e| corrupt(e.to_string()))?,
            ))
        }
        None => None,
    };
    worker_of(spec, assets).map_err(corrupt)
}

/// The worker a spec describes: its main module as `code`, the others as
/// `modules`.
fn worker_of(spec: WorkerSpec, assets: Option<Arc<isobox_assets::Assets>>) -> Result<StoredWorker, String> {
    let mut modules = spec.modules;
    let code = match spec.code {
        Some(code) => code,
        None => match modules.remove(&spec.filename) {
            Some(ModuleSource::Js(code)) => code,
            Some(_) => {
                return Err(format!(
                    "the main module \"{}\" must be JavaScript or TypeScript source",
                    spec.filename
                ));
            }
            None => {
                return Err(format!(
                    "give `code`, or `modules` with the main module named by `filename` (\"{}\")",
                    spec.filename
                ));
            }
        },
    };
    Ok(StoredWorker {
        code: code.into(),
        filename: spec.filename,
        modules,
        capabilities: spec.capabilities,
        egress: spec.egress,
        limits: spec.limits,
        dependencies: spec.dependencies,
        assets,
    })
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Unavailable(_) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store-unavailable", error.to_string())
        }
        StoreError::Conflict(message) => ApiError::new(StatusCode::PRECONDITION_FAILED, "version-mismatch", message),
        StoreError::Config(message) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", message),
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", other.to_string()),
    }
}

fn head_json(head: &WorkerHead) -> Value {
    json!({
        "name": head.name,
        "source": "registry",
        "version": head.version,
        "sha256": head.sha256,
        "created_ms": head.created_ms,
        "bytes": head.bytes,
    })
}

fn with_etag(mut response: Response, version: i64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// `GET /v1/workers`.
pub(crate) async fn list(State(state): State<Arc<AppState>>, request: Request) -> Response {
    as_tenant(state, request, async move |state, tenant, _, _| {
        let mut workers: Vec<Value> = tenant
            .workers
            .iter()
            .map(|name| json!({ "name": name, "source": "config" }))
            .collect();
        let uploaded = state.store.workers().list(&tenant.id).await.map_err(store_error)?;
        workers.extend(uploaded.iter().map(head_json));
        Ok(axum::Json(json!({ "workers": workers })).into_response())
    })
    .await
}

/// `GET /v1/workers/{name}`.
pub(crate) async fn info(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    as_tenant(state, request, async move |state, tenant, _, _| {
        let version =
            match url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).find(|(key, _)| key == "version") {
                Some((_, value)) => Some(value.parse::<i64>().map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad-request",
                        "?version= takes a version number",
                    )
                })?),
                None => None,
            };
        if let Some(worker) = state
            .config
            .workers
            .get(&name)
            .filter(|_| tenant.workers.contains(&name))
        {
            return Ok(axum::Json(json!({
                "name": name,
                "source": "config",
                "filename": worker.filename,
                "capabilities": worker.capabilities,
                "egress": worker.egress,
                "dependencies": worker.dependencies,
                "assets": worker.assets.as_ref().map_or(0, |a| a.len()),
            }))
            .into_response());
        }
        let workers = state.store.workers();
        let version = workers
            .get(&tenant.id, &name, version)
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not-found",
                    match version {
                        Some(v) => format!(
                            "worker \"{name}\" has no version {v} (kept versions are listed by GET without ?version)"
                        ),
                        None => format!("no worker named \"{name}\" for this tenant"),
                    },
                )
            })?;
        let spec: Value = serde_json::from_str(&version.spec).unwrap_or(Value::Null);
        let assets: Vec<Value> = match version.assets.as_deref().map(read_archive).transpose() {
            Ok(files) => files
                .unwrap_or_default()
                .iter()
                .map(|(path, body)| json!({ "path": path, "bytes": body.len() }))
                .collect(),
            Err(message) => return Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)),
        };
        let versions: Vec<Value> = workers
            .versions(&tenant.id, &name)
            .await
            .map_err(store_error)?
            .iter()
            .map(|v| json!({ "version": v.version, "sha256": v.sha256, "created_ms": v.created_ms, "bytes": v.bytes }))
            .collect();
        let mut body = head_json(&version.head);
        body["spec"] = spec;
        body["assets"] = Value::Array(assets);
        body["versions"] = Value::Array(versions);
        Ok(with_etag(axum::Json(body).into_response(), version.head.version))
    })
    .await
}

/// `DELETE /v1/workers/{name}`.
pub(crate) async fn remove(State(state): State<Arc<AppState>>, Path(name): Path<String>, request: Request) -> Response {
    as_tenant(state, request, async move |state, tenant, _, _| {
        may_upload(&tenant)?;
        let deleted = state.store.workers().delete(&tenant.id, &name).await;
        state.registry.changed();
        if deleted.map_err(store_error)? {
            tracing::info!(worker = %name, tenant = %tenant.id, "worker deleted");
            Ok(StatusCode::NO_CONTENT.into_response())
        } else {
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no uploaded worker named \"{name}\" for this tenant"),
            ))
        }
    })
    .await
}

/// Any other method on `/v1/workers/{name}`.
pub(crate) async fn other_method(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    let id = request_id();
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!(
            "/v1/workers/{name} takes GET, PUT and DELETE (the registry); the worker itself answers at \
             /v1/workers/{name}/ and the paths under it"
        ),
    )
    .into_response(&id);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, PUT, DELETE"));
    finish(&state, &id, response)
}

fn may_upload(tenant: &Tenant) -> Result<(), ApiError> {
    if tenant.upload_workers {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "this tenant may not upload or delete workers: set upload_workers = true on it",
        ))
    }
}

/// What `If-Match: "N"` or `If-None-Match: *` asks a write to find.
fn expected_version(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let bad = |what: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            format!("{what}: give a version as the worker's ETag gives it (\"3\")"),
        )
    };
    if let Some(value) = headers.get(header::IF_MATCH) {
        let text = value.to_str().map_err(|_| bad("If-Match"))?.trim();
        let number = text.trim_start_matches("W/").trim_matches('"');
        return number.parse::<i64>().map(Some).map_err(|_| bad("If-Match"));
    }
    if let Some(value) = headers.get(header::IF_NONE_MATCH) {
        return match value.to_str().map(str::trim) {
            Ok("*") => Ok(Some(0)),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "If-None-Match takes only * (create, never replace)",
            )),
        };
    }
    Ok(None)
}

/// `PUT /v1/workers/{name}`.
pub(crate) async fn upload(State(state): State<Arc<AppState>>, Path(name): Path<String>, request: Request) -> Response {
    as_tenant(state, request, async move |state, tenant, request, _| {
        may_upload(&tenant)?;
        check_name(&name).map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message))?;
        // Only a configured worker this tenant calls takes the name: other
        // tenants' configured workers are neither in the way nor revealed.
        if state.config.workers.contains_key(&name) && tenant.workers.contains(&name) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("worker \"{name}\" is configured in [workers]: upload under another name"),
            ));
        }
        let expect = expected_version(request.headers())?;
        expect_json(request.headers())?;
        let settings = &state.config.registry;
        let bytes = read_body_within(&state, request.into_body(), settings.max_upload_bytes).await?;
        let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message);
        let mut body: serde_json::Map<String, Value> = parse_object(&bytes, "a worker upload")?;
        let assets: BTreeMap<String, AssetBody> = match body.remove("assets") {
            Some(assets) => serde_json::from_value(assets).map_err(|e| bad(format!("`assets`: {e}")))?,
            None => BTreeMap::new(),
        };
        let spec: WorkerSpec = serde_json::from_value(Value::Object(body))
            .map_err(|e| bad(format!("the body is not a worker upload: {e}")))?;
        let files = check_upload(&spec, assets, settings)?;
        let config =
            asset_config(spec.assets_html_handling.as_deref(), spec.assets_not_found.as_deref()).map_err(bad)?;
        let spec_json = serde_json::to_string(&spec)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
        // The grants, checked now as every run checks them.
        let worker = worker_of(spec, None).map_err(bad)?;
        build_request(&state, &tenant, RunBody::for_worker(&worker))?;
        let archive = match files {
            Some(files) => {
                // Paths and variants checked as they will be served.
                isobox_assets::Assets::from_files(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())), config)
                    .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad-request", format!("assets: {e}")))?;
                Some(write_archive(&files)?)
            }
            None => None,
        };
        let sha256 = content_sha256(&spec_json, archive.as_deref());
        let head = state
            .store
            .workers()
            .put(
                &tenant.id,
                &name,
                NewVersion::new(spec_json, archive, sha256),
                expect,
                settings.keep_versions,
            )
            .await;
        state.registry.changed();
        let head = head.map_err(store_error)?;
        tracing::info!(worker = %name, tenant = %tenant.id, version = head.version, "worker uploaded");
        let status = if head.version == 1 {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok(with_etag(
            (status, axum::Json(head_json(&head))).into_response(),
            head.version,
        ))
    })
    .await
}

/// An upload's asset files (none without `assets`), once its code and
/// assets are within the registry's bounds.
fn check_upload(
    spec: &WorkerSpec,
    assets: BTreeMap<String, AssetBody>,
    settings: &RegistrySettings,
) -> Result<Option<AssetFiles>, ApiError> {
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message);
    let code_bytes = spec.code.as_ref().map_or(0, String::len)
        + spec
            .modules
            .iter()
            .map(|(name, module)| {
                name.len()
                    + match module {
                        ModuleSource::Js(text) | ModuleSource::Text(text) => text.len(),
                        ModuleSource::Json(value) => value.to_string().len(),
                    }
            })
            .sum::<usize>();
    if code_bytes > settings.max_code_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!(
                "the worker's code is {code_bytes} bytes, over registry.max_code_bytes ({})",
                settings.max_code_bytes
            ),
        ));
    }
    if assets.len() > settings.max_asset_files {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!(
                "{} asset files, over registry.max_asset_files ({})",
                assets.len(),
                settings.max_asset_files
            ),
        ));
    }
    let files = if assets.is_empty() {
        if spec.assets_html_handling.is_some() || spec.assets_not_found.is_some() {
            return Err(bad(
                "assets_html_handling and assets_not_found apply to assets: give `assets` too".into(),
            ));
        }
        None
    } else {
        let mut files = Vec::with_capacity(assets.len());
        let mut total = 0usize;
        for (path, body) in assets {
            let body = match body {
                AssetBody::Text(text) => text.into_bytes(),
                AssetBody::Encoded { base64 } => base64::engine::general_purpose::STANDARD
                    .decode(base64.as_bytes())
                    .map_err(|e| bad(format!("assets: {path}: not base64: {e}")))?,
            };
            total += body.len();
            if total > settings.max_assets_bytes {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    format!(
                        "the assets are over registry.max_assets_bytes ({})",
                        settings.max_assets_bytes
                    ),
                ));
            }
            files.push((path.trim_start_matches('/').to_owned(), body));
        }
        Some(files)
    };
    Ok(files)
}

/// The SHA-256 (hex) of a version's spec and archive, which names it in
/// the per-replica cache.
fn content_sha256(spec: &str, archive: Option<&[u8]>) -> String {
    let mut hash = Sha256::new();
    hash.update((spec.len() as u64).to_le_bytes());
    hash.update(spec.as_bytes());
    if let Some(archive) = archive {
        hash.update(archive);
    }
    super::config::hex(&hash.finalize())
}

/// The asset files as one ustar archive, in the order given, with fixed
/// modes and times so the same files make the same bytes.
fn write_archive(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, ApiError> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, body) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, path, body.as_slice())
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad-request", format!("assets: {path}: {e}")))?;
    }
    builder
        .into_inner()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

/// The files of an archive [`write_archive`] made.
fn read_archive(archive: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = Vec::new();
    let mut reader = tar::Archive::new(archive);
    for entry in reader.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path().map_err(|e| e.to_string())?.to_string_lossy().into_owned();
        let mut body = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0).min(archive.len()));
        entry.read_to_end(&mut body).map_err(|e| e.to_string())?;
        files.push((path, body));
    }
    Ok(files)
}

/// The version header of a response from an uploaded worker.
pub(crate) fn version_header(response: &mut Response, version: Option<i64>) {
    if let Some(version) = version
        && let Ok(value) = HeaderValue::from_str(&version.to_string())
    {
        response.headers_mut().insert("x-isobox-worker-version", value);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn archives_round_trip_and_are_deterministic() {
        let files = vec![
            ("index.html".to_owned(), b"<h1>hi</h1>".to_vec()),
            ("a/b/long-name-".repeat(12) + "x.bin", vec![0, 255, 7]),
        ];
        let one = super::write_archive(&files).ok().expect("an archive");
        assert_eq!(Some(&one), super::write_archive(&files).ok().as_ref());
        assert_eq!(super::read_archive(&one).unwrap(), files);
        assert!(super::read_archive(&one[..1100]).is_err(), "a cut archive is an error");
    }

    #[test]
    fn if_match_and_if_none_match_give_the_expected_version() {
        use axum::http::{HeaderMap, HeaderValue, header};
        let mut headers = HeaderMap::new();
        assert_eq!(super::expected_version(&headers).ok(), Some(None));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert_eq!(super::expected_version(&headers).ok(), Some(Some(0)));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("\"7\""));
        assert_eq!(super::expected_version(&headers).ok(), Some(Some(7)));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("abc"));
        assert!(super::expected_version(&headers).is_err());
    }
}
