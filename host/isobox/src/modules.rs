//! Checking a request's module map and turning it into the guest's form.
//! The request's own modules are compiled when first imported; linked
//! modules (`linked.rs`) join them, eager, in `Engine::prepare`.

use crate::bindings::{GuestModule, GuestModuleKind};
use crate::outcome::{ErrorKind, Phase, RunError};
use crate::request::{ModuleSource, RunRequest};

/// Most modules one request may carry in its own map (linked modules have
/// their own limit, `linked::MAX_LINKED_MODULES`).
pub(crate) const MAX_MODULES: usize = 1000;
/// Longest module name, in bytes.
pub(crate) const MAX_NAME_BYTES: usize = 256;

/// The map's modules with normalised names, JSON checked and serialised.
/// Takes the sources out of the request. Errors are messages for an
/// `invalid-input` error.
pub(crate) fn take_modules(request: &mut RunRequest, main_name: &str) -> Result<Vec<GuestModule>, RunError> {
    check_and_take(request, main_name).map_err(|failure| match failure {
        Failure::Invalid(message) => RunError::new(Phase::Input, ErrorKind::InvalidInput, message),
        Failure::TypeScript(error) => error,
    })
}

enum Failure {
    Invalid(String),
    TypeScript(RunError),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Invalid(message)
    }
}

fn check_and_take(request: &mut RunRequest, main_name: &str) -> Result<Vec<GuestModule>, Failure> {
    if request.modules.len() > MAX_MODULES {
        return Err(format!(
            "the module map has {} modules, over the limit of {MAX_MODULES}",
            request.modules.len()
        )
        .into());
    }
    let main = normalise_name(main_name).map_err(|why| format!("the main module's name {why}"))?;
    let mut total = request.code.len();
    let mut modules = Vec::with_capacity(request.modules.len());
    for (name, source) in std::mem::take(&mut request.modules) {
        let normalised = normalise_name(&name).map_err(|why| format!("module name {name:?} {why}"))?;
        if normalised == main {
            return Err(format!("module {name:?} has the main module's name").into());
        }
        if modules.iter().any(|m: &GuestModule| m.name == normalised) {
            return Err(format!("two modules normalise to the same name {normalised:?}").into());
        }
        let (kind, source) = match source {
            ModuleSource::Js(text) if normalised.ends_with(".json") => {
                serde_json::from_str::<serde::de::IgnoredAny>(&text)
                    .map_err(|e| format!("module {name:?} is not valid JSON: {e}"))?;
                (GuestModuleKind::Json, text)
            }
            ModuleSource::Js(text) if crate::typescript::is_jsx_name(&normalised) => (
                GuestModuleKind::Js,
                crate::typescript::compile_jsx(&text, &normalised, &request.jsx).map_err(Failure::TypeScript)?,
            ),
            ModuleSource::Js(text) if request.lang.is_typescript(&normalised) || is_ts_name(&normalised) => (
                GuestModuleKind::Js,
                crate::typescript::strip(&text, &normalised).map_err(Failure::TypeScript)?,
            ),
            ModuleSource::Js(text) => (GuestModuleKind::Js, text),
            ModuleSource::Json(value) => (GuestModuleKind::Json, value.to_string()),
            ModuleSource::Text(text) => (GuestModuleKind::Text, text),
        };
        total += source.len();
        if total > request.limits.code_bytes as usize {
            return Err(format!(
                "the code and its modules are over the code_bytes limit of {} bytes",
                request.limits.code_bytes
            )
            .into());
        }
        modules.push(GuestModule {
            name: normalised,
            kind,
            source,
            imports: Vec::new(),
            eager: false,
            compiled: None,
        });
    }
    Ok(modules)
}

/// A module name TypeScript is stripped from, whatever the main code is.
pub(crate) fn is_ts_name(name: &str) -> bool {
    crate::request::Lang::Auto.is_typescript(name)
}

/// `./lib/util.js` and `/lib/util.js` are `lib/util.js`. Refuses empty
/// names, `.`/`..` segments, control characters and overlong names.
pub(crate) fn normalise_name(name: &str) -> Result<String, &'static str> {
    let trimmed = name.trim_start_matches("./").trim_start_matches('/');
    if trimmed.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err("must be 1 to 256 bytes");
    }
    if name.chars().any(char::is_control) {
        return Err("has a control character");
    }
    let segments: Vec<&str> = trimmed.split('/').collect();
    if segments.iter().any(|s| s.is_empty() || *s == "." || *s == "..") {
        return Err("has an empty, `.` or `..` path segment");
    }
    Ok(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_bad_ones_refused() {
        assert_eq!(normalise_name("./lib/util.js"), Ok("lib/util.js".into()));
        assert_eq!(normalise_name("/a.js"), Ok("a.js".into()));
        for bad in ["", "./", "a/../b.js", "a//b.js", "x\u{0}.js", "./."] {
            assert!(normalise_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn json_named_sources_are_checked_and_sizes_counted() {
        let mut request =
            RunRequest::new("export default () => 1").with_module("data.json", ModuleSource::Js("{ bad".into()));
        let error = take_modules(&mut request, "main.js").unwrap_err().message;
        assert!(error.contains("not valid JSON"), "{error}");

        let mut request = RunRequest::new("x").with_module("./main.js", ModuleSource::Text("t".into()));
        assert!(
            take_modules(&mut request, "main.js")
                .unwrap_err()
                .message
                .contains("main module's name")
        );

        let mut request = RunRequest::new("x").with_module("big.txt", ModuleSource::Text("t".repeat(100)));
        request.limits.code_bytes = 50;
        assert!(
            take_modules(&mut request, "main.js")
                .unwrap_err()
                .message
                .contains("code_bytes")
        );
    }
}
