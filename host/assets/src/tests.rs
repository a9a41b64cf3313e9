//! [`Assets`] end to end: loading (from memory and from a directory) and
//! every rule of `respond`.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Method, Response, StatusCode};

use super::*;

const JS: &str = "console.log('a hashed script, long enough to compress');";

fn app(config: AssetConfig) -> Assets {
    Assets::from_files(
        [
            ("index.html", "<h1>home</h1>"),
            ("404.html", "<h1>not here</h1>"),
            ("about/index.html", "<h1>about</h1>"),
            ("docs/404.html", "<h1>no such doc</h1>"),
            ("docs/intro.html", "<h1>intro</h1>"),
            ("app.3f9a1c2b.js", JS),
            ("app.3f9a1c2b.js.br", "BROTLI"),
            ("app.3f9a1c2b.js.gz", "GZIP"),
            ("style.css", "body{}"),
            ("style.css.gz", "GZ-CSS"),
            ("orphan.txt.gz", "ORPHAN"),
            ("data.bin", "0123456789"),
            ("empty.txt", ""),
        ],
        config,
    )
    .unwrap()
}

fn default_app() -> Assets {
    app(AssetConfig::default())
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
    }
    map
}

fn get(assets: &Assets, path: &str, pairs: &[(&str, &str)]) -> Option<Response<Bytes>> {
    assets.respond(&Method::GET, path, &headers(pairs))
}

fn header<'a>(response: &'a Response<Bytes>, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

fn etag_of(assets: &Assets, path: &str, pairs: &[(&str, &str)]) -> String {
    header(&get(assets, path, pairs).unwrap(), "etag").unwrap().to_owned()
}

#[test]
fn a_file_is_served_with_type_etag_cache_and_safety_headers() {
    let assets = default_app();
    let page = get(&assets, "/", &[]).unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.body().as_ref(), b"<h1>home</h1>");
    assert_eq!(header(&page, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(&page, "content-length"), Some("13"));
    assert_eq!(
        header(&page, "cache-control"),
        Some("public, max-age=0, must-revalidate")
    );
    assert_eq!(header(&page, "accept-ranges"), Some("bytes"));
    assert_eq!(header(&page, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&page, "vary"), None, "no variants, nothing varies");
    let etag = header(&page, "etag").unwrap();
    assert!(
        etag.len() == 34 && etag.starts_with('"') && etag.ends_with('"'),
        "{etag}"
    );
    assert!(!etag.starts_with("W/"));

    let script = get(&assets, "/app.3f9a1c2b.js", &[]).unwrap();
    assert_eq!(script.body().as_ref(), JS.as_bytes());
    assert_eq!(header(&script, "content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(
        header(&script, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header(&script, "vary"), Some("accept-encoding"));
    assert_eq!(header(&script, "content-encoding"), None);

    let empty = get(&assets, "/empty.txt", &[]).unwrap();
    assert_eq!(
        (empty.status(), header(&empty, "content-length")),
        (StatusCode::OK, Some("0"))
    );
}

#[test]
fn etags_follow_content() {
    let one = Assets::from_files(
        [("a.txt", "same"), ("b.txt", "same"), ("c.txt", "other")],
        AssetConfig::default(),
    )
    .unwrap();
    let a = etag_of(&one, "/a.txt", &[]);
    assert_eq!(a, etag_of(&one, "/b.txt", &[]));
    assert_ne!(a, etag_of(&one, "/c.txt", &[]));
    let again = Assets::from_files([("a.txt", "same")], AssetConfig::default()).unwrap();
    assert_eq!(a, etag_of(&again, "/a.txt", &[]), "stable across loads");
}

#[test]
fn only_get_and_head_are_answered_and_head_has_no_body() {
    let assets = default_app();
    for method in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        assert!(assets.respond(&method, "/", &HeaderMap::new()).is_none(), "{method}");
    }
    let get = assets.respond(&Method::GET, "/style.css", &HeaderMap::new()).unwrap();
    let head = assets.respond(&Method::HEAD, "/style.css", &HeaderMap::new()).unwrap();
    assert_eq!(head.status(), get.status());
    assert_eq!(head.headers(), get.headers());
    assert_eq!(header(&head, "content-length"), Some("6"));
    assert!(head.body().is_empty());
    // HEAD ignores Range (RFC 9110 defines ranges for GET only).
    let ranged = assets
        .respond(&Method::HEAD, "/data.bin", &headers(&[("range", "bytes=0-1")]))
        .unwrap();
    assert_eq!(
        (ranged.status(), header(&ranged, "content-length")),
        (StatusCode::OK, Some("10"))
    );
}

#[test]
fn paths_are_decoded_normalised_and_cannot_leave_the_root() {
    let assets = default_app();
    for path in [
        "/style.css",
        "/./style.css",
        "//style.css",
        "/x/../style.css",
        "/%73tyle.css",
        "/style.css?v=3",
    ] {
        let response = get(&assets, path, &[]).unwrap_or_else(|| panic!("{path}"));
        assert_eq!(response.body().as_ref(), b"body{}", "{path}");
    }
    for path in [
        "/../../etc/passwd",
        "/..%2f..%2fetc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/style.css%00",
        "/style.css\\",
        "/%5cstyle.css",
        "/%",
        "/%ff",
    ] {
        assert!(get(&assets, path, &[]).is_none(), "{path}");
    }
    // Traversal lands inside the root: `/../style.css` is `/style.css`.
    assert!(get(&assets, "/../style.css", &[]).is_some());
}

#[test]
fn if_none_match_gives_304_with_validators_and_no_body() {
    let assets = default_app();
    let etag = etag_of(&assets, "/style.css", &[]);
    for value in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"nope\", {etag}"),
        "*".to_owned(),
    ] {
        let response = get(&assets, "/style.css", &[("if-none-match", &value)]).unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{value}");
        assert!(response.body().is_empty());
        assert_eq!(header(&response, "etag"), Some(etag.as_str()));
        assert_eq!(
            header(&response, "cache-control"),
            Some("public, max-age=0, must-revalidate")
        );
        assert_eq!(header(&response, "vary"), Some("accept-encoding"));
        assert_eq!(header(&response, "content-type"), None);
        assert_eq!(header(&response, "content-length"), None);
    }
    let changed = get(&assets, "/style.css", &[("if-none-match", "\"old\"")]).unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let head = assets
        .respond(&Method::HEAD, "/style.css", &headers(&[("if-none-match", &etag)]))
        .unwrap();
    assert_eq!(head.status(), StatusCode::NOT_MODIFIED);
    // If-None-Match wins over Range.
    let both = get(
        &assets,
        "/style.css",
        &[("if-none-match", &etag), ("range", "bytes=0-1")],
    )
    .unwrap();
    assert_eq!(both.status(), StatusCode::NOT_MODIFIED);
}

#[test]
fn if_match_compares_strongly() {
    let assets = default_app();
    let etag = etag_of(&assets, "/data.bin", &[]);
    for (value, status) in [
        (etag.clone(), StatusCode::OK),
        ("*".to_owned(), StatusCode::OK),
        (format!("W/{etag}"), StatusCode::PRECONDITION_FAILED),
        ("\"other\"".to_owned(), StatusCode::PRECONDITION_FAILED),
    ] {
        let response = get(&assets, "/data.bin", &[("if-match", &value)]).unwrap();
        assert_eq!(response.status(), status, "{value}");
    }
}

#[test]
fn single_ranges_give_206_and_bad_ones_416_or_the_whole_file() {
    let assets = default_app();
    for (range, content_range, body) in [
        ("bytes=2-4", "bytes 2-4/10", "234"),
        ("bytes=7-", "bytes 7-9/10", "789"),
        ("bytes=-3", "bytes 7-9/10", "789"),
        ("bytes=8-100", "bytes 8-9/10", "89"),
    ] {
        let response = get(&assets, "/data.bin", &[("range", range)]).unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(header(&response, "content-range"), Some(content_range));
        assert_eq!(
            header(&response, "content-length"),
            Some(body.len().to_string().as_str())
        );
        assert_eq!(header(&response, "accept-ranges"), Some("bytes"));
        assert_eq!(response.body().as_ref(), body.as_bytes());
    }
    for range in ["bytes=10-", "bytes=10-20", "bytes=-0"] {
        let response = get(&assets, "/data.bin", &[("range", range)]).unwrap();
        assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(header(&response, "content-range"), Some("bytes */10"));
        assert!(response.body().is_empty());
    }
    let empty = get(&assets, "/empty.txt", &[("range", "bytes=0-")]).unwrap();
    assert_eq!(empty.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&empty, "content-range"), Some("bytes */0"));
    for range in ["bytes=0-1,4-5", "bytes=5-2", "pages=1-2", "bytes=x"] {
        let response = get(&assets, "/data.bin", &[("range", range)]).unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{range}");
        assert_eq!(response.body().as_ref(), b"0123456789");
    }
}

#[test]
fn if_range_with_the_etag_keeps_the_range_else_the_whole_file() {
    let assets = default_app();
    let etag = etag_of(&assets, "/data.bin", &[]);
    let kept = get(&assets, "/data.bin", &[("range", "bytes=0-0"), ("if-range", &etag)]).unwrap();
    assert_eq!(kept.status(), StatusCode::PARTIAL_CONTENT);
    for stale in ["\"old\"", &format!("W/{etag}"), "Sat, 01 Jan 2000 00:00:00 GMT"] {
        let whole = get(&assets, "/data.bin", &[("range", "bytes=0-0"), ("if-range", stale)]).unwrap();
        assert_eq!(whole.status(), StatusCode::OK, "{stale}");
        assert_eq!(whole.body().len(), 10);
    }
}

#[test]
fn precompressed_variants_are_chosen_by_accept_encoding() {
    let assets = default_app();
    let path = "/app.3f9a1c2b.js";
    for (accept, encoding, body) in [
        ("br, gzip", Some("br"), "BROTLI"),
        ("gzip, br", Some("br"), "BROTLI"),
        ("gzip", Some("gzip"), "GZIP"),
        ("br;q=0.5, gzip", Some("gzip"), "GZIP"),
        ("deflate", None, JS),
        ("identity;q=0, gzip", Some("gzip"), "GZIP"),
        ("*", Some("br"), "BROTLI"),
    ] {
        let response = get(&assets, path, &[("accept-encoding", accept)]).unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{accept}");
        assert_eq!(header(&response, "content-encoding"), encoding, "{accept}");
        assert_eq!(response.body().as_ref(), body.as_bytes(), "{accept}");
        assert_eq!(
            header(&response, "content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(header(&response, "vary"), Some("accept-encoding"));
        assert_eq!(
            header(&response, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
    }
    // Each variant has its own ETag, and a 304 is per variant.
    let identity = etag_of(&assets, path, &[]);
    let br = etag_of(&assets, path, &[("accept-encoding", "br")]);
    let gzip = etag_of(&assets, path, &[("accept-encoding", "gzip")]);
    assert!(identity != br && br != gzip && gzip != identity);
    let cached = get(&assets, path, &[("accept-encoding", "br"), ("if-none-match", &br)]).unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    let other = get(&assets, path, &[("accept-encoding", "gzip"), ("if-none-match", &br)]).unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    // Nothing acceptable: 406.
    let refused = get(&assets, "/style.css", &[("accept-encoding", "identity;q=0, br")]).unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE);
    assert_eq!(header(&refused, "vary"), Some("accept-encoding"));
    // A file with no variants ignores Accept-Encoding.
    let plain = get(&assets, "/data.bin", &[("accept-encoding", "identity;q=0")]).unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
}

#[test]
fn ranges_come_from_the_identity_file() {
    let assets = default_app();
    let response = get(
        &assets,
        "/app.3f9a1c2b.js",
        &[("accept-encoding", "br, gzip"), ("range", "bytes=0-6")],
    )
    .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&response, "content-encoding"), None);
    assert_eq!(response.body().as_ref(), b"console");
    assert_eq!(
        header(&response, "etag").unwrap(),
        etag_of(&assets, "/app.3f9a1c2b.js", &[])
    );
}

#[test]
fn variants_are_not_assets_by_their_own_names_unless_the_original_is_missing() {
    let assets = default_app();
    for path in ["/app.3f9a1c2b.js.br", "/app.3f9a1c2b.js.gz", "/style.css.gz"] {
        assert!(get(&assets, path, &[]).is_none(), "{path}");
    }
    let orphan = get(&assets, "/orphan.txt.gz", &[("accept-encoding", "gzip")]).unwrap();
    assert_eq!(orphan.body().as_ref(), b"ORPHAN");
    assert_eq!(header(&orphan, "content-type"), Some("application/gzip"));
    assert_eq!(header(&orphan, "content-encoding"), None);
    assert_eq!(assets.len(), 10);
}

#[test]
fn html_pages_redirect_to_their_canonical_url_with_the_query() {
    let assets = default_app();
    for (path, location) in [
        ("/about", "/about/"),
        ("/about/index.html", "/about/"),
        ("/about.html", "/about/"),
        ("/index.html", "/"),
        ("/docs/intro.html", "/docs/intro"),
        ("/docs/intro/", "/docs/intro"),
        ("/about/index.html?tab=2", "/about/?tab=2"),
    ] {
        let response = get(&assets, path, &[]).unwrap_or_else(|| panic!("{path}"));
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{path}");
        assert_eq!(header(&response, "location"), Some(location), "{path}");
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
        assert!(response.body().is_empty());
    }
    assert_eq!(get(&assets, "/about/", &[]).unwrap().body().as_ref(), b"<h1>about</h1>");
    assert_eq!(
        get(&assets, "/docs/intro", &[]).unwrap().body().as_ref(),
        b"<h1>intro</h1>"
    );
    // A location is encoded.
    let odd = Assets::from_files([("a b/index.html", "x")], AssetConfig::default()).unwrap();
    let moved = get(&odd, "/a%20b", &[]).unwrap();
    assert_eq!(header(&moved, "location"), Some("/a%20b/"));
}

#[test]
fn html_handling_modes_are_configurable() {
    let with = |html_handling| {
        app(AssetConfig {
            html_handling,
            ..AssetConfig::default()
        })
    };
    let status = |assets: &Assets, path: &str| get(assets, path, &[]).map(|r| r.status().as_u16());
    let force = with(HtmlHandling::ForceTrailingSlash);
    assert_eq!(status(&force, "/docs/intro/"), Some(200));
    assert_eq!(
        header(&get(&force, "/docs/intro", &[]).unwrap(), "location"),
        Some("/docs/intro/")
    );
    let drop = with(HtmlHandling::DropTrailingSlash);
    assert_eq!(status(&drop, "/about"), Some(200));
    assert_eq!(header(&get(&drop, "/about/", &[]).unwrap(), "location"), Some("/about"));
    let none = with(HtmlHandling::None);
    assert_eq!(status(&none, "/about"), None);
    assert_eq!(status(&none, "/about/"), None);
    assert_eq!(status(&none, "/"), None);
    assert_eq!(status(&none, "/about/index.html"), Some(200));
    assert_eq!(status(&none, "/style.css"), Some(200));
}

#[test]
fn not_found_none_leaves_the_request_to_the_worker() {
    let assets = default_app();
    assert!(get(&assets, "/api/items", &[("sec-fetch-mode", "navigate")]).is_none());
    assert!(get(&assets, "/missing.js", &[]).is_none());
}

#[test]
fn not_found_404_page_serves_the_nearest_404_html() {
    let assets = app(AssetConfig {
        not_found_handling: NotFoundHandling::NotFoundPage,
        ..AssetConfig::default()
    });
    for (path, body) in [
        ("/missing", "<h1>not here</h1>"),
        ("/a/b/c", "<h1>not here</h1>"),
        ("/docs/missing", "<h1>no such doc</h1>"),
        ("/docs/deep/er/missing.png", "<h1>no such doc</h1>"),
        ("/docs/deep/", "<h1>no such doc</h1>"),
    ] {
        let response = get(&assets, path, &[]).unwrap_or_else(|| panic!("{path}"));
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.body().as_ref(), body.as_bytes(), "{path}");
        assert_eq!(header(&response, "content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
    }
    let head = assets.respond(&Method::HEAD, "/missing", &HeaderMap::new()).unwrap();
    assert_eq!((head.status(), head.body().is_empty()), (StatusCode::NOT_FOUND, true));
    assert!(assets.respond(&Method::POST, "/missing", &HeaderMap::new()).is_none());
    // Without any 404.html: as none.
    let bare = Assets::from_files(
        [("index.html", "x")],
        AssetConfig {
            not_found_handling: NotFoundHandling::NotFoundPage,
            ..AssetConfig::default()
        },
    )
    .unwrap();
    assert!(get(&bare, "/missing", &[]).is_none());
}

#[test]
fn single_page_application_serves_index_to_navigations_only() {
    let assets = app(AssetConfig {
        not_found_handling: NotFoundHandling::SinglePageApplication,
        ..AssetConfig::default()
    });
    for pairs in [
        vec![("sec-fetch-mode", "navigate")],
        vec![("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    ] {
        let response = get(&assets, "/app/settings/profile", &pairs).unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{pairs:?}");
        assert_eq!(response.body().as_ref(), b"<h1>home</h1>");
        assert_eq!(header(&response, "content-type"), Some("text/html; charset=utf-8"));
        assert!(header(&response, "etag").is_some());
    }
    for pairs in [
        vec![],
        vec![("accept", "application/json")],
        vec![("accept", "*/*")],
        vec![("sec-fetch-mode", "cors"), ("accept", "text/html")],
    ] {
        assert!(get(&assets, "/api/items", &pairs).is_none(), "{pairs:?}");
    }
    // Existing files and redirects come first.
    let script = get(&assets, "/app.3f9a1c2b.js", &[("sec-fetch-mode", "navigate")]).unwrap();
    assert_eq!(script.body().as_ref(), JS.as_bytes());
    assert_eq!(
        get(&assets, "/about", &[("sec-fetch-mode", "navigate")])
            .unwrap()
            .status(),
        StatusCode::TEMPORARY_REDIRECT
    );
}

#[test]
fn from_files_refuses_paths_that_are_not_plain() {
    for path in ["", "/", "a//b", "./a", "a/../b", "..", "a\\b", "a\0b", "a/"] {
        let error = Assets::from_files([(path, "x")], AssetConfig::default()).unwrap_err();
        assert!(matches!(error, AssetError::InvalidPath { .. }), "{path:?}: {error}");
    }
    let twice = Assets::from_files([("a", "x"), ("/a", "y")], AssetConfig::default()).unwrap_err();
    assert!(twice.to_string().contains("given twice"), "{twice}");
}

#[test]
fn caps_on_files_and_bytes_are_errors() {
    let small = AssetConfig {
        max_files: 2,
        max_total_bytes: 10,
        ..AssetConfig::default()
    };
    let many = Assets::from_files([("a", ""), ("b", ""), ("c", "")], small.clone()).unwrap_err();
    assert!(many.to_string().contains("more than 2 asset files"), "{many}");
    let big = Assets::from_files([("a", "123456"), ("b", "123456")], small).unwrap_err();
    assert!(big.to_string().contains("over 10 bytes"), "{big}");
}

mod from_dir {
    use super::*;

    fn write(dir: &std::path::Path, path: &str, body: &str) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }

    #[test]
    fn files_are_read_and_dotfiles_skipped() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "index.html", "home");
        write(dir.path(), "about/index.html", "about");
        write(dir.path(), "assets/app.3f9a1c2b.js", "js");
        write(dir.path(), "assets/app.3f9a1c2b.js.br", "br");
        write(dir.path(), ".env", "SECRET");
        write(dir.path(), ".git/config", "SECRET");
        write(dir.path(), "about/.hidden.html", "SECRET");
        write(dir.path(), ".well-known/security.txt", "contact");
        let assets = Assets::from_dir(dir.path(), AssetConfig::default()).unwrap();
        assert_eq!(assets.len(), 4);
        assert_eq!(assets.total_bytes(), 4 + 5 + 2 + 2 + 7);
        for (path, body) in [
            ("/", "home"),
            ("/about/", "about"),
            ("/assets/app.3f9a1c2b.js", "js"),
            ("/.well-known/security.txt", "contact"),
        ] {
            assert_eq!(
                get(&assets, path, &[]).unwrap().body().as_ref(),
                body.as_bytes(),
                "{path}"
            );
        }
        for path in ["/.env", "/.git/config", "/about/.hidden.html", "/about/.hidden"] {
            assert!(get(&assets, path, &[]).is_none(), "{path}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_are_followed_and_links_that_leave_are_skipped() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret.txt", "SECRET");
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "real/file.txt", "inside");
        write(dir.path(), ".private/key.txt", "SECRET");
        symlink(dir.path().join("real/file.txt"), dir.path().join("alias.txt")).unwrap();
        symlink(dir.path().join("real"), dir.path().join("mirror")).unwrap();
        symlink(outside.path().join("secret.txt"), dir.path().join("leak.txt")).unwrap();
        symlink(outside.path(), dir.path().join("leakdir")).unwrap();
        symlink("../../etc/passwd", dir.path().join("passwd")).unwrap();
        symlink(dir.path().join(".private/key.txt"), dir.path().join("key.txt")).unwrap();
        symlink(dir.path().join("missing"), dir.path().join("dangling")).unwrap();
        symlink(dir.path(), dir.path().join("real/loop")).unwrap();
        let assets = Assets::from_dir(dir.path(), AssetConfig::default()).unwrap();
        for path in ["/real/file.txt", "/alias.txt", "/mirror/file.txt"] {
            assert_eq!(get(&assets, path, &[]).unwrap().body().as_ref(), b"inside", "{path}");
        }
        for path in ["/leak.txt", "/leakdir/secret.txt", "/passwd", "/key.txt", "/dangling"] {
            assert!(get(&assets, path, &[]).is_none(), "{path}");
        }
        assert_eq!(assets.len(), 3, "the loop back to the root is not walked");
    }

    #[test]
    fn caps_name_the_file_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            write(dir.path(), &format!("f{i}.txt"), "0123456789");
        }
        let error = Assets::from_dir(
            dir.path(),
            AssetConfig {
                max_files: 3,
                ..AssetConfig::default()
            },
        )
        .unwrap_err();
        assert!(matches!(error, AssetError::TooManyFiles { limit: 3, .. }), "{error}");
        assert!(error.to_string().contains("f3.txt") && error.to_string().contains("raise max_files"));
        let error = Assets::from_dir(
            dir.path(),
            AssetConfig {
                max_total_bytes: 25,
                ..AssetConfig::default()
            },
        )
        .unwrap_err();
        assert!(matches!(error, AssetError::TooLarge { limit: 25, .. }), "{error}");
        assert!(error.to_string().contains("f2.txt"), "{error}");
        assert!(Assets::from_dir(dir.path(), AssetConfig::default()).is_ok());
    }

    #[test]
    fn a_missing_directory_or_a_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Assets::from_dir(dir.path().join("nope"), AssetConfig::default()).unwrap_err();
        assert!(matches!(missing, AssetError::Io { .. }), "{missing}");
        write(dir.path(), "file", "x");
        let file = Assets::from_dir(dir.path().join("file"), AssetConfig::default()).unwrap_err();
        assert!(matches!(file, AssetError::NotADirectory { .. }), "{file}");
        assert!(file.to_string().contains("is not a directory"));
    }
}
