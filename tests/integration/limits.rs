//! Each limit fires with the right kind, and the engine stays healthy after.

use std::time::Duration;

use isobox::{ErrorKind, Limits, Phase, RunRequest};
use serde_json::json;

use crate::common::{assert_engine_healthy, engine, err, ok, run, run_limited};

const HUGE_FUEL: u64 = 1_000_000_000_000_000;
const MIB: u64 = 1024 * 1024;

/// A short wall-clock limit and fuel that will not run out first.
fn wall_time_limits(ms: u64) -> Limits {
    Limits {
        wall_time: Duration::from_millis(ms),
        fuel: HUGE_FUEL,
        ..Limits::default()
    }
}

/// Asserts the run stopped no later than `limit` plus a generous margin.
fn assert_stopped_near(wall_time_us: u64, limit: Duration) {
    let bound = (limit + Duration::from_secs(2)).as_micros() as u64;
    assert!(
        wall_time_us < bound,
        "the run took {wall_time_us} us for a {limit:?} limit"
    );
}

#[tokio::test]
async fn an_infinite_loop_times_out_under_a_small_wall_time() {
    let limits = wall_time_limits(200);
    let outcome = run_limited("while (true) {}", limits.clone()).await;
    let wall_time_us = outcome.stats.wall_time_us;
    let error = err(outcome);
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert_eq!(error.phase, Phase::Run);
    assert!(error.message.contains("200 ms"), "message: {}", error.message);
    assert!(wall_time_us >= 200_000, "timed out early: {wall_time_us} us");
    assert_stopped_near(wall_time_us, limits.wall_time);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn an_infinite_loop_runs_out_of_fuel_under_a_small_budget() {
    let limits = Limits {
        fuel: 10_000_000,
        ..Limits::default()
    };
    let outcome = run_limited("while (true) {}", limits).await;
    assert_eq!(outcome.stats.fuel_used, Some(10_000_000));
    let error = err(outcome);
    assert_eq!(error.kind, ErrorKind::CpuLimit);
    assert_eq!(error.phase, Phase::Run);
    assert!(error.kind.is_limit());
    assert_engine_healthy().await;
}

#[tokio::test]
async fn an_infinite_loop_in_a_promise_job_times_out() {
    let limits = wall_time_limits(200);
    let code = "await Promise.resolve().then(() => { while (true) {} });\n'unreachable'";
    let outcome = run_limited(code, limits.clone()).await;
    assert_stopped_near(outcome.stats.wall_time_us, limits.wall_time);
    assert_eq!(err(outcome).kind, ErrorKind::Timeout);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn an_infinite_loop_in_a_promise_job_runs_out_of_fuel() {
    let limits = Limits {
        fuel: 50_000_000,
        ..Limits::default()
    };
    let code = "async () => { await Promise.resolve().then(() => { while (true) {} }) }";
    assert_eq!(err(run_limited(code, limits).await).kind, ErrorKind::CpuLimit);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn catastrophic_regex_backtracking_hits_a_limit() {
    let limits = wall_time_limits(300);
    let outcome = run_limited("/(a+)+$/.test('a'.repeat(40) + 'b')", limits.clone()).await;
    assert_stopped_near(outcome.stats.wall_time_us, limits.wall_time);
    let error = err(outcome);
    assert!(error.kind.is_limit(), "kind {}", error.kind);
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn catastrophic_regex_backtracking_runs_out_of_fuel() {
    let limits = Limits {
        fuel: 100_000_000,
        ..Limits::default()
    };
    let error = err(run_limited("/(a+)+$/.test('a'.repeat(40) + 'b')", limits).await);
    assert_eq!(error.kind, ErrorKind::CpuLimit);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn growing_an_array_of_strings_hits_the_memory_limit() {
    let limits = Limits {
        memory_bytes: 16 * MIB,
        ..Limits::default()
    };
    // The limit counts what a run adds to the image it starts from.
    let image = run("0").await.stats.peak_memory_bytes;
    let outcome = run_limited(
        "const a = [];\nwhile (true) a.push('x'.repeat(1000) + a.length);",
        limits,
    )
    .await;
    assert!(
        outcome.stats.peak_memory_bytes <= image + 16 * MIB && outcome.stats.peak_memory_bytes > image + 8 * MIB,
        "peak {} (image {image})",
        outcome.stats.peak_memory_bytes
    );
    let error = err(outcome);
    assert_eq!(error.kind, ErrorKind::MemoryLimit, "error: {error:?}");
    assert_eq!(error.phase, Phase::Run);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn growing_an_array_of_big_strings_hits_the_memory_limit() {
    let limits = Limits {
        memory_bytes: 16 * MIB,
        ..Limits::default()
    };
    let outcome = run_limited(
        "const a = [];\nwhile (true) a.push('y'.repeat(100000) + a.length);",
        limits,
    )
    .await;
    assert_eq!(err(outcome).kind, ErrorKind::MemoryLimit);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn a_huge_array_buffer_hits_the_memory_limit() {
    let limits = Limits {
        memory_bytes: 16 * MIB,
        ..Limits::default()
    };
    let outcome = run_limited("new ArrayBuffer(100 * 1024 * 1024).byteLength", limits).await;
    assert_eq!(err(outcome).kind, ErrorKind::MemoryLimit);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn growing_an_array_of_objects_hits_the_memory_limit() {
    let limits = Limits {
        memory_bytes: 16 * MIB,
        ..Limits::default()
    };
    let outcome = run_limited("const a = [];\nwhile (true) a.push({ i: a.length });", limits).await;
    let error = err(outcome);
    assert_eq!(error.kind, ErrorKind::MemoryLimit, "error: {error:?}");
    assert_engine_healthy().await;
}

#[tokio::test]
async fn uncaught_deep_recursion_is_a_stack_overflow() {
    let error = err(run("function f(n) { return f(n + 1) + 1 }\nf(0)").await);
    assert_eq!(error.kind, ErrorKind::StackOverflow);
    assert_eq!(error.phase, Phase::Run);
    assert!(error.kind.is_limit());
    assert_engine_healthy().await;
}

#[tokio::test]
async fn deep_recursion_at_the_largest_stack_limit_is_still_a_stack_overflow() {
    let limits = Limits {
        stack_bytes: 768 * 1024,
        ..Limits::default()
    };
    let error = err(run_limited("function f(n) { return f(n + 1) + 1 }\nf(0)", limits).await);
    assert_eq!(error.kind, ErrorKind::StackOverflow);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn caught_deep_recursion_is_a_catchable_range_error() {
    let code = "function f(n) { return f(n + 1) + 1 }\ntry { f(0); 'no error' } catch (e) { [e instanceof RangeError, e.name] }";
    assert_eq!(ok(run(code).await), json!([true, "RangeError"]));
    assert_engine_healthy().await;
}

#[tokio::test]
async fn a_larger_stack_limit_allows_deeper_recursion() {
    let code = "let depth = 0;\nfunction f() { depth++; f() }\ntry { f() } catch (e) {}\ndepth";
    let small = ok(run_limited(
        code,
        Limits {
            stack_bytes: 32 * 1024,
            ..Limits::default()
        },
    )
    .await);
    let large = ok(run_limited(
        code,
        Limits {
            stack_bytes: 512 * 1024,
            ..Limits::default()
        },
    )
    .await);
    let (small, large) = (small.as_u64().unwrap(), large.as_u64().unwrap());
    assert!(large > small * 4, "depth {small} at 32 KiB, {large} at 512 KiB");
}

#[tokio::test]
async fn a_result_over_result_bytes_is_an_output_limit() {
    let limits = Limits {
        result_bytes: 50,
        ..Limits::default()
    };
    let error = err(run_limited("'x'.repeat(100)", limits).await);
    assert_eq!(error.kind, ErrorKind::OutputLimit);
    assert_eq!(error.phase, Phase::Serialise);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn a_result_just_under_result_bytes_is_kept() {
    // `"xxxx"` is 6 bytes of JSON.
    let limits = Limits {
        result_bytes: 6,
        ..Limits::default()
    };
    assert_eq!(ok(run_limited("'x'.repeat(4)", limits.clone()).await), json!("xxxx"));
    assert_eq!(
        err(run_limited("'x'.repeat(5)", limits).await).kind,
        ErrorKind::OutputLimit
    );
}

#[tokio::test]
async fn a_huge_result_over_the_default_limit_is_an_output_limit() {
    let error = err(run("'x'.repeat(2 * 1024 * 1024)").await);
    assert_eq!(error.kind, ErrorKind::OutputLimit);
    assert_engine_healthy().await;
}

#[tokio::test]
async fn a_log_flood_is_truncated_and_the_run_completes() {
    let outcome = run("for (let i = 0; i < 100000; i++) console.log('line ' + i);\n'done'").await;
    assert!(outcome.logs.truncated);
    assert!(
        outcome.logs.entries.len() <= 1000,
        "{} entries",
        outcome.logs.entries.len()
    );
    assert_eq!(outcome.logs.entries[0].message, "line 0");
    assert_eq!(ok(outcome), json!("done"));
}

#[tokio::test]
async fn log_lines_caps_the_entries() {
    let limits = Limits {
        log_lines: 10,
        ..Limits::default()
    };
    let outcome = run_limited(
        "for (let i = 0; i < 100000; i++) console.log('line ' + i);\n'done'",
        limits,
    )
    .await;
    assert!(outcome.logs.truncated);
    assert_eq!(outcome.logs.entries.len(), 10);
    assert_eq!(outcome.logs.entries[9].message, "line 9");
    assert_eq!(ok(outcome), json!("done"));
}

#[tokio::test]
async fn log_bytes_cuts_the_output() {
    let limits = Limits {
        log_bytes: 25,
        ..Limits::default()
    };
    let outcome = run_limited(
        "for (let i = 0; i < 100; i++) console.log('0123456789');\n'done'",
        limits,
    )
    .await;
    assert!(outcome.logs.truncated);
    let total: usize = outcome.logs.entries.iter().map(|e| e.message.len()).sum();
    assert_eq!(total, 25);
    assert_eq!(outcome.logs.entries.last().unwrap().message, "01234");
    assert_eq!(ok(outcome), json!("done"));
}

#[tokio::test]
async fn log_bytes_cuts_on_a_char_boundary() {
    let limits = Limits {
        log_bytes: 3,
        ..Limits::default()
    };
    let outcome = run_limited("console.log('ééé'); 1", limits).await;
    assert!(outcome.logs.truncated);
    assert_eq!(outcome.logs.entries[0].message, "é");
}

#[tokio::test]
async fn logs_within_the_limits_are_not_truncated() {
    let outcome = run("console.log('a'); console.log('b'); 1").await;
    assert!(!outcome.logs.truncated);
    assert_eq!(outcome.logs.entries.len(), 2);
}

#[tokio::test]
async fn code_over_code_bytes_is_refused_before_running() {
    let limits = Limits {
        code_bytes: 10,
        ..Limits::default()
    };
    let outcome = run_limited("1 + 2 + 3 + 4 + 5", limits).await;
    assert_eq!(outcome.stats.fuel_used, None, "no sandbox should have run");
    let error = err(outcome);
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert_eq!(error.phase, Phase::Input);
    assert!(error.message.contains("code_bytes"), "message: {}", error.message);
}

async fn assert_limit_refused(limits: Limits, name: &str) {
    let error = err(run_limited("1", limits).await);
    assert_eq!(error.kind, ErrorKind::InvalidInput, "{name}");
    assert_eq!(error.phase, Phase::Input, "{name}");
    assert!(error.message.contains(name), "message for {name}: {}", error.message);
}

#[tokio::test]
async fn a_zero_wall_time_is_refused_naming_the_limit() {
    assert_limit_refused(
        Limits {
            wall_time: Duration::ZERO,
            ..Limits::default()
        },
        "wall_time_ms",
    )
    .await;
}

#[tokio::test]
async fn a_sub_millisecond_wall_time_is_refused() {
    assert_limit_refused(
        Limits {
            wall_time: Duration::from_micros(500),
            ..Limits::default()
        },
        "wall_time_ms",
    )
    .await;
}

#[tokio::test]
async fn a_tiny_memory_limit_is_refused_naming_the_limit() {
    assert_limit_refused(
        Limits {
            memory_bytes: 1,
            ..Limits::default()
        },
        "memory_bytes",
    )
    .await;
}

#[tokio::test]
async fn a_memory_limit_over_the_engine_ceiling_is_refused() {
    let memory_bytes = engine().max_memory_bytes() + 1;
    assert_limit_refused(
        Limits {
            memory_bytes,
            ..Limits::default()
        },
        "memory_bytes",
    )
    .await;
}

#[tokio::test]
async fn other_out_of_range_limits_are_refused_naming_the_limit() {
    let cases = [
        (
            Limits {
                fuel: 0,
                ..Limits::default()
            },
            "fuel",
        ),
        (
            Limits {
                stack_bytes: 1024,
                ..Limits::default()
            },
            "stack_bytes",
        ),
        (
            Limits {
                stack_bytes: 1024 * 1024,
                ..Limits::default()
            },
            "stack_bytes",
        ),
        (
            Limits {
                code_bytes: 0,
                ..Limits::default()
            },
            "code_bytes",
        ),
        (
            Limits {
                log_lines: 2_000_000,
                ..Limits::default()
            },
            "log_lines",
        ),
        (
            Limits {
                result_bytes: 65 * 1024 * 1024,
                ..Limits::default()
            },
            "result_bytes",
        ),
        (
            Limits {
                wall_time: Duration::from_secs(16 * 60),
                ..Limits::default()
            },
            "wall_time_ms",
        ),
    ];
    for (limits, name) in cases {
        assert_limit_refused(limits, name).await;
    }
}

#[tokio::test]
async fn limits_at_the_edges_of_their_ranges_are_accepted() {
    let limits = Limits {
        wall_time: Duration::from_millis(1000),
        memory_bytes: 8 * MIB,
        stack_bytes: 16 * 1024,
        result_bytes: 1,
        log_bytes: 0,
        log_lines: 0,
        code_bytes: 1,
        ..Limits::default()
    };
    let request = RunRequest::new("7").with_limits(limits);
    assert_eq!(ok(engine().run(request).await), json!(7));
}

/// Recursion in QuickJS's C code (the parser, JSON.parse) at the largest
/// stack limit is still a catchable RangeError: the native Wasm stack is
/// sized so QuickJS's own check fires first.
#[tokio::test]
async fn deep_c_recursion_at_the_largest_stack_limit_is_a_catchable_range_error() {
    let limits = Limits {
        stack_bytes: isobox::Limits::MAX_STACK_BYTES,
        ..Limits::default()
    };
    for nested in [
        r#"eval("(".repeat(1e5) + "1" + ")".repeat(1e5))"#,
        r#"JSON.parse("[".repeat(1e5) + "]".repeat(1e5))"#,
        r#"(function f() { return f() })()"#,
    ] {
        let code = format!("try {{ {nested}; 'no error' }} catch (e) {{ e.name + ': ' + e.message }}");
        let value = ok(run_limited(&code, limits.clone()).await);
        assert_eq!(
            value,
            json!("RangeError: Maximum call stack size exceeded"),
            "for {nested}"
        );
    }
    assert_engine_healthy().await;
}
