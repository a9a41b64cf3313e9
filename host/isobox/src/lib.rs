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
//! [`RunRequest`] with its [`Limits`] (and, for npm packages, the
//! [`LinkedModules`] a host has resolved), and the [`Outcome`] of each run.

#![warn(missing_docs)]

#[cfg(feature = "app")]
pub mod app;
#[doc(hidden)]
pub mod bench;
mod bindings;
mod bytecode_cache;
pub mod capability;
mod checks;
mod config;
pub mod console;
pub mod egress;
mod engine;
mod error;
mod fence;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod image;
pub mod journal;
mod limits;
mod linked;
mod memory;
mod modules;
mod outcome;
mod packages;
mod pages;
mod recycle;
pub mod request;
mod run;
mod sandbox;
mod snapshot;
mod spares;
mod text;
mod ticker;
pub mod typescript;
pub mod worker;

pub use capability::Capability;
pub use engine::{Engine, EngineBuilder};
pub use error::EngineError;
pub use isobox_egress::LimitError;
pub use limits::Limits;
pub use linked::{LinkError, LinkedModules, MAX_LINKED_MODULES};
pub use outcome::{ErrorKind, Outcome, Phase, RunError, Stats};
pub use packages::{LinkFuture, PackageLinker, PackageRequest, link_dependencies};
pub use request::{CodeForm, Lang, ModuleSource, RunRequest};

/// Foreign crates whose types appear in isobox's public API, re-exported so
/// that an embedder names the exact versions isobox was built with (wasmtime
/// is pinned exactly).
pub use {bytes, http, url, wasmtime};

/// Where the engine caches its precompiled snapshot, and whether a run used
/// the compiled-code cache.
pub mod cache {
    pub use crate::bytecode_cache::CacheUse;
    pub use crate::config::CacheDir;
}
