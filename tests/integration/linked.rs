//! Linked modules: a module graph the host resolved (npm packages), compiled
//! before any JS of a run and cached as bytecode, so a later run that links
//! the same graph compiles none of it.

use std::sync::Arc;

use isobox::{ErrorKind, Limits, LinkedModules, ModuleSource, Phase, RunRequest};
use serde_json::json;

use crate::common::{engine, err, ok};

const NO_IMPORTS: [(&str, &str); 0] = [];

/// A package `pkg` (three files: its index, `./lib` and its package.json),
/// which the entry imports as `pkg`. `tag` makes the sources unique, so the
/// shared engine's cache starts cold for them.
fn package(tag: &str) -> LinkedModules {
    let mut graph = LinkedModules::new();
    graph
        .add_module(
            "node_modules/pkg/index.js",
            ModuleSource::Js(format!(
                "// {tag}\n\
                 import {{ scale }} from './lib';\n\
                 import meta from './package.json' with {{ type: 'json' }};\n\
                 export const version = meta.version;\n\
                 export default function scaled(n) {{ return scale(n); }}\n"
            )),
            [
                ("./lib", "node_modules/pkg/lib.js"),
                ("./package.json", "node_modules/pkg/package.json"),
            ],
        )
        .unwrap()
        .add_module(
            "node_modules/pkg/lib.js",
            ModuleSource::Js(format!(
                "// {tag}\nexport const scale = (n) => {{\n  if (n < 0) throw new RangeError('negative');\n  return n * 10;\n}};\n"
            )),
            NO_IMPORTS,
        )
        .unwrap()
        .add_module(
            "node_modules/pkg/package.json",
            ModuleSource::Js(format!(r#"{{ "name": "pkg", "version": "1.2.3", "tag": "{tag}" }}"#)),
            NO_IMPORTS,
        )
        .unwrap()
        .add_entry_import("pkg", "node_modules/pkg/index.js")
        .unwrap();
    graph
}

fn linked(code: &str, graph: &Arc<LinkedModules>) -> RunRequest {
    RunRequest::new(code).with_linked(graph.clone())
}

#[tokio::test]
async fn the_entry_imports_a_package_by_the_hosts_resolution() {
    let graph = Arc::new(package("resolution"));
    let code = "import scaled, { version } from 'pkg';\nexport default (input) => ({ n: scaled(input), version })";
    let outcome = engine().run(linked(code, &graph).with_input(json!(4))).await;
    assert_eq!(ok(outcome), json!({ "n": 40, "version": "1.2.3" }));
}

#[tokio::test]
async fn a_second_run_with_other_code_compiles_no_linked_module() {
    let graph = Arc::new(package("second-run"));
    let first = engine()
        .run(linked(
            "import scaled from 'pkg';\nexport default () => scaled(1)",
            &graph,
        ))
        .await;
    assert_eq!((first.stats.modules_compiled, first.stats.modules_cached), (3, 0));
    assert_eq!(ok(first), json!(10));

    let second = engine()
        .run(linked(
            "import { version } from 'pkg';\nexport default version + '!'",
            &graph,
        ))
        .await;
    assert_eq!((second.stats.modules_compiled, second.stats.modules_cached), (0, 3));
    assert_eq!(ok(second), json!("1.2.3!"));

    // Bytecode keeps its positions: an error thrown in a cached module
    // points at its file and line.
    let third = engine()
        .run(linked(
            "import scaled from 'pkg';\nexport default () => scaled(-1)",
            &graph,
        ))
        .await;
    assert_eq!(third.stats.modules_cached, 3);
    let error = err(third);
    assert_eq!(error.name.as_deref(), Some("RangeError"));
    let stack = error.stack.unwrap_or_default();
    assert!(stack.contains("node_modules/pkg/lib.js:3"), "{stack}");
}

#[tokio::test]
async fn a_json_module_imported_with_and_without_attributes_is_one_module() {
    let mut graph = package("one-json");
    graph
        .add_entry_import("./meta", "node_modules/pkg/package.json")
        .unwrap();
    let graph = Arc::new(graph);
    let code = "import plain from './meta';\n\
                import typed from './meta' with { type: 'json' };\n\
                import { version } from 'pkg';\n\
                export default () => [plain === typed, typed.version === version]";
    for _ in 0..2 {
        assert_eq!(ok(engine().run(linked(code, &graph)).await), json!([true, true]));
    }
    // Its text is still there for another reading, from the cache too.
    let code = "import text from './meta' with { type: 'text' };\nexport default () => JSON.parse(text).name";
    let outcome = engine().run(linked(code, &graph)).await;
    assert_eq!(outcome.stats.modules_compiled, 0);
    assert_eq!(ok(outcome), json!("pkg"));
}

#[tokio::test]
async fn a_module_whose_import_attribute_chooses_a_reading_is_compiled_every_time() {
    // QuickJS's bytecode keeps no import attributes: read back, the import
    // would take the module's own reading, so such a module is not cached.
    let mut graph = package("reading");
    graph
        .add_module(
            "node_modules/raw/index.js",
            ModuleSource::Js(
                "import bytes from './notes.txt' with { type: 'bytes' };\n\
                 export default [bytes instanceof Uint8Array, bytes.length];"
                    .into(),
            ),
            [("./notes.txt", "node_modules/raw/notes.txt")],
        )
        .unwrap()
        .add_module(
            "node_modules/raw/notes.txt",
            ModuleSource::Text("héllo".into()),
            NO_IMPORTS,
        )
        .unwrap()
        .add_entry_import("raw", "node_modules/raw/index.js")
        .unwrap();
    let graph = Arc::new(graph);
    let code = "import raw from 'raw';\nexport default raw";
    let first = engine().run(linked(code, &graph)).await;
    assert_eq!(first.stats.modules_compiled, 5);
    assert_eq!(ok(first), json!([true, 6]));
    let second = engine().run(linked(code, &graph)).await;
    assert_eq!((second.stats.modules_compiled, second.stats.modules_cached), (1, 4));
    assert_eq!(ok(second), json!([true, 6]));
}

#[tokio::test]
async fn a_failed_dynamic_import_leaves_the_linked_modules_importable() {
    let graph = Arc::new(package("failed-import"));
    let code = "export default async () => {\n\
                  const failed = await import('./missing.js').then(() => false, () => true);\n\
                  const { default: scaled } = await import('pkg');\n\
                  return [failed, scaled(2)];\n\
                }";
    for _ in 0..2 {
        assert_eq!(ok(engine().run(linked(code, &graph)).await), json!([true, 20]));
    }
}

#[tokio::test]
async fn a_bare_specifier_missing_from_the_tables_keeps_the_bundling_hint() {
    let graph = Arc::new(package("bare"));
    let code = "import _ from 'lodash';\nexport default () => 1";
    let error = err(engine().run(linked(code, &graph)).await);
    assert!(error.message.contains("'lodash'"), "{}", error.message);
    assert!(error.message.contains("dependencies"), "{}", error.message);

    // In a linked module too, and the run fails before any JS runs even
    // when the code never imports it.
    let mut graph = package("bare-in-module");
    graph
        .add_module(
            "node_modules/other/index.js",
            ModuleSource::Js("import left from 'left-pad';\nexport default left;".into()),
            NO_IMPORTS,
        )
        .unwrap();
    let code = "console.log('ran'); 1";
    let outcome = engine().run(linked(code, &Arc::new(graph))).await;
    assert!(outcome.logs.entries.is_empty(), "no JS ran");
    let error = err(outcome);
    assert_eq!(error.phase, Phase::Compile);
    assert!(
        error.message.contains("node_modules/other/index.js"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("'left-pad'") && error.message.contains("dependencies"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_linked_module_whose_import_does_not_resolve_fails_the_run_from_the_cache_too() {
    let mut graph = package("unresolved");
    graph
        .add_module(
            "node_modules/other/index.js",
            ModuleSource::Js("// unresolved\nimport config from './config.js';\nexport default config;".into()),
            NO_IMPORTS,
        )
        .unwrap();
    let graph = Arc::new(graph);
    let code = "import scaled from 'pkg';\nexport default () => scaled(1)";
    // With the file its relative import reaches among the request's own
    // modules, the module compiles, and its bytecode is kept.
    let with_config = linked(code, &graph).with_module(
        "node_modules/other/config.js",
        ModuleSource::Js("export default 1".into()),
    );
    let outcome = engine().run(with_config).await;
    assert_eq!(outcome.stats.modules_compiled, 4);
    assert_eq!(ok(outcome), json!(10));
    // Without it, the cached module fails the run as its source would, though
    // the code never imports it.
    let outcome = engine().run(linked(code, &graph)).await;
    assert_eq!(outcome.stats.modules_cached, 4);
    let error = err(outcome);
    assert_eq!(error.phase, Phase::Compile);
    assert!(
        error.message.contains("in module 'node_modules/other/index.js'")
            && error.message.contains("no module 'node_modules/other/config.js'"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_linked_javascript_module_does_not_import_as_text() {
    let graph = Arc::new(package("as-text"));
    let code = "import source from 'pkg' with { type: 'text' };\nexport default () => source";
    let error = err(engine().run(linked(code, &graph)).await);
    assert!(error.message.contains("linked JavaScript module"), "{}", error.message);
}

#[tokio::test]
async fn a_syntax_error_in_a_linked_module_names_the_module_and_nothing_runs() {
    let mut graph = package("syntax");
    graph
        .add_module(
            "node_modules/broken/index.js",
            ModuleSource::Js("// syntax\nexport const f = () => {\n  return 1 +;\n};\n".into()),
            NO_IMPORTS,
        )
        .unwrap();
    let graph = Arc::new(graph);
    for _ in 0..2 {
        let outcome = engine()
            .run(linked("console.log('ran');\nexport default () => 1", &graph))
            .await;
        assert!(outcome.logs.entries.is_empty(), "no JS ran");
        let error = err(outcome);
        assert_eq!(
            (error.phase, error.kind),
            (Phase::Compile, ErrorKind::SyntaxError),
            "{error:?}"
        );
        assert!(
            error.message.contains("in module 'node_modules/broken/index.js'"),
            "{}",
            error.message
        );
        assert_eq!((error.line, error.column.is_some()), (Some(3), true), "{error:?}");
    }
}

#[tokio::test]
async fn names_that_collide_and_graphs_over_dependency_bytes_are_refused() {
    let graph = Arc::new(package("refused"));
    let refused = |request: RunRequest| async move {
        let error = err(engine().run(request).await);
        assert_eq!((error.phase, error.kind), (Phase::Input, ErrorKind::InvalidInput));
        error.message
    };

    let message = refused(linked("1", &graph).with_filename("node_modules/pkg/lib.js")).await;
    assert!(message.contains("main module's name"), "{message}");

    let request = linked("1", &graph).with_module("./node_modules/pkg/lib.js", ModuleSource::Js("".into()));
    let message = refused(request).await;
    assert!(
        message.contains("\"node_modules/pkg/lib.js\" of the request has the name of a linked module"),
        "{message}"
    );

    let limits = Limits {
        dependency_bytes: 100,
        ..Limits::default()
    };
    let message = refused(linked("1", &graph).with_limits(limits)).await;
    assert!(message.contains("over the dependency_bytes limit of 100"), "{message}");

    // The graph's bytes do not count against code_bytes.
    let limits = Limits {
        code_bytes: 200,
        ..Limits::default()
    };
    let code = "import scaled from 'pkg';\nexport default () => scaled(3)";
    assert!(graph.source_bytes() > 200);
    assert_eq!(
        ok(engine().run(linked(code, &graph).with_limits(limits)).await),
        json!(30)
    );
}

#[tokio::test]
async fn a_module_table_naming_a_module_not_in_the_graph_is_refused() {
    let mut graph = LinkedModules::new();
    graph
        .add_module("a.js", ModuleSource::Js("export {}".into()), [("./b", "b.js")])
        .unwrap();
    let error = err(engine().run(linked("1", &Arc::new(graph))).await);
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(
        error.message.contains("\"b.js\", which is not a linked module"),
        "{}",
        error.message
    );
}
