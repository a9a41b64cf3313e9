//! A stored worker's static assets (`assets = "DIR"` in `[workers.NAME]`):
//! read into memory when the config loads, and answered by the host at
//! `/v1/workers/NAME/...` before a sandbox is started
//! ([`isobox_assets::Assets::respond`]): a GET or HEAD whose path names an
//! asset (or a redirect to one, or the not-found page the worker's
//! `assets_not_found` asks for) never reaches the worker; anything else
//! runs the worker as usual. Auth and the tenant's right to the worker are
//! checked first, as for a run.
//!
//! The assets are mounted at `/v1/workers/NAME/` (with the slash, so that
//! relative URLs in `index.html` resolve under the mount; `/v1/workers/NAME`
//! itself is the registry's): a redirect's `Location` gets that prefix.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use isobox_assets::Assets;

/// The assets' answer to `request`, whose path under the worker's mount is
/// `path`, or `None` when the worker should handle it.
pub(crate) fn answer(assets: &Assets, name: &str, path: &str, request: &Request) -> Option<Response> {
    let query = request.uri().query();
    let target = match query {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let response = assets.respond(request.method(), &target, request.headers())?;
    let mount = format!("/v1/workers/{name}");
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
