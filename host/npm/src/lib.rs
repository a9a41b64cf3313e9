//! npm packages for isobox runs.
//!
//! [`Installer`] resolves dependencies (`zod@^4`) against an npm registry
//! to a tree of exact versions ([`Lockfile`]) and installs it: every
//! tarball checked against its recorded sha512 integrity before anything
//! reads it, unpacked in memory with links, escaping paths and
//! decompression past a cap refused, and never a lifecycle script.
//! Tarballs and resolutions are cached on disk ([`Cache`]) and shared by
//! every process on the machine. Registry requests go through an isobox
//! egress policy ([`Registry::with_egress`]).

mod browser;
mod bundle;
mod cache;
mod error;
mod install;
mod integrity;
mod lock;
mod registry;
mod spec;
mod tarball;

pub use browser::{BrowserScript, client_imports};
pub use bundle::{BUNDLE_FORMAT, Bundle, BundleModule};
pub use cache::Cache;
pub use error::{NpmError, NpmErrorKind};
pub use install::{InstallLimits, Installed, Installer, Progress};
pub use lock::Lockfile;
pub use registry::{NPMJS, Registry};
pub use spec::{Dependency, is_name_pattern, name_matches};
pub use tarball::PackageFiles;
mod cjs;
mod graph;
mod link;
mod resolve;
mod scan;

pub use link::{DEFAULT_CONDITIONS, Linked, LinkedModule, Npm, bare_imports};
