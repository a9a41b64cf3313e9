//! Workers over HTTP: `ANY /v1/workers/{name}/{*path}` forwards a request to
//! a stored worker (`[workers.NAME]` in the config, or one the tenant
//! uploaded: [`registry`](super::registry)), and `POST /v1/dispatch`
//! runs an inline worker on a request given as JSON. Both run a fresh
//! sandbox per request, under the tenant's ceilings, with the same auth,
//! admission and metrics as `POST /v1/run`.
//!
//! A stored worker's Response streams
//! ([`Engine::dispatch_streaming`](isobox::Engine::dispatch_streaming)): the
//! head goes out as soon as the handler's Response exists, the body chunk by
//! chunk (chunked transfer encoding) as its stream gives it. A run that
//! fails after the head aborts the body (the connection is closed before
//! the last chunk), so the client sees a failed transfer, never a short
//! body that looks complete; a client that goes away before the body's end
//! cancels the run (outcome `cancelled`). The run slot is held, and the run
//! counted in the metrics and logged, until the run is over (which may be
//! after the body, for `ctx.waitUntil` work). The inline route answers JSON
//! with the body read whole ([`Engine::dispatch`](isobox::Engine::dispatch)).
//!
//! A stored worker may have static assets (`assets = "DIR"`): a GET or HEAD
//! for one of them is answered by the host, without a run (see
//! [`assets`](super::assets)).
//!
//! A stored worker is configured as:
//!
//! ```toml
//! [workers.hello]
//! file = "hello.js"              # relative to the config file; .ts is TypeScript
//! capabilities = ["kv"]          # built-ins granted to its runs (default none)
//! egress = "public"              # a policy from [policies] (default: no network)
//! limits = { wall_time_ms = 2000 }  # within each caller's max_limits
//! assets = "public"              # static files served before the worker (default none)
//! assets_html_handling = "auto-trailing-slash"   # or force-/drop-trailing-slash, none
//! assets_not_found = "none"      # or 404-page, single-page-application
//!
//! [tenants.acme]
//! workers = ["hello"]            # the workers this tenant may call
//! ```

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::Instrument as _;

use isobox::RunRequest;
use isobox::worker::{HttpRequest, HttpResponse, WorkerBody, WorkerOutcome, WorkerResponse};

use super::api::{
    ApiError, AppState, RunBody, authenticate, build_request, expect_json, finish, parse_object, read_body, request_id,
};

/// Request headers a worker does not see: the caller's key and hop-by-hop ones.
const DROPPED_REQUEST_HEADERS: [&str; 8] = [
    "authorization",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
];
/// Response headers the server sets itself.
const DROPPED_RESPONSE_HEADERS: [&str; 5] = [
    "connection",
    "content-length",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
];

/// `ANY /v1/workers/{name}/` and `ANY /v1/workers/{name}/{*path}`.
pub(crate) async fn stored(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let id = request_id();
    let span = super::trace::server_span("/v1/workers/{name}/*", request.method(), &id, request.headers());
    let response = handle_stored(state.clone(), &id, request)
        .instrument(span.clone())
        .await;
    super::trace::record_status(&span, response.status());
    finish(&state, &id, response)
}

/// `POST /v1/dispatch`.
pub(crate) async fn inline(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let id = request_id();
    let span = super::trace::server_span("/v1/dispatch", request.method(), &id, request.headers());
    let response = handle_inline(&state, &id, request).instrument(span.clone()).await;
    super::trace::record_status(&span, response.status());
    finish(&state, &id, response)
}

/// What the stored-worker route does with a request.
enum Forward {
    /// The worker's static assets answered it: no run.
    Asset(Response),
    /// A run of the worker on this request (boxed: the larger variant),
    /// and the uploaded worker's version.
    Run(Box<(RunRequest, HttpRequest, String, Option<i64>)>),
}

async fn handle_stored(state: Arc<AppState>, id: &str, request: Request) -> Response {
    let streamed = match forward(&state, request).await {
        Ok(Forward::Asset(response)) => {
            let status = response.status().as_u16();
            state.metrics.asset(status);
            tracing::debug!(status, "asset served");
            return response;
        }
        Ok(Forward::Run(run)) => {
            let (run, http, tenant, version) = *run;
            dispatch_streaming(state, run, http, tenant)
                .await
                .map(|head| (head, version))
        }
        Err(error) => Err(error),
    };
    match streamed {
        Ok((head, version)) => {
            let mut response = streamed_response(head);
            super::registry::version_header(&mut response, version);
            response
        }
        Err(error) => error.into_response(id),
    }
}

/// Checks the caller and the worker; then answers from the worker's assets,
/// or turns the HTTP request into the worker's.
async fn forward(state: &AppState, request: Request) -> Result<Forward, ApiError> {
    let tenant = authenticate(state, request.headers())?;
    let rest = request
        .uri()
        .path()
        .strip_prefix("/v1/workers/")
        .unwrap_or_default()
        .to_owned();
    // The routes give a `/` after the name: `/v1/workers/{name}` alone is
    // the registry's.
    let (name, path) = match rest.split_once('/') {
        Some((name, path)) => (name.to_owned(), format!("/{path}")),
        None => (rest.clone(), "/".to_owned()),
    };
    let resolved = super::registry::resolve(state, tenant, &name).await?;
    let worker = &resolved.worker;
    if let Some(assets) = &worker.assets
        && let Some(response) = super::assets::answer(assets, &name, &path, &request)
    {
        return Ok(Forward::Asset(response));
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| url::Url::parse(&format!("http://{h}/")).is_ok_and(|u| u.path() == "/" && u.query().is_none()))
        .unwrap_or("localhost")
        .to_owned();
    let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    let mut http = HttpRequest::new(request.method().as_str(), format!("http://{host}{path}{query}"));
    for (name, value) in request.headers() {
        if DROPPED_REQUEST_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value = value.to_str().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                format!("the value of header {name} is not visible ASCII"),
            )
        })?;
        http.headers.push((name.as_str().to_owned(), value.to_owned()));
    }
    http.body = read_body(state, request.into_body()).await?.to_vec();
    // The worker's own grants, checked against the caller's like a run's.
    let run = build_request(state, tenant, RunBody::for_worker(worker))?;
    Ok(Forward::Run(Box::new((run, http, tenant.id.clone(), resolved.version))))
}

/// A stored worker's Response head, its body still streaming.
struct StreamedHead {
    status: u16,
    headers: Vec<(String, String)>,
    error: Option<isobox::ErrorKind>,
    body: WorkerBody,
}

/// Admission, then the run in a task of its own that holds the run slot
/// until the run is over, then counts and logs it; the head as soon as it is
/// known. A handler dropped before the head (the client gone) drops the
/// body, which cancels the run.
async fn dispatch_streaming(
    state: Arc<AppState>,
    run: RunRequest,
    http: HttpRequest,
    tenant: String,
) -> Result<StreamedHead, ApiError> {
    let permit = super::api::admit(&state).await?;
    let (head_tx, head_rx) = tokio::sync::oneshot::channel();
    let task = async move {
        let started = Instant::now();
        let running = state.metrics.enter_run();
        let WorkerResponse {
            status,
            headers,
            error,
            body,
            run,
        } = state.engine.dispatch_streaming(run, http).await;
        let _ = head_tx.send(StreamedHead {
            status,
            headers,
            error: error.map(|e| e.kind),
            body,
        });
        let outcome = run.await;
        drop(running);
        drop(permit);
        let elapsed = started.elapsed();
        state.metrics.run(&tenant, &outcome, elapsed);
        tracing::info!(
            outcome = outcome.error_kind().map_or("ok", |k| k.as_str()),
            status,
            duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            "worker finished"
        );
    };
    tokio::spawn(task.instrument(tracing::Span::current()));
    head_rx.await.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the worker's run ended without a response",
        )
    })
}

/// The streamed Response as the HTTP response; a run that failed before
/// its head adds `x-isobox-error: KIND`.
fn streamed_response(head: StreamedHead) -> Response {
    let mut response = Response::new(Body::new(head.body));
    *response.status_mut() = StatusCode::from_u16(head.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    copy_headers(response.headers_mut(), &head.headers);
    if let Some(kind) = head.error {
        response
            .headers_mut()
            .insert("x-isobox-error", HeaderValue::from_static(kind.as_str()));
    }
    response
}

/// Admission, the run (body read whole) and its metrics.
async fn dispatch(
    state: &AppState,
    run: RunRequest,
    http: HttpRequest,
    tenant: &str,
) -> Result<WorkerOutcome, ApiError> {
    let permit = super::api::admit(state).await?;
    let started = Instant::now();
    let done = {
        let _running = state.metrics.enter_run();
        state.engine.dispatch(run, http).await
    };
    drop(permit);
    let elapsed = started.elapsed();
    state.metrics.run(tenant, &done.outcome, elapsed);
    tracing::info!(
        outcome = done.outcome.error_kind().map_or("ok", |k| k.as_str()),
        status = done.response.status,
        duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "worker finished"
    );
    Ok(done)
}

/// The worker's headers but those the server sets itself; names or values
/// HTTP cannot carry are left out.
fn copy_headers(headers: &mut axum::http::HeaderMap, from: &[(String, String)]) {
    for (name, value) in from {
        let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) else {
            continue;
        };
        // try_append: a map past its capacity refuses, never panics.
        if !DROPPED_RESPONSE_HEADERS.contains(&name.as_str()) && headers.try_append(name, value).is_err() {
            break;
        }
    }
}

/// The `request` of `POST /v1/dispatch`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InlineHttp {
    #[serde(default = "default_method")]
    method: String,
    #[serde(default = "default_url")]
    url: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    /// A text body.
    #[serde(default)]
    body: Option<String>,
}

fn default_method() -> String {
    "GET".into()
}

fn default_url() -> String {
    "http://localhost/".into()
}

/// The `response` of `POST /v1/dispatch`: the body as text when it is UTF-8,
/// else `body_base64`.
#[derive(Serialize)]
struct InlineResponse {
    status: u16,
    headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
}

impl From<HttpResponse> for InlineResponse {
    fn from(response: HttpResponse) -> Self {
        let (body, body_base64) = match String::from_utf8(response.body) {
            Ok(text) => (Some(text), None),
            Err(bytes) => (None, Some(base64(bytes.as_bytes()))),
        };
        InlineResponse {
            status: response.status,
            headers: response.headers,
            body,
            body_base64,
        }
    }
}

async fn handle_inline(state: &AppState, id: &str, request: Request) -> Response {
    match inline_dispatch(state, request).await {
        Ok(done) => {
            let mut json = match serde_json::to_value(&done.outcome) {
                Ok(json) => json,
                Err(error) => {
                    return ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        format!("the outcome could not be written: {error}"),
                    )
                    .into_response(id);
                }
            };
            if let Value::Object(map) = &mut json {
                map.insert("request_id".into(), Value::String(id.to_owned()));
                map.insert("response".into(), json!(InlineResponse::from(done.response)));
            }
            (StatusCode::OK, axum::Json(json)).into_response()
        }
        Err(error) => error.into_response(id),
    }
}

async fn inline_dispatch(state: &AppState, request: Request) -> Result<WorkerOutcome, ApiError> {
    let tenant = authenticate(state, request.headers())?;
    expect_json(request.headers())?;
    let bytes = read_body(state, request.into_body()).await?;
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message);
    let mut body: serde_json::Map<String, Value> = parse_object(&bytes, "a dispatch request")?;
    for field in ["input", "form"] {
        if body.contains_key(field) {
            return Err(bad(format!(
                "`{field}` does not apply to a worker: it is an ES module and gets the HTTP `request`"
            )));
        }
    }
    let http: InlineHttp = match body.remove("request") {
        Some(value) => serde_json::from_value(value).map_err(|e| bad(format!("`request`: {e}")))?,
        None => {
            return Err(bad(
                "give the worker's HTTP `request`: {\"method\", \"url\", \"headers\", \"body\"}".into(),
            ));
        }
    };
    let run_body: RunBody = serde_json::from_value(Value::Object(body))
        .map_err(|e| bad(format!("the body is not a dispatch request: {e}")))?;
    let run = build_request(state, tenant, run_body)?;
    let mut request = HttpRequest::new(http.method, http.url);
    request.headers = http.headers;
    request.body = http.body.unwrap_or_default().into_bytes();
    let tenant = tenant.id.clone();
    dispatch(state, run, request, &tenant).await
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(plain.as_bytes()), encoded);
        }
    }
}
