use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use super::MAX_JOURNAL_BYTES;
use super::journal::Journal;
use crate::workspace::{
    DirAccess, EditOptions, FsCode, GlobOptions, GrepOptions, Kind, Op, TextEdit, Workspace, WorkspaceLimits,
    WriteOptions, parse_options, sha256_hex,
};

use crate::error::fs_code as code;

/// A temporary directory holding `root` (the workspace) and `outside` (a
/// sibling the workspace must never reach).
struct Setup {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    fs::create_dir(&root).unwrap();
    fs::create_dir(&outside).unwrap();
    Setup {
        _tmp: tmp,
        root,
        outside,
    }
}

fn open(root: &Path) -> Workspace {
    Workspace::directory(root, DirAccess::ReadWrite, WorkspaceLimits::default()).unwrap()
}

/// The names in a host directory, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Every path below a host directory (not following symlinks), sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening() {
    let s = setup();
    let missing = Workspace::directory(&s.root.join("nope"), DirAccess::ReadWrite, WorkspaceLimits::default());
    assert_eq!(code(missing.unwrap_err()), FsCode::ENOENT);
    fs::write(s.root.join("file"), b"x").unwrap();
    let file = Workspace::directory(&s.root.join("file"), DirAccess::ReadWrite, WorkspaceLimits::default());
    assert_eq!(code(file.unwrap_err()), FsCode::EINVAL);
    let ws = open(&s.root);
    assert_eq!(ws.id(), "root");
    assert_eq!(ws.directory_root().map(|r| r.access()), Some(DirAccess::ReadWrite));
    let debug = format!("{ws:?}");
    assert!(!debug.contains(&*s.root.to_string_lossy()), "no host path in {debug}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_of_one_directory_take_turns() {
    let s = setup();
    let (a, b) = (open(&s.root), open(&s.root));
    let (ra, rb) = (a.directory_root().unwrap(), b.directory_root().unwrap());
    assert!(Arc::ptr_eq(&ra.lock, &rb.lock), "one lock per directory");
    let appends = |ws: Workspace, byte: u8| {
        tokio::spawn(async move {
            for _ in 0..50 {
                ws.append_file("/log", &[byte]).await.unwrap();
            }
        })
    };
    let (x, y) = (appends(a, b'a'), appends(b, b'b'));
    x.await.unwrap();
    y.await.unwrap();
    let log = fs::read(s.root.join("log")).unwrap();
    assert_eq!(log.len(), 100, "no append lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_basic_api() {
    let s = setup();
    let ws = open(&s.root);
    assert_eq!(ws.version().await.unwrap(), 0);
    assert_eq!(ws.usage().await.unwrap(), (0, 0));

    let stat = ws.write_file("/readme.md", b"hello").await.unwrap();
    assert_eq!((stat.kind, stat.size), (Kind::File, 5));
    assert_eq!(stat.hash.as_deref(), Some(sha256_hex(b"hello").as_str()));
    assert_eq!(fs::read(s.root.join("readme.md")).unwrap(), b"hello");
    assert_eq!(ws.read_file("readme.md").await.unwrap(), b"hello");
    assert_eq!(ws.version().await.unwrap(), 0, "a directory has no version");

    assert_eq!(
        code(ws.write_file("/src/lib.rs", b"x").await.unwrap_err()),
        FsCode::ENOENT
    );
    ws.mkdir("/src/deep/er", true).await.unwrap();
    ws.write_file("/src/deep/er/a.txt", b"a").await.unwrap();
    assert_eq!(code(ws.mkdir("/src", false).await.unwrap_err()), FsCode::EEXIST);
    ws.mkdir("/src", true).await.unwrap();
    assert_eq!(code(ws.mkdir("/readme.md/x", true).await.unwrap_err()), FsCode::ENOTDIR);
    assert_eq!(code(ws.read_file("/src").await.unwrap_err()), FsCode::EISDIR);
    assert_eq!(code(ws.read_file("/").await.unwrap_err()), FsCode::EISDIR);
    assert_eq!(code(ws.write_file("/src", b"x").await.unwrap_err()), FsCode::EISDIR);
    assert_eq!(code(ws.read_file("/nope").await.unwrap_err()), FsCode::ENOENT);
    assert_eq!(code(ws.read_file("/readme.md/x").await.unwrap_err()), FsCode::ENOTDIR);

    let stat = ws.stat("/src/deep/er/a.txt").await.unwrap().unwrap();
    assert_eq!((stat.kind, stat.size), (Kind::File, 1));
    assert_eq!(stat.hash.as_deref(), Some(sha256_hex(b"a").as_str()));
    assert!(stat.mtime > 0);
    assert!(ws.stat("/src").await.unwrap().unwrap().is_dir());
    assert!(ws.stat("/").await.unwrap().unwrap().is_dir());
    assert!(ws.stat("/nope").await.unwrap().is_none());
    assert!(ws.exists("/src/deep").await.unwrap());

    for name in ["b", "a", "c", "é", "B"] {
        ws.write_file(&format!("/list/{name}"), name.as_bytes())
            .await
            .unwrap_err();
    }
    ws.mkdir("/list", false).await.unwrap();
    for name in ["b", "a", "c", "é", "B"] {
        ws.write_file(&format!("/list/{name}"), name.as_bytes()).await.unwrap();
    }
    ws.mkdir("/list/dir", false).await.unwrap();
    let first = ws.readdir("/list", None, Some(2)).await.unwrap();
    let paths: Vec<&str> = first.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/list/B", "/list/a"]);
    assert!(first.entries.iter().all(|e| e.hash.is_none()), "listings carry no hash");
    let second = ws.readdir("/list", first.cursor.as_deref(), Some(2)).await.unwrap();
    let paths: Vec<&str> = second.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/list/b", "/list/c"]);
    let third = ws.readdir("/list", second.cursor.as_deref(), Some(2)).await.unwrap();
    let paths: Vec<&str> = third.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/list/dir", "/list/é"], "byte order");
    assert_eq!(third.cursor, None);
    assert_eq!(third.entries[0].kind, Kind::Directory);
    assert_eq!(
        code(ws.readdir("/readme.md", None, None).await.unwrap_err()),
        FsCode::ENOTDIR
    );
    assert_eq!(code(ws.readdir("/nope", None, None).await.unwrap_err()), FsCode::ENOENT);

    ws.append_file("/readme.md", b" world").await.unwrap();
    assert_eq!(ws.read_text("/readme.md").await.unwrap(), "hello world");
    let excl = WriteOptions {
        exclusive: true,
        parents: false,
    };
    assert_eq!(
        code(ws.write_file_with("/readme.md", b"x", excl).await.unwrap_err()),
        FsCode::EEXIST
    );
    ws.write_file_with("/fresh.txt", b"fresh", excl).await.unwrap();
    let parents = WriteOptions {
        parents: true,
        exclusive: false,
    };
    ws.write_file_with("/p/q/r.txt", b"r", parents).await.unwrap();
    assert_eq!(fs::read(s.root.join("p/q/r.txt")).unwrap(), b"r");

    assert_eq!(ws.cp("/src", "/copy", true).await.unwrap(), 4);
    assert_eq!(ws.read_file("/copy/deep/er/a.txt").await.unwrap(), b"a");
    assert_eq!(code(ws.cp("/src", "/src/in", true).await.unwrap_err()), FsCode::EINVAL);
    assert_eq!(code(ws.cp("/src", "/x", false).await.unwrap_err()), FsCode::EISDIR);
    ws.mv("/copy", "/moved").await.unwrap();
    assert!(!s.root.join("copy").exists() && s.root.join("moved/deep/er/a.txt").exists());
    assert_eq!(code(ws.mv("/moved", "/moved/in").await.unwrap_err()), FsCode::EINVAL);
    assert_eq!(code(ws.mv("/", "/x").await.unwrap_err()), FsCode::EINVAL);
    ws.mv("/fresh.txt", "/readme.md").await.unwrap();
    assert_eq!(ws.read_file("/readme.md").await.unwrap(), b"fresh");

    assert_eq!(code(ws.rm("/moved", false).await.unwrap_err()), FsCode::ENOTEMPTY);
    assert_eq!(ws.rm("/moved", true).await.unwrap(), 4);
    assert_eq!(code(ws.rm("/moved", true).await.unwrap_err()), FsCode::ENOENT);

    let (files, bytes) = ws.usage().await.unwrap();
    // readme.md; src, deep, er, a.txt; list and its 6; p, q, r.txt.
    assert_eq!((files, bytes), (15, 5 + 1 + 6 + 1));
    assert!(
        !tree(&s.root).iter().any(|p| p.contains(".isobox-tmp-")),
        "no temporaries left"
    );

    assert_eq!(code(ws.rm("/", false).await.unwrap_err()), FsCode::ENOTEMPTY);
    assert_eq!(ws.rm("/", true).await.unwrap(), 15);
    assert!(names(&s.root).is_empty() && s.root.is_dir());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn higher_operations() {
    let s = setup();
    let ws = open(&s.root);
    ws.write_file_with(
        "/src/a.rs",
        b"fn alpha() {}\nfn beta() {}\n",
        WriteOptions {
            parents: true,
            exclusive: false,
        },
    )
    .await
    .unwrap();
    ws.write_file("/src/b.rs", b"// beta here\n").await.unwrap();
    ws.write_file("/notes.md", b"nothing\n").await.unwrap();

    let found = ws.grep("beta", GrepOptions::default()).await.unwrap();
    let hits: Vec<(&str, u64)> = found.matches.iter().map(|m| (m.path.as_str(), m.line)).collect();
    assert_eq!(hits, [("/src/a.rs", 2), ("/src/b.rs", 1)]);
    assert_eq!(found.files, 3);

    let glob = ws.glob(vec!["**/*.rs".into()], GlobOptions::default()).await.unwrap();
    assert_eq!(glob.paths, ["/src/a.rs", "/src/b.rs"]);

    let edited = ws
        .edit(
            "/src/a.rs",
            vec![TextEdit {
                old_text: "beta".into(),
                new_text: "gamma".into(),
                replace_all: false,
            }],
            EditOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(edited.replacements, 1);
    assert_eq!(
        fs::read_to_string(s.root.join("src/a.rs")).unwrap(),
        "fn alpha() {}\nfn gamma() {}\n"
    );

    let ops: Vec<Op> = parse_options(json!([
        {"op": "mkdir", "path": "/out", "recursive": true},
        {"op": "writeFile", "path": "/out/c.txt", "content": "c"},
        {"op": "writeJson", "path": "/out/d.json", "value": {"n": 1}},
        {"op": "updateJson", "path": "/out/d.json", "ops": [{"op": "replace", "path": "/n", "value": 2}]},
        {"op": "replaceInFiles", "pattern": "alpha", "replacement": "ALPHA", "path": "/src"},
        {"op": "cp", "from": "/src", "to": "/src2", "recursive": true},
        {"op": "rm", "path": "/notes.md"},
    ]))
    .unwrap();
    let result = ws.batch(ops.clone(), None).await.unwrap();
    assert_eq!(result.version, 0);
    assert_eq!(result.results[3], json!({"n": 2}));
    assert_eq!(ws.read_json("/out/d.json").await.unwrap(), json!({"n": 2}));
    assert_eq!(
        fs::read_to_string(s.root.join("src2/a.rs")).unwrap(),
        "fn ALPHA() {}\nfn gamma() {}\n"
    );
    assert!(!s.root.join("notes.md").exists());

    let err = ws.batch(ops, Some(0)).await.unwrap_err();
    assert_eq!(code(&err), FsCode::EINVAL, "a directory has no version: {err}");
    let err = ws.transaction(false, Some(3), |fs| Ok(fs.version())).await.unwrap_err();
    assert_eq!(code(&err), FsCode::EINVAL);
    // A closure without the trait imported, as callers of other crates
    // write it.
    let (pair, version) = ws
        .transaction(false, None, |fs| Ok((fs.version(), fs.usage())))
        .await
        .unwrap();
    assert_eq!((pair.0, version), (0, 0));
    assert!(pair.1.0 > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlinks_inside_are_followed_for_content_only() {
    let s = setup();
    let ws = open(&s.root);
    ws.write_file("/target.txt", b"inside").await.unwrap();
    ws.mkdir("/real", false).await.unwrap();
    ws.write_file("/real/f.txt", b"f").await.unwrap();
    std::os::unix::fs::symlink("target.txt", s.root.join("link.txt")).unwrap();
    std::os::unix::fs::symlink("real", s.root.join("linkdir")).unwrap();

    assert_eq!(ws.read_file("/link.txt").await.unwrap(), b"inside");
    assert_eq!(ws.read_file("/linkdir/f.txt").await.unwrap(), b"f");
    let stat = ws.stat("/link.txt").await.unwrap().unwrap();
    assert_eq!((stat.kind, stat.path.as_str()), (Kind::File, "/link.txt"));
    ws.write_file("/link.txt", b"through").await.unwrap();
    assert_eq!(fs::read(s.root.join("target.txt")).unwrap(), b"through");
    assert!(
        fs::symlink_metadata(s.root.join("link.txt")).unwrap().is_symlink(),
        "the link stays"
    );
    ws.write_file("/linkdir/g.txt", b"g").await.unwrap();
    assert_eq!(fs::read(s.root.join("real/g.txt")).unwrap(), b"g");

    let page = ws.readdir("/", None, None).await.unwrap();
    let kinds: Vec<(&str, Kind)> = page.entries.iter().map(|e| (e.path.as_str(), e.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("/link.txt", Kind::Symlink),
            ("/linkdir", Kind::Symlink),
            ("/real", Kind::Directory),
            ("/target.txt", Kind::File)
        ]
    );
    assert_eq!(serde_json::to_value(Kind::Symlink).unwrap(), json!("symlink"));
    let glob = ws.glob(vec!["**".into()], GlobOptions::default()).await.unwrap();
    assert_eq!(
        glob.paths,
        ["/real", "/real/f.txt", "/real/g.txt", "/target.txt"],
        "walks skip links"
    );

    // Moving and removing act on the link itself.
    ws.mv("/link.txt", "/link2.txt").await.unwrap();
    assert!(fs::symlink_metadata(s.root.join("link2.txt")).unwrap().is_symlink());
    assert_eq!(ws.rm("/linkdir", false).await.unwrap(), 1);
    assert!(s.root.join("real/f.txt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_leaves_the_root() {
    let s = setup();
    fs::write(s.outside.join("secret.txt"), b"secret").unwrap();
    let ws = open(&s.root);
    ws.write_file("/a.txt", b"a").await.unwrap();
    std::os::unix::fs::symlink("/etc", s.root.join("etc")).unwrap();
    std::os::unix::fs::symlink("../outside", s.root.join("out")).unwrap();
    std::os::unix::fs::symlink(s.outside.join("secret.txt"), s.root.join("secret-abs")).unwrap();
    std::os::unix::fs::symlink("../outside/secret.txt", s.root.join("secret-rel")).unwrap();

    assert_eq!(code(ws.read_file("../x").await.unwrap_err()), FsCode::EINVAL);
    assert_eq!(code(ws.write_file("/../../x", b"x").await.unwrap_err()), FsCode::EINVAL);

    for (path, what) in [
        ("/etc/passwd", "an absolute directory link"),
        ("/out/secret.txt", "a relative directory link"),
        ("/secret-abs", "an absolute file link"),
        ("/secret-rel", "a relative file link"),
    ] {
        let err = ws.read_file(path).await.unwrap_err();
        assert_eq!(code(&err), FsCode::EACCES, "{what}: {err}");
        assert!(err.to_string().contains("outside"), "{err}");
        assert!(
            !err.to_string().contains(&*s.outside.to_string_lossy()),
            "no host path: {err}"
        );
        let err = ws.write_file(path, b"pwned").await.unwrap_err();
        assert_eq!(code(&err), FsCode::EACCES, "{what}: {err}");
        assert_eq!(
            code(ws.append_file(path, b"!").await.unwrap_err()),
            FsCode::EACCES,
            "{what}"
        );
        assert_eq!(code(ws.hash(path).await.unwrap_err()), FsCode::EACCES, "{what}");
    }
    for dir in ["/etc", "/out"] {
        assert_eq!(
            code(ws.readdir(dir, None, None).await.unwrap_err()),
            FsCode::EACCES,
            "{dir}"
        );
        let new = format!("{dir}/new.txt");
        assert_eq!(
            code(ws.write_file(&new, b"x").await.unwrap_err()),
            FsCode::EACCES,
            "{dir}"
        );
        assert_eq!(
            code(ws.mkdir(&format!("{dir}/d"), false).await.unwrap_err()),
            FsCode::EACCES
        );
        assert_eq!(code(ws.cp("/a.txt", &new, false).await.unwrap_err()), FsCode::EACCES);
        assert_eq!(code(ws.mv("/a.txt", &new).await.unwrap_err()), FsCode::EACCES);
        assert_eq!(code(ws.cp(dir, "/copied", true).await.unwrap_err()), FsCode::EACCES);
    }
    assert_eq!(code(ws.rm("/out/secret.txt", false).await.unwrap_err()), FsCode::EACCES);
    let writes = WriteOptions {
        parents: true,
        exclusive: false,
    };
    let err = ws.write_file_with("/out/deep/x.txt", b"x", writes).await.unwrap_err();
    assert_eq!(code(&err), FsCode::EACCES);
    let stat = ws.stat("/secret-rel").await.unwrap().unwrap();
    assert_eq!(stat.kind, Kind::Symlink, "a link that leaves is shown as itself");

    // Whole-tree operations do not follow links.
    let found = ws.grep("secret|root", GrepOptions::default()).await.unwrap();
    assert!(found.matches.is_empty(), "{found:?}");
    assert_eq!(found.files, 1);
    let glob = ws.glob(vec!["**".into()], GlobOptions::default()).await.unwrap();
    assert_eq!(glob.paths, ["/a.txt"]);
    let grep_link = GrepOptions {
        path: Some("/out".into()),
        ..Default::default()
    };
    assert_eq!(code(ws.grep("secret", grep_link).await.unwrap_err()), FsCode::EACCES);
    ws.archive_create(vec!["/".into()], Default::default()).await.unwrap();

    // Removing a link removes the link, not what it points to.
    ws.rm("/out", true).await.unwrap();
    ws.rm("/secret-abs", false).await.unwrap();
    assert_eq!(names(&s.outside), ["secret.txt"]);
    assert_eq!(fs::read(s.outside.join("secret.txt")).unwrap(), b"secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_links_are_refused() {
    let s = setup();
    fs::write(s.outside.join("hard.txt"), b"outside").unwrap();
    fs::hard_link(s.outside.join("hard.txt"), s.root.join("hard.txt")).unwrap();
    let ws = open(&s.root);
    ws.write_file("/plain.txt", b"hard? no").await.unwrap();

    let err = ws.read_file("/hard.txt").await.unwrap_err();
    assert_eq!(code(&err), FsCode::EACCES);
    assert!(err.to_string().contains("hard-linked"), "{err}");
    assert_eq!(
        code(ws.write_file("/hard.txt", b"pwned").await.unwrap_err()),
        FsCode::EACCES
    );
    assert_eq!(
        code(ws.append_file("/hard.txt", b"!").await.unwrap_err()),
        FsCode::EACCES
    );
    let edit = vec![TextEdit {
        old_text: "outside".into(),
        new_text: "pwned".into(),
        replace_all: false,
    }];
    assert_eq!(
        code(ws.edit("/hard.txt", edit, EditOptions::default()).await.unwrap_err()),
        FsCode::EACCES
    );
    assert_eq!(
        code(ws.cp("/hard.txt", "/copy.txt", false).await.unwrap_err()),
        FsCode::EACCES
    );
    assert!(ws.stat("/hard.txt").await.unwrap().unwrap().hash.is_none());
    // Whole-tree operations pass it over.
    let found = ws.grep("outside|hard", GrepOptions::default()).await.unwrap();
    let hits: Vec<&str> = found.matches.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(hits, ["/plain.txt"]);
    let replace = ws
        .replace_in_files("outside", "pwned", Default::default())
        .await
        .unwrap();
    assert_eq!(replace.total, 0);
    assert_eq!(fs::read(s.outside.join("hard.txt")).unwrap(), b"outside");
    assert_eq!(names(&s.outside), ["hard.txt"]);
}

#[test]
fn a_race_between_a_directory_and_a_link_never_escapes() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = setup();
    let ws = open(&s.root);
    let d = s.root.join("d");
    fs::create_dir(&d).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, d, outside) = (stop.clone(), d.clone(), s.outside.clone());
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // A directory, then a link to the outside in its place.
                let _ = fs::remove_dir_all(&d);
                let _ = std::os::unix::fs::symlink(&outside, &d);
                std::thread::yield_now();
                let _ = fs::remove_file(&d);
                let _ = fs::create_dir(&d);
                swaps += 1;
            }
            swaps
        })
    };
    let (ok, refused) = runtime.block_on(async {
        let (mut ok, mut refused) = (0, 0);
        for i in 0..200 {
            let path = format!("/d/f{i}.txt");
            match ws.write_file(&path, b"x").await {
                Ok(_) => ok += 1,
                Err(_) => refused += 1,
            }
            let _ = ws.mkdir(&format!("/d/sub{i}"), true).await;
            let _ = ws.append_file(&path, b"y").await;
            let _ = ws.cp("/d", &format!("/c{i}"), true).await;
            let _ = ws.mv(&path, &format!("/d/m{i}.txt")).await;
        }
        (ok, refused)
    });
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert!(swaps > 0);
    assert_eq!(ok + refused, 200);
    assert!(
        names(&s.outside).is_empty(),
        "the outside directory stays empty ({ok} writes landed inside, {refused} refused, {swaps} swaps)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_every_change() {
    let s = setup();
    fs::write(s.root.join("a.txt"), b"a").unwrap();
    fs::create_dir(s.root.join("d")).unwrap();
    let ws = Workspace::directory(&s.root, DirAccess::ReadOnly, WorkspaceLimits::default()).unwrap();
    assert_eq!(ws.read_file("/a.txt").await.unwrap(), b"a");
    assert_eq!(ws.readdir("/", None, None).await.unwrap().entries.len(), 2);
    assert_eq!(code(ws.write_file("/a.txt", b"b").await.unwrap_err()), FsCode::EACCES);
    assert_eq!(code(ws.write_file("/new", b"b").await.unwrap_err()), FsCode::EACCES);
    assert_eq!(code(ws.mkdir("/e", false).await.unwrap_err()), FsCode::EACCES);
    assert_eq!(code(ws.rm("/a.txt", false).await.unwrap_err()), FsCode::EACCES);
    assert_eq!(code(ws.rm("/", true).await.unwrap_err()), FsCode::EACCES);
    assert_eq!(code(ws.mv("/a.txt", "/b.txt").await.unwrap_err()), FsCode::EACCES);
    assert_eq!(
        code(ws.cp("/a.txt", "/b.txt", false).await.unwrap_err()),
        FsCode::EACCES
    );
    assert_eq!(code(ws.append_file("/a.txt", b"!").await.unwrap_err()), FsCode::EACCES);
    let ops: Vec<Op> = parse_options(json!([{"op": "writeFile", "path": "/b", "content": "b"}])).unwrap();
    assert_eq!(code(ws.batch(ops, None).await.unwrap_err()), FsCode::EACCES);
    assert_eq!(names(&s.root), ["a.txt", "d"]);
    assert_eq!(fs::read(s.root.join("a.txt")).unwrap(), b"a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_apply() {
    let s = setup();
    fs::write(s.root.join("old.txt"), b"12345").unwrap();
    let limits = WorkspaceLimits {
        max_files: 3,
        max_bytes: 12,
        max_file_bytes: 8,
        ..WorkspaceLimits::default()
    };
    let ws = Workspace::directory(&s.root, DirAccess::ReadWrite, limits).unwrap();
    assert_eq!(
        code(ws.write_file("/big", b"123456789").await.unwrap_err()),
        FsCode::EFBIG
    );
    ws.write_file("/b.txt", b"1234567").await.unwrap();
    let err = ws.write_file("/c.txt", b"1").await.unwrap_err();
    assert_eq!(code(&err), FsCode::EDQUOT, "13 bytes: {err}");
    ws.write_file("/b.txt", b"1").await.unwrap();
    ws.mkdir("/d", false).await.unwrap();
    assert_eq!(code(ws.mkdir("/e", false).await.unwrap_err()), FsCode::EDQUOT);
    assert_eq!(code(ws.write_file("/d/x", b"").await.unwrap_err()), FsCode::EDQUOT);
    assert_eq!(
        code(ws.cp("/b.txt", "/d/c.txt", false).await.unwrap_err()),
        FsCode::EDQUOT
    );
    assert_eq!(ws.usage().await.unwrap(), (3, 6));
    assert_eq!(names(&s.root), ["b.txt", "d", "old.txt"], "nothing refused was written");
    // Shrinking and replacing are fine at the limit.
    ws.write_file("/old.txt", b"1").await.unwrap();
    ws.mv("/b.txt", "/old.txt").await.unwrap();
    assert_eq!(ws.usage().await.unwrap(), (2, 1));

    // A file too large to read is refused, and passed over by grep.
    fs::write(s.root.join("huge.txt"), b"needle needle").unwrap();
    assert_eq!(code(ws.read_file("/huge.txt").await.unwrap_err()), FsCode::EFBIG);
    let found = ws.grep("needle", GrepOptions::default()).await.unwrap();
    assert!(found.matches.is_empty());

    // A tree too large to count refuses writes that add to it.
    for i in 0..5 {
        fs::write(s.root.join(format!("n{i}")), b"").unwrap();
    }
    let tight = WorkspaceLimits {
        max_scan: 4,
        ..WorkspaceLimits::default()
    };
    let ws = Workspace::directory(&s.root, DirAccess::ReadWrite, tight).unwrap();
    let err = ws.write_file("/one-more", b"x").await.unwrap_err();
    assert_eq!(code(&err), FsCode::EINVAL, "{err}");
    assert_eq!(code(ws.usage().await.unwrap_err()), FsCode::EINVAL);
    assert_eq!(code(ws.readdir("/", None, None).await.unwrap_err()), FsCode::EINVAL);
    ws.write_file("/n0", b"").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_is_undone() {
    let s = setup();
    fs::write(s.root.join("keep.txt"), b"keep\n").unwrap();
    fs::write(s.root.join("edit.txt"), b"one two\n").unwrap();
    fs::create_dir_all(s.root.join("tree/sub")).unwrap();
    fs::write(s.root.join("tree/sub/t.txt"), b"t").unwrap();
    std::os::unix::fs::symlink("../keep.txt", s.root.join("tree/link")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(s.root.join("keep.txt"), fs::Permissions::from_mode(0o751)).unwrap();
    }
    let before = tree(&s.root);
    let ws = open(&s.root);
    let ops: Vec<Op> = parse_options(json!([
        {"op": "writeFile", "path": "/new.txt", "content": "new"},
        {"op": "mkdir", "path": "/made/deeper", "recursive": true},
        {"op": "writeFile", "path": "/made/deeper/x.txt", "content": "x"},
        {"op": "writeFile", "path": "/keep.txt", "content": "overwritten"},
        {"op": "edit", "path": "/edit.txt", "edits": [{"oldText": "two", "newText": "2"}]},
        {"op": "appendFile", "path": "/edit.txt", "content": "more\n"},
        {"op": "mv", "from": "/new.txt", "to": "/moved.txt"},
        {"op": "mv", "from": "/moved.txt", "to": "/keep.txt"},
        {"op": "rm", "path": "/tree", "recursive": true},
        {"op": "cp", "from": "/made", "to": "/made2", "recursive": true},
        {"op": "edit", "path": "/edit.txt", "edits": [{"oldText": "absent", "newText": "x"}]},
        {"op": "writeFile", "path": "/later.txt", "content": "later"},
    ]))
    .unwrap();
    let err = ws.batch(ops, None).await.unwrap_err();
    assert_eq!(code(&err), FsCode::EINVAL);
    assert!(err.to_string().contains("op 10 (edit)"), "{err}");
    assert!(!err.to_string().contains("undone"), "a complete undo: {err}");
    assert_eq!(tree(&s.root), before, "made entries removed, removed ones back");
    assert_eq!(fs::read(s.root.join("keep.txt")).unwrap(), b"keep\n");
    assert_eq!(fs::read(s.root.join("edit.txt")).unwrap(), b"one two\n");
    assert_eq!(fs::read(s.root.join("tree/sub/t.txt")).unwrap(), b"t");
    assert_eq!(
        fs::read_link(s.root.join("tree/link")).unwrap(),
        Path::new("../keep.txt")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(s.root.join("keep.txt")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o751, "permissions restored");
    }
}

#[test]
fn the_journal_stops_past_its_budget() {
    let mut journal = Journal::new();
    assert!(journal.is_empty());
    assert!(journal.room(MAX_JOURNAL_BYTES - 10));
    assert!(journal.room(10));
    assert!(!journal.room(1), "past 64 MiB");
    assert!(!journal.room(0), "stopped for good");
    assert!(!journal.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_undo_says_so() {
    let s = setup();
    fs::write(s.outside.join("h"), b"h").unwrap();
    fs::create_dir(s.root.join("d")).unwrap();
    fs::hard_link(s.outside.join("h"), s.root.join("d/h")).unwrap();
    let ws = open(&s.root);
    let ops: Vec<Op> = parse_options(json!([
        {"op": "writeFile", "path": "/new.txt", "content": "new"},
        {"op": "rm", "path": "/d", "recursive": true},
        {"op": "rm", "path": "/absent"},
    ]))
    .unwrap();
    let err = ws.batch(ops, None).await.unwrap_err();
    assert_eq!(code(&err), FsCode::ENOENT);
    assert!(err.to_string().contains("could not all be undone"), "{err}");
    assert!(!s.root.join("new.txt").exists(), "what was journaled is undone");
    assert_eq!(fs::read(s.outside.join("h")).unwrap(), b"h");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifos_are_never_opened() {
    let s = setup();
    let fifo = s.root.join("pipe");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    fs::write(s.root.join("a.txt"), b"pipe").unwrap();
    let ws = open(&s.root);
    let page = ws.readdir("/", None, None).await.unwrap();
    assert_eq!(page.entries.len(), 1, "a FIFO is not listed");
    assert_eq!(code(ws.read_file("/pipe").await.unwrap_err()), FsCode::EINVAL);
    assert_eq!(code(ws.write_file("/pipe", b"x").await.unwrap_err()), FsCode::EINVAL);
    let found = ws.grep("pipe", GrepOptions::default()).await.unwrap();
    assert_eq!(found.matches.len(), 1);
}
