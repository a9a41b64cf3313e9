//! Packages a run imports by name. A request names its dependencies
//! ([`RunRequest::with_dependencies`](crate::RunRequest::with_dependencies):
//! `zod@^4`); the engine's [`PackageLinker`] (isobox-npm's `Npm`, set with
//! [`EngineBuilder::packages`](crate::EngineBuilder::packages)) installs
//! them and links the modules the code imports into a
//! [`LinkedModules`] graph before the run starts. Every interface (the
//! library, the CLI, serve, mcp, workers) goes through this one path.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::linked::LinkedModules;
use crate::outcome::{ErrorKind, Phase, RunError};
use crate::request::{ModuleSource, RunRequest};

/// What a [`PackageLinker`] is asked to link for one run.
#[derive(Debug)]
#[non_exhaustive]
pub struct PackageRequest<'a> {
    /// The dependencies as written (`zod@^4`, `@scope/pkg@1.x`).
    pub dependencies: &'a [String],
    /// The run's code, as given (TypeScript or JSX before compiling).
    pub code: &'a str,
    /// The code's file name.
    pub filename: &'a str,
    /// The request's own modules that are code (name, source).
    pub modules: Vec<(&'a str, &'a str)>,
    /// Modules the compiled code imports that its text does not show: the
    /// JSX runtime (`preact/jsx-runtime`) of a `.jsx`/`.tsx` file.
    pub implied: Vec<String>,
}

/// The future a [`PackageLinker`] returns.
pub type LinkFuture<'a> = Pin<Box<dyn Future<Output = Result<Arc<LinkedModules>, String>> + Send + 'a>>;

/// Installs a run's dependencies and links the modules its code imports.
/// The error is a message for the run's `dependencies` error: bounded,
/// with no secret.
pub trait PackageLinker: Send + Sync + 'static {
    /// The graph for `request`.
    fn link<'a>(&'a self, request: PackageRequest<'a>) -> LinkFuture<'a>;
}

/// Links `request`'s dependencies with `linker` into
/// [`RunRequest::linked`], as [`Engine::run`](crate::Engine::run) does
/// before a run: for callers that prepare code without running it
/// (building an app).
///
/// # Errors
/// A [`RunError`] of kind [`ErrorKind::Dependencies`] saying why.
pub async fn link_dependencies(linker: Arc<dyn PackageLinker>, request: &mut RunRequest) -> Result<(), RunError> {
    link(Some(&linker), request).await
}

/// Links `request`'s dependencies with `linker`, into `request.linked`.
pub(crate) async fn link(linker: Option<&Arc<dyn PackageLinker>>, request: &mut RunRequest) -> Result<(), RunError> {
    if request.dependencies.is_empty() {
        return Ok(());
    }
    let refuse = |message: String| RunError::new(Phase::Input, ErrorKind::Dependencies, message);
    if request.linked.is_some() {
        return Err(RunError::new(
            Phase::Input,
            ErrorKind::InvalidInput,
            "the request has both dependencies and a linked graph: give one",
        ));
    }
    let Some(linker) = linker else {
        return Err(refuse(
            "this engine installs no packages: build it with EngineBuilder::packages (isobox-npm's Npm), \
             or give the run a linked graph"
                .into(),
        ));
    };
    let implied = if crate::typescript::is_jsx_name(&request.filename) {
        request.jsx.runtime_module().into_iter().collect()
    } else {
        Vec::new()
    };
    let modules = request
        .modules
        .iter()
        .filter_map(|(name, source)| match source {
            ModuleSource::Js(text) if !name.ends_with(".json") => Some((name.as_str(), text.as_str())),
            _ => None,
        })
        .collect();
    let package_request = PackageRequest {
        dependencies: &request.dependencies,
        code: &request.code,
        filename: &request.filename,
        modules,
        implied,
    };
    let linked = linker
        .link(package_request)
        .await
        .map_err(|message| refuse(crate::text::bounded(message)))?;
    request.linked = Some(linked);
    Ok(())
}
