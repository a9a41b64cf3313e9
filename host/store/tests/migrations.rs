//! Schema migrations on both SQL backends: a fresh database gets every
//! one, a second open applies none, and a database from a newer isobox is
//! refused before anything is written to it.

mod common;

use common::{pg_env, unique};
use isobox_store::{SCHEMA_VERSION, Store, StoreError};

async fn fresh_postgres_database() -> String {
    let base = &pg_env()["ISOBOX_TEST_PG_URL"];
    let (client, connection) = tokio_postgres::connect(&format!("{base}?sslmode=disable"), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let name = unique("migrate").replace('-', "_");
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{name}?sslmode=disable")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_databases_are_migrated_once_and_newer_ones_refused() {
    let dir = common::tempdir();
    let file = dir.path().join("m.db").to_str().unwrap().to_owned();
    for location in [file, fresh_postgres_database().await] {
        let store = Store::open(&location).await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION, "{location}");
        store.kv().put("ns", "k", "v", Default::default()).await.unwrap();
        drop(store);
        // Opening again (two at once, as replicas starting together would)
        // keeps the data and applies nothing twice.
        let (one, two) = tokio::join!(Store::open(&location), Store::open(&location));
        let (one, _two) = (one.unwrap(), two.unwrap());
        assert_eq!(one.kv().get("ns", "k").await.unwrap().unwrap().value, "v", "{location}");
        assert_eq!(one.schema_version().await.unwrap(), SCHEMA_VERSION, "{location}");
        drop(one);
        // A newer isobox's schema is refused.
        mark_newer(&location).await;
        let err = Store::open(&location).await.unwrap_err();
        assert!(matches!(err, StoreError::Schema(_)), "{location}: {err}");
        assert!(err.to_string().contains("newer"), "{err}");
    }
}

async fn mark_newer(location: &str) {
    let sql = format!(
        "INSERT INTO isobox_schema (version, name, applied_at) VALUES ({}, 'from the future', 0)",
        SCHEMA_VERSION + 1
    );
    if location.starts_with("postgres://") {
        let (client, connection) = tokio_postgres::connect(location, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.batch_execute(&sql).await.unwrap();
    } else {
        rusqlite::Connection::open(location)
            .unwrap()
            .execute_batch(&sql)
            .unwrap();
    }
}
