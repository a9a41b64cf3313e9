//! The engine shared by every test in this binary, built once, and small
//! helpers for running code and reading outcomes.

#![allow(dead_code)]

use std::sync::OnceLock;

use isobox::{Engine, Limits, Outcome, RunError, RunRequest};
use serde_json::Value;

/// The shared engine (default settings, default snapshot cache).
pub fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            // Built on its own thread and runtime, so any test runtime can use it.
            std::thread::spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime
                    .block_on(Engine::builder().build())
                    .expect("building the engine")
            })
            .join()
            .expect("engine thread")
        })
        .clone()
}

/// Runs `code` with default limits.
pub async fn run(code: &str) -> Outcome {
    engine().run(RunRequest::new(code)).await
}

/// Runs `code` with `input` and default limits.
pub async fn run_input(code: &str, input: Value) -> Outcome {
    engine().run(RunRequest::new(code).with_input(input)).await
}

/// Runs `code` under `limits`.
pub async fn run_limited(code: &str, limits: Limits) -> Outcome {
    engine().run(RunRequest::new(code).with_limits(limits)).await
}

/// The run's value; panics with the error when it failed.
pub fn ok(outcome: Outcome) -> Value {
    match outcome.result {
        Ok(value) => value,
        Err(error) => panic!("expected ok, got {error} ({error:?})"),
    }
}

/// The run's error; panics with the value when it succeeded.
pub fn err(outcome: Outcome) -> RunError {
    match outcome.result {
        Ok(value) => panic!("expected an error, got ok {value}"),
        Err(error) => error,
    }
}

/// Checks that the shared engine still runs code correctly.
pub async fn assert_engine_healthy() {
    let outcome = run("1+1").await;
    assert_eq!(
        outcome.result,
        Ok(serde_json::json!(2)),
        "the engine is unhealthy after the previous run"
    );
}

/// Asserts the run logged exactly one error line, starting with `prefix`;
/// returns it.
pub fn assert_one_error_line(outcome: &Outcome, prefix: &str) -> String {
    let errors: Vec<&str> = outcome
        .logs
        .entries
        .iter()
        .filter(|e| e.level == isobox::console::LogLevel::Error)
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(errors.len(), 1, "{:?}", outcome.logs);
    assert!(
        errors[0].starts_with(prefix),
        "{} should start with {prefix}",
        errors[0]
    );
    errors[0].to_owned()
}
