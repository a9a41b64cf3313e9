//! `isobox::app::build_app`: a Workers-style module initialised into a
//! `wasi:http/proxy` component, and the errors for code that cannot be one.
//! (tests/integration/build_serve.rs serves the result with `wasmtime serve`.)

use std::time::Duration;

use isobox::app::{BuildError, PROXY_IMPORTS, build_app};
use isobox::{ErrorKind, Lang, Limits, ModuleSource, RunError, RunRequest};

async fn app_error(request: RunRequest) -> RunError {
    match build_app(request).await {
        Err(BuildError::App(error)) => error,
        Err(other) => panic!("expected an app error, got {other}"),
        Ok(_) => panic!("expected the build to fail"),
    }
}

#[tokio::test]
async fn a_worker_builds_into_a_proxy_component() {
    let code = "import { greeting } from './lib/greeting.js';
                import data from './data.json';
                export default { fetch: () => new Response(greeting + data.n) };";
    let request = RunRequest::new(code)
        .with_module(
            "lib/greeting.js",
            ModuleSource::Js("export const greeting = 'hi ';".into()),
        )
        .with_module("data.json", ModuleSource::Json(serde_json::json!({ "n": 1 })));
    let app = build_app(request).await.expect("the build");
    assert_eq!(&app.component[..4], b"\0asm");
    for import in &app.imports {
        let interface = import.split('@').next().unwrap_or_default();
        assert!(
            PROXY_IMPORTS.contains(&interface),
            "{import} is outside wasi:http/proxy"
        );
    }
    assert!(app.imports.iter().any(|i| i.starts_with("wasi:http/outgoing-handler@")));
}

#[tokio::test]
async fn typescript_apps_are_stripped_first() {
    let code = "interface Env {}\nexport default { fetch: (r: Request, env: Env): Response => new Response('ts') };";
    let request = RunRequest::new(code).with_filename("app.ts");
    assert!(build_app(request).await.is_ok());
    let refused = build_app(RunRequest::new("enum E { A }\nexport default {}").with_lang(Lang::Ts)).await;
    let Err(BuildError::Input(error)) = refused else {
        panic!("an enum cannot be stripped");
    };
    assert_eq!(error.kind, ErrorKind::SyntaxError);
    assert_eq!(error.line, Some(1));
}

#[tokio::test]
async fn code_without_a_fetch_handler_is_refused_at_build_time() {
    for (code, expected) in [
        ("export const a = 1;", "no default export"),
        ("export default { get: () => 1 }", "no fetch handler"),
        ("export default async (input) => input", "no fetch handler"),
    ] {
        let error = app_error(RunRequest::new(code)).await;
        assert_eq!(error.kind, ErrorKind::InvalidInput, "{code}");
        assert!(error.message.contains(expected), "{code}: {}", error.message);
        assert!(
            error.message.contains("export default { async fetch"),
            "{}",
            error.message
        );
    }
}

#[tokio::test]
async fn errors_at_build_time_carry_the_js_error_and_line() {
    let syntax = app_error(RunRequest::new(
        "export default {\n  fetch() {\n    return new Response(;\n  }\n}",
    ))
    .await;
    assert_eq!(syntax.kind, ErrorKind::SyntaxError);
    assert_eq!(syntax.line, Some(3));
    let message = BuildError::App(syntax).to_string();
    assert!(
        message.starts_with("the app failed at build time: line 3, column"),
        "{message}"
    );
    assert!(message.contains("SyntaxError"), "{message}");

    let thrown = app_error(RunRequest::new(
        "const config = {};\nconfig.missing.field;\nexport default { fetch: () => new Response('') }",
    ))
    .await;
    assert_eq!(thrown.kind, ErrorKind::JsError);
    assert_eq!(thrown.name.as_deref(), Some("TypeError"));
    assert!(
        thrown.stack.as_deref().unwrap_or_default().contains("main.js:2"),
        "{thrown:?}"
    );

    let missing = app_error(RunRequest::new(
        "import { x } from './nope.js';\nexport default { fetch() {} }",
    ))
    .await;
    assert!(missing.message.contains("nope.js"), "{missing:?}");
}

#[tokio::test]
async fn top_level_code_has_no_network_and_a_time_limit_at_build_time() {
    let fetching = app_error(RunRequest::new(
        "await fetch('http://127.0.0.1:9/');\nexport default { fetch: () => new Response('') }",
    ))
    .await;
    assert_eq!(fetching.kind, ErrorKind::JsError);
    assert!(fetching.message.contains("fetch"), "{fetching:?}");

    let limits = Limits {
        wall_time: Duration::from_millis(300),
        ..Limits::default()
    };
    let looping = app_error(RunRequest::new("while (true) {}\nexport default {}").with_limits(limits)).await;
    assert_eq!(looping.kind, ErrorKind::Timeout);
    assert!(looping.message.contains("300 ms"), "{looping:?}");
}

#[tokio::test]
async fn empty_code_is_refused_before_any_wasm_runs() {
    let Err(BuildError::Input(error)) = build_app(RunRequest::new("  \n")).await else {
        panic!("empty code is refused");
    };
    assert!(
        error.message.contains("export default { async fetch"),
        "{}",
        error.message
    );
}
