//! The HTTP routes: `POST /v1/run`, `GET /healthz`, `GET /metrics`,
//! `GET /openapi.json`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::Instrument as _;

use crate::{Capability, CodeForm, Lang, ModuleSource, RunRequest};

use super::admission::Gate;
use super::config::{ServeConfig, Tenant};
use super::limits::LimitValues;
use super::metrics::Metrics;

/// The OpenAPI 3.1 description served at `/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// What every route shares.
pub(crate) struct AppState {
    pub config: ServeConfig,
    pub engine: crate::Engine,
    pub metrics: Arc<Metrics>,
    pub gate: Gate,
    /// The built-in capabilities, built once; each run's grant carries
    /// its tenant in `props.tenant`.
    pub kv: Capability,
    pub todo: Capability,
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
}

impl RunBody {
    /// A stored worker's run, granted what its config gives it.
    pub(super) fn for_worker(
        code: String,
        filename: String,
        limits: LimitValues,
        capabilities: Vec<String>,
        egress: Option<String>,
    ) -> Self {
        RunBody {
            code: Some(code),
            modules: BTreeMap::new(),
            filename: Some(filename),
            form: CodeForm::Module,
            lang: Lang::Auto,
            input: None,
            limits,
            capabilities,
            egress,
        }
    }
}

/// An error response: `{"error": {"status", "code", "message"}, "request_id"}`.
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub(super) fn into_response(self, request_id: &str, retry_after: Option<u32>) -> Response {
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
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A fresh request id: 16 hex digits from the OS's CSPRNG.
pub(super) fn request_id() -> String {
    let mut bytes = [0u8; 8];
    // Falls back to the clock only if the OS refuses randomness.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos as u64).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `POST /v1/run`.
pub(crate) async fn run(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let id = request_id();
    let span = tracing::info_span!("request", request_id = %id, tenant = tracing::field::Empty);
    let mut response = handle_run(&state, &id, request).instrument(span).await;
    state.metrics.response(response.status().as_u16());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

async fn handle_run(state: &AppState, id: &str, request: Request) -> Response {
    let Some(tenant) = super::auth::authenticate(&state.config.tenants, request.headers()) else {
        tracing::info!(status = 401, "no valid API key");
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API key is required: Authorization: Bearer KEY",
        )
        .into_response(id, None);
    };
    tracing::Span::current().record("tenant", tenant.id.as_str());
    let limit = state.config.server.max_body_bytes;
    let bytes = match axum::body::to_bytes(request.into_body(), limit).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let too_large =
                std::error::Error::source(&error).is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
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
            return error.into_response(id, None);
        }
    };
    let body: RunBody = match serde_json::from_slice(&bytes) {
        Ok(body) => body,
        Err(error) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                format!("the body is not a run request: {error}"),
            )
            .into_response(id, None);
        }
    };
    let run_request = match build_request(state, tenant, body) {
        Ok(request) => request,
        Err(error) => {
            tracing::info!(status = error.status.as_u16(), reason = %error.message, "request refused");
            return error.into_response(id, None);
        }
    };
    let Some(permit) = state.gate.admit(&state.metrics).await else {
        tracing::info!(status = 503, "overloaded");
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many runs in flight and queued; retry later",
        )
        .into_response(id, Some(state.config.server.retry_after_secs));
    };
    let started = Instant::now();
    let outcome = {
        let _running = state.metrics.enter_run();
        let span = tracing::info_span!("run");
        state.engine.run(run_request).instrument(span).await
    };
    drop(permit);
    let elapsed = started.elapsed();
    state.metrics.run(&outcome, elapsed);
    tracing::info!(
        outcome = outcome.error_kind().map_or("ok", |k| k.as_str()),
        duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        egress = outcome.egress.len(),
        calls = outcome.calls.len(),
        "run finished"
    );
    let mut json = match serde_json::to_value(&outcome) {
        Ok(json) => json,
        Err(error) => {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the outcome could not be written: {error}"),
            )
            .into_response(id, None);
        }
    };
    if let Value::Object(map) = &mut json {
        map.insert("request_id".into(), Value::String(id.to_owned()));
    }
    (StatusCode::OK, axum::Json(json)).into_response()
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
            _ => state.todo.clone(),
        };
        request = request.grant_with_props(name, capability, json!({ "tenant": tenant.id }));
    }
    if let Some(policy) = &body.egress {
        let egress = state
            .config
            .policies
            .get(policy)
            .filter(|_| tenant.egress.contains(policy))
            .ok_or_else(|| ApiError::forbidden(format!("egress policy \"{policy}\" is not allowed for this tenant")))?;
        request = request.with_egress(egress.clone());
    }
    Ok(request)
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
