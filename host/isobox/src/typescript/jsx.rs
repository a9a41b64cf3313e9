//! JSX and TSX compiled to JavaScript by swc: types removed (enums and
//! namespaces compiled, since this path re-prints the code anyway) and
//! JSX turned into calls, with the automatic runtime (`jsx()` imported
//! from `IMPORT_SOURCE/jsx-runtime`) or the classic one (a pragma such as
//! `h`). Unlike plain TypeScript, the output is re-printed, so columns in
//! errors are the generated code's.

use std::sync::{Arc, Mutex};

use swc_common::comments::SingleThreadedComments;
use swc_common::errors::{DiagnosticBuilder, Emitter, HANDLER, Handler};
use swc_common::sync::Lrc;
use swc_common::{FileName, GLOBALS, Globals, Mark, SourceMap, Span, Spanned};
use swc_ecma_ast::{EsVersion, Program};
use swc_ecma_parser::{Syntax, TsSyntax, parse_file_as_program};
use swc_ecma_transforms_base::fixer::fixer;
use swc_ecma_transforms_base::helpers::{HELPERS, Helpers, inject_helpers};
use swc_ecma_transforms_base::hygiene::hygiene;
use swc_ecma_transforms_base::resolver;

use super::{Jsx, StripError};

type Collected = Arc<Mutex<Vec<(String, Option<Span>)>>>;

struct Collect(Collected);

impl Emitter for Collect {
    fn emit(&mut self, diagnostic: &mut DiagnosticBuilder<'_>) {
        if let Ok(mut list) = self.0.lock() {
            list.push((diagnostic.message(), diagnostic.span.primary_span()));
        }
    }
}

/// The JavaScript of a `.jsx`/`.tsx` source.
pub(super) fn compile(source: &str, filename: &str, jsx: &Jsx) -> Result<String, StripError> {
    let map: Lrc<SourceMap> = Lrc::default();
    let collected: Collected = Arc::default();
    let handler = Handler::with_emitter(true, false, Box::new(Collect(Arc::clone(&collected))));
    let file = map.new_source_file(Lrc::new(FileName::Custom(filename.to_owned())), source.to_owned());
    let comments = SingleThreadedComments::default();
    let position = |span: Span| {
        let at = map.lookup_char_pos(span.lo);
        (Some(at.line as u32), Some(at.col.0 as u32 + 1))
    };
    GLOBALS.set(&Globals::new(), || {
        HANDLER.set(&handler, || {
            let syntax = Syntax::Typescript(TsSyntax {
                tsx: true,
                decorators: true,
                ..Default::default()
            });
            let mut recovered = Vec::new();
            let program = parse_file_as_program(&file, syntax, EsVersion::latest(), Some(&comments), &mut recovered)
                .map_err(|error| {
                    let (line, column) = position(error.span());
                    StripError {
                        message: error.kind().msg().into_owned(),
                        line,
                        column,
                    }
                })?;
            if let Some(error) = recovered.first() {
                let (line, column) = position(error.span());
                return Err(StripError {
                    message: error.kind().msg().into_owned(),
                    line,
                    column,
                });
            }
            let unresolved = Mark::new();
            let top_level = Mark::new();
            let options = swc_ecma_transforms_react::Options {
                next: Some(true),
                runtime: Some(match jsx {
                    Jsx::Automatic { .. } => swc_ecma_transforms_react::Runtime::Automatic,
                    Jsx::Classic { .. } => swc_ecma_transforms_react::Runtime::Classic,
                }),
                import_source: match jsx {
                    Jsx::Automatic { import_source } => Some(import_source.as_str().into()),
                    Jsx::Classic { .. } => None,
                },
                pragma: match jsx {
                    Jsx::Classic { pragma, .. } => Some(pragma.clone().into()),
                    Jsx::Automatic { .. } => None,
                },
                pragma_frag: match jsx {
                    Jsx::Classic { fragment, .. } => Some(fragment.clone().into()),
                    Jsx::Automatic { .. } => None,
                },
                ..Default::default()
            };
            let program: Program = HELPERS.set(&Helpers::new(false), || {
                let mut program = program;
                program.mutate(&mut resolver(unresolved, top_level, true));
                program.mutate(&mut swc_ecma_transforms_typescript::typescript(
                    swc_ecma_transforms_typescript::Config::default(),
                    unresolved,
                    top_level,
                ));
                program.mutate(&mut swc_ecma_transforms_react::jsx(
                    map.clone(),
                    Some(comments.clone()),
                    options,
                    top_level,
                    unresolved,
                ));
                program.mutate(&mut inject_helpers(unresolved));
                program.mutate(&mut hygiene());
                program.mutate(&mut fixer(Some(&comments)));
                program
            });
            if let Some((message, span)) = collected
                .lock()
                .ok()
                .and_then(|mut list| (!list.is_empty()).then(|| list.remove(0)))
            {
                let (line, column) = span.map_or((None, None), position);
                return Err(StripError { message, line, column });
            }
            let mut out = Vec::with_capacity(source.len());
            {
                let mut emitter = swc_ecma_codegen::Emitter {
                    cfg: swc_ecma_codegen::Config::default(),
                    comments: None,
                    cm: map.clone(),
                    wr: swc_ecma_codegen::text_writer::JsWriter::new(map.clone(), "\n", &mut out, None),
                };
                emitter.emit_program(&program).map_err(|e| StripError {
                    message: format!("cannot print the compiled JSX: {e}"),
                    line: None,
                    column: None,
                })?;
            }
            String::from_utf8(out).map_err(|_| StripError {
                message: "the compiled JSX is not UTF-8".into(),
                line: None,
                column: None,
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_automatic_runtime_imports_from_the_source() {
        let js = compile(
            "const name: string = 'x';\nexport default () => <div class=\"a\">{name}<>frag</></div>;\n",
            "page.tsx",
            &Jsx::Automatic {
                import_source: "preact".into(),
            },
        )
        .unwrap();
        assert!(js.contains("from \"preact/jsx-runtime\""), "{js}");
        assert!(!js.contains(": string"), "{js}");
    }

    #[test]
    fn the_classic_runtime_calls_the_pragma_and_enums_compile() {
        let js = compile(
            "enum E { A = 1 }\nexport const view = <p>{E.A}</p>;\n",
            "v.jsx",
            &Jsx::Classic {
                pragma: "h".into(),
                fragment: "Fragment".into(),
            },
        )
        .unwrap();
        assert!(js.contains("h(\"p\""), "{js}");
        assert!(!js.contains("enum"), "{js}");
    }

    #[test]
    fn a_syntax_error_has_its_position() {
        let error = compile("const a = <div>;\n", "bad.tsx", &Jsx::default()).unwrap_err();
        assert_eq!(error.line, Some(1), "{error:?}");
    }
}
