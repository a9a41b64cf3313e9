//! How failures are reported: thrown values, rejections, syntax errors,
//! results JSON cannot hold, and promises that never settle.

use isobox::{ErrorKind, Phase, RunRequest};
use serde_json::json;

use crate::common::{assert_one_error_line, engine, err, ok, run};

#[tokio::test]
async fn a_thrown_error_has_name_message_and_a_stack_with_file_and_line() {
    let request = RunRequest::new("const a = 1;\nthrow new TypeError('bad value ' + a);").with_filename("calc.js");
    let error = err(engine().run(request).await);
    assert_eq!(error.phase, Phase::Run);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.name.as_deref(), Some("TypeError"));
    assert_eq!(error.message, "bad value 1");
    let stack = error.stack.expect("a stack");
    assert!(stack.contains("calc.js:2:"), "stack: {stack}");
}

#[tokio::test]
async fn a_module_error_stack_names_the_line() {
    let request =
        RunRequest::new("export default function () {\n  throw new RangeError('r');\n}").with_filename("mod.js");
    let error = err(engine().run(request).await);
    assert_eq!(error.name.as_deref(), Some("RangeError"));
    let stack = error.stack.expect("a stack");
    assert!(stack.contains("mod.js:2:"), "stack: {stack}");
}

#[tokio::test]
async fn an_expression_form_error_stack_names_the_users_line() {
    let error = err(run("() => {\n  throw new TypeError('bad');\n}").await);
    let stack = error.stack.expect("a stack");
    assert!(stack.contains("main.js:2:"), "the throw is on line 2; stack: {stack}");
}

#[tokio::test]
async fn a_one_line_expression_error_stack_says_line_one() {
    let error = err(run("(() => { throw new Error('boom') })()").await);
    let stack = error.stack.expect("a stack");
    assert!(stack.contains("main.js:1:"), "the code has one line; stack: {stack}");
}

#[tokio::test]
async fn throwing_a_number_is_a_js_error_without_a_name() {
    let error = err(run("throw 42").await);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.phase, Phase::Run);
    assert_eq!(error.name, None);
    assert_eq!(error.message, "42");
}

#[tokio::test]
async fn throwing_a_string_gives_the_string_as_message() {
    let error = err(run("throw 'text'").await);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.name, None);
    assert_eq!(error.message, "text");
}

#[tokio::test]
async fn throwing_an_object_gives_its_json_as_message() {
    let error = err(run("throw { a: 1 }").await);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.name, None);
    assert_eq!(error.message, r#"{"a":1}"#);
}

#[tokio::test]
async fn throwing_null_says_null() {
    let error = err(run("throw null").await);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.name, None);
    assert_eq!(error.message, "null");
}

#[tokio::test]
async fn a_rejected_promise_is_a_js_error() {
    let error = err(run("async () => { await null; throw new Error('later') }").await);
    assert_eq!(error.phase, Phase::Run);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.name.as_deref(), Some("Error"));
    assert_eq!(error.message, "later");
}

#[tokio::test]
async fn a_promise_rejected_with_a_non_error_is_a_js_error() {
    let error = err(run("Promise.reject('nope')").await);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.name, None);
    assert_eq!(error.message, "nope");
}

#[tokio::test]
async fn a_caught_error_does_not_fail_the_run() {
    let value = ok(run("try { null.x } catch (e) { e.name }").await);
    assert_eq!(value, json!("TypeError"));
}

#[tokio::test]
async fn a_huge_error_message_is_bounded() {
    let error = err(run("throw new Error('x'.repeat(100000))").await);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert!(error.message.len() < 20_000, "message is {} bytes", error.message.len());
    assert!(error.message.starts_with("xxxx"));
}

#[tokio::test]
async fn a_syntax_error_reports_compile_phase_line_and_column() {
    let error = err(run("let a = 1;\nlet b = 2;\nlet c = (;\n").await);
    assert_eq!(error.phase, Phase::Compile);
    assert_eq!(error.kind, ErrorKind::SyntaxError);
    assert_eq!(error.name.as_deref(), Some("SyntaxError"));
    assert_eq!((error.line, error.column), (Some(3), Some(10)), "error: {error:?}");
}

#[tokio::test]
async fn a_syntax_error_inside_a_function_reports_its_line_and_column() {
    let error = err(run("(input) => {\n  let x = 1;\n  x +* 2;\n}").await);
    assert_eq!(error.kind, ErrorKind::SyntaxError);
    assert_eq!((error.line, error.column), (Some(3), Some(6)), "error: {error:?}");
}

#[tokio::test]
async fn a_module_syntax_error_reports_its_line_and_column() {
    let error = err(run("export default function () {\n  return 1;\n  let = = 2;\n}").await);
    assert_eq!(error.phase, Phase::Compile);
    assert_eq!(error.kind, ErrorKind::SyntaxError);
    assert_eq!((error.line, error.column), (Some(3), Some(7)), "error: {error:?}");
}

#[tokio::test]
async fn a_top_level_function_result_is_unserialisable() {
    let error = err(run("function f() {}\nf").await);
    assert_eq!(error.phase, Phase::Serialise);
    assert_eq!(error.kind, ErrorKind::Unserialisable);
}

#[tokio::test]
async fn a_symbol_result_is_unserialisable() {
    let error = err(run("Symbol('s')").await);
    assert_eq!(error.phase, Phase::Serialise);
    assert_eq!(error.kind, ErrorKind::Unserialisable);
}

#[tokio::test]
async fn a_bigint_result_is_unserialisable() {
    let error = err(run("10n ** 30n").await);
    assert_eq!(error.phase, Phase::Serialise);
    assert_eq!(error.kind, ErrorKind::Unserialisable);
}

#[tokio::test]
async fn a_nested_bigint_is_unserialisable() {
    let error = err(run("({ a: [1n] })").await);
    assert_eq!(error.phase, Phase::Serialise);
    assert_eq!(error.kind, ErrorKind::Unserialisable);
}

#[tokio::test]
async fn a_cyclic_result_is_unserialisable() {
    let error = err(run("const a = { b: {} };\na.b.back = a;\na").await);
    assert_eq!(error.phase, Phase::Serialise);
    assert_eq!(error.kind, ErrorKind::Unserialisable);
}

#[tokio::test]
async fn nested_functions_and_symbols_are_dropped_as_json_does() {
    let value = ok(run("({ a: 1, f() {}, s: Symbol('q'), u: undefined, arr: [() => 1, 2, undefined] })").await);
    assert_eq!(value, json!({ "a": 1, "arr": [null, 2, null] }));
}

#[tokio::test]
async fn to_json_is_honoured() {
    let value = ok(run("({ v: { toJSON() { return 'custom' } }, d: new Date(0) })").await);
    assert_eq!(value, json!({ "v": "custom", "d": "1970-01-01T00:00:00.000Z" }));
}

#[tokio::test]
async fn non_finite_numbers_become_null() {
    assert_eq!(ok(run("[NaN, Infinity, -Infinity]").await), json!([null, null, null]));
}

#[tokio::test]
async fn a_throwing_to_json_is_a_js_error_in_serialise() {
    let error = err(run("({ toJSON() { throw new Error('tj') } })").await);
    assert_eq!(error.phase, Phase::Serialise);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.message, "tj");
}

#[tokio::test]
async fn a_type_error_thrown_by_a_getter_is_a_js_error() {
    let error = err(run("({ get a() { throw new TypeError('getter') } })").await);
    assert_eq!(error.phase, Phase::Serialise);
    assert_eq!(error.kind, ErrorKind::JsError);
}

#[tokio::test]
async fn a_promise_that_never_settles_is_unsettled() {
    let error = err(run("new Promise(() => {})").await);
    assert_eq!(error.phase, Phase::Run);
    assert_eq!(error.kind, ErrorKind::Unsettled);
}

#[tokio::test]
async fn awaiting_a_promise_that_never_settles_is_unsettled() {
    let error = err(run("async () => { await new Promise(() => {}); return 1 }").await);
    assert_eq!(error.kind, ErrorKind::Unsettled);
}

#[tokio::test]
async fn a_promise_settled_by_later_jobs_is_awaited() {
    let code = "let resolve;\nconst p = new Promise((r) => { resolve = r });\nPromise.resolve().then(() => resolve('done'));\nawait p";
    assert_eq!(ok(run(code).await), json!("done"));
}

/// Unhandled rejections do not fail the run: each is reported as an error
/// line in the logs.
#[tokio::test]
async fn an_unhandled_rejection_is_logged_and_the_run_still_succeeds() {
    let outcome = run("Promise.reject(new TypeError('lost')); 1").await;
    let line = assert_one_error_line(&outcome, "Uncaught (in promise) TypeError: lost");
    assert!(line.contains("main.js:1"), "the line has the stack: {}", line);
    assert_eq!(outcome.result.unwrap(), json!(1));
}

#[tokio::test]
async fn a_rejection_handled_later_in_the_run_is_not_reported() {
    let code = "async () => { const p = Promise.reject(new Error('late')); await null; p.catch(() => {}); return 3 }";
    let outcome = run(code).await;
    assert!(outcome.logs.entries.is_empty(), "{:?}", outcome.logs);
    assert_eq!(outcome.result.unwrap(), json!(3));
}

#[tokio::test]
async fn the_rejected_result_is_the_error_not_also_an_unhandled_rejection() {
    let outcome = run("async () => { Promise.reject(42); throw new Error('main') }").await;
    let lines: Vec<_> = outcome.logs.entries.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(lines, ["Uncaught (in promise) 42"]);
    assert_eq!(outcome.result.unwrap_err().message, "main");
}

/// Code that returns arrays nested `depth` deep.
fn nested(depth: usize) -> String {
    format!("let v = 1; for (let i = 0; i < {depth}; i++) v = [v]; v")
}

#[tokio::test]
async fn a_result_deeper_than_the_host_reads_fails_fast_naming_the_depth() {
    // 10,000 levels used to spend the whole fuel budget in JSON.stringify's
    // cycle check (quadratic in the depth) before failing.
    let outcome = run(&nested(10_000)).await;
    let fuel = outcome.stats.fuel_used.expect("fuel is metered");
    let error = err(outcome);
    assert_eq!((error.phase, error.kind), (Phase::Serialise, ErrorKind::Unserialisable));
    assert!(error.message.contains("more than 127 levels deep"), "{}", error.message);
    let budget = isobox::Limits::default().fuel;
    assert!(fuel < budget / 20, "{fuel} of {budget} fuel");
    // The deepest the host reads passes; one more level does not; an
    // object nests like an array; a toJSON result is not guessed at.
    let value = ok(run(&nested(127)).await);
    assert_eq!(value.to_string().matches('[').count(), 127);
    let error = err(run(&nested(128)).await);
    assert_eq!(error.kind, ErrorKind::Unserialisable, "{error:?}");
    let error = err(run("let v = {}; for (let i = 0; i < 500; i++) v = { v }; v").await);
    assert!(error.message.contains("127 levels"), "{error:?}");
    assert_eq!(
        ok(run("({ toJSON() { return 'flat'; }, deep: 1 })").await),
        json!("flat")
    );
    // A cycle is still JSON.stringify's own error.
    let error = err(run("const a = []; a.push([a]); a").await);
    assert_eq!(error.kind, ErrorKind::Unserialisable, "{error:?}");
}
