//! Durable runs: journals, exact replay, divergence, approval gates that
//! pause and resume with every side effect done once. Side effects are
//! counted by a real loopback server (`/count`) and a real todo store.

use isobox::capability::TodoStore;
use isobox::egress::EgressPolicy;
use isobox::journal::{Approvals, Decision, Entry, JournalStart, Journaled};
use isobox::{Capability, ErrorKind, RunRequest};
use serde_json::json;

use crate::common::engine;
use crate::upstream::{Upstream, count};

/// Lets the code reach the loopback server; requests of `approval_method`
/// wait for approval.
fn loopback(port: u16, approval_method: Option<&str>) -> EgressPolicy {
    let mut toml = String::new();
    if let Some(method) = approval_method {
        toml.push_str(&format!(
            "[[allow]]\nname = \"payments\"\nhost = \"127.0.0.1\"\nports = [{port}]\nmethods = [\"{method}\"]\napproval = true\n"
        ));
    }
    toml.push_str(&format!("[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"));
    EgressPolicy::from_toml_str(&toml).expect("test policy")
}

/// Code that reads everything a run can get from outside: clocks, random
/// values, timers, a fetch and capability calls.
const EVERYTHING: &str = r#"
const start = performance.now();
const t0 = Date.now();
const bytes = crypto.getRandomValues(new Uint8Array(8));
const r = Math.random();
const uuid = crypto.randomUUID();
const order = [];
await Promise.all([
  new Promise((ok) => setTimeout(() => { order.push('timer'); ok(); }, 5)),
  fetch(input.url).then((res) => res.text()).then((text) => order.push('fetch ' + text)),
  env.todo.add({ title: 'journal ' + uuid.slice(0, 8) }).then((t) => order.push('todo ' + t.title)),
]);
console.log('took', performance.now() - start >= 0);
return { t0, bytes: [...bytes], r, uuid, order, counts: await env.todo.counts() };
"#;

fn everything(url: String, todos: &TodoStore) -> RunRequest {
    RunRequest::new(EVERYTHING)
        .with_input(json!({ "url": url }))
        .grant("todo", Capability::todo(todos.clone()))
}

#[tokio::test]
async fn a_journaled_run_replays_offline_to_the_same_outcome_without_side_effects() {
    let upstream = Upstream::http();
    let url = format!("http://127.0.0.1:{}/count?key=journal-replay", upstream.port());
    let todos = TodoStore::shared();
    let request = || everything(url.clone(), &todos).with_egress(loopback(upstream.port(), None));
    let first = engine().run_journaled(request(), JournalStart::Record).await;
    let value = first.outcome.result.clone().expect("the recorded run");
    assert_eq!(count("journal-replay"), 1);
    let kinds = |j: &Journaled, f: fn(&Entry) -> bool| j.journal.entries.iter().filter(|e| f(e)).count();
    assert!(
        kinds(&first, |e| matches!(e, Entry::Random { .. })) >= 2,
        "{:?}",
        first.journal.entries
    );
    assert_eq!(kinds(&first, |e| matches!(e, Entry::Fetch { .. })), 1);
    assert!(kinds(&first, |e| matches!(e, Entry::Call { .. })) >= 2);
    assert!(kinds(&first, |e| matches!(e, Entry::Poll { .. })) >= 1);

    // Through JSON, as a store keeps it.
    let text = serde_json::to_string(&first.journal).unwrap();
    let journal = isobox::journal::Journal::from_json(&text).expect("reads back");
    assert_eq!(journal, first.journal);

    for _ in 0..2 {
        let again = engine()
            .run_journaled(request(), JournalStart::Replay(journal.clone()))
            .await;
        assert_eq!(again.outcome.result, Ok(value.clone()), "{:?}", again.outcome.result);
        assert_eq!(again.outcome.logs, first.outcome.logs);
        assert_eq!(again.journal.entries, first.journal.entries);
    }
    // Nothing happened again: no request, no todo.
    assert_eq!(count("journal-replay"), 1);
    assert_eq!(value["counts"], json!([1, 0]));
    let after = engine()
        .run(RunRequest::new("await env.todo.counts()").grant("todo", Capability::todo(todos.clone())))
        .await;
    assert_eq!(after.result, Ok(json!([1, 0])));
}

#[tokio::test]
async fn a_replay_that_differs_fails_with_a_clear_message() {
    let todos = TodoStore::shared();
    let code = "const a = Math.random(); await env.todo.counts(); return [a, Date.now() > 0]";
    let request = |code: &str| RunRequest::new(code).grant("todo", Capability::todo(todos.clone()));
    let first = engine().run_journaled(request(code), JournalStart::Record).await;
    assert!(first.outcome.is_ok(), "{:?}", first.outcome.result);

    // Other code, input or grants: refused before anything runs.
    let changed = engine()
        .run_journaled(request("return 1"), JournalStart::Replay(first.journal.clone()))
        .await;
    let error = changed.outcome.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::ReplayDiverged);
    assert!(error.message.contains("the code"), "{error:?}");
    let input = engine()
        .run_journaled(
            request(code).with_input(json!(1)),
            JournalStart::Replay(first.journal.clone()),
        )
        .await;
    assert!(input.outcome.result.unwrap_err().message.contains("the input"));
    let grants = engine()
        .run_journaled(RunRequest::new(code), JournalStart::Replay(first.journal.clone()))
        .await;
    assert!(grants.outcome.result.unwrap_err().message.contains("grants"));

    // A journal that answers something else mid-run: diverges there.
    let mut tampered = first.journal.clone();
    let position = tampered
        .entries
        .iter()
        .position(|e| matches!(e, Entry::Call { .. }))
        .expect("a call");
    tampered.entries[position] = Entry::Call {
        binding: "todo".into(),
        method: "list".into(),
        args: "00".into(),
        done: None,
    };
    let diverged = engine()
        .run_journaled(request(code), JournalStart::Replay(tampered))
        .await;
    let error = diverged.outcome.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::ReplayDiverged, "{error:?}");
    assert!(
        error.message.contains("env.todo.counts") && error.message.contains("env.todo.list"),
        "{error:?}"
    );

    // A journal cut short: an exact replay has nothing live to fall back on.
    let mut short = first.journal.clone();
    short.entries.truncate(1);
    let cut = engine().run_journaled(request(code), JournalStart::Replay(short)).await;
    let error = cut.outcome.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::ReplayDiverged);
    assert!(error.message.contains("the journal ended"), "{error:?}");
}

const PAYOUT: &str = r#"
const before = await fetch(input.base + '/count?key=' + input.key + '-read').then((r) => r.text());
const open = (await env.todo.counts())[0];
let sent;
try {
  sent = await env.todo.add({ title: 'pay ' + input.amount });
} catch (e) {
  return { rejected: e.name, message: e.message, before, open };
}
const after = await fetch(input.base + '/count?key=' + input.key + '-after').then((r) => r.text());
return { sent: sent.title, before, after, open, at: Date.now() > 0 };
"#;

fn payout(upstream: &Upstream, key: &str, todos: &TodoStore) -> RunRequest {
    RunRequest::new(PAYOUT)
        .with_input(json!({ "base": format!("http://127.0.0.1:{}", upstream.port()), "key": key, "amount": 120 }))
        .grant("todo", Capability::todo(todos.clone()))
        .with_egress(loopback(upstream.port(), None))
        .with_approvals(Approvals::new().method("todo", "add"))
}

#[tokio::test]
async fn an_approved_gate_resumes_the_run_with_every_side_effect_done_once() {
    let upstream = Upstream::http();
    let todos = TodoStore::shared();
    let paused = engine()
        .run_journaled(payout(&upstream, "approve", &todos), JournalStart::Record)
        .await;
    let error = paused.outcome.result.clone().unwrap_err();
    assert_eq!(error.kind, ErrorKind::PendingApproval, "{error:?}");
    assert!(error.message.contains("env.todo.add"), "{error:?}");
    let pending = paused.pending();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].describe(), r#"env.todo.add({"title":"pay 120"})"#);
    assert!(paused.journal.paused);
    assert_eq!(count("approve-read"), 1);
    assert_eq!(count("approve-after"), 0);

    // Resuming without a decision is refused.
    let undecided = engine()
        .run_journaled(
            payout(&upstream, "approve", &todos),
            JournalStart::Resume(paused.journal.clone()),
        )
        .await;
    assert!(
        undecided
            .outcome
            .result
            .unwrap_err()
            .message
            .contains("has no decision")
    );

    // Through JSON, as a store keeps it between processes.
    let mut journal = isobox::journal::Journal::from_json(&serde_json::to_string(&paused.journal).unwrap()).unwrap();
    assert_eq!(journal.decide(&Decision::Approved { by: Some("ada".into()) }), 1);
    let done = engine()
        .run_journaled(payout(&upstream, "approve", &todos), JournalStart::Resume(journal))
        .await;
    let value = done.outcome.result.clone().expect("the resumed run");
    assert_eq!(value["sent"], json!("pay 120"));
    assert_eq!(
        value["before"],
        json!("1"),
        "the first request's answer came from the journal"
    );
    assert_eq!(value["after"], json!("1"));
    assert_eq!(value["open"], json!(0));
    assert_eq!((count("approve-read"), count("approve-after")), (1, 1));
    let store = engine()
        .run(RunRequest::new("await env.todo.counts()").grant("todo", Capability::todo(todos.clone())))
        .await;
    assert_eq!(store.result, Ok(json!([1, 0])), "the todo was added once");
    assert!(!done.journal.paused);
    assert!(matches!(
        done.journal.entries.iter().find(|e| matches!(e, Entry::Gate { .. })),
        Some(Entry::Gate { executed: true, decision: Some(d), .. }) if d.is_approved()
    ));

    // The finished run replays exactly, offline, doing nothing again.
    let replay = engine()
        .run_journaled(
            payout(&upstream, "approve", &todos),
            JournalStart::Replay(done.journal.clone()),
        )
        .await;
    assert_eq!(replay.outcome.result, Ok(value));
    assert_eq!((count("approve-read"), count("approve-after")), (1, 1));
    let store = engine()
        .run(RunRequest::new("await env.todo.counts()").grant("todo", Capability::todo(todos.clone())))
        .await;
    assert_eq!(store.result, Ok(json!([1, 0])));

    // And the paused journal replays to the same pause.
    let again = engine()
        .run_journaled(
            payout(&upstream, "approve", &todos),
            JournalStart::Replay(paused.journal.clone()),
        )
        .await;
    assert_eq!(again.outcome.error_kind(), Some(ErrorKind::PendingApproval));
    assert_eq!(again.pending().len(), 1);
}

#[tokio::test]
async fn a_rejected_gate_rejects_the_call_in_the_code_with_a_typed_error() {
    let upstream = Upstream::http();
    let todos = TodoStore::shared();
    let paused = engine()
        .run_journaled(payout(&upstream, "reject", &todos), JournalStart::Record)
        .await;
    assert_eq!(paused.outcome.error_kind(), Some(ErrorKind::PendingApproval));
    let mut journal = paused.journal;
    journal.decide(&Decision::reject("over the limit"));
    let done = engine()
        .run_journaled(payout(&upstream, "reject", &todos), JournalStart::Resume(journal))
        .await;
    let value = done.outcome.result.expect("the resumed run");
    assert_eq!(value["rejected"], json!("ApprovalRejectedError"));
    let message = value["message"].as_str().unwrap();
    assert!(
        message.contains("env.todo.add") && message.contains("over the limit"),
        "{message}"
    );
    assert_eq!((count("reject-read"), count("reject-after")), (1, 0));
    let store = engine()
        .run(RunRequest::new("await env.todo.counts()").grant("todo", Capability::todo(todos.clone())))
        .await;
    assert_eq!(store.result, Ok(json!([0, 0])));
}

#[tokio::test]
async fn an_egress_rule_marked_approval_holds_the_request_until_approved() {
    let upstream = Upstream::http();
    let code = r#"
        const read = await fetch(input.base + '/count?key=gate-fetch-read').then((r) => r.text());
        const paid = await fetch(input.base + '/count?key=gate-fetch-pay', { method: 'POST' }).then((r) => r.text());
        return [read, paid];
    "#;
    let base = format!("http://127.0.0.1:{}", upstream.port());
    let request = || {
        RunRequest::new(code)
            .with_input(json!({ "base": base }))
            .with_egress(loopback(upstream.port(), Some("POST")))
    };
    // A plain run cannot pause: the request is refused, nothing is sent.
    let plain = engine().run(request()).await;
    let error = plain.result.unwrap_err();
    assert!(error.message.contains("asks for approval"), "{error:?}");
    assert_eq!(count("gate-fetch-pay"), 0);

    let reads = count("gate-fetch-read");
    let paused = engine().run_journaled(request(), JournalStart::Record).await;
    assert_eq!(
        paused.outcome.error_kind(),
        Some(ErrorKind::PendingApproval),
        "{:?}",
        paused.outcome.result
    );
    let pending = paused.pending();
    assert_eq!(pending.len(), 1);
    assert!(
        pending[0].describe().starts_with("POST http://127.0.0.1"),
        "{pending:?}"
    );
    assert_eq!((count("gate-fetch-read"), count("gate-fetch-pay")), (reads + 1, 0));
    let mut journal = paused.journal;
    journal.decide(&Decision::approve());
    let done = engine().run_journaled(request(), JournalStart::Resume(journal)).await;
    assert_eq!(done.outcome.result, Ok(json!([(reads + 1).to_string(), "1"])));
    assert_eq!((count("gate-fetch-read"), count("gate-fetch-pay")), (reads + 1, 1));
}

#[tokio::test]
async fn gates_need_a_journaled_run_and_the_journal_is_bounded() {
    let todos = TodoStore::shared();
    let gated = RunRequest::new("await env.todo.counts()")
        .grant("todo", Capability::todo(todos.clone()))
        .with_approvals(Approvals::new().capability("todo"));
    let refused = engine().run(gated).await;
    let error = refused.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(error.message.contains("run_journaled"), "{error:?}");

    let big = RunRequest::new("for (let i = 0; i < 2000; i++) crypto.getRandomValues(new Uint8Array(64)); 1")
        .with_approvals(Approvals::new().max_journal_bytes(16 * 1024));
    let stopped = engine().run_journaled(big, JournalStart::Record).await;
    let error = stopped.outcome.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::JournalLimit, "{error:?}");
}
