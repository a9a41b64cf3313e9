//! What a caller asks for: the code, how to read it, the input and limits.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{Limits, LinkedModules};

/// How the sandbox reads the code. See the README's "Code forms" section for
/// the exact normalisation rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodeForm {
    /// Decide from the code: an expression (a lone function is called as
    /// `fn(input, env)`), else a script body with top-level `await`, else an
    /// ES module.
    #[default]
    Auto,
    /// An ES module whose default export is a function `fn(input, env)`.
    Module,
    /// A code-mode snippet: a lone function expression or a script body.
    Script,
}

/// The language of the code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// TypeScript when the file name ends in `.ts`, `.mts` or `.cts`;
    /// JavaScript otherwise.
    #[default]
    Auto,
    /// JavaScript.
    Js,
    /// TypeScript: types are stripped on the host, keeping every position.
    Ts,
}

impl Lang {
    /// Whether code under `filename` is TypeScript.
    pub(crate) fn is_typescript(self, filename: &str) -> bool {
        match self {
            Lang::Ts => true,
            Lang::Js => false,
            Lang::Auto => [".ts", ".mts", ".cts"].iter().any(|ext| filename.ends_with(ext)),
        }
    }
}

/// One run: code, input and limits. Build it with [`RunRequest::new`] and the
/// `with_*` methods.
///
/// ```
/// use isobox::{CodeForm, RunRequest};
/// let request = RunRequest::new("(input) => input.n * 2")
///     .with_input(serde_json::json!({ "n": 21 }))
///     .with_filename("double.js")
///     .with_form(CodeForm::Script);
/// assert_eq!(request.filename, "double.js");
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The JavaScript source.
    pub code: String,
    /// The name errors and stack traces show. Default `main.js`.
    #[serde(default = "default_filename")]
    pub filename: String,
    /// How to read the code. Default [`CodeForm::Auto`].
    #[serde(default)]
    pub form: CodeForm,
    /// JavaScript or TypeScript. Default [`Lang::Auto`] (by file name).
    #[serde(default)]
    pub lang: Lang,
    /// The caller's input, given to the code as `input` (`null` when absent).
    #[serde(default)]
    pub input: Option<serde_json::Value>,
    /// Other modules the code may import with a relative specifier
    /// (`import { f } from './lib/util.js'`), by name. The code is the main
    /// module, named [`filename`](RunRequest::filename). Default none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub modules: BTreeMap<String, ModuleSource>,
    /// A module graph the host has resolved (npm packages), shared by many
    /// runs: see [`RunRequest::with_linked`]. Default none. Not part of the
    /// JSON form: a service links the graph itself.
    #[serde(skip)]
    pub linked: Option<Arc<LinkedModules>>,
    /// npm packages the code imports by name (`zod@^4`), installed and
    /// linked by the engine's [`PackageLinker`](crate::PackageLinker)
    /// before the run: see [`RunRequest::with_dependencies`]. Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// How JSX in a `.jsx` or `.tsx` file compiles. Default the automatic
    /// runtime from `react`.
    #[serde(default)]
    pub jsx: crate::typescript::Jsx,
    /// The run's limits. Default [`Limits::default`].
    #[serde(default)]
    pub limits: Limits,
    /// What `fetch()` may reach. Default none: every request is refused.
    /// Not part of the JSON form: a service picks the policy itself.
    #[serde(skip)]
    pub egress: Option<crate::egress::Egress>,
    /// The capabilities the code may call, as `env.<name>`. Default none.
    /// Not part of the JSON form: a service grants them itself.
    #[serde(skip)]
    pub grants: Vec<crate::capability::Grant>,
    /// Sees each console line as the code writes it (within the log
    /// caps), besides the outcome's logs. Default none.
    #[serde(skip)]
    pub log_sink: Option<crate::console::LogSink>,
    /// The capability calls that wait for a person's approval. Default
    /// none. Only a journaled run ([`Engine::run_journaled`](crate::Engine::run_journaled))
    /// can pause: [`Engine::run`](crate::Engine::run) refuses a request with gates.
    /// Not part of the JSON form: a service sets them itself.
    #[serde(skip)]
    pub approvals: crate::journal::Approvals,
    /// Records the run's `fetch()` responses, or answers them from a
    /// recording instead of the network (see [`crate::journal::Cassette`]).
    /// Default none. Not part of the JSON form.
    #[serde(skip)]
    pub cassette: Option<crate::journal::Cassette>,
}

/// A module in a request's module map.
///
/// As JSON, a plain string is a JS module (or JSON text when its name ends in
/// `.json`); `{"js": "..."}`, `{"json": value}` and `{"text": "..."}` say the
/// kind explicitly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ModuleSourceJson", into = "ModuleSourceTagged")]
pub enum ModuleSource {
    /// An ES module's source; JSON text when the module's name ends in `.json`.
    Js(String),
    /// A JSON value, imported as the module's default export.
    Json(serde_json::Value),
    /// Text, imported as a string default export.
    Text(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ModuleSourceJson {
    Plain(String),
    Tagged(ModuleSourceTagged),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum ModuleSourceTagged {
    Js(String),
    Json(serde_json::Value),
    Text(String),
}

impl From<ModuleSourceJson> for ModuleSource {
    fn from(json: ModuleSourceJson) -> Self {
        match json {
            ModuleSourceJson::Plain(source) | ModuleSourceJson::Tagged(ModuleSourceTagged::Js(source)) => {
                ModuleSource::Js(source)
            }
            ModuleSourceJson::Tagged(ModuleSourceTagged::Json(value)) => ModuleSource::Json(value),
            ModuleSourceJson::Tagged(ModuleSourceTagged::Text(text)) => ModuleSource::Text(text),
        }
    }
}

impl From<ModuleSource> for ModuleSourceTagged {
    fn from(module: ModuleSource) -> Self {
        match module {
            ModuleSource::Js(source) => ModuleSourceTagged::Js(source),
            ModuleSource::Json(value) => ModuleSourceTagged::Json(value),
            ModuleSource::Text(text) => ModuleSourceTagged::Text(text),
        }
    }
}

fn default_filename() -> String {
    "main.js".to_owned()
}

/// Code that could not be turned into a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The bytes are not UTF-8; `offset` is where the first bad byte is.
    #[error("the code is not valid UTF-8: invalid bytes at offset {offset}")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
}

impl RunRequest {
    /// A request for `code` with default form, no input and default limits.
    pub fn new(code: impl Into<String>) -> Self {
        RunRequest {
            code: code.into(),
            filename: default_filename(),
            form: CodeForm::Auto,
            lang: Lang::Auto,
            input: None,
            modules: BTreeMap::new(),
            linked: None,
            dependencies: Vec::new(),
            jsx: crate::typescript::Jsx::default(),
            limits: Limits::default(),
            egress: None,
            grants: Vec::new(),
            log_sink: None,
            approvals: crate::journal::Approvals::default(),
            cassette: None,
        }
    }

    /// Records `fetch()` responses into `cassette`, or plays them back from
    /// it.
    pub fn with_cassette(mut self, cassette: crate::journal::Cassette) -> Self {
        self.cassette = Some(cassette);
        self
    }

    /// Gates calls for a person's approval (see [`crate::journal`]).
    pub fn with_approvals(mut self, approvals: crate::journal::Approvals) -> Self {
        self.approvals = approvals;
        self
    }

    /// A request for code given as bytes, which must be UTF-8.
    ///
    /// ```
    /// let err = isobox::RunRequest::from_utf8(vec![b'1', 0xff]).unwrap_err();
    /// assert_eq!(err.to_string(), "the code is not valid UTF-8: invalid bytes at offset 1");
    /// ```
    pub fn from_utf8(code: Vec<u8>) -> Result<Self, RequestError> {
        String::from_utf8(code)
            .map(Self::new)
            .map_err(|e| RequestError::NotUtf8 {
                offset: e.utf8_error().valid_up_to(),
            })
    }

    /// Sets the input the code receives as `input`.
    pub fn with_input(mut self, input: serde_json::Value) -> Self {
        self.input = Some(input);
        self
    }

    /// Adds a module the code may import as `./name`.
    ///
    /// ```
    /// use isobox::{ModuleSource, RunRequest};
    /// let request = RunRequest::new("import { twice } from './lib.js'; export default (n) => twice(n)")
    ///     .with_module("lib.js", ModuleSource::Js("export const twice = (n) => n * 2".into()));
    /// assert_eq!(request.modules.len(), 1);
    /// ```
    pub fn with_module(mut self, name: impl Into<String>, source: ModuleSource) -> Self {
        self.modules.insert(name.into(), source);
        self
    }

    /// Adds npm dependencies the code imports by name (`zod@^4`,
    /// `@scope/pkg@1.x`, `date-fns` for the latest). The engine's
    /// [`PackageLinker`](crate::PackageLinker) installs them and links the
    /// modules the code imports before the run; without one the run fails
    /// with a `dependencies` error. Installed modules count against
    /// [`Limits::dependency_bytes`](crate::Limits::dependency_bytes), not
    /// `code_bytes`.
    ///
    /// ```
    /// let request = isobox::RunRequest::new("import { z } from 'zod'; export default () => z.string().parse('x')")
    ///     .with_dependencies(["zod@^4"]);
    /// assert_eq!(request.dependencies, ["zod@^4"]);
    /// ```
    pub fn with_dependencies(mut self, dependencies: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.dependencies.extend(dependencies.into_iter().map(Into::into));
        self
    }

    /// Compiles JSX in a `.jsx`/`.tsx` file as `jsx` says.
    pub fn with_jsx(mut self, jsx: crate::typescript::Jsx) -> Self {
        self.jsx = jsx;
        self
    }

    /// Links a module graph the host has resolved: the code (and each
    /// module of the graph) imports its modules by the specifiers the
    /// graph's tables map. Each run compiles the graph's modules before any
    /// of its JS executes, or reads their bytecode from the engine's cache
    /// (see [`Stats::modules_cached`](crate::Stats::modules_cached)); the
    /// graph is shared, not copied, between requests. The graph's names
    /// must differ from the request's own modules' and from its main
    /// module's, and its size is within
    /// [`Limits::dependency_bytes`](crate::Limits::dependency_bytes), not
    /// `code_bytes`; otherwise the run is an `invalid-input` error. See
    /// [`LinkedModules`] for an example.
    pub fn with_linked(mut self, linked: Arc<LinkedModules>) -> Self {
        self.linked = Some(linked);
        self
    }

    /// Sets the file name errors and stack traces show.
    pub fn with_filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = filename.into();
        self
    }

    /// Sets the language of the code.
    pub fn with_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// Sets how the code is read.
    pub fn with_form(mut self, form: CodeForm) -> Self {
        self.form = form;
        self
    }

    /// Sets the run's limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Grants `capability` to the run as `env.<name>`, with no properties.
    pub fn grant(self, name: &str, capability: crate::Capability) -> Self {
        self.grant_with_props(name, capability, serde_json::Value::Null)
    }

    /// Grants `capability` as `env.<name>` with `props` (a tenant id, say)
    /// that its implementation sees on every call of this run.
    pub fn grant_with_props(mut self, name: &str, capability: crate::Capability, props: serde_json::Value) -> Self {
        self.grants.push(crate::capability::Grant {
            name: name.to_owned(),
            capability,
            props: std::sync::Arc::new(props),
        });
        self
    }

    /// Calls `f` with each console line as the code writes it, while the
    /// run goes on (to stream logs); lines past the run's `log_lines` or
    /// `log_bytes` are not passed on, as they are not kept. `f` runs on
    /// the sandbox's thread: keep it quick (send on a channel).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), isobox::EngineError> {
    /// # let engine = isobox::Engine::builder().build().await?;
    /// let (send, mut lines) = tokio::sync::mpsc::unbounded_channel();
    /// let request = isobox::RunRequest::new("console.log('one'); console.warn('two'); 3")
    ///     .on_log(move |entry| { let _ = send.send(entry.message.clone()); });
    /// let outcome = engine.run(request).await;
    /// assert_eq!(lines.recv().await.as_deref(), Some("one"));
    /// assert_eq!(lines.recv().await.as_deref(), Some("two"));
    /// assert_eq!(outcome.logs.entries.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn on_log(mut self, f: impl Fn(&crate::console::LogEntry) + Send + Sync + 'static) -> Self {
        self.log_sink = Some(crate::console::LogSink::new(f));
        self
    }

    /// Grants the run network access through `egress` (a policy, and
    /// optionally a filter).
    pub fn with_egress(mut self, egress: impl Into<crate::egress::Egress>) -> Self {
        self.egress = Some(egress.into());
        self
    }
}
