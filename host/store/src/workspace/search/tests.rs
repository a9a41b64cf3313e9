//! Tests of `glob` and `find`.

use super::*;
use crate::Store;

use crate::error::fs_code as code;

async fn workspace() -> Workspace {
    let store = Store::open("memory").await.unwrap();
    let ws = store.workspace("t", "search").unwrap();
    for dir in ["/docs/deep", "/src", "/node_modules/m"] {
        ws.mkdir(dir, true).await.unwrap();
    }
    let files: [(&str, &[u8]); 7] = [
        ("/a.md", b"a"),
        ("/docs/b.md", b"bb"),
        ("/docs/deep/c.md", b"ccc"),
        ("/docs/deep/d.txt", b"dddd"),
        ("/src/x.rs", b"xxxxx"),
        ("/src/y.rs", b""),
        ("/node_modules/m/e.md", b"e"),
    ];
    for (path, content) in files {
        ws.write_file(path, content).await.unwrap();
    }
    ws
}

async fn globbed(ws: &Workspace, patterns: &[&str], options: GlobOptions) -> Vec<String> {
    let patterns = patterns.iter().map(|p| p.to_string()).collect();
    let page = ws.glob(patterns, options).await.unwrap();
    assert_eq!(page.cursor, None);
    page.paths
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glob_patterns() {
    let ws = workspace().await;
    let o = GlobOptions::default;
    let md = ["/a.md", "/docs/b.md", "/docs/deep/c.md", "/node_modules/m/e.md"];
    assert_eq!(globbed(&ws, &["**/*.md"], o()).await, md);
    assert_eq!(globbed(&ws, &["*.md"], o()).await, ["/a.md"], "* stays within a name");
    assert_eq!(
        globbed(&ws, &["{src,docs}/*"], o()).await,
        ["/docs/b.md", "/docs/deep", "/src/x.rs", "/src/y.rs"],
        "directories match too"
    );
    assert_eq!(globbed(&ws, &["src/[x]*.rs", "a.*"], o()).await, ["/a.md", "/src/x.rs"]);
    let ignore = GlobOptions {
        ignore: vec!["node_modules".into(), "**/deep".into()],
        ..o()
    };
    assert_eq!(globbed(&ws, &["**/*.md"], ignore).await, ["/a.md", "/docs/b.md"]);
    let docs = GlobOptions {
        path: Some("/docs".into()),
        ..o()
    };
    assert_eq!(
        globbed(&ws, &["**/*.md"], docs.clone()).await,
        ["/docs/b.md", "/docs/deep/c.md"]
    );
    assert_eq!(
        globbed(&ws, &["/*.md"], docs).await,
        ["/docs/b.md"],
        "patterns are relative"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glob_pages() {
    let ws = workspace().await;
    let all = ["/a.md", "/docs/b.md", "/docs/deep/c.md", "/node_modules/m/e.md"];
    for (limit, max_scan) in [(1, 100_000), (3, 100_000), (1000, 2), (2, 3)] {
        let ws = ws.clone().with_limits(WorkspaceLimits {
            max_scan,
            ..Default::default()
        });
        let mut got = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let o = GlobOptions {
                cursor,
                limit: Some(limit),
                ..Default::default()
            };
            let page = ws.glob(vec!["**/*.md".into()], o).await.unwrap();
            assert!(page.paths.len() <= limit);
            got.extend(page.paths);
            pages += 1;
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(got, all, "limit {limit}, max_scan {max_scan}");
        if max_scan > 100 {
            assert_eq!(pages, all.len().div_ceil(limit), "no empty last page");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glob_errors() {
    let ws = workspace().await;
    let err = |patterns: Vec<&str>, o: GlobOptions| {
        let ws = ws.clone();
        let patterns: Vec<String> = patterns.into_iter().map(str::to_owned).collect();
        async move { ws.glob(patterns, o).await.unwrap_err() }
    };
    assert_eq!(code(err(vec![], GlobOptions::default()).await), FsCode::EINVAL);
    let bad = err(vec!["ok/*", "a[b"], GlobOptions::default()).await;
    assert!(bad.to_string().contains("\"a[b\""), "{bad}");
    assert_eq!(code(bad), FsCode::EINVAL);
    let bad_ignore = GlobOptions {
        ignore: vec!["{".into()],
        ..Default::default()
    };
    assert_eq!(code(err(vec!["*"], bad_ignore).await), FsCode::EINVAL);
    let missing = GlobOptions {
        path: Some("/nope".into()),
        ..Default::default()
    };
    assert_eq!(code(err(vec!["*"], missing).await), FsCode::ENOENT);
    let file = GlobOptions {
        path: Some("/a.md".into()),
        ..Default::default()
    };
    assert_eq!(code(err(vec!["*"], file).await), FsCode::ENOTDIR);
    let foreign = GlobOptions {
        path: Some("/docs".into()),
        cursor: Some("/src/x.rs".into()),
        ..Default::default()
    };
    assert_eq!(code(err(vec!["*"], foreign).await), FsCode::EINVAL);
    assert!(serde_json::from_value::<GlobOptions>(serde_json::json!({"ignores": []})).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_filters() {
    let ws = workspace().await;
    let paths = |o: FindOptions, dir: &'static str| {
        let ws = ws.clone();
        async move {
            let page = ws.find(dir, o).await.unwrap();
            assert_eq!(page.cursor, None);
            page.entries.into_iter().map(|s| s.path).collect::<Vec<_>>()
        }
    };
    let o = FindOptions::default;
    let named = FindOptions {
        name: Some("*.md".into()),
        ..o()
    };
    assert_eq!(
        paths(named, "/").await,
        ["/a.md", "/docs/b.md", "/docs/deep/c.md", "/node_modules/m/e.md"]
    );
    let dirs = FindOptions {
        kind: Some(KindFilter::Directory),
        ..o()
    };
    assert_eq!(paths(dirs, "/docs").await, ["/docs/deep"]);
    let files = FindOptions {
        kind: Some(KindFilter::File),
        max_depth: Some(1),
        ..o()
    };
    assert_eq!(paths(files, "/").await, ["/a.md"]);
    let shallow = FindOptions {
        max_depth: Some(1),
        ..o()
    };
    assert_eq!(paths(shallow, "/").await, ["/a.md", "/docs", "/node_modules", "/src"]);
    let sized = FindOptions {
        min_size: Some(2),
        max_size: Some(4),
        ..o()
    };
    assert_eq!(
        paths(sized, "/").await,
        ["/docs/b.md", "/docs/deep/c.md", "/docs/deep/d.txt"]
    );
    let empty = FindOptions {
        max_size: Some(0),
        ..o()
    };
    assert_eq!(
        paths(empty, "/").await,
        ["/src/y.rs"],
        "a directory never matches a size filter"
    );
    let braces = FindOptions {
        name: Some("{x,y}.rs".into()),
        ..o()
    };
    assert_eq!(paths(braces, "/src").await, ["/src/x.rs", "/src/y.rs"]);

    let mut cursor = None;
    let mut got = Vec::new();
    loop {
        let page = ws
            .find(
                "/docs",
                FindOptions {
                    cursor,
                    limit: Some(2),
                    ..o()
                },
            )
            .await
            .unwrap();
        got.extend(page.entries.into_iter().map(|s| s.path));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(got, ["/docs/b.md", "/docs/deep", "/docs/deep/c.md", "/docs/deep/d.txt"]);

    let bad = [
        FindOptions {
            max_depth: Some(0),
            ..o()
        },
        FindOptions {
            min_size: Some(5),
            max_size: Some(1),
            ..o()
        },
        FindOptions {
            name: Some("[".into()),
            ..o()
        },
    ];
    for options in bad {
        assert_eq!(code(ws.find("/", options).await.unwrap_err()), FsCode::EINVAL);
    }
    assert_eq!(code(ws.find("/nope", o()).await.unwrap_err()), FsCode::ENOENT);
    assert!(serde_json::from_value::<FindOptions>(serde_json::json!({"kind": "symlink"})).is_err());
    assert!(serde_json::from_value::<FindOptions>(serde_json::json!({"maxdepth": 1})).is_err());
}
