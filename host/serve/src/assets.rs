//! A stored worker's static assets (`assets = "DIR"` in `[workers.NAME]`):
//! read into memory when the config loads, and answered by the host at
//! `/v1/workers/NAME/...` before a sandbox is started
//! ([`isobox_assets::Assets::respond`]): a GET or HEAD whose path names an
//! asset (or a redirect to one, or the not-found page the worker's
//! `assets_not_found` asks for) never reaches the worker; anything else
//! runs the worker as usual. Auth and the tenant's right to the worker are
//! checked first, as for a run.
//!
//! The assets are mounted at `/v1/workers/NAME/`: a redirect's `Location`
//! gets that prefix, and `/v1/workers/NAME` (no slash) redirects to
//! `/v1/workers/NAME/` when the assets answer the root, so that relative
//! URLs in `index.html` resolve under the mount.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use isobox_assets::Assets;

/// The assets' answer to `request`, whose path under the worker's mount is
/// `path` (`bare`: the request had no `/` after the worker's name), or
/// `None` when the worker should handle it.
pub(crate) fn answer(assets: &Assets, name: &str, path: &str, bare: bool, request: &Request) -> Option<Response> {
    let query = request.uri().query();
    let target = match query {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let response = assets.respond(request.method(), &target, request.headers())?;
    let mount = format!("/v1/workers/{name}");
    if bare {
        let location = match query {
            Some(query) => format!("{mount}/?{query}"),
            None => format!("{mount}/"),
        };
        return Some(redirect(&location));
    }
    let mut response = response.map(Body::from);
    let mounted = response
        .headers()
        .get(header::LOCATION)
        .and_then(|location| HeaderValue::from_str(&format!("{mount}{}", location.to_str().ok()?)).ok());
    if let Some(location) = mounted {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Some(response)
}

/// A 307 to `location`, as the assets' own redirects are.
fn redirect(location: &str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    response
}
