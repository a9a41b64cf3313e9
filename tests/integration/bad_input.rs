//! Requests refused before any sandbox runs.

use isobox::request::RequestError;
use isobox::{ErrorKind, Limits, Phase, RunRequest};
use serde_json::json;

use crate::common::{engine, err, ok, run};

fn assert_refused(error: &isobox::RunError) {
    assert_eq!(error.kind, ErrorKind::InvalidInput, "error: {error:?}");
    assert_eq!(error.phase, Phase::Input, "error: {error:?}");
    assert_eq!(error.name, None);
}

#[tokio::test]
async fn empty_code_is_invalid_input() {
    let outcome = run("").await;
    assert_eq!(outcome.stats.fuel_used, None, "no sandbox should have run");
    let error = err(outcome);
    assert_refused(&error);
    assert!(error.message.contains("empty"), "message: {}", error.message);
}

#[tokio::test]
async fn whitespace_only_code_is_invalid_input() {
    let error = err(run("  \n\t \r\n ").await);
    assert_refused(&error);
    assert!(error.message.contains("empty"), "message: {}", error.message);
}

#[test]
fn from_utf8_names_the_offset_of_invalid_bytes() {
    let error = RunRequest::from_utf8(b"let x = 'ab\xc3';".to_vec()).unwrap_err();
    assert_eq!(error, RequestError::NotUtf8 { offset: 11 });
    assert!(error.to_string().contains("offset 11"), "message: {error}");
}

#[test]
fn from_utf8_names_offset_zero_for_a_bad_first_byte() {
    let error = RunRequest::from_utf8(vec![0xff, b'1']).unwrap_err();
    assert_eq!(error, RequestError::NotUtf8 { offset: 0 });
}

#[tokio::test]
async fn from_utf8_accepts_valid_multibyte_code() {
    let request = RunRequest::from_utf8("'héllo ✓'".as_bytes().to_vec()).expect("valid UTF-8");
    assert_eq!(ok(engine().run(request).await), json!("héllo ✓"));
}

#[tokio::test]
async fn input_over_input_bytes_is_invalid_input() {
    let limits = Limits {
        input_bytes: 100,
        ..Limits::default()
    };
    let request = RunRequest::new("(input) => input.length")
        .with_input(json!("x".repeat(200)))
        .with_limits(limits);
    let error = err(engine().run(request).await);
    assert_refused(&error);
    assert!(error.message.contains("input_bytes"), "message: {}", error.message);
}

#[tokio::test]
async fn input_within_input_bytes_is_accepted() {
    // `"xxxx"` is 6 bytes of JSON.
    let limits = Limits {
        input_bytes: 6,
        ..Limits::default()
    };
    let request = RunRequest::new("(input) => input.length")
        .with_input(json!("xxxx"))
        .with_limits(limits);
    assert_eq!(ok(engine().run(request).await), json!(4));
}

#[tokio::test]
async fn a_large_input_within_the_default_limit_is_passed_whole() {
    let input = json!((0..50_000).collect::<Vec<u32>>());
    let request = RunRequest::new("(input) => input.reduce((a, b) => a + b, 0)").with_input(input);
    assert_eq!(ok(engine().run(request).await), json!(49_999u64 * 50_000 / 2));
}

#[tokio::test]
async fn a_file_name_with_a_control_character_is_invalid_input() {
    let request = RunRequest::new("1").with_filename("bad\nname.js");
    let error = err(engine().run(request).await);
    assert_refused(&error);
    assert!(error.message.contains("file name"), "message: {}", error.message);
}

#[tokio::test]
async fn a_file_name_with_a_nul_is_invalid_input() {
    let error = err(engine().run(RunRequest::new("1").with_filename("a\0b.js")).await);
    assert_refused(&error);
}

#[tokio::test]
async fn an_empty_file_name_is_invalid_input() {
    let error = err(engine().run(RunRequest::new("1").with_filename("")).await);
    assert_refused(&error);
}

#[tokio::test]
async fn an_overlong_file_name_is_invalid_input() {
    let error = err(engine().run(RunRequest::new("1").with_filename("a".repeat(300))).await);
    assert_refused(&error);
}

#[tokio::test]
async fn a_unicode_file_name_is_used_in_stacks() {
    let request = RunRequest::new("null;\nthrow new Error('x')").with_filename("señal ✓.js");
    let error = err(engine().run(request).await);
    assert_eq!(error.kind, ErrorKind::JsError);
    let stack = error.stack.expect("a stack");
    assert!(stack.contains("señal ✓.js:2:"), "stack: {stack}");
}

#[test]
fn a_request_with_unknown_fields_does_not_deserialise() {
    let parsed: Result<RunRequest, _> = serde_json::from_str(r#"{"code": "1", "surprise": true}"#);
    assert!(parsed.is_err());
}
