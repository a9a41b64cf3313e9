//! Every run starts from the pristine snapshot: nothing one run changes is
//! seen by the next.

use std::time::Duration;

use isobox::{ErrorKind, Limits};
use serde_json::json;

use crate::common::{err, ok, run, run_limited};

/// Checks, in a fresh run, every global the pollution runs below change.
const PRISTINE_CHECK: &str = r#"
({
  objectProto: Object.prototype.polluted === undefined && !('polluted' in {}),
  arrayProto: [].evil === undefined && [1, 2].map((x) => x * 2).join() === '2,4',
  newGlobal: typeof leaked === 'undefined' && !('leaked' in globalThis),
  stringify: JSON.stringify({ a: [1] }) === '{"a":[1]}',
  consoleLog: (console.log('probe'), console.log.toString().indexOf('hijacked') === -1),
  random: Math.random() !== 4 && typeof Math.random() === 'number',
  moduleLet: typeof counter === 'undefined',
  varGlobal: typeof declaredVar === 'undefined',
})
"#;

async fn assert_pristine() {
    assert_pristine_in(&crate::common::engine()).await;
}

async fn assert_pristine_in(engine: &isobox::Engine) {
    let outcome = engine.run(isobox::RunRequest::new(PRISTINE_CHECK)).await;
    let messages: Vec<_> = outcome.logs.entries.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["probe"], "console.log is not captured as usual");
    let value = ok(outcome);
    let expected = json!({
        "objectProto": true, "arrayProto": true, "newGlobal": true, "stringify": true,
        "consoleLog": true, "random": true, "moduleLet": true, "varGlobal": true,
    });
    assert_eq!(value, expected, "a previous run's change is visible");
}

const POLLUTE: &str = r#"
Object.prototype.polluted = 'yes';
Array.prototype.evil = 'yes';
Array.prototype.map = function () { return ['hijacked']; };
globalThis.leaked = 1;
JSON.stringify = function () { return '"hijacked"'; };
console.log = function () { /* hijacked */ };
Math.random = () => 4;
let counter = 1;
var declaredVar = 2;
"#;

#[tokio::test]
async fn the_polluting_run_sees_its_own_changes() {
    // Proves the pollution takes effect, so the pristine check is meaningful.
    let code = format!(
        "{POLLUTE}\n[({{}}).polluted, [].evil, typeof leaked, JSON.stringify(1), Math.random(), counter, [1].map(x => x)[0]]"
    );
    assert_eq!(
        ok(run(&code).await),
        json!(["yes", "yes", "number", "\"hijacked\"", 4, 1, "hijacked"])
    );
}

#[tokio::test]
async fn polluted_built_ins_and_globals_are_pristine_in_the_next_run() {
    let code = format!("{POLLUTE}\n'polluted'");
    assert_eq!(ok(run(&code).await), json!("polluted"));
    assert_pristine().await;
}

#[tokio::test]
async fn runs_stay_pristine_while_slots_settle_and_shed_their_pages() {
    // Enough runs for the slots they use to settle and then shed their pages
    // (one settled run in 256 does, pages.rs, counted across the process)
    // with pollution on both sides of each shed: whatever the teardown does
    // to a slot's pages, the next run reads the snapshot. Sandboxes are not
    // recycled here, so that every run's Store is torn down.
    let engine = isobox::Engine::builder()
        .recycle_sandboxes(false)
        .build()
        .await
        .expect("an engine that does not recycle");
    let code = format!("{POLLUTE}\n'polluted'");
    let shed_before = isobox::bench::pages_shed();
    for _ in 0..300 {
        assert_eq!(
            ok(engine.run(isobox::RunRequest::new(code.as_str())).await),
            json!("polluted")
        );
        assert_pristine_in(&engine).await;
    }
    assert_eq!(engine.sandboxes_recycled(), 0);
    if cfg!(target_os = "linux") {
        assert!(
            isobox::bench::pages_shed() > shed_before,
            "no slot shed its pages in 600 runs"
        );
    }
}

#[tokio::test]
async fn a_hijacked_console_log_does_not_affect_the_next_run() {
    ok(run("console.log = () => {}; console.log('lost'); 1").await);
    let outcome = run("console.log('kept'); 1").await;
    assert_eq!(outcome.logs.entries.len(), 1);
    assert_eq!(outcome.logs.entries[0].message, "kept");
}

#[tokio::test]
async fn a_module_level_let_is_gone_in_the_next_run() {
    assert_eq!(
        ok(run("export let counter = 41;\nexport default () => ++counter;").await),
        json!(42)
    );
    assert_eq!(ok(run("typeof counter").await), json!("undefined"));
}

#[tokio::test]
async fn pollution_by_a_run_that_timed_out_does_not_survive() {
    let limits = Limits {
        wall_time: Duration::from_millis(100),
        fuel: 1_000_000_000_000_000,
        ..Limits::default()
    };
    let code = format!("{POLLUTE}\nwhile (true) {{}}");
    assert_eq!(err(run_limited(&code, limits).await).kind, ErrorKind::Timeout);
    assert_pristine().await;
}

#[tokio::test]
async fn pollution_by_a_run_that_threw_does_not_survive() {
    let code = format!("{POLLUTE}\nthrow new Error('after polluting')");
    assert_eq!(err(run(&code).await).kind, ErrorKind::JsError);
    assert_pristine().await;
}

#[tokio::test]
async fn math_random_is_reseeded_per_run() {
    let first = ok(run("[Math.random(), Math.random()]").await);
    let second = ok(run("[Math.random(), Math.random()]").await);
    assert_ne!(first, second, "two runs drew the same random numbers");
    assert_ne!(first[0], second[0], "two runs' first Math.random() values are equal");
    for value in [&first[0], &first[1], &second[0], &second[1]] {
        let x = value.as_f64().expect("a number");
        assert!((0.0..1.0).contains(&x), "Math.random() gave {x}");
    }
}

#[tokio::test]
async fn math_random_first_values_differ_across_many_runs() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..10 {
        let value = ok(run("Math.random()").await);
        seen.insert(value.to_string());
    }
    assert_eq!(seen.len(), 10, "first Math.random() repeated across runs: {seen:?}");
}

/// An engine with one warm sandbox, given time after each run to make the
/// next, so the runs below take spares.
async fn warm_engine() -> isobox::Engine {
    isobox::Engine::builder()
        .warm_sandboxes(1)
        .build()
        .await
        .expect("building an engine with a warm sandbox")
}

async fn settle_spares() {
    tokio::time::sleep(Duration::from_millis(30)).await;
}

#[tokio::test]
async fn warm_sandboxes_start_pristine_after_polluting_runs() {
    let engine = warm_engine().await;
    for _ in 0..10 {
        settle_spares().await;
        let polluted = engine.run(isobox::RunRequest::new(format!("{POLLUTE}\n1"))).await;
        assert!(polluted.result.is_ok(), "{:?}", polluted.result);
        settle_spares().await;
        let outcome = engine.run(isobox::RunRequest::new(PRISTINE_CHECK)).await;
        let messages: Vec<_> = outcome.logs.entries.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["probe"], "a warm sandbox's console is not its run's");
        assert_eq!(
            ok(outcome),
            json!({
                "objectProto": true, "arrayProto": true, "newGlobal": true, "stringify": true,
                "consoleLog": true, "random": true, "moduleLet": true, "varGlobal": true,
            }),
            "a previous run's change is visible in a warm sandbox"
        );
    }
}

#[tokio::test]
async fn warm_sandboxes_take_each_runs_own_limits() {
    let engine = warm_engine().await;
    let limited = |code: &str, limits: Limits| isobox::RunRequest::new(code).with_limits(limits);
    for _ in 0..3 {
        settle_spares().await;
        let memory = Limits {
            memory_bytes: 16 * 1024 * 1024,
            ..Limits::default()
        };
        let outcome = engine
            .run(limited(
                "const a = []; for (;;) a.push(new Array(1e5).fill(1)); 1",
                memory,
            ))
            .await;
        assert_eq!(
            outcome.error_kind(),
            Some(ErrorKind::MemoryLimit),
            "{:?}",
            outcome.result
        );

        settle_spares().await;
        let time = Limits {
            wall_time: Duration::from_millis(200),
            fuel: 1_000_000_000_000,
            ..Limits::default()
        };
        let outcome = engine.run(limited("while (true) {}", time)).await;
        assert_eq!(outcome.error_kind(), Some(ErrorKind::Timeout), "{:?}", outcome.result);

        settle_spares().await;
        let fuel = Limits {
            fuel: 1_000_000,
            ..Limits::default()
        };
        let outcome = engine.run(limited("while (true) {}", fuel)).await;
        assert_eq!(outcome.error_kind(), Some(ErrorKind::CpuLimit), "{:?}", outcome.result);

        // And a plain run after them all gets the defaults back.
        settle_spares().await;
        assert_eq!(ok(engine.run(isobox::RunRequest::new("6 * 7")).await), json!(42));
    }
}

#[tokio::test]
async fn warm_sandboxes_past_the_ceiling_are_refused() {
    let refused = isobox::Engine::builder().warm_sandboxes(65).build().await;
    assert!(
        matches!(
            refused,
            Err(isobox::EngineError::Setting {
                setting: "warm_sandboxes",
                ..
            })
        ),
        "{:?}",
        refused.err()
    );
    let off = isobox::Engine::builder()
        .warm_sandboxes(0)
        .build()
        .await
        .expect("engine");
    assert_eq!(ok(off.run(isobox::RunRequest::new("1 + 1")).await), json!(2));
}

/// An engine of its own, recycling sandboxes (the default), one run at a
/// time so that each run takes the sandbox the previous one left.
async fn recycling_engine() -> isobox::Engine {
    isobox::Engine::builder()
        .max_concurrent_runs(1)
        .build()
        .await
        .expect("building an engine")
}

#[tokio::test]
async fn recycled_sandboxes_start_pristine_after_polluting_runs() {
    let engine = recycling_engine().await;
    let code = format!("{POLLUTE}\n'polluted'");
    for _ in 0..20 {
        assert_eq!(
            ok(engine.run(isobox::RunRequest::new(code.as_str())).await),
            json!("polluted")
        );
        assert_pristine_in(&engine).await;
    }
    if cfg!(target_os = "linux") {
        // Every run but the first took the sandbox the one before left.
        assert!(
            engine.sandboxes_recycled() >= 39,
            "only {} of 40 runs were recycled",
            engine.sandboxes_recycled()
        );
    }
}

#[tokio::test]
async fn only_runs_that_ended_cleanly_and_kept_their_memory_are_recycled() {
    let engine = recycling_engine().await;
    let run = |code: &str, limits: Limits| engine.run(isobox::RunRequest::new(code).with_limits(limits));
    let first = run("1", Limits::default()).await;
    let image_bytes = first.stats.peak_memory_bytes;
    assert_eq!(ok(first), json!(1));
    let recycled = engine.sandboxes_recycled();
    let expect_recycled = |more: u64, what: &str| {
        if cfg!(target_os = "linux") {
            assert_eq!(engine.sandboxes_recycled(), recycled + more, "{what}");
        }
    };

    // A run that threw still returned: recycled.
    assert_eq!(
        err(run(&format!("{POLLUTE}\nthrow new Error('x')"), Limits::default()).await).kind,
        ErrorKind::JsError
    );
    expect_recycled(1, "a run that threw is recycled");

    // Memory that grew cannot shrink: torn down.
    let grown = run(
        &format!(
            "{POLLUTE}\nconst a = []; for (let i = 0; i < 32; i++) a.push(new Uint8Array(1 << 20).fill(7)); a.length"
        ),
        Limits::default(),
    )
    .await;
    assert!(
        grown.stats.peak_memory_bytes > image_bytes + 30 * 1024 * 1024,
        "{:?}",
        grown.stats
    );
    assert_eq!(ok(grown), json!(32));
    expect_recycled(1, "a run whose memory grew is not recycled");

    // Stopped by the wall clock or out of fuel: torn down.
    let time = Limits {
        wall_time: Duration::from_millis(100),
        fuel: 1_000_000_000_000_000,
        ..Limits::default()
    };
    assert_eq!(
        err(run(&format!("{POLLUTE}\nwhile (true) {{}}"), time).await).kind,
        ErrorKind::Timeout
    );
    let fuel = Limits {
        fuel: 1_000_000,
        ..Limits::default()
    };
    assert_eq!(
        err(run(&format!("{POLLUTE}\nwhile (true) {{}}"), fuel).await).kind,
        ErrorKind::CpuLimit
    );
    expect_recycled(1, "runs stopped by a limit are not recycled");

    // Each of those started from the snapshot, and so does the next; a
    // recycled sandbox reports the memory a fresh one does.
    assert_pristine_in(&engine).await;
    let again = run("2", Limits::default()).await;
    assert_eq!(again.stats.peak_memory_bytes, image_bytes);
    assert_eq!(ok(again), json!(2));
}

#[tokio::test]
async fn a_heavy_run_in_a_recycled_sandbox_has_its_pages_shed_not_copied_ever_after() {
    let engine = recycling_engine().await;
    let run = |code: &str| engine.run(isobox::RunRequest::new(code));
    for _ in 0..5 {
        assert_eq!(ok(run("1 + 1").await), json!(2));
    }
    // Deep recursion writes most of the 1 MiB stack, and the objects most
    // of the heap's free room, without growing the memory: far more private
    // pages than the trivial runs' resets copied.
    let deep = format!(
        "{POLLUTE}\nconst kept = []; for (let i = 0; i < 1500; i++) kept.push({{ i, s: 'x' + i }});\n\
         function down(n) {{ return n === 0 ? 0 : 1 + down(n - 1); }} down(800) + kept.length - 1500 + 2200"
    );
    let heavy = run(&deep).await;
    let image_bytes = heavy.stats.peak_memory_bytes;
    assert_eq!(ok(heavy), json!(3000));
    for _ in 0..3 {
        assert_eq!(ok(run("1 + 1").await), json!(2));
    }
    assert_pristine_in(&engine).await;
    let after = run("1 + 1").await;
    assert_eq!(
        after.stats.peak_memory_bytes, image_bytes,
        "the heavy run grew the memory"
    );
    assert_eq!(ok(after), json!(2));
    if cfg!(target_os = "linux") {
        assert_eq!(engine.sandboxes_recycled(), 11, "every run's sandbox is recycled");
        assert_eq!(
            engine.recycled_sandboxes_shed(),
            1,
            "the heavy run's reset, and only it, sheds"
        );
    }
}
