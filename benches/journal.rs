//! Durable runs, measured (`make bench-journal`): what journaling adds per
//! capability call and per `fetch()`, and how long resuming a paused run
//! with 100 journaled calls takes. Plain and journaled runs of the same code
//! alternate in one process, so their difference and ratio are the figures
//! to quote; each is the median of ROUNDS rounds.

use std::time::{Duration, Instant};

use isobox::capability::TodoStore;
use isobox::egress::EgressPolicy;
use isobox::journal::{Approvals, Decision, JournalStart};
use isobox::{Capability, Engine, RunRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROUNDS: usize = 9;
const CALLS: usize = 1000;
const FETCHES: usize = 200;

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// A loopback HTTP/1.1 server answering every request with `hello`, with
/// keep-alive.
async fn upstream() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                        buffer.drain(..end + 4);
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello";
                        if socket.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    port
}

fn check(outcome: &isobox::Outcome) {
    if let Err(error) = &outcome.result {
        panic!("the bench's run failed: {error}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let engine = Engine::builder().build().await.expect("the engine");
    let todos = TodoStore::shared();
    let calls = format!(
        "async (input, env) => {{ let n = 0; for (let i = 0; i < {CALLS}; i++) n += (await env.todo.counts())[0]; return n }}"
    );
    let call_request = || RunRequest::new(calls.as_str()).grant("todo", Capability::todo(todos.clone()));

    let port = upstream().await;
    let policy = EgressPolicy::from_toml_str(&format!(
        "[limits]\nmax_requests = 1000\n[[allow]]\nhost = \"127.0.0.1\"\nports = [{port}]\n"
    ))
    .expect("policy");
    let fetches = format!(
        "async () => {{ let n = 0; for (let i = 0; i < {FETCHES}; i++) n += (await (await fetch('http://127.0.0.1:{port}/x')).text()).length; return n }}"
    );
    let fetch_request = || RunRequest::new(fetches.as_str()).with_egress(policy.clone());

    // Warm the bytecode cache and the connection paths.
    check(&engine.run(call_request()).await);
    check(
        &engine
            .run_journaled(fetch_request(), JournalStart::Record)
            .await
            .outcome,
    );

    let (mut plain_calls, mut journaled_calls, mut plain_fetches, mut journaled_fetches) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut journal_bytes = (0, 0);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        check(&engine.run(call_request()).await);
        plain_calls.push(start.elapsed());
        let start = Instant::now();
        let journaled = engine.run_journaled(call_request(), JournalStart::Record).await;
        journaled_calls.push(start.elapsed());
        check(&journaled.outcome);
        journal_bytes.0 = serde_json::to_vec(&journaled.journal).map_or(0, |v| v.len());

        let start = Instant::now();
        check(&engine.run(fetch_request()).await);
        plain_fetches.push(start.elapsed());
        let start = Instant::now();
        let journaled = engine.run_journaled(fetch_request(), JournalStart::Record).await;
        journaled_fetches.push(start.elapsed());
        check(&journaled.outcome);
        journal_bytes.1 = serde_json::to_vec(&journaled.journal).map_or(0, |v| v.len());
    }
    let per = |journaled: Duration, plain: Duration, n: usize| {
        (journaled.as_secs_f64() - plain.as_secs_f64()) / n as f64 * 1e6
    };
    let (pc, jc) = (median(plain_calls), median(journaled_calls));
    let (pf, jf) = (median(plain_fetches), median(journaled_fetches));
    println!("isobox journal bench: medians of {ROUNDS} rounds, plain and journaled runs alternating in one process");
    println!(
        "  {CALLS} capability calls (env.todo.counts): plain {:.2} ms, journaled {:.2} ms (x{:.2}): {:+.2} us per call; journal {} bytes",
        pc.as_secs_f64() * 1e3,
        jc.as_secs_f64() * 1e3,
        jc.as_secs_f64() / pc.as_secs_f64(),
        per(jc, pc, CALLS),
        journal_bytes.0
    );
    println!(
        "  {FETCHES} fetches (loopback, 5-byte body): plain {:.2} ms, journaled {:.2} ms (x{:.2}): {:+.2} us per fetch; journal {} bytes",
        pf.as_secs_f64() * 1e3,
        jf.as_secs_f64() * 1e3,
        jf.as_secs_f64() / pf.as_secs_f64(),
        per(jf, pf, FETCHES),
        journal_bytes.1
    );

    // A run that makes 100 calls, then one that needs approval: the time to
    // resume it (replaying the 100, then the approved call live) against
    // the same code run plainly (no gate) and an exact offline replay.
    let gated = "async (input, env) => { let n = 0; for (let i = 0; i < 100; i++) n += (await env.todo.counts())[0]; \
                 await env.todo.add({ title: 'approved' }); return n }";
    let gated_request = || {
        RunRequest::new(gated)
            .grant("todo", Capability::todo(TodoStore::shared()))
            .with_approvals(Approvals::new().method("todo", "add"))
    };
    let plain_request = || RunRequest::new(gated).grant("todo", Capability::todo(TodoStore::shared()));
    let (mut resumes, mut plains, mut replays) = (Vec::new(), Vec::new(), Vec::new());
    let mut entries = 0;
    for _ in 0..ROUNDS {
        let paused = engine.run_journaled(gated_request(), JournalStart::Record).await;
        assert_eq!(paused.outcome.error_kind(), Some(isobox::ErrorKind::PendingApproval));
        let mut journal = paused.journal;
        entries = journal.entries.len();
        journal.decide(&Decision::approve());
        let start = Instant::now();
        let done = engine
            .run_journaled(gated_request(), JournalStart::Resume(journal))
            .await;
        resumes.push(start.elapsed());
        check(&done.outcome);
        let start = Instant::now();
        check(&engine.run(plain_request()).await);
        plains.push(start.elapsed());
        let start = Instant::now();
        let again = engine
            .run_journaled(gated_request(), JournalStart::Replay(done.journal))
            .await;
        replays.push(start.elapsed());
        check(&again.outcome);
    }
    let (resume, plain, replay) = (median(resumes), median(plains), median(replays));
    println!(
        "  resume after approval, 100 journaled calls ({entries} journal entries): {:.2} ms; the same code run plainly {:.2} ms (x{:.2}); exact offline replay of the finished run {:.2} ms",
        resume.as_secs_f64() * 1e3,
        plain.as_secs_f64() * 1e3,
        resume.as_secs_f64() / plain.as_secs_f64(),
        replay.as_secs_f64() * 1e3
    );
}
