//! Tests of `archive`: round trips, hostile archives built by hand, bombs.

use std::io::Write as _;

use super::*;
use crate::Store;

use crate::error::fs_code as code;

async fn workspace(id: &str) -> Workspace {
    Store::open("memory").await.unwrap().workspace("t", id).unwrap()
}

/// A header written field by field, so nothing checks the name.
fn raw_header(name: &[u8], kind: EntryType, link: &[u8], size: u64) -> Header {
    let mut header = Header::new_ustar();
    {
        let old = header.as_old_mut();
        old.name = [0; 100];
        old.name[..name.len()].copy_from_slice(name);
        old.linkname[..link.len()].copy_from_slice(link);
    }
    header.set_size(size);
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_cksum();
    header
}

/// A tar with a good file, then `bad`.
fn with_bad(bad: impl FnOnce(&mut Builder<Vec<u8>>)) -> Vec<u8> {
    let mut builder = Builder::new(Vec::new());
    builder
        .append(&raw_header(b"good.txt", EntryType::Regular, b"", 4), &b"good"[..])
        .unwrap();
    bad(&mut builder);
    builder.into_inner().unwrap()
}

fn plain(name: &'static [u8], kind: EntryType, link: &'static [u8]) -> impl FnOnce(&mut Builder<Vec<u8>>) {
    move |b| {
        let data: &[u8] = if kind == EntryType::Regular { b"evil" } else { b"" };
        b.append(&raw_header(name, kind, link, data.len() as u64), data)
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_plain_and_gzip() {
    let ws = workspace("round").await;
    let big: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    ws.mkdir("/src/empty", true).await.unwrap();
    ws.mkdir("/src/sub", true).await.unwrap();
    ws.write_file("/src/a.txt", b"alpha").await.unwrap();
    ws.write_file("/src/sub/b.bin", &big).await.unwrap();
    ws.write_file("/top.txt", b"top").await.unwrap();
    for gzip in [false, true] {
        let paths = vec!["/src".to_owned(), "top.txt".to_owned(), "/src/a.txt".to_owned()];
        let bytes = ws.archive_create(paths, ArchiveCreateOptions { gzip }).await.unwrap();
        assert_eq!(bytes.starts_with(&[0x1f, 0x8b]), gzip);
        let list = ws
            .archive_list(bytes.clone(), ArchiveListOptions::default())
            .await
            .unwrap();
        let names: Vec<(String, &str, u64, bool)> = list
            .entries
            .iter()
            .map(|e| {
                (
                    e.path.trim_end_matches('/').to_owned(),
                    e.kind.as_str(),
                    e.size,
                    e.is_unsafe,
                )
            })
            .collect();
        let expected = [
            ("src", "directory", 0),
            ("src/a.txt", "file", 5),
            ("src/empty", "directory", 0),
            ("src/sub", "directory", 0),
            ("src/sub/b.bin", "file", 300_000),
            ("top.txt", "file", 3),
        ];
        let expected: Vec<(String, &str, u64, bool)> = expected
            .iter()
            .map(|(p, k, s)| (p.to_string(), *k, *s, false))
            .collect();
        assert_eq!(names, expected, "each entry once, in path order");
        assert!(!list.truncated);
        let dest = if gzip { "/out/gz" } else { "/out/plain" };
        let done = ws
            .archive_extract(bytes, dest, ExtractOptions::default())
            .await
            .unwrap();
        assert_eq!(
            done,
            Extracted {
                files: 3,
                directories: 3,
                bytes: 300_008
            }
        );
        assert_eq!(ws.read_file(&format!("{dest}/src/sub/b.bin")).await.unwrap(), big);
        assert_eq!(ws.read_file(&format!("{dest}/top.txt")).await.unwrap(), b"top");
        assert!(ws.stat(&format!("{dest}/src/empty")).await.unwrap().unwrap().is_dir());
    }
    let root = ws
        .archive_create(vec!["/".into()], ArchiveCreateOptions::default())
        .await
        .unwrap();
    let list = ws.archive_list(root, ArchiveListOptions::default()).await.unwrap();
    assert!(list.entries.iter().all(|e| !e.path.starts_with('/')) && list.entries.len() > 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_entries_refuse_the_whole_archive() {
    let ws = workspace("hostile").await;
    ws.write_file("/before.txt", b"x").await.unwrap();
    let version = ws.version().await.unwrap();
    let long_nul = |b: &mut Builder<Vec<u8>>| {
        let mut long = Header::new_gnu();
        let name = b"dir/evil\0name\0";
        long.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        long.set_entry_type(EntryType::GNULongName);
        long.set_size(name.len() as u64);
        long.set_cksum();
        b.append(&long, &name[..]).unwrap();
        b.append(&raw_header(b"short", EntryType::Regular, b"", 0), &b""[..])
            .unwrap();
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "dotdot",
            with_bad(plain(b"../x", EntryType::Regular, b"")),
            "leaves the destination",
        ),
        (
            "deep dotdot",
            with_bad(plain(b"a/../../x", EntryType::Regular, b"")),
            "leaves the destination",
        ),
        (
            "absolute",
            with_bad(plain(b"/etc/x", EntryType::Regular, b"")),
            "absolute",
        ),
        (
            "symlink",
            with_bad(plain(b"link", EntryType::Symlink, b"/etc/passwd")),
            "link",
        ),
        (
            "hard link",
            with_bad(plain(b"hard", EntryType::Link, b"good.txt")),
            "link",
        ),
        ("device", with_bad(plain(b"dev", EntryType::Char, b"")), "device"),
        ("fifo", with_bad(plain(b"pipe", EntryType::Fifo, b"")), "FIFO"),
        ("nul", with_bad(long_nul), "NUL"),
        (
            "not utf-8",
            with_bad(plain(b"bad\xff", EntryType::Regular, b"")),
            "UTF-8",
        ),
    ];
    for (what, bytes, reason) in cases {
        let list = ws
            .archive_list(bytes.clone(), ArchiveListOptions::default())
            .await
            .unwrap();
        assert_eq!(list.entries.len(), 2, "{what}");
        assert!(!list.entries[0].is_unsafe, "{what}");
        let bad = &list.entries[1];
        assert!(bad.is_unsafe, "{what}");
        assert!(
            bad.reason.as_deref().unwrap_or("").contains(reason),
            "{what}: {:?}",
            bad.reason
        );
        let err = ws
            .archive_extract(bytes, "/dest", ExtractOptions::default())
            .await
            .unwrap_err();
        assert_eq!(code(&err), FsCode::EINVAL, "{what}: {err}");
        assert!(err.to_string().contains("nothing was extracted"), "{what}: {err}");
        assert_eq!(ws.version().await.unwrap(), version, "{what}");
        assert!(!ws.exists("/dest").await.unwrap(), "{what}");
        assert!(
            !ws.exists("/good.txt").await.unwrap() && !ws.exists("/x").await.unwrap(),
            "{what}"
        );
    }
    let symlink = with_bad(plain(b"link", EntryType::Symlink, b"/etc/passwd"));
    let list = ws.archive_list(symlink, ArchiveListOptions::default()).await.unwrap();
    assert_eq!(
        (list.entries[1].kind.as_str(), list.entries[1].link.as_deref()),
        ("symlink", Some("/etc/passwd"))
    );
    let inside = with_bad(plain(b"a/../b.txt", EntryType::Regular, b""));
    let done = ws
        .archive_extract(inside, "/in", ExtractOptions::default())
        .await
        .unwrap();
    assert_eq!(done.files, 2);
    assert_eq!(
        ws.read_file("/in/b.txt").await.unwrap(),
        b"evil",
        "`..` that stays inside is fine"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwrite_conflicts_and_garbage() {
    let ws = workspace("overwrite").await;
    ws.mkdir("/d", false).await.unwrap();
    ws.write_file("/d/good.txt", b"mine").await.unwrap();
    let bytes = with_bad(|_| {});
    let err = ws
        .archive_extract(bytes.clone(), "/d", ExtractOptions::default())
        .await
        .unwrap_err();
    assert_eq!(code(&err), FsCode::EEXIST);
    assert_eq!(ws.read_file("/d/good.txt").await.unwrap(), b"mine");
    let o = ExtractOptions {
        overwrite: true,
        ..Default::default()
    };
    ws.archive_extract(bytes.clone(), "/d", o).await.unwrap();
    assert_eq!(ws.read_file("/d/good.txt").await.unwrap(), b"good");
    ws.write_file("/file", b"f").await.unwrap();
    assert_eq!(
        code(ws.archive_extract(bytes.clone(), "/file", o).await.unwrap_err()),
        FsCode::EEXIST
    );

    let garbage = vec![7u8; 2000];
    assert_eq!(
        code(ws.archive_extract(garbage.clone(), "/g", o).await.unwrap_err()),
        FsCode::EINVAL
    );
    assert_eq!(
        code(
            ws.archive_list(garbage, ArchiveListOptions::default())
                .await
                .unwrap_err()
        ),
        FsCode::EINVAL
    );
    let mut bad_gzip = vec![0x1f, 0x8b];
    bad_gzip.extend_from_slice(&[0u8; 100]);
    assert_eq!(
        code(ws.archive_extract(bad_gzip, "/g", o).await.unwrap_err()),
        FsCode::EINVAL
    );
    let mut cut = bytes.clone();
    cut.truncate(512 + 2);
    assert_eq!(
        code(ws.archive_extract(cut, "/g", o).await.unwrap_err()),
        FsCode::EINVAL
    );
    assert!(!ws.exists("/g").await.unwrap());
    assert!(serde_json::from_value::<ExtractOptions>(serde_json::json!({"overWrite": true})).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entry_and_size_limits() {
    let ws = workspace("limits").await;
    let mut builder = Builder::new(Vec::new());
    for i in 0..5 {
        let name = format!("f{i}");
        builder
            .append(&raw_header(name.as_bytes(), EntryType::Regular, b"", 1), &b"x"[..])
            .unwrap();
    }
    let five = builder.into_inner().unwrap();
    let o = ExtractOptions {
        max_entries: Some(4),
        ..Default::default()
    };
    assert_eq!(
        code(ws.archive_extract(five.clone(), "/e", o).await.unwrap_err()),
        FsCode::EDQUOT
    );
    let o = ExtractOptions {
        max_entries: Some(5),
        ..Default::default()
    };
    assert_eq!(ws.archive_extract(five.clone(), "/e", o).await.unwrap().files, 5);
    let lo = ArchiveListOptions {
        max_entries: Some(2),
        ..Default::default()
    };
    let list = ws.archive_list(five.clone(), lo).await.unwrap();
    assert!(list.truncated && list.entries.len() == 2);
    let o = ExtractOptions {
        max_bytes: Some(1024),
        ..Default::default()
    };
    let err = ws.archive_extract(five.clone(), "/f", o).await.unwrap_err();
    assert_eq!(code(&err), FsCode::EFBIG, "{err}");

    let small = ws.clone().with_limits(WorkspaceLimits {
        max_file_bytes: 3000,
        ..Default::default()
    });
    let err = small
        .archive_create(vec!["/e".into()], ArchiveCreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        code(&err),
        FsCode::EFBIG,
        "6 entries and the end blocks pass 3,000 bytes: {err}"
    );
    assert_eq!(
        small
            .archive_create(vec!["/e/f0".into()], ArchiveCreateOptions::default())
            .await
            .unwrap()
            .len(),
        2048
    );
    let missing = ws
        .archive_create(vec!["/nope".into()], ArchiveCreateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(code(&missing), FsCode::ENOENT);
    assert_eq!(
        code(
            ws.archive_create(vec![], ArchiveCreateOptions::default())
                .await
                .unwrap_err()
        ),
        FsCode::EINVAL
    );
    let tiny = ws.clone().with_limits(WorkspaceLimits {
        max_file_bytes: 0,
        ..Default::default()
    });
    let err = tiny
        .archive_extract(five, "/h", ExtractOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        code(&err),
        FsCode::EFBIG,
        "an entry larger than the largest file: {err}"
    );
}

/// 200 MB of zeros in one entry, compressed as it is made (about 200 KB).
fn gzip_bomb() -> Vec<u8> {
    const SIZE: u64 = 200 << 20;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(raw_header(b"zeros", EntryType::Regular, b"", SIZE).as_bytes())
        .unwrap();
    let chunk = vec![0u8; 1 << 16];
    for _ in 0..SIZE / chunk.len() as u64 {
        gz.write_all(&chunk).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    gz.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bombs_are_refused() {
    let started = std::time::Instant::now();
    let bomb = gzip_bomb();
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    eprintln!("bomb: {} bytes in {:?}", bomb.len(), started.elapsed());
    let ws = workspace("bomb").await;
    let err = ws
        .archive_extract(bomb.clone(), "/x", ExtractOptions::default())
        .await
        .unwrap_err();
    assert_eq!(code(&err), FsCode::EFBIG, "larger than the largest file: {err}");
    let roomy = ws.clone().with_limits(WorkspaceLimits {
        max_file_bytes: 1 << 30,
        ..Default::default()
    });
    let o = ExtractOptions {
        max_bytes: Some(10 << 20),
        ..Default::default()
    };
    let err = roomy.archive_extract(bomb.clone(), "/x", o).await.unwrap_err();
    assert_eq!(code(&err), FsCode::EFBIG);
    assert!(err.to_string().contains("expands past 10485760 bytes"), "{err}");
    let lo = ArchiveListOptions {
        max_bytes: Some(10 << 20),
        ..Default::default()
    };
    let err = roomy.archive_list(bomb, lo).await.unwrap_err();
    assert!(err.to_string().contains("expands past"), "{err}");
    assert_eq!(ws.version().await.unwrap(), 0);
    assert!(!ws.exists("/x").await.unwrap());
}
