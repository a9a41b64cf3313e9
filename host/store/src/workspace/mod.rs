//! Agent workspaces: a file system per (namespace, id) kept in the store's
//! SQL backend (contents above a threshold in its blob store), or a real
//! host directory ([`Workspace::directory`]). In the store, every operation
//! is one transaction: it happens whole or not at all, quotas are checked
//! in the transaction that writes, and each committed change moves the
//! workspace's version on by one. [`Workspace::transaction`] runs any
//! sequence of steps as one such change (the capability's `batch`). On a
//! directory the same API is confined to the directory, and transactions
//! are best-effort (see [`dir`]).

pub mod archive;
mod backend;
pub mod basic;
pub mod batch;
pub mod dir;
pub mod edit;
mod error;
mod fs;
pub mod grep;
pub mod json;
pub mod patch;
pub mod path;
pub mod replace;
pub mod search;

pub use archive::{ArchiveCreateOptions, ArchiveEntry, ArchiveList, ArchiveListOptions, ExtractOptions, Extracted};
pub use backend::FileSystem;
pub use basic::{WriteOptions, parse_options};
pub use batch::{BatchResult, Encoding, Op};
pub use dir::{DirAccess, DirRoot};
pub use edit::{DiffContentOptions, DiffOptions, EditOptions, EditResult, TextEdit};
pub use error::{FsCode, FsError};
pub use fs::{Fs, Kind, Stat, sha256_hex};
pub use grep::{GrepMatch, GrepOptions, GrepResult};
pub use json::{UpdateJsonOptions, WriteJsonOptions};
pub use patch::PatchOp;
pub use replace::{FileReplacements, ReplaceOptions, ReplaceResult};
pub use search::{FindOptions, FindPage, GlobOptions, GlobPage, KindFilter};

use std::path::Path;
use std::sync::{Arc, PoisonError};

use serde::Serialize;

use crate::sql::{Access, transact};
use crate::{Store, StoreError};

/// The limits of a workspace. Every field has a default
/// ([`WorkspaceLimits::default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceLimits {
    /// The most entries (files and directories) it holds (default 100,000).
    pub max_files: u64,
    /// The most bytes of file content it holds (default 1 GiB).
    pub max_bytes: u64,
    /// The largest file (default 64 MiB).
    pub max_file_bytes: u64,
    /// Contents larger than this go to the blob store, when there is one
    /// (default 64 KiB).
    pub inline_bytes: usize,
    /// The most entries one page of a listing holds (default 1,000).
    pub max_page: usize,
    /// The most files a whole-tree operation (grep, glob, replace) goes
    /// through before it fails and asks for a narrower path (default
    /// 100,000).
    pub max_scan: usize,
}

impl Default for WorkspaceLimits {
    fn default() -> Self {
        WorkspaceLimits {
            max_files: 100_000,
            max_bytes: 1 << 30,
            max_file_bytes: 64 << 20,
            inline_bytes: 64 << 10,
            max_page: 1000,
            max_scan: 100_000,
        }
    }
}

/// One page of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirPage {
    /// The entries, in byte order of their names.
    pub entries: Vec<Stat>,
    /// Where the next page starts, or `None` when this is the last.
    pub cursor: Option<String>,
}

/// One workspace: of a [`Store`] ([`Store::workspace`]) or over a host
/// directory ([`Workspace::directory`]). Cloning shares it.
#[derive(Debug, Clone)]
pub struct Workspace {
    backing: Backing,
    limits: WorkspaceLimits,
}

/// Where a workspace's entries are.
#[derive(Debug, Clone)]
enum Backing {
    /// Rows of the store's SQL backend.
    Store { store: Store, ns: String, id: String },
    /// A host directory.
    Directory(Arc<DirRoot>),
}

pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && id != "."
        && id != ".."
}

impl Workspace {
    pub(crate) fn new(store: Store, ns: &str, id: &str) -> Result<Workspace, StoreError> {
        if !valid_id(id) {
            return Err(FsError::invalid("", "a workspace id is 1 to 200 letters, digits, '-', '_' or '.'").into());
        }
        Ok(Workspace {
            backing: Backing::Store {
                store,
                ns: ns.to_owned(),
                id: id.to_owned(),
            },
            limits: WorkspaceLimits::default(),
        })
    }

    /// A workspace over the host directory at `path` (which must exist),
    /// with the same API as a store's: every path is inside the directory
    /// and nothing reaches outside it (see [`dir`] for symlinks, hard
    /// links, atomic writes and quotas). `access` says whether it may be
    /// changed; `limits` apply as in the store (the default limits:
    /// [`WorkspaceLimits::default`]).
    ///
    /// Unlike the store's, a directory has no version (always 0; `ifVersion`
    /// fails with `EINVAL`), and its transactions (batches) are
    /// **best-effort**: on failure an undo journal puts back what the
    /// transaction changed, but other processes see each step as it
    /// happens, a crash midway leaves part of it done, and an undo may be
    /// partial (the error says so). Writers of one directory in this
    /// process take turns (every `Workspace` on it shares one lock);
    /// readers do not wait for them, and other processes are not held off.
    /// Opening is a quick blocking call.
    ///
    /// # Errors
    /// [`StoreError::Fs`]: `ENOENT` when nothing is at `path`, `EINVAL`
    /// when it is not a directory (or the host is not Unix), `EACCES` when
    /// the host refuses to open it.
    pub fn directory(path: &Path, access: DirAccess, limits: WorkspaceLimits) -> Result<Workspace, StoreError> {
        Ok(Workspace {
            backing: Backing::Directory(Arc::new(DirRoot::open(path, access)?)),
            limits,
        })
    }

    /// The same workspace under other limits.
    pub fn with_limits(mut self, limits: WorkspaceLimits) -> Workspace {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &WorkspaceLimits {
        &self.limits
    }

    /// The workspace's id (for a directory: its last name, or `directory`
    /// when that is not a valid id).
    pub fn id(&self) -> &str {
        match &self.backing {
            Backing::Store { id, .. } => id,
            Backing::Directory(root) => root.name(),
        }
    }

    /// The host directory's root, when the workspace is a directory.
    pub fn directory_root(&self) -> Option<&DirRoot> {
        match &self.backing {
            Backing::Store { .. } => None,
            Backing::Directory(root) => Some(root),
        }
    }

    /// Runs `body` on the workspace in one transaction. A writer (`write`)
    /// holds the workspace's lock; when it changed anything, the quotas are
    /// checked and the version moves on as it commits. `if_version` makes
    /// it fail with `ESTALE` unless the workspace is at that version.
    /// Returns `body`'s value and the version after.
    ///
    /// On a directory ([`Workspace::directory`]) `body` runs once on a
    /// blocking thread, writers of the directory taking turns on its lock
    /// in this process; quotas are checked before each write; the version
    /// is always 0 and `if_version` fails with `EINVAL`. When `body` fails,
    /// its changes are undone from a journal, **best-effort** (see
    /// [`dir`]): the error says when the undo was not complete.
    ///
    /// # Errors
    /// What `body` returned (nothing of it is kept), `EDQUOT`, `ESTALE`, or
    /// a backend failure.
    pub async fn transaction<T, F>(&self, write: bool, if_version: Option<u64>, body: F) -> Result<(T, u64), StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut dyn FileSystem) -> Result<T, StoreError> + Send + 'static,
    {
        let (store, ns, id) = match &self.backing {
            Backing::Store { store, ns, id } => (store, ns.clone(), id.clone()),
            Backing::Directory(root) => {
                return directory_transaction(root.clone(), self.limits, write, if_version, body).await;
            }
        };
        let limits = self.limits;
        let blobs = store.blobs().cloned();
        let handle = tokio::runtime::Handle::current();
        let mut body = body;
        let access = if write { Access::Write } else { Access::Read };
        store
            .blocking(move |backend| {
                transact(backend, access, |tx| {
                    let mut fs = Fs::begin(tx, &ns, &id, &limits, blobs.as_ref(), &handle, write)?;
                    if let Some(version) = if_version {
                        fs.expect_version(version)?;
                    }
                    let value = body(&mut fs)?;
                    let version = fs.finish()?;
                    Ok((value, version))
                })
            })
            .await
    }

    /// [`Workspace::transaction`] without a version precondition, for its
    /// value alone: how every operation of the API runs.
    async fn run<T, F>(&self, write: bool, body: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut dyn FileSystem) -> Result<T, StoreError> + Send + 'static,
    {
        self.transaction(write, None, body).await.map(|(value, _)| value)
    }

    async fn read<T, F>(&self, body: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut dyn FileSystem) -> Result<T, StoreError> + Send + 'static,
    {
        self.run(false, body).await
    }

    async fn write<T, F>(&self, body: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut dyn FileSystem) -> Result<T, StoreError> + Send + 'static,
    {
        self.run(true, body).await
    }

    /// The workspace's version: 0 before its first change, then one more
    /// per committed change (a directory: always 0).
    ///
    /// # Errors
    /// A backend failure.
    pub async fn version(&self) -> Result<u64, StoreError> {
        self.read(|fs| Ok(fs.version())).await
    }

    /// How many entries and bytes it holds.
    ///
    /// # Errors
    /// A backend failure; for a directory, `EINVAL`/`EDQUOT` when it holds
    /// more than [`WorkspaceLimits::max_scan`] entries.
    pub async fn usage(&self) -> Result<(u64, u64), StoreError> {
        self.read(|fs| fs.count()).await
    }

    /// The content of the file at `path`.
    ///
    /// # Errors
    /// `ENOENT`, `EISDIR`, path errors.
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>, StoreError> {
        let path = path::normalize(path)?;
        self.read(move |fs| fs.read(&path)).await
    }

    /// Writes `content` to the file at `path` (made or replaced); its
    /// directory must exist.
    ///
    /// # Errors
    /// `ENOENT` (no directory), `EISDIR`, `EFBIG`, `EDQUOT`, path errors.
    pub async fn write_file(&self, path: &str, content: &[u8]) -> Result<Stat, StoreError> {
        let path = path::normalize(path)?;
        let content = content.to_vec();
        self.write(move |fs| fs.write(&path, &content, false, false)).await
    }

    /// The entry at `path`, or `None`.
    ///
    /// # Errors
    /// Path errors.
    pub async fn stat(&self, path: &str) -> Result<Option<Stat>, StoreError> {
        let path = path::normalize(path)?;
        self.read(move |fs| fs.stat(&path)).await
    }

    /// Makes a directory (with `recursive`, its parents too).
    ///
    /// # Errors
    /// `EEXIST`, `ENOENT`, `ENOTDIR`, `EDQUOT`, path errors.
    pub async fn mkdir(&self, path: &str, recursive: bool) -> Result<(), StoreError> {
        let path = path::normalize(path)?;
        self.write(move |fs| fs.mkdir(&path, recursive)).await
    }

    /// One page of a directory, after `cursor` (from the previous page), at
    /// most `limit` (default and most: [`WorkspaceLimits::max_page`]).
    ///
    /// # Errors
    /// `ENOENT`, `ENOTDIR`, path errors.
    pub async fn readdir(&self, path: &str, cursor: Option<&str>, limit: Option<usize>) -> Result<DirPage, StoreError> {
        let path = path::normalize(path)?;
        let limit = limit.unwrap_or(self.limits.max_page).clamp(1, self.limits.max_page);
        let cursor = cursor.map(str::to_owned);
        self.read(move |fs| {
            let (entries, more) = fs.list(&path, cursor.as_deref(), limit)?;
            let cursor = if more {
                entries.last().map(|e| e.path.clone())
            } else {
                None
            };
            Ok(DirPage { entries, cursor })
        })
        .await
    }

    /// Removes an entry (a directory with entries only when `recursive`).
    /// Returns how many entries went.
    ///
    /// # Errors
    /// `ENOENT`, `ENOTEMPTY`, path errors.
    pub async fn rm(&self, path: &str, recursive: bool) -> Result<u64, StoreError> {
        let path = path::normalize(path)?;
        self.write(move |fs| fs.remove(&path, recursive)).await
    }
}

/// [`Workspace::transaction`] on a directory.
async fn directory_transaction<T, F>(
    root: Arc<DirRoot>,
    limits: WorkspaceLimits,
    write: bool,
    if_version: Option<u64>,
    mut body: F,
) -> Result<(T, u64), StoreError>
where
    T: Send + 'static,
    F: FnMut(&mut dyn FileSystem) -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        // A writer that panicked left nothing the lock guards: go on.
        let _turn = write.then(|| root.lock.lock().unwrap_or_else(PoisonError::into_inner));
        let mut fs = dir::DirFs::new(root.clone(), limits, write);
        if let Some(version) = if_version {
            fs.expect_version(version)?;
        }
        match body(&mut fs) {
            Ok(value) => Ok((value, fs.finish())),
            Err(e) => Err(fs.undo(e)),
        }
    })
    .await
    .map_err(|e| StoreError::Backend(crate::error::bounded(format!("a workspace task failed: {e}"))))?
}
