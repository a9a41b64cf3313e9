//! The bytecode cache: the same code compiles once; later runs read the
//! bytecode in a fresh sandbox and behave exactly the same.

use isobox::cache::CacheUse;
use isobox::{Engine, ErrorKind, ModuleSource, RunRequest};
use serde_json::json;

use crate::common::engine;

/// Code no other test uses, so the shared engine's cache starts cold for it.
fn unique(code: &str, tag: &str) -> String {
    format!("// {tag}\n{code}")
}

#[tokio::test]
async fn the_second_run_of_the_same_code_reads_cached_bytecode_with_the_same_result() {
    for (tag, code) in [
        ("expr", "(input) => ({ doubled: input * 2, r: typeof Math.random() })"),
        ("script", "const a = await Promise.resolve(input); a * 2"),
        ("module", "export default async (input) => input * 2"),
    ] {
        let code = unique(code, &format!("cache-same-{tag}"));
        let first = engine().run(RunRequest::new(code.clone()).with_input(json!(21))).await;
        let second = engine().run(RunRequest::new(code.clone()).with_input(json!(4))).await;
        assert_eq!(first.stats.bytecode_cache, CacheUse::Miss, "{tag}");
        assert_eq!(second.stats.bytecode_cache, CacheUse::Hit, "{tag}");
        let expected_first = if tag == "expr" {
            json!({ "doubled": 42, "r": "number" })
        } else {
            json!(42)
        };
        let expected_second = if tag == "expr" {
            json!({ "doubled": 8, "r": "number" })
        } else {
            json!(8)
        };
        assert_eq!(first.result.unwrap(), expected_first, "{tag}");
        assert_eq!(second.result.unwrap(), expected_second, "{tag}");
    }
}

#[tokio::test]
async fn errors_from_cached_bytecode_point_at_the_same_line_and_column() {
    let code = unique(
        "(input) => {\n  const x = 1;\n  throw new RangeError('nope');\n}",
        "cache-error",
    );
    let first = engine().run(RunRequest::new(code.clone())).await.result.unwrap_err();
    let second = engine().run(RunRequest::new(code)).await;
    assert_eq!(second.stats.bytecode_cache, CacheUse::Hit);
    let second = second.result.unwrap_err();
    assert_eq!(first.stack, second.stack);
    assert!(
        second.stack.as_deref().unwrap_or_default().contains("main.js:4:"),
        "{:?}",
        second.stack
    );
}

#[tokio::test]
async fn a_main_module_whose_import_attribute_chooses_a_reading_is_not_cached() {
    // QuickJS's bytecode keeps no import attributes: read back, the import
    // would take the module's own reading (text, not bytes).
    let main = unique(
        "import bytes from './a.txt' with { type: 'bytes' };\nexport default () => [bytes instanceof Uint8Array, bytes.length]",
        "cache-reading",
    );
    for _ in 0..2 {
        let request = RunRequest::new(main.clone()).with_module("a.txt", ModuleSource::Text("hi".into()));
        let outcome = engine().run(request).await;
        assert_eq!(outcome.stats.bytecode_cache, CacheUse::Miss);
        assert_eq!(outcome.result.unwrap(), json!([true, 2]));
    }
}

#[tokio::test]
async fn a_syntax_error_is_not_cached() {
    let code = unique("const = 1", "cache-syntax");
    for _ in 0..2 {
        let outcome = engine().run(RunRequest::new(code.clone())).await;
        assert_eq!(outcome.stats.bytecode_cache, CacheUse::Miss);
        assert_eq!(outcome.error_kind(), Some(ErrorKind::SyntaxError));
    }
}

#[tokio::test]
async fn cached_main_modules_import_the_current_module_map() {
    let main = unique("import { v } from './v.js';\nexport default () => v", "cache-modules");
    let run = |v: &str| {
        RunRequest::new(main.clone()).with_module("v.js", ModuleSource::Js(format!("export const v = '{v}';")))
    };
    let first = engine().run(run("one")).await;
    let second = engine().run(run("two")).await;
    assert_eq!(second.stats.bytecode_cache, CacheUse::Hit);
    assert_eq!(
        (first.result.unwrap(), second.result.unwrap()),
        (json!("one"), json!("two"))
    );
}

#[tokio::test]
async fn the_file_name_is_part_of_the_key() {
    let code = unique("(() => { throw new Error('where') })()", "cache-filename");
    let a = engine().run(RunRequest::new(code.clone()).with_filename("a.js")).await;
    let b = engine().run(RunRequest::new(code).with_filename("b.js")).await;
    assert_eq!(b.stats.bytecode_cache, CacheUse::Miss);
    assert!(a.result.unwrap_err().stack.unwrap().contains("a.js"));
    assert!(b.result.unwrap_err().stack.unwrap().contains("b.js"));
}

#[tokio::test]
async fn an_engine_without_a_cache_compiles_every_time() {
    let engine = Engine::builder()
        .max_concurrent_runs(2)
        .bytecode_cache_bytes(0)
        .build()
        .await
        .unwrap();
    for _ in 0..2 {
        let outcome = engine.run(RunRequest::new("1 + 1")).await;
        assert_eq!(outcome.stats.bytecode_cache, CacheUse::Off);
        assert_eq!(outcome.result.unwrap(), json!(2));
    }
}

#[tokio::test]
async fn typescript_hits_skip_stripping_and_keep_positions() {
    let code = unique(
        "const f = (n: number): number => {\n  if (n > 1) throw new Error('big');\n  return n;\n};\nf(input as number)",
        "cache-ts",
    );
    let request = |n: i64| {
        RunRequest::new(code.clone())
            .with_filename("main.ts")
            .with_input(json!(n))
    };
    let first = engine().run(request(1)).await;
    let second = engine().run(request(1)).await;
    let third = engine().run(request(5)).await;
    assert_eq!(
        (first.stats.bytecode_cache, second.stats.bytecode_cache),
        (CacheUse::Miss, CacheUse::Hit)
    );
    assert_eq!((first.result.unwrap(), second.result.unwrap()), (json!(1), json!(1)));
    let error = third.result.unwrap_err();
    assert!(
        error.stack.unwrap_or_default().contains("main.ts:3:"),
        "the TypeScript line (after the tag comment), from the cache"
    );
    // The same source as JavaScript is another entry (and would not parse).
    let as_js = engine()
        .run(
            RunRequest::new(code.clone())
                .with_filename("main.ts")
                .with_lang(isobox::Lang::Js),
        )
        .await;
    assert_eq!(as_js.stats.bytecode_cache, CacheUse::Miss);
}
