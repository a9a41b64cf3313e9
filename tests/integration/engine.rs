//! Building engines: the snapshot cache, the instance pool's bound.

use isobox::cache::CacheDir;
use isobox::{Engine, RunRequest};
use serde_json::json;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("isobox-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn cache_entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_snapshot_cache_is_written_reused_and_rebuilt_when_damaged() {
    let dir = temp_dir("cache");
    let build = || {
        Engine::builder()
            .max_concurrent_runs(4)
            .cache_dir(CacheDir::At(dir.clone()))
            .build()
    };

    let first = build().await.expect("first build");
    let entries = cache_entries(&dir);
    assert_eq!(entries.len(), 1, "one precompiled snapshot is cached: {entries:?}");
    assert_eq!(first.run(RunRequest::new("1 + 1")).await.result.unwrap(), json!(2));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the cache directory is private");
    }

    // A damaged entry is not trusted: the engine rebuilds and rewrites it.
    std::fs::write(&entries[0], b"not a compiled component").unwrap();
    let rebuilt = build().await.expect("build over a damaged cache entry");
    assert_eq!(rebuilt.run(RunRequest::new("2 + 2")).await.result.unwrap(), json!(4));
    assert!(
        std::fs::metadata(&entries[0]).unwrap().len() > 1024,
        "the entry was rewritten"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_past_the_pool_size_wait_for_a_free_sandbox() {
    let engine = Engine::builder().max_concurrent_runs(2).build().await.expect("engine");
    let runs: Vec<_> = (0..40)
        .map(|n| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.run(RunRequest::new(format!("{n} * 3"))).await })
        })
        .collect();
    for (n, run) in runs.into_iter().enumerate() {
        let outcome = run.await.expect("task");
        assert_eq!(outcome.result.unwrap(), json!(n * 3));
    }
}

#[tokio::test]
async fn out_of_range_engine_settings_are_refused() {
    let error = Engine::builder()
        .max_concurrent_runs(0)
        .build()
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("max_concurrent_runs"), "{error}");
    let error = Engine::builder()
        .max_memory_bytes(1024)
        .build()
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("max_memory_bytes"), "{error}");
}

#[test]
fn a_run_outside_a_tokio_runtime_is_refused_not_a_panic() {
    let engine = crate::common::engine();
    let outcome = futures_executor_block_on(engine.run(RunRequest::new("1")));
    let error = outcome.result.unwrap_err();
    assert_eq!(error.kind, isobox::ErrorKind::Internal);
    assert!(error.message.contains("tokio"), "{}", error.message);
}

/// Polls a future to completion on this thread, with no tokio runtime.
fn futures_executor_block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
        std::thread::yield_now();
    }
}
