//! A stored worker's static assets (`assets = "DIR"`) through a real
//! `isobox serve` on 127.0.0.1 and a real HTTP client: files answered by
//! the host with no run (ETags, 304, HEAD, ranges, precompressed variants,
//! immutable caching, canonical redirects under the mount), the
//! single-page-application and 404-page fallbacks, the worker for
//! everything else, and traversal that never leaves the directory.

use std::net::SocketAddr;
use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use isobox_serve::{ServeConfig, Server, ServerHandle, key_sha256_hex};

use crate::common::engine;

const ACME: &str = "acme-assets-key";
const BETA: &str = "beta-assets-key";

/// The worker behind the assets: JSON for `/api/...`, a 404 naming the
/// path for anything else.
const WORKER: &str = r#"
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/api/')) {
      return Response.json({ api: url.pathname, method: request.method });
    }
    return new Response('worker saw ' + url.pathname, { status: 404, headers: { 'x-worker': 'app' } });
  },
};
"#;

const INDEX: &str = "<!doctype html><title>app</title><script src=\"assets/app.3f9a1c2b.js\"></script>";
const SCRIPT: &str = "console.log('the app, uncompressed');";
const SCRIPT_BR: &[u8] = b"\x8b\x0f\x80BROTLI-BYTES";
const SCRIPT_GZ: &[u8] = b"\x1f\x8bGZIP-BYTES";

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn call(addr: SocketAddr, method: &str, path: &str, key: Option<&str>, headers: &[(&str, &str)]) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connecting");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "app.example");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(Bytes::new())).expect("request");
    let response = sender.send_request(request).await.expect("sending");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body }
}

async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    call(addr, "GET", path, Some(ACME), headers).await
}

/// The worker file and the app's directory, removed when dropped.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn app_dir() -> Dir {
    let dir = std::env::temp_dir().join(format!(
        "isobox-serve-assets-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let write = |path: &str, body: &[u8]| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("directory");
        std::fs::write(path, body).expect("writing a fixture");
    };
    write("app.js", WORKER.as_bytes());
    write("public/index.html", INDEX.as_bytes());
    write("public/404.html", b"<h1>no such page</h1>");
    write("public/about/index.html", b"<h1>about</h1>");
    write("public/assets/app.3f9a1c2b.js", SCRIPT.as_bytes());
    write("public/assets/app.3f9a1c2b.js.br", SCRIPT_BR);
    write("public/assets/app.3f9a1c2b.js.gz", SCRIPT_GZ);
    write("public/.env", b"SECRET=1");
    Dir(dir)
}

/// `app`: the single-page-application fallback; `site`: the 404 page.
/// Only acme may call them.
async fn start(dir: &Dir) -> (SocketAddr, ServerHandle) {
    let text = format!(
        "[workers.app]\nfile = \"app.js\"\nassets = \"public\"\nassets_not_found = \"single-page-application\"\n\
         [workers.site]\nfile = \"app.js\"\nassets = \"public\"\nassets_not_found = \"404-page\"\n\
         [tenants.acme]\nkey_sha256 = [\"{}\"]\nworkers = [\"app\", \"site\"]\n\
         [tenants.beta]\nkey_sha256 = [\"{}\"]\n",
        key_sha256_hex(ACME),
        key_sha256_hex(BETA)
    );
    let config = ServeConfig::from_toml_str(&text, Some(&dir.0), |_| None).unwrap_or_else(|e| panic!("config: {e}"));
    Server::bind(config, engine(), "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("binding the server")
}

#[tokio::test]
async fn assets_are_answered_by_the_host_with_validators_ranges_and_variants() {
    let dir = app_dir();
    let (addr, handle) = start(&dir).await;

    let index = get(addr, "/v1/workers/app/", &[]).await;
    assert_eq!(index.status, 200, "{}", index.text());
    assert_eq!(index.text(), INDEX);
    assert_eq!(index.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        index.header("cache-control"),
        Some("public, max-age=0, must-revalidate")
    );
    assert_eq!(index.header("accept-ranges"), Some("bytes"));
    assert_eq!(index.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(index.header("x-request-id").map(str::len), Some(16));
    let etag = index.header("etag").expect("an ETag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "a strong ETag: {etag}");

    // The mount without its slash is the registry's: the worker described.
    let bare = get(addr, "/v1/workers/app?x=1", &[]).await;
    assert_eq!(bare.status, 200, "{}", bare.text());
    let described: serde_json::Value = serde_json::from_slice(&bare.body).expect("JSON");
    assert_eq!(described["source"], "config");
    assert_eq!(described["name"], "app");

    let cached = get(addr, "/v1/workers/app/", &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    assert_eq!(cached.header("etag"), Some(etag.as_str()));
    assert_eq!(
        cached.header("cache-control"),
        Some("public, max-age=0, must-revalidate")
    );

    let head = call(addr, "HEAD", "/v1/workers/app/", Some(ACME), &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some(INDEX.len().to_string().as_str()));
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert_eq!(head.header("content-type"), Some("text/html; charset=utf-8"));

    let script = "/v1/workers/app/assets/app.3f9a1c2b.js";
    let part = get(addr, script, &[("range", "bytes=0-6")]).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.text(), "console");
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 0-6/{}", SCRIPT.len()).as_str())
    );
    assert_eq!(
        part.header("content-encoding"),
        None,
        "ranges come from the identity file"
    );
    let past = get(addr, script, &[("range", "bytes=9999-")]).await;
    assert_eq!(past.status, 416);
    assert_eq!(
        past.header("content-range"),
        Some(format!("bytes */{}", SCRIPT.len()).as_str())
    );

    let br = get(addr, script, &[("accept-encoding", "br, gzip")]).await;
    assert_eq!(br.status, 200);
    assert_eq!(br.body.as_ref(), SCRIPT_BR);
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(br.header("vary"), Some("accept-encoding"));
    assert_eq!(br.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let gzip = get(addr, script, &[("accept-encoding", "gzip")]).await;
    assert_eq!(
        (gzip.body.as_ref(), gzip.header("content-encoding")),
        (SCRIPT_GZ, Some("gzip"))
    );
    assert_ne!(gzip.header("etag"), br.header("etag"));
    let plain = get(addr, script, &[]).await;
    assert_eq!(plain.text(), SCRIPT);
    assert_eq!(
        plain.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    // Canonical URLs, redirected under the mount.
    for (path, location) in [
        ("/v1/workers/app/about", "/v1/workers/app/about/"),
        ("/v1/workers/app/about/index.html", "/v1/workers/app/about/"),
        ("/v1/workers/app/index.html", "/v1/workers/app/"),
    ] {
        let moved = get(addr, path, &[]).await;
        assert_eq!(
            (moved.status, moved.header("location")),
            (307, Some(location)),
            "{path}"
        );
    }
    assert_eq!(get(addr, "/v1/workers/app/about/", &[]).await.text(), "<h1>about</h1>");

    // None of this started a sandbox.
    let metrics = handle.metrics().render();
    assert!(!metrics.contains("isobox_runs_total{"), "{metrics}");
    assert!(
        metrics.contains("isobox_asset_responses_total{status=\"200\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("isobox_asset_responses_total{status=\"304\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("isobox_asset_responses_total{status=\"206\"}"),
        "{metrics}"
    );

    // A variant is no asset by its own name: the worker answers.
    let variant = get(addr, &format!("{script}.br"), &[]).await;
    assert_eq!(variant.status, 404);
    assert_eq!(variant.text(), "worker saw /assets/app.3f9a1c2b.js.br");
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn navigations_fall_back_to_the_spa_index_and_other_requests_reach_the_worker() {
    let dir = app_dir();
    let (addr, handle) = start(&dir).await;

    for headers in [
        vec![("sec-fetch-mode", "navigate")],
        vec![("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    ] {
        let page = get(addr, "/v1/workers/app/dashboard/settings", &headers).await;
        assert_eq!(page.status, 200, "{headers:?}");
        assert_eq!(page.text(), INDEX);
    }

    let api = get(addr, "/v1/workers/app/api/items?x=1", &[("accept", "application/json")]).await;
    assert_eq!(api.status, 200, "{}", api.text());
    assert_eq!(api.text(), r#"{"api":"/api/items","method":"GET"}"#);
    let fetch = get(
        addr,
        "/v1/workers/app/dashboard/settings",
        &[("sec-fetch-mode", "cors")],
    )
    .await;
    assert_eq!(
        (fetch.status, fetch.text().as_str()),
        (404, "worker saw /dashboard/settings")
    );
    assert_eq!(fetch.header("x-worker"), Some("app"));
    // A method other than GET and HEAD goes to the worker, even for an asset's path.
    let post = call(addr, "POST", "/v1/workers/app/api/items", Some(ACME), &[]).await;
    assert_eq!(post.text(), r#"{"api":"/api/items","method":"POST"}"#);
    let put = call(addr, "PUT", "/v1/workers/app/about/", Some(ACME), &[]).await;
    assert_eq!(put.header("x-worker"), Some("app"));

    let metrics = handle.metrics().render();
    assert!(
        metrics.contains("isobox_asset_responses_total{status=\"200\"} 2"),
        "{metrics}"
    );
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn the_404_page_and_the_checks_before_any_asset() {
    let dir = app_dir();
    let (addr, handle) = start(&dir).await;

    for path in ["/v1/workers/site/nope", "/v1/workers/site/deep/er/nope.png"] {
        let missing = get(addr, path, &[("sec-fetch-mode", "navigate")]).await;
        assert_eq!(missing.status, 404, "{path}");
        assert_eq!(missing.text(), "<h1>no such page</h1>");
        assert_eq!(missing.header("content-type"), Some("text/html; charset=utf-8"));
    }
    // With 404-page, every GET or HEAD that no file answers gets the 404
    // page; the worker still gets every other method.
    let get_api = get(addr, "/v1/workers/site/api/x", &[]).await;
    assert_eq!(
        (get_api.status, get_api.text().as_str()),
        (404, "<h1>no such page</h1>")
    );
    let api = call(addr, "POST", "/v1/workers/site/api/x", Some(ACME), &[]).await;
    assert_eq!(api.status, 200, "{}", api.text());
    assert_eq!(api.text(), r#"{"api":"/api/x","method":"POST"}"#);

    // Auth and the tenant's right to the worker come before the assets.
    let anonymous = call(addr, "GET", "/v1/workers/app/", None, &[]).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("etag"), None);
    let other = call(addr, "GET", "/v1/workers/app/", Some(BETA), &[]).await;
    assert_eq!(other.status, 404);
    assert!(other.text().contains("no worker named"), "{}", other.text());
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn traversal_never_leaves_the_directory() {
    let dir = app_dir();
    let (addr, handle) = start(&dir).await;
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for path in [
        "/v1/workers/app/..%2f..%2fetc/passwd",
        "/v1/workers/app/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/v1/workers/app/%2e%2e/%2e%2e/etc/passwd",
        "/v1/workers/app/../../etc/passwd",
        "/v1/workers/app/assets/..%2f..%2f..%2fapp.js",
        "/v1/workers/app/.env",
        "/v1/workers/app/..%5c..%5cetc%5cpasswd",
    ] {
        // Not an asset: the worker answers (a navigation would get the SPA
        // index, which is inside the directory too).
        let reply = get(addr, path, &[]).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
        assert_eq!(reply.header("x-worker"), Some("app"), "{path}");
        let text = reply.text();
        assert!(text.starts_with("worker saw "), "{path}: {text}");
        assert!(!text.contains("root:") && !text.contains("SECRET") && !text.contains("export default"));
        if !passwd.is_empty() {
            assert!(!text.contains(passwd.lines().next().unwrap_or("root:")));
        }
        let navigation = get(addr, path, &[("sec-fetch-mode", "navigate")]).await;
        assert!(
            navigation.text() == INDEX || navigation.header("x-worker") == Some("app"),
            "{path}: {}",
            navigation.text()
        );
    }
    handle.shutdown().await.expect("shutdown");
}
