//! The workspace file system's core, on every backend.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{backends, pg_url, unique};
use isobox_store::workspace::{FsCode, Kind, WorkspaceLimits};
use isobox_store::{Store, StoreError};

fn code(err: &StoreError) -> FsCode {
    match err {
        StoreError::Fs(e) => e.code,
        other => panic!("expected a file-system error, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_and_directories() {
    for (name, store, _dir) in backends().await {
        let ws = store.workspace(&unique("t"), "main").unwrap();
        assert_eq!(ws.version().await.unwrap(), 0, "{name}");
        ws.write_file("/readme.md", b"hello").await.unwrap();
        assert_eq!(ws.read_file("readme.md").await.unwrap(), b"hello", "{name}");
        assert_eq!(ws.version().await.unwrap(), 1, "{name}");
        assert_eq!(
            code(&ws.write_file("/src/lib.rs", b"x").await.unwrap_err()),
            FsCode::ENOENT,
            "{name}"
        );
        ws.mkdir("/src/deep/er", true).await.unwrap();
        ws.write_file("/src/deep/er/a.txt", b"a").await.unwrap();
        assert_eq!(
            code(&ws.mkdir("/src", false).await.unwrap_err()),
            FsCode::EEXIST,
            "{name}"
        );
        assert_eq!(
            code(&ws.mkdir("/readme.md/x", true).await.unwrap_err()),
            FsCode::ENOTDIR,
            "{name}"
        );
        assert_eq!(code(&ws.read_file("/src").await.unwrap_err()), FsCode::EISDIR, "{name}");
        assert_eq!(
            code(&ws.write_file("/src", b"x").await.unwrap_err()),
            FsCode::EISDIR,
            "{name}"
        );
        assert_eq!(
            code(&ws.read_file("/nope").await.unwrap_err()),
            FsCode::ENOENT,
            "{name}"
        );
        let stat = ws.stat("/src/deep/er/a.txt").await.unwrap().unwrap();
        assert_eq!((stat.kind, stat.size), (Kind::File, 1), "{name}");
        assert_eq!(
            stat.hash.as_deref(),
            Some("ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
            "{name}"
        );
        assert_eq!(
            code(&ws.rm("/src", false).await.unwrap_err()),
            FsCode::ENOTEMPTY,
            "{name}"
        );
        assert_eq!(ws.rm("/src", true).await.unwrap(), 4, "{name}");
        assert!(ws.stat("/src/deep").await.unwrap().is_none(), "{name}");
        assert_eq!(ws.usage().await.unwrap(), (1, 5), "{name}");
        // Bad paths: nothing written.
        let before = ws.version().await.unwrap();
        for bad in ["../x", "/a/../../x", "a\0b"] {
            assert_eq!(
                code(&ws.write_file(bad, b"x").await.unwrap_err()),
                FsCode::EINVAL,
                "{name} {bad:?}"
            );
        }
        let deep = "d/".repeat(10_000);
        assert_eq!(
            code(&ws.mkdir(&deep, true).await.unwrap_err()),
            FsCode::ENAMETOOLONG,
            "{name}"
        );
        assert_eq!(
            code(&ws.write_file(&"n".repeat(300), b"x").await.unwrap_err()),
            FsCode::ENAMETOOLONG,
            "{name}"
        );
        assert_eq!(ws.version().await.unwrap(), before, "{name}");
        // Workspaces and tenants are apart.
        let other = store.workspace(&unique("t"), "main").unwrap();
        assert!(other.stat("/readme.md").await.unwrap().is_none(), "{name}");
        assert!(
            store.workspace("t", "../x").is_err() && store.workspace("t", "").is_err(),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readdir_pages_every_entry_once() {
    for (name, store, _dir) in backends().await {
        let ws = store.workspace(&unique("t"), "dir").unwrap();
        ws.mkdir("/d", false).await.unwrap();
        // More than a page, and names whose byte order differs from a
        // locale's: '-' < '.' < '0' < 'A' < '_' < 'a'.
        let mut names: Vec<String> = (0..2500).map(|i| format!("f{i:05}")).collect();
        names.extend(["a-b", "a.b", "A", "_x", "Z0"].map(str::to_owned));
        ws.transaction(true, None, {
            let names = names.clone();
            move |fs| {
                for name in &names {
                    fs.write(&format!("/d/{name}"), b"", false, false)?;
                }
                Ok(())
            }
        })
        .await
        .unwrap();
        ws.mkdir("/d/sub", false).await.unwrap();
        ws.write_file("/d/sub/inner", b"").await.unwrap();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = ws.readdir("/d", cursor.as_deref(), None).await.unwrap();
            assert!(page.entries.len() <= 1000, "{name}");
            seen.extend(page.entries.into_iter().map(|e| e.path));
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        names.push("sub".into());
        let mut expected: Vec<String> = names.iter().map(|n| format!("/d/{n}")).collect();
        expected.sort();
        assert_eq!(seen, expected, "{name}");
        assert_eq!(
            code(&ws.readdir("/d/f00001", None, None).await.unwrap_err()),
            FsCode::ENOTDIR,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_and_move_keep_trees_whole() {
    for (name, store, _dir) in backends().await {
        let ws = store.workspace(&unique("t"), "mv").unwrap();
        ws.transaction(true, None, |fs| {
            fs.mkdir("/a/b", true)?;
            fs.write("/a/b/c.txt", b"c", false, false)?;
            fs.write("/a/é.txt", "é".as_bytes(), false, false)?;
            fs.write("/a0", b"sibling that sorts after /a/", false, false)?;
            Ok(())
        })
        .await
        .unwrap();
        ws.transaction(true, None, |fs| fs.copy("/a", "/copy", true))
            .await
            .unwrap();
        ws.transaction(true, None, |fs| fs.rename("/a", "/ü/moved"))
            .await
            .unwrap_err();
        ws.mkdir("/ü", false).await.unwrap();
        ws.transaction(true, None, |fs| fs.rename("/a", "/ü/moved"))
            .await
            .unwrap();
        assert_eq!(ws.read_file("/ü/moved/b/c.txt").await.unwrap(), b"c", "{name}");
        assert_eq!(ws.read_file("/ü/moved/é.txt").await.unwrap(), "é".as_bytes(), "{name}");
        assert_eq!(ws.read_file("/copy/b/c.txt").await.unwrap(), b"c", "{name}");
        assert!(ws.stat("/a").await.unwrap().is_none(), "{name}");
        assert_eq!(ws.read_file("/a0").await.unwrap().len(), 28, "{name}");
        // Listing the moved directory finds its children under their new parent.
        let page = ws.readdir("/ü/moved", None, None).await.unwrap();
        let paths: Vec<_> = page.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/ü/moved/b", "/ü/moved/é.txt"], "{name}");
        let err = ws
            .transaction(true, None, |fs| fs.rename("/copy", "/copy/inside"))
            .await
            .unwrap_err();
        assert_eq!(code(&err), FsCode::EINVAL, "{name}");
        // Entries: the moved tree (4), /a0, the copy (4), /ü.
        let (files, bytes) = ws.usage().await.unwrap();
        assert_eq!((files, bytes), (10, 1 + 2 + 28 + 1 + 2), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_are_checked_in_the_transaction_and_versions_guard_batches() {
    for (name, store, _dir) in backends().await {
        let limits = WorkspaceLimits {
            max_files: 3,
            max_bytes: 10,
            max_file_bytes: 8,
            ..WorkspaceLimits::default()
        };
        let ws = store.workspace(&unique("t"), "q").unwrap().with_limits(limits);
        ws.write_file("/a", b"12345").await.unwrap();
        assert_eq!(
            code(&ws.write_file("/b", b"123456789").await.unwrap_err()),
            FsCode::EFBIG,
            "{name}"
        );
        assert_eq!(
            code(&ws.write_file("/b", b"123456").await.unwrap_err()),
            FsCode::EDQUOT,
            "{name}"
        );
        ws.write_file("/b", b"1").await.unwrap();
        ws.write_file("/c", b"").await.unwrap();
        assert_eq!(
            code(&ws.write_file("/d", b"").await.unwrap_err()),
            FsCode::EDQUOT,
            "{name}"
        );
        assert_eq!(ws.usage().await.unwrap(), (3, 6), "{name}");
        let version = ws.version().await.unwrap();
        // A batch that fails midway keeps nothing.
        let err = ws
            .transaction(true, Some(version), |fs| {
                fs.remove("/c", false)?;
                fs.write("/d", b"x", false, false)?;
                fs.write("/e", b"x", false, false)?;
                Ok(())
            })
            .await
            .unwrap_err();
        assert_eq!(code(&err), FsCode::EDQUOT, "{name}");
        assert!(
            ws.stat("/c").await.unwrap().is_some() && ws.stat("/d").await.unwrap().is_none(),
            "{name}"
        );
        assert_eq!(ws.version().await.unwrap(), version, "{name}");
        // A stale version refuses the batch.
        let err = ws
            .transaction(true, Some(version + 1), |fs| fs.remove("/c", false))
            .await
            .unwrap_err();
        assert_eq!(code(&err), FsCode::ESTALE, "{name}");
        let (_, after) = ws
            .transaction(true, Some(version), |fs| fs.remove("/c", false))
            .await
            .unwrap();
        assert_eq!(after, version + 1, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_contents_go_to_the_blob_store() {
    let dir = common::tempdir();
    let file = dir.path().join("blobs.db");
    let store = Store::open(file.to_str().unwrap()).await.unwrap();
    let ws = store.workspace("t", "big").unwrap();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    ws.write_file("/big.bin", &big).await.unwrap();
    ws.transaction(true, None, |fs| fs.copy("/big.bin", "/copy.bin", false))
        .await
        .unwrap();
    assert_eq!(ws.read_file("/copy.bin").await.unwrap(), big);
    let blobs = store.blobs().unwrap().list().await.unwrap();
    assert_eq!(blobs.len(), 1, "one blob, shared by the copy");
    assert!(dir.path().join("blobs.db.blobs").is_dir());
    // Reopened from disk, the content is there.
    drop(store);
    let store = Store::open(file.to_str().unwrap()).await.unwrap();
    let ws = store.workspace("t", "big").unwrap();
    assert_eq!(ws.read_file("/big.bin").await.unwrap(), big);
    // A blob no file names is collected once old enough; a named one stays.
    let other: Vec<u8> = big.iter().map(|b| b.wrapping_add(1)).collect();
    ws.write_file("/other.bin", &other).await.unwrap();
    ws.rm("/other.bin", false).await.unwrap();
    let young = store.collect_blobs(std::time::Duration::from_secs(3600)).await.unwrap();
    assert_eq!(
        (young.blobs, young.referenced, young.removed, young.young),
        (2, 1, 0, 1)
    );
    let collected = store.collect_blobs(std::time::Duration::ZERO).await.unwrap();
    assert_eq!((collected.blobs, collected.referenced, collected.removed), (2, 1, 1));
    assert_eq!(store.blobs().unwrap().list().await.unwrap().len(), 1);
    assert_eq!(ws.read_file("/copy.bin").await.unwrap(), big);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_of_one_workspace_see_one_history() {
    let dir = common::tempdir();
    let file = dir.path().join("two.db");
    let pairs = [
        (
            "sqlite",
            Store::open(file.to_str().unwrap()).await.unwrap(),
            Store::open(file.to_str().unwrap()).await.unwrap(),
        ),
        (
            "postgres",
            Store::open(&pg_url()).await.unwrap(),
            Store::open(&pg_url()).await.unwrap(),
        ),
    ];
    for (name, one, two) in pairs {
        let ns = unique("t");
        let mut tasks = Vec::new();
        for (writer, store) in [one.clone(), two.clone()].into_iter().enumerate() {
            let ws = store.workspace(&ns, "shared").unwrap();
            tasks.push(tokio::spawn(async move {
                for i in 0..20 {
                    // Each change appends one line to the log and records the
                    // version it saw: a lost update would drop a line.
                    ws.transaction(true, None, move |fs| {
                        let mut log = match fs.read("/log") {
                            Ok(bytes) => bytes,
                            Err(StoreError::Fs(e)) if e.code == FsCode::ENOENT => Vec::new(),
                            Err(e) => return Err(e),
                        };
                        log.extend(format!("{writer}:{i}@{}\n", fs.version()).as_bytes());
                        fs.write("/log", &log, false, false).map(drop)
                    })
                    .await
                    .unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let ws = one.workspace(&ns, "shared").unwrap();
        let log = String::from_utf8(ws.read_file("/log").await.unwrap()).unwrap();
        let versions: Vec<u64> = log
            .lines()
            .map(|l| l.rsplit('@').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(versions, (0..40).collect::<Vec<u64>>(), "{name}: {log}");
        assert_eq!(ws.version().await.unwrap(), 40, "{name}");
    }
}

/// The child half of `a_killed_batch_leaves_nothing`: writes files in one
/// transaction, says so on stdout, then waits to be killed.
#[test]
#[ignore = "run by a_killed_batch_leaves_nothing"]
fn killed_batch_child() {
    let Ok(location) = std::env::var("ISOBOX_KILL_STORE") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let store = Store::open(&location).await.unwrap();
        let ws = store.workspace("killed", "ws").unwrap();
        ws.transaction(true, None, |fs| {
            for i in 0..500 {
                fs.write(&format!("/f{i}"), b"partial", false, false)?;
            }
            println!("written");
            std::thread::sleep(std::time::Duration::from_secs(60));
            Ok(())
        })
        .await
        .unwrap();
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_batch_leaves_nothing() {
    let dir = common::tempdir();
    let file = dir.path().join("killed.db");
    // A database of its own on PostgreSQL, so the namespace is fresh.
    for location in [file.to_str().unwrap().to_owned(), pg_url()] {
        let store = Store::open(&location).await.unwrap();
        store.workspace("killed", "ws").unwrap().rm("/", true).await.ok();
        let before = store.workspace("killed", "ws").unwrap().version().await.unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "killed_batch_child", "--include-ignored", "--nocapture"])
            .env("ISOBOX_KILL_STORE", &location)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("the child says it has written").unwrap();
            if line.contains("written") {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let ws = store.workspace("killed", "ws").unwrap();
        assert_eq!(ws.version().await.unwrap(), before, "{location}");
        assert!(ws.stat("/f0").await.unwrap().is_none(), "{location}");
        assert_eq!(ws.usage().await.unwrap().0, 0, "{location}");
    }
}
