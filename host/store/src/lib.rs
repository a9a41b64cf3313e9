//! isobox's durable state: a key-value store with compare-and-swap and
//! agent workspaces (a file system with search, edits, JSON and archives),
//! kept in SQLite (embedded, the default) or PostgreSQL (shared by
//! replicas), with large file contents in a blob store. A workspace can
//! also be a real host directory, confined to it
//! ([`workspace::Workspace::directory`]).
//!
//! This crate is the storage layer alone: no WebAssembly, no sandbox.
//! `isobox-state` turns it into the `kv` and `workspace` capabilities.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use isobox_store::Store;
//!
//! // "memory", a file path (or "sqlite:PATH"), or "postgres://...".
//! let store = Store::open("memory").await?;
//! store.kv().put("acme", "greeting", "hello", Default::default()).await?;
//! let ws = store.workspace("acme", "notes")?;
//! ws.write_file("/todo.md", b"- ship it\n").await?;
//! assert_eq!(ws.read_file("/todo.md").await?, b"- ship it\n");
//! # Ok::<(), isobox_store::StoreError>(())
//! # }).unwrap();
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

mod blob;
mod error;
mod gc;
pub mod kv;
mod migrate;
mod postgres;
pub mod runs;
pub mod sql;
mod sqlite;
pub mod workers;
pub mod workspace;

pub use blob::BlobStore;
pub use error::StoreError;
pub use gc::BlobCollection;
pub use migrate::SCHEMA_VERSION;
pub use postgres::{Postgres, PostgresConfig};
pub use sqlite::Sqlite;

use sql::Backend;

/// Where a store keeps its rows and its blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A private SQLite database in memory (gone with the store).
    Memory,
    /// A SQLite database file; blobs in the directory beside it
    /// (`FILE.blobs/`) unless another is named.
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://` URL); file contents stay in the
    /// database unless a blob store is named.
    Postgres(String),
}

impl Location {
    /// Reads `memory`, `sqlite:PATH`, `postgres://...` (or
    /// `postgresql://`), or a plain file path (SQLite).
    ///
    /// # Errors
    /// [`StoreError::Config`] for an empty location.
    pub fn parse(text: &str) -> Result<Location, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StoreError::Config(
                "the store location is empty: give memory, a file path, or a postgres:// URL".into(),
            ));
        }
        Ok(if text == "memory" || text == ":memory:" {
            Location::Memory
        } else if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_owned())
        } else if let Some(path) = text.strip_prefix("sqlite:") {
            Location::Sqlite(PathBuf::from(path))
        } else {
            Location::Sqlite(PathBuf::from(text))
        })
    }
}

/// A store: rows in a SQL backend, large contents in a blob store, the
/// schema migrated to [`SCHEMA_VERSION`]. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Box<dyn Backend>,
    blobs: Option<BlobStore>,
    /// Whether a store call runs where it is awaited (SQLite with blobs that
    /// are not an object store): it then completes without a thread hop,
    /// in microseconds.
    inline: bool,
}

impl Store {
    /// Opens the store at `location` (see [`Location::parse`]) and migrates
    /// its schema. A PostgreSQL URL may carry `sslmode=require` (TLS with
    /// the certificate verified against the Web PKI roots) and
    /// `sslrootcert=FILE` (verified against that CA instead).
    ///
    /// # Errors
    /// [`StoreError::Config`], [`StoreError::Unavailable`],
    /// [`StoreError::Schema`].
    pub async fn open(location: &str) -> Result<Store, StoreError> {
        Store::open_with_blobs(location, None).await
    }

    /// As [`Store::open`], with large file contents at `blobs` (see
    /// [`BlobStore::from_location`]: a directory, `memory`, or an
    /// `s3://` URL with the `s3` feature). Without one: beside a SQLite
    /// file (`FILE.blobs/`), in memory for `memory`, and in the database
    /// for PostgreSQL.
    ///
    /// # Errors
    /// As [`Store::open`]; [`StoreError::Config`] for a bad blob location.
    pub async fn open_with_blobs(location: &str, blobs: Option<&str>) -> Result<Store, StoreError> {
        let location = Location::parse(location)?;
        let blobs = match (blobs, &location) {
            (Some(blobs), _) => Some(BlobStore::from_location(blobs)?),
            (None, Location::Memory) => Some(BlobStore::memory()),
            (None, Location::Sqlite(path)) => {
                let mut dir = path.clone().into_os_string();
                dir.push(".blobs");
                Some(BlobStore::directory(PathBuf::from(dir))?)
            }
            (None, Location::Postgres(_)) => None,
        };
        Store::open_with(location, blobs).await
    }

    /// Opens the store at `location` with large file contents in `blobs`
    /// (`None`: every content stays in the database).
    ///
    /// # Errors
    /// As [`Store::open`].
    pub async fn open_with(location: Location, blobs: Option<BlobStore>) -> Result<Store, StoreError> {
        let backend: Box<dyn Backend> = match location {
            Location::Memory => Box::new(Sqlite::in_memory()?),
            Location::Sqlite(path) => {
                tokio::task::spawn_blocking(move || Sqlite::open(&path).map(|s| Box::new(s) as Box<dyn Backend>))
                    .await
                    .map_err(|e| StoreError::Unavailable(error::bounded(e)))??
            }
            Location::Postgres(url) => Box::new(Postgres::connect(&PostgresConfig::from_url(&url)?).await?),
        };
        Store::from_backend(backend, blobs).await
    }

    /// A store over a backend made by the caller, migrated.
    ///
    /// # Errors
    /// [`StoreError::Schema`] and backend failures.
    pub async fn from_backend(backend: Box<dyn Backend>, blobs: Option<BlobStore>) -> Result<Store, StoreError> {
        let inline = backend.dialect() == sql::Dialect::Sqlite && blobs.as_ref().is_none_or(BlobStore::is_synchronous);
        let store = Store {
            inner: Arc::new(Inner { backend, blobs, inline }),
        };
        store.blocking(|backend| migrate::migrate(backend).map(drop)).await?;
        Ok(store)
    }

    /// The schema version the database is at (after opening: always
    /// [`SCHEMA_VERSION`]).
    ///
    /// # Errors
    /// A backend failure.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        self.blocking(|backend| {
            sql::transact(backend, sql::Access::Read, |tx| {
                Ok(tx
                    .query_opt("SELECT MAX(version) FROM isobox_schema", &[])?
                    .map(|r| r.opt_int(0))
                    .transpose()?
                    .flatten()
                    .unwrap_or(0))
            })
        })
        .await
    }

    /// The key-value store, with [`kv::KvLimits::default`].
    pub fn kv(&self) -> kv::Kv {
        kv::Kv::new(self.clone())
    }

    /// Workspace `id` of namespace `ns` (a tenant), with
    /// [`workspace::WorkspaceLimits::default`]. It exists once something is
    /// written to it.
    ///
    /// # Errors
    /// [`StoreError::Fs`] (`EINVAL`) when the id is empty, longer than 200
    /// bytes, or holds a character other than letters, digits, `-`, `_`,
    /// `.`.
    pub fn workspace(&self, ns: &str, id: &str) -> Result<workspace::Workspace, StoreError> {
        workspace::Workspace::new(self.clone(), ns, id)
    }

    /// The backend, for what needs it outside a transaction (a listener).
    pub(crate) fn backend(&self) -> &dyn sql::Backend {
        self.inner.backend.as_ref()
    }

    /// The blob store, if file contents above the threshold go to one.
    pub fn blobs(&self) -> Option<&BlobStore> {
        self.inner.blobs.as_ref()
    }

    /// Runs `f` with the backend. Every backend call blocks: SQLite's (a
    /// few microseconds, or waiting for another process's writer) run in
    /// place (`block_in_place` on a multi-threaded runtime, so its other
    /// tasks move on); PostgreSQL's, and any with an object store, on one of
    /// tokio's blocking threads.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Backend) -> Result<T, StoreError> + Send + 'static,
    {
        if self.inner.inline {
            let backend = self.inner.backend.as_ref();
            return match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
                Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| f(backend)),
                _ => f(backend),
            };
        }
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(inner.backend.as_ref()))
            .await
            .map_err(|e| StoreError::Backend(error::bounded(format!("a store task failed: {e}"))))?
    }
}

/// Milliseconds since the Unix epoch, as the stores write times.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
