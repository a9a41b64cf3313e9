//! Many runs at once on a multi-thread runtime: each gets its own result
//! and its own console, and slow runs do not hold fast ones back.

use std::time::Duration;

use isobox::{ErrorKind, Limits, RunRequest};
use serde_json::json;

use crate::common::{assert_engine_healthy, engine};

const CODE: &str = "async (input) => {\n  console.log('run ' + input.n);\n  await null;\n  let sum = 0;\n  for (let i = 0; i <= input.n; i++) sum += i;\n  return { n: input.n, sum, tag: input.tag.toUpperCase() };\n}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_runs_each_get_their_own_result() {
    let handles: Vec<_> = (0..200u64)
        .map(|n| {
            let request = RunRequest::new(CODE).with_input(json!({ "n": n, "tag": format!("t{n}") }));
            tokio::spawn(async move { engine().run(request).await })
        })
        .collect();
    for (n, handle) in handles.into_iter().enumerate() {
        let outcome = handle.await.expect("the task panicked");
        let messages: Vec<_> = outcome.logs.entries.iter().map(|e| e.message.clone()).collect();
        assert_eq!(messages, [format!("run {n}")], "run {n} got another run's logs");
        let n = n as u64;
        let expected = json!({ "n": n, "sum": n * (n + 1) / 2, "tag": format!("T{n}") });
        assert_eq!(outcome.result, Ok(expected), "run {n}");
    }
    assert_engine_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_do_not_see_each_others_globals() {
    let code = "(input) => { const before = typeof globalThis.shared; globalThis.shared = input; return [before, globalThis.shared] }";
    let handles: Vec<_> = (0..50)
        .map(|n| {
            let request = RunRequest::new(code).with_input(json!(n));
            tokio::spawn(async move { engine().run(request).await })
        })
        .collect();
    for (n, handle) in handles.into_iter().enumerate() {
        let outcome = handle.await.expect("the task panicked");
        assert_eq!(outcome.result, Ok(json!(["undefined", n])), "run {n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_successes_mix_concurrently() {
    let spin = Limits {
        wall_time: Duration::from_millis(300),
        fuel: 1_000_000_000_000_000,
        ..Limits::default()
    };
    let handles: Vec<_> = (0..60u64)
        .map(|n| {
            let spins = n % 3 == 0;
            let request = if spins {
                RunRequest::new("while (true) {}").with_limits(spin.clone())
            } else {
                RunRequest::new("(input) => input * 2").with_input(json!(n))
            };
            tokio::spawn(async move { (n, spins, engine().run(request).await) })
        })
        .collect();
    let (mut timed_out, mut succeeded) = (0, 0);
    for handle in handles {
        let (n, spins, outcome) = handle.await.expect("the task panicked");
        if spins {
            assert_eq!(
                outcome.error_kind(),
                Some(ErrorKind::Timeout),
                "run {n}: {:?}",
                outcome.result
            );
            assert!(
                outcome.stats.wall_time_us < 300_000 + 5_000_000,
                "run {n} took {} us",
                outcome.stats.wall_time_us
            );
            timed_out += 1;
        } else {
            assert_eq!(outcome.result, Ok(json!(n * 2)), "run {n}");
            succeeded += 1;
        }
    }
    assert_eq!((timed_out, succeeded), (20, 40));
    assert_engine_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_runs_finish_while_slow_runs_spin() {
    let spin = Limits {
        wall_time: Duration::from_secs(3),
        fuel: 1_000_000_000_000_000,
        ..Limits::default()
    };
    let slow: Vec<_> = (0..4)
        .map(|_| {
            let request = RunRequest::new("while (true) {}").with_limits(spin.clone());
            tokio::spawn(async move { engine().run(request).await })
        })
        .collect();
    // Give the spinning runs time to start and occupy both workers.
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Spawned too, so it competes with the spinning runs for the workers.
    let (fast, fast_elapsed) = tokio::spawn(async {
        let started = std::time::Instant::now();
        let outcome = engine().run(RunRequest::new("40 + 2")).await;
        (outcome, started.elapsed())
    })
    .await
    .expect("the task panicked");
    assert_eq!(fast.result, Ok(json!(42)));
    assert!(
        fast_elapsed < Duration::from_secs(2),
        "a fast run waited {fast_elapsed:?} behind spinning runs"
    );
    for handle in slow {
        assert_eq!(
            handle.await.expect("the task panicked").error_kind(),
            Some(ErrorKind::Timeout)
        );
    }
}
