//! The worker registry on every backend.

mod common;

use isobox_store::StoreError;
use isobox_store::workers::NewVersion;

fn version(spec: &str, sha: &str) -> NewVersion {
    NewVersion::new(spec, Some(vec![0, 1, 2, 255]), sha)
}

#[tokio::test]
async fn versions_are_numbered_read_listed_kept_and_deleted() {
    for (backend, store, _dir) in common::backends().await {
        let workers = store.workers();
        let ns = common::unique("reg");
        assert!(workers.head(&ns, "app").await.unwrap().is_none(), "{backend}");
        let one = workers
            .put(&ns, "app", version("{\"v\":1}", "s1"), Some(0), 3)
            .await
            .unwrap();
        assert_eq!(
            (one.version, one.sha256.as_str(), one.bytes),
            (1, "s1", 11),
            "{backend}"
        );
        for n in 2..=5 {
            let head = workers
                .put(
                    &ns,
                    "app",
                    version(&format!("{{\"v\":{n}}}"), &format!("s{n}")),
                    None,
                    3,
                )
                .await
                .unwrap();
            assert_eq!(head.version, n, "{backend}");
        }
        let head = workers.head(&ns, "app").await.unwrap().unwrap();
        assert_eq!((head.version, head.sha256.as_str()), (5, "s5"), "{backend}");
        let newest = workers.get(&ns, "app", None).await.unwrap().unwrap();
        assert_eq!(newest.spec, "{\"v\":5}");
        assert_eq!(
            newest.assets.as_deref(),
            Some(&[0u8, 1, 2, 255][..]),
            "{backend}: bytes kept exactly"
        );
        // Only the newest three are kept.
        let kept: Vec<i64> = workers
            .versions(&ns, "app")
            .await
            .unwrap()
            .iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(kept, [5, 4, 3], "{backend}");
        assert!(workers.get(&ns, "app", Some(2)).await.unwrap().is_none());
        assert_eq!(
            workers.get(&ns, "app", Some(3)).await.unwrap().unwrap().spec,
            "{\"v\":3}"
        );

        // Compare-and-swap: a writer that read version 4 loses.
        let lost = workers
            .put(&ns, "app", version("{}", "x"), Some(4), 3)
            .await
            .unwrap_err();
        assert!(matches!(lost, StoreError::Conflict(_)), "{backend}: {lost}");
        assert!(lost.to_string().contains("version 5, not 4"), "{lost}");
        assert_eq!(
            workers.head(&ns, "app").await.unwrap().unwrap().version,
            5,
            "a refused write leaves nothing"
        );
        let created_again = workers
            .put(&ns, "new", version("{}", "n"), Some(3), 3)
            .await
            .unwrap_err();
        assert!(matches!(created_again, StoreError::Conflict(_)), "{backend}");
        assert!(workers.head(&ns, "new").await.unwrap().is_none(), "{backend}");

        // Namespaces are apart; lists give each name's newest version.
        workers.put(&ns, "b-api", version("{}", "b"), None, 3).await.unwrap();
        let other = common::unique("reg");
        assert!(workers.head(&other, "app").await.unwrap().is_none());
        let names: Vec<(String, i64)> = workers
            .list(&ns)
            .await
            .unwrap()
            .into_iter()
            .map(|h| (h.name, h.version))
            .collect();
        assert_eq!(names, [("app".into(), 5), ("b-api".into(), 1)], "{backend}");

        assert!(workers.delete(&ns, "app").await.unwrap());
        assert!(!workers.delete(&ns, "app").await.unwrap());
        assert!(workers.head(&ns, "app").await.unwrap().is_none());
        assert!(workers.versions(&ns, "app").await.unwrap().is_empty(), "{backend}");
        let big = NewVersion::new("x".repeat(isobox_store::workers::MAX_VERSION_BYTES + 1), None, "big");
        assert!(matches!(
            workers.put(&ns, "big", big, None, 3).await,
            Err(StoreError::Config(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_get_distinct_versions_without_gaps() {
    for (backend, store, _dir) in common::backends().await {
        let workers = store.workers();
        let ns = common::unique("race");
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (workers, ns) = (workers.clone(), ns.clone());
                tokio::spawn(async move {
                    workers
                        .put(&ns, "w", NewVersion::new("{}", None, format!("s{i}")), None, 100)
                        .await
                        .map(|h| h.version)
                })
            })
            .collect();
        let mut versions = Vec::new();
        for task in tasks {
            versions.push(task.await.unwrap().unwrap());
        }
        versions.sort_unstable();
        assert_eq!(versions, (1..=16).collect::<Vec<i64>>(), "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_notifies_every_store_of_every_write_and_the_others_have_no_notifications() {
    for (backend, store, _dir) in common::backends().await {
        let changes = store.workers().changes();
        if backend != "postgres" {
            assert!(
                changes.is_none(),
                "{backend}: reads are cheap there; nothing to listen to"
            );
            continue;
        }
        let changes = changes.expect("PostgreSQL notifies");
        let wait = |what: &str, done: &dyn Fn() -> bool| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while !done() {
                assert!(std::time::Instant::now() < deadline, "never {what}: {changes:?}");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        };
        wait("listening", &|| changes.is_live());
        // A write through another store (another replica) is heard.
        let other = isobox_store::Store::open(&common::pg_url()).await.unwrap();
        let ns = common::unique("heard");
        for write in 0..3 {
            let before = changes.generation();
            if write < 2 {
                other
                    .workers()
                    .put(&ns, "w", version("{}", "s"), None, 3)
                    .await
                    .unwrap();
            } else {
                assert!(other.workers().delete(&ns, "w").await.unwrap());
            }
            wait("hearing the write", &|| changes.generation() > before);
        }
        let before = changes.generation();
        changes.bump();
        assert_eq!(changes.generation(), before + 1, "its own writes count at once");
    }
}
