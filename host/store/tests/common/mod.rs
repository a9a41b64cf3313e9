//! The backends every test runs against: SQLite in memory, SQLite in a
//! file, and PostgreSQL (the private cluster of scripts/pg/cluster.sh,
//! started here when `make test` has not started it; its URL in
//! ISOBOX_TEST_PG_URL otherwise). A test never skips PostgreSQL: when the
//! cluster cannot start, it fails.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use isobox_store::Store;

/// The cluster's settings (ISOBOX_TEST_PG_URL, _CA, ...).
pub fn pg_env() -> &'static HashMap<String, String> {
    static ENV: OnceLock<HashMap<String, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("ISOBOX_TEST_PG_"))
            .collect();
        if !env.contains_key("ISOBOX_TEST_PG_URL") {
            let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg/cluster.sh");
            let output = std::process::Command::new("bash")
                .arg(&script)
                .arg("start")
                .output()
                .expect("bash runs");
            assert!(
                output.status.success(),
                "scripts/pg/cluster.sh start failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            for line in String::from_utf8_lossy(&output.stdout).lines() {
                if let Some((key, value)) = line.split_once('=') {
                    env.insert(key.to_owned(), value.to_owned());
                }
            }
        }
        assert!(
            env.contains_key("ISOBOX_TEST_PG_URL"),
            "the cluster printed no ISOBOX_TEST_PG_URL"
        );
        env
    })
}

/// The test cluster's URL with `sslmode=disable`.
pub fn pg_url() -> String {
    format!("{}?sslmode=disable", pg_env()["ISOBOX_TEST_PG_URL"])
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{nanos}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A directory removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// One store of each backend, with its name. The file store's directory is
/// returned so it lives as long as the store.
pub async fn backends() -> Vec<(&'static str, Store, Option<tempfile::TempDir>)> {
    let dir = tempdir();
    let file = dir.path().join("state.db");
    vec![
        ("memory", Store::open("memory").await.expect("memory store"), None),
        (
            "sqlite",
            Store::open(file.to_str().expect("utf-8 path"))
                .await
                .expect("sqlite store"),
            Some(dir),
        ),
        ("postgres", Store::open(&pg_url()).await.expect("postgres store"), None),
    ]
}
