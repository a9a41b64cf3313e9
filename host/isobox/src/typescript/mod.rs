//! TypeScript in and out: the TypeScript agents write, stripped to
//! JavaScript on the host before any Wasm runs ([`strip`]), and the
//! declarations of the sandbox's global scope they are shown ([`GLOBALS`];
//! a run's grants are declared by
//! [`capability::typescript_env`](crate::capability::typescript_env)).
//!
//! Stripping uses swc's fast type stripping (strip-only mode, as Node's
//! amaro): every type annotation, interface, type alias, `as` cast and the
//! like becomes whitespace, so each remaining character keeps its line and
//! column and errors point at the user's TypeScript. Constructs that need
//! more than erasure (`enum`, `namespace`, parameter properties,
//! `import =`, `export =`, `<T>` casts) are refused with a message that
//! names the construct, says what to write instead, and gives its line and
//! column. It needs the crate's `typescript` feature (on by default);
//! without it, TypeScript is refused with a message saying so.

#[cfg(feature = "typescript")]
mod jsx;
#[cfg(feature = "typescript")]
mod swc;

#[cfg(feature = "typescript")]
use swc::strip as strip_types;

use crate::outcome::{ErrorKind, Phase, RunError};

/// TypeScript declarations of everything the sandbox's global scope offers
/// (fetch, URL, timers, crypto, ...): what `isobox types` prints, and what an
/// agent should be shown so the code it writes uses only what is there.
///
/// ```
/// assert!(isobox::typescript::GLOBALS.contains("declare function fetch("));
/// ```
pub const GLOBALS: &str = include_str!("globals.d.ts");

/// Strips TypeScript types as runs do (positions kept).
///
/// ```
/// # #[cfg(feature = "typescript")] {
/// let js = isobox::typescript::strip("let a: number = 1;", "a.ts").unwrap();
/// assert_eq!(js, "let a         = 1;");
/// # }
/// ```
///
/// # Errors
/// A [`RunError`] (phase `compile`, kind `syntax-error`) with the line and
/// column of a syntax error or of a construct that needs more than erasure;
/// without the `typescript` feature, the same kind of error for any input,
/// saying that this build cannot run TypeScript.
pub fn strip(source: &str, filename: &str) -> Result<String, RunError> {
    strip_types(source, filename).map_err(|error| error.into_run_error(filename))
}

/// How JSX (in `.jsx` and `.tsx` files) compiles.
///
/// ```
/// let preact = isobox::typescript::Jsx::Automatic { import_source: "preact".into() };
/// # #[cfg(feature = "typescript")] {
/// let js = isobox::typescript::compile_jsx("export default () => <b>hi</b>;", "page.jsx", &preact).unwrap();
/// assert!(js.contains("preact/jsx-runtime"));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "runtime", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Jsx {
    /// `jsx()` and `jsxs()` imported from `IMPORT_SOURCE/jsx-runtime`
    /// (React 17 and later, Preact, `hono/jsx`): the import source is then
    /// a dependency the code imports.
    Automatic {
        /// `react` by default, as TypeScript's.
        #[serde(rename = "import-source", alias = "importSource")]
        import_source: String,
    },
    /// Calls to a pragma in scope: `h("div", props, ...children)`.
    Classic {
        /// The element factory: `h`, `React.createElement`.
        pragma: String,
        /// The fragment: `Fragment`, `React.Fragment`.
        fragment: String,
    },
}

impl Default for Jsx {
    fn default() -> Self {
        Jsx::Automatic {
            import_source: "react".into(),
        }
    }
}

impl Jsx {
    /// The module the automatic runtime imports (`preact/jsx-runtime`).
    pub fn runtime_module(&self) -> Option<String> {
        match self {
            Jsx::Automatic { import_source } => Some(format!("{import_source}/jsx-runtime")),
            Jsx::Classic { .. } => None,
        }
    }
}

/// Whether a file name is JSX or TSX (`.jsx`, `.tsx`).
pub fn is_jsx_name(filename: &str) -> bool {
    filename.ends_with(".jsx") || filename.ends_with(".tsx")
}

/// Compiles JSX or TSX to JavaScript (types removed, JSX as calls).
///
/// # Errors
/// A [`RunError`] (phase `compile`, kind `syntax-error`) with the line and
/// column of the problem; without the `typescript` feature, for any input.
pub fn compile_jsx(source: &str, filename: &str, jsx: &Jsx) -> Result<String, RunError> {
    compile_jsx_here(source, filename, jsx).map_err(|error| error.into_run_error(filename))
}

#[cfg(feature = "typescript")]
fn compile_jsx_here(source: &str, filename: &str, jsx: &Jsx) -> Result<String, StripError> {
    jsx::compile(source, filename, jsx)
}

#[cfg(not(feature = "typescript"))]
fn compile_jsx_here(_source: &str, _filename: &str, _jsx: &Jsx) -> Result<String, StripError> {
    strip_types("", "")
}

/// Why TypeScript could not be stripped: the first problem, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StripError {
    message: String,
    /// 1-based.
    line: Option<u32>,
    /// 1-based, in characters.
    column: Option<u32>,
}

impl StripError {
    /// The run's `compile` / `syntax-error` for this problem in `filename`.
    fn into_run_error(self, filename: &str) -> RunError {
        RunError {
            phase: Phase::Compile,
            kind: ErrorKind::SyntaxError,
            name: Some("SyntaxError".into()),
            message: crate::text::bounded(format!("{filename}: {}", self.message)),
            stack: None,
            line: self.line,
            column: self.column,
        }
    }
}

/// Without swc, every TypeScript file is refused, saying why.
#[cfg(not(feature = "typescript"))]
fn strip_types(_source: &str, _filename: &str) -> Result<String, StripError> {
    Err(StripError {
        message: "this build of isobox cannot run TypeScript (built without its `typescript` feature); \
                  send JavaScript, or enable the feature"
            .into(),
        line: None,
        column: None,
    })
}
