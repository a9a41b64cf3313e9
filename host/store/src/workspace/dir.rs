//! A workspace over a real host directory (a checked-out repository on the
//! user's machine), confined with cap-std: the directory is opened once and
//! every operation after is relative to that handle, so nothing reaches
//! outside it.
//!
//! - `..` never gets here (paths are normalised); an absolute symlink or
//!   one that climbs out of the root is refused by cap-std (`EACCES`).
//!   Symlinks that stay inside are followed when a file is read or written
//!   through them (`stat` reports what they lead to). Whole-tree walks
//!   (glob, find, grep, replace, archives, copies) never follow a symlink
//!   and leave them out (a recursive copy does not copy them); a listing
//!   shows one as [`Kind::Symlink`], and so does `stat` of one that
//!   dangles or leaves. Moving and removing act on the link itself.
//! - A regular file with more than one name (a hard link, which could be
//!   one to a file outside) is neither read nor written (`EACCES`),
//!   checked on the opened handle; whole-tree walks leave it out. Removing
//!   or moving one (which only touches its name inside) is allowed, but a
//!   removal cannot be undone (see below).
//! - FIFOs, sockets and devices are left out of listings and walks and are
//!   never opened (`EINVAL`); names that are not UTF-8 are left out too.
//! - A file larger than [`WorkspaceLimits::max_file_bytes`] is not read
//!   (`EFBIG`); grep and replace pass it over.
//! - Listings and walks read the whole directory (or tree), at most
//!   [`WorkspaceLimits::max_scan`] entries (else `EINVAL`: narrow the
//!   path), and sort it by bytes so pages are stable. Listings and walks
//!   carry no hash (`None`): [`FileSystem::stat`] of one file computes it.
//! - Every write of a file is atomic: the content goes to a temporary name
//!   (`.isobox-tmp-...`, hidden from listings) in the same directory, then
//!   replaces the file by a rename (keeping its permissions).
//! - Quotas apply: on the first write of a transaction that adds entries or
//!   bytes, the tree is counted (files, directories and symlinks; at most
//!   [`WorkspaceLimits::max_scan`] entries, else `EDQUOT` when that bound
//!   is at least `max_files`, `EINVAL` otherwise), and a write that would
//!   pass a limit is refused (`EDQUOT`, `EFBIG`) before it is made.
//!   Changes made by other processes meanwhile are not seen until the next
//!   transaction.
//! - A directory has no version: [`FileSystem::version`] is 0 and
//!   [`FileSystem::expect_version`] (a batch's `ifVersion`) fails with
//!   `EINVAL`.
//!
//! **Transactions are best-effort.** A directory is not a database: the
//! steps of a transaction (a batch) happen one by one and other processes
//! see them as they happen. When the body fails, an undo journal puts back
//! what it changed, the last change first (made entries removed, replaced
//! and removed files written back from copies kept in memory, moves moved
//! back). The journal keeps at most 64 MiB of content; past that, or for a
//! file it cannot copy (hard-linked, larger than the largest file, not a
//! regular file), it stops, and the undo is partial. An undo can also fail
//! (the directory changed under it), and a crash midway leaves part of a
//! batch done. The error then says the undo was not complete. Writers in
//! this process take turns on the directory's lock; readers do not wait,
//! so they may see a batch halfway.

mod journal;
mod ops;
mod os;
mod scan;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use cap_std::fs::Dir;

use self::journal::{Journal, Saved, Undo};
use self::os::{fail, open_file, read_all, rel};
use self::scan::{Counted, Entry};
use super::path::parent;
use super::{FileSystem, FsCode, FsError, Kind, Stat, WorkspaceLimits};
use crate::StoreError;

pub use journal::MAX_JOURNAL_BYTES;

/// What a directory workspace may do to its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirAccess {
    /// Read only: every change fails with `EACCES`.
    ReadOnly,
    /// Read and write.
    ReadWrite,
}

/// An open host directory, the root of a directory workspace. Writers of
/// one directory in this process take turns on its lock, shared by every
/// root opened on that directory (the same device and inode); a root on a
/// directory inside another has a lock of its own.
pub struct DirRoot {
    dir: Dir,
    access: DirAccess,
    name: String,
    pub(crate) lock: Arc<Mutex<()>>,
}

/// The writers' lock of the directory `dir`, shared by every root on it.
fn lock_of(dir: &Dir) -> Arc<Mutex<()>> {
    #[cfg(unix)]
    {
        use cap_std::fs::MetadataExt;
        use std::collections::HashMap;
        use std::sync::{OnceLock, PoisonError, Weak};

        type Locks = Mutex<HashMap<(u64, u64), Weak<Mutex<()>>>>;
        static LOCKS: OnceLock<Locks> = OnceLock::new();
        let Ok(meta) = dir.dir_metadata() else {
            return Arc::default();
        };
        let mut locks = LOCKS
            .get_or_init(Locks::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let key = (meta.dev(), meta.ino());
        if let Some(lock) = locks.get(&key).and_then(Weak::upgrade) {
            return lock;
        }
        locks.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(Mutex::new(()));
        locks.insert(key, Arc::downgrade(&lock));
        lock
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Arc::default()
    }
}

impl fmt::Debug for DirRoot {
    // The host path stays out of logs and errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirRoot")
            .field("name", &self.name)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl DirRoot {
    /// Opens the directory at `path` (which must exist).
    ///
    /// # Errors
    /// `ENOENT` when nothing is there; `EINVAL` when it is not a directory
    /// (or the host is not Unix); `EACCES` when the host refuses.
    pub(crate) fn open(path: &Path, access: DirAccess) -> Result<DirRoot, StoreError> {
        if !cfg!(unix) {
            return Err(FsError::invalid("", "a directory workspace needs a Unix host").into());
        }
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority()).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                FsError::new(FsCode::ENOENT, "", "the workspace's directory does not exist")
            }
            std::io::ErrorKind::NotADirectory => FsError::invalid("", "the workspace's path is not a directory"),
            std::io::ErrorKind::PermissionDenied => {
                FsError::new(FsCode::EACCES, "", "the host refuses to open the workspace's directory")
            }
            _ => FsError::invalid(
                "",
                format!(
                    "the workspace's directory cannot be opened: {}",
                    crate::error::bounded(e)
                ),
            ),
        })?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| super::valid_id(n))
            .unwrap_or("directory")
            .to_owned();
        Ok(DirRoot {
            lock: lock_of(&dir),
            dir,
            access,
            name,
        })
    }

    /// What the workspace may do to the directory.
    pub fn access(&self) -> DirAccess {
        self.access
    }

    /// The directory's last name (or `directory` when it is not a valid
    /// workspace id).
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What is at a path (following a symlink that stays inside), without a
/// hash.
struct Found {
    kind: Kind,
    size: u64,
    mtime: i64,
}

/// A directory workspace inside one (best-effort) transaction.
pub(crate) struct DirFs {
    root: Arc<DirRoot>,
    limits: WorkspaceLimits,
    write: bool,
    base: Cell<Option<Counted>>,
    delta_files: i64,
    delta_bytes: i64,
    journal: Journal,
    generation: u64,
    cache: Option<(String, u64, Vec<Entry>)>,
}

impl DirFs {
    pub(crate) fn new(root: Arc<DirRoot>, limits: WorkspaceLimits, write: bool) -> DirFs {
        DirFs {
            root,
            limits,
            write,
            base: Cell::new(None),
            delta_files: 0,
            delta_bytes: 0,
            journal: Journal::new(),
            generation: 0,
            cache: None,
        }
    }

    /// Ends the transaction: its changes stay. A directory has no version:
    /// 0.
    pub(crate) fn finish(self) -> u64 {
        0
    }

    /// Takes back the transaction's changes after `error` and returns it;
    /// when the undo was not complete, its message says so.
    pub(crate) fn undo(self, error: StoreError) -> StoreError {
        if self.journal.is_empty() {
            return error;
        }
        let leftover = self.journal.apply(&self.root.dir);
        if leftover.is_clean() {
            return error;
        }
        let mut note = String::from("; the earlier changes to the directory could not all be undone");
        if leftover.incomplete {
            note.push_str(" (its undo journal stopped: over 64 MiB, or a file it could not copy)");
        }
        if leftover.failed > 0 {
            note.push_str(&format!(
                " ({} undo steps failed: {})",
                leftover.failed,
                leftover.first.join("; ")
            ));
        }
        tracing::warn!(workspace = %self.root.name, "a directory batch failed and was not fully undone{note}");
        match error {
            StoreError::Fs(mut e) => {
                e.message.push_str(&note);
                e.into()
            }
            other => other,
        }
    }

    fn dir(&self) -> &Dir {
        &self.root.dir
    }

    /// Fails with `EACCES` unless this transaction may change the
    /// directory.
    fn writable(&self, path: &str) -> Result<(), StoreError> {
        if self.root.access == DirAccess::ReadOnly {
            return Err(FsError::new(FsCode::EACCES, path, "the workspace's directory is read-only").into());
        }
        if !self.write {
            return Err(FsError::new(FsCode::EACCES, path, "a read transaction cannot change the directory").into());
        }
        Ok(())
    }

    /// What is at `path`: a symlink that stays inside is followed; one that
    /// dangles or leaves is reported as [`Kind::Symlink`].
    fn lookup(&self, path: &str) -> Result<Option<Found>, StoreError> {
        let meta = if path == "/" {
            self.dir().dir_metadata().map_err(|e| fail(e, path))?
        } else {
            match self.dir().symlink_metadata(rel(path)) {
                Ok(meta) => meta,
                Err(e) if is_absent(&e) => return Ok(None),
                Err(e) => return Err(fail(e, path)),
            }
        };
        let meta = if meta.is_symlink() {
            match self.dir().metadata(rel(path)) {
                Ok(target) if target.is_dir() || target.is_file() => target,
                _ => {
                    return Ok(Some(Found {
                        kind: Kind::Symlink,
                        size: 0,
                        mtime: os::mtime(&meta),
                    }));
                }
            }
        } else {
            meta
        };
        let (kind, size) = if meta.is_dir() {
            (Kind::Directory, 0)
        } else if meta.is_file() {
            (Kind::File, meta.len())
        } else {
            return Err(FsError::invalid(path, "not a regular file or directory (a FIFO, socket or device)").into());
        };
        Ok(Some(Found {
            kind,
            size,
            mtime: os::mtime(&meta),
        }))
    }

    /// The entry at `path` itself (a symlink not followed), or `None`.
    fn lstat(&self, path: &str) -> Result<Option<cap_std::fs::Metadata>, StoreError> {
        match self.dir().symlink_metadata(rel(path)) {
            Ok(meta) => Ok(Some(meta)),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(fail(e, path)),
        }
    }

    /// Why the symlink at `path` cannot be followed.
    fn link_error(&self, path: &str) -> StoreError {
        match self.dir().metadata(rel(path)) {
            Err(e) => fail(e, path),
            Ok(_) => FsError::new(FsCode::EACCES, path, "a symlink is in the way: refused").into(),
        }
    }

    /// Checks that the parent of `path` is a directory, making missing
    /// ones when `parents`.
    fn ensure_parent(&mut self, path: &str, parents: bool) -> Result<(), StoreError> {
        let dir = parent(path).to_owned();
        match self.lookup(&dir)? {
            Some(found) if found.kind == Kind::Directory => Ok(()),
            Some(found) if found.kind == Kind::Symlink => Err(self.link_error(&dir)),
            Some(_) => Err(FsError::new(FsCode::ENOTDIR, &dir, "a file where a directory was needed").into()),
            None if parents => self.mkdir(&dir, true),
            None => Err(FsError::new(
                FsCode::ENOENT,
                &dir,
                "the parent directory does not exist: make it first (or ask for parents)",
            )
            .into()),
        }
    }

    /// The count of the whole directory, made once per transaction (errors
    /// are not kept).
    fn base(&self) -> Result<Counted, StoreError> {
        if let Some(counted) = self.base.get() {
            return Ok(counted);
        }
        let counted = scan::count(self.dir(), self.limits.max_scan)?;
        self.base.set(Some(counted));
        Ok(counted)
    }

    /// The count of the whole directory, failing when it is too large to
    /// count.
    fn counted(&self) -> Result<Counted, StoreError> {
        let counted = self.base()?;
        if counted.complete {
            return Ok(counted);
        }
        let max_scan = self.limits.max_scan;
        if max_scan as u64 >= self.limits.max_files {
            Err(FsError::new(
                FsCode::EDQUOT,
                "",
                format!(
                    "the directory holds more than {max_scan} entries; the workspace may hold at most {}",
                    self.limits.max_files
                ),
            )
            .into())
        } else {
            Err(FsError::invalid(
                "",
                format!(
                    "the directory holds more than {max_scan} entries, too many to count for its quota: \
                     raise max_scan or use a smaller directory"
                ),
            )
            .into())
        }
    }

    /// Refuses a change adding `files` entries and `bytes` bytes when it
    /// would pass the quotas; counts it otherwise.
    fn reserve(&mut self, files: i64, bytes: i64) -> Result<(), StoreError> {
        if files > 0 || bytes > 0 {
            let base = self.counted()?;
            let total_files = base.files as i64 + self.delta_files + files;
            let total_bytes = base.bytes as i64 + self.delta_bytes + bytes;
            if (files > 0 && total_files > self.limits.max_files as i64)
                || (bytes > 0 && total_bytes > self.limits.max_bytes as i64)
            {
                return Err(FsError::new(
                    FsCode::EDQUOT,
                    "",
                    format!(
                        "the workspace may hold at most {} entries and {} bytes; this change would make {total_files} \
                         and {total_bytes}",
                        self.limits.max_files, self.limits.max_bytes
                    ),
                )
                .into());
            }
        }
        self.delta_files += files;
        self.delta_bytes += bytes;
        Ok(())
    }

    /// Everything below `dir` (symlinks and hard-linked files included),
    /// sorted, kept until the next change.
    fn tree(&mut self, dir: &str) -> Result<&[Entry], StoreError> {
        let fresh = matches!(&self.cache, Some((d, g, _)) if d == dir && *g == self.generation);
        if !fresh {
            let max = self.limits.max_scan;
            let tree = scan::tree(self.dir(), dir, max)?.ok_or_else(|| too_many(dir, max))?;
            self.cache = Some((dir.to_owned(), self.generation, tree.entries));
        }
        Ok(self.cache.as_ref().map_or(&[], |(_, _, entries)| entries.as_slice()))
    }

    /// A copy of the file at `path` for the journal, or `None` (and the
    /// journal stops) when it cannot be kept.
    fn save(&mut self, path: &str, size: u64) -> Option<Saved> {
        if !self.journal.room(size) {
            return None;
        }
        let saved = open_file(self.dir(), path).and_then(|(file, meta)| {
            let content = read_all(file, &meta, path, self.limits.max_file_bytes.max(size))?;
            Ok(Saved::File {
                path: path.to_owned(),
                content,
                permissions: meta.permissions(),
            })
        });
        match saved {
            Ok(saved) => Some(saved),
            Err(_) => {
                self.journal.give_up();
                None
            }
        }
    }

    /// A symlink's target for the journal, or `None` (and the journal
    /// stops).
    fn save_link(&mut self, path: &str) -> Option<Saved> {
        match self.dir().read_link_contents(rel(path)) {
            Ok(target) => Some(Saved::Link {
                path: path.to_owned(),
                target,
            }),
            Err(_) => {
                self.journal.give_up();
                None
            }
        }
    }

    /// Where a write to `path` goes: `path`, or where the symlink at it
    /// leads (inside the root, or `EACCES`).
    fn write_target(&self, path: &str) -> Result<String, StoreError> {
        match self.lstat(path)? {
            Some(meta) if meta.is_symlink() => {
                let real = self.dir().canonicalize(rel(path)).map_err(|e| fail(e, path))?;
                os::from_rel(&real, path)
            }
            _ => Ok(path.to_owned()),
        }
    }

    /// Removes one entry (not the root); returns the entries that went.
    fn remove_entry(&mut self, path: &str, recursive: bool) -> Result<u64, StoreError> {
        let meta = self.dir().symlink_metadata(rel(path)).map_err(|e| fail(e, path))?;
        if meta.is_dir() {
            let max = self.limits.max_scan;
            let tree = scan::tree(self.dir(), path, max)?.ok_or_else(|| too_many(path, max))?;
            if !tree.entries.is_empty() && !recursive {
                return Err(FsError::new(
                    FsCode::ENOTEMPTY,
                    path,
                    "the directory is not empty: remove it recursively",
                )
                .into());
            }
            if tree.skipped > 0 {
                self.journal.give_up();
            }
            let mut saved = vec![Saved::Dir(path.to_owned())];
            let mut bytes = 0;
            for Entry { stat: entry, .. } in &tree.entries {
                let kept = match entry.kind {
                    Kind::Directory => Some(Saved::Dir(entry.path.clone())),
                    Kind::File => {
                        bytes += entry.size;
                        self.save(&entry.path, entry.size)
                    }
                    Kind::Symlink => self.save_link(&entry.path),
                };
                saved.extend(kept);
            }
            let result = if tree.entries.is_empty() && tree.skipped == 0 {
                self.dir().remove_dir(rel(path))
            } else {
                self.dir().remove_dir_all(rel(path))
            };
            // Even a removal that failed midway may have removed some.
            self.journal.push(Undo::Restore(saved));
            self.generation += 1;
            result.map_err(|e| fail(e, path))?;
            let count = 1 + tree.entries.len() as u64;
            self.delta_files -= count as i64;
            self.delta_bytes -= bytes as i64;
            return Ok(count);
        }
        let (saved, files, bytes) = if meta.is_symlink() {
            (self.save_link(path), 1, 0)
        } else if meta.is_file() {
            (self.save(path, meta.len()), 1, meta.len() as i64)
        } else {
            // A FIFO, socket or device: not counted, not restorable.
            self.journal.give_up();
            (None, 0, 0)
        };
        self.dir().remove_file(rel(path)).map_err(|e| fail(e, path))?;
        self.journal.push(Undo::Restore(saved.into_iter().collect()));
        self.generation += 1;
        self.delta_files -= files;
        self.delta_bytes -= bytes;
        Ok(1)
    }

    /// Copies the file `from` to `to` (replacing a file there).
    fn copy_file(&mut self, from: &str, to: &str) -> Result<(), StoreError> {
        let content = self.read(from)?;
        self.write(to, &content, false, false).map(drop)
    }
}

fn is_absent(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

fn too_many(dir: &str, max: usize) -> StoreError {
    FsError::invalid(
        dir,
        format!("more than {max} entries to go through: narrow the path (or raise max_scan)"),
    )
    .into()
}

fn stat_of(path: &str, found: &Found) -> Stat {
    Stat {
        path: path.to_owned(),
        kind: found.kind,
        size: found.size,
        mtime: found.mtime,
        hash: None,
    }
}
