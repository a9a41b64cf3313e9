//! The HTTP routes: `POST /v1/run`, `GET /healthz`, `GET /metrics`,
//! `GET /openapi.json`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::OwnedSemaphorePermit;
use tracing::Instrument as _;

use isobox::{Capability, CodeForm, Lang, ModuleSource, RunRequest};

use super::admission::{Admission, Gate};
use super::config::{ServeConfig, Tenant};
use super::limits::LimitValues;
use super::metrics::Metrics;

/// The OpenAPI 3.1 description served at `/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// What every route shares.
pub(crate) struct AppState {
    pub config: ServeConfig,
    pub engine: isobox::Engine,
    pub metrics: Arc<Metrics>,
    pub gate: Gate,
    /// The built-in capabilities, built once; each run's grant carries
    /// its tenant in `props.tenant`.
    pub kv: Capability,
    pub todo: Capability,
    pub workspace: Capability,
    /// The store behind kv and the workspaces.
    pub store: isobox_store::Store,
    /// Run history and snippets (in `store`).
    pub runs: isobox_store::runs::Runs,
    /// Uploaded workers parsed, by content hash.
    pub registry: super::registry::RegistryCache,
    /// Set when a drain began: `/readyz` fails from then on.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

/// The body of `POST /v1/run`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RunBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    modules: BTreeMap<String, ModuleSource>,
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    form: CodeForm,
    #[serde(default)]
    lang: Lang,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    limits: LimitValues,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    egress: Option<String>,
    /// The workspace a `workspace` grant opens (default `default`).
    #[serde(default)]
    workspace: Option<String>,
    /// npm packages the code imports by name (`zod@^4`); each must match
    /// the tenant's `packages`.
    #[serde(default)]
    dependencies: Vec<String>,
    /// How JSX in a `.jsx`/`.tsx` main module compiles.
    #[serde(default)]
    jsx: Option<isobox::typescript::Jsx>,
}

impl RunBody {
    /// A stored worker's run, granted what its config (or its upload)
    /// gives it.
    pub(super) fn for_worker(worker: &super::stored::StoredWorker) -> Self {
        RunBody {
            code: Some(worker.code.to_string()),
            modules: worker.modules.clone(),
            filename: Some(worker.filename.clone()),
            form: CodeForm::Module,
            lang: Lang::Auto,
            input: None,
            limits: worker.limits.clone(),
            capabilities: worker.capabilities.clone(),
            egress: worker.egress.clone(),
            workspace: None,
            dependencies: worker.dependencies.clone(),
            jsx: None,
        }
    }
}

/// An error response: `{"error": {"status", "code", "message"}, "request_id"}`.
pub(super) struct ApiError {
    pub(super) status: StatusCode,
    code: &'static str,
    pub(super) message: String,
    /// The `Retry-After` of a 503, in seconds.
    retry_after: Option<u32>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(super) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub(super) fn into_response(self, request_id: &str) -> Response {
        let body = json!({
            "error": { "status": self.status.as_u16(), "code": self.code, "message": self.message },
            "request_id": request_id,
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A fresh request id: 16 hex digits from a CSPRNG (the thread's ChaCha
/// generator, seeded from the OS; no system call per request).
pub(super) fn request_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Whether the client asks for server-sent events.
fn wants_events(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .any(|value| value.to_str().is_ok_and(|v| v.contains("text/event-stream")))
}

/// `POST /v1/run`.
pub(crate) async fn run(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let id = request_id();
    let span = super::trace::server_span("/v1/run", request.method(), &id, request.headers());
    let response = handle_run(state.clone(), &id, request).instrument(span.clone()).await;
    super::trace::record_status(&span, response.status());
    finish(&state, &id, response)
}

/// Runs one route as the tenant whose key the request carries: a request
/// id, the tenant (401 without a valid key), `work`'s response or error,
/// counted and tagged ([`finish`]).
pub(super) async fn as_tenant<F, Fut>(state: Arc<AppState>, request: Request, work: F) -> Response
where
    F: FnOnce(Arc<AppState>, Tenant, Request, String) -> Fut,
    Fut: std::future::Future<Output = Result<Response, ApiError>>,
{
    let id = request_id();
    let response = match authenticate(&state, request.headers()) {
        Ok(tenant) => work(state.clone(), tenant.clone(), request, id.clone()).await,
        Err(error) => Err(error),
    };
    let response = response.unwrap_or_else(|error| error.into_response(&id));
    finish(&state, &id, response)
}

/// Counts the response in the metrics and tags it with `x-request-id`.
pub(super) fn finish(state: &AppState, id: &str, mut response: Response) -> Response {
    state.metrics.response(response.status().as_u16());
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The tenant whose key the request carries (recorded on the span), or a
/// 401.
pub(super) fn authenticate<'a>(state: &'a AppState, headers: &HeaderMap) -> Result<&'a Tenant, ApiError> {
    let Some(tenant) = super::auth::authenticate(&state.config.tenants, headers) else {
        tracing::info!(status = 401, "no valid API key");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API key is required: Authorization: Bearer KEY",
        ));
    };
    tracing::Span::current().record("tenant", tenant.id.as_str());
    Ok(tenant)
}

/// The request body, within `max_body_bytes` (413 past it, 400 when it
/// cannot be read) and `read_timeout_ms` (408 past it).
pub(super) async fn read_body(state: &AppState, body: Body) -> Result<Bytes, ApiError> {
    read_body_within(state, body, state.config.server.max_body_bytes).await
}

/// The request body, within `limit` bytes, as [`read_body`].
pub(super) async fn read_body_within(state: &AppState, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let timeout = state.config.server.read_timeout();
    let Ok(read) = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await else {
        tracing::info!(status = 408, "body too slow");
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            format!(
                "the request body did not arrive within {} ms (server.read_timeout_ms)",
                timeout.as_millis()
            ),
        ));
    };
    read.map_err(|error| {
        let too_large = std::error::Error::source(&error).is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
        let error = if too_large {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                format!("the request body is larger than {limit} bytes"),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "the request body could not be read",
            )
        };
        tracing::info!(status = error.status.as_u16(), "body refused");
        error
    })
}

/// Refuses a body that does not say it is JSON: `Content-Type` must be
/// `application/json` (parameters such as `charset=utf-8` allowed) or
/// absent; anything else is 415.
pub(super) fn expect_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|text| text.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("application/json") {
        return Ok(());
    }
    let shown: String = String::from_utf8_lossy(value.as_bytes()).chars().take(64).collect();
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        format!("the body must be JSON (Content-Type: application/json), not {shown:?}"),
    ))
}

/// `bytes` as `what` (a JSON object): an array, a string or other JSON
/// is 400, as is an object that does not fit; the message is bounded.
pub(super) fn parse_object<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    let bad = |message: String| {
        let mut message = message;
        if message.len() > 512 {
            let mut end = 512;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push_str("...");
        }
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message)
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(bad(format!(
            "the body must be one JSON object ({{\"code\": ...}}) for {what}, not {}",
            match first {
                None => "an empty body",
                Some(b'[') => "an array",
                Some(b'"') => "a string",
                Some(_) => "another JSON value or text",
            }
        )));
    }
    serde_json::from_slice(bytes).map_err(|error| bad(format!("the body is not {what}: {error}")))
}

async fn handle_run(state: Arc<AppState>, id: &str, request: Request) -> Response {
    let streaming = wants_events(request.headers());
    let tenant = match authenticate(&state, request.headers()) {
        Ok(tenant) => tenant,
        Err(error) => return error.into_response(id),
    };
    if let Err(error) = expect_json(request.headers()) {
        return error.into_response(id);
    }
    let bytes = match read_body(&state, request.into_body()).await {
        Ok(bytes) => bytes,
        Err(error) => return error.into_response(id),
    };
    let tenant = tenant.clone();
    run_bytes(state, id, &tenant, bytes, streaming).await
}

/// Runs the JSON body `bytes` of a run request for `tenant` (from
/// `POST /v1/run`, or a snippet's run).
pub(super) async fn run_bytes(
    state: Arc<AppState>,
    id: &str,
    tenant: &Tenant,
    bytes: Bytes,
    streaming: bool,
) -> Response {
    let run_request = match request_from_bytes(&state, tenant, &bytes).await {
        Ok(request) => request,
        Err(error) => {
            tracing::info!(status = error.status.as_u16(), reason = %error.message, "request refused");
            return error.into_response(id);
        }
    };
    let durable = state.config.runs.history.then(|| super::runs::Durable {
        tenant: tenant.id.clone(),
        body: bytes,
    });
    let run_request = match &durable {
        Some(_) => run_request.with_approvals(state.config.runs.gates()),
        None => run_request,
    };
    let permit = match admit(&state).await {
        Ok(permit) => permit,
        Err(error) => return error.into_response(id),
    };
    if streaming {
        return event_stream(state, id, tenant.id.clone(), run_request, permit, durable);
    }
    let (status, json) = execute(&state, id, &tenant.id, run_request, permit, durable).await;
    json_response(status, json)
}

/// A JSON body with its status.
pub(super) fn json_response(status: StatusCode, json: Bytes) -> Response {
    let mut response = Response::new(Body::from(json));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The run a run request's JSON body asks for, with its workspace's
/// modules, or why the tenant may not have it.
pub(super) async fn request_from_bytes(
    state: &AppState,
    tenant: &Tenant,
    bytes: &[u8],
) -> Result<RunRequest, ApiError> {
    let body: RunBody = parse_object(bytes, "a run request")?;
    let workspace = body
        .capabilities
        .iter()
        .any(|c| c == "workspace")
        .then(|| body.workspace.clone().unwrap_or_else(|| "default".to_owned()));
    let mut run_request = build_request(state, tenant, body)?;
    if let Some(workspace) = workspace {
        workspace_imports(state, &tenant.id, &workspace, &mut run_request).await?;
    }
    Ok(run_request)
}

/// A run slot for the request, or the 503 (with `Retry-After`) saying why
/// there is none: every slot busy and the queue full, or no slot within
/// `max_queue_wait_ms`.
pub(super) async fn admit(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    let (code, message) = match state.gate.admit(&state.metrics).await {
        Admission::Admitted(permit) => return Ok(permit),
        Admission::QueueFull => (
            "overloaded",
            "too many runs in flight and queued; retry later".to_owned(),
        ),
        Admission::TimedOut => (
            "queue-timeout",
            format!(
                "no run slot came free within {} ms; retry later",
                state.config.server.max_queue_wait_ms
            ),
        ),
    };
    tracing::info!(status = 503, code, "no run slot");
    state.metrics.rejected(code);
    let mut error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message);
    error.retry_after = Some(state.config.server.retry_after_secs);
    Err(error)
}

/// The run as server-sent events: its console lines as they come, then
/// the outcome. The stream begins once the request is admitted; refusals
/// before that are plain JSON errors.
fn event_stream(
    state: Arc<AppState>,
    id: &str,
    tenant: String,
    request: RunRequest,
    permit: OwnedSemaphorePermit,
    durable: Option<super::runs::Durable>,
) -> Response {
    let (send, logs) = tokio::sync::mpsc::unbounded_channel();
    let request = request.on_log(move |entry| {
        let _ = send.send(entry.clone());
    });
    let id = id.to_owned();
    let run = async move { execute(&state, &id, &tenant, request, permit, durable).await.1 }
        .instrument(tracing::Span::current());
    let mut response = Response::new(Body::new(super::stream::EventStream::new(logs, Box::pin(run))));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Runs `request` in the slot `permit` holds; the outcome's JSON with its
/// `request_id`.
pub(super) async fn execute(
    state: &AppState,
    id: &str,
    tenant: &str,
    request: RunRequest,
    permit: OwnedSemaphorePermit,
    durable: Option<super::runs::Durable>,
) -> (StatusCode, Bytes) {
    let started = Instant::now();
    let running = state.metrics.enter_run();
    if let Some(durable) = durable {
        let answer = super::runs::run_durable(state, id, durable, request).await;
        drop((running, permit));
        return answer;
    }
    let outcome = {
        let _running = running;
        state.engine.run(request).await
    };
    drop(permit);
    let elapsed = started.elapsed();
    state.metrics.run(tenant, &outcome, elapsed);
    run_event(tenant, &outcome, elapsed, None);
    match outcome_json(&outcome, id) {
        Ok(json) => (StatusCode::OK, json),
        Err(error) => {
            let body = json!({
                "error": { "status": 500, "code": "internal", "message": format!("the outcome could not be written: {error}") },
                "request_id": id,
            });
            (StatusCode::INTERNAL_SERVER_ERROR, Bytes::from(body.to_string()))
        }
    }
}

/// The one structured event of a finished run (target `isobox::run`, level
/// info): what a tail-like sink reads (`isobox serve --log-format json`).
/// The request id and tenant come from the request's span as well.
pub(super) fn run_event(tenant: &str, outcome: &isobox::Outcome, elapsed: std::time::Duration, status: Option<&str>) {
    let error = outcome.result.as_ref().err();
    let mut message = error.map(|e| e.message.clone()).unwrap_or_default();
    if message.len() > 200 {
        let mut end = 200;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    tracing::info!(
        target: "isobox::run",
        tenant,
        outcome = outcome.error_kind().map_or("ok", |k| k.as_str()),
        status = status.unwrap_or(if error.is_some() { "error" } else { "ok" }),
        error = %message,
        duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        wall_time_us = outcome.stats.wall_time_us,
        fuel_used = outcome.stats.fuel_used.unwrap_or(0),
        peak_memory_bytes = outcome.stats.peak_memory_bytes,
        logs = outcome.logs.entries.len(),
        calls = outcome.calls.len(),
        egress = outcome.egress.len(),
        egress_denied = outcome
            .egress
            .iter()
            .filter(|r| matches!(r.decision, isobox::egress::AuditDecision::Denied))
            .count(),
        "run finished"
    );
}

/// The outcome as a JSON object with `request_id` added last.
fn outcome_json(outcome: &isobox::Outcome, id: &str) -> Result<Bytes, serde_json::Error> {
    let mut json = serde_json::to_vec(outcome)?;
    // An outcome is always written as an object: `{...}`.
    if json.last() != Some(&b'}') {
        return Err(serde::ser::Error::custom("the outcome is not a JSON object"));
    }
    json.pop();
    json.extend_from_slice(b",\"request_id\":");
    serde_json::to_writer(&mut json, id)?;
    json.push(b'}');
    Ok(Bytes::from(json))
}

/// The run a request asks for, or why its tenant may not have it.
pub(super) fn build_request(state: &AppState, tenant: &Tenant, body: RunBody) -> Result<RunRequest, ApiError> {
    let filename = body.filename.unwrap_or_else(|| "main.js".to_owned());
    let mut modules = body.modules;
    let code = match body.code {
        Some(code) => code,
        None => match modules.remove(&filename) {
            Some(ModuleSource::Js(code)) => code,
            Some(_) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad-request",
                    format!("the main module \"{filename}\" must be JavaScript or TypeScript source"),
                ));
            }
            None => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad-request",
                    format!("give `code`, or `modules` with the main module named by `filename` (\"{filename}\")"),
                ));
            }
        },
    };
    let limits = body
        .limits
        .within(&tenant.max_limits)
        .map_err(|e| ApiError::forbidden(e.to_string()))?;
    let mut request = RunRequest::new(code)
        .with_filename(filename)
        .with_form(body.form)
        .with_lang(body.lang)
        .with_limits(limits);
    request.modules = modules;
    for spec in &body.dependencies {
        let dependency = isobox_npm::Dependency::parse(spec)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad-request", format!("dependencies: {e}")))?;
        let name = dependency.name();
        let allowed = tenant.packages.iter().any(|p| isobox_npm::name_matches(p, name))
            && !tenant.packages_deny.iter().any(|p| isobox_npm::name_matches(p, name));
        if !allowed {
            return Err(ApiError::forbidden(format!(
                "package \"{name}\" is not allowed for this tenant (its `packages` list)"
            )));
        }
    }
    request = request.with_dependencies(body.dependencies);
    if let Some(jsx) = body.jsx {
        request = request.with_jsx(jsx);
    }
    if let Some(input) = body.input {
        request = request.with_input(input);
    }
    for name in &body.capabilities {
        if !tenant.capabilities.contains(name) {
            return Err(ApiError::forbidden(format!(
                "capability \"{name}\" is not allowed for this tenant"
            )));
        }
        if request.grants.iter().any(|g| &g.name == name) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                format!("capability \"{name}\" is asked for twice"),
            ));
        }
        let capability = match name.as_str() {
            "kv" => state.kv.clone(),
            "todo" => state.todo.clone(),
            "workspace" => state.workspace.clone(),
            plugin => state
                .config
                .plugins
                .get(plugin)
                .and_then(|p| p.capability.clone())
                .or_else(|| state.config.openapi.get(plugin).cloned())
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        format!("plugin \"{plugin}\" was not loaded"),
                    )
                })?,
        };
        let props = if name == "workspace" {
            json!({ "tenant": tenant.id, "workspace": body.workspace.as_deref().unwrap_or("default") })
        } else {
            json!({ "tenant": tenant.id })
        };
        request = request.grant_with_props(name, capability, props);
    }
    if let Some(policy) = &body.egress {
        let egress = tenant
            .egress_by_name
            .get(policy)
            .ok_or_else(|| ApiError::forbidden(format!("egress policy \"{policy}\" is not allowed for this tenant")))?;
        request = request.with_egress(egress.clone());
    }
    Ok(request)
}

/// Reads the run's relative imports from its workspace into the module map.
pub(super) async fn workspace_imports(
    state: &AppState,
    tenant: &str,
    id: &str,
    request: &mut RunRequest,
) -> Result<(), ApiError> {
    let refused = |e: isobox_store::StoreError| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", format!("workspace {id}: {e}"))
    };
    let workspace = state.store.workspace(tenant, id).map_err(refused)?;
    isobox_state::add_workspace_imports(&workspace, request)
        .await
        .map_err(refused)?;
    Ok(())
}

/// `GET /livez`: the process is alive and answering.
pub(crate) async fn livez() -> Response {
    axum::Json(json!({ "status": "alive" })).into_response()
}

/// `GET /readyz`: 200 when the server takes work: not draining, and its
/// store answers within two seconds; 503 with the reason otherwise.
pub(crate) async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        let body = json!({ "status": "draining" });
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    }
    let store = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.schema_version()).await;
    match store {
        Ok(Ok(_)) => axum::Json(json!({ "status": "ready" })).into_response(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the store failed");
            let body = json!({ "status": "store-unavailable" });
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
        Err(_) => {
            let body = json!({ "status": "store-timeout" });
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

/// `GET /healthz`.
pub(crate) async fn healthz() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut response = Response::new(Body::from(state.metrics.render()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Response {
    let mut response = Response::new(Body::from(OPENAPI_JSON));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
