//! setTimeout and setInterval: the guest waits on the host's clock (no CPU
//! spent while waiting), and the wall-clock limit still ends a run waiting
//! on a timer.

use std::time::Duration;

use isobox::{ErrorKind, Limits};
use serde_json::json;

use crate::common::{assert_one_error_line, err, ok, run, run_limited};

#[tokio::test]
async fn timers_fire_in_due_order_with_their_arguments() {
    let code = "const seen = [];\n\
                setTimeout((x) => seen.push(x), 30, 'late');\n\
                setTimeout((x, y) => seen.push(x + y), 10, 'ea', 'rly');\n\
                setTimeout(() => seen.push('zero'));\n\
                await new Promise((r) => setTimeout(r, 60));\n\
                seen";
    assert_eq!(ok(run(code).await), json!(["zero", "early", "late"]));
}

#[tokio::test]
async fn an_interval_repeats_until_cleared_and_a_cleared_timeout_never_fires() {
    let code = "let ticks = 0; let fired = false;\n\
                const t = setTimeout(() => { fired = true; }, 5); clearTimeout(t);\n\
                await new Promise((r) => { const id = setInterval(() => { if (++ticks === 4) { clearInterval(id); r(); } }, 2); });\n\
                await new Promise((r) => setTimeout(r, 15));\n\
                ({ ticks, fired })";
    assert_eq!(ok(run(code).await), json!({ "ticks": 4, "fired": false }));
}

#[tokio::test]
async fn a_timer_callback_that_throws_is_logged_and_the_run_goes_on() {
    let outcome = run("setTimeout(() => { throw new TypeError('in a timer'); }, 1);\n\
                       await new Promise((r) => setTimeout(r, 10)); 'still here'")
    .await;
    assert_one_error_line(&outcome, "Uncaught TypeError: in a timer");
    assert_eq!(outcome.result.unwrap(), json!("still here"));
}

#[tokio::test]
async fn waiting_on_a_timer_costs_no_cpu_and_the_wall_clock_ends_it() {
    let limits = Limits {
        wall_time: Duration::from_millis(300),
        ..Limits::default()
    };
    let outcome = run_limited("await new Promise((r) => setTimeout(r, 60_000)); 1", limits).await;
    assert_eq!(outcome.error_kind(), Some(ErrorKind::Timeout));
    assert!(outcome.stats.wall_time_us >= 300_000, "{:?}", outcome.stats);
    let fuel = outcome.stats.fuel_used.unwrap_or(0);
    assert!(fuel < 20_000_000, "a busy wait would burn far more fuel: {fuel}");
}

#[tokio::test]
async fn a_run_ends_when_its_result_settles_even_with_timers_pending() {
    let outcome = run("setTimeout(() => {}, 60_000); 'done'").await;
    assert_eq!(outcome.result.unwrap(), json!("done"));
    assert!(
        outcome.stats.wall_time_us < 30_000_000,
        "did not wait for the pending timer"
    );
}

#[tokio::test]
async fn a_non_function_callback_is_a_type_error() {
    let error = err(run("setTimeout('alert(1)', 10)").await);
    assert_eq!(error.name.as_deref(), Some("TypeError"));
}
