//! Durable runs over HTTP (`[runs] history = true`): every run journaled
//! and kept, approval gates, replay, and saved snippets.
//!
//! ```text
//! GET    /v1/runs                      the tenant's runs, newest first (?status=&before=&limit=)
//! GET    /v1/runs/{id}                 one run: request, outcome, gates
//! GET    /v1/runs/{id}/journal         its journal (for `isobox replay`)
//! POST   /v1/runs/{id}/approve         approves its pending gates and resumes it ({"by"})
//! POST   /v1/runs/{id}/reject          rejects them and resumes it ({"reason", "by"})
//! POST   /v1/runs/{id}/replay          replays it exactly, offline; says whether the outcome is the same
//! POST   /v1/runs/{id}/snippet         saves its code as a snippet ({"name", "description", "input_schema"})
//! GET    /v1/snippets                  the tenant's snippets
//! GET    /v1/snippets/{name}           one snippet
//! PUT    /v1/snippets/{name}           saves one ({"code", "description", "input_schema"})
//! DELETE /v1/snippets/{name}           removes one
//! POST   /v1/snippets/{name}/run       runs it: the body is a run request without code ({"input", "capabilities", ...})
//! ```
//!
//! A paused run answers `202` with `"status": "pending-approval"` and its
//! gates. Approving is first come, first served: the store moves the run
//! from `pending-approval` to `resuming` once, so two approvers (or two
//! replicas sharing PostgreSQL) never both resume it; the other gets `409`.
//! Runs live in the store, so a paused run survives a restart.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use isobox::RunRequest;
use isobox::journal::{Decision, Journal, JournalStart, Journaled};
use isobox_store::StoreError;
use isobox_store::runs::{RunRecord, Snippet};

use super::api::{
    ApiError, AppState, admit, as_tenant, finish, json_response, parse_object, read_body, request_from_bytes,
    request_id, run_bytes,
};
use super::config::{Tenant, hex};

/// What a durable run keeps of its request: its tenant and JSON body.
pub(crate) struct Durable {
    pub tenant: String,
    pub body: Bytes,
}

/// Records a new run and keeps it; the answer for `POST /v1/run`.
pub(crate) async fn run_durable(
    state: &AppState,
    id: &str,
    durable: Durable,
    request: RunRequest,
) -> (StatusCode, Bytes) {
    let created_ms = isobox_store::now_ms();
    let code_sha256 = hex(&Sha256::digest(request.code.as_bytes()));
    let started = Instant::now();
    let journaled = state.engine.run_journaled(request, JournalStart::Record).await;
    state
        .metrics
        .run(&durable.tenant, &journaled.outcome, started.elapsed());
    super::api::run_event(
        &durable.tenant,
        &journaled.outcome,
        started.elapsed(),
        Some(journaled.status()),
    );
    let record = RunRecord {
        ns: durable.tenant,
        id: id.to_owned(),
        status: journaled.status().to_owned(),
        created_ms,
        updated_ms: isobox_store::now_ms(),
        code_sha256,
        summary: journaled.summary().to_string(),
        request: String::from_utf8_lossy(&durable.body).into_owned(),
        outcome: serde_json::to_string(&journaled.outcome).ok(),
        journal: serde_json::to_string(&journaled.journal).ok(),
    };
    if let Err(error) = state.runs.put(record).await {
        // The run happened; only its history is lost. A paused run that
        // cannot be kept can never resume: say so.
        tracing::warn!(%error, "the run could not be kept");
        if journaled.status() == "pending-approval" {
            return error_bytes(
                StatusCode::SERVICE_UNAVAILABLE,
                "store-unavailable",
                &format!("the run paused for approval but could not be kept: {error}"),
                id,
            );
        }
    }
    answer(id, &journaled)
}

/// The outcome as JSON with the run's id, status and pending gates; `202`
/// for a paused run.
fn answer(id: &str, journaled: &Journaled) -> (StatusCode, Bytes) {
    let mut value = match serde_json::to_value(&journaled.outcome) {
        Ok(value) => value,
        Err(error) => {
            return error_bytes(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                &format!("the outcome could not be written: {error}"),
                id,
            );
        }
    };
    let status = journaled.status();
    value["run_id"] = json!(id);
    value["status"] = json!(status);
    if status == "pending-approval" {
        value["pending"] = serde_json::to_value(journaled.pending()).unwrap_or_default();
    }
    value["request_id"] = json!(id);
    let code = if status == "pending-approval" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    (code, Bytes::from(value.to_string()))
}

fn error_bytes(status: StatusCode, code: &str, message: &str, id: &str) -> (StatusCode, Bytes) {
    let body = json!({
        "error": { "status": status.as_u16(), "code": code, "message": message },
        "request_id": id,
    });
    (status, Bytes::from(body.to_string()))
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Unavailable(_) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store-unavailable", error.to_string())
        }
        StoreError::Config(message) => ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message),
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", other.to_string()),
    }
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no {what} of that name for this tenant"),
    )
}

/// Runs one route of the run history ([`as_tenant`], once history is on).
async fn respond<F, Fut>(state: Arc<AppState>, request: Request, work: F) -> Response
where
    F: FnOnce(Arc<AppState>, Tenant, Request, String) -> Fut,
    Fut: std::future::Future<Output = Result<Response, ApiError>>,
{
    if !state.config.runs.history {
        let id = request_id();
        let off = ApiError::new(
            StatusCode::NOT_FOUND,
            "history-off",
            "this server keeps no runs: set [runs] history = true",
        );
        return finish(&state, &id, off.into_response(&id));
    }
    as_tenant(state, request, work).await
}

fn json_ok(value: &Value) -> Response {
    json_response(StatusCode::OK, Bytes::from(value.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    status: Option<String>,
    before: Option<i64>,
    limit: Option<usize>,
}

/// `GET /v1/runs`.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ListQuery>,
    request: Request,
) -> Response {
    respond(state, request, async move |state, tenant, _, _| {
        let limit = query.limit.unwrap_or(50).clamp(1, 1000);
        let runs = state
            .runs
            .list(&tenant.id, query.status.as_deref(), query.before, limit)
            .await
            .map_err(store_error)?;
        let next = (runs.len() == limit)
            .then(|| runs.last().map(|r| r.created_ms))
            .flatten();
        let runs: Vec<Value> = runs
            .into_iter()
            .map(|r| {
                json!({
                    "id": r.id, "status": r.status, "created_ms": r.created_ms, "updated_ms": r.updated_ms,
                    "code_sha256": r.code_sha256,
                    "summary": serde_json::from_str::<Value>(&r.summary).unwrap_or(Value::Null),
                })
            })
            .collect();
        Ok(json_ok(&json!({ "runs": runs, "next_before": next })))
    })
    .await
}

async fn load(state: &AppState, tenant: &Tenant, id: &str) -> Result<RunRecord, ApiError> {
    state
        .runs
        .get(&tenant.id, id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| not_found("run"))
}

fn journal_of(record: &RunRecord) -> Result<Journal, ApiError> {
    let text = record
        .journal
        .as_deref()
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "no-journal", "this run has no journal"))?;
    Journal::from_json(text).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e))
}

/// `GET /v1/runs/{id}`.
pub(crate) async fn get(State(state): State<Arc<AppState>>, Path(id): Path<String>, request: Request) -> Response {
    respond(state, request, async move |state, tenant, _, _| {
        let record = load(&state, &tenant, &id).await?;
        let journal = record.journal.as_deref().and_then(|j| Journal::from_json(j).ok());
        let gates: Vec<Value> = journal
            .as_ref()
            .map(|j| {
                j.gates()
                    .into_iter()
                    .map(|(gate, decision)| json!({ "gate": gate, "describe": gate.describe(), "decision": decision }))
                    .collect()
            })
            .unwrap_or_default();
        Ok(json_ok(&json!({
            "id": record.id,
            "status": record.status,
            "created_ms": record.created_ms,
            "updated_ms": record.updated_ms,
            "code_sha256": record.code_sha256,
            "summary": serde_json::from_str::<Value>(&record.summary).unwrap_or(Value::Null),
            "request": serde_json::from_str::<Value>(&record.request).unwrap_or(Value::Null),
            "outcome": record.outcome.as_deref().and_then(|o| serde_json::from_str::<Value>(o).ok()),
            "gates": gates,
            "journal": journal.as_ref().map(|j| json!({
                "entries": j.entries.len(), "responses": j.responses.len(), "paused": j.paused,
                "engine": j.header.engine,
            })),
        })))
    })
    .await
}

/// `GET /v1/runs/{id}/journal`: the journal as stored.
pub(crate) async fn journal(State(state): State<Arc<AppState>>, Path(id): Path<String>, request: Request) -> Response {
    respond(state, request, async move |state, tenant, _, _| {
        let record = load(&state, &tenant, &id).await?;
        let journal = record.journal.unwrap_or_default();
        Ok(json_response(StatusCode::OK, Bytes::from(journal)))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /v1/runs/{id}/approve|reject|replay|snippet`.
pub(crate) async fn act(
    State(state): State<Arc<AppState>>,
    Path((id, action)): Path<(String, String)>,
    request: Request,
) -> Response {
    respond(state, request, async move |state, tenant, request, _| {
        let bytes = read_body(&state, request.into_body()).await?;
        match action.as_str() {
            "approve" | "reject" => {
                let body: DecisionBody = if bytes.iter().all(u8::is_ascii_whitespace) {
                    DecisionBody::default()
                } else {
                    parse_object(&bytes, "a decision")?
                };
                let by = body.by.map(|by| by.chars().take(200).collect::<String>());
                let decision = if action == "approve" {
                    Decision::Approved { by }
                } else {
                    let mut decided = Decision::reject(body.reason.unwrap_or_else(|| "no reason given".into()));
                    if let Decision::Rejected { by: who, .. } = &mut decided {
                        *who = by;
                    }
                    decided
                };
                resume(&state, &tenant, &id, decision).await
            }
            "replay" => replay(&state, &tenant, &id).await,
            "snippet" => {
                let record = load(&state, &tenant, &id).await?;
                let stored: Value = serde_json::from_str(&record.request).unwrap_or(Value::Null);
                let code = stored.get("code").and_then(Value::as_str).ok_or_else(|| {
                    ApiError::new(
                        StatusCode::CONFLICT,
                        "bad-request",
                        "this run's code is not a `code` string",
                    )
                })?;
                let body: SnippetBody = parse_object(&bytes, "a snippet")?;
                let name = body.name.clone().ok_or_else(|| {
                    ApiError::new(StatusCode::BAD_REQUEST, "bad-request", "give the snippet's `name`")
                })?;
                save_snippet(&state, &tenant, &name, body, code.to_owned()).await
            }
            _ => Err(not_found("action")),
        }
    })
    .await
}

/// Decides the run's pending gates and resumes it.
async fn resume(state: &Arc<AppState>, tenant: &Tenant, id: &str, decision: Decision) -> Result<Response, ApiError> {
    let record = load(state, tenant, id).await?;
    if record.status != "pending-approval" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not-pending",
            format!("the run is not waiting for approval (its status is {})", record.status),
        ));
    }
    let mut journal = journal_of(&record)?;
    let run_request = request_from_bytes(state, tenant, record.request.as_bytes()).await?;
    let run_request = run_request.with_approvals(state.config.runs.gates());
    let permit = admit(state).await?;
    if !state
        .runs
        .claim(&tenant.id, id, "pending-approval", "resuming")
        .await
        .map_err(store_error)?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not-pending",
            "someone else decided this run first",
        ));
    }
    journal.decide(&decision);
    let started = Instant::now();
    let journaled = {
        let _running = state.metrics.enter_run();
        state
            .engine
            .run_journaled(run_request, JournalStart::Resume(journal))
            .await
    };
    drop(permit);
    state.metrics.run(&tenant.id, &journaled.outcome, started.elapsed());
    super::api::run_event(
        &tenant.id,
        &journaled.outcome,
        started.elapsed(),
        Some(journaled.status()),
    );
    let updated = RunRecord {
        status: journaled.status().to_owned(),
        updated_ms: isobox_store::now_ms(),
        summary: journaled.summary().to_string(),
        outcome: serde_json::to_string(&journaled.outcome).ok(),
        journal: serde_json::to_string(&journaled.journal).ok(),
        ..record
    };
    state.runs.put(updated).await.map_err(store_error)?;
    let (status, bytes) = answer(id, &journaled);
    Ok(json_response(status, bytes))
}

/// `isobox replay RUN_ID`: a stored run replayed, found under `tenant` or
/// any tenant.
pub(crate) async fn replay_by_id(state: &Arc<AppState>, tenant: Option<&str>, id: &str) -> Result<Value, String> {
    let tenants: Vec<&Tenant> = state
        .config
        .tenants
        .iter()
        .filter(|t| tenant.is_none_or(|name| t.id == name))
        .collect();
    if tenants.is_empty() {
        return Err(format!("no tenant named {}", tenant.unwrap_or("")));
    }
    for tenant in tenants {
        match replay_value(state, tenant, id).await {
            Ok(value) => return Ok(value),
            Err(error) if error.status == StatusCode::NOT_FOUND => continue,
            Err(error) => return Err(error.message),
        }
    }
    Err(format!("no run {id} in the store"))
}

/// Replays a stored run exactly, offline.
async fn replay(state: &Arc<AppState>, tenant: &Tenant, id: &str) -> Result<Response, ApiError> {
    replay_value(state, tenant, id).await.map(|value| json_ok(&value))
}

async fn replay_value(state: &Arc<AppState>, tenant: &Tenant, id: &str) -> Result<Value, ApiError> {
    let record = load(state, tenant, id).await?;
    let journal = journal_of(&record)?;
    let run_request = request_from_bytes(state, tenant, record.request.as_bytes()).await?;
    let run_request = run_request.with_approvals(state.config.runs.gates());
    let permit = admit(state).await?;
    let journaled = state
        .engine
        .run_journaled(run_request, JournalStart::Replay(journal))
        .await;
    drop(permit);
    let recorded: Option<Value> = record.outcome.as_deref().and_then(|o| serde_json::from_str(o).ok());
    let replayed = serde_json::to_value(&journaled.outcome).unwrap_or(Value::Null);
    // The same result (or error) and the same console lines.
    let same = recorded.as_ref().is_some_and(|r| {
        ["ok", "value", "error", "logs"]
            .iter()
            .all(|field| r.get(field) == replayed.get(field))
    });
    Ok(json!({
        "id": id,
        "same": same,
        "outcome": journaled.outcome,
        "recorded": recorded,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnippetBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    input_schema: Option<Value>,
}

async fn save_snippet(
    state: &AppState,
    tenant: &Tenant,
    name: &str,
    body: SnippetBody,
    code: String,
) -> Result<Response, ApiError> {
    let snippet = state
        .runs
        .save_snippet(&tenant.id, name, body.description, body.input_schema, code)
        .await
        .map_err(store_error)?;
    Ok(json_ok(&snippet_json(&snippet, true)))
}

fn snippet_json(snippet: &Snippet, with_code: bool) -> Value {
    let mut value = json!({
        "name": snippet.name,
        "description": snippet.description,
        "input_schema": serde_json::from_str::<Value>(&snippet.input_schema).unwrap_or(Value::Null),
        "created_ms": snippet.created_ms,
        "updated_ms": snippet.updated_ms,
    });
    if with_code {
        value["code"] = json!(snippet.code);
    }
    value
}

/// `GET /v1/snippets`.
pub(crate) async fn snippets(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(state, request, async move |state, tenant, _, _| {
        let list = state.runs.snippets(&tenant.id).await.map_err(store_error)?;
        let list: Vec<Value> = list.iter().map(|s| snippet_json(s, false)).collect();
        Ok(json_ok(&json!({ "snippets": list })))
    })
    .await
}

/// `GET|PUT|DELETE /v1/snippets/{name}`.
pub(crate) async fn snippet(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    respond(state, request, async move |state, tenant, request, _| {
        match request.method().clone() {
            Method::GET => {
                let snippet = state.runs.snippet(&tenant.id, &name).await.map_err(store_error)?;
                Ok(json_ok(&snippet_json(
                    &snippet.ok_or_else(|| not_found("snippet"))?,
                    true,
                )))
            }
            Method::PUT => {
                let bytes = read_body(&state, request.into_body()).await?;
                let body: SnippetBody = parse_object(&bytes, "a snippet")?;
                let code = body.code.clone().filter(|c| !c.is_empty()).ok_or_else(|| {
                    ApiError::new(StatusCode::BAD_REQUEST, "bad-request", "give the snippet's `code`")
                })?;
                save_snippet(&state, &tenant, &name, body, code).await
            }
            Method::DELETE => {
                if state
                    .runs
                    .delete_snippet(&tenant.id, &name)
                    .await
                    .map_err(store_error)?
                {
                    Ok(json_ok(&json!({ "deleted": name })))
                } else {
                    Err(not_found("snippet"))
                }
            }
            _ => Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "GET, PUT or DELETE",
            )),
        }
    })
    .await
}

/// `POST /v1/snippets/{name}/run`: the body is a run request without
/// `code` or `modules`; the snippet's code runs with it.
pub(crate) async fn run_snippet(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    respond(state, request, async move |state, tenant, request, id| {
        let snippet = state
            .runs
            .snippet(&tenant.id, &name)
            .await
            .map_err(store_error)?
            .ok_or_else(|| not_found("snippet"))?;
        let bytes = read_body(&state, request.into_body()).await?;
        let mut body: serde_json::Map<String, Value> = if bytes.iter().all(u8::is_ascii_whitespace) {
            serde_json::Map::new()
        } else {
            parse_object(&bytes, "a snippet run")?
        };
        if body.contains_key("code") || body.contains_key("modules") {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "a snippet brings its own code: give `input` and grants, not `code` or `modules`",
            ));
        }
        body.insert("code".into(), Value::String(snippet.code));
        let bytes = Bytes::from(Value::Object(body).to_string());
        Ok(run_bytes(state, &id, &tenant, bytes, false).await)
    })
    .await
}
