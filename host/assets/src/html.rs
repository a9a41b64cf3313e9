//! `html_handling`: which file a request path names, and which requests
//! redirect to a page's canonical URL. The rules are in the crate docs.

use super::config::HtmlHandling;
use super::path::RequestPath;

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// The file with this key.
    Serve(String),
    /// A 307 to this path (not encoded yet).
    Redirect(String),
    /// No file: not-found handling.
    NotFound,
}

/// The route of `request` among the files `exists` knows, under `mode`.
pub(crate) fn route(request: &RequestPath, mode: HtmlHandling, exists: impl Fn(&str) -> bool) -> Route {
    let key = request.key();
    let exact = !request.trailing_slash && !key.is_empty() && exists(&key);
    if mode == HtmlHandling::None {
        return if exact { Route::Serve(key) } else { Route::NotFound };
    }
    if exact && !key.ends_with(".html") {
        return Route::Serve(key);
    }
    // Every file the path may name, most likely first: one whose canonical
    // URL is the path is served; else the first redirects to its own.
    let candidates: Vec<String> = interpretations(request)
        .into_iter()
        .flat_map(|(name, prefer_folder)| candidates(&name, prefer_folder))
        .filter(|file| exists(file))
        .collect();
    let normalised = request.normalised();
    if let Some(file) = candidates.iter().find(|file| canonical(file, mode) == normalised) {
        return Route::Serve(file.clone());
    }
    match candidates.first() {
        Some(file) => Route::Redirect(canonical(file, mode)),
        None => Route::NotFound,
    }
}

/// The pages a path may name, most likely first: a page name (the path
/// without `.html`, `/index` or `/index.html`) and whether the path
/// prefers its folder's `index.html` to the `NAME.html` file.
fn interpretations(request: &RequestPath) -> Vec<(String, bool)> {
    let key = request.key();
    if request.trailing_slash {
        return vec![(key, true)];
    }
    let folder_of = |suffix: &str| -> Option<String> {
        if key == suffix {
            Some(String::new())
        } else {
            key.strip_suffix(suffix)
                .and_then(|k| k.strip_suffix('/'))
                .map(str::to_owned)
        }
    };
    if let Some(folder) = folder_of("index.html") {
        let file = key.trim_end_matches(".html").to_owned();
        vec![(folder, true), (file, false), (key, false)]
    } else if let Some(file) = key.strip_suffix(".html") {
        vec![(file.to_owned(), false), (key, false)]
    } else if let Some(folder) = folder_of("index") {
        vec![(folder, true), (key, false)]
    } else {
        vec![(key, false)]
    }
}

/// The files of page `name`: `NAME.html` and `NAME/index.html` (only
/// `index.html` for the root), in the order asked for.
fn candidates(name: &str, prefer_folder: bool) -> Vec<String> {
    if name.is_empty() {
        return vec!["index.html".to_owned()];
    }
    let folder = format!("{name}/index.html");
    let file = format!("{name}.html");
    if prefer_folder {
        vec![folder, file]
    } else {
        vec![file, folder]
    }
}

/// The canonical URL path of an HTML file under `mode`.
fn canonical(file: &str, mode: HtmlHandling) -> String {
    if file == "index.html" {
        return "/".to_owned();
    }
    let slash = if let Some(folder) = file.strip_suffix("/index.html") {
        (folder, mode != HtmlHandling::DropTrailingSlash)
    } else {
        (
            file.strip_suffix(".html").unwrap_or(file),
            mode == HtmlHandling::ForceTrailingSlash,
        )
    };
    match slash {
        (name, true) => format!("/{name}/"),
        (name, false) => format!("/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::parse;

    const FILES: [&str; 6] = [
        "index.html",
        "file.html",
        "folder/index.html",
        "style.css",
        "docs/guide.html",
        "blob",
    ];

    fn go(mode: HtmlHandling, files: &[&str], path: &str) -> Route {
        route(&parse(path).unwrap(), mode, |key| files.contains(&key))
    }

    fn check(mode: HtmlHandling, table: &[(&str, &str)]) {
        for (path, expected) in table {
            let got = match go(mode, &FILES, path) {
                Route::Serve(file) => format!("200 {file}"),
                Route::Redirect(to) => format!("307 {to}"),
                Route::NotFound => "404".to_owned(),
            };
            assert_eq!(&got, expected, "{mode} {path}");
        }
    }

    /// Cloudflare's table for auto-trailing-slash, with `/folder.html` and
    /// `/folder/index` redirected straight to `/folder/` (the table shows a
    /// first hop to `/folder`, which redirects again).
    #[test]
    fn auto_trailing_slash() {
        check(
            HtmlHandling::AutoTrailingSlash,
            &[
                ("/file", "200 file.html"),
                ("/file.html", "307 /file"),
                ("/file/", "307 /file"),
                ("/file/index", "307 /file"),
                ("/file/index.html", "307 /file"),
                ("/folder", "307 /folder/"),
                ("/folder.html", "307 /folder/"),
                ("/folder/", "200 folder/index.html"),
                ("/folder/index", "307 /folder/"),
                ("/folder/index.html", "307 /folder/"),
                ("/", "200 index.html"),
                ("/index", "307 /"),
                ("/index.html", "307 /"),
                ("/docs/guide", "200 docs/guide.html"),
                ("/docs/guide.html", "307 /docs/guide"),
                ("/docs/", "404"),
                ("/style.css", "200 style.css"),
                ("/style.css/", "404"),
                ("/blob", "200 blob"),
                ("/missing", "404"),
                ("/missing.html", "404"),
            ],
        );
    }

    #[test]
    fn force_trailing_slash() {
        check(
            HtmlHandling::ForceTrailingSlash,
            &[
                ("/file", "307 /file/"),
                ("/file.html", "307 /file/"),
                ("/file/", "200 file.html"),
                ("/file/index", "307 /file/"),
                ("/file/index.html", "307 /file/"),
                ("/folder", "307 /folder/"),
                ("/folder.html", "307 /folder/"),
                ("/folder/", "200 folder/index.html"),
                ("/folder/index", "307 /folder/"),
                ("/folder/index.html", "307 /folder/"),
                ("/", "200 index.html"),
                ("/index.html", "307 /"),
                ("/style.css", "200 style.css"),
            ],
        );
    }

    #[test]
    fn drop_trailing_slash() {
        check(
            HtmlHandling::DropTrailingSlash,
            &[
                ("/file", "200 file.html"),
                ("/file.html", "307 /file"),
                ("/file/", "307 /file"),
                ("/file/index", "307 /file"),
                ("/file/index.html", "307 /file"),
                ("/folder", "200 folder/index.html"),
                ("/folder.html", "307 /folder"),
                ("/folder/", "307 /folder"),
                ("/folder/index", "307 /folder"),
                ("/folder/index.html", "307 /folder"),
                ("/", "200 index.html"),
                ("/index", "307 /"),
                ("/style.css", "200 style.css"),
            ],
        );
    }

    #[test]
    fn none_serves_exact_files_only() {
        check(
            HtmlHandling::None,
            &[
                ("/file", "404"),
                ("/file.html", "200 file.html"),
                ("/file/", "404"),
                ("/folder", "404"),
                ("/folder/", "404"),
                ("/folder/index.html", "200 folder/index.html"),
                ("/", "404"),
                ("/index.html", "200 index.html"),
                ("/style.css", "200 style.css"),
            ],
        );
    }

    #[test]
    fn a_page_and_a_folder_of_one_name_are_both_reachable_in_auto() {
        let files = ["about.html", "about/index.html"];
        let auto = HtmlHandling::AutoTrailingSlash;
        assert_eq!(go(auto, &files, "/about"), Route::Serve("about.html".into()));
        assert_eq!(go(auto, &files, "/about/"), Route::Serve("about/index.html".into()));
        assert_eq!(go(auto, &files, "/about.html"), Route::Redirect("/about".into()));
        assert_eq!(go(auto, &files, "/about/index.html"), Route::Redirect("/about/".into()));
        // A page in a folder named index.
        let nested = ["x/index/index.html"];
        assert_eq!(go(auto, &nested, "/x/index"), Route::Redirect("/x/index/".into()));
        // A page whose name ends in .html.
        let odd = ["weird.html.html"];
        assert_eq!(go(auto, &odd, "/weird.html"), Route::Serve("weird.html.html".into()));
    }

    /// For every layout of some tricky names, each mode and many paths: a
    /// redirect's target is served (one hop, never a chain or a loop), and
    /// every HTML file's canonical URL serves a file.
    #[test]
    fn redirects_end_and_canonical_urls_serve_their_file() {
        let names = [
            "index.html",
            "a.html",
            "a/index.html",
            "a/b.html",
            "a/b/index.html",
            "index/index.html",
            "a.html.html",
            "a",
            "a/index",
        ];
        let paths = [
            "/",
            "/index",
            "/index.html",
            "/a",
            "/a/",
            "/a.html",
            "/a/index",
            "/a/index.html",
            "/a/b",
            "/a/b/",
            "/a/b.html",
            "/a/b/index",
            "/a/b/index.html",
            "/index/",
            "/a.html.html",
            "/a.html/",
        ];
        let modes = [
            HtmlHandling::AutoTrailingSlash,
            HtmlHandling::ForceTrailingSlash,
            HtmlHandling::DropTrailingSlash,
        ];
        for layout in 0u32..(1 << names.len()) {
            let files: Vec<&str> = (0..names.len())
                .filter(|i| layout & (1 << i) != 0)
                .map(|i| names[i])
                .collect();
            for mode in modes {
                for path in paths {
                    let mut at = path.to_owned();
                    let mut hops = 0;
                    while let Route::Redirect(to) = go(mode, &files, &at) {
                        hops += 1;
                        assert!(
                            hops <= 1,
                            "{mode} {files:?} {path}: a chain of redirects ({at} -> {to})"
                        );
                        assert_ne!(to, at, "{mode} {files:?}: {at} redirects to itself");
                        at = to;
                    }
                }
                for file in files.iter().filter(|f| f.ends_with(".html")) {
                    let url = canonical(file, mode);
                    let route = go(mode, &files, &url);
                    // Another file may hold the URL (a.html and a/index.html
                    // under drop or force); never a redirect.
                    assert!(
                        matches!(route, Route::Serve(_)),
                        "{mode} {files:?}: {file}'s canonical {url} gives {route:?}"
                    );
                }
            }
        }
    }
}
