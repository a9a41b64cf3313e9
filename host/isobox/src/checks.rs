//! The checks a request passes before any Wasm runs, in one place for
//! [`Engine::run`](crate::Engine::run), [`Engine::dispatch`](crate::Engine::dispatch)
//! and `build_app`: limits in range, capability names, the code (fence
//! removed, not JSX, not empty, within `code_bytes`), the file name and the
//! size of the linked modules (within `dependency_bytes`); and,
//! for a run or a dispatch, the input within `input_bytes`. Pure: no Wasm,
//! no I/O.

use std::collections::BTreeSet;

use crate::outcome::{ErrorKind, Phase, RunError};
use crate::request::RunRequest;

/// The longest file name a request may give, in bytes.
pub(crate) const MAX_FILENAME_BYTES: usize = 256;
/// The longest tenant id a per-tenant capability accepts.
const MAX_TENANT_BYTES: usize = 256;

/// What the request is for: the message for empty code says what to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A run or a dispatch.
    Run,
    /// An app to build (a Workers-style module).
    #[cfg(feature = "app")]
    App,
}

fn invalid(message: String) -> RunError {
    RunError::new(Phase::Input, ErrorKind::InvalidInput, message)
}

/// Checks `request`, removing a markdown fence around its code;
/// `memory_ceiling` is the most memory a run may ask for.
///
/// # Errors
/// An `input` / `invalid-input` [`RunError`] naming the first problem.
pub(crate) fn check_request(request: &mut RunRequest, memory_ceiling: u64, purpose: Purpose) -> Result<(), RunError> {
    let limits = &request.limits;
    limits
        .validate_with_memory_ceiling(memory_ceiling)
        .map_err(|e| invalid(e.to_string()))?;
    let mut names = BTreeSet::new();
    for grant in &request.grants {
        if !crate::capability::valid_binding_name(&grant.name) {
            return Err(invalid(format!(
                "\"{}\" cannot be a capability's name in env: use letters, digits and _",
                grant.name.chars().take(64).collect::<String>()
            )));
        }
        if !names.insert(grant.name.as_str()) {
            return Err(invalid(format!("two capabilities are granted as env.{}", grant.name)));
        }
        if grant.capability.requires_tenant() {
            let tenant = grant.props.get("tenant").and_then(serde_json::Value::as_str);
            if !tenant.is_some_and(|t| !t.is_empty() && t.len() <= MAX_TENANT_BYTES) {
                return Err(invalid(format!(
                    "env.{} keeps data per tenant, and this grant names none: grant it with props {{\"tenant\": \"<id>\"}} (a string of 1 to {MAX_TENANT_BYTES} bytes), or make its store shared (TodoStore::shared(), isobox_state::Tenancy::Shared) if every run may see the same data",
                    grant.name
                )));
            }
        }
    }
    if request.filename.is_empty()
        || request.filename.len() > MAX_FILENAME_BYTES
        || request.filename.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "the file name must be 1 to {MAX_FILENAME_BYTES} bytes with no control characters"
        )));
    }
    if let Some(fenced) = crate::fence::strip_fence(&request.code) {
        // ```ts selects TypeScript unless the request chose a language.
        if fenced.is_typescript() && request.lang == crate::request::Lang::Auto {
            request.lang = crate::request::Lang::Ts;
        }
        request.code = fenced.code;
    }
    if is_blank(&request.code) {
        return Err(invalid(match purpose {
            Purpose::Run => {
                "the code is empty (nothing but whitespace and comments): give a script, a function or a module".into()
            }
            #[cfg(feature = "app")]
            Purpose::App => "the app is empty: write `export default { async fetch(request) { ... } }`".into(),
        }));
    }
    let limits = &request.limits;
    if request.code.len() > limits.code_bytes as usize {
        return Err(invalid(format!(
            "the code is {} bytes, over the code_bytes limit of {}",
            request.code.len(),
            limits.code_bytes
        )));
    }
    if let Some(linked) = &request.linked
        && linked.source_bytes() > u64::from(limits.dependency_bytes)
    {
        return Err(invalid(format!(
            "the linked modules are {} bytes, over the dependency_bytes limit of {}: raise \
             limits.dependency_bytes or link fewer packages",
            linked.source_bytes(),
            limits.dependency_bytes
        )));
    }
    Ok(())
}

/// Whether `code` holds nothing to run: only whitespace (a byte order mark
/// included), comments and a leading `#!` line. One rule for all three, so
/// a file of comments is refused as empty just as a blank one is. An
/// unterminated `/*` is not blank: the compiler reports it.
fn is_blank(code: &str) -> bool {
    let mut rest = code.strip_prefix('\u{feff}').unwrap_or(code);
    if rest.starts_with("#!") {
        rest = rest
            .find(['\n', '\r', '\u{2028}', '\u{2029}'])
            .map_or("", |end| &rest[end..]);
    }
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if let Some(comment) = rest.strip_prefix("//") {
            rest = comment
                .find(['\n', '\r', '\u{2028}', '\u{2029}'])
                .map_or("", |end| &comment[end..]);
        } else if let Some(comment) = rest.strip_prefix("/*") {
            match comment.find("*/") {
                Some(end) => rest = &comment[end + 2..],
                None => return false,
            }
        } else {
            return rest.is_empty();
        }
    }
}

/// The input of a run as JSON text, within `input_bytes`.
///
/// # Errors
/// An `input` / `invalid-input` [`RunError`] when it cannot be written as
/// JSON or is over the limit.
pub(crate) fn input_json(request: &RunRequest) -> Result<String, RunError> {
    let input_json = match &request.input {
        None => "null".to_owned(),
        Some(value) => serde_json::to_string(value).map_err(|e| invalid(format!("the input is not JSON: {e}")))?,
    };
    let limit = request.limits.input_bytes;
    if input_json.len() > limit as usize {
        return Err(invalid(format!(
            "the input is {} bytes of JSON, over the input_bytes limit of {limit}",
            input_json.len()
        )));
    }
    Ok(input_json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    /// The checks of a run: the request, then its input.
    fn check(request: &mut RunRequest) -> Result<String, String> {
        check_request(request, 512 << 20, Purpose::Run)
            .and_then(|()| input_json(request))
            .map_err(|e| e.message)
    }

    #[test]
    fn a_good_request_passes_with_its_input_as_json() {
        let mut request = RunRequest::new("1 + 1").with_input(serde_json::json!({ "a": [1, 2] }));
        assert_eq!(check(&mut request).unwrap(), r#"{"a":[1,2]}"#);
        assert_eq!(check(&mut RunRequest::new("1")).unwrap(), "null");
    }

    #[test]
    fn whitespace_comments_and_a_bom_alone_are_all_empty_code() {
        for code in [
            "",
            "  \n\t",
            "// only a comment",
            "/* a block */ // and a line\n",
            "\u{feff}// a BOM and a comment",
            "\u{feff}\u{feff}  ",
            "#!/usr/bin/env isobox\n// nothing else",
            "/**/\u{2028}//x\u{2029}/* y */",
        ] {
            let message = check(&mut RunRequest::new(code)).unwrap_err();
            assert!(message.starts_with("the code is empty"), "{code:?}: {message}");
        }
        for code in [
            "// a comment\n1",
            "/* open",
            "1 // then a comment",
            "#!x\n2",
            "/* a */ b",
        ] {
            assert!(check(&mut RunRequest::new(code)).is_ok(), "{code:?}");
        }
    }

    #[test]
    fn a_fence_is_removed_before_the_checks() {
        let mut request = RunRequest::new("```js\n1 + 1\n```");
        check(&mut request).unwrap();
        assert_eq!(request.code, "\n1 + 1\n");
        assert!(check(&mut RunRequest::new("```js\n```")).unwrap_err().contains("empty"));
    }

    /// A graph of one module, `a.js` (4 bytes of name), of `bytes` bytes.
    fn linked_of(bytes: usize) -> std::sync::Arc<crate::LinkedModules> {
        let mut graph = crate::LinkedModules::new();
        graph
            .add_module(
                "a.js",
                crate::ModuleSource::Js("x".repeat(bytes)),
                [] as [(&str, &str); 0],
            )
            .unwrap();
        std::sync::Arc::new(graph)
    }

    #[test]
    fn linked_modules_count_against_dependency_bytes_and_not_code_bytes() {
        let limits = Limits {
            code_bytes: 10,
            dependency_bytes: 104,
            ..Limits::default()
        };
        let mut request = RunRequest::new("1").with_limits(limits).with_linked(linked_of(100));
        assert_eq!(check(&mut request), Ok("null".into()));
    }

    #[test]
    fn each_check_names_what_is_wrong() {
        let limits = Limits {
            code_bytes: 4,
            ..Limits::default()
        };
        let cases: Vec<(RunRequest, &str)> = vec![
            (RunRequest::new("   "), "the code is empty"),
            (
                RunRequest::new("12345").with_limits(limits),
                "over the code_bytes limit of 4",
            ),
            (
                RunRequest::new("1").with_linked(linked_of(100)).with_limits(Limits {
                    dependency_bytes: 99,
                    ..Limits::default()
                }),
                "the linked modules are 104 bytes, over the dependency_bytes limit of 99",
            ),
            (RunRequest::new("1").with_filename(""), "the file name must be"),
            (RunRequest::new("1").with_filename("a\n.js"), "the file name must be"),
            (
                RunRequest::new("1").with_filename("x".repeat(300)),
                "the file name must be",
            ),
            (
                RunRequest::new("1").with_limits(Limits {
                    fuel: 1,
                    ..Limits::default()
                }),
                "limit `fuel` is 1",
            ),
            (
                RunRequest::new("1")
                    .with_limits(Limits {
                        input_bytes: 3,
                        ..Limits::default()
                    })
                    .with_input(serde_json::json!("long")),
                "over the input_bytes limit of 3",
            ),
        ];
        for (mut request, expected) in cases {
            let message = check(&mut request).unwrap_err();
            assert!(message.contains(expected), "{message:?} should say {expected:?}");
        }
    }

    #[test]
    #[cfg(feature = "app")]
    fn an_app_is_told_what_to_write() {
        let error = check_request(&mut RunRequest::new(""), 512 << 20, Purpose::App).unwrap_err();
        assert!(error.message.contains("export default"), "{}", error.message);
    }
}
