//! A worker's static assets, served by the host: the files of a directory,
//! read into memory once, answered without starting a sandbox, as
//! Workers static assets answer them. `isobox serve` uses it for a stored
//! worker's `assets = "DIR"`.
//!
//! ```
//! use http::{HeaderMap, Method, StatusCode};
//! use isobox_assets::{AssetConfig, Assets};
//!
//! let assets = Assets::from_files(
//!     [
//!         ("index.html", "<h1>home</h1>"),
//!         ("about/index.html", "<h1>about</h1>"),
//!         ("app.3f9a1c2b.js", "console.log(1)"),
//!     ],
//!     AssetConfig::default(),
//! )?;
//! let get = |path: &str| assets.respond(&Method::GET, path, &HeaderMap::new());
//!
//! let home = get("/").expect("an asset");
//! assert_eq!(home.status(), StatusCode::OK);
//! assert_eq!(home.headers()["content-type"], "text/html; charset=utf-8");
//! assert_eq!(home.body().as_ref(), b"<h1>home</h1>");
//!
//! let script = get("/app.3f9a1c2b.js").expect("an asset");
//! assert_eq!(script.headers()["cache-control"], "public, max-age=31536000, immutable");
//!
//! let moved = get("/about/index.html").expect("a redirect");
//! assert_eq!(moved.status(), StatusCode::TEMPORARY_REDIRECT);
//! assert_eq!(moved.headers()["location"], "/about/");
//!
//! assert!(get("/api/items").is_none(), "not an asset: the worker answers");
//! # Ok::<(), isobox_assets::AssetError>(())
//! ```
//!
//! # Loading
//!
//! [`Assets::from_dir`] reads every regular file under a directory. It
//! skips dot-files and dot-directories (`.git/`, `.env`), but
//! `.well-known/`; symbolic links are followed when their target is inside
//! the directory (and not under a dot-directory), skipped when it is
//! outside, missing, or a directory holding the link. The files may hold
//! [`AssetConfig::max_total_bytes`] in all (default 256 MiB) and number
//! [`AssetConfig::max_files`] (default 20,000), variants included; past
//! either, loading fails with an error naming the file.
//!
//! Each file gets a strong `ETag` (the first 128 bits of its SHA-256), a
//! `Content-Type` from its extension (text types with `; charset=utf-8`,
//! else `application/octet-stream`) and a `Cache-Control` from its name:
//! `public, max-age=31536000, immutable` when the name carries a content
//! hash, `public, max-age=0, must-revalidate` otherwise. A name carries a
//! hash when, its extension dropped and the rest split at `.` and `-`, a
//! part is 8 or more characters of either lower-case hex with a digit and a
//! letter (`app.3f9a1c2b.js`) or `A-Za-z0-9_` with a digit, an upper-case
//! and a lower-case letter (`index-B2xD9kQz.css`); so `20240101.json` and
//! `bootstrap-datepicker.js` are not hashed.
//!
//! `FILE.br` and `FILE.gz` beside `FILE` are its precompressed variants,
//! not assets of their own (without `FILE`, they are ordinary files).
//!
//! # Answering
//!
//! [`Assets::respond`] answers GET and HEAD (HEAD: the GET's headers, with
//! its `Content-Length`, and no body); other methods get `None`, as does
//! any request no file answers (unless not-found handling says
//! otherwise), so that the worker handles it.
//!
//! **Paths** are percent-decoded, then normalised: empty and `.` segments
//! dropped, `..` removing the segment before it and never going above the
//! root. Files are looked up in memory by the normalised path, so nothing
//! outside the loaded files can be reached. A path with a NUL or a
//! backslash (raw or encoded), a bad escape, or bytes that are not UTF-8
//! once decoded is not an asset (`None`). A query (`?...`) is ignored, and
//! kept on redirects.
//!
//! **HTML handling** ([`HtmlHandling`], as Workers' `html_handling`). Under
//! the three trailing-slash modes a request path names a *page*: the path
//! without a trailing `/`, `.html`, `/index` or `/index.html`. Page `P` is
//! the file `P.html` or the file `P/index.html`; a path ending in `/`,
//! `/index` or `/index.html` looks for `P/index.html` first, others for
//! `P.html` first. The root is `index.html`. The page's *canonical* URL is:
//!
//! | file           | `auto-trailing-slash` | `force-trailing-slash` | `drop-trailing-slash` |
//! |----------------|-----------------------|------------------------|-----------------------|
//! | `P.html`       | `/P`                  | `/P/`                  | `/P`                  |
//! | `P/index.html` | `/P/`                 | `/P/`                  | `/P`                  |
//! | `index.html`   | `/`                   | `/`                    | `/`                   |
//!
//! A request at the canonical URL of a file it may name gets that file;
//! any other spelling that names a page (`/P.html`, `/P/index.html`,
//! `/P/index`, the other slash) gets a 307 straight to the canonical URL of
//! the first file it names (one hop: the target always serves). A path naming a file
//! that is not `.html` exactly (`/app.js`) gets that file in every mode.
//! Under `none`, a path must name a file exactly (`/about.html`,
//! `/about/index.html`), with no redirect and no index for `/`.
//!
//! **Not found** ([`NotFoundHandling`], as Workers' `not_found_handling`):
//! `none` gives `None`; `404-page` serves the nearest `404.html` (in the
//! request's directory, then each parent) with status 404, to every GET
//! and HEAD no file answers (so a worker behind the assets gets none of
//! them); and
//! `single-page-application` serves `/index.html` with 200 to a navigation
//! (`Sec-Fetch-Mode: navigate`, or, without that header, an `Accept`
//! listing `text/html`) and `None` to any other request.
//!
//! **Preconditions**: `If-Match` (strong comparison; 412 when it fails),
//! then `If-None-Match` (a list or `*`, weak comparison: a 304 with `ETag`,
//! `Cache-Control` and `Vary`, no body). There is no `Last-Modified`, so
//! `If-Modified-Since` is not used.
//!
//! **Ranges** (GET only): a single `bytes=a-b`, `a-` or `-n` gets a 206 with
//! `Content-Range`; a range with no byte in the file a 416 with
//! `Content-Range: bytes */LEN`; several ranges, another unit or a
//! malformed header the whole file (200). `If-Range` with the current
//! (strong) ETag lets the range through; any other value, or a date, gets
//! the whole file.
//!
//! **Content codings**: for a file with variants, the `Accept-Encoding`
//! q-values choose among br, gzip and identity (highest q; br, then gzip,
//! then identity at equal q; identity, unless it or `*` is listed, is
//! acceptable but chosen last);
//! the variant is sent with `Content-Encoding`, its own ETag, the
//! original's `Content-Type`, and `Vary: Accept-Encoding` (which every
//! response for such a file has). When none is acceptable
//! (`identity;q=0` and no variant acceptable) the answer is 406. A range
//! request is served from the identity file. A file without variants
//! ignores `Accept-Encoding`.
//!
//! Every response to a file has `Accept-Ranges: bytes`, and every response
//! of this crate `X-Content-Type-Options: nosniff`.

#![warn(missing_docs)]

mod cache;
mod config;
mod error;
mod headers;
mod html;
mod load;
mod media;
mod negotiate;
mod path;
mod respond;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use bytes::Bytes;
use http::{HeaderMap, Method, Response};

pub use headers::{AssetHeaders, AssetResponse, RequestHeaders};

pub use config::{AssetConfig, HtmlHandling, NotFoundHandling};
pub use error::{AssetError, UnknownOption};

use html::Route;
use respond::{Asset, Representation};

/// A set of static assets in memory, and how to answer requests for them.
/// Cheap to share behind an `Arc`; [`respond`](Assets::respond) takes
/// `&self`.
pub struct Assets {
    /// By key; a B-tree, not a hash map: std's hash keys would import
    /// `wasi:random/insecure-seed`, which a built app's world lacks (the
    /// app guest of `isobox build` serves its assets with this crate).
    files: BTreeMap<String, Asset>,
    total_bytes: u64,
    config: AssetConfig,
}

impl fmt::Debug for Assets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Assets")
            .field("files", &self.files.len())
            .field("total_bytes", &self.total_bytes)
            .field("config", &self.config)
            .finish()
    }
}

impl Assets {
    /// Reads every file under `dir` into memory (the rules are in the
    /// [crate docs](crate#loading)).
    ///
    /// # Errors
    /// [`AssetError::Io`] when `dir` or a file in it cannot be read,
    /// [`AssetError::NotADirectory`], [`AssetError::TooManyFiles`] and
    /// [`AssetError::TooLarge`] past the caps of `config`,
    /// [`AssetError::NotUtf8`] for a name that is not UTF-8.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use isobox_assets::{AssetConfig, Assets};
    /// let dir = std::env::temp_dir().join(format!("isobox-assets-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("index.html"), "<h1>hi</h1>")?;
    /// std::fs::write(dir.join(".env"), "SECRET=1")?;
    /// let assets = Assets::from_dir(&dir, AssetConfig::default())?;
    /// assert_eq!(assets.len(), 1, "the dot-file is skipped");
    /// assert_eq!(assets.total_bytes(), 11);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>, config: AssetConfig) -> Result<Assets, AssetError> {
        let mut loaded = load::Loaded::new(&config);
        loaded.read_dir(dir.as_ref())?;
        let files = std::mem::take(&mut loaded.files);
        Ok(Self::build(files, config))
    }

    /// The files [`Assets::from_dir`] would read from `dir` (the same rules
    /// and caps), by relative path: for carrying a directory elsewhere, such
    /// as into a component `isobox build` makes.
    ///
    /// # Errors
    /// As [`Assets::from_dir`].
    pub fn read_dir_files(dir: impl AsRef<Path>, config: &AssetConfig) -> Result<Vec<(String, Bytes)>, AssetError> {
        let mut loaded = load::Loaded::new(config);
        loaded.read_dir(dir.as_ref())?;
        Ok(std::mem::take(&mut loaded.files).into_iter().collect())
    }

    /// Assets from files given in memory, by relative path (`a/b.js`; a
    /// leading `/` is allowed). The paths are taken as given (dot-files
    /// included); the caps of `config` apply.
    ///
    /// # Errors
    /// [`AssetError::InvalidPath`] for a path with an empty, `.` or `..`
    /// segment, a backslash or NUL, or given twice;
    /// [`AssetError::TooManyFiles`] and [`AssetError::TooLarge`] past the caps.
    ///
    /// ```
    /// use isobox_assets::{AssetConfig, Assets};
    /// let assets = Assets::from_files([("a.js", "1"), ("a.js.br", "2")], AssetConfig::default())?;
    /// assert_eq!(assets.len(), 1, "a.js.br is a.js's variant");
    /// assert!(Assets::from_files([("../x", "")], AssetConfig::default()).is_err());
    /// # Ok::<(), isobox_assets::AssetError>(())
    /// ```
    pub fn from_files<I, P, B>(files: I, config: AssetConfig) -> Result<Assets, AssetError>
    where
        I: IntoIterator<Item = (P, B)>,
        P: AsRef<str>,
        B: AsRef<[u8]>,
    {
        let mut loaded = load::Loaded::new(&config);
        for (path, body) in files {
            loaded.add(path.as_ref(), Bytes::copy_from_slice(body.as_ref()))?;
        }
        let files = std::mem::take(&mut loaded.files);
        Ok(Self::build(files, config))
    }

    /// The assets of the files read: variants attached to their originals.
    fn build(files: std::collections::BTreeMap<String, Bytes>, config: AssetConfig) -> Assets {
        let total_bytes = files.values().map(|body| body.len() as u64).sum();
        let mut assets = BTreeMap::new();
        for (key, body) in &files {
            let original = key.strip_suffix(".br").or_else(|| key.strip_suffix(".gz"));
            if original.is_some_and(|original| files.contains_key(original)) {
                continue;
            }
            let name = key.rsplit('/').next().unwrap_or(key);
            let variant = |suffix: &str| files.get(&format!("{key}{suffix}")).cloned().map(Representation::new);
            assets.insert(
                key.clone(),
                Asset {
                    identity: Representation::new(body.clone()),
                    br: variant(".br"),
                    gzip: variant(".gz"),
                    content_type: media::content_type(name),
                    cache_control: cache::cache_control(name),
                },
            );
        }
        Assets {
            files: assets,
            total_bytes,
            config,
        }
    }

    /// How many assets can be requested by name (variants not counted).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there is no asset.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The bytes held, variants included.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The configuration the assets were loaded with.
    pub fn config(&self) -> &AssetConfig {
        &self.config
    }

    /// The response to a request for `uri_path` (a URI's path, optionally
    /// with its `?query`), or `None` when it is not an asset and the worker
    /// should handle it. The rules are in the [crate docs](crate#answering).
    ///
    /// A redirect's `Location` is a path from the assets' root (`/about/`):
    /// a server that mounts the assets under a prefix adds the prefix.
    ///
    /// ```
    /// use http::{HeaderMap, Method, StatusCode};
    /// use isobox_assets::{AssetConfig, Assets};
    /// let assets = Assets::from_files([("data.txt", "0123456789")], AssetConfig::default())?;
    /// let mut headers = HeaderMap::new();
    /// headers.insert("range", "bytes=2-4".parse().unwrap());
    /// let part = assets.respond(&Method::GET, "/data.txt", &headers).unwrap();
    /// assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    /// assert_eq!(part.headers()["content-range"], "bytes 2-4/10");
    /// assert_eq!(part.body().as_ref(), b"234");
    /// assert!(assets.respond(&Method::POST, "/data.txt", &headers).is_none());
    /// # Ok::<(), isobox_assets::AssetError>(())
    /// ```
    pub fn respond(&self, method: &Method, uri_path: &str, headers: &HeaderMap) -> Option<Response<Bytes>> {
        self.respond_to(method, uri_path, headers).map(AssetResponse::into_http)
    }

    /// [`Assets::respond`] for any [`RequestHeaders`] (a list of pairs, say),
    /// as an [`AssetResponse`]: what a caller without `http::HeaderMap`
    /// uses (the app guest of `isobox build`).
    pub fn respond_to<H: RequestHeaders + ?Sized>(
        &self,
        method: &Method,
        uri_path: &str,
        headers: &H,
    ) -> Option<AssetResponse> {
        let head = match *method {
            Method::GET => false,
            Method::HEAD => true,
            _ => return None,
        };
        let (path, query) = match uri_path.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (uri_path, None),
        };
        let request = path::parse(path)?;
        match html::route(&request, self.config.html_handling, |key| self.files.contains_key(key)) {
            Route::Serve(key) => self.files.get(&key).map(|asset| respond::asset(asset, head, headers)),
            Route::Redirect(location) => Some(respond::redirect(&path::encode(&location), query)),
            Route::NotFound => self.not_found(&request, head, headers),
        }
    }

    /// Not-found handling for a request no file answers.
    fn not_found<H: RequestHeaders + ?Sized>(
        &self,
        request: &path::RequestPath,
        head: bool,
        headers: &H,
    ) -> Option<AssetResponse> {
        match self.config.not_found_handling {
            NotFoundHandling::None => None,
            NotFoundHandling::NotFoundPage => {
                let mut dir = request.segments.clone();
                if !request.trailing_slash {
                    dir.pop();
                }
                loop {
                    dir.push("404.html".to_owned());
                    if let Some(page) = self.files.get(&dir.join("/")) {
                        return Some(respond::not_found_page(page, head, headers));
                    }
                    dir.pop();
                    dir.pop()?;
                }
            }
            NotFoundHandling::SinglePageApplication => {
                if !negotiate::is_navigation(headers) {
                    return None;
                }
                let index = self.files.get("index.html")?;
                Some(respond::asset(index, head, headers))
            }
        }
    }
}
