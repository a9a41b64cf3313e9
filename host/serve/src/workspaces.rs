//! The workspace API for people and UIs: a tenant's workspaces (the same
//! ones its runs open with the `workspace` capability) as files over HTTP.
//!
//! ```text
//! GET    /v1/workspaces/{id}                   the version, entries and bytes
//! GET    /v1/workspaces/{id}/files/{path}      a file's bytes, or a directory's page (?cursor=&limit=)
//! PUT    /v1/workspaces/{id}/files/{path}      writes the body (?parents=true makes directories)
//! DELETE /v1/workspaces/{id}/files/{path}      removes (?recursive=true for a directory with entries)
//! GET    /v1/workspaces/{id}/export            everything as a .tar.gz
//! POST   /v1/workspaces/{id}/import            extracts a tar or .tar.gz body (?dest=/dir, ?overwrite=true)
//! ```
//!
//! An import is all or nothing: an absolute, escaping, linked or special
//! entry refuses the whole archive, and sizes and entries are capped (the
//! body itself by `server.max_body_bytes`).
//!
//! The tenant must be allowed the `workspace` capability. A refused
//! operation answers with its POSIX-style code in `error.code`
//! (`ENOENT` 404, `EEXIST`/`ENOTEMPTY`/`ESTALE` 409, `EDQUOT` 507,
//! `EFBIG` 413, other bad input 400).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tracing::Instrument as _;

use isobox_store::StoreError;
use isobox_store::workspace::{DirPage, FsCode, Stat, Workspace};

use super::api::{ApiError, AppState, authenticate, finish, read_body, request_id};

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Fs(e) => {
            let status = match e.code {
                FsCode::ENOENT => StatusCode::NOT_FOUND,
                FsCode::EEXIST | FsCode::ENOTEMPTY | FsCode::ESTALE => StatusCode::CONFLICT,
                FsCode::EDQUOT => StatusCode::INSUFFICIENT_STORAGE,
                FsCode::EFBIG => StatusCode::PAYLOAD_TOO_LARGE,
                FsCode::EACCES => StatusCode::FORBIDDEN,
                FsCode::EIO => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            ApiError::new(status, e.code.as_str(), e.to_string())
        }
        StoreError::Unavailable(_) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store-unavailable", error.to_string())
        }
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", other.to_string()),
    }
}

/// The tenant's workspace `id`, when the tenant may use workspaces.
fn open(state: &AppState, request: &Request, id: &str) -> Result<Workspace, ApiError> {
    let tenant = authenticate(state, request.headers())?;
    if !tenant.capabilities.contains("workspace") {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "capability \"workspace\" is not allowed for this tenant",
        ));
    }
    state.store.workspace(&tenant.id, id).map_err(store_error)
}

/// Runs one workspace request: a request id, a span holding the tenant,
/// the tenant's workspace `id` opened (401/403 before `work`), the
/// response counted and tagged.
async fn respond<F, Fut>(state: &AppState, request: Request, id: &str, work: F) -> Response
where
    F: FnOnce(Workspace, Body) -> Fut,
    Fut: std::future::Future<Output = Result<Response, ApiError>>,
{
    let request_id = request_id();
    let span = super::trace::server_span("/v1/workspaces/{id}", request.method(), &request_id, request.headers());
    let opened = span.in_scope(|| open(state, &request, id));
    let body = request.into_body();
    let response = async { work(opened?, body).await }
        .instrument(span.clone())
        .await
        .unwrap_or_else(|e| e.into_response(&request_id));
    super::trace::record_status(&span, response.status());
    finish(state, &request_id, response)
}

/// `GET /v1/workspaces/{id}`.
pub(crate) async fn info(State(state): State<Arc<AppState>>, Path(id): Path<String>, request: Request) -> Response {
    let name = id.clone();
    respond(&state, request, &id, |ws, _| async move {
        let id = name;
        let (version, (files, bytes)) = ws
            .transaction(false, None, |fs| Ok((fs.version(), fs.usage())))
            .await
            .map(|(v, _)| v)
            .map_err(store_error)?;
        Ok(axum::Json(json!({ "id": id, "version": version, "files": files, "bytes": bytes })).into_response())
    })
    .await
}

/// `GET /v1/workspaces/{id}/export`: the whole workspace as a .tar.gz.
pub(crate) async fn export(State(state): State<Arc<AppState>>, Path(id): Path<String>, request: Request) -> Response {
    let name = id.clone();
    respond(&state, request, &id, |ws, _| async move {
        let id = name;
        let options = isobox_store::workspace::ArchiveCreateOptions { gzip: true };
        let bytes = ws
            .archive_create(vec!["/".into()], options)
            .await
            .map_err(store_error)?;
        let mut response = (StatusCode::OK, bytes).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/gzip"));
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{id}.tar.gz\"")) {
            response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
        }
        Ok(response)
    })
    .await
}

/// `POST /v1/workspaces/{id}/import`: extracts the body (tar or .tar.gz).
pub(crate) async fn import(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let (state, query) = (&state, &query);
    respond(state, request, &id, |ws, body| async move {
        let bytes = read_body(state, body).await?;
        let dest = query.get("dest").cloned().unwrap_or_else(|| "/".to_owned());
        let options = isobox_store::workspace::ExtractOptions {
            overwrite: flag(query, "overwrite"),
            ..Default::default()
        };
        let done = ws
            .archive_extract(bytes.to_vec(), &dest, options)
            .await
            .map_err(store_error)?;
        Ok(axum::Json(done).into_response())
    })
    .await
}

/// `GET`, `PUT` and `DELETE` of `/v1/workspaces/{id}/files/{path}` (and of
/// `/files` for the root).
pub(crate) async fn files(
    State(state): State<Arc<AppState>>,
    Path(params): Path<HashMap<String, String>>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let id = params.get("id").cloned().unwrap_or_default();
    let path = format!("/{}", params.get("path").map(String::as_str).unwrap_or(""));
    let method = request.method().clone();
    let (state, query) = (&state, &query);
    respond(state, request, &id, |ws, body| async move {
        let path = isobox_store::workspace::path::normalize(&path).map_err(|e| store_error(e.into()))?;
        match method {
            Method::GET | Method::HEAD => read(&ws, path, query).await,
            Method::PUT => {
                let parents = flag(query, "parents");
                let body = read_body(state, body).await?;
                let (stat, version) = ws
                    .transaction(true, None, move |fs| fs.write(&path, &body, parents, false))
                    .await
                    .map_err(store_error)?;
                Ok(axum::Json(json!({ "stat": stat, "version": version })).into_response())
            }
            Method::DELETE => {
                let removed = ws.rm(&path, flag(query, "recursive")).await.map_err(store_error)?;
                Ok(axum::Json(json!({ "removed": removed })).into_response())
            }
            _ => Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "use GET, PUT or DELETE",
            )),
        }
    })
    .await
}

fn flag(query: &HashMap<String, String>, name: &str) -> bool {
    query.get(name).is_some_and(|v| v == "true" || v == "1")
}

/// What a GET of a path finds, read in one transaction.
enum Found {
    Directory(DirPage),
    File(Stat, Vec<u8>),
}

/// A file's bytes (with its hash as the ETag), or a page of a directory.
async fn read(ws: &Workspace, path: String, query: &HashMap<String, String>) -> Result<Response, ApiError> {
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(ws.limits().max_page)
        .clamp(1, ws.limits().max_page);
    let cursor = query.get("cursor").cloned();
    let (found, _) = ws
        .transaction(false, None, move |fs| {
            let stat = fs.stat_existing(&path)?;
            if !stat.is_dir() {
                return Ok(Found::File(stat, fs.read(&path)?));
            }
            let (entries, more) = fs.list(&path, cursor.as_deref(), limit)?;
            let cursor = if more {
                entries.last().map(|e| e.path.clone())
            } else {
                None
            };
            Ok(Found::Directory(DirPage { entries, cursor }))
        })
        .await
        .map_err(store_error)?;
    let (stat, bytes) = match found {
        Found::Directory(page) => return Ok(axum::Json(page).into_response()),
        Found::File(stat, bytes) => (stat, bytes),
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(hash) = stat
        .hash
        .as_deref()
        .and_then(|h| HeaderValue::from_str(&format!("\"{h}\"")).ok())
    {
        headers.insert(header::ETAG, hash);
    }
    Ok(response)
}
