//! Code forms and the code-mode normalisation rules, one test (or more) each.
//!
//! The rules (also in the README and guest/src/eval.rs):
//! 0. One surrounding markdown fence (```js ... ```, ~~~) is removed; the
//!    opening line becomes blank so line numbers stay. Empty code (or an empty
//!    fence) is refused as invalid-input.
//! 1. An expression (trailing `;` removed) is the result; a lone function
//!    (arrow, `async`, `function main(...)`) is called as fn(input, env).
//! 2. Otherwise a sloppy script body with top-level await: the last
//!    expression statement's value is the result. A lone function followed
//!    by `;` and comments is still called.
//! 3. Otherwise an ES module: a default-exported function is called as
//!    fn(input, env); any other default export is the result; none is an
//!    invalid-input error.

use isobox::{CodeForm, ErrorKind, Phase, RunRequest};
use serde_json::json;

use crate::common::{engine, err, ok, run, run_input};

#[tokio::test]
async fn an_expression_is_its_own_result() {
    assert_eq!(ok(run("1 + 2").await), json!(3));
}

#[tokio::test]
async fn an_object_literal_is_an_object_not_a_block() {
    assert_eq!(ok(run("{ a: 1 }").await), json!({ "a": 1 }));
}

#[tokio::test]
async fn a_lone_async_arrow_is_called_with_input_and_an_empty_env() {
    let code = "async (input, env) => ({ input, envType: typeof env, isNull: env === null, keys: Object.keys(env) })";
    let value = ok(run_input(code, json!({ "x": 5, "y": [1, 2] })).await);
    assert_eq!(
        value,
        json!({ "input": { "x": 5, "y": [1, 2] }, "envType": "object", "isNull": false, "keys": [] })
    );
}

#[tokio::test]
async fn a_named_function_main_is_called() {
    let value = ok(run_input("function main(input) { return input.n * 2 }", json!({ "n": 21 })).await);
    assert_eq!(value, json!(42));
}

#[tokio::test]
async fn an_async_function_result_is_awaited() {
    let code = "async function main(input) { await null; return [input, 'later'] }";
    assert_eq!(ok(run_input(code, json!(7)).await), json!([7, "later"]));
}

#[tokio::test]
async fn a_script_body_with_top_level_await_gives_its_last_expression() {
    let code = "const x = await Promise.resolve(20);\nconst y = x + 1;\ny * 2;";
    assert_eq!(ok(run(code).await), json!(42));
}

#[tokio::test]
async fn a_script_body_without_await_gives_the_same_as_with_it() {
    // A body that never says `await` runs as a plain script (guest
    // eval.rs): its last expression is the result, a promise there is still
    // awaited, and what it throws is a js-error with its position.
    let settled = "const p = Promise.resolve(20);\nconst q = p.then((x) => x + 1);\nq";
    assert_eq!(ok(run(settled).await), json!(21));
    let counted = "let n = 0;\nfor (let i = 0; i < 4; i++) n += i;\nn";
    assert_eq!(ok(run(counted).await), json!(6));
    let failed = err(run("const a = 1;\nthrow new TypeError('boom ' + a)").await);
    assert_eq!(failed.kind, ErrorKind::JsError);
    assert!(failed.message.contains("boom 1"), "{}", failed.message);
    assert!(
        failed.stack.as_deref().unwrap_or_default().contains(":2:"),
        "{:?}",
        failed.stack
    );
    // The same body, given an await, is the top-level-await script.
    let awaited = "const p = Promise.resolve(20);\nconst q = await p.then((x) => x + 1);\nq";
    assert_eq!(ok(run(awaited).await), json!(21));
}

#[tokio::test]
async fn a_script_body_can_read_the_input_global() {
    let code = "let total = 0;\nfor (const n of input) total += n;\ntotal";
    assert_eq!(ok(run_input(code, json!([1, 2, 3, 4])).await), json!(10));
}

#[tokio::test]
async fn trailing_semicolons_after_an_arrow_still_call_it() {
    assert_eq!(ok(run_input("(input) => input + 1;;;", json!(4)).await), json!(5));
}

#[tokio::test]
async fn a_trailing_line_comment_after_an_arrow_still_calls_it() {
    assert_eq!(
        ok(run_input("(input) => input * 10 // times ten", json!(4)).await),
        json!(40)
    );
}

#[tokio::test]
async fn a_trailing_line_comment_after_an_expression_is_ignored() {
    assert_eq!(ok(run("1 + 1 // two").await), json!(2));
}

#[tokio::test]
async fn an_arrow_with_a_semicolon_then_a_comment_is_still_called() {
    // The semicolon is only "trailing" once the comment is ignored, so the
    // expression form fails and the script form returns the function itself.
    assert_eq!(
        ok(run_input("(input) => input + 1; // adds one", json!(1)).await),
        json!(2)
    );
}

#[tokio::test]
async fn an_es_module_default_export_is_called_with_input_and_env() {
    let code = "export default async function (input, env) {\n  return { doubled: input * 2, env };\n}";
    assert_eq!(
        ok(run_input(code, json!(21)).await),
        json!({ "doubled": 42, "env": {} })
    );
}

#[tokio::test]
async fn a_module_with_helpers_and_named_exports_calls_its_default() {
    let code = "const square = (n) => n * n;\nexport const unused = 1;\nexport default (input) => square(input);";
    assert_eq!(ok(run_input(code, json!(9)).await), json!(81));
}

#[tokio::test]
async fn a_module_without_a_default_export_is_invalid_input_at_run() {
    let error = err(run("export const a = 1;").await);
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert_eq!(error.phase, Phase::Run);
    assert!(error.message.contains("default export"), "message: {}", error.message);
}

#[tokio::test]
async fn a_module_whose_default_export_is_an_object_returns_it() {
    assert_eq!(
        ok(run("export default { a: 1, total: [1, 2].length };").await),
        json!({ "a": 1, "total": 2 })
    );
}

#[tokio::test]
async fn a_module_whose_default_export_is_a_number_returns_it() {
    assert_eq!(ok(run("export default 42;").await), json!(42));
}

#[tokio::test]
async fn a_module_whose_default_export_is_a_promise_returns_its_value() {
    assert_eq!(
        ok(run("export default Promise.resolve('later');").await),
        json!("later")
    );
}

#[tokio::test]
async fn forced_script_runs_a_script_body() {
    let request = RunRequest::new("const a = 20; a + 22").with_form(CodeForm::Script);
    assert_eq!(ok(engine().run(request).await), json!(42));
}

#[tokio::test]
async fn forced_script_calls_a_lone_function() {
    let request = RunRequest::new("(input) => input.concat('!')")
        .with_form(CodeForm::Script)
        .with_input(json!("hi"));
    assert_eq!(ok(engine().run(request).await), json!("hi!"));
}

#[tokio::test]
async fn forced_script_refuses_module_syntax() {
    let request = RunRequest::new("export default function (input) { return input }").with_form(CodeForm::Script);
    let error = err(engine().run(request).await);
    assert_eq!(error.kind, ErrorKind::SyntaxError);
    assert_eq!(error.phase, Phase::Compile);
}

#[tokio::test]
async fn forced_module_runs_a_default_export() {
    let request = RunRequest::new("export default function (input) { return input * 3 }")
        .with_form(CodeForm::Module)
        .with_input(json!(2));
    assert_eq!(ok(engine().run(request).await), json!(6));
}

#[tokio::test]
async fn forced_module_does_not_treat_an_expression_as_the_result() {
    let request = RunRequest::new("1 + 2").with_form(CodeForm::Module);
    let error = err(engine().run(request).await);
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert_eq!(error.phase, Phase::Run);
}

#[tokio::test]
async fn forced_module_is_strict() {
    // Sloppy scripts may assign to an undeclared name; a module may not.
    let request = RunRequest::new("export default () => { undeclaredName = 1; return 1 }").with_form(CodeForm::Module);
    let error = err(engine().run(request).await);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.name.as_deref(), Some("ReferenceError"));
}

#[tokio::test]
async fn an_undefined_result_is_null() {
    let outcome = run("undefined").await;
    assert_eq!(outcome.result, Ok(serde_json::Value::Null));
}

#[tokio::test]
async fn a_function_returning_nothing_gives_null() {
    assert_eq!(ok(run("async () => { await null }").await), serde_json::Value::Null);
}

#[tokio::test]
async fn an_absent_input_is_null() {
    assert_eq!(ok(run("input === null").await), json!(true));
    assert_eq!(ok(run("(input) => input === null").await), json!(true));
}

#[tokio::test]
async fn input_round_trips_unchanged() {
    let input = json!({ "s": "héllo ✓", "n": -1.5, "b": false, "z": null, "a": [[], {}] });
    assert_eq!(ok(run_input("(input) => input", input.clone()).await), input);
}

#[tokio::test]
async fn one_surrounding_markdown_fence_is_stripped() {
    let code = "```javascript\nasync (input) => {\n  return input * 2;\n}\n```\n";
    assert_eq!(ok(run_input(code, json!(21)).await), json!(42));
}

#[tokio::test]
async fn a_fenced_snippet_reports_the_line_inside_the_fence() {
    let error = err(run("```js\nconst a = 1;\nconst b = ;\n```").await);
    assert_eq!(error.kind, ErrorKind::SyntaxError);
    assert_eq!((error.line, error.column), (Some(3), Some(11)), "{error:?}");
}

#[tokio::test]
async fn an_empty_fence_is_empty_code() {
    let error = err(run("```js\n\n```").await);
    assert_eq!((error.phase, error.kind), (Phase::Input, ErrorKind::InvalidInput));
}
