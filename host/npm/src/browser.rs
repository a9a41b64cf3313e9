//! Client entries bundled for the browser: a project's entry module, its
//! own modules and the package modules they reach, written as one classic
//! script (`<script src="/client.js" defer>`, or `type="module"`) that
//! needs no import maps, no node_modules and no build tool of the user's.
//!
//! Each module is compiled from ES module syntax to a function by swc's
//! CommonJS transform (live bindings kept as getters, `import()` becoming
//! a promise of the already bundled module), and the functions are kept in
//! a table by number with each module's specifiers resolved to numbers. A
//! small loader runs the entry. Package modules resolve their specifiers
//! through the linked graph's tables (resolved with the browser
//! conditions by [`Npm`](crate::Npm)); the project's own modules resolve
//! relative specifiers among the project's files (`./util` finds
//! `util.ts`, as TypeScript's bundler resolution does) and bare ones
//! through the graph's entry table. TypeScript and JSX are compiled as for
//! a run.
//!
//! Only what the entry reaches is written (statically or through a
//! literal `import()`); within a module nothing is dropped, and the output
//! is not minified (serve it compressed: a `.gz` beside it is sent by
//! `Accept-Encoding`). Top-level `await` is refused: a classic script
//! cannot wait before running the modules after it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write;

use swc_common::comments::SingleThreadedComments;
use swc_common::errors::{DiagnosticBuilder, Emitter, HANDLER, Handler};
use swc_common::sync::Lrc;
use swc_common::{FileName, GLOBALS, Globals, Mark, SourceMap, Spanned};
use swc_ecma_ast::{ArrowExpr, AwaitExpr, Class, EsVersion, ForOfStmt, Function, Program};
use swc_ecma_parser::{EsSyntax, Syntax, parse_file_as_program};
use swc_ecma_transforms_base::fixer::fixer;
use swc_ecma_transforms_base::helpers::{HELPERS, Helpers, inject_helpers};
use swc_ecma_transforms_base::hygiene::hygiene;
use swc_ecma_transforms_base::resolver;
use swc_ecma_visit::{Visit, VisitWith};

use crate::bundle::{Bundle, BundleModule};
use crate::error::{NpmError, NpmErrorKind};

/// Extensions tried, in order, for a relative import between the project's
/// own modules that names no file exactly.
const EXTENSIONS: [&str; 7] = [".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts", ".json"];

/// A project's client entry as one script for the browser.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BrowserScript {
    /// The script.
    pub code: String,
    /// How many modules it holds.
    pub modules: usize,
}

/// One module on its way into the script.
struct Unit {
    json: bool,
    /// JavaScript (compiled from TypeScript or JSX) or JSON text.
    source: String,
    /// Specifier as written -> module name.
    table: BTreeMap<String, String>,
}

impl Bundle {
    /// The script that runs this bundle's main module, with everything it
    /// reaches, in a browser. The packages should have been linked with
    /// the browser conditions ([`Npm::with_conditions`](crate::Npm::with_conditions)
    /// `["browser"]`).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use isobox_npm::{Bundle, BundleModule};
    ///
    /// let module = |source: &str| BundleModule { kind: "js".into(), source: source.into(), imports: BTreeMap::new() };
    /// let modules = BTreeMap::from([
    ///     ("client.ts".to_owned(), module("import { twice } from './lib'; globalThis.out = twice(21);")),
    ///     ("lib.ts".to_owned(), module("export const twice = (n: number): number => n * 2;")),
    /// ]);
    /// let script = Bundle::new("client.ts".into(), modules, None).browser_script()?;
    /// assert_eq!(script.modules, 2);
    /// assert!(script.code.contains("n * 2"));
    /// # Ok::<(), isobox_npm::NpmError>(())
    /// ```
    ///
    /// # Errors
    /// [`NpmErrorKind::Parse`] for a module that does not compile or uses
    /// top-level `await`; [`NpmErrorKind::Resolve`] for a relative import
    /// of the project's that names no file, or a bare import no package
    /// answers.
    pub fn browser_script(&self) -> Result<BrowserScript, NpmError> {
        let units = self.reachable()?;
        let order: Vec<&String> = units.keys().collect();
        let ids: BTreeMap<&str, usize> = order.iter().enumerate().map(|(i, name)| (name.as_str(), i)).collect();
        let sources: Vec<(String, String, bool)> = units
            .iter()
            .map(|(name, unit)| (name.clone(), unit.source.clone(), unit.json))
            .collect();
        let compiled = crate::scan::on_big_stack(move || {
            sources
                .iter()
                .map(|(name, source, json)| {
                    if *json {
                        Ok(format!("module.exports = {};", source.trim()))
                    } else {
                        to_function_body(source, name)
                    }
                })
                .collect::<Result<Vec<String>, NpmError>>()
        })
        .ok_or_else(|| NpmError::new(NpmErrorKind::Parse, "the client bundle could not be compiled"))??;
        let mut code = String::with_capacity(compiled.iter().map(String::len).sum::<usize>() + 1024);
        code.push_str(
            "(function () {\n\"use strict\";\n\
             var process = globalThis.process || { env: { NODE_ENV: \"production\" }, browser: true };\n\
             var modules = [\n",
        );
        for ((name, unit), body) in units.iter().zip(&compiled) {
            let table: BTreeMap<&str, usize> = unit
                .table
                .iter()
                .filter_map(|(specifier, target)| ids.get(target.as_str()).map(|id| (specifier.as_str(), *id)))
                .collect();
            let table = serde_json::to_string(&table).unwrap_or_else(|_| "{}".into());
            let _ = write!(
                code,
                "// {}\n[function (module, exports, require) {{\n{body}\n}}, {table}],\n",
                name.replace(['\n', '\r'], " ")
            );
        }
        let entry = ids.get(self.main.as_str()).copied().unwrap_or(0);
        let _ = write!(
            code,
            "];\nvar loaded = [];\n\
             function load(id) {{\n\
             \x20 if (loaded[id]) return loaded[id].exports;\n\
             \x20 var module = loaded[id] = {{ exports: {{}} }};\n\
             \x20 var table = modules[id][1];\n\
             \x20 modules[id][0].call(module.exports, module, module.exports, function (specifier) {{\n\
             \x20   var target = table[specifier];\n\
             \x20   if (target === undefined) {{ var error = new Error(\"Cannot find module '\" + specifier + \"'\"); error.code = \"MODULE_NOT_FOUND\"; throw error; }}\n\
             \x20   return load(target);\n\
             \x20 }});\n\
             \x20 return module.exports;\n\
             }}\n\
             load({entry});\n\
             }})();\n"
        );
        Ok(BrowserScript {
            code,
            modules: units.len(),
        })
    }

    /// Every module the main module reaches, compiled to JavaScript, with
    /// its specifiers resolved to module names.
    fn reachable(&self) -> Result<BTreeMap<String, Unit>, NpmError> {
        let jsx = self.jsx.clone().unwrap_or_default();
        let mut units: BTreeMap<String, Unit> = BTreeMap::new();
        let mut queue = VecDeque::from([self.main.clone()]);
        let mut seen = BTreeSet::from([self.main.clone()]);
        while let Some(name) = queue.pop_front() {
            let unit = if let Some(module) = self.packages.get(&name) {
                Unit {
                    json: module.kind == "json",
                    source: module.source.clone(),
                    table: module.imports.clone(),
                }
            } else if let Some(module) = self.modules.get(&name) {
                self.own_unit(&name, module, &jsx)?
            } else {
                return Err(NpmError::new(
                    NpmErrorKind::Resolve,
                    format!("the bundle has no module {name:?}"),
                ));
            };
            for target in unit.table.values() {
                if seen.insert(target.clone()) {
                    queue.push_back(target.clone());
                }
            }
            units.insert(name, unit);
        }
        Ok(units)
    }

    /// One of the project's own modules, compiled, its specifiers resolved.
    fn own_unit(&self, name: &str, module: &BundleModule, jsx: &isobox::typescript::Jsx) -> Result<Unit, NpmError> {
        match module.kind.as_str() {
            "json" => {
                return Ok(Unit {
                    json: true,
                    source: module.source.clone(),
                    table: BTreeMap::new(),
                });
            }
            "text" => {
                return Ok(Unit {
                    json: true,
                    source: serde_json::to_string(&module.source).unwrap_or_default(),
                    table: BTreeMap::new(),
                });
            }
            _ => {}
        }
        let (source, specifiers) = compile_own(name, module, jsx)?;
        let mut table = BTreeMap::new();
        for specifier in specifiers {
            let target = if is_relative(&specifier) {
                relative_module(&self.modules, name, &specifier)?
            } else {
                self.imports.get(&specifier).cloned().ok_or_else(|| {
                    NpmError::new(
                        NpmErrorKind::Resolve,
                        format!("{name} imports {specifier:?}, which no dependency answers: add its package"),
                    )
                })?
            };
            table.insert(specifier, target);
        }
        Ok(Unit {
            json: false,
            source,
            table,
        })
    }
}

/// One of the project's JS modules compiled (TypeScript, JSX), and the
/// literal specifiers it imports, dynamically imports or requires.
fn compile_own(
    name: &str,
    module: &BundleModule,
    jsx: &isobox::typescript::Jsx,
) -> Result<(String, Vec<String>), NpmError> {
    let parse = |message: String| NpmError::new(NpmErrorKind::Parse, message);
    let source = if isobox::typescript::is_jsx_name(name) {
        isobox::typescript::compile_jsx(&module.source, name, jsx).map_err(|e| parse(format!("{name}: {e}")))?
    } else if [".ts", ".mts", ".cts"].iter().any(|ext| name.ends_with(ext)) {
        isobox::typescript::strip(&module.source, name).map_err(|e| parse(format!("{name}: {e}")))?
    } else {
        module.source.clone()
    };
    let scanned = crate::scan::scan(&source, name, false)
        .map_err(|e| parse(format!("{name}:{}:{}: {}", e.line, e.column, e.message)))?;
    let mut specifiers: Vec<String> = Vec::new();
    for specifier in scanned
        .imports
        .into_iter()
        .chain(scanned.dynamic_imports)
        .chain(scanned.requires)
    {
        if !specifiers.contains(&specifier) {
            specifiers.push(specifier);
        }
    }
    Ok((source, specifiers))
}

/// The bare specifiers a project's `entry` reaches through its own
/// modules (relative imports followed, TypeScript and JSX compiled with
/// `jsx`, the JSX runtime counted): what to link for a client entry.
///
/// # Errors
/// As [`Bundle::browser_script`], for the project's own modules.
pub fn client_imports(
    modules: &BTreeMap<String, BundleModule>,
    entry: &str,
    jsx: &isobox::typescript::Jsx,
) -> Result<Vec<String>, NpmError> {
    let mut bare = BTreeSet::new();
    let mut queue = VecDeque::from([entry.to_owned()]);
    let mut seen = BTreeSet::from([entry.to_owned()]);
    while let Some(name) = queue.pop_front() {
        let Some(module) = modules.get(&name) else {
            return Err(NpmError::new(
                NpmErrorKind::Resolve,
                format!("the project has no module {name:?}"),
            ));
        };
        if module.kind != "js" {
            continue;
        }
        if isobox::typescript::is_jsx_name(&name) {
            bare.extend(jsx.runtime_module());
        }
        for specifier in compile_own(&name, module, jsx)?.1 {
            if is_relative(&specifier) {
                let target = relative_module(modules, &name, &specifier)?;
                if seen.insert(target.clone()) {
                    queue.push_back(target);
                }
            } else {
                bare.insert(specifier);
            }
        }
    }
    Ok(bare.into_iter().collect())
}

fn is_relative(specifier: &str) -> bool {
    specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/')
}

/// The project's module a relative `specifier` of `from` names: exactly,
/// with an extension, or as a directory's index.
fn relative_module(modules: &BTreeMap<String, BundleModule>, from: &str, specifier: &str) -> Result<String, NpmError> {
    let directory = from.rsplit_once('/').map_or("", |(dir, _)| dir);
    let joined = if let Some(absolute) = specifier.strip_prefix('/') {
        absolute.to_owned()
    } else if directory.is_empty() {
        specifier.to_owned()
    } else {
        format!("{directory}/{specifier}")
    };
    let path = crate::resolve::normalise(&joined).ok_or_else(|| {
        NpmError::new(
            NpmErrorKind::Resolve,
            format!("{from} imports {specifier:?}, which leaves the project"),
        )
    })?;
    let candidates = std::iter::once(path.clone())
        .chain(EXTENSIONS.iter().map(|ext| format!("{path}{ext}")))
        .chain(EXTENSIONS.iter().map(|ext| format!("{path}/index{ext}")));
    for candidate in candidates {
        if modules.contains_key(&candidate) {
            return Ok(candidate);
        }
    }
    Err(NpmError::new(
        NpmErrorKind::Resolve,
        format!("{from} imports {specifier:?}, which names no file of the project"),
    ))
}

/// Collects swc's diagnostics.
struct Collect(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Emitter for Collect {
    fn emit(&mut self, diagnostic: &mut DiagnosticBuilder<'_>) {
        if let Ok(mut list) = self.0.lock() {
            list.push(diagnostic.message());
        }
    }
}

/// The ES module `source` as the body of a CommonJS function.
fn to_function_body(source: &str, name: &str) -> Result<String, NpmError> {
    let parse = |message: String| NpmError::new(NpmErrorKind::Parse, crate::error::clip(&message, 400));
    let map: Lrc<SourceMap> = Lrc::default();
    let collected = std::sync::Arc::default();
    let handler = Handler::with_emitter(true, false, Box::new(Collect(std::sync::Arc::clone(&collected))));
    let file = map.new_source_file(Lrc::new(FileName::Custom(name.to_owned())), source.to_owned());
    let comments = SingleThreadedComments::default();
    GLOBALS.set(&Globals::new(), || {
        HANDLER.set(&handler, || {
            let syntax = Syntax::Es(EsSyntax {
                jsx: false,
                import_attributes: true,
                ..Default::default()
            });
            let mut recovered = Vec::new();
            let position = |span: swc_common::Span| {
                let at = map.lookup_char_pos(span.lo);
                format!("{name}:{}:{}", at.line, at.col.0 + 1)
            };
            let program = parse_file_as_program(&file, syntax, EsVersion::latest(), Some(&comments), &mut recovered)
                .map_err(|error| parse(format!("{}: {}", position(error.span()), error.kind().msg())))?;
            if let Some(error) = recovered.first() {
                return Err(parse(format!("{}: {}", position(error.span()), error.kind().msg())));
            }
            let mut top_level_await = TopLevelAwait(None);
            program.visit_with(&mut top_level_await);
            if let Some(span) = top_level_await.0 {
                return Err(parse(format!(
                    "{}: top-level await cannot run in a browser script: move it into a function",
                    position(span)
                )));
            }
            let unresolved = Mark::new();
            let top_level = Mark::new();
            let program: Program = HELPERS.set(&Helpers::new(false), || {
                let mut program = program;
                program.mutate(&mut resolver(unresolved, top_level, false));
                program.mutate(&mut swc_ecma_transforms_module::common_js(
                    swc_ecma_transforms_module::path::Resolver::Default,
                    unresolved,
                    swc_ecma_transforms_module::util::Config {
                        allow_top_level_this: true,
                        ..Default::default()
                    },
                    swc_ecma_transforms_module::common_js::FeatureFlag {
                        support_block_scoping: true,
                        support_arrow: true,
                    },
                ));
                program.mutate(&mut inject_helpers(unresolved));
                program.mutate(&mut hygiene());
                program.mutate(&mut fixer(Some(&comments)));
                program
            });
            if let Some(message) = collected.lock().ok().and_then(|list| list.first().cloned()) {
                return Err(parse(format!("{name}: {message}")));
            }
            let mut out = Vec::with_capacity(source.len() + 256);
            {
                let mut emitter = swc_ecma_codegen::Emitter {
                    cfg: swc_ecma_codegen::Config::default(),
                    comments: Some(&comments),
                    cm: map.clone(),
                    wr: swc_ecma_codegen::text_writer::JsWriter::new(map.clone(), "\n", &mut out, None),
                };
                emitter
                    .emit_program(&program)
                    .map_err(|e| parse(format!("{name}: cannot print: {e}")))?;
            }
            String::from_utf8(out).map_err(|_| parse(format!("{name}: the compiled module is not UTF-8")))
        })
    })
}

/// Finds an `await` outside every function: top-level await.
struct TopLevelAwait(Option<swc_common::Span>);

impl Visit for TopLevelAwait {
    fn visit_function(&mut self, _: &Function) {}
    fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
    fn visit_class(&mut self, class: &Class) {
        // Field initialisers and methods are functions; static blocks may
        // not await either.
        let _ = class;
    }
    fn visit_await_expr(&mut self, expr: &AwaitExpr) {
        self.0.get_or_insert(expr.span);
    }
    fn visit_for_of_stmt(&mut self, stmt: &ForOfStmt) {
        if stmt.is_await {
            self.0.get_or_insert(stmt.span);
        }
        stmt.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(source: &str) -> BundleModule {
        BundleModule {
            kind: "js".into(),
            source: source.into(),
            imports: BTreeMap::new(),
        }
    }

    #[test]
    fn only_what_the_entry_reaches_is_written_and_each_specifier_maps_to_a_number() {
        let modules = BTreeMap::from([
            (
                "src/client.tsx".to_owned(),
                js(
                    "import { label } from './label';\nimport data from '../data.json';\nexport const view = <b>{label(data.n)}</b>;",
                ),
            ),
            (
                "src/label.ts".to_owned(),
                js("export function label(n: number): string { return `n=${n}`; }"),
            ),
            ("src/unused.ts".to_owned(), js("export const never = 1;")),
            (
                "data.json".to_owned(),
                BundleModule {
                    kind: "json".into(),
                    source: "{\"n\": 3}".into(),
                    imports: BTreeMap::new(),
                },
            ),
        ]);
        let mut bundle = Bundle::new("src/client.tsx".into(), modules, None);
        bundle.jsx = Some(isobox::typescript::Jsx::Classic {
            pragma: "h".into(),
            fragment: "Fragment".into(),
        });
        let script = bundle.browser_script().unwrap();
        assert_eq!(script.modules, 3, "{}", script.code);
        assert!(!script.code.contains("never"));
        assert!(script.code.contains("h(\"b\""), "{}", script.code);
        assert!(
            script.code.contains("{\"../data.json\":0,\"./label\":2}"),
            "{}",
            script.code
        );
    }

    #[test]
    fn bad_imports_and_top_level_await_are_refused_with_the_module_named() {
        let one = |source: &str| {
            Bundle::new(
                "main.js".into(),
                BTreeMap::from([("main.js".to_owned(), js(source))]),
                None,
            )
            .browser_script()
        };
        let error = one("import './missing.js';").unwrap_err();
        assert_eq!(error.kind(), NpmErrorKind::Resolve);
        assert!(
            error
                .to_string()
                .contains("main.js imports \"./missing.js\", which names no file"),
            "{error}"
        );
        let error = one("import 'left-pad';").unwrap_err();
        assert!(error.to_string().contains("which no dependency answers"), "{error}");
        let error = one("const x = 1;\nawait Promise.resolve(x);").unwrap_err();
        assert!(error.to_string().contains("main.js:2:1: top-level await"), "{error}");
        assert!(one("export const f = async () => await 1;").is_ok());
        let error = one("import '../../etc/passwd';").unwrap_err();
        assert!(error.to_string().contains("leaves the project"), "{error}");
    }
}
