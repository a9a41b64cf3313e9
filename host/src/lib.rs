//! isobox runs untrusted JavaScript in a brand-new WebAssembly sandbox for
//! every run: QuickJS compiled to a component, initialised once by wizer,
//! instantiated fresh per run by wasmtime from a pooled, copy-on-write
//! snapshot, under limits the host enforces.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), isobox::EngineError> {
//! use isobox::{Engine, RunRequest};
//!
//! let engine = Engine::builder().build().await?;
//! let outcome = engine
//!     .run(RunRequest::new("async (input) => { console.log('hi'); return input.a + 1 }")
//!         .with_input(serde_json::json!({ "a": 41 })))
//!     .await;
//! assert_eq!(outcome.result.unwrap(), serde_json::json!(42));
//! assert_eq!(outcome.logs.entries[0].message, "hi");
//! # Ok(()) }
//! ```
//!
//! The pieces: [`Engine`] (built once by [`EngineBuilder`], cloned freely),
//! [`RunRequest`] with its [`Limits`], and the [`Outcome`] of each run.

#![warn(missing_docs)]

mod app;
#[doc(hidden)]
pub mod bench;
mod bridge;
mod bytecode_cache;
pub mod capability;
mod config;
mod console;
pub mod egress;
mod engine;
mod fence;
mod limits;
pub mod mcp;
mod modules;
mod net;
mod outcome;
mod request;
mod run;
mod sandbox;
pub mod serve;
mod snapshot;
mod text;
mod ticker;
mod typescript;
mod worker;

pub use app::{BuildError, BuiltApp, PROXY_IMPORTS, build_app};
pub use bridge::{
    CallContext, CallFuture, Capability, CapabilityCall, CapabilityError, Grant, JsonCallFuture, JsonToolHandler,
    KvStore, NativeCapability, NativeFunctions, TodoStore,
};
pub use bytecode_cache::CacheUse;
pub use config::CacheDir;
pub use console::{LogEntry, LogLevel, LogSink, Logs};
pub use egress::EgressPolicy;
pub use engine::{Engine, EngineBuilder};
pub use limits::{LimitError, Limits};
pub use net::{Egress, EgressDecision, EgressFilter, EgressRecord, FilterFuture, FilterVerdict, OutboundRequest};
pub use outcome::{ErrorKind, Outcome, Phase, RunError, Stats};
pub use request::{CodeForm, Lang, ModuleSource, RequestError, RunRequest};
pub use snapshot::EngineError;
pub use worker::{HttpRequest, HttpResponse, WorkerOutcome};

/// Strips TypeScript types as runs do (positions kept), for tools and tests.
///
/// ```
/// let js = isobox::strip_typescript("let a: number = 1;", "a.ts").unwrap();
/// assert_eq!(js, "let a         = 1;");
/// ```
///
/// # Errors
/// A [`RunError`] (phase `compile`, kind `syntax-error`) with the line and
/// column of a syntax error or of a construct that needs more than erasure.
pub fn strip_typescript(source: &str, filename: &str) -> Result<String, RunError> {
    run::strip_typescript(source, filename)
}

/// TypeScript declarations of everything the sandbox's global scope offers
/// (fetch, URL, timers, crypto, ...): what `isobox types` prints, and what an
/// agent should be shown so the code it writes uses only what is there.
///
/// ```
/// assert!(isobox::GLOBALS_TYPESCRIPT.contains("declare function fetch("));
/// ```
pub const GLOBALS_TYPESCRIPT: &str = include_str!("globals.d.ts");
