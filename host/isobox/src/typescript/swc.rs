//! TypeScript stripped to JavaScript by swc (the `typescript` feature).
//!
//! swc's fast type stripping (strip-only mode, as Node's amaro uses) replaces
//! every type annotation, interface, type alias, `as` cast and the like with
//! whitespace, so each remaining character keeps its line and column: errors
//! and stack traces point at the user's TypeScript. Constructs that need
//! more than erasure (`enum`, `namespace`, parameter properties, `import =`,
//! `export =`, `<T>` casts) are refused with a message that names the
//! construct, says what to write instead, and gives its line and column.

use std::sync::{Arc, Mutex};

use swc_common::errors::{DiagnosticBuilder, Emitter, HANDLER, Handler};
use swc_common::sync::Lrc;
use swc_common::{GLOBALS, Globals, SourceMap, Span};
use swc_ts_fast_strip::{Mode, Options, operate};

use super::StripError;

type Collected = Arc<Mutex<Vec<(String, Option<Span>)>>>;

struct Collect(Collected);

impl Emitter for Collect {
    fn emit(&mut self, diagnostic: &mut DiagnosticBuilder<'_>) {
        if let Ok(mut list) = self.0.lock() {
            list.push((diagnostic.message(), diagnostic.span.primary_span()));
        }
    }
}

/// The JavaScript of `source`, same length in lines and columns.
pub(super) fn strip(source: &str, filename: &str) -> Result<String, StripError> {
    let source_map: Lrc<SourceMap> = Default::default();
    let collected: Collected = Arc::default();
    let handler = Handler::with_emitter(true, false, Box::new(Collect(Arc::clone(&collected))));
    let options = Options {
        // Decide script or module from the code, as the sandbox does.
        module: None,
        filename: Some(filename.to_owned()),
        parser: swc_ecma_parser::TsSyntax {
            decorators: true,
            ..Default::default()
        },
        mode: Mode::StripOnly,
        deprecated_ts_module_as_error: Some(true),
        ..Default::default()
    };
    let stripped = GLOBALS.set(&Globals::new(), || {
        HANDLER.set(&handler, || operate(&source_map, &handler, source.to_owned(), options))
    });
    stripped.map(|output| output.code).map_err(|error| {
        let first = collected
            .lock()
            .ok()
            .and_then(|mut list| (!list.is_empty()).then(|| list.remove(0)));
        match first {
            Some((message, span)) => {
                let position = span.map(|span| source_map.lookup_char_pos(span.lo));
                StripError {
                    message: with_hint(&message),
                    line: position.as_ref().map(|p| p.line as u32),
                    column: position.map(|p| p.col.0 as u32 + 1),
                }
            }
            None => StripError {
                message: error.message.to_string(),
                line: None,
                column: None,
            },
        }
    })
}

/// Adds what to write instead to swc's message for a refused construct.
fn with_hint(message: &str) -> String {
    let hint = if message.contains("enum") {
        "use a union of literal types, or a `const` object with `as const`"
    } else if message.contains("namespace") || message.contains("module") && message.contains("TypeScript") {
        "use an ES module or a plain object"
    } else if message.contains("parameter propert") {
        "declare the field in the class body and assign it in the constructor"
    } else if message.contains("import") && message.contains("require") {
        "use `import x from '...'`"
    } else if message.contains("export =") {
        "use `export default`"
    } else {
        return message.to_owned();
    };
    format!("{message}: {hint}")
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn types_become_whitespace_and_positions_stay() {
        let ts =
            "let x: number = 1;\nconst y = x as any;\ninterface A { a: string }\nfunction f<T>(a: T): T { return a }\n";
        let js = strip(ts, "a.ts").unwrap();
        assert_eq!(js.len(), ts.len());
        assert_eq!(js.lines().count(), ts.lines().count());
        assert_eq!(js.lines().nth(1), Some("const y = x       ;"));
        assert!(js.contains("function f   (a   )    { return a }"), "{js}");
    }

    #[test]
    fn constructs_that_need_more_than_erasure_are_refused_with_their_position() {
        for (ts, word, line) in [
            ("let a = 1;\nenum E { A }\n", "enum", 2),
            ("namespace N { export const a = 1 }\n", "namespace", 1),
            (
                "class C {\n  constructor(private x: number) {}\n}\n",
                "parameter propert",
                2,
            ),
        ] {
            let error = strip(ts, "t.ts").unwrap_err();
            assert!(error.message.contains(word), "{ts:?}: {}", error.message);
            assert_eq!(error.line, Some(line), "{ts:?}: {error:?}");
            assert!(error.message.contains(": "), "a hint follows: {}", error.message);
        }
    }

    #[test]
    fn a_syntax_error_has_a_line_and_column() {
        let error = strip("let a = 1;\nfoo(a +);\n", "c.ts").unwrap_err();
        assert_eq!((error.line, error.column), (Some(2), Some(8)), "{error:?}");
    }
}
