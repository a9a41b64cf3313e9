//! [`FileSystem`]: the operations every higher workspace operation (grep,
//! edit, JSON, archives, batch, ...) is built from, implemented by the SQL
//! workspace ([`Fs`]) and by a host directory (see
//! [`Workspace::directory`](super::Workspace::directory)).
//!
//! Paths given to these methods are normalised workspace paths (see
//! [`path::normalize`](super::path::normalize)): absolute, `/`-separated.

use super::{Fs, FsError, Stat, WorkspaceLimits};
use crate::StoreError;

/// One workspace inside one transaction (or, for a host directory, one
/// best-effort batch of changes: see
/// [`Workspace::directory`](super::Workspace::directory)).
///
/// Methods on `&mut dyn FileSystem` are callable without importing this
/// trait.
pub trait FileSystem {
    /// The workspace's version when the transaction began (always 0 for a
    /// directory, which has no version).
    fn version(&self) -> u64;

    /// Fails with `ESTALE` unless the workspace is at `version`; a
    /// directory fails with `EINVAL` (it has no version).
    ///
    /// # Errors
    /// `ESTALE`, `EINVAL`.
    fn expect_version(&self, version: u64) -> Result<(), StoreError>;

    /// Entries and bytes, counting this transaction's changes so far. A
    /// directory too large to count (more than
    /// [`WorkspaceLimits::max_scan`] entries) reports what it counted up to
    /// that bound; [`FileSystem::count`] fails instead.
    fn usage(&self) -> (u64, u64);

    /// As [`FileSystem::usage`], but failing when the entries cannot all be
    /// counted.
    ///
    /// # Errors
    /// `EINVAL` or `EDQUOT` for a directory with more than
    /// [`WorkspaceLimits::max_scan`] entries; I/O errors.
    fn count(&mut self) -> Result<(u64, u64), StoreError> {
        Ok(self.usage())
    }

    /// The limits in force.
    fn limits(&self) -> &WorkspaceLimits;

    /// The entry at `path`, if any.
    ///
    /// # Errors
    /// Backend failures; for a directory, `EACCES` for a path through a
    /// symlink that leaves it.
    fn stat(&mut self, path: &str) -> Result<Option<Stat>, StoreError>;

    /// The entry at `path`, or `ENOENT`.
    ///
    /// # Errors
    /// `ENOENT`; as [`FileSystem::stat`].
    fn stat_existing(&mut self, path: &str) -> Result<Stat, StoreError> {
        self.stat(path)?.ok_or_else(|| FsError::not_found(path).into())
    }

    /// The whole content of the file at `path`.
    ///
    /// # Errors
    /// `ENOENT`, `EISDIR`; for a directory also `EACCES` (a symlink leaving
    /// it, a hard-linked file) and `EFBIG` (a file above the largest size).
    fn read(&mut self, path: &str) -> Result<Vec<u8>, StoreError>;

    /// The content of the file at `path` as UTF-8 text.
    ///
    /// # Errors
    /// `EINVAL` when it is not UTF-8; as [`FileSystem::read`].
    fn read_text(&mut self, path: &str) -> Result<String, StoreError> {
        String::from_utf8(self.read(path)?)
            .map_err(|_| FsError::invalid(path, "the file is not UTF-8 text: read it as bytes").into())
    }

    /// Writes `content` to the file at `path`, replacing it; its directory
    /// must exist unless `parents`. With `exclusive`, fails if it exists.
    ///
    /// # Errors
    /// `EEXIST`, `ENOENT`, `ENOTDIR`, `EISDIR`, `EFBIG`, `EDQUOT`, `EACCES`.
    fn write(&mut self, path: &str, content: &[u8], parents: bool, exclusive: bool) -> Result<Stat, StoreError>;

    /// Makes the directory `path`; with `recursive`, its missing parents
    /// too, and an existing directory is fine.
    ///
    /// # Errors
    /// `EEXIST`, `ENOENT`, `ENOTDIR`, `EDQUOT`, `EACCES`.
    fn mkdir(&mut self, path: &str, recursive: bool) -> Result<(), StoreError>;

    /// One page of the directory `dir`'s entries in byte order of their
    /// names, after the entry `after` (a path), at most `limit`. The bool
    /// says whether more follow.
    ///
    /// # Errors
    /// `ENOENT`, `ENOTDIR`; for a directory `EINVAL` past
    /// [`WorkspaceLimits::max_scan`] entries.
    fn list(&mut self, dir: &str, after: Option<&str>, limit: usize) -> Result<(Vec<Stat>, bool), StoreError>;

    /// One page of everything below `dir` (at any depth) in byte order of
    /// path, after `after`, at most `limit`. The bool says whether more
    /// follow. A directory's symlinks are not followed and not listed.
    ///
    /// # Errors
    /// Backend failures; for a directory `EINVAL` past
    /// [`WorkspaceLimits::max_scan`] entries.
    fn walk(&mut self, dir: &str, after: Option<&str>, limit: usize) -> Result<(Vec<Stat>, bool), StoreError>;

    /// Every file below `dir` (all pages), for whole-tree operations such as
    /// grep; fails with `EINVAL` past `max` entries rather than truncating.
    /// A file's own path gives that file.
    ///
    /// # Errors
    /// `ENOENT`, `EINVAL`; as [`FileSystem::walk`].
    fn all_files(&mut self, dir: &str, max: usize) -> Result<Vec<Stat>, StoreError> {
        let stat = self.stat_existing(dir)?;
        if !stat.is_dir() {
            return Ok(vec![stat]);
        }
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, more) = self.walk(dir, after.as_deref(), 1000)?;
            after = page.last().map(|s| s.path.clone());
            out.extend(page.into_iter().filter(Stat::is_file));
            if out.len() > max {
                return Err(FsError::invalid(
                    dir,
                    format!("more than {max} files to go through: narrow the path or the pattern"),
                )
                .into());
            }
            if !more {
                return Ok(out);
            }
        }
    }

    /// Removes the entry at `path`; a directory with entries only when
    /// `recursive` (the root: everything in it). Returns how many entries
    /// went.
    ///
    /// # Errors
    /// `ENOENT`, `ENOTEMPTY`, `EACCES`.
    fn remove(&mut self, path: &str, recursive: bool) -> Result<u64, StoreError>;

    /// Copies `from` to `to`: a file (replacing a file at `to`), or with
    /// `recursive` a directory and everything in it (`to` must not exist).
    /// Returns how many entries were made.
    ///
    /// # Errors
    /// `ENOENT`, `EEXIST`, `EISDIR`, `EINVAL` (into itself), `EDQUOT`,
    /// `EACCES`.
    fn copy(&mut self, from: &str, to: &str, recursive: bool) -> Result<u64, StoreError>;

    /// Moves `from` to `to` (a file replaces a file at `to`; a directory
    /// moves with everything in it, and `to` must not exist).
    ///
    /// # Errors
    /// `ENOENT`, `EEXIST`, `EISDIR`, `EINVAL` (the root, into itself),
    /// `EACCES`.
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StoreError>;
}

impl FileSystem for Fs<'_> {
    fn version(&self) -> u64 {
        Fs::version(self)
    }

    fn expect_version(&self, version: u64) -> Result<(), StoreError> {
        Fs::expect_version(self, version)
    }

    fn usage(&self) -> (u64, u64) {
        Fs::usage(self)
    }

    fn limits(&self) -> &WorkspaceLimits {
        Fs::limits(self)
    }

    fn stat(&mut self, path: &str) -> Result<Option<Stat>, StoreError> {
        Fs::stat(self, path)
    }

    fn stat_existing(&mut self, path: &str) -> Result<Stat, StoreError> {
        Fs::stat_existing(self, path)
    }

    fn read(&mut self, path: &str) -> Result<Vec<u8>, StoreError> {
        Fs::read(self, path)
    }

    fn read_text(&mut self, path: &str) -> Result<String, StoreError> {
        Fs::read_text(self, path)
    }

    fn write(&mut self, path: &str, content: &[u8], parents: bool, exclusive: bool) -> Result<Stat, StoreError> {
        Fs::write(self, path, content, parents, exclusive)
    }

    fn mkdir(&mut self, path: &str, recursive: bool) -> Result<(), StoreError> {
        Fs::mkdir(self, path, recursive)
    }

    fn list(&mut self, dir: &str, after: Option<&str>, limit: usize) -> Result<(Vec<Stat>, bool), StoreError> {
        Fs::list(self, dir, after, limit)
    }

    fn walk(&mut self, dir: &str, after: Option<&str>, limit: usize) -> Result<(Vec<Stat>, bool), StoreError> {
        Fs::walk(self, dir, after, limit)
    }

    fn all_files(&mut self, dir: &str, max: usize) -> Result<Vec<Stat>, StoreError> {
        Fs::all_files(self, dir, max)
    }

    fn remove(&mut self, path: &str, recursive: bool) -> Result<u64, StoreError> {
        Fs::remove(self, path, recursive)
    }

    fn copy(&mut self, from: &str, to: &str, recursive: bool) -> Result<u64, StoreError> {
        Fs::copy(self, from, to, recursive)
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), StoreError> {
        Fs::rename(self, from, to)
    }
}
