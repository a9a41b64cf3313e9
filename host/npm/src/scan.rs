//! What a JavaScript file imports and exports, read with swc's parser:
//! static and dynamic `import`s with literal specifiers, `require("...")`
//! calls, whether the file is an ES module, and the names a CommonJS file
//! assigns to `exports` (as Node's cjs-module-lexer finds them), so ES
//! modules can import them by name.

use std::collections::BTreeSet;

use swc_common::sync::Lrc;
use swc_common::{FileName, SourceMap, Spanned};
use swc_ecma_ast::{
    AssignTarget, CallExpr, Callee, Decl, EsVersion, ExportAll, ExportSpecifier, Expr, ImportDecl, ImportSpecifier,
    Lit, MemberExpr, MemberProp, Module, ModuleDecl, ModuleExportName, ModuleItem, NamedExport, Pat, Program, Prop,
    PropName, PropOrSpread, SimpleAssignTarget,
};
use swc_ecma_parser::{EsSyntax, Syntax, TsSyntax, parse_file_as_program};
use swc_ecma_visit::{Visit, VisitWith};

/// Stack for parsing and walking one file: deeply nested code must not
/// overflow the host's stack.
const SCAN_STACK_BYTES: usize = 256 << 20;

/// What one file imports and exports.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// `import`/`export ... from` declarations: an ES module.
    pub is_module: bool,
    /// Specifiers of static imports and re-exports, in order, once each.
    pub imports: Vec<String>,
    /// Literal specifiers of `import("...")`.
    pub dynamic_imports: Vec<String>,
    /// Literal specifiers of `require("...")`.
    pub requires: Vec<String>,
    /// Names assigned on `exports` / `module.exports`.
    pub exports: BTreeSet<String>,
    /// Specifiers whose exports this file re-exports
    /// (`module.exports = require("x")`, `__exportStar(require("x"), exports)`).
    pub reexports: Vec<String>,
    /// An ES module's shape: what it exports and what it takes by name.
    pub esm: EsmShape,
}

/// What an ES module exports and what it imports by name, read from its
/// top-level declarations: what linking only the names an import uses
/// needs (`import { format } from 'date-fns'`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct EsmShape {
    /// Names it exports from its own bindings (`default` included).
    pub local: BTreeSet<String>,
    /// `export { imported as exported } from "specifier"` (`*` for
    /// `export * as exported from`): (exported, imported, specifier).
    pub named_from: Vec<(String, String, String)>,
    /// `export * from "specifier"`.
    pub star_from: Vec<String>,
    /// The names each specifier is imported for; `None` when the whole
    /// module is (a namespace or side-effect import, a re-export, a dynamic
    /// import).
    pub imported: std::collections::BTreeMap<String, Option<BTreeSet<String>>>,
}

/// Where a file failed to parse.
#[derive(Debug)]
pub(crate) struct ScanError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Scans `source`; `typescript` parses TypeScript syntax.
pub(crate) fn scan(source: &str, name: &str, typescript: bool) -> Result<Scanned, ScanError> {
    let source = source.to_owned();
    let name = name.to_owned();
    on_big_stack(move || scan_here(&source, &name, typescript)).unwrap_or_else(|| {
        Err(ScanError {
            message: "the file could not be scanned".into(),
            line: 0,
            column: 0,
        })
    })
}

/// Runs `f` on a thread with a [`SCAN_STACK_BYTES`] stack (swc's parser and
/// visitors recurse with the code's nesting); `None` if the thread could
/// not start or panicked.
pub(crate) fn on_big_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Option<R> {
    std::thread::Builder::new()
        .name("isobox-npm-swc".into())
        .stack_size(SCAN_STACK_BYTES)
        .spawn(f)
        .ok()
        .and_then(|thread| thread.join().ok())
}

fn scan_here(source: &str, name: &str, typescript: bool) -> Result<Scanned, ScanError> {
    let map: Lrc<SourceMap> = Lrc::default();
    let file = map.new_source_file(Lrc::new(FileName::Custom(name.to_owned())), source.to_owned());
    let syntax = if typescript {
        Syntax::Typescript(TsSyntax {
            tsx: name.ends_with(".tsx"),
            decorators: true,
            ..Default::default()
        })
    } else {
        Syntax::Es(EsSyntax {
            jsx: name.ends_with(".jsx"),
            import_attributes: true,
            allow_return_outside_function: true,
            explicit_resource_management: true,
            ..Default::default()
        })
    };
    let mut recovered = Vec::new();
    let program = parse_file_as_program(&file, syntax, EsVersion::latest(), None, &mut recovered).map_err(|error| {
        let position = map.lookup_char_pos(error.span().lo);
        ScanError {
            message: error.kind().msg().into_owned(),
            line: position.line,
            column: position.col.0 + 1,
        }
    })?;
    let mut scanner = Scanner::default();
    if let Program::Module(module) = &program {
        scanner.scanned.is_module = module.body.iter().any(|item| item.is_module_decl());
        scanner.scanned.esm = esm_shape(module);
    }
    program.visit_with(&mut scanner);
    for specifier in &scanner.scanned.dynamic_imports {
        scanner.scanned.esm.imported.insert(specifier.clone(), None);
    }
    Ok(scanner.scanned)
}

fn export_name(name: &ModuleExportName) -> Option<String> {
    match name {
        ModuleExportName::Ident(ident) => Some(ident.sym.to_string()),
        ModuleExportName::Str(s) => s.value.as_str().map(str::to_owned),
    }
}

/// The module's exports and named imports, from its top level.
fn esm_shape(module: &Module) -> EsmShape {
    let mut shape = EsmShape::default();
    let whole = |shape: &mut EsmShape, specifier: String| {
        shape.imported.insert(specifier, None);
    };
    for item in &module.body {
        let ModuleItem::ModuleDecl(decl) = item else { continue };
        match decl {
            ModuleDecl::Import(import) if !import.type_only => {
                let Some(specifier) = import.src.value.as_str().map(str::to_owned) else {
                    continue;
                };
                let mut names = BTreeSet::new();
                let mut is_whole = import.specifiers.is_empty();
                for imported in &import.specifiers {
                    match imported {
                        ImportSpecifier::Named(named) if named.is_type_only => {}
                        ImportSpecifier::Named(named) => {
                            let name = match &named.imported {
                                Some(name) => export_name(name),
                                None => Some(named.local.sym.to_string()),
                            };
                            match name {
                                Some(name) => {
                                    names.insert(name);
                                }
                                None => is_whole = true,
                            }
                        }
                        ImportSpecifier::Default(_) => {
                            names.insert("default".to_owned());
                        }
                        ImportSpecifier::Namespace(_) => is_whole = true,
                    }
                }
                if is_whole {
                    whole(&mut shape, specifier);
                } else if let Some(known) = shape.imported.entry(specifier).or_insert_with(|| Some(BTreeSet::new())) {
                    known.extend(names);
                }
            }
            ModuleDecl::ExportDecl(export) => match &export.decl {
                Decl::Fn(function) => {
                    shape.local.insert(function.ident.sym.to_string());
                }
                Decl::Class(class) => {
                    shape.local.insert(class.ident.sym.to_string());
                }
                Decl::Var(var) => {
                    for declarator in &var.decls {
                        if let Pat::Ident(binding) = &declarator.name {
                            shape.local.insert(binding.id.sym.to_string());
                        }
                    }
                }
                _ => {}
            },
            ModuleDecl::ExportNamed(named) if !named.type_only => {
                let source = named.src.as_ref().and_then(|src| src.value.as_str().map(str::to_owned));
                for specifier in &named.specifiers {
                    let (exported, imported) = match specifier {
                        ExportSpecifier::Named(one) if one.is_type_only => continue,
                        ExportSpecifier::Named(one) => {
                            let orig = export_name(&one.orig);
                            let exported = one.exported.as_ref().map_or(orig.clone(), export_name);
                            (exported, orig)
                        }
                        ExportSpecifier::Namespace(ns) => (export_name(&ns.name), Some("*".to_owned())),
                        ExportSpecifier::Default(default) => (Some(default.exported.sym.to_string()), None),
                    };
                    let Some(exported) = exported else { continue };
                    match (&source, imported) {
                        (Some(source), Some(imported)) => {
                            shape.named_from.push((exported, imported, source.clone()));
                        }
                        // `export v from` (a proposal) is left to the full module.
                        (Some(_), None) => {}
                        (None, _) => {
                            shape.local.insert(exported);
                        }
                    }
                }
                if let Some(source) = source {
                    whole(&mut shape, source);
                }
            }
            ModuleDecl::ExportDefaultDecl(_) | ModuleDecl::ExportDefaultExpr(_) => {
                shape.local.insert("default".to_owned());
            }
            ModuleDecl::ExportAll(all) if !all.type_only => {
                if let Some(source) = all.src.value.as_str() {
                    shape.star_from.push(source.to_owned());
                    whole(&mut shape, source.to_owned());
                }
            }
            _ => {}
        }
    }
    shape
}

#[derive(Default)]
struct Scanner {
    scanned: Scanned,
}

fn push_once(list: &mut Vec<String>, specifier: String) {
    if !list.contains(&specifier) {
        list.push(specifier);
    }
}

/// The text of a string literal, if it is valid UTF-8.
fn literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(Lit::Str(s)) => s.value.as_str().map(str::to_owned),
        Expr::Tpl(tpl) if tpl.exprs.is_empty() && tpl.quasis.len() == 1 => tpl.quasis[0]
            .cooked
            .as_ref()
            .and_then(|c| c.as_str())
            .map(str::to_owned),
        _ => None,
    }
}

/// The literal argument of `require("x")`.
fn require_of(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Call(call) => require_call(call),
        _ => None,
    }
}

/// The literal argument of a `require("x")` call.
fn require_call(call: &CallExpr) -> Option<String> {
    let Callee::Expr(callee) = &call.callee else {
        return None;
    };
    match &**callee {
        Expr::Ident(ident) if &*ident.sym == "require" && call.args.len() == 1 => literal(&call.args[0].expr),
        _ => None,
    }
}

fn is_ident(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Ident(ident) if &*ident.sym == name)
}

/// `exports` or `module.exports`.
fn is_exports(expr: &Expr) -> bool {
    is_ident(expr, "exports") || is_module_exports(expr)
}

fn is_module_exports(expr: &Expr) -> bool {
    matches!(expr, Expr::Member(m) if is_module_exports_member(m))
}

fn is_module_exports_member(member: &MemberExpr) -> bool {
    is_ident(&member.obj, "module") && member_name(member).as_deref() == Some("exports")
}

fn member_name(member: &MemberExpr) -> Option<String> {
    match &member.prop {
        MemberProp::Ident(ident) => Some(ident.sym.to_string()),
        MemberProp::Computed(computed) => literal(&computed.expr),
        MemberProp::PrivateName(_) => None,
    }
}

fn prop_name(name: &PropName) -> Option<String> {
    match name {
        PropName::Ident(ident) => Some(ident.sym.to_string()),
        PropName::Str(s) => s.value.as_str().map(str::to_owned),
        _ => None,
    }
}

impl Scanner {
    fn export(&mut self, name: String) {
        if name != "__esModule" {
            self.scanned.exports.insert(name);
        }
    }
}

impl Visit for Scanner {
    fn visit_import_decl(&mut self, import: &ImportDecl) {
        if !import.type_only
            && let Some(specifier) = import.src.value.as_str()
        {
            push_once(&mut self.scanned.imports, specifier.to_owned());
        }
    }

    fn visit_export_all(&mut self, export: &ExportAll) {
        if !export.type_only
            && let Some(specifier) = export.src.value.as_str()
        {
            push_once(&mut self.scanned.imports, specifier.to_owned());
        }
    }

    fn visit_named_export(&mut self, export: &NamedExport) {
        if !export.type_only
            && let Some(specifier) = export.src.as_ref().and_then(|src| src.value.as_str())
        {
            push_once(&mut self.scanned.imports, specifier.to_owned());
        }
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        match &call.callee {
            Callee::Import(_) => {
                if let Some(specifier) = call.args.first().and_then(|arg| literal(&arg.expr)) {
                    push_once(&mut self.scanned.dynamic_imports, specifier);
                }
            }
            Callee::Expr(callee) => {
                if let Some(specifier) = require_call(call) {
                    push_once(&mut self.scanned.requires, specifier);
                }
                // Object.defineProperty(exports, "name", ...)
                if let Expr::Member(member) = &**callee
                    && is_ident(&member.obj, "Object")
                    && member_name(member).as_deref() == Some("defineProperty")
                    && call.args.len() >= 2
                    && is_exports(&call.args[0].expr)
                    && let Some(name) = literal(&call.args[1].expr)
                {
                    self.export(name);
                }
                // __exportStar(require("x"), exports) and __export(require("x"))
                if let Expr::Ident(ident) = &**callee
                    && matches!(&*ident.sym, "__exportStar" | "__export" | "__reExport")
                    && let Some(specifier) = call.args.iter().find_map(|arg| require_of(&arg.expr))
                {
                    push_once(&mut self.scanned.reexports, specifier);
                }
            }
            Callee::Super(_) => {}
        }
        call.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &swc_ecma_ast::AssignExpr) {
        if let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left {
            if is_exports(&member.obj) {
                // exports.name = ... / module.exports.name = ...
                if let Some(name) = member_name(member) {
                    self.export(name);
                }
            } else if is_module_exports_member(member) {
                // module.exports = { a, b: ... } / = require("x")
                match &*assign.right {
                    Expr::Object(object) => {
                        for prop in &object.props {
                            if let PropOrSpread::Prop(prop) = prop {
                                let name = match &**prop {
                                    Prop::Shorthand(ident) => Some(ident.sym.to_string()),
                                    Prop::KeyValue(kv) => prop_name(&kv.key),
                                    Prop::Method(method) => prop_name(&method.key),
                                    Prop::Getter(getter) => prop_name(&getter.key),
                                    _ => None,
                                };
                                if let Some(name) = name {
                                    self.export(name);
                                }
                            }
                        }
                    }
                    right => {
                        if let Some(specifier) = require_of(right) {
                            push_once(&mut self.scanned.reexports, specifier);
                        }
                    }
                }
            }
        }
        assign.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_es_modules_shape_says_what_it_exports_and_imports_by_name() {
        let scanned = scan(
            "import d, { a, b as c } from 'one';\nimport { e } from 'one';\nimport * as ns from 'two';\n\
             import 'three';\nimport { f } from 'four';\nconst g = () => import('four');\n\
             export const h = 1, [i] = [2];\nexport function j() {}\nexport { h as k };\nexport default j;\n\
             export { default as l, m } from './five.js';\nexport * as n from './six.js';\nexport * from './seven.js';\n",
            "m.js",
            false,
        )
        .unwrap();
        let esm = scanned.esm;
        let names = |list: &[&str]| Some(list.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>());
        assert_eq!(esm.imported["one"], names(&["a", "b", "default", "e"]));
        assert_eq!(esm.imported["two"], None, "a namespace import takes the whole module");
        assert_eq!(esm.imported["three"], None, "so does a side-effect import");
        assert_eq!(esm.imported["four"], None, "and a dynamic import");
        assert_eq!(
            esm.local,
            ["default", "h", "j", "k"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<BTreeSet<_>>(),
            "a destructured export is not counted, so a name from it links the module whole"
        );
        assert_eq!(
            esm.named_from,
            [
                ("l".to_owned(), "default".to_owned(), "./five.js".to_owned()),
                ("m".to_owned(), "m".to_owned(), "./five.js".to_owned()),
                ("n".to_owned(), "*".to_owned(), "./six.js".to_owned()),
            ]
        );
        assert_eq!(esm.star_from, ["./seven.js"]);
    }

    #[test]
    fn an_es_module_lists_its_imports() {
        let scanned = scan(
            "import a from './a.js';\nimport type { T } from './types';\nexport * from 'pkg';\n\
             export { x } from \"./x\";\nconst later = () => import('./lazy.js');\nimport(variable);\n",
            "m.ts",
            true,
        )
        .unwrap();
        assert!(scanned.is_module);
        assert_eq!(scanned.imports, ["./a.js", "pkg", "./x"]);
        assert_eq!(scanned.dynamic_imports, ["./lazy.js"]);
    }

    #[test]
    fn commonjs_requires_and_exports_are_found() {
        let scanned = scan(
            "'use strict';\nObject.defineProperty(exports, \"__esModule\", { value: true });\n\
             exports.parse = parse; module.exports.stringify = s;\n\
             Object.defineProperty(exports, 'Kind', { enumerable: true, get: function () { return k.Kind; } });\n\
             const k = require('./kind');\n__exportStar(require(\"./types\"), exports);\n\
             if (cond) { require(name); }\n0 && (module.exports = { a, b: 1, 'c-d': 2, e() {} });\n",
            "c.js",
            false,
        )
        .unwrap();
        assert!(!scanned.is_module);
        assert_eq!(scanned.requires, ["./kind", "./types"]);
        assert_eq!(scanned.reexports, ["./types"]);
        let exports: Vec<&str> = scanned.exports.iter().map(String::as_str).collect();
        assert_eq!(exports, ["Kind", "a", "b", "c-d", "e", "parse", "stringify"]);
    }

    #[test]
    fn a_whole_reexport_and_a_umd_wrapper() {
        let scanned = scan("module.exports = require('./lib/index.js');", "i.js", false).unwrap();
        assert_eq!(scanned.reexports, ["./lib/index.js"]);
        let umd = "(function (root, factory) {\n if (typeof define === 'function' && define.amd) define([], factory);\n \
                   else if (typeof module === 'object' && module.exports) module.exports = factory();\n \
                   else root.Papa = factory();\n}(this, function () { return { parse() {} }; }));\n";
        let scanned = scan(umd, "papaparse.js", false).unwrap();
        assert!(!scanned.is_module && scanned.exports.is_empty());
    }

    #[test]
    fn a_syntax_error_says_where() {
        let error = scan("let a = 1;\nlet = = 2;\n", "bad.js", false).unwrap_err();
        assert_eq!(error.line, 2, "{error:?}");
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let source = format!("x = {}1{};", "(".repeat(50_000), ")".repeat(50_000));
        // Parses or refuses; either way the host stays up.
        let _ = scan(&source, "deep.js", false);
    }
}
