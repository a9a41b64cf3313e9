//! A loopback npm registry for tests, and builders of test tarballs.
//!
//! Included by the test suites of several crates as a module:
//!
//! ```ignore
//! #[path = "../../../tests/npm/registry.rs"]
//! mod registry;
//! ```
//!
//! It needs only these crates, which the including crate lists (as
//! dev-dependencies); sha2 0.11 and base64 0.23 work as well:
//!
//! ```toml
//! tokio = { version = "1", features = ["rt", "net"] }
//! hyper = { version = "1", features = ["server", "http1"] }
//! hyper-util = { version = "0.1", features = ["tokio"] }
//! http-body-util = "0.1"
//! bytes = "1"
//! serde_json = "1"
//! sha2 = "0.10"
//! base64 = "0.22"
//! flate2 = { version = "1", default-features = false, features = ["rust_backend"] }
//! tar = { version = "0.4", default-features = false }
//! ```
//!
//! [`Registry::start`] serves the `*.tgz` files of a directory (the pinned
//! fixtures that `scripts/npm/fixtures.sh` downloads into
//! `.cache/npm-fixtures/`, see [`fixtures_dir`]) on `127.0.0.1` with the npm
//! registry protocol:
//!
//! - `GET /NAME`, `GET /@scope%2fname` and `GET /@scope/name`: the packument,
//!   synthesised from each tarball's `package.json`: `name`, `dist-tags`
//!   (`latest` is the highest release, see [`Registry::set_dist_tag`]),
//!   `modified` and `versions`. With `Accept: application/vnd.npm.install-v1+json`
//!   it is the abbreviated form (that content type; per version only `name`,
//!   `version`, `deprecated`, the dependency fields, `bin`, `directories`,
//!   `engines`, `os`, `cpu`, `_hasShrinkwrap`, `hasInstallScript` and `dist`),
//!   otherwise `application/json` with each version's whole `package.json`
//!   plus `_id` and `dist`. `dist` holds `tarball` (a URL on this server) and
//!   `integrity` (`sha512-` and the base64 SHA-512 of the bytes served); there
//!   is no `shasum`. An unknown package is a 404 with `{"error":"Not found"}`.
//! - `GET /NAME/-/BASENAME-VERSION.tgz` (scoped: `/@scope/name/-/name-VERSION.tgz`,
//!   `%2f` accepted too): the tarball's bytes, `application/octet-stream`.
//!
//! `HEAD` is answered like `GET`; other methods get a 405. Every request is
//! counted, whatever its answer.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};

/// The content type of npm's abbreviated metadata ("corgi" documents).
pub const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";

/// The per-version fields of the abbreviated packument, besides `dist`.
const ABBREVIATED_FIELDS: &[&str] = &[
    "name",
    "version",
    "deprecated",
    "dependencies",
    "optionalDependencies",
    "devDependencies",
    "bundleDependencies",
    "bundledDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "bin",
    "directories",
    "engines",
    "os",
    "cpu",
    "_hasShrinkwrap",
    "hasInstallScript",
];

/// Reading a tarball's `package.json` stops after this many bytes of
/// entries, so that [`Registry::add_tarball`] of a [`gzip_bomb`] does not
/// inflate it.
const MANIFEST_SCAN_LIMIT: u64 = 64 << 20;

/// The directory `scripts/npm/fixtures.sh` downloads the pinned tarballs to:
/// `$ISOBOX_NPM_FIXTURES` when set, else `.cache/npm-fixtures` in the first
/// ancestor of the including crate's `CARGO_MANIFEST_DIR` that holds
/// `tests/npm/packages.txt` (the repository root).
///
/// # Panics
///
/// When neither is found: the message says what to do.
pub fn fixtures_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ISOBOX_NPM_FIXTURES") {
        return PathBuf::from(dir);
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    match manifest_dir
        .ancestors()
        .find(|dir| dir.join("tests/npm/packages.txt").is_file())
    {
        Some(root) => root.join(".cache/npm-fixtures"),
        None => panic!(
            "no tests/npm/packages.txt above {}: set ISOBOX_NPM_FIXTURES to the fixtures directory",
            manifest_dir.display()
        ),
    }
}

/// `sha512-` and the base64 SHA-512 of `bytes`: npm's `dist.integrity`.
pub fn integrity(bytes: &[u8]) -> String {
    let digest = Sha512::digest(bytes);
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(&digest[..])
    )
}

/// A loopback npm registry; see the module documentation for the protocol.
/// Stops when dropped (or with [`Registry::stop`]).
pub struct Registry {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    /// `http://127.0.0.1:PORT/`.
    base: String,
    requests: AtomicU64,
    tarball_requests: AtomicU64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    token: Option<String>,
    packages: BTreeMap<String, Package>,
    log: Vec<String>,
}

#[derive(Default)]
struct Package {
    /// By version string.
    versions: BTreeMap<String, Version>,
    /// Tags set by [`Registry::set_dist_tag`]; `latest` defaults to the
    /// highest version.
    tags: BTreeMap<String, String>,
    /// The packuments, rebuilt on every change.
    full: Bytes,
    abbreviated: Bytes,
}

struct Version {
    /// The tarball's `package.json` (an object), with `name` and `version`.
    manifest: Map<String, Value>,
    tgz: Bytes,
    integrity: String,
}

impl Registry {
    /// Serves every `*.tgz` in `dir` on `127.0.0.1` at a free port, each
    /// under the name and version of its `package.json` (at `TOP/package.json`,
    /// `TOP` being the tarball's top directory, usually `package`).
    ///
    /// Must be called within a tokio runtime; the server runs on a task of it.
    ///
    /// # Errors
    ///
    /// When `dir` cannot be read (the message names `scripts/npm/fixtures.sh`),
    /// a tarball has no readable `package.json` with a `name` and a `version`,
    /// or the port cannot be bound.
    pub async fn start(dir: &Path) -> io::Result<Registry> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot read the npm fixtures in {}: {e} (run scripts/npm/fixtures.sh)",
                    dir.display()
                ),
            )
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "tgz") {
                files.push(path);
            }
        }
        files.sort();
        let mut state = State::default();
        for path in files {
            let tgz = std::fs::read(&path)?;
            let manifest = read_manifest(&tgz).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: no TOP/package.json with a name and a version", path.display()),
                )
            })?;
            let (Some(Value::String(name)), Some(Value::String(version))) =
                (manifest.get("name").cloned(), manifest.get("version").cloned())
            else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: package.json has no string name and version", path.display()),
                ));
            };
            state.insert(&name, &version, manifest, Bytes::from(tgz));
        }
        Self::serve(state).await
    }

    /// A registry with no package; add some with [`Registry::add_tarball`].
    ///
    /// # Errors
    ///
    /// When the port cannot be bound.
    pub async fn start_empty() -> io::Result<Registry> {
        Self::serve(State::default()).await
    }

    async fn serve(mut state: State) -> io::Result<Registry> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}/");
        let names: Vec<String> = state.packages.keys().cloned().collect();
        for name in names {
            state.rebuild(&base, &name);
        }
        let shared = Arc::new(Shared {
            base,
            requests: AtomicU64::new(0),
            tarball_requests: AtomicU64::new(0),
            state: Mutex::new(state),
        });
        let server = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Registry { addr, shared, server })
    }

    /// The registry's URL, `http://127.0.0.1:PORT/` (with the final slash).
    pub fn url(&self) -> String {
        self.shared.base.clone()
    }

    /// The address the registry listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The number of requests received so far, of any kind and answer.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The number of requests for a tarball path (`…/-/….tgz`) so far,
    /// whatever their answer.
    pub fn tarball_requests(&self) -> u64 {
        self.shared.tarball_requests.load(Ordering::SeqCst)
    }

    /// Every request so far, in order, as `METHOD PATH` (the path as sent,
    /// still percent-encoded, without the query).
    pub fn request_log(&self) -> Vec<String> {
        self.shared.lock().log.clone()
    }

    /// From now on, a request without `authorization: Bearer TOKEN` gets a
    /// 401 with `{"error":"…"}` and `www-authenticate: Bearer`.
    pub fn require_token(&self, token: &str) {
        self.shared.lock().token = Some(token.to_owned());
    }

    /// Serves `tgz` as `name@version` (replacing that version if present).
    /// The version's metadata is the tarball's `TOP/package.json` when it has
    /// one (read from at most the first 64 MiB of entries, so a gzip bomb is
    /// not inflated), else empty; `name` and `version` are set from the
    /// arguments, and `dependencies` replaces its `dependencies` unless it is
    /// `Value::Null`. `tgz` may be any bytes; its integrity is computed from
    /// them.
    pub fn add_tarball(&self, name: &str, version: &str, tgz: Vec<u8>, dependencies: Value) {
        let mut manifest = read_manifest(&tgz).unwrap_or_default();
        if !dependencies.is_null() {
            manifest.insert("dependencies".to_owned(), dependencies);
        }
        let mut state = self.shared.lock();
        state.insert(name, version, manifest, Bytes::from(tgz));
        state.rebuild(&self.shared.base, name);
    }

    /// From now on the metadata of `name@version` says `integrity` (the
    /// tarball served is unchanged): for integrity-mismatch tests.
    ///
    /// # Panics
    ///
    /// When the registry has no `name@version`.
    pub fn set_integrity(&self, name: &str, version: &str, integrity: &str) {
        let mut state = self.shared.lock();
        let entry = state.packages.get_mut(name).and_then(|p| p.versions.get_mut(version));
        let Some(entry) = entry else {
            panic!("set_integrity: the registry has no {name}@{version}")
        };
        entry.integrity = integrity.to_owned();
        state.rebuild(&self.shared.base, name);
    }

    /// Points the dist-tag `tag` of `name` at `version` (which need not
    /// exist). Setting `latest` overrides the default, the highest release.
    ///
    /// # Panics
    ///
    /// When the registry has no package `name`.
    pub fn set_dist_tag(&self, name: &str, tag: &str, version: &str) {
        let mut state = self.shared.lock();
        let Some(package) = state.packages.get_mut(name) else {
            panic!("set_dist_tag: the registry has no package {name}")
        };
        package.tags.insert(tag.to_owned(), version.to_owned());
        state.rebuild(&self.shared.base, name);
    }

    /// The URL the metadata gives as `dist.tarball` for `name@version`.
    pub fn tarball_url(&self, name: &str, version: &str) -> String {
        tarball_url(&self.shared.base, name, version)
    }

    /// Stops accepting and closes every connection. The listening socket is
    /// closed shortly after, on the runtime; [`Registry::shutdown`] waits for it.
    pub fn stop(self) {}

    /// Stops like [`Registry::stop`] and returns once the listening socket
    /// is closed (a new connection is refused); open connections are closed
    /// shortly after.
    pub async fn shutdown(mut self) {
        self.server.abort();
        // The task ends cancelled; its listener is dropped by then.
        let _ = (&mut self.server).await;
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state consistent (every
        // change is one insert), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn respond(&self, req: &Request<Incoming>) -> Response<Full<Bytes>> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let raw_path = req.uri().path();
        let decoded = percent_decode(raw_path);
        let path = decoded.trim_start_matches('/');
        let tarball = path.split_once("/-/");
        if tarball.is_some() {
            self.tarball_requests.fetch_add(1, Ordering::SeqCst);
        }
        let mut state = self.lock();
        state.log.push(format!("{} {raw_path}", req.method()));
        if let Some(token) = &state.token {
            let expected = format!("Bearer {token}");
            if req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(&expected) {
                let mut response = error(StatusCode::UNAUTHORIZED, "authentication required");
                response
                    .headers_mut()
                    .insert("www-authenticate", HeaderValue::from_static("Bearer"));
                return response;
            }
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        }
        if let Some((name, file)) = tarball {
            let basename = name.rsplit('/').next().unwrap_or(name);
            let version = file
                .strip_prefix(basename)
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|rest| rest.strip_suffix(".tgz"));
            let found = version.and_then(|v| state.packages.get(name)?.versions.get(v));
            return match found {
                Some(entry) => reply(StatusCode::OK, "application/octet-stream", entry.tgz.clone()),
                None => error(StatusCode::NOT_FOUND, "Not found"),
            };
        }
        let Some(package) = state.packages.get(path) else {
            return error(StatusCode::NOT_FOUND, "Not found");
        };
        let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
        if accept.contains(ABBREVIATED) {
            reply(StatusCode::OK, ABBREVIATED, package.abbreviated.clone())
        } else {
            reply(StatusCode::OK, "application/json", package.full.clone())
        }
    }
}

impl State {
    fn insert(&mut self, name: &str, version: &str, mut manifest: Map<String, Value>, tgz: Bytes) {
        manifest.insert("name".to_owned(), Value::from(name));
        manifest.insert("version".to_owned(), Value::from(version));
        let integrity = integrity(&tgz);
        let package = self.packages.entry(name.to_owned()).or_default();
        package.versions.insert(
            version.to_owned(),
            Version {
                manifest,
                tgz,
                integrity,
            },
        );
    }

    /// Rebuilds both packuments of `name` after a change.
    fn rebuild(&mut self, base: &str, name: &str) {
        let Some(package) = self.packages.get_mut(name) else {
            return;
        };
        let mut versions: Vec<&String> = package.versions.keys().collect();
        versions.sort_by(|a, b| compare_versions(a, b));
        let mut tags = Map::new();
        let highest_release = versions
            .iter()
            .rev()
            .find(|v| !v.split('+').next().unwrap_or(v).contains('-'))
            .or(versions.last());
        if let Some(latest) = highest_release {
            tags.insert("latest".to_owned(), Value::from(latest.as_str()));
        }
        for (tag, version) in &package.tags {
            tags.insert(tag.clone(), Value::from(version.as_str()));
        }
        let modified = Value::from(rfc3339(SystemTime::now()));
        let mut full = Map::new();
        let mut abbreviated = Map::new();
        for version in versions {
            let entry = &package.versions[version];
            let dist = json!({
                "tarball": tarball_url(base, name, version),
                "integrity": entry.integrity,
            });
            let mut long = entry.manifest.clone();
            long.insert("_id".to_owned(), Value::from(format!("{name}@{version}")));
            long.insert("dist".to_owned(), dist.clone());
            full.insert(version.clone(), Value::Object(long));
            let mut short = Map::new();
            for field in ABBREVIATED_FIELDS {
                if let Some(value) = entry.manifest.get(*field) {
                    short.insert((*field).to_owned(), value.clone());
                }
            }
            if has_install_script(&entry.manifest) {
                short.insert("hasInstallScript".to_owned(), Value::Bool(true));
            }
            short.insert("dist".to_owned(), dist);
            abbreviated.insert(version.clone(), Value::Object(short));
        }
        let document = |versions: Map<String, Value>| {
            let document = json!({
                "name": name,
                "dist-tags": tags,
                "modified": modified,
                "versions": versions,
            });
            Bytes::from(document.to_string())
        };
        package.full = document(full);
        package.abbreviated = document(abbreviated);
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    // The connections are tasks of this set, so aborting this task (stop,
    // drop) drops the set, which aborts them and closes their sockets.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors and the like: try again shortly.
                tokio::task::yield_now().await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let shared = shared.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let response = shared.respond(&req);
                async move { Ok::<_, Infallible>(response) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = json!({ "error": message }).to_string();
    reply(status, "application/json", Bytes::from(body))
}

fn tarball_url(base: &str, name: &str, version: &str) -> String {
    let basename = name.rsplit('/').next().unwrap_or(name);
    format!("{base}{name}/-/{basename}-{version}.tgz")
}

/// Whether the registry would set `hasInstallScript`: the manifest has a
/// `preinstall`, `install` or `postinstall` script.
fn has_install_script(manifest: &Map<String, Value>) -> bool {
    let scripts = manifest.get("scripts").and_then(Value::as_object);
    scripts.is_some_and(|s| {
        ["preinstall", "install", "postinstall"]
            .iter()
            .any(|k| s.contains_key(*k))
    })
}

/// Decodes `%XX` escapes (`%2f` in scoped names); other bytes are kept.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `TOP/package.json` of a gzip'd tarball as a JSON object, or `None`
/// when the bytes are no tarball or it has none within
/// [`MANIFEST_SCAN_LIMIT`] bytes of entries.
fn read_manifest(tgz: &[u8]) -> Option<Map<String, Value>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    let mut scanned = 0u64;
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        let is_manifest = {
            let path = entry.path().ok()?;
            let mut parts = path.components().filter(|c| *c != std::path::Component::CurDir);
            parts.next().is_some()
                && parts.next().is_some_and(|c| c.as_os_str() == "package.json")
                && parts.next().is_none()
        };
        if is_manifest && entry.header().entry_type().is_file() {
            let mut text = Vec::new();
            entry.by_ref().take(MANIFEST_SCAN_LIMIT).read_to_end(&mut text).ok()?;
            return match serde_json::from_slice(&text).ok()? {
                Value::Object(manifest) => Some(manifest),
                _ => None,
            };
        }
        scanned = scanned.saturating_add(entry.size());
        if scanned > MANIFEST_SCAN_LIMIT {
            return None;
        }
    }
    None
}

/// Orders versions as semver does (release above its pre-releases,
/// pre-release identifiers numeric below alphanumeric), build metadata
/// ignored; what does not parse sorts below what does, by its text.
fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    fn parse(v: &str) -> Option<([u64; 3], Vec<&str>)> {
        let v = v.split('+').next()?;
        let (release, pre) = match v.split_once('-') {
            Some((release, pre)) => (release, pre.split('.').collect()),
            None => (v, Vec::new()),
        };
        let mut numbers = release.split('.').map(|n| n.parse::<u64>().ok());
        let triple = [numbers.next()??, numbers.next()??, numbers.next()??];
        numbers.next().is_none().then_some((triple, pre))
    }
    fn identifier(a: &str, b: &str) -> Ordering {
        match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(b),
        }
    }
    match (parse(a), parse(b)) {
        (Some((ra, pa)), Some((rb, pb))) => ra.cmp(&rb).then_with(|| match (pa.is_empty(), pb.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => pa
                .iter()
                .zip(&pb)
                .map(|(x, y)| identifier(x, y))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| pa.len().cmp(&pb.len())),
        }),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.cmp(b),
    }
}

/// `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ`, as the registry writes `modified`.
fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

// ---------------------------------------------------------------------------
// Test tarballs.

/// One entry of a tarball built by [`tarball_of`]. Paths are written into the
/// tar header byte for byte (no `package/` added, `..` and absolute paths
/// kept), so they must fit the header's 100 bytes.
#[derive(Clone, Copy, Debug)]
pub enum Entry<'a> {
    /// A regular file, mode 0644.
    File { path: &'a str, contents: &'a [u8] },
    /// A directory, mode 0755.
    Dir { path: &'a str },
    /// A symbolic link to `target`.
    Symlink { path: &'a str, target: &'a str },
    /// A hard link to `target` (a path in the archive, or anything else).
    HardLink { path: &'a str, target: &'a str },
}

/// A gzip'd tar whose regular files are `files`, each at `package/PATH`, as
/// npm packs them (mode 0644, a fixed mtime).
///
/// # Panics
///
/// When a path is absolute or has a `..` (see [`tarball_with_entry_path`]).
pub fn tarball(files: &[(&str, &[u8])]) -> Vec<u8> {
    finish(with_files(files))
}

/// [`tarball`] of `files`, plus one regular file whose header path is
/// `raw_path` exactly: `package/../../evil`, `/tmp/evil`, `../evil`.
pub fn tarball_with_entry_path(files: &[(&str, &[u8])], raw_path: &str, contents: &[u8]) -> Vec<u8> {
    let mut builder = with_files(files);
    append_entry(
        &mut builder,
        Entry::File {
            path: raw_path,
            contents,
        },
    );
    finish(builder)
}

/// [`tarball`] of `files`, plus a symbolic link at `package/PATH` to
/// `target`, written as is (`/etc/passwd`, `../../outside`).
pub fn tarball_with_symlink(files: &[(&str, &[u8])], path: &str, target: &str) -> Vec<u8> {
    let mut builder = with_files(files);
    let path = format!("package/{path}");
    append_entry(&mut builder, Entry::Symlink { path: &path, target });
    finish(builder)
}

/// [`tarball`] of `files`, plus a hard link at `package/PATH` to `target`,
/// written as is (`/etc/passwd`, `package/../../outside`).
pub fn tarball_with_hard_link(files: &[(&str, &[u8])], path: &str, target: &str) -> Vec<u8> {
    let mut builder = with_files(files);
    let path = format!("package/{path}");
    append_entry(&mut builder, Entry::HardLink { path: &path, target });
    finish(builder)
}

/// A gzip'd tar of exactly `entries`, in order, with their raw paths: for
/// tarballs no helper above builds (a symlink followed by a file under it,
/// a top directory other than `package/`).
pub fn tarball_of(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(gzip(Vec::new()));
    for entry in entries {
        append_entry(&mut builder, *entry);
    }
    finish(builder)
}

/// A valid `.tgz` whose single file, `package/bomb`, is `decompressed_bytes`
/// zero bytes: one gzip member (not several concatenated), whose deflate
/// stream repeats one compressed block of 1 MiB of zeros. About a
/// thousandth of the size (deflate's limit), built in milliseconds per GiB
/// without ever holding the inflated data.
pub fn gzip_bomb(decompressed_bytes: u64) -> Vec<u8> {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    const CHUNK: usize = 1 << 20;
    let mut header = new_header(tar::EntryType::Regular, 0o644, decompressed_bytes);
    // Cannot fail: the path is short, relative and has no `..`.
    header.set_path("package/bomb").expect("a plain path");
    header.set_cksum();
    // The tar is the header and zeros: the file, its padding to a 512-byte
    // block and the two zero blocks that end an archive.
    let zeros = decompressed_bytes.div_ceil(512) * 512 + 1024;
    let (whole, rest) = (zeros / CHUNK as u64, (zeros % CHUNK as u64) as usize);
    let chunk = vec![0u8; CHUNK];

    // A full flush ends a block on a byte boundary and resets the dictionary,
    // so the block after one refers to nothing before it and can be repeated.
    let mut deflate = Compress::new(Compression::best(), false);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    deflate_into(&mut deflate, header.as_bytes(), FlushCompress::Full, &mut out);
    let mut block = Vec::new();
    deflate_into(&mut deflate, &chunk, FlushCompress::Full, &mut block);
    for _ in 0..whole {
        out.extend_from_slice(&block);
    }
    deflate_into(&mut deflate, &chunk[..rest], FlushCompress::Finish, &mut out);

    let mut crc = Crc::new();
    crc.update(header.as_bytes());
    let mut chunk_crc = Crc::new();
    chunk_crc.update(&chunk);
    for _ in 0..whole {
        crc.combine(&chunk_crc);
    }
    let mut rest_crc = Crc::new();
    rest_crc.update(&chunk[..rest]);
    crc.combine(&rest_crc);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE: the inflated size modulo 2^32.
    out.extend_from_slice(&((512 + zeros) as u32).to_le_bytes());
    out
}

/// Deflates all of `input` into `out` and, with `Full` or `Finish`, all
/// that is pending.
fn deflate_into(deflate: &mut flate2::Compress, mut input: &[u8], flush: flate2::FlushCompress, out: &mut Vec<u8>) {
    loop {
        out.reserve(1 << 16);
        let before = deflate.total_in();
        // Cannot fail: the stream is well formed and never finished twice.
        let status = deflate.compress_vec(input, out, flush).expect("deflating to memory");
        input = &input[(deflate.total_in() - before) as usize..];
        let done = match flush {
            flate2::FlushCompress::Finish => status == flate2::Status::StreamEnd,
            _ => input.is_empty() && out.len() < out.capacity(),
        };
        if done {
            return;
        }
    }
}

type TarGz = tar::Builder<flate2::write::GzEncoder<Vec<u8>>>;

fn gzip(out: Vec<u8>) -> flate2::write::GzEncoder<Vec<u8>> {
    flate2::write::GzEncoder::new(out, flate2::Compression::default())
}

fn with_files(files: &[(&str, &[u8])]) -> TarGz {
    let mut builder = tar::Builder::new(gzip(Vec::new()));
    for (path, contents) in files {
        let mut header = new_header(tar::EntryType::Regular, 0o644, contents.len() as u64);
        let path = format!("package/{path}");
        if let Err(e) = builder.append_data(&mut header, &path, *contents) {
            panic!("tarball: cannot add {path}: {e} (use tarball_with_entry_path for raw paths)");
        }
    }
    builder
}

fn new_header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    // npm packs every entry with this mtime (1985-10-26T08:15:00Z).
    header.set_mtime(499_162_500);
    header.set_uid(0);
    header.set_gid(0);
    header
}

fn append_entry(builder: &mut TarGz, entry: Entry<'_>) {
    let (kind, mode, path, target, contents): (_, _, _, Option<&str>, &[u8]) = match entry {
        Entry::File { path, contents } => (tar::EntryType::Regular, 0o644, path, None, contents),
        Entry::Dir { path } => (tar::EntryType::Directory, 0o755, path, None, b""),
        Entry::Symlink { path, target } => (tar::EntryType::Symlink, 0o777, path, Some(target), b""),
        Entry::HardLink { path, target } => (tar::EntryType::Link, 0o644, path, Some(target), b""),
    };
    let mut header = new_header(kind, mode, contents.len() as u64);
    raw_copy(&mut header.as_old_mut().name, path);
    if let Some(target) = target {
        raw_copy(&mut header.as_old_mut().linkname, target);
    }
    header.set_cksum();
    builder
        .append(&header, contents)
        .expect("writing to memory cannot fail");
}

fn raw_copy(field: &mut [u8; 100], text: &str) {
    assert!(
        text.len() <= field.len(),
        "tar entry path longer than 100 bytes: {text}"
    );
    field.fill(0);
    field[..text.len()].copy_from_slice(text.as_bytes());
}

fn finish(builder: TarGz) -> Vec<u8> {
    // Writing to a Vec cannot fail.
    let gz = builder.into_inner().expect("writing to memory cannot fail");
    gz.finish().expect("writing to memory cannot fail")
}
