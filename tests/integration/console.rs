//! The captured console: levels, order and formatting.

use isobox::console::LogLevel;
use serde_json::json;

use crate::common::{ok, run};

/// The messages `code` logs (the run must succeed).
async fn logged(code: &str) -> Vec<String> {
    let outcome = run(code).await;
    let messages = outcome.logs.entries.iter().map(|e| e.message.clone()).collect();
    ok(outcome);
    messages
}

/// The one message `code` logs.
async fn one_line(code: &str) -> String {
    let messages = logged(code).await;
    assert_eq!(messages.len(), 1, "expected one line, got {messages:?}");
    messages.into_iter().next().unwrap()
}

#[tokio::test]
async fn every_level_is_captured_in_order() {
    let outcome =
        run("console.log('a'); console.info('b'); console.warn('c'); console.error('d'); console.debug('e'); 1").await;
    let entries: Vec<_> = outcome
        .logs
        .entries
        .iter()
        .map(|e| (e.level, e.message.as_str()))
        .collect();
    assert_eq!(
        entries,
        [
            (LogLevel::Log, "a"),
            (LogLevel::Info, "b"),
            (LogLevel::Warn, "c"),
            (LogLevel::Error, "d"),
            (LogLevel::Debug, "e"),
        ]
    );
    assert!(!outcome.logs.truncated);
}

#[tokio::test]
async fn logs_from_async_jobs_keep_their_order() {
    let code = "console.log(1);\nawait Promise.resolve().then(() => console.log(2));\nconsole.log(3);\n'ok'";
    assert_eq!(logged(code).await, ["1", "2", "3"]);
}

#[tokio::test]
async fn logs_before_an_error_are_kept() {
    let outcome = run("console.warn('before'); throw new Error('x')").await;
    assert!(outcome.result.is_err());
    assert_eq!(outcome.logs.entries.len(), 1);
    assert_eq!(outcome.logs.entries[0].level, LogLevel::Warn);
    assert_eq!(outcome.logs.entries[0].message, "before");
}

#[tokio::test]
async fn a_lone_surrogate_is_logged_as_a_replacement_character() {
    // It used to throw a TypeError that named neither console.log nor the
    // argument; logging never throws for its text.
    let lines = logged("console.log('a\\uD800b', { k: '\\uDC00' }); console.error('\\uD83D'); 1").await;
    assert_eq!(lines, vec!["a\u{FFFD}b { k: '\u{FFFD}' }", "\u{FFFD}"]);
}

#[tokio::test]
async fn a_top_level_string_is_printed_bare() {
    assert_eq!(one_line("console.log('plain text'); 1").await, "plain text");
}

#[tokio::test]
async fn several_arguments_are_joined_by_spaces() {
    assert_eq!(
        one_line("console.log('str', 42, 1.5, -0, true, undefined, null); 1").await,
        "str 42 1.5 -0 true undefined null"
    );
}

#[tokio::test]
async fn an_object_is_formatted_with_quoted_nested_strings() {
    assert_eq!(
        one_line("console.log({ a: 1, b: 'x', c: [1, 2, { d: null }] }); 1").await,
        "{ a: 1, b: 'x', c: [ 1, 2, { d: null } ] }"
    );
}

#[tokio::test]
async fn an_array_is_formatted() {
    assert_eq!(
        one_line("console.log([1, 'two', [3], []]); 1").await,
        "[ 1, 'two', [ 3 ], [] ]"
    );
}

#[tokio::test]
async fn deep_objects_are_cut_at_the_depth_limit() {
    assert_eq!(
        one_line("console.log({ a: { b: { c: { d: 1 } } } }); 1").await,
        "{ a: { b: { c: [Object] } } }"
    );
}

#[tokio::test]
async fn a_cycle_is_shown_as_circular() {
    assert_eq!(
        one_line("const o = { n: 1 }; o.self = o; console.log(o); 1").await,
        "{ n: 1, self: [Circular] }"
    );
}

#[tokio::test]
async fn an_error_is_shown_with_name_message_and_stack() {
    let line = one_line("const e = new TypeError('oops');\nconsole.log(e); 1").await;
    assert!(line.starts_with("TypeError: oops\n"), "line: {line:?}");
    assert!(line.contains("main.js:1:"), "line: {line:?}");
}

#[tokio::test]
async fn functions_classes_maps_and_sets_are_described() {
    assert_eq!(
        one_line("console.log(function foo() {}, class K {}, new Map([[1, 'a']]), new Set([2])); 1").await,
        "[Function: foo] [class K] Map(1) { 1 => 'a' } Set(1) { 2 }"
    );
}

#[tokio::test]
async fn percent_s_and_percent_d_are_substituted() {
    assert_eq!(
        one_line("console.log('%s is %d years', 'Bob', 42); 1").await,
        "Bob is 42 years"
    );
}

#[tokio::test]
async fn percent_d_converts_to_a_number_and_percent_percent_is_literal() {
    assert_eq!(one_line("console.log('%d%% of %d', '7', 'x'); 1").await, "7% of NaN");
}

#[tokio::test]
async fn percent_s_of_an_object_inspects_it() {
    assert_eq!(one_line("console.log('got %s', { x: 1 }); 1").await, "got { x: 1 }");
}

#[tokio::test]
async fn extra_arguments_after_substitutions_are_appended() {
    assert_eq!(one_line("console.log('%s!', 'hi', 'extra', 3); 1").await, "hi! extra 3");
}

#[tokio::test]
async fn missing_substitution_arguments_leave_the_spec() {
    assert_eq!(one_line("console.log('%s and %s', 'one'); 1").await, "one and %s");
}

#[tokio::test]
async fn an_empty_console_log_is_an_empty_line() {
    assert_eq!(one_line("console.log(); 1").await, "");
}

#[tokio::test]
async fn a_logging_function_returns_its_value_with_logs() {
    let outcome = crate::common::run_input(
        "(input) => { console.info('got', input); return input.n }",
        json!({ "n": 3 }),
    )
    .await;
    assert_eq!(outcome.logs.entries[0].level, LogLevel::Info);
    assert_eq!(outcome.logs.entries[0].message, "got { n: 3 }");
    assert_eq!(ok(outcome), json!(3));
}

#[tokio::test]
async fn a_throwing_to_string_does_not_break_the_console() {
    let line = one_line("console.log({ toString() { throw 1 } }, Object.create(null)); 1").await;
    assert_eq!(line, "{ toString: [Function: toString] } [Object: null prototype] {}");
}

#[tokio::test]
async fn a_log_sink_sees_each_line_while_the_run_goes_on() {
    use isobox::RunRequest;
    let store = isobox_store::Store::open("memory").await.expect("a memory store");
    let kv = isobox_state::kv_capability(store.kv(), isobox_state::Tenancy::PerTenant);
    let tenant = json!({ "tenant": "sink" });
    let (send, mut lines) = tokio::sync::mpsc::unbounded_channel();
    // The run waits (at most about 2 s) for a key only the test sets, and
    // the test sets it only once the first line has reached it: the line
    // was passed on while the run was still going.
    let code = "console.log('waiting');
        for (let i = 0; i < 400 && !(await env.kv.get('go')); i++) await new Promise((r) => setTimeout(r, 5));
        console.warn('released');
        await env.kv.get('go')";
    let request = RunRequest::new(code)
        .grant_with_props("kv", kv.clone(), tenant.clone())
        .on_log(move |entry| {
            let _ = send.send(entry.clone());
        });
    let running = tokio::spawn(async move { crate::common::engine().run(request).await });
    let first = lines.recv().await.expect("a line before the run ends");
    assert_eq!((first.level, first.message.as_str()), (LogLevel::Log, "waiting"));
    let release = RunRequest::new("await env.kv.put('go', 'yes'); 0").grant_with_props("kv", kv, tenant);
    ok(crate::common::engine().run(release).await);
    let outcome = running.await.expect("the run");
    assert_eq!(outcome.logs.entries.len(), 2);
    assert_eq!(
        ok(outcome),
        json!("yes"),
        "the run saw the key set after its first line"
    );
    let second = lines.recv().await.expect("the second line");
    assert_eq!((second.level, second.message.as_str()), (LogLevel::Warn, "released"));
    assert!(lines.recv().await.is_none(), "the sink is dropped with the run");
}

#[tokio::test]
async fn a_log_sink_gets_nothing_past_the_log_caps() {
    use isobox::{Limits, RunRequest};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let into = seen.clone();
    let limits = Limits {
        log_lines: 2,
        ..Limits::default()
    };
    let request = RunRequest::new("for (let i = 0; i < 5; i++) console.log('line ' + i); 1")
        .with_limits(limits)
        .on_log(move |entry| into.lock().expect("lock").push(entry.message.clone()));
    let outcome = crate::common::engine().run(request).await;
    assert!(outcome.logs.truncated);
    assert_eq!(*seen.lock().expect("lock"), ["line 0", "line 1"]);
}
