//! The key-value store, on every backend.

mod common;

use common::{backends, pg_url, unique};
use isobox_store::kv::{KvError, KvLimits, PutOptions};
use isobox_store::{Store, StoreError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_put_delete_and_versions() {
    for (name, store, _dir) in backends().await {
        let kv = store.kv();
        let ns = unique("kv");
        assert_eq!(kv.get(&ns, "a").await.unwrap(), None, "{name}");
        let first = kv.put(&ns, "a", "1", PutOptions::default()).await.unwrap();
        assert!(first.ok && first.version > 0, "{name}");
        let second = kv.put(&ns, "a", "2", PutOptions::default()).await.unwrap();
        assert!(second.version > first.version, "{name}");
        let got = kv.get(&ns, "a").await.unwrap().unwrap();
        assert_eq!((got.value.as_str(), got.version), ("2", second.version), "{name}");
        // Another namespace sees nothing.
        assert_eq!(kv.get(&unique("other"), "a").await.unwrap(), None, "{name}");
        assert!(kv.delete(&ns, "a", None).await.unwrap(), "{name}");
        assert!(!kv.delete(&ns, "a", None).await.unwrap(), "{name}");
        // A key written again after a delete never reuses a version.
        let again = kv.put(&ns, "a", "3", PutOptions::default()).await.unwrap();
        assert!(again.version > second.version, "{name}");
        assert_eq!(kv.usage(&ns).await.unwrap(), (1, 2), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_and_if_absent() {
    for (name, store, _dir) in backends().await {
        let kv = store.kv();
        let ns = unique("cas");
        let absent = PutOptions {
            if_absent: true,
            ..PutOptions::default()
        };
        let made = kv.put(&ns, "k", "a", absent).await.unwrap();
        assert!(made.ok, "{name}");
        let refused = kv.put(&ns, "k", "b", absent).await.unwrap();
        assert_eq!((refused.ok, refused.version), (false, made.version), "{name}");
        let stale = PutOptions {
            if_version: Some(made.version + 100),
            ..PutOptions::default()
        };
        assert!(!kv.put(&ns, "k", "c", stale).await.unwrap().ok, "{name}");
        let fresh = PutOptions {
            if_version: Some(made.version),
            ..PutOptions::default()
        };
        assert!(kv.put(&ns, "k", "d", fresh).await.unwrap().ok, "{name}");
        assert_eq!(kv.get(&ns, "k").await.unwrap().unwrap().value, "d", "{name}");
        // A delete with a stale version keeps the value.
        assert!(!kv.delete(&ns, "k", Some(made.version)).await.unwrap(), "{name}");
        assert!(kv.get(&ns, "k").await.unwrap().is_some(), "{name}");
        // ifVersion on an absent key fails and says version 0.
        let on_absent = kv.put(&ns, "nope", "x", fresh).await.unwrap();
        assert_eq!((on_absent.ok, on_absent.version), (false, 0), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_every_key_once_in_byte_order() {
    for (name, store, _dir) in backends().await {
        let kv = store.kv();
        let ns = unique("list");
        // Byte order: upper case before lower case, 'é' (0xC3..) after 'z'.
        let keys = ["p/B", "p/a", "p/z", "p/é", "p/a/b", "q/x", "o/y"];
        for key in keys {
            kv.put(&ns, key, "v", PutOptions::default()).await.unwrap();
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = kv.list(&ns, "p/", cursor.as_deref(), Some(2)).await.unwrap();
            assert!(page.keys.len() <= 2, "{name}");
            seen.extend(page.keys.into_iter().map(|k| k.key));
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ["p/B", "p/a", "p/a/b", "p/z", "p/é"], "{name}");
        let err = kv.list(&ns, "p/", Some("q/x"), None).await.unwrap_err();
        assert!(matches!(err, StoreError::Kv(KvError::Invalid(_))), "{name}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_expires_and_frees_quota() {
    for (name, store, _dir) in backends().await {
        let limits = KvLimits {
            max_keys: 2,
            ..KvLimits::default()
        };
        let kv = store.kv().with_limits(limits);
        let ns = unique("ttl");
        let short = PutOptions {
            ttl_ms: Some(150),
            ..PutOptions::default()
        };
        let written = kv.put(&ns, "gone", "soon", short).await.unwrap();
        assert!(written.ok, "{name}");
        let entry = kv.get(&ns, "gone").await.unwrap().unwrap();
        assert!(entry.expires_at.is_some(), "{name}");
        kv.put(&ns, "stays", "x", PutOptions::default()).await.unwrap();
        // Full: two keys.
        let err = kv.put(&ns, "third", "x", PutOptions::default()).await.unwrap_err();
        assert!(matches!(err, StoreError::Kv(KvError::Quota(_))), "{name}: {err}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(kv.get(&ns, "gone").await.unwrap(), None, "{name}");
        let page = kv.list(&ns, "", None, None).await.unwrap();
        assert_eq!(page.keys.len(), 1, "{name}");
        // The expired key no longer counts: the third fits, and ifAbsent
        // on the expired key succeeds.
        kv.put(&ns, "third", "x", PutOptions::default()).await.unwrap();
        assert_eq!(kv.usage(&ns).await.unwrap().0, 2, "{name}");
        let bad = PutOptions {
            ttl_ms: Some(0),
            ..PutOptions::default()
        };
        assert!(kv.put(&ns, "z", "x", bad).await.is_err(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_and_bad_keys_are_refused_with_nothing_written() {
    for (name, store, _dir) in backends().await {
        let limits = KvLimits {
            max_bytes: 20,
            max_value_bytes: 16,
            ..KvLimits::default()
        };
        let kv = store.kv().with_limits(limits);
        let ns = unique("quota");
        kv.put(&ns, "a", "0123456789", PutOptions::default()).await.unwrap();
        let err = kv.put(&ns, "b", "0123456789", PutOptions::default()).await.unwrap_err();
        assert!(matches!(err, StoreError::Kv(KvError::Quota(_))), "{name}: {err}");
        assert_eq!(kv.get(&ns, "b").await.unwrap(), None, "{name}");
        // Replacing with a smaller value fits.
        kv.put(&ns, "a", "0", PutOptions::default()).await.unwrap();
        assert_eq!(kv.usage(&ns).await.unwrap(), (1, 2), "{name}");
        let err = kv
            .put(&ns, "c", &"x".repeat(17), PutOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Kv(KvError::TooLarge(_))), "{name}: {err}");
        for key in ["", "a\0b", &"k".repeat(1025)] {
            let err = kv.put(&ns, key, "v", PutOptions::default()).await.unwrap_err();
            assert!(matches!(err, StoreError::Kv(KvError::BadKey(_))), "{name}: {err}");
        }
    }
}

/// Compare-and-swap increments from many concurrent writers sum exactly.
/// On PostgreSQL the writers go through three stores (three pools, as three
/// replicas would).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_compare_and_swap_increments_sum_exactly() {
    let dir = common::tempdir();
    let file = dir.path().join("cas.db");
    let file = file.to_str().unwrap().to_owned();
    let stores: Vec<(&str, Vec<Store>)> = vec![
        (
            "sqlite",
            vec![Store::open(&file).await.unwrap(), Store::open(&file).await.unwrap()],
        ),
        (
            "postgres",
            vec![
                Store::open(&pg_url()).await.unwrap(),
                Store::open(&pg_url()).await.unwrap(),
                Store::open(&pg_url()).await.unwrap(),
            ],
        ),
    ];
    for (name, replicas) in stores {
        let ns = unique("inc");
        const WRITERS: usize = 12;
        const EACH: usize = 15;
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let kv = replicas[writer % replicas.len()].kv();
            let ns = ns.clone();
            tasks.push(tokio::spawn(async move {
                let mut conflicts = 0u32;
                for _ in 0..EACH {
                    loop {
                        let current = kv.get(&ns, "n").await.unwrap();
                        let (value, options) = match current {
                            Some(entry) => (
                                entry.value.parse::<u64>().unwrap() + 1,
                                PutOptions {
                                    if_version: Some(entry.version),
                                    ..PutOptions::default()
                                },
                            ),
                            None => (
                                1,
                                PutOptions {
                                    if_absent: true,
                                    ..PutOptions::default()
                                },
                            ),
                        };
                        if kv.put(&ns, "n", &value.to_string(), options).await.unwrap().ok {
                            break;
                        }
                        conflicts += 1;
                    }
                }
                conflicts
            }));
        }
        let mut conflicts = 0;
        for task in tasks {
            conflicts += task.await.unwrap();
        }
        let total = replicas[0].kv().get(&ns, "n").await.unwrap().unwrap().value;
        assert_eq!(
            total,
            (WRITERS * EACH).to_string(),
            "{name} ({conflicts} conflicts retried)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls_verifies_the_server() {
    let env = common::pg_env();
    let port = &env["ISOBOX_TEST_PG_PORT"];
    let ca = &env["ISOBOX_TEST_PG_CA"];
    let url = format!("postgres://isobox:isobox@localhost:{port}/isobox?sslmode=verify-full&sslrootcert={ca}");
    let store = Store::open(&url).await.expect("TLS with the test CA");
    let ns = unique("tls");
    store
        .kv()
        .put(&ns, "k", "over tls", PutOptions::default())
        .await
        .unwrap();
    assert_eq!(store.kv().get(&ns, "k").await.unwrap().unwrap().value, "over tls");
    // Against the Web PKI roots the test CA is unknown: refused.
    let url = format!("postgres://isobox:isobox@localhost:{port}/isobox?sslmode=require");
    let err = Store::open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    // A wrong password is refused, and the message does not hold it.
    let url = format!("postgres://isobox:hunter2secret@127.0.0.1:{port}/isobox?sslmode=disable");
    let err = Store::open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(!err.to_string().contains("hunter2secret"), "{err}");
    // Over the unix socket.
    let socket = &env["ISOBOX_TEST_PG_SOCKET"];
    let url = format!("postgres://isobox@localhost/isobox?host={socket}&port={port}&sslmode=disable");
    let store = Store::open(&url).await.expect("unix socket");
    assert_eq!(store.kv().get(&ns, "k").await.unwrap().unwrap().value, "over tls");
    let _ = pg_url();
}
