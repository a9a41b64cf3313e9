//! CommonJS as ES modules. A CommonJS file becomes a module that runs the
//! file's code once, on the first `require` of it or import of its ES
//! view, with `exports`, `require`, `module`, `__filename`, `__dirname`,
//! `global` and a small `process` in scope. Its `require`s are imported
//! statically (the host resolved them), so `require` itself is a lookup.
//! An ES module importing it gets a view: `default` is `module.exports`
//! (or its `default` when the file sets `__esModule`, as compiled
//! TypeScript does) and each name the file assigns on `exports` is a named
//! export. UMD files take their CommonJS branch.
//!
//! The file's code keeps its lines (everything added goes on its first
//! line and after its last), so stack traces point into the file.

use std::collections::BTreeSet;
use std::fmt::Write;

/// What a `require` of one literal specifier gives.
pub(crate) enum Required {
    /// Another CommonJS file: its body module's name.
    CommonJs(String),
    /// An ES module: its namespace.
    Module(String),
    /// A JSON file: its value.
    Json(String),
    /// A Node built-in the sandbox does not have: the call throws.
    Missing(String),
}

/// The load function a body module exports.
pub(crate) const LOAD: &str = "__isobox_load";

/// The body module of a CommonJS file: `requires` pairs each literal
/// specifier with what it gives.
pub(crate) fn body(source: &str, file: &str, requires: &[(String, Required)]) -> String {
    let mut head = String::new();
    let mut cases = String::new();
    for (i, (specifier, required)) in requires.iter().enumerate() {
        let spec = js_string(specifier);
        match required {
            Required::CommonJs(name) => {
                let _ = write!(head, "import {{ {LOAD} as __isobox_r{i} }} from {};", js_string(name));
                let _ = writeln!(cases, "case {spec}: return __isobox_r{i}();");
            }
            Required::Module(name) => {
                let _ = write!(head, "import * as __isobox_r{i} from {};", js_string(name));
                let _ = writeln!(cases, "case {spec}: return __isobox_r{i};");
            }
            Required::Json(name) => {
                let _ = write!(head, "import __isobox_r{i} from {};", js_string(name));
                let _ = writeln!(cases, "case {spec}: return __isobox_r{i};");
            }
            Required::Missing(builtin) => {
                let message = js_string(&format!(
                    "Cannot find module '{specifier}': the sandbox has no Node built-in '{builtin}'"
                ));
                let _ = writeln!(cases, "case {spec}: throw __isobox_missing({message});");
            }
        }
    }
    let directory = file.rsplit_once('/').map_or("", |(dir, _)| dir);
    let filename = js_string(&format!("/{file}"));
    let dirname = js_string(&format!("/{directory}"));
    format!(
        "{head}const module = {{ exports: {{}}, id: {filename}, filename: {filename}, loaded: false }};\
         let __isobox_state = 0;\
         export function {LOAD}() {{ if (__isobox_state === 0) {{ __isobox_state = 1; \
         __isobox_body.call(module.exports, module.exports, __isobox_require, module, {filename}, {dirname}, globalThis, __isobox_process); \
         module.loaded = true; }} return module.exports; }}\
         function __isobox_body(exports, require, module, __filename, __dirname, global, process) {{{source}\n}}\n\
         const __isobox_process = globalThis.process ?? {{ env: {{ NODE_ENV: 'production' }}, browser: true, \
         platform: 'browser', version: '', versions: {{}}, argv: [], cwd: () => '/', \
         nextTick: (f, ...args) => queueMicrotask(() => f(...args)) }};\n\
         function __isobox_missing(message) {{ const error = new Error(message); error.code = 'MODULE_NOT_FOUND'; return error; }}\n\
         function __isobox_require(specifier) {{\nswitch (specifier) {{\n{cases}}}\n\
         throw __isobox_missing(typeof specifier === 'string' \
         ? `Cannot find module '${{specifier}}' from {file_shown}: only require() calls with a literal specifier are linked` \
         : 'require() needs a string');\n}}\n\
         __isobox_require.resolve = (specifier) => specifier;\n",
        file_shown = file.replace(['`', '$', '\\'], ""),
    )
}

/// The ES view of a CommonJS file for importers: `body` is its body
/// module's name, `names` the names found on its `exports`.
pub(crate) fn view(body: &str, names: &BTreeSet<String>) -> String {
    let mut out = format!(
        "import {{ {LOAD} }} from {};\nconst __isobox_m = {LOAD}();\n\
         const __isobox_object = __isobox_m !== null && (typeof __isobox_m === 'object' || typeof __isobox_m === 'function');\n\
         export default __isobox_object && __isobox_m.__esModule ? __isobox_m.default : __isobox_m;\n",
        js_string(body)
    );
    for (i, name) in names.iter().filter(|n| *n != "default").enumerate() {
        let _ = writeln!(
            out,
            "const __isobox_e{i} = __isobox_object ? __isobox_m[{0}] : undefined;\nexport {{ __isobox_e{i} as {0} }};",
            js_string(name)
        );
    }
    out
}

/// `text` as a double-quoted JavaScript string literal.
pub(crate) fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_keeps_the_files_lines() {
        let source = "line1();\nline2();\n";
        let wrapped = body(
            source,
            "node_modules/a/index.js",
            &[("./b".into(), Required::CommonJs("node_modules/a/b.js".into()))],
        );
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(lines[0].ends_with("line1();"), "{}", lines[0]);
        assert_eq!(lines[1], "line2();");
        assert!(wrapped.contains("case \"./b\": return __isobox_r0();"));
    }

    #[test]
    fn a_view_exports_default_and_names() {
        let names: BTreeSet<String> = ["parse".into(), "c-d".into(), "default".into()].into();
        let view = view("node_modules/a/index.js", &names);
        assert!(view.contains("as \"parse\""));
        assert!(view.contains("as \"c-d\""));
        assert!(!view.contains("as \"default\""));
    }
}
