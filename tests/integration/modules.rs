//! Module maps: relative imports between modules, JSON and text modules, and
//! clear errors for what cannot be imported.

use isobox::{ErrorKind, ModuleSource, Phase, RunRequest};
use serde_json::json;

use crate::common::{engine, err, ok};

fn js(source: &str) -> ModuleSource {
    ModuleSource::Js(source.to_owned())
}

#[tokio::test]
async fn a_main_module_imports_siblings_and_nested_modules() {
    let request = RunRequest::new(
        "import { twice } from './lib/math.js';\nimport greet from './greet.js';\n\
         export default (input) => ({ n: twice(input), hello: greet('x') })",
    )
    .with_input(json!(21))
    .with_module(
        "lib/math.js",
        js("import { one } from '../one.js';\nexport const twice = (n) => n * 2 * one;"),
    )
    .with_module("one.js", js("export const one = 1;"))
    .with_module("./greet.js", js("export default (who) => `hello ${who}`;"));
    assert_eq!(ok(engine().run(request).await), json!({ "n": 42, "hello": "hello x" }));
}

#[tokio::test]
async fn json_and_text_modules_import_as_their_default_export() {
    let request = RunRequest::new(
        "import data from './data.json';\nimport cfg from './cfg.json';\nimport readme from './README.txt';\n\
         export default () => ({ data, cfg, readme, proto: Object.getPrototypeOf(cfg) === Object.prototype })",
    )
    .with_module("data.json", js(r#"{ "a": [1, 2], "b": "\u2028" }"#))
    .with_module(
        "cfg.json",
        ModuleSource::Json(json!({ "__proto__": { "polluted": true } })),
    )
    .with_module("README.txt", ModuleSource::Text("line 1\n\"quoted\" \\ done".into()));
    let value = ok(engine().run(request).await);
    assert_eq!(value["data"], json!({ "a": [1, 2], "b": "\u{2028}" }));
    assert_eq!(
        value["cfg"],
        json!({ "__proto__": { "polluted": true } }),
        "__proto__ stays a plain key"
    );
    assert_eq!(value["proto"], json!(true));
    assert_eq!(value["readme"], json!("line 1\n\"quoted\" \\ done"));
}

#[tokio::test]
async fn a_dynamic_import_reaches_the_map() {
    let request = RunRequest::new("export default async () => (await import('./lazy.js')).value")
        .with_module("lazy.js", js("export const value = 'loaded';"));
    assert_eq!(ok(engine().run(request).await), json!("loaded"));
}

#[tokio::test]
async fn a_missing_module_is_a_clear_error_listing_the_map() {
    let request = RunRequest::new("import x from './nope.js';\nexport default () => x")
        .with_module("there.js", js("export default 1"));
    let error = err(engine().run(request).await);
    assert!(error.message.contains("no module 'nope.js'"), "{}", error.message);
    assert!(error.message.contains("there.js"), "{}", error.message);
}

#[tokio::test]
async fn a_bare_specifier_is_refused_with_a_bundling_hint() {
    let error = err(engine()
        .run(RunRequest::new("import _ from 'lodash';\nexport default () => 1"))
        .await);
    assert!(error.message.contains("'lodash'"), "{}", error.message);
    assert!(error.message.contains("dependencies"), "{}", error.message);
}

#[tokio::test]
async fn climbing_above_the_root_is_refused() {
    let request = RunRequest::new("import x from '../../etc/passwd';\nexport default () => x");
    let error = err(engine().run(request).await);
    assert!(
        error.message.contains("above the module map's root"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_import_cycle_works_when_bindings_are_used_after_evaluation() {
    let request = RunRequest::new("import { a } from './a.js';\nexport default () => a()")
        .with_module(
            "a.js",
            js("import { b } from './b.js';\nexport const a = () => 'a' + b();"),
        )
        .with_module(
            "b.js",
            js("import { a } from './a.js';\nexport const b = () => 'b';\nexport const viaA = () => a();"),
        );
    assert_eq!(ok(engine().run(request).await), json!("ab"));
}

#[tokio::test]
async fn an_import_cycle_that_reads_an_uninitialised_binding_is_a_reference_error() {
    let request = RunRequest::new("import { a } from './a.js';\nexport default () => a")
        .with_module("a.js", js("import { b } from './b.js';\nexport const a = 'a' + b;"))
        .with_module("b.js", js("import { a } from './a.js';\nexport const b = a.length;"));
    let error = err(engine().run(request).await);
    assert_eq!(error.kind, ErrorKind::JsError);
    assert_eq!(error.name.as_deref(), Some("ReferenceError"), "{error:?}");
    assert!(
        error.stack.unwrap_or_default().contains("b.js:2"),
        "the stack names the module and line"
    );
}

#[tokio::test]
async fn a_syntax_error_in_an_imported_module_names_it() {
    let request = RunRequest::new("import { f } from './bad.js';\nexport default () => f()")
        .with_module("bad.js", js("export const f = () => {\n  return 1 +;\n};"));
    let error = err(engine().run(request).await);
    assert_eq!(error.name.as_deref(), Some("SyntaxError"), "{error:?}");
    assert!(
        error.stack.unwrap_or_default().contains("bad.js:2"),
        "the position is in bad.js"
    );
}

#[tokio::test]
async fn bad_module_maps_are_refused_before_running() {
    for (request, needle) in [
        (RunRequest::new("1").with_module("a/../b.js", js("")), "path segment"),
        (
            RunRequest::new("1").with_module("data.json", js("{ nope")),
            "not valid JSON",
        ),
        (
            RunRequest::new("1").with_module("main.js", js("1")),
            "main module's name",
        ),
    ] {
        let error = err(engine().run(request).await);
        assert_eq!(
            (error.phase, error.kind),
            (Phase::Input, ErrorKind::InvalidInput),
            "{error:?}"
        );
        assert!(error.message.contains(needle), "{} should say {needle}", error.message);
    }
}

#[test]
fn module_maps_read_from_json_take_plain_and_tagged_sources() {
    let request: RunRequest = serde_json::from_value(json!({
        "code": "export default () => 1",
        "modules": { "a.js": "export const a = 1", "b.json": { "json": [1] }, "c.txt": { "text": "hi" } }
    }))
    .unwrap();
    assert_eq!(request.modules["a.js"], ModuleSource::Js("export const a = 1".into()));
    assert_eq!(request.modules["b.json"], ModuleSource::Json(json!([1])));
    assert_eq!(request.modules["c.txt"], ModuleSource::Text("hi".into()));
}
