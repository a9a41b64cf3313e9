//! Run history and snippets on every backend.

mod common;

use isobox_store::StoreError;
use isobox_store::runs::{RunRecord, Snippet};

fn record(ns: &str, id: &str, created_ms: i64, status: &str) -> RunRecord {
    RunRecord {
        ns: ns.into(),
        id: id.into(),
        status: status.into(),
        created_ms,
        updated_ms: created_ms,
        code_sha256: "c".into(),
        summary: "{}".into(),
        request: "{}".into(),
        outcome: None,
        journal: Some("{\"entries\":[]}".into()),
    }
}

#[tokio::test]
async fn runs_are_kept_listed_newest_first_claimed_once_and_pruned() {
    for (backend, store, _dir) in common::backends().await {
        let runs = store.runs();
        let ns = common::unique("runs");
        for (i, status) in ["ok", "pending-approval", "error", "ok"].iter().enumerate() {
            runs.put(record(&ns, &format!("r{i}"), 1000 + i as i64, status))
                .await
                .unwrap();
        }
        let ids = |list: Vec<isobox_store::runs::RunSummary>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(runs.list(&ns, None, None, 10).await.unwrap()),
            ["r3", "r2", "r1", "r0"],
            "{backend}"
        );
        assert_eq!(ids(runs.list(&ns, None, Some(1002), 10).await.unwrap()), ["r1", "r0"]);
        assert_eq!(
            ids(runs.list(&ns, Some("pending-approval"), None, 10).await.unwrap()),
            ["r1"]
        );
        assert!(runs.list("other-ns", None, None, 10).await.unwrap().is_empty());
        let got = runs.get(&ns, "r1").await.unwrap().unwrap();
        assert_eq!(got.journal.as_deref(), Some("{\"entries\":[]}"));
        assert!(runs.get("other-ns", "r1").await.unwrap().is_none());

        // A newer state of a run replaces the old one.
        let mut newer = record(&ns, "r0", 1000, "error");
        newer.outcome = Some("{\"ok\":false}".into());
        runs.put(newer).await.unwrap();
        assert_eq!(
            runs.get(&ns, "r0").await.unwrap().unwrap().outcome.as_deref(),
            Some("{\"ok\":false}")
        );

        // Only one claimer wins.
        assert!(
            runs.claim(&ns, "r1", "pending-approval", "resuming").await.unwrap(),
            "{backend}"
        );
        assert!(!runs.claim(&ns, "r1", "pending-approval", "resuming").await.unwrap());

        // Keep the newest two finished runs of each namespace; a resuming
        // run stays whatever its age.
        runs.prune(0, 2).await.unwrap();
        assert_eq!(
            ids(runs.list(&ns, None, None, 10).await.unwrap()),
            ["r3", "r2", "r1"],
            "{backend}"
        );
        runs.prune(i64::MAX, 100).await.unwrap();
        assert_eq!(ids(runs.list(&ns, None, None, 10).await.unwrap()), ["r1"]);
    }
}

#[tokio::test]
async fn snippets_are_saved_by_name_and_checked() {
    for (backend, store, _dir) in common::backends().await {
        let runs = store.runs();
        let ns = common::unique("snippets");
        let snippet = Snippet {
            name: "sum-orders".into(),
            description: "Sums the open orders".into(),
            input_schema: "{\"type\":\"object\"}".into(),
            code: "return 1".into(),
            created_ms: 1,
            updated_ms: 1,
        };
        runs.put_snippet(&ns, snippet.clone()).await.unwrap();
        assert_eq!(
            runs.snippet(&ns, "sum-orders").await.unwrap(),
            Some(snippet.clone()),
            "{backend}"
        );
        assert!(runs.snippet("other-ns", "sum-orders").await.unwrap().is_none());
        assert_eq!(runs.snippets(&ns).await.unwrap().len(), 1);
        let bad = Snippet {
            name: "../x".into(),
            ..snippet.clone()
        };
        assert!(matches!(runs.put_snippet(&ns, bad).await, Err(StoreError::Config(_))));
        assert!(runs.delete_snippet(&ns, "sum-orders").await.unwrap());
        assert!(!runs.delete_snippet(&ns, "sum-orders").await.unwrap());
    }
}
