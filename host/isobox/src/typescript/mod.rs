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
    strip_types(source, filename).map_err(|error| RunError {
        phase: Phase::Compile,
        kind: ErrorKind::SyntaxError,
        name: Some("SyntaxError".into()),
        message: crate::text::bounded(format!("{filename}: {}", error.message)),
        stack: None,
        line: error.line,
        column: error.column,
    })
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
