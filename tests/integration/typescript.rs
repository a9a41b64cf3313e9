//! TypeScript: stripped on the host, positions kept, constructs that need
//! more than erasure refused with their line, syntax errors before any Wasm.

use isobox::{ErrorKind, Lang, ModuleSource, Phase, RunRequest};
use serde_json::json;

use crate::common::{engine, err, ok};

fn ts(code: &str) -> RunRequest {
    RunRequest::new(code).with_filename("main.ts")
}

#[tokio::test]
async fn typescript_with_types_generics_and_casts_runs() {
    let code = "interface Order { amount: number; id?: string }\n\
                type Total = { total: number };\n\
                function sum<T extends Order>(orders: readonly T[]): Total {\n\
                  return { total: orders.reduce((s: number, o) => s + o.amount, 0) };\n\
                }\n\
                export default (input: unknown): Total => sum(input as Order[]);\n";
    assert_eq!(
        ok(engine()
            .run(ts(code).with_input(json!([{ "amount": 2 }, { "amount": 3 }])))
            .await),
        json!({ "total": 5 })
    );
}

#[tokio::test]
async fn lang_ts_works_without_a_ts_file_name() {
    let request = RunRequest::new("const n: number = 40;\nn + 2").with_lang(Lang::Ts);
    assert_eq!(ok(engine().run(request).await), json!(42));
}

#[tokio::test]
async fn a_runtime_error_points_at_the_typescript_line_and_column() {
    let code =
        "interface P { n: number }\nconst f = (p: P): number => {\n  throw new Error('x' + p.n);\n};\nf({ n: 1 } as P)";
    let error = err(engine().run(ts(code)).await);
    let stack = error.stack.unwrap_or_default();
    // Same line and column as in the TypeScript source (types became spaces).
    let js_error = err(engine()
        .run(RunRequest::new("                        \nconst f = (p   )         => {\n  throw new Error('x' + p.n);\n};\nf({ n: 1 }     )").with_filename("main.ts").with_lang(Lang::Js))
        .await);
    assert_eq!(
        Some(stack.clone()),
        js_error.stack,
        "positions match the blanked JS exactly"
    );
    assert!(stack.contains("main.ts:3:"), "{stack}");
}

#[tokio::test]
async fn constructs_that_need_more_than_erasure_are_refused_with_line_and_hint() {
    for (code, construct, line) in [
        (
            "const a = 1;\nenum Color { Red, Green }\nexport default () => a",
            "enum",
            2,
        ),
        (
            "namespace Util {\n  export const x = 1;\n}\nexport default () => 1",
            "namespace",
            1,
        ),
        (
            "class Point {\n  constructor(private x: number) {}\n}\nexport default () => 1",
            "parameter propert",
            2,
        ),
    ] {
        let outcome = engine().run(ts(code)).await;
        assert_eq!(outcome.stats.peak_memory_bytes, 0, "refused before any sandbox ran");
        let error = outcome.result.unwrap_err();
        assert_eq!(
            (error.phase, error.kind),
            (Phase::Compile, ErrorKind::SyntaxError),
            "{error:?}"
        );
        assert!(error.message.contains(construct), "{construct}: {}", error.message);
        assert!(error.message.starts_with("main.ts: "), "{}", error.message);
        assert_eq!(error.line, Some(line), "{construct}: {error:?}");
    }
}

#[tokio::test]
async fn a_typescript_syntax_error_has_line_and_column_before_any_wasm() {
    let outcome = engine().run(ts("let a: number = 1;\nlet b = (a +;\n")).await;
    assert_eq!(outcome.stats.peak_memory_bytes, 0);
    let error = outcome.result.unwrap_err();
    assert_eq!((error.phase, error.kind), (Phase::Compile, ErrorKind::SyntaxError));
    assert_eq!(error.line, Some(2), "{error:?}");
    assert!(error.column.is_some(), "{error:?}");
}

#[tokio::test]
async fn typescript_modules_in_the_map_are_stripped_and_type_only_imports_vanish() {
    let request = ts(
        "import type { Shape } from './types.ts';\nimport { area } from './area.ts';\n\
                      export default (s: Shape): number => area(s);",
    )
    .with_input(json!({ "w": 3, "h": 4 }))
    .with_module(
        "area.ts",
        ModuleSource::Js("export function area(s: { w: number; h: number }): number { return s.w * s.h; }".into()),
    );
    assert_eq!(ok(engine().run(request).await), json!(12));
}

#[tokio::test]
async fn a_syntax_error_in_a_typescript_module_names_the_module() {
    let request = ts("import { f } from './bad.ts';\nexport default () => f()").with_module(
        "bad.ts",
        ModuleSource::Js("export const f = (): number => {\n  return 1 +;\n};".into()),
    );
    let error = err(engine().run(request).await);
    assert_eq!(
        (error.phase, error.kind, error.line),
        (Phase::Compile, ErrorKind::SyntaxError, Some(2))
    );
    assert!(error.message.starts_with("bad.ts: "), "{}", error.message);
}

#[tokio::test]
async fn jsx_compiles_with_the_classic_runtime_and_reports_errors_where_they_are() {
    let classic = isobox::typescript::Jsx::Classic {
        pragma: "h".into(),
        fragment: "F".into(),
    };
    let code = "const h = (tag: string, props: object | null, ...children: unknown[]) => ({ tag, children });\n\
                const F = 'fragment';\n\
                export default () => <p>{1 + 1}<>x</></p>;\n";
    let value = ok(engine()
        .run(RunRequest::new(code).with_filename("app.tsx").with_jsx(classic.clone()))
        .await);
    assert_eq!(
        value,
        serde_json::json!({ "tag": "p", "children": [2, { "tag": "fragment", "children": ["x"] }] })
    );
    let error = err(engine()
        .run(
            RunRequest::new("const a = 1;\nexport default () => <div>;\n")
                .with_filename("bad.jsx")
                .with_jsx(classic),
        )
        .await);
    assert_eq!((error.kind, error.line), (ErrorKind::SyntaxError, Some(2)), "{error:?}");
}

/// Strip-only keeps imports as written (like Node's type stripping, or
/// `verbatimModuleSyntax`): a type imported without `import type` is still
/// imported, and linking fails with an error naming it.
#[tokio::test]
async fn a_type_imported_without_import_type_fails_to_link_naming_it() {
    let types = ModuleSource::Js("export type Shape = { w: number };".into());
    let without = ts("import { Shape } from './types.ts';\nexport default (s: Shape) => s.w")
        .with_module("types.ts", types.clone());
    let error = err(engine().run(without).await);
    assert!(error.message.contains("Shape"), "{error:?}");

    let with = ts("import type { Shape } from './types.ts';\nexport default (s: Shape) => s.w")
        .with_input(json!({ "w": 5 }))
        .with_module("types.ts", types);
    assert_eq!(ok(engine().run(with).await), json!(5));
}
